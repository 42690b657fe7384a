#pragma once
// Stimulation devices. Devices act locally on the shard that owns their targets, so they need no
// spike exchange and draw their randomness from counter streams keyed by (seed, device, neuron,
// step): results do not depend on the thread count.
#include "lamina/sim/distribution.hpp"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace lamina::sim {

// Poisson spike input. independent = true: each target gets its own train (NEST
// poisson_generator); false: one train shared by all targets (a single input neuron).
// Each input spike adds `weight` to `port` of the target in the step it is drawn.
struct poisson_input_spec {
    std::string name;
    std::string target;
    std::vector<std::uint32_t> neurons;  // empty: the whole population
    double rate_hz = 0.0;
    double weight = 0.0;
    std::string port = "excitatory";
    bool independent = true;
    double start_ms = 0.0;
    double stop_ms = std::numeric_limits<double>::infinity();
    // Draw each target's events per block of steps (a count per block, then uniform steps)
    // instead of a count per step: the same process, at a cost per event rather than per neuron
    // and step. Always so for targets in event or auto update mode; here to ask for it in clock mode.
    bool draw_in_blocks = false;

    // How the rate varies (at most one of the three; all off: the constant rate_hz). In every case
    // the count of a step [t, t + dt) is Poisson with mean the integral of the rate over the step,
    // the exact count of an inhomogeneous Poisson process in that interval.
    //
    // A time series (NEST inhomogeneous_poisson_generator): the rate is rate_values_hz[k] (>= 0)
    // from rate_times_ms[k] on (strictly increasing times), 0 before the first time.
    std::vector<double> rate_times_ms;
    std::vector<double> rate_values_hz;
    // A sinusoid (NEST sinusoidal_poisson_generator): rate(t) = rate_hz + amplitude_hz *
    // sin(2 pi frequency_hz t + phase_deg), t the model time, amplitude_hz <= rate_hz (so the rate
    // never goes negative). Used when frequency_hz > 0 or amplitude_hz != 0.
    double amplitude_hz = 0.0;
    double frequency_hz = 0.0;
    double phase_deg = 0.0;
    // A rate per target neuron (independent trains only): neuron_rates_hz[m] for the m-th target
    // (the m-th of `neurons`, or neuron m of the population), or drawn per target from
    // `rate_distribution`, keyed by (seed, device, neuron) so that the draws do not depend on threads.
    std::vector<double> neuron_rates_hz;
    std::optional<distribution> rate_distribution;

    bool time_series() const noexcept { return !rate_times_ms.empty() || !rate_values_hz.empty(); }
    bool sinusoidal() const noexcept { return frequency_hz != 0.0 || amplitude_hz != 0.0; }
    bool per_neuron() const noexcept { return !neuron_rates_hz.empty() || rate_distribution.has_value(); }
    bool constant_shared_rate() const noexcept { return !time_series() && !sinusoidal() && !per_neuron(); }
};

// Spikes at given times (ms). A spike at time t is treated like one emitted by a neuron in the
// step stamped t (step round(t/dt) - 1, so t >= dt) and arrives after `delay_ms`.
struct spike_generator_spec {
    std::string name;
    std::string target;
    std::vector<std::uint32_t> neurons;
    std::vector<double> times_ms;
    double weight = 0.0;
    double delay_ms = 0.1;
    std::string port = "excitatory";
};

// A piecewise-constant current (pA): amplitude[k] from times_ms[k] on (step current); a DC
// current is one amplitude switched on at start and off at stop.
struct current_input_spec {
    std::string name;
    std::string target;
    std::vector<std::uint32_t> neurons;
    std::vector<double> times_ms;
    std::vector<double> amplitudes_pA;

    static current_input_spec dc(std::string name, std::string target, double amplitude_pA, double start_ms = 0.0,
                                 double stop_ms = std::numeric_limits<double>::infinity()) {
        current_input_spec s{std::move(name), std::move(target), {}, {start_ms}, {amplitude_pA}};
        if (stop_ms < std::numeric_limits<double>::infinity()) {
            s.times_ms.push_back(stop_ms);
            s.amplitudes_pA.push_back(0.0);
        }
        return s;
    }
};

// A constant current (pA) per neuron of `neurons` (all if empty): amplitudes_pA[i] for the i-th
// listed neuron. For inputs computed outside the network, such as an embedding's population code,
// and changed between runs with network::set_neuron_currents.
struct neuron_currents_spec {
    std::string name;
    std::string target;
    std::vector<std::uint32_t> neurons;
    std::vector<double> amplitudes_pA;
};

// A Gaussian white-noise current (NEST noise_generator): every `interval_ms` (a multiple of the
// step; 0 means every step) each target neuron draws its own I = mean + sd * N(0, 1) pA, held
// until the next draw, between start and stop. Draws are keyed by (seed, device, neuron,
// interval number), so they do not depend on threads and the device keeps no state. As in NEST,
// the membrane's response depends on the interval: for a leaky membrane (tau_m, C_m) driven
// from 0, Var(V) at the draw instants is sd^2 (tau_m/C_m)^2 (1 - a) / (1 + a), a = exp(-interval/tau_m).
struct noise_current_spec {
    std::string name;
    std::string target;
    std::vector<std::uint32_t> neurons;
    double mean_pA = 0.0;
    double sd_pA = 0.0;
    double interval_ms = 0.0;
    double start_ms = 0.0;
    double stop_ms = std::numeric_limits<double>::infinity();
};

} // namespace lamina::sim
