// Exact integration of the alpha-current LIF (NEST iaf_psc_alpha) against the closed-form PSP, the
// normalisation of the alpha current (peak w at tau_syn), the step-size independence that exact
// integration implies, and the tau_syn -> tau_m limit of the propagator.
#include "lamina/models/neuron/lif_psc_alpha.hpp"
#include "lamina/models/register.hpp"
#include "lamina/sim/model_registry.hpp"
#include "lamina/sim/network.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>

using namespace lamina;
using models::lif_psc_alpha;

namespace {

// One neuron fed by spike generators; V_m and the currents sampled at the end of every step.
sim::state_record run_alpha(const lif_psc_alpha::parameters& p, double dt, double T,
                            const std::vector<sim::spike_generator_spec>& inputs) {
    sim::run_config cfg;
    cfg.dt_ms = dt;
    cfg.threads = 1;
    sim::network net(cfg);
    net.add_population<lif_psc_alpha>("n", 1, p);
    for (const auto& g : inputs) net.add_spike_generator(g);
    net.record_state({"v", "n", {"V_m", "I_syn_ex", "I_syn_in"}, {0}, dt});
    net.run(T);
    return net.states(0);
}

// Closed-form PSP (mV above E_L) at time s after the arrival of a weight-w alpha current:
// V(s) = w e/(tau C) [e^(-s/tau_m) - e^(-s/tau)(1 + a s)]/a^2, a = 1/tau - 1/tau_m, and
// w e/(tau C) s^2/2 e^(-s/tau) at tau == tau_m.
double alpha_psp(double w, double tau, double tau_m, double C, double s) {
    if (s <= 0.0) return 0.0;
    const double k = w * std::numbers::e / (tau * C);
    if (tau == tau_m) return k * 0.5 * s * s * std::exp(-s / tau);
    const double a = 1.0 / tau - 1.0 / tau_m;
    return k * (std::exp(-s / tau_m) - std::exp(-s / tau) * (1.0 + a * s)) / (a * a);
}

} // namespace

TEST_CASE("lif_psc_alpha single PSP equals the closed form to 1e-12 of its peak, also for tau_syn == tau_m",
          "[lif][alpha][exact]") {
    const double w = 50.0, t_spike = 5.0, delay = 1.5, t0 = t_spike + delay;
    for (double tau_s : {0.5, 2.0, 5.0, 10.0}) {
        lif_psc_alpha::parameters p;
        p.E_L = 0.0;
        p.V_reset = -1.0;
        p.V_th = 1e6;
        p.tau_syn_ex = tau_s;
        const auto rec = run_alpha(p, 0.1, 100.0, {{"g", "n", {}, {t_spike}, w, delay, "excitatory"}});
        double peak = 0.0, err = 0.0, I_peak = 0.0, t_I_peak = 0.0;
        for (std::size_t k = 0; k < rec.times_ms.size(); ++k) {
            const double s = rec.times_ms[k] - t0;
            const double exact = alpha_psp(w, tau_s, p.tau_m, p.C_m, s);
            peak = std::max(peak, std::abs(exact));
            err = std::max(err, std::abs(rec.values[3 * k] - exact));
            // The current itself is w (s/tau) e^(1 - s/tau).
            const double I_exact = s > 0.0 ? w * s / tau_s * std::exp(1.0 - s / tau_s) : 0.0;
            CHECK(rec.values[3 * k + 1] == Approx(I_exact).margin(1e-12 * w));
            if (rec.values[3 * k + 1] > I_peak) {
                I_peak = rec.values[3 * k + 1];
                t_I_peak = s;
            }
            if (s <= 1e-9) CHECK(rec.values[3 * k] == 0.0);  // nothing before stamp + delay
        }
        INFO("tau_syn = " << tau_s << ": max |V - exact| = " << err << " mV, peak " << peak << " mV");
        REQUIRE(peak > 0.05);
        CHECK(err <= 1e-12 * peak);
        // Normalisation: a weight w gives a current peaking at w pA at t = tau_syn.
        CHECK(I_peak == Approx(w).epsilon(1e-12));
        CHECK(t_I_peak == Approx(tau_s).margin(1e-9));
    }
}

TEST_CASE("lif_psc_alpha inhibitory port has its own time constant", "[lif][alpha][exact]") {
    lif_psc_alpha::parameters p;
    p.E_L = 0.0;
    p.V_reset = -1.0;
    p.V_th = 1e6;
    p.tau_syn_ex = 0.5;
    p.tau_syn_in = 3.0;
    const auto rec = run_alpha(p, 0.1, 60.0,
                               {{"e", "n", {}, {2.0}, 80.0, 1.0, "excitatory"}, {"i", "n", {}, {10.0}, -120.0, 2.0, "inhibitory"}});
    double err = 0.0, peak = 0.0;
    for (std::size_t k = 0; k < rec.times_ms.size(); ++k) {
        const double t = rec.times_ms[k];
        const double exact = alpha_psp(80.0, 0.5, p.tau_m, p.C_m, t - 3.0) + alpha_psp(-120.0, 3.0, p.tau_m, p.C_m, t - 12.0);
        peak = std::max(peak, std::abs(exact));
        err = std::max(err, std::abs(rec.values[3 * k] - exact));
    }
    CHECK(err <= 1e-12 * peak);
}

