#pragma once
// What a neuron model provides to be advanced event-driven (lazy_update.hpp runs the loops).
#include "lamina/sim/neuron_model.hpp"

#include <concepts>
#include <cstdint>
#include <string>
#include <variant>

namespace lamina::sim {

// What an event update did to a neuron: nothing (its prediction stands), changed its anchored
// state (predict again), or brought it to threshold (the caller fires it and predicts again).
enum class event_outcome : std::uint8_t { unchanged, changed, fired };

// A model that can be advanced lazily. `M::event_table` holds what the model precomputes from its
// constants (propagators for k steps; built once per lowering by make_event_table), `s` its state
// arrays; `anchor` is the engine's per-neuron step: the neuron's state holds at the end of that
// step, and while it is refractory the anchor lies in the future (the end of its refractory
// period). event_update advances i to the end of step n and adds the inputs w[port];
// event_fire resets a neuron that reached threshold in step n. event_next_spike predicts the step
// of the next crossing without input (-1: none). event_materialise writes i's state arrays and
// refractory counter as they are at the end of step `last`; event_anchor derives the anchor from
// them (at a run start or a switch from clock mode) at the end of step `last`; event_limit says
// why the parameters rule the update out (empty: they do not).
template <class M>
concept event_model = requires(const typename M::constants& c, const typename M::event_table& table,
                               double* const* s, std::int32_t* r, std::size_t i, std::int64_t& anchor,
                               std::int64_t n, const double* w) {
    { M::make_event_table(c) } -> std::same_as<typename M::event_table>;
    { M::event_limit(c) } -> std::convertible_to<std::string>;
    { M::event_update(c, table, s, i, anchor, n, w) } -> std::same_as<event_outcome>;
    { M::event_fire(c, table, s, i, anchor, n) };
    { M::event_next_spike(c, table, s, i, anchor) } -> std::same_as<std::int64_t>;
    { M::event_materialise(c, table, s, r, i, anchor, n) };
    { M::event_anchor(c, table, s, r, i, n) } -> std::same_as<std::int64_t>;
};

// The per-neuron record of an event-driven population: the model's state variables (as the
// model's event functions see them; the population's state arrays are written from it when
// they are read), the engine's anchor and predicted spike step, the step's summed input per port
// and the step in which those sums were started. For lif_psc_delta this is 64 bytes, one cache
// line per touched neuron instead of one per state array, input port and bookkeeping array.
template <std::size_t NS, std::size_t NP>
struct alignas(64) event_record {
    double x[NS];
    std::int64_t anchor;
    std::int64_t due;    // predicted spike step, or -1
    double sum[NP];      // inputs of step `stamp`, per port
    std::int64_t stamp;  // step whose inputs `sum` holds
};

// The event table of M, or nothing for models without an event-driven update.
template <class M>
struct event_table_of {
    using type = std::monostate;
};
template <class M>
    requires requires { typename M::event_table; }
struct event_table_of<M> {
    using type = typename M::event_table;
};

} // namespace lamina::sim
