#pragma once
// Event-driven (lazy) update of a population (reference.md 1.7; docs/engine.md "Event-driven
// update"): a neuron is advanced only in a step in which input reaches it or its predicted
// threshold crossing is due, and otherwise keeps its state anchored at the step of its last
// update. The model supplies the per-neuron mathematics (event_model below); this file holds
// the loops, which are the same for every such model. Included at the end of population.hpp.
#include "lamina/sim/event_model.hpp"

#include <algorithm>
#include <bit>
#include <limits>
#include <vector>

namespace lamina::sim {

namespace detail {
inline void schedule_spike(event_view& v, std::int64_t& due, std::uint32_t i, std::int64_t predicted, std::int64_t now) {
    if (predicted >= 0) {
        if (predicted <= now) predicted = now + 1;
        v.calendar->push(predicted, i, now);
    }
    due = predicted;
}
// The model's view of one record: state variable k of "neuron 0" is x[k].
template <std::size_t NS, std::size_t NP>
std::array<double*, NS> record_state(event_record<NS, NP>& r) noexcept {
    std::array<double*, NS> s;
    for (std::size_t k = 0; k < NS; ++k) s[k] = &r.x[k];
    return s;
}
// The first input of step n to neuron i: its sums start from zero and it joins the step's
// touched list (later inputs of the same step only add).
template <std::size_t NS, std::size_t NP>
inline void touch_record(event_record<NS, NP>& r, std::int64_t n, std::uint32_t i, std::vector<std::uint32_t>& touched) {
    if (r.stamp != n) {
        r.stamp = n;
        for (std::size_t p = 0; p < NP; ++p) r.sum[p] = 0.0;
        touched.push_back(i);
    }
}
template <class T>
inline void prefetch_for_write(const T* p) noexcept {
#if defined(__GNUC__)
    __builtin_prefetch(p, 1);
#endif
}
} // namespace detail

template <neuron_model M>
void population_of<M>::event_allocate() {
    if constexpr (event_model<M>) {
        if (!event_table_ready_) {
            event_table_ = M::make_event_table(constants_);
            event_table_ready_ = true;
        }
        if (records_.size() != size_) records_.assign(size_, event_record<n_state, n_ports>{});
    }
}

template <neuron_model M>
void population_of<M>::event_prepare(std::int64_t first, std::size_t begin, std::size_t end, event_view& v) {
    if constexpr (event_model<M>) {
        reconcile(begin, end);
        std::array<double*, n_state> soa;
        for (std::size_t k = 0; k < n_state; ++k) soa[k] = state_[k].data();
        const std::int64_t last = first - 1;
        for (std::size_t i = begin; i < end; ++i) {
            auto& r = records_[i];
            r.anchor = M::event_anchor(constants_, event_table_, soa.data(), refractory_.data(), i, last);
            for (std::size_t k = 0; k < n_state; ++k) r.x[k] = soa[k][i];
            for (std::size_t p = 0; p < n_ports; ++p) r.sum[p] = 0.0;
            r.stamp = std::numeric_limits<std::int64_t>::min();
            auto s = detail::record_state(r);
            detail::schedule_spike(v, r.due, static_cast<std::uint32_t>(i),
                                   M::event_next_spike(constants_, event_table_, s.data(), 0, r.anchor), last);
        }
    }
}

template <neuron_model M>
void population_of<M>::event_gather(std::int64_t n, event_view& v) {
    if constexpr (event_model<M>) {
        // Sums per neuron and port in arrival order (the order the clock kernel's ring adds them
        // in); the record of an input a few places ahead is fetched while this one is added.
        constexpr std::size_t ahead = 8;
        const event_input* in = v.inputs.data();
        const std::size_t count = v.inputs.size();
        auto* rec = records_.data();
        auto& touched = *v.touched;
        for (std::size_t k = 0; k < count; ++k) {
            if (k + ahead < count) detail::prefetch_for_write(rec + in[k + ahead].neuron);
            auto& r = rec[in[k].neuron];
            detail::touch_record(r, n, in[k].neuron, touched);
            r.sum[in[k].port] += in[k].weight;
        }
    }
}

template <neuron_model M>
void population_of<M>::event_stage(std::int64_t n, std::size_t port, std::span<const std::uint32_t> neurons,
                                   double* slot, event_view& v) {
    if constexpr (event_model<M>) {
        for (std::uint32_t i : neurons) {
            auto& r = records_[i];
            detail::touch_record(r, n, i, *v.touched);
            slot[i] = r.sum[port];
        }
    }
}

template <neuron_model M>
void population_of<M>::event_unstage(std::size_t port, std::span<const std::uint32_t> neurons, double* slot) {
    if constexpr (event_model<M>) {
        for (std::uint32_t i : neurons) records_[i].sum[port] = slot[i];
        for (std::uint32_t i : neurons) slot[i] = 0.0;
    }
}

template <neuron_model M>
void population_of<M>::event_drive(std::int64_t n, std::span<const std::uint32_t> neurons, event_view& v) {
    if constexpr (event_model<M>) {
        for (std::uint32_t i : neurons) detail::touch_record(records_[i], n, i, *v.touched);
    }
}

template <neuron_model M>
void population_of<M>::event_advance(std::int64_t n, std::size_t, std::size_t, event_view& v, spike_sink& sink) {
    if constexpr (event_model<M>) {
        const auto& T = event_table_;
        const std::size_t first_spike = sink.count;
        std::uint64_t updates = 0;
        auto* rec = records_.data();
        const double* current = v.driven ? current_.data() : nullptr;
        auto step = [&](std::uint32_t i, const double* w) {
            auto& r = rec[i];
            auto s = detail::record_state(r);
            if constexpr (requires { M::event_takes_current; }) {
                // A neuron with external current: the clock kernel's per-step form, every step.
                if (current && current[i] != 0.0) {
                    if (M::event_update_driven(constants_, s.data(), 0, r.anchor, n, w, current[i]) ==
                        event_outcome::fired) {
                        M::event_fire(constants_, T, s.data(), 0, r.anchor, n);
                        sink.push(i);
                    }
                    r.due = -1;
                    return;
                }
            }
            const event_outcome o = M::event_update(constants_, T, s.data(), 0, r.anchor, n, w);
            if (o == event_outcome::unchanged) return;  // the prediction stands
            if (o == event_outcome::fired) {
                M::event_fire(constants_, T, s.data(), 0, r.anchor, n);
                sink.push(i);
            }
            detail::schedule_spike(v, r.due, i, M::event_next_spike(constants_, T, s.data(), 0, r.anchor), n);
        };
        // Neurons with input this step, in the order their first input arrived.
        auto& touched = *v.touched;
        for (std::uint32_t i : touched) {
            ++updates;
            step(i, rec[i].sum);
        }
        touched.clear();
        // Predicted crossings of neurons no input reached.
        v.calendar->take(n, [&](std::uint32_t i) {
            if (rec[i].due != n) return;  // stale: re-predicted since
            ++updates;
            const std::array<double, n_ports> zero{};
            step(i, zero.data());
        });
        // The clock kernel emits a step's spikes in increasing neuron order.
        if (sink.count - first_spike > 1) std::sort(sink.data + first_spike, sink.data + sink.count);
        v.updates += updates;
    }
}

template <neuron_model M>
void population_of<M>::event_sync(std::int64_t last, std::size_t begin, std::size_t end, event_view&) {
    if constexpr (event_model<M>) {
        std::array<double*, n_state> soa;
        for (std::size_t k = 0; k < n_state; ++k) soa[k] = state_[k].data();
        for (std::size_t i = begin; i < end; ++i) {
            const auto& r = records_[i];
            for (std::size_t k = 0; k < n_state; ++k) soa[k][i] = r.x[k];
            M::event_materialise(constants_, event_table_, soa.data(), refractory_.data(), i, r.anchor, last);
        }
    }
}

} // namespace lamina::sim
