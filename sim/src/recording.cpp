// The recording phase: recorders take each window's data, keep it in memory within a budget or
// hand it to a sink. State and signal recorders sample during the update phase (sample()); spike,
// rate and weight recorders read the exchanged spikes and the weights after it.
#include "network_state.hpp"

#include "signal_block_sums.hpp"

#include <algorithm>
#include <numeric>
#include <span>

namespace lamina::sim::detail {

void recorder_set::build(const network& net, const std::vector<std::unique_ptr<population>>& pops,
                         const std::vector<std::vector<std::size_t>>& bounds, double dt) {
    const std::size_t npop = pops.size();
    const std::size_t S = bounds.empty() ? 1 : bounds[0].size() - 1;
    // Made afresh (a checkpoint loaded into a network that ran remakes the runtime).
    spikes.clear();
    states.clear();
    rates.clear();
    weights.clear();
    signals.clear();
    recording_bytes = 0;
    truncated = false;
    states_by_pop.assign(npop, {});
    signals_by_pop.assign(npop, {});
    for (const auto& r : spike_specs) {
        spike_rec_rt rt;
        rt.pop = resolve_population(pops, r.population, "", "");
        if (!r.neurons.empty()) {
            rt.selected.assign(pops[rt.pop]->size(), 0);
            for (auto i : r.neurons) rt.selected[i] = 1;
        }
        spikes.push_back(std::move(rt));
    }
    for (const auto& r : state_specs) {
        state_rec_rt rt;
        rt.pop = resolve_population(pops, r.population, "", "");
        for (const auto& v : r.variables) rt.vars.push_back(*pops[rt.pop]->state_index(v));
        rt.interval = std::max<std::int64_t>(1, std::llround(r.interval_ms / dt));
        rt.columns.assign(S, {});
        std::vector<std::uint32_t> neurons = r.neurons;
        if (neurons.empty()) {
            neurons.resize(pops[rt.pop]->size());
            std::iota(neurons.begin(), neurons.end(), 0u);
        }
        for (std::size_t c = 0; c < neurons.size(); ++c)
            for (std::size_t s = 0; s < S; ++s)
                if (neurons[c] >= bounds[rt.pop][s] && neurons[c] < bounds[rt.pop][s + 1])
                    rt.columns[s].push_back({c, neurons[c]});
        rt.data.neurons = neurons;
        rt.data.variables = r.variables;
        states_by_pop[rt.pop].push_back(states.size());
        states.push_back(std::move(rt));
    }
    for (const auto& r : weight_specs) {
        weight_rec_rt rt;
        rt.projection = net.projection_index(r.projection);
        rt.interval = std::max<std::int64_t>(1, std::llround(r.interval_ms / dt));
        rt.next = rt.interval;
        weights.push_back(std::move(rt));
    }
    for (const auto& r : signal_specs) {
        signal_rec_rt rt;
        rt.pop = resolve_population(pops, r.population, "", "");
        const auto& pop = *pops[rt.pop];
        rt.interval = std::max<std::int64_t>(1, std::llround(r.interval_ms / dt));
        for (const auto& t : r.terms)
            rt.terms.push_back({*pop.state_index(t.variable),
                                t.times.empty() ? std::ptrdiff_t(-1) : std::ptrdiff_t(*pop.state_index(t.times)),
                                t.offset, t.coefficient, t.absolute,
                                static_cast<std::size_t>(std::llround(t.delay_ms / (double(rt.interval) * dt)))});
        rt.blocks = (pop.size() + 63) / 64;
        rt.history.assign(rt.terms.size(), {});
        rt.scale = r.mean ? 1.0 / double(pop.size()) : 1.0;
        signals_by_pop[rt.pop].push_back(signals.size());
        signals.push_back(std::move(rt));
    }
    for (const auto& r : rate_specs) {
        rate_rec_rt rt;
        rt.pop = resolve_population(pops, r.population, "", "");
        rt.bin = std::max<std::int64_t>(1, std::llround(r.bin_ms / dt));
        rt.data.bin_ms = double(rt.bin) * dt;
        rates.push_back(std::move(rt));
    }
}

void recorder_set::begin_window(std::int64_t t0, std::int64_t W) {
    // Samples are taken at the end of steps n with (n + 1) % interval == 0.
    for (auto& R : states) {
        const std::int64_t first = ((t0 + 1 + R.interval - 1) / R.interval) * R.interval;
        R.first_row_step = first;
        R.window_rows = first <= t0 + W ? static_cast<std::size_t>((t0 + W - first) / R.interval + 1) : 0;
        R.window_values.assign(R.window_rows * R.data.neurons.size() * R.vars.size(), 0.0);
    }
    for (auto& R : signals) {
        const std::int64_t first = ((t0 + 1 + R.interval - 1) / R.interval) * R.interval;
        R.first_row_step = first;
        R.window_rows = first <= t0 + W ? static_cast<std::size_t>((t0 + W - first) / R.interval + 1) : 0;
        R.partial.assign(R.window_rows * R.terms.size() * R.blocks, 0.0);
    }
}

void recorder_set::sample(const population& pop, std::size_t q, std::size_t s, std::int64_t n, std::size_t b,
                          std::size_t e) {
    for (std::size_t r : signals_by_pop[q]) {
        auto& R = signals[r];
        if ((n + 1) % R.interval != 0) continue;
        const std::size_t row = static_cast<std::size_t>((n + 1 - R.first_row_step) / R.interval);
        const std::size_t nt = R.terms.size();
        for (std::size_t k = 0; k < nt; ++k) {
            const auto& T = R.terms[k];
            const double* a = pop.state(T.a);
            const double* bv = T.b >= 0 ? pop.state(static_cast<std::size_t>(T.b)) : nullptr;
            double* out = R.partial.data() + (row * nt + k) * R.blocks;
            signal_block_sums(a, bv, T.offset, T.absolute, b, e, out);
        }
    }
    for (std::size_t r : states_by_pop[q]) {
        auto& R = states[r];
        if ((n + 1) % R.interval != 0) continue;
        const std::size_t row = static_cast<std::size_t>((n + 1 - R.first_row_step) / R.interval);
        const std::size_t width = R.data.neurons.size() * R.vars.size();
        double* out = R.window_values.data() + row * width;
        for (const auto& [col, i] : R.columns[s])
            for (std::size_t v = 0; v < R.vars.size(); ++v) out[col * R.vars.size() + v] = pop.state(R.vars[v])[i];
    }
}

namespace {

template <class T>
std::span<const char> bytes_of(const std::vector<T>& v) {
    return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)};
}
template <class T>
const T* values_of(const std::vector<char>& b) {
    return reinterpret_cast<const T*>(b.data());
}

