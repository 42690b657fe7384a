// Pair STDP: the pairing protocol reproduces the rule's exponential window; pairing schemes,
// weight dependence and bounds (thread invariance: test_thread_invariance.cpp).
#include "lamina/models/neuron/lif_psc_delta.hpp"
#include "lamina/plasticity/stdp_pair.hpp"
#include "lamina/sim/network.hpp"
#include "lamina/sim/plastic_rule.hpp"
#include "relay.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace lamina;
using models::lif_psc_delta;
using test::drive;
using test::relay;
using plasticity::stdp_pair;

namespace {

constexpr double dt = 0.1;



stdp_pair::parameters rule(double mu = 0.0, bool nearest = false) {
    stdp_pair::parameters p;
    p.tau_plus = 16.8;
    p.tau_minus = 33.7;
    p.lambda = 0.01;
    p.alpha = 1.05;
    p.mu_plus = mu;
    p.mu_minus = mu;
    p.W_max = 1.0;
    p.nearest = nearest ? 1.0 : 0.0;
    return p;
}

// Pairs with given pre stamps (each pair i: pre_stamps[i]) and post stamps, through a plastic
// one-to-one projection with delay D and initial weight w0; returns the final weights.
std::vector<float> run_pairs(const std::vector<std::vector<double>>& pre, const std::vector<std::vector<double>>& post,
                             stdp_pair::parameters p, double w0, double D, int threads, double T) {
    sim::run_config cfg;
    cfg.threads = threads;
    sim::network net(cfg);
    const auto n = static_cast<std::uint32_t>(pre.size());
    net.add_population<lif_psc_delta>("pre", n, relay());
    net.add_population<lif_psc_delta>("post", n, relay());
    for (std::uint32_t i = 0; i < n; ++i) {
        drive(net, "pre", i, pre[i]);
        drive(net, "post", i, post[i]);
    }
    sim::projection_spec s{"stdp", "pre", "post", sim::connection_rule::one_to_one(), sim::distribution::constant(w0),
                           sim::distribution::constant(D), "excitatory"};
    s.plasticity = std::make_shared<sim::plastic_rule<stdp_pair>>(p);
    const auto k = net.connect(s);
    net.record_spikes({"pre_spikes", "pre", {}});
    net.run(T);
    // The relays fire exactly at the requested stamps.
    std::size_t wanted = 0;
    for (auto& v : pre) wanted += v.size();
    REQUIRE(net.spikes(0).times_ms.size() == wanted);
    return net.synapses(k).weight;
}

} // namespace

TEST_CASE("stdp_pair hooks give the exponential window to 1e-12", "[plasticity][stdp]") {
    const auto c = stdp_pair::lower(rule(), dt, "test");
    const std::array<float*, 0> none{};
    for (double delta = 0.0; delta <= 100.0; delta += 0.7) {
        const double xpre = std::exp(-delta / 16.8);
        const double up = stdp_pair::on_post(c, 0.5, none, {xpre}, {0.0}) - 0.5;
        CHECK(std::abs(up - 0.01 * std::exp(-delta / 16.8)) < 1e-12);
        const double ypost = std::exp(-delta / 33.7);
        const double down = stdp_pair::on_pre(c, 0.5, none, {0.0}, {ypost}) - 0.5;
        CHECK(std::abs(down + 1.05 * 0.01 * std::exp(-delta / 33.7)) < 1e-12);
    }
}

TEST_CASE("the pairing protocol reproduces the STDP window from -100 to +100 ms", "[plasticity][stdp]") {
    // Pair i: pre arrival at 150 ms (stamp 149 ms + delay 1 ms), post at 150 + delta_i.
    const double D = 1.0, w0 = 0.5;
    std::vector<std::vector<double>> pre, post;
    std::vector<double> deltas;
    for (int k = -1000; k <= 1000; k += 10) {
        const double delta = k * dt;
        deltas.push_back(delta);
        pre.push_back({149.0});
        post.push_back({150.0 + delta});
    }
    const auto w = run_pairs(pre, post, rule(), w0, D, 1, 300.0);
    for (std::size_t i = 0; i < deltas.size(); ++i) {
        const double d = deltas[i];
        const double expected = d >= 0.0 ? w0 + 0.01 * std::exp(-d / 16.8) : w0 - 1.05 * 0.01 * std::exp(d / 33.7);
        INFO("delta = " << d << " ms");
        // Weights are stored in single precision: the result equals the exact value rounded to
        // float (a timing error of one step would be off by about 0.6 %).
        CHECK(std::abs(double(w[i]) - double(static_cast<float>(expected))) <= 1e-9 * expected);
    }
}

