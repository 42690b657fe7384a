// Inhibitory STDP of Vogels, Sprekeler et al. (2011): hooks against hand-computed values; the
// symmetric window through the engine; the fixed point rho_post = rho0 on one conductance-based
// LIF neuron with independent Poisson inputs (thread invariance: test_thread_invariance.cpp).
#include "lamina/models/neuron/lif_cond_exp.hpp"
#include "lamina/models/neuron/lif_psc_delta.hpp"
#include "lamina/plasticity/vogels_istdp.hpp"
#include "lamina/sim/network.hpp"
#include "lamina/sim/plastic_rule.hpp"
#include "relay.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>

using namespace lamina;
using models::lif_cond_exp;
using models::lif_psc_delta;
using test::drive;
using test::relay;
using plasticity::vogels_istdp;

namespace {

constexpr double dt = 0.1;


// A parrot: fires in every step in which its Poisson input delivers a spike (jump 100 mV over a
// 10 mV threshold, no refractory period, reset to rest), so it emits the Poisson train itself.
lif_psc_delta::parameters parrot() {
    lif_psc_delta::parameters p;
    p.tau_m = 10.0;
    p.E_L = 0.0;
    p.V_th = 10.0;
    p.V_reset = 0.0;
    p.t_ref = 0.0;
    return p;
}

// The W4 neuron (workloads.md): Vogels et al. 2011 / Auryn sim_isp_orig, without the 200 pA.
lif_cond_exp::parameters w4_neuron() {
    lif_cond_exp::parameters p;
    p.C_m = 200.0;
    p.g_L = 10.0;
    p.E_L = -60.0;
    p.V_th = -50.0;
    p.V_reset = -60.0;
    p.t_ref = 5.0;
    p.E_ex = 0.0;
    p.E_in = -80.0;
    p.tau_syn_ex = 5.0;
    p.tau_syn_in = 10.0;
    return p;
}

vogels_istdp::parameters rule(double eta) {
    vogels_istdp::parameters p;
    p.tau_stdp = 20.0;
    p.eta = eta;
    p.rho0 = 3.0;
    p.W_max = 300.0;
    return p;
}

// Single-neuron experiment: `n_post` W4 neurons, each with its own excitatory Poisson drive
// (n_exc independent trains of rate_exc merged into one Poisson process of n_exc * rate_exc, weight
// w_exc nS) and n_inh plastic inhibitory parrots per neuron firing at rate_inh (independent
// Poisson, all-to-all: onto their own neuron only when n_post = 1).
struct experiment {
    std::size_t n_post = 1, n_exc = 800, n_inh = 200;
    double rate_exc = 5.0, w_exc = 1.0, rate_inh = 40.0, w_inh0 = 0.02, eta = 0.0125, T = 100000.0;
    int threads = 1;
    std::uint64_t seed = 11;
};
struct outcome {
    std::vector<double> post_times;
    std::vector<float> weights;
    std::uint64_t parrot_spikes = 0;
};

outcome run(const experiment& e) {
    sim::run_config cfg;
    cfg.threads = e.threads;
    cfg.seed = e.seed;
    sim::network net(cfg);
    net.add_population<lif_psc_delta>("inh", e.n_inh, parrot());
    net.add_population<lif_cond_exp>("post", e.n_post, w4_neuron());
    net.add_poisson_input({"inh_drive", "inh", {}, e.rate_inh, 100.0, "excitatory"});
    net.add_poisson_input({"exc_drive", "post", {}, double(e.n_exc) * e.rate_exc, e.w_exc, "excitatory"});
    sim::projection_spec s{"istdp", "inh", "post", sim::connection_rule::all_to_all(),
                           sim::distribution::constant(e.w_inh0), sim::distribution::constant(dt), "inhibitory", {}};
    s.plasticity = std::make_shared<sim::plastic_rule<vogels_istdp>>(rule(e.eta));
    const auto k = net.connect(s);
    net.record_spikes({"post_spikes", "post", {}});
    net.run(e.T);
    return {net.spikes(0).times_ms, net.synapses(k).weight, net.spike_counts()[0]};
}

double rate_between(const std::vector<double>& t, double a, double b, std::size_t n = 1) {
    std::size_t c = 0;
    for (double x : t) c += (x > a && x <= b) ? 1 : 0;
    return double(c) / (double(n) * (b - a) * 1e-3);
}

} // namespace