// The process owning neuron i of a population: rank_bounds are ascending.
std::size_t owner_of(const std::vector<std::size_t>& rank_bounds, std::size_t i) {
    return static_cast<std::size_t>(std::upper_bound(rank_bounds.begin(), rank_bounds.end(), i) - rank_bounds.begin() - 1);
}

// A distributed run: state samples gathered at rank 0, each neuron's column from its owner.
void gather_state_columns(engine& e, recorder_set::state_rec_rt& R) {
    auto all = e.state.comm->gather(bytes_of(R.window_values));
    if (all.empty()) return;
    const auto& rb = e.state.rank_bounds[R.pop];
    const std::size_t nv = R.vars.size(), width = R.data.neurons.size() * nv;
    for (std::size_t c = 0; c < R.data.neurons.size(); ++c) {
        const double* from = values_of<double>(all[owner_of(rb, R.data.neurons[c])]);
        for (std::size_t row = 0; row < R.window_rows; ++row)
            for (std::size_t v = 0; v < nv; ++v) R.window_values[row * width + c * nv + v] = from[row * width + c * nv + v];
    }
}

// A distributed run: the 64-neuron block sums of a signal at rank 0, each block from its owner
// (rank boundaries are multiples of 64, so a block has one owner and the same bits as in one
// process).
void gather_signal_blocks(engine& e, recorder_set::signal_rec_rt& R) {
    auto all = e.state.comm->gather(bytes_of(R.partial));
    if (all.empty()) return;
    const auto& rb = e.state.rank_bounds[R.pop];
    const std::size_t rows_terms = R.window_rows * R.terms.size();
    for (std::size_t r = 0; r + 1 < rb.size(); ++r) {
        const double* from = values_of<double>(all[r]);
        const std::size_t b0 = rb[r] / 64, b1 = (rb[r + 1] + 63) / 64;
        for (std::size_t x = 0; x < rows_terms; ++x)
            for (std::size_t blk = b0; blk < b1; ++blk) R.partial[x * R.blocks + blk] = from[x * R.blocks + blk];
    }
}

