// The update phase: one shard advances its neurons over the steps of a window. Per step and
// population: devices add their input, plastic arrivals of the step run through their rule, the
// model's kernel advances the neurons, plastic rules see the postsynaptic spikes, the input slot
// is cleared and state and signal recorders sample.
#include "arrival_lists.hpp"
#include "event_update.hpp"
#include "precise_delivery.hpp"

namespace lamina::sim::detail {

void update_window(engine& e, std::size_t s, std::int64_t t0, std::int64_t W) {
    auto& st = e.state;
    auto& sc = st.scratch[s];
    const std::size_t npop = e.populations.size();
    std::size_t count = 0;
    for (std::int64_t k = 0; k < W; ++k) {
        const std::int64_t n = t0 + k;
        for (std::size_t q = 0; q < npop; ++q) {
            const std::size_t b = st.bounds[q][s], end = st.bounds[q][s + 1];
            auto& pop = *e.populations[q];
            if (b == end) {
                sc.counts[static_cast<std::size_t>(k) * npop + q] = 0;
                continue;
            }
            if (pop.event_driven()) {
                spike_sink sink{sc.spikes.data() + count, 0};
                advance_event_population(e, q, s, n, sink);
                sc.counts[static_cast<std::size_t>(k) * npop + q] = static_cast<std::uint32_t>(sink.count);
                count += sink.count;
                continue;
            }
            drain_arrivals(e, q, s, n);  // events of per-synapse delays (arrival_lists.hpp)
            for (std::size_t d : st.devices.poisson_by_pop[q])
                if (st.poisson_blocks[d]) apply_poisson_blocks(e, d, s, n, nullptr);
            st.devices.apply(pop, q, s, n, e.config.seed, st.bounds[q]);
            for (std::size_t j : st.plastic_by_target[q]) {
                auto& P = e.projections[j];
                // Spikes queued while plasticity was on reach their synapses through the rule even
                // if it has been switched off since.
                auto& queue = st.pending[j][s][static_cast<std::size_t>(n) % pop.ring_slots()];
                if (!queue.empty()) {
                    P.rule->on_arrivals(s, n, queue, pop.input(n, P.port));
                    queue.clear();
                }
                const std::int64_t every = P.rule->dynamics_interval();
                if (P.plasticity_enabled && every > 0 && (n + 1) % every == 0) P.rule->advance_dynamics(s, n + 1);
            }
            spike_sink sink{sc.spikes.data() + count, 0};
            if (st.precise[q]) {  // spikes at their times inside the step (precise_delivery.cpp)
                sink.offsets = sc.offsets.data() + count;
                advance_precise_population(e, q, s, n, sink);
            } else {
                pop.advance(n, b, end, sink);
            }
            if (sink.count > 0)
                for (std::size_t j : st.plastic_by_target[q])
                    if (e.projections[j].plasticity_enabled)
                        e.projections[j].rule->on_post_spikes(s, n, {sink.data, sink.count});
            sc.counts[static_cast<std::size_t>(k) * npop + q] = static_cast<std::uint32_t>(sink.count);
            count += sink.count;
            if (!pop.clears_input())
                for (std::size_t p = 0; p < pop.ports().size(); ++p) {
                    double* in = pop.input(n, p);
                    std::fill(in + b, in + end, 0.0);
                }
            st.recorders.sample(pop, q, s, n, b, end);
        }
    }
}

} // namespace lamina::sim::detail
