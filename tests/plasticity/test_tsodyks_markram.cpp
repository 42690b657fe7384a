// Tsodyks-Markram short-term plasticity: responses to a regular train equal the analytic
// recursion (Maass & Markram 2002) to 1e-9 and the reference table of reference.md 3.5; combined
// with pair STDP on the same synapse, every arrival transmits u x times the learned weight.
#include "lamina/models/neuron/lif_psc_delta.hpp"
#include "lamina/plasticity/static_weight.hpp"
#include "lamina/plasticity/stdp_pair.hpp"
#include "lamina/plasticity/tsodyks_markram.hpp"
#include "lamina/sim/network.hpp"
#include "lamina/sim/plastic_rule.hpp"
#include "relay.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace lamina;
using plasticity::stdp_pair;
using plasticity::tsodyks_markram;

namespace {

constexpr double dt = 0.1;

// Transmitted efficacies u x of a regular train at `rate` Hz (n spikes), read off an integrating
// target: a delta-synapse LIF with an astronomically long tau_m, so V sums the jumps.
std::vector<double> measured_efficacies(tsodyks_markram::parameters tm, double rate, int n, double w) {
    sim::run_config cfg;
    cfg.threads = 1;
    sim::network net(cfg);
    models::lif_psc_delta::parameters relay;
    relay.tau_m = 10.0;
    relay.E_L = 0.0;
    relay.V_th = 10.0;
    relay.V_reset = 0.0;
    relay.t_ref = 0.5;
    net.add_population<models::lif_psc_delta>("pre", 1, relay);
    models::lif_psc_delta::parameters integ;
    integ.tau_m = 1e15;
    integ.E_L = 0.0;
    integ.V_th = 1e9;
    integ.V_reset = 0.0;
    net.add_population<models::lif_psc_delta>("post", 1, integ);
    const double isi = 1000.0 / rate;
    std::vector<double> t;
    for (int k = 0; k < n; ++k) t.push_back(10.0 + k * isi);
    net.add_spike_generator({"g", "pre", {}, t, 100.0, dt, "excitatory"});
    sim::projection_spec s{"syn", "pre", "post", sim::connection_rule::one_to_one(), sim::distribution::constant(w),
                           sim::distribution::constant(1.0), "excitatory"};
    s.plasticity = std::make_shared<sim::plastic_rule<plasticity::static_weight, tsodyks_markram>>(
        plasticity::static_weight::parameters{}, tm);
    net.connect(s);
    net.record_state({"v", "post", {"V_m"}, {0}, dt});
    net.run(10.0 + n * isi + 20.0);
    const auto& rec = net.states(0);
    std::vector<double> jumps;
    for (std::size_t k = 1; k < rec.values.size(); ++k) {
        const double d = rec.values[k] - rec.values[k - 1];
        if (d > 1e-12) jumps.push_back(d / w);
    }
    return jumps;
}

// Analytic recursion for a regular train.
std::vector<double> recursion(const tsodyks_markram::parameters& p, double rate, int n) {
    const double d = 1000.0 / rate;
    double x = 1.0, u = p.U;
    std::vector<double> out{x * u};
    for (int k = 1; k < n; ++k) {
        x = 1.0 + (x - x * u - 1.0) * std::exp(-d / p.tau_rec);
        u = p.U + (p.tau_fac > 0 ? u * (1.0 - p.U) * std::exp(-d / p.tau_fac) : 0.0);
        out.push_back(x * u);
    }
    return out;
}

} // namespace

TEST_CASE("Tsodyks-Markram responses to a 20 Hz train equal the analytic recursion to 1e-9", "[plasticity][stp]") {
    struct row {
        double U, tau_rec, tau_fac, first, second, fifth, steady;
    };
    // reference.md 3.5 (efficacy at spikes 1, 2, 5 and the steady state of a 20 Hz train).
    const row rows[] = {{0.5, 800, 0, 0.500, 0.265, 0.0787, 0.0571},
                        {0.67, 450, 0, 0.670, 0.268, 0.104, 0.100},
                        {0.1, 100, 1000, 0.100, 0.174, 0.268, 0.336},
                        {0.03, 130, 530, 0.030, 0.0553, 0.104, 0.165},
                        {0.04, 100, 1000, 0.040, 0.0747, 0.145, 0.269}};
    for (const auto& r : rows) {
        const tsodyks_markram::parameters p{r.U, r.tau_rec, r.tau_fac};
        const int n = 60;
        const auto got = measured_efficacies(p, 20.0, n, 2.0);
        const auto want = recursion(p, 20.0, n);
        INFO("U = " << r.U << ", tau_rec = " << r.tau_rec << ", tau_fac = " << r.tau_fac);
        REQUIRE(got.size() == want.size());
        for (int k = 0; k < n; ++k) CHECK(std::abs(got[k] - want[k]) <= 1e-9 * want[k]);
        CHECK(got[0] == Approx(r.first).margin(5e-4));
        CHECK(got[1] == Approx(r.second).margin(5e-4));
        CHECK(got[4] == Approx(r.fifth).margin(5e-4));
        CHECK(got[n - 1] == Approx(r.steady).margin(5e-4));
    }
}