// Weights of projection k in canonical order (by source, then target): in a distributed run each
// process holds the synapses of its targets, which are ascending by rank, so the canonical list
// is, source by source, rank 0's row, rank 1's row, ...; complete at rank 0 only.
std::vector<float> canonical_weights(engine& e, const network& net, std::size_t k) {
    auto local = net.weights(k);
    if (e.state.comm->size() == 1) return local;
    const auto& P = e.projections[k];
    const std::size_t ns = e.populations[P.source]->size();
    std::vector<std::uint32_t> row(ns, 0);
    for (const auto& sh : P.shards)
        for (std::size_t i = 0; i < ns; ++i) row[i] += sh.row_begin[i + 1] - sh.row_begin[i];
    auto rows = e.state.comm->gather(bytes_of(row));
    auto weights = e.state.comm->gather(bytes_of(local));
    if (rows.empty()) return {};
    std::vector<float> out;
    out.reserve(net.projection_synapse_count(k));
    std::vector<const float*> cursor;
    for (const auto& w : weights) cursor.push_back(values_of<float>(w));
    for (std::size_t i = 0; i < ns; ++i)
        for (std::size_t r = 0; r < rows.size(); ++r) {
            const std::uint32_t c = values_of<std::uint32_t>(rows[r])[i];
            out.insert(out.end(), cursor[r], cursor[r] + c);
            cursor[r] += c;
        }
    return out;
}

} // namespace

