// Exact integration of the current-based LIF models against closed forms (Rotter & Diesmann 1999;
// reference values of NEST's iaf_psc_exp propagators as tabulated in reference.md 1.1).
#include "lamina/models/neuron/lif_psc_delta.hpp"
#include "lamina/models/neuron/lif_psc_exp.hpp"
#include "lamina/sim/network.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace lamina;
using models::lif_psc_delta;
using models::lif_psc_exp;

namespace {

constexpr double dt = 0.1;

// Runs one neuron and returns its V_m sampled at the end of every step, t = (n+1) dt.
template <class M>
sim::state_record run_single(typename M::parameters p, double duration, const sim::spike_generator_spec* input,
                             double dc_pA = 0.0) {
    sim::run_config cfg;
    cfg.threads = 1;
    sim::network net(cfg);
    net.add_population<M>("n", 1, p);
    if (input) net.add_spike_generator(*input);
    if (dc_pA != 0.0) net.add_current_input(sim::current_input_spec::dc("dc", "n", dc_pA));
    net.record_state({"v", "n", {"V_m"}, {0}, dt});
    net.run(duration);
    return net.states(0);
}

double max_abs(const std::vector<double>& v) {
    double m = 0.0;
    for (double x : v) m = std::max(m, std::abs(x));
    return m;
}

} // namespace

TEST_CASE("lif_psc_exp propagators equal the reference table and NEST's singular limit", "[lif][exact]") {
    struct row {
        double tau_m, tau_s, P11, P21, P22, P20;
    };
    const row rows[] = {{10, 2, 0.951229424501, 3.882040924845e-4, 0.990049833749, 3.980066500333e-4},
                        {20, 5, 0.980198673307, 3.950348236247e-4, 0.995012479193, 3.990016645854e-4},
                        {10, 10, 0.990049833749, 3.960199334997e-4, 0.990049833749, 3.980066500333e-4},
                        {20, 20, 0.995012479193, 3.980049916771e-4, 0.995012479193, 3.990016645854e-4}};
    for (const auto& r : rows) {
        lif_psc_exp::parameters p;
        p.tau_m = r.tau_m;
        p.tau_syn_ex = r.tau_s;
        p.C_m = 250.0;
        const auto c = lif_psc_exp::lower(p, dt, "test");
        CHECK(c.P11_ex == Approx(r.P11).epsilon(1e-11));
        CHECK(c.P21_ex == Approx(r.P21).epsilon(1e-11));
        CHECK(c.P22 == Approx(r.P22).epsilon(1e-11));
        CHECK(c.P20 == Approx(r.P20).epsilon(1e-11));
    }
    // tau_s = tau_m + delta: the expm1 form stays near the singular value as delta -> 0, where the
    // naive difference formula loses up to 1e-2 (reference.md 1.1).
    const double singular = dt / 250.0 * std::exp(-dt / 10.0);
    REQUIRE(singular == Approx(3.960199334997e-4).epsilon(1e-12));
    const std::pair<double, double> cases[] = {{1e-3, 1e-6}, {1e-6, 1e-9}, {1e-9, 1e-12}, {1e-12, 1e-15}};
    for (auto [delta, tol] : cases) {
        const double p21 = models::lif_exp_current_propagator(10.0, 10.0 + delta, 250.0, dt);
        CHECK(std::abs(p21 - singular) / singular < tol);
    }
}

TEST_CASE("lif_psc_exp and lif_psc_delta follow the closed-form response to a step current", "[lif][exact]") {
    const double I = 300.0;  // pA, subthreshold with V_th far away
    const double tau = 10.0, C = 250.0, EL = -70.0;
    lif_psc_exp::parameters pe;
    pe.tau_m = tau;
    pe.C_m = C;
    pe.E_L = EL;
    pe.V_th = 1e6;
    lif_psc_delta::parameters pd;
    pd.tau_m = tau;
    pd.C_m = C;
    pd.E_L = EL;
    pd.V_th = 1e6;
    const auto re = run_single<lif_psc_exp>(pe, 100.0, nullptr, I);
    const auto rd = run_single<lif_psc_delta>(pd, 100.0, nullptr, I);
    REQUIRE(re.times_ms.size() == 1000);
    REQUIRE(rd.times_ms.size() == 1000);
    double worst = 0.0;
    for (std::size_t k = 0; k < re.times_ms.size(); ++k) {
        const double t = re.times_ms[k];
        const double y = tau / C * I * (1.0 - std::exp(-t / tau));
        worst = std::max(worst, std::abs((re.values[k] - EL) - y) / y);
        worst = std::max(worst, std::abs((rd.values[k] - EL) - y) / y);
    }
    CHECK(worst < 1e-9);
}

