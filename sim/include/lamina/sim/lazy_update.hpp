#pragma once
// Event-driven (lazy) update of a population (reference.md 1.7; docs/engine.md "Event-driven
// update"): a neuron is advanced only in a step in which input reaches it or its predicted
// threshold crossing is due, and otherwise keeps its state anchored at the step of its last
// update. The model supplies the per-neuron mathematics (event_model below); this file holds
// the loops, which are the same for every such model. Included at the end of population.hpp.
#include "lamina/sim/event_model.hpp"

#include <algorithm>
#include <bit>

namespace lamina::sim {

namespace detail {
inline void schedule_spike(event_view& v, std::uint32_t i, std::int64_t predicted, std::int64_t now) {
    if (predicted >= 0) {
        if (predicted <= now) predicted = now + 1;
        v.calendar->push(predicted, i, now);
    }
    v.due[i] = predicted;
}
} // namespace detail

template <neuron_model M>
void population_of<M>::event_prepare(std::int64_t first, std::size_t begin, std::size_t end, event_view& v) {
    if constexpr (event_model<M>) {
        if (!event_table_ready_) {
            event_table_ = M::make_event_table(constants_);
            event_table_ready_ = true;
        }
        reconcile(begin, end);
        std::array<double*, n_state> s;
        for (std::size_t k = 0; k < n_state; ++k) s[k] = state_[k].data();
        const std::int64_t last = first - 1;
        for (std::size_t i = begin; i < end; ++i) {
            v.anchor[i] = M::event_anchor(constants_, event_table_, s.data(), refractory_.data(), i, last);
            detail::schedule_spike(v, static_cast<std::uint32_t>(i),
                                   M::event_next_spike(constants_, event_table_, s.data(), i, v.anchor[i]), last);
        }
    }
}

template <neuron_model M>
void population_of<M>::event_advance(std::int64_t n, std::size_t begin, std::size_t end, event_view& v,
                                     spike_sink& sink) {
    if constexpr (event_model<M>) {
        std::array<double*, n_state> s;
        for (std::size_t k = 0; k < n_state; ++k) s[k] = state_[k].data();
        std::array<double*, n_ports> in;
        for (std::size_t p = 0; p < n_ports; ++p) in[p] = input(n, p);
        const auto& T = event_table_;
        const std::size_t first_spike = sink.count;
        std::uint64_t updates = 0;
        // Neurons with input this step, in increasing index order (shard bounds are multiples of 64).
        for (std::size_t word = begin / 64; word * 64 < end; ++word) {
            std::uint64_t bits = v.touched[word];
            if (!bits) continue;
            v.touched[word] = 0;
            while (bits) {
                const std::size_t i = word * 64 + static_cast<std::size_t>(std::countr_zero(bits));
                bits &= bits - 1;
                std::array<double, n_ports> w;
                for (std::size_t p = 0; p < n_ports; ++p) {
                    w[p] = in[p][i];
                    in[p][i] = 0.0;
                }
                ++updates;
                const event_outcome o = M::event_update(constants_, T, s.data(), i, v.anchor[i], n, w.data());
                if (o == event_outcome::unchanged) continue;  // the prediction stands
                if (o == event_outcome::fired) {
                    M::event_fire(constants_, T, s.data(), i, v.anchor[i], n);
                    sink.push(static_cast<std::uint32_t>(i));
                }
                detail::schedule_spike(v, static_cast<std::uint32_t>(i),
                                       M::event_next_spike(constants_, T, s.data(), i, v.anchor[i]), n);
            }
        }
        // Predicted crossings of neurons no input reached.
        const std::size_t touched_spikes = sink.count;
        v.calendar->take(n, [&](std::uint32_t i) {
            if (v.due[i] != n) return;  // stale: re-predicted since
            ++updates;
            std::array<double, n_ports> zero{};
            if (M::event_update(constants_, T, s.data(), i, v.anchor[i], n, zero.data()) == event_outcome::fired) {
                M::event_fire(constants_, T, s.data(), i, v.anchor[i], n);
                sink.push(i);
            }
            detail::schedule_spike(v, i, M::event_next_spike(constants_, T, s.data(), i, v.anchor[i]), n);
        });
        if (sink.count > touched_spikes && touched_spikes > first_spike)
            std::sort(sink.data + first_spike, sink.data + sink.count);
        else if (sink.count > touched_spikes)
            std::sort(sink.data + touched_spikes, sink.data + sink.count);
        v.updates += updates;
    }
}

template <neuron_model M>
void population_of<M>::event_sync(std::int64_t last, std::size_t begin, std::size_t end, event_view& v) {
    if constexpr (event_model<M>) {
        std::array<double*, n_state> s;
        for (std::size_t k = 0; k < n_state; ++k) s[k] = state_[k].data();
        for (std::size_t i = begin; i < end; ++i)
            M::event_materialise(constants_, event_table_, s.data(), refractory_.data(), i, v.anchor[i], last);
    }
}

} // namespace lamina::sim
