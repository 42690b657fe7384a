// Collecting a network's dynamic state for a checkpoint, in one process or over the processes of a
// distributed run (checkpoint_state.hpp), and the canonical synapse order of the whole network.
#include "checkpoint_state.hpp"

#include "lamina/sim/plasticity.hpp"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <numeric>

namespace lamina::sim::detail {

namespace {

// Calls f(map) for the block's three maps of arrays.
template <class Block, class F>
void for_each_map(Block& b, F&& f) {
    f(b.f64);
    f(b.f32);
    f(b.i64);
}

// Plastic projection state: weights (by canonical synapse of this process), the rule's state and
// the plastic spikes in flight (union over this process's shards, by arrival slot).
state_block projection_part(engine& e, std::size_t k) {
    const auto& P = e.projections[k];
    auto& I = e.state;
    state_block b;
    b.i64["plasticity_enabled"] = {P.plasticity_enabled ? 1 : 0};
    if (P.rule || P.weights_written) {
        const auto order = canonical_order(P, e.populations[P.source]->size());
        std::vector<float> w(order.total);
        for (std::size_t s = 0; s < P.shards.size(); ++s)
            for (std::size_t x = 0; x < P.shards[s].size(); ++x)
                w[order.position(s, x)] = P.homogeneous_weight ? P.weight_value : P.shards[s].weight[x];
        b.f32["weights"] = std::move(w);
        if (P.rule) P.rule->save_state(b, order);
    }
    if (P.rule) {
        // Each shard queues only sources with synapses on its side.
        std::vector<std::int64_t> sources, offsets{0};
        for (std::size_t r = 0; r < I.ring_slots; ++r) {
            std::vector<std::uint32_t> all;
            for (std::size_t s = 0; s < e.shards; ++s)
                all.insert(all.end(), I.pending[k][s][r].begin(), I.pending[k][s][r].end());
            std::sort(all.begin(), all.end());
            all.erase(std::unique(all.begin(), all.end()), all.end());
            sources.insert(sources.end(), all.begin(), all.end());
            offsets.push_back(static_cast<std::int64_t>(sources.size()));
        }
        b.i64["in_flight_sources"] = std::move(sources);
        b.i64["in_flight_offsets"] = std::move(offsets);
    }
    return b;
}

// Synapses per source of projection p held by this process.
std::vector<std::uint32_t> row_counts(const projection& p, std::size_t source_size) {
    std::vector<std::uint32_t> c(source_size, 0);
    for (const auto& sh : p.shards)
        for (std::size_t i = 0; i < source_size; ++i) c[i] += sh.row_begin[i + 1] - sh.row_begin[i];
    return c;
}

// Spike counts and interval statistics: every process has them for all neurons (exchange.cpp).
void add_population_statistics(engine& e, std::size_t q, std::uint64_t spike_count, state_block& b) {
    const auto& st = e.state.isi[q];
    b.i64["isi_last"] = st.last;
    b.i64["isi_count"] = std::vector<std::int64_t>(st.count.begin(), st.count.end());
    b.f64["isi_sum"] = st.sum;
    b.f64["isi_sum_sq"] = st.sum_sq;
    b.i64["spike_count"] = {static_cast<std::int64_t>(spike_count)};
}

state_block recorder_block(const network_state& I) {
    state_block b;
    for (std::size_t r = 0; r < I.recorders.rates.size(); ++r) {
        const auto& R = I.recorders.rates[r];
        b.i64[fmt::format("rate{}.next_bin", r)] = {R.next_bin};
        b.i64[fmt::format("rate{}.counts", r)] = std::vector<std::int64_t>(R.counts.begin(), R.counts.end());
    }
    for (std::size_t r = 0; r < I.recorders.weights.size(); ++r)
        b.i64[fmt::format("weights{}.next", r)] = {I.recorders.weights[r].next};
    // Signal sums are made at rank 0 (recording.cpp), so its delay lines are the run's.
    for (std::size_t r = 0; r < I.recorders.signals.size(); ++r)
        for (std::size_t t = 0; t < I.recorders.signals[r].history.size(); ++t)
            b.f64[fmt::format("signal{}.term{}.history", r, t)] = I.recorders.signals[r].history[t];
    return b;
}

// The spikes of the last window, delivered when the run continues (every process has all of them).
state_block exchange_block(const network_state& I, std::uint64_t synaptic_events) {
    state_block b;
    b.i64["spike_neurons"] = std::vector<std::int64_t>(I.spikes.neurons.begin(), I.spikes.neurons.end());
    std::vector<std::int64_t> seg;
    for (const auto& s : I.spikes.segments) seg.insert(seg.end(), {s.step, s.population, s.begin, s.end});
    b.i64["spike_segments"] = std::move(seg);
    b.i64["synaptic_events"] = {static_cast<std::int64_t>(synaptic_events)};
    b.i64["next_flush"] = {I.next_flush};
    return b;
}

template <class T>
const std::vector<T>& part_array(const std::map<std::string, std::vector<T>>& m, const std::string& name, std::size_t rank,
                                 std::size_t size, const std::string& owner) {
    auto it = m.find(name);
    if (it == m.end() || (size != state_block::any_size && it->second.size() != size))
        throw internal_error(fmt::format("checkpoint of a distributed run: rank {} sent {} '{}' of {} values where {} "
                                         "were expected",
                                         rank, owner, name, it == m.end() ? 0 : it->second.size(), size));
    return it->second;
}

// A population's block from the processes' parts: per-neuron runs concatenated in rank order.
state_block merge_population(engine& e, std::size_t q, const std::vector<std::vector<state_block>>& parts) {
    const auto& pop = *e.populations[q];
    const auto& rb = e.state.rank_bounds[q];
    const std::size_t R = parts.size();
    const std::string owner = "population '" + pop.name() + "'";
    state_block out;
    auto merge = [&](auto member) {
        for (const auto& [name, first] : parts[0][q].*member) {
            const std::size_t runs = pop.checkpoint_chunks(name);
            auto& v = (out.*member)[name];
            if (runs == 0) {
                v = first;
                continue;
            }
            v.reserve(runs * pop.size());
            for (std::size_t c = 0; c < runs; ++c)
                for (std::size_t r = 0; r < R; ++r) {
                    const std::size_t len = rb[r + 1] - rb[r];
                    const auto& a = part_array(parts[r][q].*member, name, r, runs * len, owner);
                    v.insert(v.end(), a.begin() + static_cast<std::ptrdiff_t>(c * len),
                             a.begin() + static_cast<std::ptrdiff_t>((c + 1) * len));
                }
        }
    };
    merge(&state_block::f64);
    merge(&state_block::f32);
    merge(&state_block::i64);
    return out;
}

// A projection's block from the processes' parts: synapse arrays interleaved source by source,
// per-source arrays from a process where the source has synapses, per-target arrays concatenated,
// shared values from a process that owns targets, spikes in flight united.
state_block merge_projection(engine& e, std::size_t k, const std::vector<std::vector<state_block>>& parts) {
    const auto& P = e.projections[k];
    const std::size_t npop = e.populations.size();
    const std::size_t at = npop + k;
    const std::size_t R = parts.size();
    const std::size_t ns = e.populations[P.source]->size();
    const auto& trb = e.state.rank_bounds[P.target];
    const std::string owner = "projection '" + P.spec.name + "'";
    const auto& first = parts[0][at];
    state_block out;
    out.i64["plasticity_enabled"] = part_array(first.i64, "plasticity_enabled", 0, 1, owner);
    if (!first.f32.count("weights")) return out;

    std::vector<const std::vector<std::int64_t>*> counts(R);
    for (std::size_t r = 0; r < R; ++r) counts[r] = &part_array(parts[r][at].i64, "row_counts", r, ns, owner);
    auto interleave = [&](auto member, const std::string& name) {
        using vec = std::remove_cvref_t<decltype(first.*member)>::mapped_type;
        vec v;
        std::vector<std::size_t> pos(R, 0);
        std::vector<const vec*> a(R);
        for (std::size_t r = 0; r < R; ++r) a[r] = &part_array(parts[r][at].*member, name, r, state_block::any_size, owner);
        for (std::size_t i = 0; i < ns; ++i)
            for (std::size_t r = 0; r < R; ++r) {
                const auto c = static_cast<std::size_t>((*counts[r])[i]);
                if (pos[r] + c > a[r]->size()) throw internal_error(owner + ": '" + name + "' is shorter than its rows");
                v.insert(v.end(), a[r]->begin() + static_cast<std::ptrdiff_t>(pos[r]),
                         a[r]->begin() + static_cast<std::ptrdiff_t>(pos[r] + c));
                pos[r] += c;
            }
        for (std::size_t r = 0; r < R; ++r)
            if (pos[r] != a[r]->size()) throw internal_error(owner + ": '" + name + "' is longer than its rows");
        return v;
    };
    out.f32["weights"] = interleave(&state_block::f32, "weights");
    if (!P.rule) return out;

    std::size_t with_targets = 0;
    while (with_targets + 1 < R && trb[with_targets + 1] == trb[with_targets]) ++with_targets;
    using layout = plasticity::layout;
    auto merge = [&](auto member) {
        for (const auto& [name, mine] : first.*member) {
            if (name == "plasticity_enabled" || name == "weights" || name == "row_counts" || name.starts_with("in_flight_"))
                continue;
            auto& v = (out.*member)[name];
            switch (P.rule->layout_of(name)) {
            case layout::per_synapse: v = interleave(member, name); break;
            case layout::per_source: {
                const std::size_t width = mine.size() / ns;
                std::vector<const std::remove_cvref_t<decltype(mine)>*> a(R);
                for (std::size_t r = 0; r < R; ++r) a[r] = &part_array(parts[r][at].*member, name, r, mine.size(), owner);
                v.resize(mine.size());
                for (std::size_t i = 0; i < ns; ++i) {
                    std::size_t from = 0;
                    while (from + 1 < R && (*counts[from])[i] == 0) ++from;
                    if ((*counts[from])[i] == 0) from = 0;
                    std::copy_n(a[from]->begin() + static_cast<std::ptrdiff_t>(i * width), width,
                                v.begin() + static_cast<std::ptrdiff_t>(i * width));
                }
                break;
            }
            case layout::per_target:
                for (std::size_t r = 0; r < R; ++r) {
                    const auto& a = part_array(parts[r][at].*member, name, r, state_block::any_size, owner);
                    v.insert(v.end(), a.begin(), a.end());
                }
                break;
            case layout::shared:
                v = part_array(parts[with_targets][at].*member, name, with_targets, state_block::any_size, owner);
                break;
            }
        }
    };
    merge(&state_block::f64);
    merge(&state_block::f32);
    merge(&state_block::i64);

    const std::size_t slots = e.state.ring_slots;
    std::vector<std::int64_t> sources, offsets{0};
    for (std::size_t sl = 0; sl < slots; ++sl) {
        std::vector<std::int64_t> all;
        for (std::size_t r = 0; r < R; ++r) {
            const auto& src = part_array(parts[r][at].i64, "in_flight_sources", r, state_block::any_size, owner);
            const auto& off = part_array(parts[r][at].i64, "in_flight_offsets", r, slots + 1, owner);
            all.insert(all.end(), src.begin() + off[sl], src.begin() + off[sl + 1]);
        }
        std::sort(all.begin(), all.end());
        all.erase(std::unique(all.begin(), all.end()), all.end());
        sources.insert(sources.end(), all.begin(), all.end());
        offsets.push_back(static_cast<std::int64_t>(sources.size()));
    }
    out.i64["in_flight_sources"] = std::move(sources);
    out.i64["in_flight_offsets"] = std::move(offsets);
    return out;
}

template <class T>
void put(std::vector<char>& out, const T& v) {
    const auto* p = reinterpret_cast<const char*>(&v);
    out.insert(out.end(), p, p + sizeof(T));
}

template <class T>
T take(std::span<const char> in, std::size_t& at) {
    if (at + sizeof(T) > in.size()) throw internal_error("unpack_blocks: truncated");
    T v;
    std::memcpy(&v, in.data() + at, sizeof(T));
    at += sizeof(T);
    return v;
}

} // namespace

std::vector<char> pack_blocks(const std::vector<state_block>& blocks) {
    std::vector<char> out;
    put(out, std::uint64_t(blocks.size()));
    for (const auto& b : blocks)
        for_each_map(b, [&](const auto& m) {
            put(out, std::uint64_t(m.size()));
            for (const auto& [name, v] : m) {
                put(out, std::uint64_t(name.size()));
                out.insert(out.end(), name.begin(), name.end());
                put(out, std::uint64_t(v.size()));
                const auto* p = reinterpret_cast<const char*>(v.data());
                out.insert(out.end(), p, p + v.size() * sizeof(v[0]));
            }
        });
    return out;
}

std::vector<state_block> unpack_blocks(std::span<const char> in) {
    std::size_t at = 0;
    std::vector<state_block> blocks(take<std::uint64_t>(in, at));
    for (auto& b : blocks)
        for_each_map(b, [&](auto& m) {
            const auto n = take<std::uint64_t>(in, at);
            for (std::uint64_t k = 0; k < n; ++k) {
                const auto len = take<std::uint64_t>(in, at);
                if (at + len > in.size()) throw internal_error("unpack_blocks: truncated");
                std::string name(in.data() + at, len);
                at += len;
                const auto count = take<std::uint64_t>(in, at);
                auto& v = m[name];
                const std::size_t bytes = count * sizeof(typename std::remove_cvref_t<decltype(v)>::value_type);
                if (at + bytes > in.size()) throw internal_error("unpack_blocks: truncated");
                v.resize(count);
                std::memcpy(v.data(), in.data() + at, bytes);
                at += bytes;
            }
        });
    return blocks;
}

checkpoint_blocks collect_checkpoint(engine& e, const std::vector<std::uint64_t>& spike_counts,
                                     std::uint64_t synaptic_events) {
    auto& I = e.state;
    const std::size_t npop = e.populations.size(), nproj = e.projections.size();
    checkpoint_blocks out;
    if (I.comm->size() == 1) {
        for (std::size_t q = 0; q < npop; ++q) {
            state_block b;
            e.populations[q]->save_state(b);
            add_population_statistics(e, q, spike_counts[q], b);
            out.populations.push_back(std::move(b));
        }
        for (std::size_t k = 0; k < nproj; ++k) out.projections.push_back(projection_part(e, k));
        out.recorders = recorder_block(I);
        out.exchange = exchange_block(I, synaptic_events);
        return out;
    }

    // This process's part: its own neurons, synapses and targets, its synaptic event count.
    const auto rank = static_cast<std::size_t>(I.comm->rank());
    std::vector<char> bytes;
    {
        std::vector<state_block> part;
        for (std::size_t q = 0; q < npop; ++q) {
            state_block b;
            e.populations[q]->save_state(b, I.rank_bounds[q][rank], I.rank_bounds[q][rank + 1]);
            part.push_back(std::move(b));
        }
        for (std::size_t k = 0; k < nproj; ++k) {
            auto b = projection_part(e, k);
            const auto& P = e.projections[k];
            if (b.f32.count("weights")) {
                const auto c = row_counts(P, e.populations[P.source]->size());
                b.i64["row_counts"].assign(c.begin(), c.end());
            }
            part.push_back(std::move(b));
        }
        state_block own;
        own.i64["synaptic_events"] = {static_cast<std::int64_t>(synaptic_events)};
        part.push_back(std::move(own));
        bytes = pack_blocks(part);
    }
    auto gathered = I.comm->gather(bytes);
    bytes = {};
    if (rank != 0) return out;
    std::vector<std::vector<state_block>> parts;
    for (auto& g : gathered) {
        parts.push_back(unpack_blocks(g));
        g = {};
        if (parts.back().size() != npop + nproj + 1)
            throw internal_error("checkpoint of a distributed run: a rank sent another number of blocks");
    }
    std::uint64_t events = 0;
    for (const auto& p : parts) events += static_cast<std::uint64_t>(p.back().i64.at("synaptic_events").at(0));
    for (std::size_t q = 0; q < npop; ++q) {
        auto b = merge_population(e, q, parts);
        add_population_statistics(e, q, spike_counts[q], b);
        out.populations.push_back(std::move(b));
    }
    for (std::size_t k = 0; k < nproj; ++k) out.projections.push_back(merge_projection(e, k, parts));
    out.recorders = recorder_block(I);
    out.exchange = exchange_block(I, events);
    return out;
}

synapse_order network_canonical_order(engine& e, const projection& p) {
    const std::size_t ns = e.populations[p.source]->size();
    auto order = canonical_order(p, ns);
    auto& comm = *e.state.comm;
    if (comm.size() == 1) return order;
    if (order.identity) {  // shifted per source below, so the index is needed
        order.index.assign(1, std::vector<std::uint64_t>(order.total));
        std::iota(order.index[0].begin(), order.index[0].end(), std::uint64_t{0});
        order.identity = false;
    }
    // Synapse x of source i on this process, at position m among its own synapses (rows of
    // sources below i first), is at row_start[i] + before[i] + (m - own_start[i]) in the whole
    // network: the rows of the processes below this one come first within a source's row.
    const auto mine = row_counts(p, ns);
    const auto all = comm.all_gather(std::span<const char>(reinterpret_cast<const char*>(mine.data()), mine.size() * 4));
    const auto rank = static_cast<std::size_t>(comm.rank());
    std::vector<std::uint64_t> shift(ns);  // row_start + before - own_start, modulo 2^64
    std::uint64_t row_start = 0, own_start = 0;
    for (std::size_t i = 0; i < ns; ++i) {
        std::uint64_t before = 0, row = 0;
        for (std::size_t r = 0; r < all.size(); ++r) {
            std::uint32_t c = 0;
            std::memcpy(&c, all[r].data() + i * 4, 4);
            if (r < rank) before += c;
            row += c;
        }
        shift[i] = row_start + before - own_start;
        row_start += row;
        own_start += mine[i];
    }
    for (std::size_t s = 0; s < p.shards.size(); ++s) {
        const auto& sh = p.shards[s];
        for (std::size_t i = 0; i < ns; ++i)
            for (std::uint32_t x = sh.row_begin[i]; x < sh.row_begin[i + 1]; ++x) order.index[s][x] += shift[i];
    }
    order.total = row_start;
    return order;
}

} // namespace lamina::sim::detail