void record_window(engine& e, const network& net, recording_sink* sink, std::int64_t step, std::size_t limit,
                   const std::function<void()>& flush) {
    auto& Rs = e.state.recorders;
    const auto& spikes = e.state.spikes;
    const double dt = e.config.dt_ms;
    // A distributed run records at rank 0: the others take part in its gathers and keep nothing.
    const bool distributed = e.state.comm->size() > 1;
    const bool root = e.state.comm->rank() == 0;
    // Once the budget is exhausted, recording stops for good, so what was kept is a prefix.
    auto budget = [&](std::size_t bytes) {
        if (sink) return true;
        if (Rs.truncated || Rs.recording_bytes + bytes > limit) {
            Rs.truncated = true;
            return false;
        }
        Rs.recording_bytes += bytes;
        return true;
    };
    for (std::size_t r = 0; r < Rs.spikes.size() && root; ++r) {
        auto& R = Rs.spikes[r];
        spike_record chunk;
        for (const auto& seg : spikes.segments) {
            if (seg.population != R.pop) continue;
            const double t = double(seg.step + 1) * dt;
            for (std::uint32_t m = seg.begin; m < seg.end; ++m) {
                const auto i = spikes.neurons[m];
                if (!R.selected.empty() && !R.selected[i]) continue;
                // Precise spike times: the offset before the end of the step (precise_model.hpp).
                chunk.times_ms.push_back(spikes.offsets.empty() ? t : t - spikes.offsets[m]);
                chunk.neurons.push_back(i);
            }
        }
        if (chunk.times_ms.empty()) continue;
        if (sink) {
            sink->spikes(Rs.spike_specs[r].name, chunk.times_ms, chunk.neurons);
        } else if (budget(chunk.times_ms.size() * 12)) {
            R.data.times_ms.insert(R.data.times_ms.end(), chunk.times_ms.begin(), chunk.times_ms.end());
            R.data.neurons.insert(R.data.neurons.end(), chunk.neurons.begin(), chunk.neurons.end());
        }
    }
    for (std::size_t r = 0; r < Rs.states.size(); ++r) {
        auto& R = Rs.states[r];
        if (R.window_rows == 0) continue;
        if (distributed) gather_state_columns(e, R);
        if (!root) continue;
        std::vector<double> times(R.window_rows);
        for (std::size_t row = 0; row < R.window_rows; ++row)
            times[row] = double(R.first_row_step + std::int64_t(row) * R.interval) * dt;
        if (sink) {
            sink->samples(Rs.state_specs[r].name, times, R.window_values);
        } else if (budget(R.window_values.size() * 8 + times.size() * 8)) {
            R.data.times_ms.insert(R.data.times_ms.end(), times.begin(), times.end());
            R.data.values.insert(R.data.values.end(), R.window_values.begin(), R.window_values.end());
        }
    }
    for (std::size_t r = 0; r < Rs.signals.size(); ++r) {
        auto& R = Rs.signals[r];
        if (R.window_rows == 0) continue;
        if (distributed) gather_signal_blocks(e, R);
        if (!root) continue;
        std::vector<double> times(R.window_rows), values(R.window_rows);
        const std::size_t nt = R.terms.size();
        for (std::size_t row = 0; row < R.window_rows; ++row) {
            times[row] = double(R.first_row_step + std::int64_t(row) * R.interval) * dt;
            double v = 0.0;
            for (std::size_t k = 0; k < nt; ++k) {
                const double* part = R.partial.data() + (row * nt + k) * R.blocks;
                double sum = 0.0;
                for (std::size_t blk = 0; blk < R.blocks; ++blk) sum += part[blk];
                // A delayed term enters with its sum of `delay` samples ago (0 before that).
                auto& h = R.history[k];
                const auto& T = R.terms[k];
                h.push_back(sum);
                const double delayed = h.size() > T.delay ? h[h.size() - 1 - T.delay] : 0.0;
                if (h.size() > T.delay + 1) h.erase(h.begin());
                v += T.coefficient * delayed;
            }
            values[row] = v * R.scale;
        }
        if (sink) {
            sink->signals(Rs.signal_specs[r].name, times, values);
        } else if (budget(values.size() * 16)) {
            R.data.times_ms.insert(R.data.times_ms.end(), times.begin(), times.end());
            R.data.values.insert(R.data.values.end(), values.begin(), values.end());
        }
    }
    // Deferred plasticity is flushed only before a weight sample (readers of weights flush
    // themselves; full spike histories flush on their own).
    bool sample_due = false;
    for (const auto& R : Rs.weights) sample_due = sample_due || step >= R.next;
    if (sample_due) flush();
    for (std::size_t r = 0; r < Rs.weights.size(); ++r) {
        auto& R = Rs.weights[r];
        // Only at the end of a window of the fixed grid: a run that ends inside a window must
        // not move a sample, or chained runs would record other samples than one run.
        if (step < R.next || step % e.state.window != 0) continue;
        R.next = (step / R.interval + 1) * R.interval;
        const auto w = canonical_weights(e, net, R.projection);
        if (!root) continue;
        const double t = double(step) * dt;
        if (sink) {
            sink->weights(Rs.weight_specs[r].name, t, w);
        } else if (budget(w.size() * 4 + 8)) {
            R.data.synapses = w.size();
            R.data.times_ms.push_back(t);
            R.data.values.insert(R.data.values.end(), w.begin(), w.end());
        }
    }
    for (std::size_t r = 0; r < Rs.rates.size() && root; ++r) {
        auto& R = Rs.rates[r];
        for (const auto& seg : spikes.segments) {
            if (seg.population != R.pop) continue;
            const std::size_t idx = static_cast<std::size_t>(seg.step / R.bin - R.next_bin);
            if (R.counts.size() <= idx) R.counts.resize(idx + 1, 0);
            R.counts[idx] += seg.end - seg.begin;
        }
        const std::int64_t complete = step / R.bin;  // bins [0, complete) have ended
        if (complete <= R.next_bin) continue;
        const auto nb = static_cast<std::size_t>(complete - R.next_bin);
        if (R.counts.size() < nb) R.counts.resize(nb, 0);
        const double norm = 1000.0 / (double(e.populations[R.pop]->size()) * double(R.bin) * dt);
        std::vector<double> starts(nb), rates(nb);
        for (std::size_t b = 0; b < nb; ++b) {
            starts[b] = double(R.next_bin + std::int64_t(b)) * double(R.bin) * dt;
            rates[b] = double(R.counts[b]) * norm;
        }
        R.counts.erase(R.counts.begin(), R.counts.begin() + static_cast<std::ptrdiff_t>(nb));
        R.next_bin = complete;
        if (sink) {
            sink->rates(Rs.rate_specs[r].name, starts, rates);
        } else if (budget(nb * 16)) {
            R.data.bin_start_ms.insert(R.data.bin_start_ms.end(), starts.begin(), starts.end());
            R.data.rate_hz.insert(R.data.rate_hz.end(), rates.begin(), rates.end());
        }
    }
}

} // namespace lamina::sim::detail
