#pragma once
// The contract between the engine and a neuron model.
//
// A model is a stateless type: a parameter struct, its field list, the names of its state variables
// and receptor ports, a lower() that validates parameters and turns them into step constants for a
// grid of step dt, and an advance() kernel that moves a contiguous index range of one population by
// one step. The engine owns all state as structure-of-arrays and calls advance() once per
// population, shard and step: there is no virtual call per neuron (Arbor's mechanism ABI, GeNN's
// generated loops), and the kernel's loops can be vectorised.
//
// Timing convention (as NEST): step n integrates [n*dt, (n+1)*dt). Inputs whose arrival step is n
// are in `input` during step n and take effect at (n+1)*dt, after the subthreshold propagation,
// as in NEST's iaf_psc_* and iaf_cond_* models. A spike detected in step n is stamped (n+1)*dt; with
// a delay of d steps it arrives in step n+d, so its effect lands exactly d*dt after the stamp.
#include "lamina/sim/parameters.hpp"

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

// Marks a per-neuron loop whose iterations are independent. GCC 12 gives up on loops over many
// __restrict arrays ("no vectype"); the OpenMP simd pragma (compiled with -fopenmp-simd, no
// OpenMP runtime) asserts independence and gets them vectorised.
#define LAMINA_SIMD _Pragma("omp simd")

// Marks a model's advance() kernel. On x86-64 the kernel is compiled twice, for the baseline ISA
// and for x86-64-v3 (AVX2, FMA), and the loader picks the best one for the CPU (GCC function
// multi-versioning), so a portable build runs the neuron loops at native width. lamina compiles
// with -ffp-contract=off (no a*b+c fused into FMA), so both clones give identical bits.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(LAMINA_NATIVE_BUILD)
#define LAMINA_KERNEL __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define LAMINA_KERNEL
#endif

namespace lamina::sim {

// A receptor port: where a projection's weights go. Conductance ports take only non-negative
// weights (the sign lives in the reversal potential).
struct port_info {
    std::string_view name;
    std::string_view weight_unit;
    bool nonnegative_weights;
};

// Where a kernel writes the local indices of neurons that spiked this step. The engine reserves
// room for every neuron of the range, so push never allocates.
struct spike_sink {
    std::uint32_t* data;
    std::size_t count;
    // Populations with precise spike times (precise_model.hpp): each spike's offset before the end
    // of its step (ms), parallel to data.
    double* offsets = nullptr;
    void push(std::uint32_t index) noexcept { data[count++] = index; }
    void push(std::uint32_t index, double offset) noexcept {
        offsets[count] = offset;
        data[count++] = index;
    }
};

// Views handed to a kernel for one step and index range [begin, end) of a population.
template <std::size_t NState, std::size_t NPorts>
struct kernel_args {
    std::array<double*, NState> state;    // one array per state variable, indexed by neuron
    std::int32_t* refractory;             // remaining refractory steps per neuron
    std::array<double*, NPorts> input;    // summed weights arriving this step, per port
    const double* current;                // external current from devices (pA), per neuron
    std::size_t begin;
    std::size_t end;
    // True when devices set `current` (it may then change from step to step).
    bool drive_varies = false;
};

// Grid refractoriness of integrate-and-fire models (NEST iaf_* semantics): a neuron with r > 0
// remaining refractory steps is held at V_reset and counts down. Used inside a model's
// vectorised integration loop on the freshly integrated value, which it overrides.
inline double hold_refractory(std::int32_t& r, double v_integrated, double V_reset) noexcept {
    const std::int32_t ri = r;
    r = ri > 0 ? ri - 1 : 0;
    return ri > 0 ? V_reset : v_integrated;
}

// Threshold of integrate-and-fire models: V >= V_th emits a spike, resets V and loads t_ref
// steps. Spikes are rare per step, so blocks of 64 neurons are tested with one vectorised
// comparison and only a block that contains a crossing is scanned. Always inlined, so it runs at
// the width of the kernel clone that calls it (as a baseline-ISA call it took 15 % of W4).
// `on_spike(i)` lets a model reset further variables of a neuron that fired.
struct no_spike_action {
    void operator()(std::size_t) const noexcept {}
};
template <class OnSpike = no_spike_action>
[[gnu::always_inline]] inline void fire_at_threshold(double* __restrict V, std::int32_t* __restrict r, std::size_t begin, std::size_t end,
                              double V_reset, double V_th, std::int32_t ref_steps, spike_sink& sink,
                              OnSpike&& on_spike = {}) {
    constexpr std::size_t block = 64;
    for (std::size_t b = begin; b < end; b += block) {
        const std::size_t e = b + block < end ? b + block : end;
        double highest = V[b];
        _Pragma("omp simd reduction(max:highest)")
        for (std::size_t i = b; i < e; ++i) highest = V[i] > highest ? V[i] : highest;
        if (!(highest >= V_th)) continue;
        for (std::size_t i = b; i < e; ++i) {
            if (V[i] >= V_th) {
                V[i] = V_reset;
                r[i] = ref_steps;
                on_spike(i);
                sink.push(static_cast<std::uint32_t>(i));
            }
        }
    }
}

// A model may declare `static constexpr bool clears_input = true` when its advance() sets every
// input slot it reads back to zero (inside its own loop, where the values are already in cache);
// otherwise the engine clears the slots after the kernel.

template <class M>
concept neuron_model = requires(const typename M::parameters& p, const typename M::constants& c,
                                const kernel_args<M::state_names.size(), M::ports.size()>& args, spike_sink& sink,
                                double dt, const std::string& object) {
    { M::name } -> std::convertible_to<std::string_view>;
    { M::parameter_fields.size() } -> std::convertible_to<std::size_t>;
    { M::state_names.size() } -> std::convertible_to<std::size_t>;
    { M::ports.size() } -> std::convertible_to<std::size_t>;
    { M::lower(p, dt, object) } -> std::same_as<typename M::constants>;
    { M::initial_value(p, std::size_t{0}) } -> std::convertible_to<double>;
    { M::advance(c, args, sink) };
};

} // namespace lamina::sim
