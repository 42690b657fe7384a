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
    void push(std::uint32_t index) noexcept { data[count++] = index; }
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
};

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