TEST_CASE("vogels_istdp hooks: symmetric facilitation, constant depression, bounds and sign", "[plasticity][istdp]") {
    const std::array<float*, 0> none{};
    auto p = rule(0.01);
    CHECK(p.alpha() == Approx(0.12).epsilon(1e-15));
    CHECK(p.with_alpha(0.2).rho0 == Approx(5.0).epsilon(1e-15));
    const auto c = vogels_istdp::lower(p, dt, "test");
    CHECK(c.alpha == Approx(0.12).epsilon(1e-15));
    // Pre arrival: w + eta (x_post - alpha); the pre trace does not enter.
    CHECK(std::abs(vogels_istdp::on_pre(c, 5.0, none, {9.0}, {0.3}) - (5.0 + 0.01 * (0.3 - 0.12))) < 1e-14);
    CHECK(std::abs(vogels_istdp::on_pre(c, 5.0, none, {9.0}, {0.0}) - (5.0 - 0.0012)) < 1e-14);
    // Post spike: w + eta x_pre; the post trace does not enter.
    CHECK(std::abs(vogels_istdp::on_post(c, 5.0, none, {0.7}, {9.0}) - 5.007) < 1e-14);
    // Bounds [0, W_max].
    CHECK(vogels_istdp::on_pre(c, 0.0005, none, {0.0}, {0.0}) == 0.0);
    CHECK(vogels_istdp::on_post(c, 299.999, none, {1.0}, {0.0}) == 300.0);
    // Negative W_max (current port): the rule acts on |w| and keeps the sign.
    p.W_max = -300.0;
    const auto cn = vogels_istdp::lower(p, dt, "test");
    CHECK(std::abs(vogels_istdp::on_post(cn, -5.0, none, {0.7}, {0.0}) + 5.007) < 1e-14);
    CHECK(std::abs(vogels_istdp::on_pre(cn, -5.0, none, {0.0}, {0.3}) + (5.0 + 0.01 * 0.18)) < 1e-14);
    CHECK(vogels_istdp::on_pre(cn, -0.0005, none, {0.0}, {0.0}) == 0.0);
    CHECK(vogels_istdp::on_post(cn, -299.999, none, {1.0}, {0.0}) == -300.0);
    // Traces: one pre and one post, tau_stdp, all-to-all.
    CHECK(vogels_istdp::pre_traces(c)[0].tau_ms == 20.0);
    CHECK(vogels_istdp::post_traces(c)[0].tau_ms == 20.0);
    CHECK_FALSE(vogels_istdp::pre_traces(c)[0].nearest);
    // Parameters by name (model files): alpha follows rho0 and tau_stdp.
    sim::plastic_rule<vogels_istdp> named;
    named.set_parameter("rho0", 5.0, "test");
    named.set_parameter("tau_stdp", 10.0, "test");
    named.lower(dt, "test");
    CHECK(named.constants().alpha == Approx(0.1).epsilon(1e-15));
    // Refusals.
    auto bad = rule(-0.01);
    CHECK_THROWS_AS(vogels_istdp::lower(bad, dt, "test"), sim::parameter_error);
    bad = rule(0.01);
    bad.W_max = 0.0;
    CHECK_THROWS_AS(vogels_istdp::lower(bad, dt, "test"), sim::parameter_error);
    bad = rule(0.01);
    bad.rho0 = -1.0;
    CHECK_THROWS_AS(vogels_istdp::lower(bad, dt, "test"), sim::parameter_error);
}

