// The engine side of event-driven populations: mode resolution at build, run start and end,
// delivery and devices that mark the neurons they reach, the per-step lazy update, Poisson input
// drawn in blocks, and the automatic choice between clock and event mode.
#include "event_update.hpp"

#include "lamina/sim/rng.hpp"

#include <cmath>
#include <fmt/format.h>

namespace lamina::sim::detail {

network_state::network_state() = default;
network_state::~network_state() = default;

namespace {

std::string population_label(const population& p) { return "population '" + p.name() + "'"; }

event_view view_of(event_population& ep, std::size_t s) {
    return {{}, &ep.touched[s], &ep.calendars[s]};
}

// Moves the inputs held in the ring of shard s's neurons [b, e) into the input lists (at a run
// start or a switch from clock mode: after a checkpoint load the ring is what holds them) and
// zeroes the ring there. A sum of exactly 0 is not moved: it changes nothing in the update.
void lists_from_rings(population& pop, event_population& ep, std::size_t s, std::size_t b, std::size_t e) {
    const std::size_t R = pop.ring_slots();
    const std::size_t P = pop.ports().size();
    for (std::size_t slot = 0; slot < R; ++slot) {
        auto& list = ep.inputs[s][slot];
        list.clear();
        for (std::size_t p = 0; p < P; ++p) {
            double* in = pop.input(static_cast<std::int64_t>(slot), p);
            for (std::size_t i = b; i < e; ++i)
                if (in[i] != 0.0) {
                    list.push_back({static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(p), in[i]});
                    in[i] = 0.0;
                }
        }
    }
}

// The reverse, at a run end or a switch to clock mode: the lists are added into the (zero) ring
// in their order, which gives the sums the clock kernel's ring would hold.
void rings_from_lists(population& pop, event_population& ep, std::size_t s) {
    const std::size_t R = pop.ring_slots();
    for (std::size_t slot = 0; slot < R; ++slot) {
        auto& list = ep.inputs[s][slot];
        for (const auto& x : list) pop.input(static_cast<std::int64_t>(slot), x.port)[x.neuron] += x.weight;
        list.clear();
    }
}

// The expected fraction of a population's neurons that an event-driven step advances, from the
// inputs that reach it (recurrent spikes times synapses per source neuron, Poisson events) and its
// own spikes, over `steps` steps: 1 - exp(-events per neuron and step) for inputs spread at random.
double expected_update_fraction(const engine& e, std::size_t q, const std::vector<std::uint64_t>& spikes,
                                std::int64_t steps) {
    const auto& pop = *e.populations[q];
    const double n = double(pop.size());
    if (n == 0 || steps <= 0) return 0.0;
    double events = 0.0;
    for (const auto& P : e.projections) {
        if (P.target != q) continue;
        const double ns = double(e.populations[P.source]->size());
        if (ns > 0) events += double(spikes[P.source]) * double(P.synapse_count()) / ns;
    }
    const auto& dev = e.state.devices;
    if (q < dev.poisson_by_pop.size())
        for (std::size_t k : dev.poisson_by_pop[q]) {
            const auto& spec = dev.poisson_specs[k];
            const double targets = spec.neurons.empty() ? n : double(spec.neurons.size());
            const double lambda = spec.rate_hz * e.config.dt_ms * 1e-3;
            events += spec.independent ? lambda * targets * double(steps) : (1.0 - std::exp(-lambda)) * n * double(steps);
        }
    for (std::size_t k : dev.generators_by_pop.size() > q ? dev.generators_by_pop[q] : std::vector<std::size_t>{}) {
        const auto& spec = dev.generator_specs[k];
        events += double(spec.times_ms.size()) * (spec.neurons.empty() ? n : double(spec.neurons.size())) /
                  std::max<double>(1.0, double(e.state.window));
    }
    const double per_step = events / (n * double(steps));
    return 1.0 - std::exp(-per_step) + double(spikes[q]) / (n * double(steps));
}

// Above this fraction of neurons advanced per step, the clock kernel (a vectorised pass over all
// neurons) is cheaper than the lazy update of the touched ones. Measured with
// bench/micro/bench_event_update.cpp (docs/performance.md): on the 100,000-neuron network the
// lazy update cost 0.60-0.69 of the clock mode (Poisson drawn in blocks, as auto draws it) at an
// expected fraction of 0.105 and 1.34-1.75 at 0.41 (two runs), equal near 0.21-0.25; the band
// between the thresholds keeps the choice from flapping and costs at most about 15 % there.
constexpr double clock_above_fraction = 0.22;
constexpr double event_below_fraction = 0.19;
// Steps between decisions (20 ms at dt = 0.1 ms): a dense population leaves event mode early,
// and a switch (O(neurons)) is rare enough to cost nothing measurable.
constexpr std::int64_t decision_steps = 200;

void switch_to_event(engine& e, std::size_t q, std::int64_t first_step) {
    auto& pop = *e.populations[q];
    auto& ep = *e.state.events[q];
    pop.set_event_driven(true);
    pop.event_allocate();
    e.state.parallel_shards(e.shards, [&](std::size_t s) {
        const std::size_t b = e.state.bounds[q][s], end = e.state.bounds[q][s + 1];
        ep.calendars[s].clear();
        ep.touched[s].clear();
        lists_from_rings(pop, ep, s, b, end);
        // The run's constant external currents, summed as the clock path's devices sum them;
        // the neurons whose current is not 0 are advanced every step.
        ep.driven[s].clear();
        if (pop.uses_external_current) {
            double* cur = pop.external_current();
            std::fill(cur + b, cur + end, 0.0);
            for (std::size_t c : e.state.devices.neuron_currents_by_pop[q]) {
                const double* amp = e.state.devices.neuron_currents[c].amplitude.data();
                for (std::size_t i = b; i < end; ++i) cur[i] += amp[i];
            }
            for (std::size_t i = b; i < end; ++i)
                if (cur[i] != 0.0) ep.driven[s].push_back(static_cast<std::uint32_t>(i));
        }
        auto v = view_of(ep, s);
        pop.event_prepare(first_step, b, end, v);
    });
}

// Brings the state arrays and the input ring of event population q up to the end of `last_step`.
void sync_event_population(engine& e, std::size_t q, std::int64_t last_step) {
    auto& pop = *e.populations[q];
    auto& ep = *e.state.events[q];
    e.state.parallel_shards(e.shards, [&](std::size_t s) {
        auto v = view_of(ep, s);
        pop.event_sync(last_step, e.state.bounds[q][s], e.state.bounds[q][s + 1], v);
        rings_from_lists(pop, ep, s);
    });
}

void switch_to_clock(engine& e, std::size_t q, std::int64_t last_step) {
    sync_event_population(e, q, last_step);
    e.populations[q]->set_event_driven(false);
}

} // namespace

std::string event_refusal(const engine& e, std::size_t q) {
    const auto& pop = *e.populations[q];
    if (auto why = pop.event_support(); !why.empty()) return why;
    const auto& dev = e.state.devices;
    if (pop.uses_external_current) {
        if (!pop.event_takes_current())
            return "its model takes no external current in event mode (current_input, neuron_currents and noise "
                   "need clock mode; lif_psc_delta takes neuron_currents)";
        for (const auto& d : dev.current_specs)
            if (d.target == pop.name())
                return "the current input '" + d.name + "' changes its drive over time; event mode takes currents "
                       "that are constant during a run (neuron_currents)";
        for (const auto& d : dev.noise_specs)
            if (d.target == pop.name())
                return "the noise current '" + d.name + "' changes its drive every step; event mode takes currents "
                       "that are constant during a run (neuron_currents)";
    }
    for (const auto& d : dev.poisson_specs)
        if (d.target == pop.name() && !d.constant_shared_rate())
            return "the Poisson input '" + d.name + "' has a time-varying or per-neuron rate; event mode takes only "
                   "constant rates shared by all targets";
    return {};
}

void setup_event_populations(engine& e) {
    auto& st = e.state;
    const std::size_t npop = e.populations.size();
    st.events.clear();
    st.events.resize(npop);
    for (std::size_t q = 0; q < npop; ++q) {
        auto& pop = *e.populations[q];
        pop.set_event_driven(false);
        if (pop.requested_update == update_mode::clock) continue;
        const std::string why = event_refusal(e, q);
        if (!why.empty()) {
            if (pop.requested_update == update_mode::event)
                throw parameter_error(population_label(pop), "update", "cannot be \"event\": " + why);
            continue;
        }
        auto ep = std::make_unique<event_population>();
        ep->inputs.assign(e.shards, std::vector<std::vector<event_input>>(pop.ring_slots()));
        ep->touched.assign(e.shards, {});
        ep->staged.assign(e.shards, {});
        ep->driven.assign(e.shards, {});
        ep->calendars.assign(e.shards, step_calendar{});
        ep->updates.assign(e.shards, 0);
        st.events[q] = std::move(ep);
        // `auto` starts event-driven when its Poisson input alone leaves most neurons idle; `event`
        // with the dense path unless its Poisson input alone touches most neurons every step.
        const std::vector<std::uint64_t> no_spikes(npop, 0);
        const double f = expected_update_fraction(e, q, no_spikes, 1);
        if (pop.requested_update == update_mode::event)
            pop.set_event_driven(!(pop.event_dense_path && pop.event_matches_clock()) || f < clock_above_fraction);
        else
            pop.set_event_driven(f < event_below_fraction);
    }
    st.automatic = std::make_unique<auto_choice>();
}

void begin_run(engine& e, std::int64_t first_step) {
    auto& st = e.state;
    // Poisson devices drawn per block: (re)made from their current runtime (rates may have changed).
    st.poisson_blocks.resize(st.devices.poisson.size());
    for (std::size_t k = 0; k < st.devices.poisson.size(); ++k) {
        const auto& D = st.devices.poisson[k];
        if (!(D.in_blocks && D.independent)) {
            st.poisson_blocks[k].reset();
            continue;
        }
        if (!st.poisson_blocks[k]) {
            st.poisson_blocks[k] = std::make_unique<poisson_block_state>();
            st.poisson_blocks[k]->buckets.assign(e.shards, std::vector<std::vector<std::uint32_t>>(poisson_block_steps));
        }
        auto& B = *st.poisson_blocks[k];
        B.block_table.init(st.devices.poisson_specs[k].rate_hz * e.config.dt_ms * 1e-3 * double(poisson_block_steps));
        B.drawn.assign(e.shards, -1);
    }
    for (std::size_t q = 0; q < e.populations.size(); ++q) {
        auto& pop = *e.populations[q];
        if (st.events.size() > q && st.events[q] && pop.event_driven()) {
            if (!event_refusal(e, q).empty()) {
                if (pop.requested_update == update_mode::event)
                    throw error(population_label(pop) + " runs event-driven (update = \"event\"), but " +
                                event_refusal(e, q));
                pop.set_event_driven(false);
            } else {
                switch_to_event(e, q, first_step);
                continue;
            }
        }
        st.parallel_shards(e.shards, [&](std::size_t s) { pop.reconcile(st.bounds[q][s], st.bounds[q][s + 1]); });
    }
    // The activity measure runs on across runs (no spikes happen between them) unless the step
    // went back (a checkpoint of an earlier time was loaded).
    if (st.automatic && first_step < st.automatic->since) st.automatic->spikes_at_decision.clear();
}

void end_run(engine& e, std::int64_t last_step) {
    auto& st = e.state;
    for (std::size_t q = 0; q < e.populations.size(); ++q)
        if (st.events.size() > q && st.events[q] && e.populations[q]->event_driven()) sync_event_population(e, q, last_step);
}

std::uint64_t deliver_to_event_population(engine& e, const projection& P, std::size_t s,
                                          const window_spikes::segment& seg) {
    const auto& sh = P.shards[s];
    auto& tp = *e.populations[P.target];
    auto& ep = *e.state.events[P.target];
    const std::size_t R = tp.ring_slots();
    const std::uint32_t* rows = sh.row_begin.data();
    const std::uint32_t* tgt = sh.target.data();
    const float* w = P.homogeneous_weight ? nullptr : sh.weight.data();
    const auto port = static_cast<std::uint32_t>(P.port);
    const auto& merged = e.state.spikes.neurons;
    const std::int64_t arrival = seg.step + P.delay_min;
    std::uint64_t events = 0;
    if (P.constant_delay()) {
        auto& list = ep.at(s, arrival, R);
        for (std::uint32_t m = seg.begin; m < seg.end; ++m) events += rows[merged[m] + 1] - rows[merged[m]];
        list.reserve(list.size() + events);
        for (std::uint32_t m = seg.begin; m < seg.end; ++m) {
            const std::uint32_t src = merged[m];
            const std::uint32_t rb = rows[src], re = rows[src + 1];
            if (w)
                for (std::uint32_t x = rb; x < re; ++x) list.push_back({tgt[x], port, static_cast<double>(w[x])});
            else
                for (std::uint32_t x = rb; x < re; ++x) list.push_back({tgt[x], port, static_cast<double>(P.weight_value)});
        }
        return events;
    }
    const std::uint32_t mask = (1u << P.target_bits) - 1u;
    for (std::uint32_t m = seg.begin; m < seg.end; ++m) {
        const std::uint32_t src = merged[m];
        const std::uint32_t rb = rows[src], re = rows[src + 1];
        events += re - rb;
        for (std::uint32_t x = rb; x < re; ++x) {
            const std::int64_t step = arrival + (tgt[x] >> P.target_bits);
            ep.at(s, step, R).push_back(
                {tgt[x] & mask, port, w ? static_cast<double>(w[x]) : static_cast<double>(P.weight_value)});
        }
    }
    return events;
}

void apply_poisson_blocks(engine& e, std::size_t k, std::size_t s, std::int64_t n, std::vector<event_input>* inputs) {
    auto& st = e.state;
    const auto& D = st.devices.poisson[k];
    if (n < D.start || n >= D.stop || D.table.empty()) return;
    auto& B = *st.poisson_blocks[k];
    const std::int64_t block = n / poisson_block_steps;
    const std::int64_t first = block * poisson_block_steps;
    auto& buckets = B.buckets[s];
    if (B.drawn[s] != block) {
        for (auto& b : buckets) b.clear();
        B.drawn[s] = block;
        const auto& T = D.targets[s];
        auto draw = [&](std::uint32_t i) {
            random_stream rng(e.config.seed, stream_purpose::device, D.id | (1u << 23),
                              (static_cast<std::uint64_t>(block) << 32) | i);
            const unsigned count = B.block_table.draw(rng.next_u32());
            for (unsigned c = 0; c < count; ++c) {
                const auto offset = static_cast<std::int64_t>((std::uint64_t(rng.next_u32()) * poisson_block_steps) >> 32);
                const std::int64_t step = first + offset;
                // Events before the step this block is drawn in belong to an earlier run.
                if (step < n || step < D.start || step >= D.stop) continue;
                buckets[static_cast<std::size_t>(offset)].push_back(i);
            }
        };
        if (T.is_range)
            for (std::size_t i = T.begin; i < T.end; ++i) draw(static_cast<std::uint32_t>(i));
        else
            for (auto i : T.list) draw(i);
    }
    auto& bucket = buckets[static_cast<std::size_t>(n - first)];
    if (bucket.empty()) return;
    if (inputs) {
        const auto port = static_cast<std::uint32_t>(D.port);
        for (std::uint32_t i : bucket) inputs->push_back({i, port, D.weight});
    } else {
        double* in = e.populations[D.pop]->input(n, D.port);
        for (std::uint32_t i : bucket) in[i] += D.weight;
    }
    bucket.clear();
}

void advance_event_population(engine& e, std::size_t q, std::size_t s, std::int64_t n, spike_sink& sink) {
    auto& st = e.state;
    auto& pop = *e.populations[q];
    auto& ep = *st.events[q];
    const std::size_t R = pop.ring_slots();
    const std::size_t b = st.bounds[q][s], end = st.bounds[q][s + 1];
    const auto& dev = st.devices;
    auto& now = ep.at(s, n, R);
    for (std::size_t k : dev.poisson_by_pop[q]) {
        const auto& D = dev.poisson[k];
        if (D.independent) {
            apply_poisson_blocks(e, k, s, n, &now);
            continue;
        }
        // One train shared by all targets: the clock path's draw, an input for every target.
        if (n < D.start || n >= D.stop || D.table.empty()) continue;
        const auto blk = philox_block(e.config.seed, stream_purpose::device, D.id, 0xFFFFFFFFu, static_cast<std::uint64_t>(n));
        const double add = D.weight * D.table.draw(blk.v[0]);
        if (add == 0.0) continue;
        const auto port = static_cast<std::uint32_t>(D.port);
        const auto& T = D.targets[s];
        if (T.is_range)
            for (std::size_t i = T.begin; i < T.end; ++i) now.push_back({static_cast<std::uint32_t>(i), port, add});
        else
            for (auto i : T.list) now.push_back({i, port, add});
    }
    for (std::size_t g : dev.generators_by_pop[q]) {
        const auto& G = dev.generators[g];
        auto [lo, hi] = std::equal_range(G.steps.begin(), G.steps.end(), n);
        if (lo == hi) continue;
        const double add = G.weight * double(hi - lo);
        auto& list = ep.at(s, n + G.delay, R);
        const auto port = static_cast<std::uint32_t>(G.port);
        const auto& T = G.targets[s];
        if (T.is_range)
            for (std::size_t i = T.begin; i < T.end; ++i) list.push_back({static_cast<std::uint32_t>(i), port, add});
        else
            for (auto i : T.list) list.push_back({i, port, add});
    }
    auto v = view_of(ep, s);
    v.inputs = now;
    pop.event_gather(n, v);
    // Plastic arrivals, after the static and device inputs as in clock mode: the rule adds into a
    // dense slot of the (otherwise zero) ring, staged with the sums so far of the neurons its
    // queued sources reach, so that each neuron's sum is formed in the clock kernel's order.
    for (std::size_t j : st.plastic_by_target[q]) {
        auto& P = e.projections[j];
        auto& queue = st.pending[j][s][static_cast<std::size_t>(n) % R];
        if (!queue.empty()) {
            const auto& sh = P.shards[s];
            const std::uint32_t mask = P.target_bits >= 32 ? ~0u : (1u << P.target_bits) - 1u;
            auto& staged = ep.staged[s];
            staged.clear();
            for (std::uint32_t src : queue)
                for (std::uint32_t x = sh.row_begin[src]; x < sh.row_begin[src + 1]; ++x) staged.push_back(sh.target[x] & mask);
            double* slot = pop.input(n, P.port);
            pop.event_stage(n, P.port, staged, slot, v);
            P.rule->on_arrivals(s, n, queue, slot);
            pop.event_unstage(P.port, staged, slot);
            queue.clear();
        }
        const std::int64_t every = P.rule->dynamics_interval();
        if (P.plasticity_enabled && every > 0 && (n + 1) % every == 0) P.rule->advance_dynamics(s, n + 1);
    }
    if (!ep.driven[s].empty()) {
        v.driven = true;
        pop.event_drive(n, ep.driven[s], v);
    }
    const std::size_t first_spike = sink.count;
    pop.event_advance(n, b, end, v, sink);
    now.clear();
    ep.updates[s] += v.updates;
    if (sink.count > first_spike)
        for (std::size_t j : st.plastic_by_target[q])
            if (e.projections[j].plasticity_enabled)
                e.projections[j].rule->on_post_spikes(s, n, {sink.data + first_spike, sink.count - first_spike});
    // State and signal recorders sample every neuron of the shard: bring them up to date first.
    bool sampling = false;
    for (std::size_t r : st.recorders.states_by_pop[q]) sampling = sampling || (n + 1) % st.recorders.states[r].interval == 0;
    for (std::size_t r : st.recorders.signals_by_pop[q]) sampling = sampling || (n + 1) % st.recorders.signals[r].interval == 0;
    if (sampling) {
        pop.event_sync(n, b, end, v);
        st.recorders.sample(pop, q, s, n, b, end);
    }
}

void choose_update_modes(engine& e, std::int64_t step, const std::vector<std::uint64_t>& spike_counts) {
    auto& st = e.state;
    if (!st.automatic) return;
    auto& A = *st.automatic;
    bool fresh = A.spikes_at_decision.size() != spike_counts.size();
    for (std::size_t q = 0; !fresh && q < spike_counts.size(); ++q) fresh = spike_counts[q] < A.spikes_at_decision[q];
    if (fresh) {
        A.spikes_at_decision = spike_counts;
        A.since = step;
        return;
    }
    if (step - A.since < decision_steps) return;
    std::vector<std::uint64_t> spikes(spike_counts.size());
    for (std::size_t q = 0; q < spikes.size(); ++q) spikes[q] = spike_counts[q] - A.spikes_at_decision[q];
    for (std::size_t q = 0; q < e.populations.size(); ++q) {
        auto& pop = *e.populations[q];
        // `event` populations whose lazy update is bitwise the clock kernel's take the clock kernel
        // while most neurons are touched every step (the dense path; W3 is such a case).
        const bool chooses = pop.requested_update == update_mode::automatic ||
                             (pop.requested_update == update_mode::event && pop.event_dense_path && pop.event_matches_clock());
        if (!chooses || !st.events[q]) continue;
        const double f = expected_update_fraction(e, q, spikes, step - A.since);
        if (pop.event_driven() && f > clock_above_fraction)
            switch_to_clock(e, q, step - 1);
        else if (!pop.event_driven() && f < event_below_fraction)
            switch_to_event(e, q, step);
    }
    A.spikes_at_decision = spike_counts;
    A.since = step;
}

} // namespace lamina::sim::detail