TEST_CASE("short-term plasticity and STDP act on the same synapse: each arrival transmits u x w of the learned weight",
          "[plasticity][stp][stdp]") {
    // One plastic synapse (pair STDP, all-to-all, additive, with Tsodyks-Markram efficacy) from a
    // relay that fires a regular 40 Hz train (stamps 20 + 25 k ms, delay 1 ms: arrivals a_k) onto a
    // target that fires 5 ms after each arrival (p_k = a_k + 5 ms). The target integrates its
    // input (tau_m 1e15 ms), so each arrival shows in its V_m as a jump of u_k x_k w_k.
    // Expected, with x(t) = sum_{a_j <= t} e^{-(t - a_j)/tau_plus}, y(t) = sum_{p_j < t} e^{-(t - p_j)/tau_minus}:
    //   w_k (after on_pre of arrival k) = w0 + lambda sum_{j<k} x(p_j) - alpha lambda sum_{j<=k} y(a_j)
    //   jump_k = (u x)_k w_k, (u x)_k from the Maass-Markram recursion of the train;
    // the final stored weight is w_n + lambda x(p_{n-1}) (the last post spike).
    const int n = 10;
    const double D = 1.0, w0 = 0.5, isi = 25.0;
    stdp_pair::parameters sp;
    sp.tau_plus = 16.8;
    sp.tau_minus = 33.7;
    sp.lambda = 0.05;
    sp.alpha = 0.5;  // depression half of potentiation, so the causal pairing grows the weight
    sp.W_max = 1.0;
    const tsodyks_markram::parameters tm{0.2, 200.0, 300.0};

    sim::run_config cfg;
    cfg.threads = 1;
    sim::network net(cfg);
    net.add_population<models::lif_psc_delta>("pre", 1, test::relay());
    auto integ = test::relay();
    integ.tau_m = 1e15;
    integ.t_ref = 0.1;
    net.add_population<models::lif_psc_delta>("post", 1, integ);
    std::vector<double> pre_stamps, arrivals, posts;
    for (int k = 0; k < n; ++k) {
        pre_stamps.push_back(20.0 + isi * k);
        arrivals.push_back(pre_stamps.back() + D);
        posts.push_back(arrivals.back() + 5.0);
    }
    test::drive(net, "pre", 0, pre_stamps);
    test::drive(net, "post", 0, posts);
    sim::projection_spec s{"syn", "pre", "post", sim::connection_rule::one_to_one(), sim::distribution::constant(w0),
                           sim::distribution::constant(D), "excitatory"};
    s.plasticity = std::make_shared<sim::plastic_rule<stdp_pair, tsodyks_markram>>(sp, tm);
    const auto proj = net.connect(s);
    net.record_spikes({"post_spikes", "post", {}});
    net.record_state({"v", "post", {"V_m"}, {0}, dt});
    net.run(posts.back() + 20.0);
    REQUIRE(net.spikes(0).times_ms.size() == std::size_t(n));

    const auto& rec = net.states(0);
    std::vector<double> jumps;
    for (std::size_t k = 1; k < rec.values.size(); ++k) {
        const double d = rec.values[k] - rec.values[k - 1];
        if (d > 1e-12) jumps.push_back(d);
    }
    REQUIRE(jumps.size() == std::size_t(n));

    auto x_at = [&](double t) {
        double x = 0.0;
        for (double a : arrivals)
            if (a <= t) x += std::exp(-(t - a) / sp.tau_plus);
        return x;
    };
    auto y_at = [&](double t) {
        double y = 0.0;
        for (double p : posts)
            if (p < t) y += std::exp(-(t - p) / sp.tau_minus);
        return y;
    };
    const auto ux = recursion(tm, 1000.0 / isi, n);
    double potentiation = 0.0, depression = 0.0, stp_only_error = 0.0, stdp_only_error = 0.0;
    for (int k = 0; k < n; ++k) {
        depression += sp.alpha * sp.lambda * y_at(arrivals[std::size_t(k)]);
        const double w_k = w0 + potentiation - depression;
        const double expected = ux[std::size_t(k)] * w_k;
        INFO("arrival " << k << ": u x = " << ux[std::size_t(k)] << ", w = " << w_k);
        // Weights are stored as float between events: relative 1e-6 covers ten roundings (6e-8
        // each); one step (0.1 ms) of timing error in a trace changes w by ~3e-4.
        CHECK(std::abs(jumps[std::size_t(k)] - expected) <= 1e-6 * expected);
        stp_only_error = std::max(stp_only_error, std::abs(jumps[std::size_t(k)] - ux[std::size_t(k)] * w0) / expected);
        stdp_only_error = std::max(stdp_only_error, std::abs(jumps[std::size_t(k)] - w_k) / expected);
        potentiation += sp.lambda * x_at(posts[std::size_t(k)]);
    }
    const double w_final = w0 + potentiation - depression;
    CHECK(std::abs(double(net.synapses(proj).weight[0]) - w_final) <= 1e-6 * w_final);
    // Both rules act: the jumps are far from what either rule alone would transmit.
    CHECK(stp_only_error > 0.05);   // STP with a fixed weight w0
    CHECK(stdp_only_error > 0.5);   // the learned weight without STP (u x = 1)
    CHECK(w_final > w0 + 0.05);     // causal pairing potentiates
}

TEST_CASE("impossible short-term parameters are refused", "[plasticity][stp][validation]") {
    sim::network net;
    net.add_population<models::lif_psc_delta>("a", 3);
    sim::projection_spec s{"syn", "a", "a", sim::connection_rule::one_to_one(), sim::distribution::constant(0.5),
                           sim::distribution::constant(1.0), "excitatory"};
    s.plasticity = std::make_shared<sim::plastic_rule<plasticity::static_weight, tsodyks_markram>>(
        plasticity::static_weight::parameters{}, tsodyks_markram::parameters{1.5, 800, 0});
    net.connect(s);
    REQUIRE_THROWS_WITH(net.build(), Catch::Contains("projection 'syn'") && Catch::Contains("'U'"));
}
