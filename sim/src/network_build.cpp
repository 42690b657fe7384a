// Building a network: shard layout, window and ring depth, connectivity drawn per shard from
// counter-based streams (so it does not depend on the shard count), plasticity instances, device
// and recorder runtime.
#include "event_update.hpp"

#include "lamina/sim/fixed_total_number.hpp"
#include "lamina/sim/rng.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <numeric>

namespace lamina::sim {

using detail::delay_steps;
using detail::projection_label;
using detail::resolve_population;

namespace {

// Calls emit(source) for every synapse onto target j, for the rules that are drawn per target;
// `degree` is the in-degree of j for fixed_indegree and fixed_total_number.
template <class Emit>
void sources_of_target(const connection_rule& r, std::uint32_t j, std::uint64_t degree, std::uint64_t ns, bool same,
                       random_stream& rng, std::vector<std::uint32_t>& scratch, Emit&& emit) {
    using K = connection_rule::kind;
    const bool skip_self = same && !r.allow_autapses;
    switch (r.type) {
    case K::one_to_one: emit(j); break;
    case K::all_to_all:
        for (std::uint32_t i = 0; i < ns; ++i)
            if (!(skip_self && i == j)) emit(i);
        break;
    case K::pairwise_bernoulli: {
        const double p = r.probability;
        if (p <= 0.0) break;
        if (p >= 1.0) {
            for (std::uint32_t i = 0; i < ns; ++i)
                if (!(skip_self && i == j)) emit(i);
            break;
        }
        // Geometric skipping: the gap to the next partner is geometric with parameter p.
        const double log_q = std::log1p(-p);
        std::int64_t i = -1;
        for (;;) {
            i += 1 + static_cast<std::int64_t>(std::floor(std::log(rng.uniform()) / log_q));
            if (i >= static_cast<std::int64_t>(ns)) break;
            if (skip_self && i == j) continue;
            emit(static_cast<std::uint32_t>(i));
        }
        break;
    }
    case K::fixed_indegree:
    case K::fixed_total_number: {
        const std::uint64_t pool = ns - (skip_self ? 1 : 0);
        auto pick = [&](std::uint64_t x) -> std::uint32_t {
            return static_cast<std::uint32_t>((skip_self && x >= j) ? x + 1 : x);
        };
        if (r.allow_multapses) {
            for (std::uint64_t k = 0; k < degree; ++k) emit(pick(rng.below(pool)));
        } else {
            // Floyd's algorithm: k distinct values from [0, pool), emitted in ascending order.
            scratch.clear();
            for (std::uint64_t m = pool - degree; m < pool; ++m) {
                const std::uint64_t t = rng.below(m + 1);
                const auto tt = static_cast<std::uint32_t>(t);
                if (std::find(scratch.begin(), scratch.end(), tt) == scratch.end())
                    scratch.push_back(tt);
                else
                    scratch.push_back(static_cast<std::uint32_t>(m));
            }
            std::sort(scratch.begin(), scratch.end());
            for (auto x : scratch) emit(pick(x));
        }
        break;
    }
    default: break;
    }
}

// Targets of source i for fixed_outdegree, in drawn order.
void targets_of_source(const connection_rule& r, std::uint32_t i, std::uint64_t nt, bool same, random_stream& rng,
                       std::vector<std::uint32_t>& out) {
    out.clear();
    const bool skip_self = same && !r.allow_autapses;
    const std::uint64_t pool = nt - (skip_self ? 1 : 0);
    auto pick = [&](std::uint64_t x) { return static_cast<std::uint32_t>((skip_self && x >= i) ? x + 1 : x); };
    if (r.allow_multapses) {
        for (std::uint64_t k = 0; k < r.degree; ++k) out.push_back(pick(rng.below(pool)));
        return;
    }
    for (std::uint64_t m = pool - r.degree; m < pool; ++m) {
        const auto t = static_cast<std::uint32_t>(rng.below(m + 1));
        if (std::find(out.begin(), out.end(), t) == out.end())
            out.push_back(t);
        else
            out.push_back(static_cast<std::uint32_t>(m));
    }
    std::sort(out.begin(), out.end());
    for (auto& x : out) x = pick(x);
}

} // namespace

void network::build() {
    if (built_) return;
    const auto t_start = std::chrono::steady_clock::now();
    validate();
    auto& I = *state_;
    const double dt = config_.dt_ms;
    const std::size_t S = shards_;
    const std::size_t npop = populations_.size();

    // Shard boundaries, aligned to 64 neurons so that Poisson blocks (4 neurons), cache lines and
    // the 64-neuron blocks of signal sums never straddle two shards. A distributed run lays out
    // ranks x threads shards and keeps its own slice: a rank is a group of shards, and results
    // do not depend on the layout.
    const std::size_t ranks = static_cast<std::size_t>(I.comm->size());
    const std::size_t rank = static_cast<std::size_t>(I.comm->rank());
    const std::size_t G = S * ranks;
    auto global_bound = [&](std::size_t n, std::size_t g) { return g == G ? n : (n * g / G) / 64 * 64; };
    I.bounds.assign(npop, std::vector<std::size_t>(S + 1));
    I.rank_bounds.assign(npop, std::vector<std::size_t>(ranks + 1));
    for (std::size_t q = 0; q < npop; ++q) {
        const std::size_t n = populations_[q]->size();
        for (std::size_t s = 0; s <= S; ++s) I.bounds[q][s] = global_bound(n, rank * S + s);
        for (std::size_t r = 0; r <= ranks; ++r) I.rank_bounds[q][r] = global_bound(n, r * S);
    }

    // Delays and window.
    std::int64_t dmin_all = std::numeric_limits<std::int64_t>::max(), dmax_all = 1;
    for (std::size_t k = 0; k < projections_.size(); ++k) {
        auto& P = projections_[k];
        const auto& s = P.spec;
        P.source = resolve_population(populations_, s.source, "", "");
        P.target = resolve_population(populations_, s.target, "", "");
        P.port = *populations_[P.target]->port_index(s.port);
        if (s.rule.type == connection_rule::kind::explicit_list && !s.rule.delays_ms.empty()) {
            auto [lo, hi] = std::minmax_element(s.rule.delays_ms.begin(), s.rule.delays_ms.end());
            P.delay_min = s.rule.delays_ms.empty() ? 1 : delay_steps(*lo, dt);
            P.delay_max = s.rule.delays_ms.empty() ? 1 : delay_steps(*hi, dt);
        } else {
            P.delay_min = std::max<std::int64_t>(1, delay_steps(s.delay_ms.min_value(), dt));
            P.delay_max = std::max<std::int64_t>(P.delay_min, delay_steps(s.delay_ms.max_value(), dt));
        }
        if (s.rule.type == connection_rule::kind::distance_dependent && s.rule.kernel.velocity > 0.0) {
            // Delays d0 + distance / velocity (spatial.hpp), d0 the projection's constant delay.
            const double dmax = std::min(s.rule.kernel.mask_radius, largest_distance(populations_[P.source]->layout));
            P.delay_min = std::max<std::int64_t>(1, delay_steps(s.delay_ms.a, dt));
            P.delay_max = std::max(P.delay_min, delay_steps(s.delay_ms.a + dmax / s.rule.kernel.velocity, dt));
        }
        const std::uint64_t nt = populations_[P.target]->size();
        P.target_bits = nt <= 1 ? 1u : static_cast<unsigned>(std::bit_width(nt - 1));
        if (P.delay_max > P.delay_min) {
            const unsigned delay_bits = 32 - P.target_bits;
            if (delay_bits < 1 || std::uint64_t(P.delay_max - P.delay_min) >= (std::uint64_t(1) << delay_bits))
                throw parameter_error(projection_label(s, k), "delay",
                                      fmt::format("the delay range {}..{} steps does not fit beside {} target bits",
                                                  P.delay_min, P.delay_max, P.target_bits));
        } else {
            P.target_bits = 32;
        }
        dmin_all = std::min(dmin_all, P.delay_min);
        dmax_all = std::max(dmax_all, P.delay_max);
    }
    std::int64_t dmax_devices = 1;
    for (const auto& g : I.devices.generator_specs) dmax_devices = std::max(dmax_devices, delay_steps(g.delay_ms, dt));
    I.window = std::clamp<std::int64_t>(projections_.empty() ? detail::max_window_steps : dmin_all, 1, detail::max_window_steps);
    I.ring_slots = static_cast<std::size_t>(std::max(dmax_all, dmax_devices) + I.window + 1);


    // As many threads as shards, but never more than cores (see thread_team.hpp).
    I.team = std::make_unique<thread_team>(threads_);
    I.width = width_chooser(I.team->size());
    auto parallel_shards = [&](auto&& body) { I.parallel_shards(S, body); };

    // Connectivity: each shard builds the rows of its own targets.
    for (std::size_t k = 0; k < projections_.size(); ++k) {
        auto& P = projections_[k];
        const auto& r = P.spec.rule;
        const std::uint64_t ns = populations_[P.source]->size();
        const std::uint64_t nt = populations_[P.target]->size();
        const bool same = P.source == P.target;
        const std::uint32_t pid = static_cast<std::uint32_t>(k);
        P.shards.assign(S, {});
        const auto& wdist = P.spec.weight;
        P.homogeneous_weight = wdist.is_constant() && r.weights.empty() && !P.spec.plasticity;
        P.weight_value = static_cast<float>(wdist.a);
        const bool store_weights = !P.homogeneous_weight;
        auto check_capacity = [&](std::size_t n) {
            if (n >= (std::size_t(1) << 32))
                throw capacity_error(projection_label(P.spec, k) +
                                     ": more than 2^32 synapses onto one thread's neurons; split the projection");
        };
        const auto& ddist = P.spec.delay_ms;
        auto encode = [&](std::uint32_t target, std::int64_t d) -> std::uint32_t {
            if (P.target_bits == 32) return target;
            return target | static_cast<std::uint32_t>((d - P.delay_min) << P.target_bits);
        };
        auto draw_delay = [&](random_stream& rng) -> std::int64_t {
            return ddist.is_constant() ? P.delay_min : delay_steps(ddist.draw(rng), dt);
        };
        // Distance-dependent rules: both populations' positions, distances under the source's layout.
        const bool spatial = r.type == connection_rule::kind::distance_dependent;
        const bool distance_delays = spatial && r.kernel.velocity > 0.0;
        positions_2d src_pos, tgt_pos;
        if (spatial) {
            src_pos = make_positions(populations_[P.source]->layout, ns, config_.seed, static_cast<std::uint32_t>(P.source));
            tgt_pos = make_positions(populations_[P.target]->layout, nt, config_.seed, static_cast<std::uint32_t>(P.target));
        }
        auto distance = [&](std::uint32_t i, std::size_t j) {
            return layout_distance(populations_[P.source]->layout, src_pos.x[i], src_pos.y[i], tgt_pos.x[j], tgt_pos.y[j]);
        };
        parallel_shards([&](std::size_t s) {
            auto& sh = P.shards[s];
            const std::size_t b = I.bounds[P.target][s], e = I.bounds[P.target][s + 1];
            sh.row_begin.assign(ns + 1, 0);
            using K = connection_rule::kind;
            if (r.type == K::fixed_outdegree || r.type == K::explicit_list) {
                // Source-keyed rules: rows in source order, partners in drawn (or listed) order.
                struct entry {
                    std::uint32_t src, tgt;
                    float w;
                    std::int64_t d;
                };
                std::vector<entry> entries;
                if (r.type == K::fixed_outdegree) {
                    std::vector<std::uint32_t> tg;
                    for (std::uint32_t i = 0; i < ns; ++i) {
                        random_stream crng(config_.seed, stream_purpose::connectivity, pid, i);
                        targets_of_source(r, i, nt, same, crng, tg);
                        random_stream wrng(config_.seed, stream_purpose::synapse_weight, pid, i);
                        random_stream drng(config_.seed, stream_purpose::synapse_delay, pid, i);
                        for (auto t : tg) {
                            const float w = static_cast<float>(wdist.draw(wrng));
                            const std::int64_t d = draw_delay(drng);
                            if (t >= b && t < e) entries.push_back({i, t, w, d});
                        }
                    }
                } else {
                    for (std::size_t m = 0; m < r.sources.size(); ++m) {
                        const auto t = r.targets[m];
                        if (t < b || t >= e) continue;
                        float w;
                        if (!r.weights.empty()) {
                            w = r.weights[m];
                        } else {
                            random_stream wrng(config_.seed, stream_purpose::synapse_weight, pid, m);
                            w = static_cast<float>(wdist.draw(wrng));
                        }
                        std::int64_t d;
                        if (!r.delays_ms.empty()) {
                            d = delay_steps(r.delays_ms[m], dt);
                        } else {
                            random_stream drng(config_.seed, stream_purpose::synapse_delay, pid, m);
                            d = draw_delay(drng);
                        }
                        entries.push_back({r.sources[m], t, w, d});
                    }
                    std::stable_sort(entries.begin(), entries.end(),
                                     [](const entry& x, const entry& y) { return x.src < y.src; });
                }
                check_capacity(entries.size());
                for (auto& en : entries) ++sh.row_begin[en.src + 1];
                std::partial_sum(sh.row_begin.begin(), sh.row_begin.end(), sh.row_begin.begin());
                sh.target.resize(entries.size());
                if (store_weights) sh.weight.resize(entries.size());
                for (std::size_t m = 0; m < entries.size(); ++m) {
                    sh.target[m] = encode(entries[m].tgt, entries[m].d);
                    if (store_weights) sh.weight[m] = entries[m].w;
                }
                return;
            }
            // Target-keyed rules: pass 1 draws the sources of each target and counts rows,
            // pass 2 fills rows in target order so every row lists its targets ascending.
            std::vector<std::uint32_t> srcs;
            std::vector<std::uint32_t> per_target(e - b);
            std::vector<std::uint32_t> scratch;
            if (r.type == K::fixed_indegree) srcs.reserve((e - b) * r.degree);
            std::vector<std::uint32_t> indegree;
            if (r.type == K::fixed_total_number) {
                indegree.resize(e - b);
                fixed_total_number_indegrees(config_.seed, pid, r.total, nt,
                                             ns - ((same && !r.allow_autapses) ? 1 : 0), r.allow_multapses, b, e,
                                             indegree.data());
                srcs.reserve(std::accumulate(indegree.begin(), indegree.end(), std::size_t(0)));
            }
            if (r.type == K::pairwise_bernoulli)
                srcs.reserve(static_cast<std::size_t>(double(e - b) * double(ns) * r.probability * 1.05) + 16);
            for (std::size_t j = b; j < e; ++j) {
                random_stream crng(config_.seed, stream_purpose::connectivity, pid, j);
                const std::size_t before = srcs.size();
                const std::uint64_t degree = r.type == K::fixed_total_number ? indegree[j - b] : r.degree;
                if (spatial) {
                    // Each candidate source with p = p0 k(d) > 0 is drawn in source order.
                    for (std::uint32_t i = 0; i < ns; ++i) {
                        if (same && !r.allow_autapses && i == j) continue;
                        const double p = r.kernel.probability(distance(i, j));
                        if (p > 0.0 && (p >= 1.0 || crng.uniform() < p)) srcs.push_back(i);
                    }
                } else {
                    sources_of_target(r, static_cast<std::uint32_t>(j), degree, ns, same, crng, scratch,
                                      [&](std::uint32_t i) { srcs.push_back(i); });
                }
                per_target[j - b] = static_cast<std::uint32_t>(srcs.size() - before);
            }
            check_capacity(srcs.size());
            for (auto i : srcs) ++sh.row_begin[i + 1];
            std::partial_sum(sh.row_begin.begin(), sh.row_begin.end(), sh.row_begin.begin());
            sh.target.resize(srcs.size());
            if (store_weights) sh.weight.resize(srcs.size());
            std::vector<std::uint32_t> cursor(sh.row_begin.begin(), sh.row_begin.end() - 1);
            std::size_t pos = 0;
            for (std::size_t j = b; j < e; ++j) {
                random_stream wrng(config_.seed, stream_purpose::synapse_weight, pid, j);
                random_stream drng(config_.seed, stream_purpose::synapse_delay, pid, j);
                for (std::uint32_t m = 0; m < per_target[j - b]; ++m) {
                    const auto i = srcs[pos++];
                    const auto slot = cursor[i]++;
                    if (store_weights) sh.weight[slot] = static_cast<float>(wdist.draw(wrng));
                    const std::int64_t d =
                        distance_delays
                            ? std::max<std::int64_t>(1, delay_steps(ddist.a + distance(i, j) / r.kernel.velocity, dt))
                            : draw_delay(drng);
                    sh.target[slot] = encode(static_cast<std::uint32_t>(j), d);
                }
            }
        });
    }

    make_runtime_state();
    for (const auto& [k, amount] : pending_modulation_) projections_[k].rule->modulate(0, amount);
    pending_modulation_.clear();

    stats_ = {};
    for (auto& p : populations_) {
        stats_.neurons += p->size();
        stats_.state_bytes += p->memory_bytes();
    }
    for (auto& P : projections_) {
        stats_.synapses += P.synapse_count();
        stats_.synapse_bytes += P.memory_bytes();
        if (P.rule) stats_.plasticity_bytes += P.rule->memory_bytes();
    }
    // Totals of the whole network (each process of a distributed run holds its own targets'
    // synapses); the connectivity memory of this process alone is rank_synapse_bytes.
    stats_.rank_synapse_bytes = stats_.synapse_bytes;
    I.projection_synapses.clear();
    for (auto& P : projections_) I.projection_synapses.push_back(P.synapse_count());
    if (ranks > 1) {
        std::vector<std::uint64_t> totals{stats_.synapses, stats_.synapse_bytes, stats_.plasticity_bytes};
        totals.insert(totals.end(), I.projection_synapses.begin(), I.projection_synapses.end());
        I.comm->sum(totals);
        stats_.synapses = totals[0];
        stats_.synapse_bytes = totals[1];
        stats_.plasticity_bytes = totals[2];
        std::copy(totals.begin() + 3, totals.end(), I.projection_synapses.begin());
    }
    stats_.min_delay_steps = projections_.empty() ? 0 : dmin_all;
    stats_.max_delay_steps = projections_.empty() ? 0 : dmax_all;
    built_ = true;
    stats_.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
}

// Everything a run changes, made as at step 0 from the specifications, on the connectivity that
// build() drew: neuron state and input rings, plastic rule instances and their queues, devices,
// recorders, event-driven bookkeeping, spike buffers and statistics. build() calls it once;
// load_checkpoint() calls it again to load into a network that has run, which is then exactly a
// freshly built network (as Brian2's Network.restore() restores a network in place), without
// drawing the synapses again.
void network::make_runtime_state() {
    auto& I = *state_;
    const double dt = config_.dt_ms;
    const std::size_t S = shards_;
    const std::size_t npop = populations_.size();
    const std::size_t rank = static_cast<std::size_t>(I.comm->rank());
    for (std::size_t q = 0; q < npop; ++q)
        populations_[q]->allocate(I.ring_slots, config_.seed, static_cast<std::uint32_t>(q), I.rank_bounds[q][rank],
                                  I.rank_bounds[q][rank + 1]);

    // Plasticity: each plastic projection gets its own rule instance, made from the prototype in
    // its specification and bound to its rows, and per-shard queues of arrivals by step (plastic
    // spikes are held until they reach the synapse).
    I.pending.assign(projections_.size(), {});
    I.plastic_by_target.assign(npop, {});
    for (std::size_t k = 0; k < projections_.size(); ++k) {
        auto& P = projections_[k];
        if (!P.spec.plasticity) continue;
        P.rule = P.spec.plasticity->clone();
        P.rule->lower(dt, projection_label(P.spec, k));
        P.rule->bind(P, populations_[P.source]->size(), populations_[P.target]->size(), I.bounds[P.target]);
        I.pending[k].assign(S, std::vector<std::vector<std::uint32_t>>(I.ring_slots));
        I.plastic_by_target[P.target].push_back(k);
    }

    I.devices.build(populations_, I.bounds, dt);
    I.recorders.build(*this, populations_, I.bounds, dt);

    {
        detail::engine eng{config_, populations_, projections_, I, shards_};
        detail::setup_event_populations(eng);
    }

    I.outgoing.assign(npop, {});
    for (std::size_t k = 0; k < projections_.size(); ++k) I.outgoing[projections_[k].source].push_back(k);

    I.scratch.assign(S, {});
    for (std::size_t s = 0; s < S; ++s) {
        std::size_t owned = 0;
        for (std::size_t q = 0; q < npop; ++q) owned += I.bounds[q][s + 1] - I.bounds[q][s];
        I.scratch[s].spikes.resize(owned * static_cast<std::size_t>(I.window));
        I.scratch[s].counts.resize(static_cast<std::size_t>(I.window) * npop);
    }
    spike_counts_.assign(npop, 0);
    I.isi.assign(npop, {});
    for (std::size_t q = 0; q < npop; ++q) {
        const std::size_t n = populations_[q]->size();
        I.isi[q].last.assign(n, -1);
        I.isi[q].count.assign(n, 0);
        I.isi[q].sum.assign(n, 0.0);
        I.isi[q].sum_sq.assign(n, 0.0);
    }

    I.spikes.clear();
    I.next_flush = 0;
    step_ = 0;
    synaptic_events_ = 0;
    stopped_early_ = false;
    for (auto& p : populations_) p->steps_event_driven = p->steps_clock_driven = 0;
}

} // namespace lamina::sim