TEST_CASE("lif_psc_exp single PSP equals the closed form, also for tau_m == tau_syn", "[lif][exact]") {
    const double w = 50.0;  // pA
    const double t_spike = 5.0, delay = 1.5;
    const double t0 = t_spike + delay;  // the current jumps at stamp + delay
    for (double tau_s : {2.0, 5.0, 10.0}) {
        lif_psc_exp::parameters p;
        p.tau_m = 10.0;
        p.C_m = 250.0;
        p.E_L = 0.0;
        p.V_reset = -1.0;
        p.V_th = 1e6;
        p.tau_syn_ex = tau_s;
        sim::spike_generator_spec g{"g", "n", {}, {t_spike}, w, delay, "excitatory"};
        const auto rec = run_single<lif_psc_exp>(p, 80.0, &g);
        std::vector<double> err, exact;
        for (std::size_t k = 0; k < rec.times_ms.size(); ++k) {
            const double s = rec.times_ms[k] - t0;
            double y = 0.0;
            if (s > 1e-12) {
                y = tau_s == p.tau_m ? w / p.C_m * s * std::exp(-s / p.tau_m)
                                     : w * tau_s * p.tau_m / (p.C_m * (p.tau_m - tau_s)) *
                                           (std::exp(-s / p.tau_m) - std::exp(-s / tau_s));
            }
            exact.push_back(y);
            err.push_back(rec.values[k] - y);
        }
        INFO("tau_syn = " << tau_s);
        const double peak = max_abs(exact);
        REQUIRE(peak > 0.05);
        CHECK(max_abs(err) <= 1e-9 * peak);
        // Nothing before the arrival: the PSP starts exactly at stamp + delay.
        for (std::size_t k = 0; k < rec.times_ms.size() && rec.times_ms[k] <= t0 + 1e-9; ++k)
            CHECK(rec.values[k] == 0.0);
    }
}

TEST_CASE("lif_psc_delta jump lands at stamp + delay and decays with tau_m", "[lif][exact]") {
    lif_psc_delta::parameters p;
    p.tau_m = 20.0;
    p.E_L = 0.0;
    p.V_reset = -1.0;
    p.V_th = 1e6;
    const double w = 0.7, t_spike = 2.0, delay = 1.5, t0 = t_spike + delay;
    sim::spike_generator_spec g{"g", "n", {}, {t_spike}, w, delay, "inhibitory"};
    const auto rec = run_single<lif_psc_delta>(p, 50.0, &g);
    double worst = 0.0;
    for (std::size_t k = 0; k < rec.times_ms.size(); ++k) {
        const double t = rec.times_ms[k];
        const double y = t + 1e-9 < t0 ? 0.0 : w * std::exp(-(t - t0) / p.tau_m);
        worst = std::max(worst, std::abs(rec.values[k] - y));
    }
    CHECK(worst <= 1e-9 * w);
}

TEST_CASE("refractory period and threshold crossing fall exactly on the grid", "[lif][exact]") {
    // A constant suprathreshold current: after each spike the neuron is held at V_reset for
    // round(t_ref/dt) steps, then integrates exactly from V_reset; the period in steps follows.
    lif_psc_delta::parameters p;
    p.tau_m = 10.0;
    p.C_m = 250.0;
    p.E_L = -70.0;
    p.V_th = -55.0;
    p.V_reset = -70.0;
    p.t_ref = 2.0;
    const double I = 500.0;
    const double Vinf = p.E_L + p.tau_m / p.C_m * I;
    const double P33 = std::exp(-dt / p.tau_m);
    int k = 0;
    double v = p.V_reset;
    while (v < p.V_th) {
        v = Vinf + (v - Vinf) * P33;
        ++k;
    }
    const int period = 20 + k;  // refractory steps + integration steps to threshold
    sim::run_config cfg;
    cfg.threads = 1;
    sim::network net(cfg);
    net.add_population<lif_psc_delta>("n", 1, p);
    net.add_current_input(sim::current_input_spec::dc("dc", "n", I));
    net.record_spikes({"s", "n", {}});
    net.run(200.0);
    const auto& sp = net.spikes(0);
    REQUIRE(sp.times_ms.size() > 5);
    CHECK(std::llround(sp.times_ms[0] / dt) == k);  // first spike: k steps from E_L = V_reset
    for (std::size_t i = 1; i < sp.times_ms.size(); ++i)
        CHECK(std::llround((sp.times_ms[i] - sp.times_ms[i - 1]) / dt) == period);
}
