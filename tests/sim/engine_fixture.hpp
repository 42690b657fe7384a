#pragma once
// A small network that exercises every kind of engine state: each neuron model, static and plastic
// projections with constant and varying delays, Poisson input, a DC step, a spike generator,
// per-neuron currents, and every recorder kind. Used to check that chained runs and checkpoints
// reproduce one uninterrupted run bit for bit.
#include "lamina/models/register.hpp"
#include "lamina/plasticity/register.hpp"
#include "lamina/sim/model_registry.hpp"
#include "lamina/sim/network.hpp"
#include "lamina/sim/plasticity_registry.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

namespace lamina::test {

inline const sim::model_registry& models_registry() {
    static const sim::model_registry r = [] {
        sim::model_registry m;
        models::register_builtin(m);
        return m;
    }();
    return r;
}
inline const sim::plasticity_registry& rules_registry() {
    static const sim::plasticity_registry r = [] {
        sim::plasticity_registry m;
        plasticity::register_builtin(m);
        return m;
    }();
    return r;
}

struct fixture_options {
    std::string model = "lif_psc_exp";
    std::string rule = "stdp_pair";       // "" for none
    std::string short_term = "";
    int threads = 1;
    std::uint64_t seed = 7;
    bool adaptive_threads = true;
};

// Input weight per model so that every model fires at a few to a few tens of Hz.
inline double drive_weight(const std::string& model) {
    if (model == "lif_psc_delta") return 1.0;
    if (model == "lif_cond_exp") return 20.0;     // nS, 0.2 ms synapses by default
    if (model == "izhikevich") return 3.0;
    if (model == "adex") return 2000.0;           // pA, 0.2 ms synapses by default
    if (model == "lif_psc_alpha") return 60.0;    // pA, alpha currents peaking at w
    if (model == "lif_cond_alpha") return 10.0;   // nS, alpha conductances peaking at w
    if (model == "adex_cond_exp") return 40.0;    // nS, 0.2 ms synapses by default
    if (model == "adex_cond_alpha") return 15.0;  // nS
    if (model == "hh_traub_miles") return 3.0;    // nS, 5 ms synapses
    return 120.0;                                 // pA: lif_psc_exp
}

inline std::unique_ptr<sim::network> make_fixture(const fixture_options& o) {
    sim::run_config cfg;
    cfg.threads = o.threads;
    cfg.seed = o.seed;
    cfg.adaptive_threads = o.adaptive_threads;
    auto net = std::make_unique<sim::network>(cfg);
    net->add_population(models_registry().create(o.model, "E", 300));
    net->add_population(models_registry().create(o.model, "I", 80));
    auto& E = net->find_population("E");
    E.set_initial(E.state_names()[0], sim::distribution::uniform(-70.0, -56.0));
    const double w = drive_weight(o.model);
    sim::projection_spec ee{"EE", "E", "E", sim::connection_rule::fixed_indegree(30),
                            sim::distribution::uniform(0.1 * w, 0.3 * w), sim::distribution::constant(1.5), "excitatory"};
    if (!o.rule.empty()) ee.plasticity = rules_registry().create(o.rule, o.short_term, "EE");
    net->connect(ee);
    net->connect({"EI", "E", "I", sim::connection_rule::pairwise_bernoulli(0.1), sim::distribution::constant(0.3 * w),
                  sim::distribution::uniform(1.0, 3.0), "excitatory"});
    sim::projection_spec ie{"IE", "I", "E", sim::connection_rule::fixed_outdegree(20),
                            sim::distribution::constant(0.5 * w), sim::distribution::constant(2.0), "inhibitory"};
    if (o.rule == "vogels_istdp") ie.plasticity = rules_registry().create(o.rule, o.short_term, "IE");
    net->connect(ie);
    net->add_poisson_input({"drive", "E", {}, 4000.0, 0.5 * w, "excitatory"});
    net->add_poisson_input({"drive_I", "I", {}, 3000.0, 0.5 * w, "excitatory"});
    net->add_current_input(sim::current_input_spec::dc("step", "I", 30.0, 50.0, 170.0));
    net->add_spike_generator({"burst", "E", {0, 1, 2, 3}, {20.0, 20.5, 90.0, 150.3}, 2.0 * w, 1.0, "excitatory"});
    std::vector<std::uint32_t> coded{5, 6, 7, 8, 9};
    net->add_neuron_currents({"code", "E", coded, {40.0, 10.0, 0.0, 25.0, 60.0}});
    net->record_spikes({"E_spikes", "E", {}});
    net->record_spikes({"I_spikes", "I", {}});
    net->record_state({"E_state", "E", {std::string(E.state_names()[0])}, {0, 17, 299}, 0.5});
    net->record_rate({"E_rate", "E", 5.0});
    net->record_signal({"E_mean", "E", {{std::string(E.state_names()[0])}}, 1.0, true});
    net->record_weights({"EE_w", "EE", 25.0});
    return net;
}

// Everything a run leaves behind, for bitwise comparison.
struct run_result {
    std::vector<double> spike_times;
    std::vector<std::uint32_t> spike_neurons;
    std::vector<std::vector<double>> state;  // every state variable of E, then I
    std::vector<std::vector<float>> weights;  // every projection
    std::vector<double> signal, rates, samples;
    std::vector<float> weight_samples;
    std::uint64_t synaptic_events = 0;
};

// The run's results from `from_ms` on (spikes, samples); state and weights at the end.
inline run_result collect(sim::network& net, double from_ms = 0.0) {
    run_result r;
    for (std::size_t k = 0; k < net.spike_recorder_count(); ++k) {
        const auto& s = net.spikes(k);
        for (std::size_t m = 0; m < s.times_ms.size(); ++m)
            if (s.times_ms[m] > from_ms + 1e-9) {
                r.spike_times.push_back(s.times_ms[m] + 1000.0 * double(k));
                r.spike_neurons.push_back(s.neurons[m]);
            }
    }
    for (std::size_t q = 0; q < net.population_count(); ++q)
        for (auto v : net.population_at(q).state_names()) {
            auto span = net.state_values(q, v);
            r.state.emplace_back(span.begin(), span.end());
        }
    for (std::size_t k = 0; k < net.projections().size(); ++k) r.weights.push_back(net.weights(k));
    auto after = [&](const std::vector<double>& t, const std::vector<double>& v, std::vector<double>& out, std::size_t width) {
        for (std::size_t m = 0; m < t.size(); ++m)
            if (t[m] > from_ms + 1e-9) out.insert(out.end(), v.begin() + m * width, v.begin() + (m + 1) * width);
    };
    after(net.signal(0).times_ms, net.signal(0).values, r.signal, 1);
    after(net.rates(0).bin_start_ms, net.rates(0).rate_hz, r.rates, 1);
    after(net.states(0).times_ms, net.states(0).values, r.samples, 3);
    const auto& ws = net.weight_samples(0);
    for (std::size_t m = 0; m < ws.times_ms.size(); ++m)
        if (ws.times_ms[m] > from_ms + 1e-9)
            r.weight_samples.insert(r.weight_samples.end(), ws.values.begin() + m * ws.synapses,
                                    ws.values.begin() + (m + 1) * ws.synapses);
    r.synaptic_events = net.synaptic_events();
    return r;
}

inline void require_identical(const run_result& a, const run_result& b) {
    REQUIRE(a.spike_times.size() > 50);  // the network is active
    CHECK(a.spike_times == b.spike_times);
    CHECK(a.spike_neurons == b.spike_neurons);
    REQUIRE(a.state.size() == b.state.size());
    for (std::size_t v = 0; v < a.state.size(); ++v) CHECK(a.state[v] == b.state[v]);
    CHECK(a.weights == b.weights);
    CHECK(a.signal == b.signal);
    CHECK(a.rates == b.rates);
    CHECK(a.samples == b.samples);
    CHECK(a.weight_samples == b.weight_samples);
}

} // namespace lamina::test
