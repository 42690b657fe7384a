#pragma once
// TRANSITIONAL, to be deleted when main implements the whole live-engine API of issue 10.
//
// network.hpp declares the live API (issue 10) before sim/ implements all of it. A module that
// calls an undefined function cannot be imported at all (Python loads extensions with RTLD_NOW),
// so the functions not yet implemented are referenced weakly here: while the engine lacks one,
// its address is null, the binding raises NotImplementedError naming it, and everything else
// works. Once sim/ defines it the same reference resolves to the definition (the module links
// lamina::sim as a whole archive, so a definition in any of its objects is found).
// Every translation unit that calls one of these functions must include this header.
#include "lamina/sim/checkpoint.hpp"
#include "lamina/sim/network.hpp"

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace engine_pending {

class not_implemented : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct entry {
    const char* name;
    void (*address)();
};

// The Itanium-mangled names of the declarations in sim/include/lamina/sim/network.hpp and
// checkpoint.hpp (as `nm -D --undefined-only` lists them for this module).
#define LAMINA_PENDING(id, symbol)                                                                 \
    extern "C" void id##_symbol() __asm__(symbol) __attribute__((weak));                            \
    inline constexpr entry id{#id, &id##_symbol};

LAMINA_PENDING(read_checkpoint_header, "_ZN6lamina3sim22read_checkpoint_headerERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE")
LAMINA_PENDING(set_weights, "_ZN6lamina3sim7network11set_weightsEmSt4spanIKfLm18446744073709551615EE")
LAMINA_PENDING(take_spikes, "_ZN6lamina3sim7network11take_spikesEm")
LAMINA_PENDING(state_values, "_ZN6lamina3sim7network12state_valuesEmSt17basic_string_viewIcSt11char_traitsIcEE")
LAMINA_PENDING(inject_spikes, "_ZN6lamina3sim7network13inject_spikesEmSt4spanIKdLm18446744073709551615EE")
LAMINA_PENDING(set_parameter, "_ZN6lamina3sim7network13set_parameterEmSt17basic_string_viewIcSt11char_traitsIcEEd")
LAMINA_PENDING(load_checkpoint, "_ZN6lamina3sim7network15load_checkpointERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE")
LAMINA_PENDING(save_checkpoint, "_ZN6lamina3sim7network15save_checkpointERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE")
LAMINA_PENDING(set_description, "_ZN6lamina3sim7network15set_descriptionENSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEES7_")
LAMINA_PENDING(set_poisson_rate, "_ZN6lamina3sim7network16set_poisson_rateEmd")
LAMINA_PENDING(add_neuron_currents, "_ZN6lamina3sim7network19add_neuron_currentsENS0_20neuron_currents_specE")
LAMINA_PENDING(set_neuron_currents, "_ZN6lamina3sim7network19set_neuron_currentsEmSt4spanIKdLm18446744073709551615EE")
LAMINA_PENDING(set_current_amplitude, "_ZN6lamina3sim7network21set_current_amplitudeEmd")
LAMINA_PENDING(set_plasticity_enabled, "_ZN6lamina3sim7network22set_plasticity_enabledEmb")
LAMINA_PENDING(set_state, "_ZN6lamina3sim7network9set_stateEmSt17basic_string_viewIcSt11char_traitsIcEESt4spanIKjLm18446744073709551615EES6_IKdLm18446744073709551615EE")
LAMINA_PENDING(plasticity_enabled, "_ZNK6lamina3sim7network18plasticity_enabledEm")
#undef LAMINA_PENDING

// The names above are of these signatures: if network.hpp changes one, this fails to compile
// instead of a stale name reporting an implemented function as missing.
namespace signatures {
using lamina::sim::network;
using idx = std::size_t;
template <class A, class B>
inline constexpr bool same = std::is_same_v<A, B>;
static_assert(same<decltype(&lamina::sim::read_checkpoint_header),
                   lamina::sim::checkpoint_header (*)(const std::string&)>);
static_assert(same<decltype(&network::set_weights), void (network::*)(idx, std::span<const float>)>);
static_assert(same<decltype(&network::take_spikes), lamina::sim::spike_record (network::*)(idx)>);
static_assert(same<decltype(&network::state_values), std::span<double> (network::*)(idx, std::string_view)>);
static_assert(same<decltype(&network::inject_spikes), void (network::*)(idx, std::span<const double>)>);
static_assert(same<decltype(&network::set_parameter), void (network::*)(idx, std::string_view, double)>);
static_assert(same<decltype(&network::load_checkpoint), void (network::*)(const std::string&)>);
static_assert(same<decltype(&network::save_checkpoint), void (network::*)(const std::string&)>);
static_assert(same<decltype(&network::set_description), void (network::*)(std::string, std::string)>);
static_assert(same<decltype(&network::set_poisson_rate), void (network::*)(idx, double)>);
static_assert(same<decltype(&network::add_neuron_currents), idx (network::*)(lamina::sim::neuron_currents_spec)>);
static_assert(same<decltype(&network::set_neuron_currents), void (network::*)(idx, std::span<const double>)>);
static_assert(same<decltype(&network::set_current_amplitude), void (network::*)(idx, double)>);
static_assert(same<decltype(&network::set_plasticity_enabled), void (network::*)(idx, bool)>);
static_assert(same<decltype(&network::set_state), void (network::*)(idx, std::string_view, std::span<const std::uint32_t>,
                                                                     std::span<const double>)>);
static_assert(same<decltype(&network::plasticity_enabled), bool (network::*)(idx) const>);
} // namespace signatures

inline constexpr entry all[] = {read_checkpoint_header, set_weights, take_spikes, state_values, inject_spikes,
                                set_parameter, load_checkpoint, save_checkpoint, set_description, set_poisson_rate,
                                add_neuron_currents, set_neuron_currents, set_current_amplitude,
                                set_plasticity_enabled, set_state, plasticity_enabled};

inline void require(const entry& e) {
    if (!e.address)
        throw not_implemented(std::string("the engine does not implement ") + e.name +
                              " yet (issue 10: declared in sim/include/lamina/sim/network.hpp, pending on main)");
}

inline std::vector<std::string> missing() {
    std::vector<std::string> out;
    for (const auto& e : all)
        if (!e.address) out.emplace_back(e.name);
    return out;
}

} // namespace engine_pending