TEST_CASE("lif_psc_alpha: V on shared grid points does not depend on the step (exact integration)", "[lif][alpha][exact]") {
    // Excitatory and inhibitory inputs on the 0.1 ms grid and a constant current; subthreshold, so
    // dt = 0.1, 0.05 and 0.01 ms integrate the same linear system exactly and must agree at t = 0.1 k.
    lif_psc_alpha::parameters p;
    p.V_th = 1e6;
    p.I_e = 120.0;
    p.tau_syn_ex = 1.7;
    p.tau_syn_in = 4.0;
    std::vector<double> te, ti;
    for (int k = 0; k < 30; ++k) {
        te.push_back(1.0 + 3.1 * k);
        ti.push_back(2.5 + 4.7 * k);
    }
    const std::vector<sim::spike_generator_spec> in{{"e", "n", {}, te, 90.0, 1.0, "excitatory"},
                                                    {"i", "n", {}, ti, -70.0, 0.5, "inhibitory"}};
    const auto coarse = run_alpha(p, 0.1, 150.0, in);
    for (double dt : {0.05, 0.01}) {
        const auto fine = run_alpha(p, dt, 150.0, in);
        const auto ratio = static_cast<std::size_t>(std::llround(0.1 / dt));
        REQUIRE(fine.times_ms.size() == coarse.times_ms.size() * ratio);
        double worst = 0.0, span = 0.0;
        for (std::size_t k = 0; k < coarse.times_ms.size(); ++k) {
            const std::size_t f = (k + 1) * ratio - 1;
            REQUIRE(fine.times_ms[f] == Approx(coarse.times_ms[k]));
            worst = std::max(worst, std::abs(fine.values[3 * f] - coarse.values[3 * k]));
            span = std::max(span, std::abs(coarse.values[3 * k] - p.E_L));
        }
        INFO("dt = " << dt << " ms: max |V_dt - V_0.1| = " << worst << " mV");
        REQUIRE(span > 1.0);
        CHECK(worst <= 1e-11 * span);
    }
}

TEST_CASE("lif_psc_alpha propagator is continuous through tau_syn == tau_m", "[lif][alpha][exact]") {
    const double h = 0.1, C = 250.0, tau_m = 10.0;
    const double singular = std::exp(-h / tau_m) * h * h / (2.0 * C);
    CHECK(models::lif_alpha_derivative_propagator(tau_m, tau_m, C, h) == Approx(singular).epsilon(1e-15));
    for (double delta : {1e-12, 1e-9, 1e-6, 1e-3}) {
        const double p = models::lif_alpha_derivative_propagator(tau_m, tau_m + delta, C, h);
        // d P31 / d tau_s is about h^3/(6 tau^2 C): the change stays of that order.
        CHECK(std::abs(p - singular) <= delta * h * h * h / (tau_m * tau_m * C));
    }
    // The series and the closed form agree where they meet (|a h| = 0.1).
    for (double x : {0.0999999, 0.1000001, -0.0999999, -0.1000001})
        CHECK(models::alpha_kernel_ratio(x) ==
              Approx((-std::expm1(-x) - x * std::exp(-x)) / (x * x)).epsilon(1e-13));
}

TEST_CASE("lif_psc_alpha fires, resets and stays refractory on the grid", "[lif][alpha]") {
    lif_psc_alpha::parameters p;  // NEST defaults
    p.I_e = 400.0;                // above rheobase 375 pA
    sim::network net({0.1, 1, 1});
    net.add_population<lif_psc_alpha>("n", 1, p);
    net.record_spikes({"s", "n", {}});
    net.run(300.0);
    // DC only: the LIF interval t_ref + tau_m ln(R I / (R I - (V_th - E_L))) on the grid.
    const double R = p.tau_m / p.C_m;
    const double isi = p.t_ref + p.tau_m * std::log(R * p.I_e / (R * p.I_e - (p.V_th - p.E_L)));
    const auto& s = net.spikes(0).times_ms;
    REQUIRE(s.size() >= 5);
    for (std::size_t k = 1; k < s.size(); ++k) CHECK(std::abs((s[k] - s[k - 1]) - isi) <= 0.1 + 1e-9);
}

TEST_CASE("lif_psc_alpha refuses impossible parameters and is registered", "[lif][alpha][validation]") {
    for (const auto& [name, value] : std::vector<std::pair<std::string, double>>{
             {"tau_m", 0.0}, {"C_m", -1.0}, {"tau_syn_ex", 0.0}, {"tau_syn_in", -1.0}, {"t_ref", -0.1},
             {"V_reset", -50.0}, {"E_L", std::nan("")}, {"I_e", INFINITY}}) {
        sim::network net({0.1, 1, 1});
        auto& pop = net.add_population<lif_psc_alpha>("cells", 1);
        pop.set_parameter(name, value);
        INFO(name << " = " << value);
        try {
            net.validate();
            FAIL("accepted");
        } catch (const sim::parameter_error& e) {
            CHECK(e.parameter() == name);
        }
    }
    sim::model_registry reg;
    models::register_builtin(reg);
    REQUIRE(reg.contains("lif_psc_alpha"));
    auto pop = reg.create("lif_psc_alpha", "x", 2);
    CHECK(pop->state_index("I_syn_in") == 2u);
}