TEST_CASE("all-to-all and nearest-spike pairing differ as their traces say", "[plasticity][stdp]") {
    // Three pre arrivals at 100, 110, 120 ms, one post spike at 125 ms.
    std::vector<std::vector<double>> pre = {{99.0, 109.0, 119.0}}, post = {{125.0}};
    const double x_all = std::exp(-25.0 / 16.8) + std::exp(-15.0 / 16.8) + std::exp(-5.0 / 16.8);
    const double x_near = std::exp(-5.0 / 16.8);
    const auto all = run_pairs(pre, post, rule(0.0, false), 0.5, 1.0, 1, 200.0);
    const auto near = run_pairs(pre, post, rule(0.0, true), 0.5, 1.0, 1, 200.0);
    CHECK(all[0] == Approx(0.5 + 0.01 * x_all).epsilon(1e-7));
    CHECK(near[0] == Approx(0.5 + 0.01 * x_near).epsilon(1e-7));
}

TEST_CASE("multiplicative STDP scales potentiation by (1 - w) and depression by w; bounds hold", "[plasticity][stdp]") {
    std::vector<std::vector<double>> pre = {{99.0}, {99.0}}, post = {{105.0}, {90.0}};
    const auto w = run_pairs(pre, post, rule(1.0), 0.8, 1.0, 1, 200.0);
    CHECK(w[0] == Approx(0.8 + 0.01 * 0.2 * std::exp(-5.0 / 16.8)).epsilon(1e-7));
    CHECK(w[1] == Approx(0.8 - 1.05 * 0.01 * 0.8 * std::exp(-10.0 / 33.7)).epsilon(1e-7));
    // Additive STDP with a huge rate saturates at exactly W_max and 0.
    auto big = rule();
    big.lambda = 10.0;
    const auto b = run_pairs(pre, post, big, 0.5, 1.0, 1, 200.0);
    CHECK(b[0] == 1.0f);
    CHECK(b[1] == 0.0f);
}

TEST_CASE("a spike history flushed in the middle of a step applies that step's earlier post spikes once", "[plasticity][stdp]") {
    // Target 1 fires capacity + 1 times at 1 ms intervals from 100 ms: its last spike finds its
    // history full, and the engine applies every pending spike of the projection before keeping
    // it. Target 0 fires in that same step, before target 1 in the step's spike order, so its
    // spike is among those applied then; the next arrival on synapse 0 must not apply it again.
    constexpr auto capacity = sim::plastic_rule<stdp_pair>::history_capacity;
    const double D = 1.0, w0 = 0.5, last = 100.0 + capacity;
    std::vector<double> burst;
    for (std::uint32_t i = 0; i <= capacity; ++i) burst.push_back(100.0 + i);
    // Arrivals on synapse 0 at 110 ms and 14 ms after the shared spike.
    const std::vector<std::vector<double>> pre = {{109.0, last + 13.0}, {}};
    const std::vector<std::vector<double>> post = {{last}, burst};
    const auto w = run_pairs(pre, post, rule(), w0, D, 1, last + 100.0);
    const double expected = w0 + 0.01 * std::exp(-(last - 110.0) / 16.8) - 1.05 * 0.01 * std::exp(-14.0 / 33.7);
    CHECK(std::abs(double(w[0]) - expected) <= 1e-7 * expected);
    CHECK(w[1] == static_cast<float>(w0));  // no arrivals on synapse 1
}
