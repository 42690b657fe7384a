// substrate::build(): the populations, projections, devices and recorder of the substrate network
// (the wiring substrate.hpp describes). Every random choice is the engine's (connection rules keyed
// by projection) or a counter-based stream keyed by (seed, purpose user, object, neuron), so the
// same configuration rebuilds the same network, which is what checkpoints rely on.
#include "lamina/bridges/substrate.hpp"

#include "lamina/plasticity/reward_stdp.hpp"
#include "lamina/plasticity/vogels_istdp.hpp"
#include "lamina/sim/plastic_rule.hpp"
#include "lamina/sim/rng.hpp"

namespace lamina::bridges {

namespace {

constexpr std::uint32_t label_gain_stream = 0x4C47;  // "LG"

std::shared_ptr<const sim::plasticity> reward_rule(const substrate_learning& L, double W_max) {
    plasticity::reward_stdp::parameters p;
    p.tau_plus = L.tau_plus;
    p.tau_minus = L.tau_minus;
    // Eligibility per pair in units of a tenth of the bound, so one set of A_plus / A_minus serves
    // projections with different bounds.
    p.A_plus = L.A_plus * 0.1 * W_max;
    p.A_minus = L.A_minus * 0.1 * W_max;
    p.tau_c = L.tau_c;
    p.tau_d = L.tau_d;
    p.baseline = L.baseline;
    p.W_min = 0.0;
    p.W_max = W_max;
    p.update_interval = L.update_interval_ms;
    return std::make_shared<sim::plastic_rule<plasticity::reward_stdp>>(p);
}

std::shared_ptr<const sim::plasticity> inhibitory_rule(const substrate_learning& L) {
    plasticity::vogels_istdp::parameters p;
    p.eta = L.istdp_eta;
    p.rho0 = L.istdp_rho0;
    p.W_max = L.istdp_W_max;
    return std::make_shared<sim::plastic_rule<plasticity::vogels_istdp>>(p);
}

} // namespace

void substrate::build() {
    const auto& c = cfg_;
    net_ = std::make_unique<sim::network>(sim::run_config{c.dt_ms, c.seed, 1});
    auto& net = *net_;
    learning_projections_.clear();
    reward_projections_.clear();
    using lif = models::lif_psc_delta;

    if (c.code == "zscore") {
        zscore_topk_options o;
        o.groups = c.zscore_groups;
        o.group_size = c.zscore_group_size;
        o.k = c.zscore_k;
        o.intensity = intensity_mode::graded;
        o.seed = c.seed;
        code_ = std::make_unique<zscore_topk_code>(c.dimensions, o);
    } else {
        projection_kwta_options o;
        o.neurons_per_pool = c.sensory_per_pool;
        o.k = std::size_t(c.sensory_active_fraction * double(c.sensory_per_pool));
        o.intensity = intensity_mode::graded;
        o.seed = c.seed;
        code_ = std::make_unique<projection_kwta_code>(c.dimensions, o);
    }

    sensory_pop_ = net.population_count();
    net.add_population<lif>("sensory", code_->population_size(), c.neuron);
    struct layer_ref {
        const char* name;
        const substrate_layer_config* cfg;
    };
    const layer_ref layers[] = {{"concept", &c.concept_layer}, {"category", &c.category}, {"meta", &c.meta}};
    for (const auto& l : layers) {
        if (l.name == std::string("concept")) concept_pop_ = net.population_count();
        net.add_population<lif>(std::string(l.name) + "_E", l.cfg->excitatory_neurons(), c.neuron);
        net.add_population<lif>(std::string(l.name) + "_I", l.cfg->inhibitory_neurons(), c.neuron);
    }

    auto learned = [&](std::string name, std::string src, std::string tgt, sim::connection_rule rule, double w,
                       double W_max) {
        sim::projection_spec s;
        s.name = std::move(name);
        s.source = std::move(src);
        s.target = std::move(tgt);
        s.rule = std::move(rule);
        s.weight = sim::distribution::constant(w);
        s.delay_ms = sim::distribution::constant(c.delay_ms);
        s.plasticity = reward_rule(c.learning, W_max);
        const std::size_t k = net.connect(std::move(s));
        learning_projections_.push_back(k);
        reward_projections_.push_back(k);
        return k;
    };

    // Feed-forward into the concept layer and the concept layer's lateral (associative) synapses.
    sensory_to_concept_ = learned("sensory->concept", "sensory", "concept_E",
                                  sim::connection_rule::fixed_indegree(c.sensory_to_concept_indegree),
                                  c.sensory_to_concept_mV, c.learning.forward_W_max);
    lateral_ = learned("concept lateral", "concept_E", "concept_E",
                       sim::connection_rule::fixed_indegree(c.lateral_indegree, false, false), 0.0,
                       c.learning.lateral_W_max);

    // Local inhibitory pools: assembly -> own pool (every pair), pool -> layer (iSTDP).
    for (const auto& l : layers) {
        const auto& L = *l.cfg;
        const std::string E = std::string(l.name) + "_E", I = std::string(l.name) + "_I";
        std::vector<std::uint32_t> src, tgt;
        src.reserve(L.assemblies * L.excitatory * L.inhibitory);
        tgt.reserve(src.capacity());
        for (std::size_t a = 0; a < L.assemblies; ++a)
            for (std::size_t i = 0; i < L.excitatory; ++i)
                for (std::size_t j = 0; j < L.inhibitory; ++j) {
                    src.push_back(std::uint32_t(a * L.excitatory + i));
                    tgt.push_back(std::uint32_t(a * L.inhibitory + j));
                }
        sim::projection_spec ei;
        ei.name = std::string(l.name) + " assembly->pool";
        ei.source = E;
        ei.target = I;
        ei.rule = sim::connection_rule::explicit_list(std::move(src), std::move(tgt));
        ei.weight = sim::distribution::constant(L.excitation_to_pool_mV);
        ei.delay_ms = sim::distribution::constant(c.delay_ms);
        net.connect(std::move(ei));

        if (L.inhibition_probability > 0.0) {
            sim::projection_spec ie;
            ie.name = std::string(l.name) + " pool->layer";
            ie.source = I;
            ie.target = E;
            ie.rule = sim::connection_rule::pairwise_bernoulli(L.inhibition_probability);
            ie.weight = sim::distribution::constant(L.inhibition_mV);
            ie.delay_ms = sim::distribution::constant(c.delay_ms);
            ie.port = "inhibitory";
            ie.plasticity = inhibitory_rule(c.learning);
            learning_projections_.push_back(net.connect(std::move(ie)));
        }

        if (L.recurrent_mV != 0.0 && L.recurrent_probability > 0.0) {
            std::vector<std::uint32_t> rs, rt;
            for (std::size_t a = 0; a < L.assemblies; ++a)
                for (std::size_t i = 0; i < L.excitatory; ++i) {
                    sim::random_stream r(c.seed, sim::stream_purpose::user, 0x5245, std::uint64_t(a * L.excitatory + i));
                    for (std::size_t j = 0; j < L.excitatory; ++j)
                        if (i != j && r.uniform() < L.recurrent_probability) {
                            rs.push_back(std::uint32_t(a * L.excitatory + i));
                            rt.push_back(std::uint32_t(a * L.excitatory + j));
                        }
                }
            if (!rs.empty()) {
                sim::projection_spec rr;
                rr.name = std::string(l.name) + " recurrent";
                rr.source = E;
                rr.target = E;
                rr.rule = sim::connection_rule::explicit_list(std::move(rs), std::move(rt));
                rr.weight = sim::distribution::constant(L.recurrent_mV);
                rr.delay_ms = sim::distribution::constant(c.delay_ms);
                net.connect(std::move(rr));
            }
        }
    }

    // The hierarchy: forward and feedback between neighbouring layers.
    const double fw = c.learning.forward_W_max;
    learned("concept->category", "concept_E", "category_E", sim::connection_rule::fixed_indegree(c.forward_indegree),
            c.forward_mV, fw);
    learned("category->meta", "category_E", "meta_E", sim::connection_rule::fixed_indegree(c.forward_indegree),
            c.forward_mV, fw);
    learned("category->concept", "category_E", "concept_E", sim::connection_rule::fixed_indegree(c.feedback_indegree),
            c.feedback_mV, fw);
    learned("meta->category", "meta_E", "category_E", sim::connection_rule::fixed_indegree(c.feedback_indegree),
            c.feedback_mV, fw);

    // Drives: one current per neuron for the sensory layer and the concept assemblies.
    sensory_currents_ = net.add_neuron_currents({"sensory drive", "sensory", {}, std::vector<double>(code_->population_size(), 0.0)});
    concept_currents_ =
        net.add_neuron_currents({"label drive", "concept_E", {}, std::vector<double>(c.concept_layer.excitatory_neurons(), 0.0)});
    if (c.background_rate_hz > 0.0)
        for (const char* p : {"sensory", "concept_E", "category_E", "meta_E"}) {
            sim::poisson_input_spec bg;
            bg.name = std::string("background ") + p;
            bg.target = p;
            bg.rate_hz = c.background_rate_hz;
            bg.weight = c.background_mV;
            net.add_poisson_input(std::move(bg));
        }
    concept_recorder_ = net.record_spikes({"concept spikes", "concept_E", {}});

    // Every layer may run event-driven (docs/engine.md): an idle substrate is almost silent, and
    // lif_psc_delta's lazy update gives bitwise the clock kernel's results, so `auto` only changes
    // the cost (clock while most neurons are touched, as during an observation's bursts).
    for (std::size_t q = 0; q < net.population_count(); ++q)
        net.population_at(q).requested_update = sim::update_mode::automatic;

    net.build();

    label_gain_.resize(c.concept_layer.excitatory_neurons());
    for (std::size_t i = 0; i < label_gain_.size(); ++i) {
        sim::random_stream r(c.seed, sim::stream_purpose::user, label_gain_stream, i);
        label_gain_[i] = 0.75 + 0.5 * r.uniform();
    }

    // Synapse endpoints (fixed by the build) as assembly indices, for associations().
    auto endpoints = [&](std::size_t k, bool source_is_sensory, std::vector<std::uint32_t>& s, std::vector<std::uint32_t>& t) {
        auto tab = net.synapses(k);
        const std::size_t m = c.concept_layer.excitatory;
        s.resize(tab.source.size());
        t.resize(tab.target.size());
        for (std::size_t i = 0; i < s.size(); ++i) {
            s[i] = source_is_sensory ? tab.source[i] : std::uint32_t(tab.source[i] / m);
            t[i] = std::uint32_t(tab.target[i] / m);
        }
    };
    endpoints(lateral_, false, lateral_source_, lateral_target_);
    endpoints(sensory_to_concept_, true, sensory_source_, sensory_target_);
}

} // namespace lamina::bridges
