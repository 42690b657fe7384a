// Delivery per arrival step (see arrival_lists.hpp for why the sums stay bitwise those of
// delivery straight into the ring).
#include "arrival_lists.hpp"

#include <limits>

namespace lamina::sim::detail {

void setup_arrival_lists(engine& e) {
    auto& st = e.state;
    const std::size_t npop = e.populations.size();
    std::vector<char> varying(npop, 0);
    for (const auto& P : e.projections)
        if (!P.constant_delay()) varying[P.target] = 1;
    st.arrivals.assign(e.shards, std::vector<arrival_lists>(npop));
    for (std::size_t q = 0; q < npop; ++q) {
        const auto& pop = *e.populations[q];
        const bool cells_fit = double(pop.ports().size()) * double(pop.size()) <
                               double(std::numeric_limits<std::uint32_t>::max());
        if (!varying[q] || !cells_fit || pop.requested_update != update_mode::clock || pop.event_driven() ||
            !st.devices.generators_by_pop[q].empty())
            continue;
        for (auto& shard : st.arrivals) {
            shard[q].active = true;
            shard[q].slots.assign(st.ring_slots, {});
        }
    }
}

std::uint64_t list_arrivals(engine& e, const projection& P, std::size_t s, const window_spikes::segment& seg) {
    auto& L = e.state.arrivals[s][P.target];
    const auto& sh = P.shards[s];
    const std::uint32_t* rows = sh.row_begin.data();
    const std::uint32_t* tgt = sh.target.data();
    const float* w = P.homogeneous_weight ? nullptr : sh.weight.data();
    const auto& merged = e.state.spikes.neurons;
    const std::size_t R = L.slots.size();
    const auto cell0 = static_cast<std::uint32_t>(P.port * e.populations[P.target]->size());
    const std::size_t base = static_cast<std::size_t>(seg.step + P.delay_min) % R;
    std::uint64_t events = 0;
    if (P.constant_delay()) {
        auto& list = L.slots[base];
        for (std::uint32_t m = seg.begin; m < seg.end; ++m) {
            const std::uint32_t src = merged[m];
            const std::uint32_t rb = rows[src], re = rows[src + 1];
            events += re - rb;
            for (std::uint32_t x = rb; x < re; ++x) list.push_back({cell0 + tgt[x], w ? w[x] : P.weight_value});
        }
        return events;
    }
    const std::uint32_t mask = (1u << P.target_bits) - 1u;
    const unsigned shift = P.target_bits;
    auto* slots = L.slots.data();
    for (std::uint32_t m = seg.begin; m < seg.end; ++m) {
        const std::uint32_t src = merged[m];
        const std::uint32_t rb = rows[src], re = rows[src + 1];
        events += re - rb;
        if (m + 1 < seg.end) {  // the next spike's row starts loading while this one is listed
            const std::uint32_t next = rows[merged[m + 1]];
            __builtin_prefetch(tgt + next);
            if (w) __builtin_prefetch(w + next);
        }
        if (w) {
            for (std::uint32_t x = rb; x < re; ++x) {
                std::size_t slot = base + (tgt[x] >> shift);
                if (slot >= R) slot -= R;
                slots[slot].push_back({cell0 + (tgt[x] & mask), w[x]});
            }
        } else {
            for (std::uint32_t x = rb; x < re; ++x) {
                std::size_t slot = base + (tgt[x] >> shift);
                if (slot >= R) slot -= R;
                slots[slot].push_back({cell0 + (tgt[x] & mask), P.weight_value});
            }
        }
    }
    return events;
}

namespace {
// Adds list `list` into the ring slot that starts at `slot` and empties it.
void add_list(std::vector<arrival_entry>& list, double* slot) {
    for (const auto& en : list) slot[en.cell] += static_cast<double>(en.weight);
    list.clear();
}

void add_all_lists(engine& e, std::size_t s, std::size_t q) {
    auto& pop = *e.populations[q];
    auto& L = e.state.arrivals[s][q];
    for (std::size_t r = 0; r < L.slots.size(); ++r) add_list(L.slots[r], pop.input(static_cast<std::int64_t>(r), 0));
}
} // namespace

void drain_arrivals(engine& e, std::size_t q, std::size_t s, std::int64_t n) {
    auto& L = e.state.arrivals[s][q];
    if (!L.active) return;
    auto& list = L.slots[static_cast<std::size_t>(n) % L.slots.size()];
    if (!list.empty()) add_list(list, e.populations[q]->input(n, 0));
}

void retire_arrival_lists(engine& e, std::size_t s) {
    auto& st = e.state;
    for (std::size_t q = 0; q < st.arrivals[s].size(); ++q) {
        auto& L = st.arrivals[s][q];
        if (!L.active || st.devices.generators_by_pop[q].empty()) continue;
        add_all_lists(e, s, q);
        L.active = false;
        L.slots = {};
    }
}

void complete_rings(engine& e) {
    for (std::size_t s = 0; s < e.state.arrivals.size(); ++s)
        for (std::size_t q = 0; q < e.state.arrivals[s].size(); ++q)
            if (e.state.arrivals[s][q].active) add_all_lists(e, s, q);
}

void clear_arrival_lists(network_state& st) {
    for (auto& shard : st.arrivals)
        for (auto& L : shard)
            for (auto& list : L.slots) list.clear();
}

} // namespace lamina::sim::detail
