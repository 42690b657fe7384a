// The delivery phase: the previous window's spikes (every process's, in canonical order) go into
// the input rings of one shard's neurons, or, for plastic projections, into the queue of their
// arrival step, where the update phase hands them to the rule. Populations whose static input
// has per-synapse delays get it through per-arrival-step lists instead (arrival_lists.hpp).
#include "arrival_lists.hpp"
#include "event_update.hpp"
#include "precise_delivery.hpp"

namespace lamina::sim::detail {

std::uint64_t deliver_window(engine& e, std::size_t s, const window_spikes& spikes) {
    auto& st = e.state;
    std::uint64_t events = 0;
    // Usually state.spikes; a worker of a one-barrier region passes its own merged copy (only in
    // networks whose every projection takes the loops below, see schedule.cpp).
    const auto& merged = spikes.neurons;
    retire_arrival_lists(e, s);
    // (It reads state.spikes, which the caller rewrites while a worker of a one-barrier region
    // delivers; such regions run only without per-arrival-step lists, which it serves.)
    if (&spikes == &st.spikes) prefetch_arrival_rows(e, s);
    for (const auto& seg : spikes.segments) {
        for (std::size_t k : st.outgoing[seg.population]) {
            const auto& P = e.projections[k];
            const auto& sh = P.shards[s];
            if (sh.target.empty()) continue;
            auto& tp = *e.populations[P.target];
            if (st.precise[P.target]) {  // inputs at their times inside the step (precise_delivery.cpp)
                events += deliver_to_precise_population(e, P, s, seg);
                continue;
            }
            // Into an event population's input lists (event_update.cpp); plastic projections queue
            // their sources below in either mode, and the update hands them to the rule.
            if (tp.event_driven() && !(P.rule && P.plasticity_enabled)) {
                events += deliver_to_event_population(e, P, s, seg);
                continue;
            }
            const bool plastic = P.rule && P.plasticity_enabled;
            if (!plastic && st.arrivals[s][P.target].active) {
                events += list_arrivals(e, P, s, seg);
                continue;
            }
            const std::size_t n = tp.size();
            const std::size_t stride = tp.ports().size() * n;
            const std::size_t R = tp.ring_slots();
            double* ring = tp.ring_data();
            const std::uint32_t* rows = sh.row_begin.data();
            const std::uint32_t* tgt = sh.target.data();
            const float* w = P.homogeneous_weight ? nullptr : sh.weight.data();
            const std::size_t base_slot = static_cast<std::size_t>(seg.step + P.delay_min) % R;
            if (plastic) {
                auto& queue = st.pending[k][s][base_slot];
                for (std::uint32_t m = seg.begin; m < seg.end; ++m) {
                    const std::uint32_t src = merged[m];
                    const std::uint32_t len = rows[src + 1] - rows[src];
                    if (len == 0) continue;
                    events += len;
                    queue.push_back(src);
                }
            } else if (P.constant_delay() && P.homogeneous_weight) {
                double* dst = ring + base_slot * stride + P.port * n;
                const double wv = P.weight_value;
                for (std::uint32_t m = seg.begin; m < seg.end; ++m) {
                    const std::uint32_t src = merged[m];
                    const std::uint32_t rb = rows[src], re = rows[src + 1];
                    events += re - rb;
                    for (std::uint32_t x = rb; x < re; ++x) dst[tgt[x]] += wv;
                }
            } else if (P.constant_delay()) {
                double* dst = ring + base_slot * stride + P.port * n;
                for (std::uint32_t m = seg.begin; m < seg.end; ++m) {
                    const std::uint32_t src = merged[m];
                    const std::uint32_t rb = rows[src], re = rows[src + 1];
                    events += re - rb;
                    for (std::uint32_t x = rb; x < re; ++x) dst[tgt[x]] += static_cast<double>(w[x]);
                }
            } else {
                const std::uint32_t mask = (1u << P.target_bits) - 1u;
                const unsigned shift = P.target_bits;
                double* port_base = ring + P.port * n;
                for (std::uint32_t m = seg.begin; m < seg.end; ++m) {
                    const std::uint32_t src = merged[m];
                    const std::uint32_t rb = rows[src], re = rows[src + 1];
                    events += re - rb;
                    for (std::uint32_t x = rb; x < re; ++x) {
                        std::size_t slot = base_slot + (tgt[x] >> shift);
                        if (slot >= R) slot -= R;
                        const double wx = w ? static_cast<double>(w[x]) : static_cast<double>(P.weight_value);
                        port_base[slot * stride + (tgt[x] & mask)] += wx;
                    }
                }
            }
        }
    }
    return events;
}

} // namespace lamina::sim::detail
