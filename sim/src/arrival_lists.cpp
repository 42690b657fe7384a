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
    if (list.empty()) return;
    auto& pop = *e.populations[q];
    double* slot = pop.input(n, 0);
    // The shard's part of the slot was last touched when the neurons read it a ring ago and has
    // left the cache since; a dense list would miss on nearly every line in random order. One
    // read per line in address order first lets the hardware prefetcher stream it in.
    const std::size_t b = e.state.bounds[q][s], end = e.state.bounds[q][s + 1];
    if (list.size() >= (end - b) / 4) {
        double sink = 0.0;
        for (std::size_t p = 0; p < pop.ports().size(); ++p) {
            const double* x = slot + p * pop.size();
            for (std::size_t i = b; i < end; i += 8) sink += x[i];
        }
        L.warm_sink = sink;
    }
    add_list(list, slot);
}

void prefetch_arrival_rows(engine& e, std::size_t s) {
    // The rows of this window's spikes start at random places: their row offsets first, then
    // their first synapses, all requested before the lists are filled.
    auto& st = e.state;
    const auto& merged = st.spikes.neurons;
    for (int pass = 0; pass < 2; ++pass)
        for (const auto& seg : st.spikes.segments)
            for (std::size_t k : st.outgoing[seg.population]) {
                const auto& P = e.projections[k];
                if (!st.arrivals[s][P.target].active) continue;
                const auto& sh = P.shards[s];
                if (sh.target.empty()) continue;
                const std::uint32_t* rows = sh.row_begin.data();
                for (std::uint32_t m = seg.begin; m < seg.end; ++m) {
                    if (pass == 0) {
                        __builtin_prefetch(rows + merged[m]);
                    } else {
                        const std::uint32_t rb = rows[merged[m]];
                        __builtin_prefetch(sh.target.data() + rb);
                        if (!sh.weight.empty()) __builtin_prefetch(sh.weight.data() + rb);
                    }
                }
            }
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
