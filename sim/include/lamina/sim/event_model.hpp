#pragma once
// What a neuron model provides to be advanced event-driven (lazy_update.hpp runs the loops).
#include "lamina/sim/neuron_model.hpp"

#include <concepts>
#include <cstdint>
#include <string>
#include <vector>

namespace lamina::sim {

// A model that can be advanced lazily. `table` is the model's list of propagator powers (built
// once per lowering), `s` its state arrays; `anchor` is the step at whose end neuron i's state
// holds (later than the current step while refractory). event_update advances i to the end of
// step n and adds the inputs w[port]; it returns true when i reached threshold (the caller then
// calls event_fire). event_next_spike predicts the step of the next crossing without input (-1:
// none). event_materialise writes i's state arrays as they are at the end of step `last`, and
// event_limit says why the parameters rule the update out (empty: they do not), and
// event_anchor derives the anchor from them (after reconcile) at the end of step `last`.
template <class M>
concept event_model = requires(const typename M::constants& c, const std::vector<double>& table,
                               double* const* s, std::int32_t* r, std::size_t i, std::int64_t& anchor,
                               std::int64_t n, const double* w) {
    { M::decay_table(c) } -> std::same_as<std::vector<double>>;
    { M::event_limit(c) } -> std::convertible_to<std::string>;
    { M::event_update(c, table, s, i, anchor, n, w) } -> std::same_as<bool>;
    { M::event_fire(c, s, i, anchor, n) };
    { M::event_next_spike(c, table, s, i, anchor) } -> std::same_as<std::int64_t>;
    { M::event_materialise(c, table, s, r, i, anchor, n) };
    { M::event_anchor(c, table, s, r, i, n) } -> std::same_as<std::int64_t>;
};

} // namespace lamina::sim
