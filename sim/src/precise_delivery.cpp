// Delivery to and update of populations with precise spike times (precise_delivery.hpp).
//
// A spike of step n with offset o (precise_model.hpp) that travels a synapse of d steps arrives in
// step n + d at time h - o from that step's start. Each shard keeps, per ring slot, the list of
// inputs arriving in that step at its own neurons, in delivery order; the update sorts a slot's
// list by (neuron, time, delivery order) and hands each neuron its inputs. Delivery order is
// canonical for each neuron (windows in time, segments in (step, population, neuron) order,
// projections, synapses), so the sort, every sum and every spike are the same for any thread
// count. Devices (Poisson input, spike generators) keep writing the input ring: their input acts at
// the end of the step, as in clock mode, and the model reads it there.
#include "precise_delivery.hpp"

#include "lamina/sim/checkpoint.hpp"

#include <algorithm>
#include <cmath>

namespace lamina::sim::detail {

namespace {

std::string label(const population& p) { return "population '" + p.name() + "'"; }

} // namespace

void check_precise(const population& pop, const std::vector<projection>& projections) {
    if (!pop.precise) return;
    const std::string why = pop.precise_support();
    if (!why.empty()) throw parameter_error(label(pop), "precise", "cannot be true: " + why);
    if (pop.requested_update != update_mode::clock)
        throw parameter_error(label(pop), "precise",
                              "cannot be combined with update = \"" + std::string(update_mode_name(pop.requested_update)) +
                                  "\": precise spike times are computed step by step (use update = \"clock\")");
    for (std::size_t k = 0; k < projections.size(); ++k) {
        const auto& spec = projections[k].spec;
        if (spec.target == pop.name() && spec.plasticity)
            throw parameter_error(label(pop), "precise",
                                  "cannot be true: " + projection_label(spec, k) +
                                      " onto it is plastic, and plastic projections deliver on the grid only");
    }
}

void refuse_distributed_precise_checkpoint(const std::vector<std::unique_ptr<population>>& pops, const std::string& path,
                                           int ranks) {
    if (ranks <= 1) return;
    for (const auto& p : pops)
        if (p->precise)
            throw checkpoint_error(path + ": " + label(*p) +
                                   " has precise spike times (precise = true); checkpoints of distributed runs do not "
                                   "hold their state yet (a single process does)");
}

namespace {

// The inputs in flight of precise population q, each with its arrival step, in (arrival step,
// neuron, time, delivery order) order: per neuron the order of precise_before, which the update
// sorts by.
struct input_in_flight {
    std::int64_t step;
    precise_input in;
};

std::vector<input_in_flight> inputs_in_flight(const engine& e, std::size_t q, std::int64_t now) {
    const auto& pp = *e.state.precise[q];
    std::vector<input_in_flight> all;
    for (const auto& shard : pp.inputs) {
        const auto R = static_cast<std::int64_t>(shard.size());
        for (std::int64_t r = 0; r < R; ++r)
            for (const auto& in : shard[static_cast<std::size_t>(r)]) {
                // Slot r holds the arrivals of the one step n in [now, now + R) with n % R == r.
                const std::int64_t step = now + ((r - now % R) + R) % R;
                all.push_back({step, in});
            }
    }
    std::sort(all.begin(), all.end(), [](const input_in_flight& a, const input_in_flight& b) {
        if (a.step != b.step) return a.step < b.step;
        return precise_before(a.in, b.in);
    });
    return all;
}

} // namespace

void save_precise_state(const engine& e, std::size_t q, std::int64_t step, state_block& b) {
    const auto& pp = *e.state.precise[q];
    b.f64["precise_release"] = pp.release;
    const auto all = inputs_in_flight(e, q, step);
    auto& steps = b.i64["precise_input_step"];
    auto& neuron = b.i64["precise_input_neuron"];
    auto& port = b.i64["precise_input_port"];
    auto& time = b.f64["precise_input_time"];
    auto& weight = b.f64["precise_input_weight"];
    for (const auto& x : all) {
        steps.push_back(x.step);
        neuron.push_back(x.in.neuron);
        port.push_back(x.in.port);
        time.push_back(x.in.time);
        weight.push_back(x.in.weight);
    }
}

void check_precise_state(const engine& e, std::size_t q, const state_block& b, std::int64_t step, const std::string& owner) {
    const auto& pop = *e.populations[q];
    const std::size_t n = pop.size();
    const auto& release = b.doubles(owner, "precise_release", n);
    for (double r : release)
        if (!(r >= 0.0 && r <= e.config.dt_ms)) throw checkpoint_error(owner + ": 'precise_release' outside [0, dt]");
    const auto& steps = b.integers(owner, "precise_input_step", state_block::any_size);
    const std::size_t m = steps.size();
    const auto& neurons = b.integers(owner, "precise_input_neuron", m);
    const auto& ports = b.integers(owner, "precise_input_port", m);
    const auto& times = b.doubles(owner, "precise_input_time", m);
    const auto& weights = b.doubles(owner, "precise_input_weight", m);
    const auto R = static_cast<std::int64_t>(pop.ring_slots());
    for (std::size_t k = 0; k < m; ++k) {
        if (steps[k] < step || steps[k] >= step + R || (k > 0 && steps[k] < steps[k - 1]))
            throw checkpoint_error(owner + ": a precise input in flight arrives outside the next " + std::to_string(R) +
                                   " steps, or out of order");
        if (neurons[k] < 0 || std::size_t(neurons[k]) >= n || ports[k] < 0 || std::size_t(ports[k]) >= pop.ports().size())
            throw checkpoint_error(owner + ": a precise input in flight to a neuron or port outside the population");
        if (!(times[k] >= 0.0 && times[k] <= e.config.dt_ms) || !std::isfinite(weights[k]))
            throw checkpoint_error(owner + ": a precise input in flight with a time outside its step or a weight that "
                                           "is not finite");
    }
}

void load_precise_state(engine& e, std::size_t q, const state_block& b, const std::string& owner) {
    auto& pp = *e.state.precise[q];
    pp.release = b.doubles(owner, "precise_release", pp.release.size());
    const auto& steps = b.integers(owner, "precise_input_step", state_block::any_size);
    const auto& neurons = b.integers(owner, "precise_input_neuron", steps.size());
    const auto& ports = b.integers(owner, "precise_input_port", steps.size());
    const auto& times = b.doubles(owner, "precise_input_time", steps.size());
    const auto& weights = b.doubles(owner, "precise_input_weight", steps.size());
    const auto& bounds = e.state.bounds[q];
    // Loaded inputs keep their order per neuron and come before every later delivery, as they did.
    for (std::size_t k = 0; k < steps.size(); ++k) {
        const auto i = static_cast<std::size_t>(neurons[k]);
        const std::size_t s = static_cast<std::size_t>(std::upper_bound(bounds.begin(), bounds.end(), i) - bounds.begin()) - 1;
        auto& slot = pp.inputs[s][static_cast<std::size_t>(steps[k]) % pp.inputs[s].size()];
        slot.push_back({times[k], weights[k], static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(ports[k]), pp.order[s]++});
    }
}

void setup_precise_populations(engine& e) {
    auto& st = e.state;
    const std::size_t npop = e.populations.size();
    st.precise.assign(npop, nullptr);
    bool any = false;
    for (std::size_t q = 0; q < npop; ++q) {
        auto& pop = *e.populations[q];
        if (!pop.precise) continue;
        check_precise(pop, e.projections);
        auto pp = std::make_shared<precise_population>();
        pp->inputs.assign(e.shards, std::vector<std::vector<precise_input>>(pop.ring_slots()));
        pp->order.assign(e.shards, 0);
        pp->release.assign(pop.size(), 0.0);
        st.precise[q] = std::move(pp);
        any = true;
    }
    st.spikes.precise = any;
    if (any)
        for (auto& sc : st.scratch) sc.offsets.resize(sc.spikes.size());
}

std::uint64_t deliver_to_precise_population(engine& e, const projection& P, std::size_t s,
                                            const window_spikes::segment& seg) {
    auto& st = e.state;
    auto& pp = *st.precise[P.target];
    const auto& sh = P.shards[s];
    auto& lists = pp.inputs[s];
    std::uint64_t& order = pp.order[s];
    const std::size_t R = lists.size();
    const double h = e.config.dt_ms;
    const auto& neurons = st.spikes.neurons;
    const auto& offsets = st.spikes.offsets;
    const std::uint32_t* rows = sh.row_begin.data();
    const std::uint32_t* tgt = sh.target.data();
    const float* w = P.homogeneous_weight ? nullptr : sh.weight.data();
    const bool constant = P.constant_delay();
    const std::uint32_t mask = P.target_bits >= 32 ? ~0u : (1u << P.target_bits) - 1u;
    const unsigned shift = P.target_bits;
    const auto port = static_cast<std::uint32_t>(P.port);
    const std::size_t base_slot = static_cast<std::size_t>(seg.step + P.delay_min) % R;
    std::uint64_t events = 0;
    for (std::uint32_t m = seg.begin; m < seg.end; ++m) {
        const std::uint32_t src = neurons[m];
        const double time = offsets.empty() ? h : h - offsets[m];
        const std::uint32_t rb = rows[src], re = rows[src + 1];
        events += re - rb;
        for (std::uint32_t x = rb; x < re; ++x) {
            std::size_t slot = base_slot;
            std::uint32_t target = tgt[x];
            if (!constant) {
                slot += tgt[x] >> shift;
                if (slot >= R) slot -= R;
                target &= mask;
            }
            const double wx = w ? static_cast<double>(w[x]) : static_cast<double>(P.weight_value);
            lists[slot].push_back({time, wx, target, port, order++});
        }
    }
    return events;
}

void advance_precise_population(engine& e, std::size_t q, std::size_t s, std::int64_t n, spike_sink& sink) {
    auto& st = e.state;
    auto& pp = *st.precise[q];
    auto& pop = *e.populations[q];
    auto& list = pp.inputs[s][static_cast<std::size_t>(n) % pp.inputs[s].size()];
    std::sort(list.begin(), list.end(), precise_before);
    pop.precise_advance(n, st.bounds[q][s], st.bounds[q][s + 1], list.data(), list.size(), pp.release.data(), sink);
    list.clear();
}

} // namespace lamina::sim::detail
