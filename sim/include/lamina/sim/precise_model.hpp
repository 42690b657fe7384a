#pragma once
// Precise (off-grid) spike times: what a neuron model provides to emit spikes at the exact time it
// crosses threshold inside a step and to take inputs at the exact time they arrive (docs/engine.md,
// "Precise spike times"; NEST's iaf_psc_exp_ps and iaf_psc_delta_ps, Morrison, Straube, Plesser &
// Diesmann 2007; Hanuschkin, Kunkel, Helias, Morrison & Diesmann 2010).
//
// Time convention (NEST's): a spike is a grid stamp and an offset. A spike emitted at time t inside
// step n, [n h, (n+1) h), has the stamp of step n (time (n+1) h) and the offset (n+1) h - t in
// [0, h): the spike lies `offset` before the end of its step. A grid spike has offset 0, so the
// grid convention (a spike of step n acts from (n+1) h + d) is the special case offset = 0. With a
// delay of d steps the spike arrives in step n + d at time h - offset from that step's start.
//
// A model opts in by specialising precise_dynamics<M> (in its own header) with
//   constants lower(const M::constants&, double h, const std::string& object): step constants
//       (throws parameter_error for what the precise update cannot do, e.g. t_ref < h);
//   double step(const constants&, double* const* s, std::int32_t& r, double& release, std::size_t i,
//               const precise_input* first, const precise_input* last, const double* end_input,
//               double I_ext):
//       advances neuron i over one step: its state arrays s, its refractory steps r and the time
//       `release` inside the step in which its refractoriness ends (when r == 1), the inputs of
//       the step [first, last) sorted by time, the inputs end_input[port] that arrive at the end of
//       the step (devices and grid spikes put there, as in clock mode) and the current from
//       devices; returns the spike's time from the step's start, or a negative value.
// A model with t_ref >= h fires at most once per step.
#include "lamina/sim/parameters.hpp"

#include <cmath>
#include <cstdint>
#include <string>

namespace lamina::sim {

// One input reaching a neuron of a precise population inside a step: its time from the step's
// start (in [0, h]), weight, target neuron and receptor port. `order` is its place in the delivery
// order (canonical: window, segment, projection, synapse), which breaks ties of equal times so that
// the sort, and with it every sum, is the same for any thread count.
struct precise_input {
    double time;
    double weight;
    std::uint32_t neuron;
    std::uint32_t port;
    std::uint64_t order;
};

inline bool precise_before(const precise_input& a, const precise_input& b) noexcept {
    if (a.neuron != b.neuron) return a.neuron < b.neuron;
    if (a.time != b.time) return a.time < b.time;
    return a.order < b.order;
}

// A refractory period t_ref = steps h + remainder, remainder in [0, h). A t_ref that is a whole
// number of steps up to rounding (|t_ref/h - k| < 1e-9) is exactly k steps, so that the usual
// t_ref = 2 ms at h = 0.1 ms ends exactly 20 steps after the spike, at the spike's offset.
struct precise_refractory {
    std::int32_t steps;
    double remainder;
};
inline precise_refractory split_refractory(double t_ref, double h) {
    const double x = t_ref / h;
    const double k = std::round(x);
    if (std::abs(x - k) < 1e-9) return {static_cast<std::int32_t>(k), 0.0};
    const double f = std::floor(x);
    return {static_cast<std::int32_t>(f), t_ref - f * h};
}

// The refractory state after a spike at time `at` from the start of its step: the neuron is free
// again `steps` steps later at time `release` from that step's start (release in (0, h]).
inline void start_refractory(const precise_refractory& ref, double h, double at, std::int32_t& r, double& release) {
    double t = at + ref.remainder;
    std::int32_t m = ref.steps;
    if (t > h) {
        t -= h;
        ++m;
    }
    r = m;
    release = t;
}

// Times closer than this are one time (ms). Delays and refractory periods that are multiples of a
// common unit make exact coincidences common (an input arriving exactly when a refractory period
// ends, two inputs of one time along different paths), and the rounding of sums of times, which
// depends on the step, must not decide them: lif_psc_delta discards an input arriving within this
// of the end of refractoriness and sums inputs within this of each other before its threshold test.
inline constexpr double precise_coincidence_ms = 1e-9;

// Specialised by the models that have a precise update.
template <class M>
struct precise_dynamics;

template <class M>
concept precise_model = requires { typename precise_dynamics<M>::constants; };

// The precise constants of M, or nothing for models without a precise update.
template <class M>
struct precise_constants_of {
    struct type {};
};
template <class M>
    requires precise_model<M>
struct precise_constants_of<M> {
    using type = typename precise_dynamics<M>::constants;
};

} // namespace lamina::sim
