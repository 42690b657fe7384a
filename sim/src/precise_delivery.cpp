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

void refuse_precise_checkpoint(const std::vector<std::unique_ptr<population>>& pops, const std::string& path) {
    for (const auto& p : pops)
        if (p->precise)
            throw checkpoint_error(path + ": " + label(*p) +
                        " has precise spike times (precise = true); checkpoints do not hold their state yet (inputs in "
                        "flight with their times inside a step, refractory periods ending inside a step)");
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