TEST_CASE("vogels_istdp through the engine: symmetric window and constant depression", "[plasticity][istdp]") {
    // Pair i: pre arrival at 150 ms (stamp 149 + delay 1), post spike at 150 + delta_i.
    const double D = 1.0, w0 = 5.0, eta = 0.01, tau = 20.0, alpha = 0.12;
    std::vector<double> deltas;
    for (int k = -600; k <= 600; k += 25) deltas.push_back(k * dt);
    sim::network net;
    const auto n = static_cast<std::uint32_t>(deltas.size());
    net.add_population<lif_psc_delta>("pre", n, relay());
    net.add_population<lif_psc_delta>("post", n, relay());
    for (std::uint32_t i = 0; i < n; ++i) {
        net.add_spike_generator({"g_pre" + std::to_string(i), "pre", {i}, {149.0 - dt}, 100.0, dt, "excitatory"});
        net.add_spike_generator(
            {"g_post" + std::to_string(i), "post", {i}, {150.0 + deltas[i] - dt}, 100.0, dt, "excitatory"});
    }
    sim::projection_spec s{"istdp", "pre", "post", sim::connection_rule::one_to_one(), sim::distribution::constant(w0),
                           sim::distribution::constant(D), "inhibitory", {}};
    s.plasticity = std::make_shared<sim::plastic_rule<vogels_istdp>>(rule(eta));
    const auto k = net.connect(s);
    net.record_spikes({"post_spikes", "post", {}});
    net.run(300.0);
    REQUIRE(net.spikes(0).times_ms.size() == n);
    const auto w = net.synapses(k).weight;
    for (std::size_t i = 0; i < n; ++i) {
        // Either order: + eta exp(-|delta|/tau); the arrival always costs eta alpha.
        const double expected = w0 + eta * (std::exp(-std::abs(deltas[i]) / tau) - alpha);
        INFO("delta = " << deltas[i] << " ms");
        CHECK(std::abs(double(w[i]) - double(static_cast<float>(expected))) <= 1e-6 * expected);
    }
}

TEST_CASE("vogels_istdp drives one conductance LIF with Poisson inputs to rho0 = 3 Hz", "[plasticity][istdp]") {
    // One W4 neuron, 800 excitatory inputs at 5 Hz (1 nS) and 200 plastic inhibitory parrots at
    // 40 Hz starting at 0.02 nS; eta 0.0125 nS. The rate falls from ~80 Hz and settles within
    // ~10 s; it is measured over 20-100 s of model time.
    // The fixed point sits slightly above rho0: an inhibitory spike lowers the postsynaptic firing
    // probability for ~10 ms, so the causal half of the window (x_pre read at post spikes) is
    // smaller than for independent trains and the rule needs a higher rate to balance the
    // depression eta alpha. The excess scales with the weight of one synapse: with the same total
    // inhibition at 10, 20 and 40 Hz (about 2.4, 1.1 and 0.5 nS per synapse) the rate over
    // 40-200 s was 3.35, 3.18 and 3.09 Hz (three seeds each, spread < 0.06 Hz).
    const auto start = std::chrono::steady_clock::now();
    experiment e;
    const auto r = run(e);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // The parrots fire as Poisson trains at the chosen rate (200 x 40 Hz x 100 s = 800000 spikes,
    // s.d. 900, i.e. 0.045 Hz).
    const double parrot_rate = double(r.parrot_spikes) / (double(e.n_inh) * e.T * 1e-3);
    CHECK(std::abs(parrot_rate - e.rate_inh) < 0.2);
    const double first = rate_between(r.post_times, 0.0, 1000.0);
    double mean_w = 0.0;
    for (float w : r.weights) mean_w += w;
    mean_w /= double(r.weights.size());
    std::printf("vogels_istdp single neuron (eta %.4g nS, inhibitory parrots %.3f Hz): %.1f Hz in the first second",
                e.eta, parrot_rate, first);
    for (double a = 0.0; a < 40000.0; a += 5000.0)
        std::printf(", %.0f-%.0f s %.2f Hz", a / 1000, (a + 5000) / 1000, rate_between(r.post_times, a, a + 5000.0));
    const double settled = rate_between(r.post_times, 20000.0, 40000.0);
    const double last = rate_between(r.post_times, 20000.0, e.T);
    std::printf("; 20-100 s %.3f Hz; mean inhibitory weight %.3f nS (from %.2f); %.0f s model time in %.1f s wall\n",
                last, mean_w, e.w_inh0, e.T / 1000, wall);
    // Far above rho0 without enough inhibition...
    CHECK(first > 20.0);
    // ...at rho0 within 20 s...
    CHECK(std::abs(settled - 3.0) < 0.2 * 3.0);
    // ...and there over the rest of the run.
    CHECK(std::abs(last - 3.0) < 0.15 * 3.0);
    CHECK(mean_w > 10.0 * e.w_inh0);
}

