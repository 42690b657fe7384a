// Validation of the conductance-based AdEx models adex_cond_exp and adex_cond_alpha (NEST
// aeif_cond_exp / aeif_cond_alpha) against an independent RK4 integration at 1 us written here:
// spike times and V_m under DC (the RS set and Naud et al. 2008 firing patterns), the f-I curve,
// spike trains driven by synaptic conductances alone, the exact conductance time course, and
// parameter validation.
#include "lamina/models/neuron/adex_cond_alpha.hpp"
#include "lamina/models/neuron/adex_cond_exp.hpp"
#include "lamina/models/register.hpp"
#include "lamina/sim/model_registry.hpp"
#include "lamina/sim/network.hpp"
#include "dc_runs.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace {

using lamina::models::adex_cond_alpha;
using lamina::models::adex_cond_exp;
using lamina::models::adex_cond_parameters;
namespace sim = lamina::sim;

// Classical RK4 at step h on (V, w, g_ex, g_in, dg_ex, dg_in); alpha = true couples dg into g
// (aeif_cond_alpha), otherwise dg stays 0 and g decays (aeif_cond_exp). The right-hand side,
// driving forces included, is evaluated at min(V, V_peak). A fine step that reaches V_peak is
// bisected to < 1 ns; there V <- V_reset, w <- w + b and the rest of the step is integrated.
struct cond_reference {
    adex_cond_parameters p;
    bool alpha = false;
    double I = 0.0;
    double h = 1e-3;
    double sample = 0.1;
    std::vector<std::pair<double, std::pair<int, double>>> kicks;  // (t, (port, nS))
    std::vector<double> spikes, trace;

    void f(const double y[6], double o[6]) const {
        const double V = std::min(y[0], p.V_peak);
        const double sp = p.Delta_T > 0.0 ? p.g_L * p.Delta_T * std::exp((V - p.V_T) / p.Delta_T) : 0.0;
        o[0] = (-p.g_L * (V - p.E_L) + sp - y[1] - y[2] * (V - p.E_ex) - y[3] * (V - p.E_in) + I + p.I_e) / p.C_m;
        o[1] = (p.a * (V - p.E_L) - y[1]) / p.tau_w;
        o[2] = (alpha ? y[4] : 0.0) - y[2] / p.tau_syn_ex;
        o[3] = (alpha ? y[5] : 0.0) - y[3] / p.tau_syn_in;
        o[4] = -y[4] / p.tau_syn_ex;
        o[5] = -y[5] / p.tau_syn_in;
    }
    void step(double y[6], double hh) const {
        double k1[6], k2[6], k3[6], k4[6], t[6];
        f(y, k1);
        for (int i = 0; i < 6; ++i) t[i] = y[i] + 0.5 * hh * k1[i];
        f(t, k2);
        for (int i = 0; i < 6; ++i) t[i] = y[i] + 0.5 * hh * k2[i];
        f(t, k3);
        for (int i = 0; i < 6; ++i) t[i] = y[i] + hh * k3[i];
        f(t, k4);
        for (int i = 0; i < 6; ++i) y[i] += hh / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }
    void run(double T) {
        double y[6] = {p.E_L, 0.0, 0.0, 0.0, 0.0, 0.0};
        const long steps = std::lround(T / h), per_sample = std::lround(sample / h);
        for (long n = 0; n < steps; ++n) {
            for (const auto& [t, k] : kicks)
                if (std::lround(t / h) == n) {
                    const double tau = k.first == 0 ? p.tau_syn_ex : p.tau_syn_in;
                    if (alpha) y[4 + k.first] += std::numbers::e * k.second / tau;
                    else y[2 + k.first] += k.second;
                }
            double y0[6];
            std::copy(y, y + 6, y0);
            step(y, h);
            if (y[0] >= p.V_peak) {
                double lo = 0.0, hi = h;
                while (hi - lo > 1e-7 * h) {
                    const double mid = 0.5 * (lo + hi);
                    double t[6];
                    std::copy(y0, y0 + 6, t);
                    step(t, mid);
                    (t[0] >= p.V_peak ? hi : lo) = mid;
                }
                std::copy(y0, y0 + 6, y);
                step(y, hi);
                spikes.push_back(double(n) * h + hi);
                y[0] = p.V_reset;
                y[1] += p.b;
                step(y, h - hi);
            }
            if ((n + 1) % per_sample == 0) trace.push_back(y[0]);
        }
    }
};

adex_cond_parameters naud(double C, double gL, double EL, double a, double tau_w, double b, double Vr) {
    adex_cond_parameters p;
    p.C_m = C;
    p.g_L = gL;
    p.E_L = EL;
    p.V_T = -50.0;
    p.a = a;
    p.tau_w = tau_w;
    p.b = b;
    p.V_reset = Vr;
    return p;
}

// Engine stamps against the reference crossings: same count, each stamp the end of the step that
// contains the crossing (stamp - t_ref in [0, dt]) within tol; V_m well below V_T within v_tol.
template <class M>
void check_dc(const adex_cond_parameters& p, const std::vector<double>& currents, double T, double tol, double v_tol) {
    const auto eng = lamina::test::run_dc<M>(p, currents, T, 0.1);
    for (std::size_t k = 0; k < currents.size(); ++k) {
        cond_reference R{p, M::name == "adex_cond_alpha", currents[k]};
        R.run(T);
        INFO(M::name << ", I = " << currents[k] << " pA");
        REQUIRE(R.spikes.size() >= 3);
        REQUIRE(eng.spikes[k].size() == R.spikes.size());
        for (std::size_t i = 0; i < R.spikes.size(); ++i) {
            INFO("spike " << i << ": engine " << eng.spikes[k][i] << ", reference " << R.spikes[i]);
            CHECK(eng.spikes[k][i] - R.spikes[i] >= -tol);
            CHECK(eng.spikes[k][i] - R.spikes[i] <= 0.1 + tol);
        }
        double dv = 0.0;
        for (std::size_t s = 0; s < R.trace.size(); ++s)
            if (eng.V[k][s] < p.V_T - 5.0 && R.trace[s] < p.V_T - 5.0) dv = std::max(dv, std::abs(eng.V[k][s] - R.trace[s]));
        CHECK(dv < v_tol);
    }
}

// Conductance-driven run: excitatory kicks every 1 ms, inhibitory every 7 ms, delay 1 ms.
template <class M>
void check_synaptic(const adex_cond_parameters& p, double we, double wi) {
    sim::network net({0.1, 1, 1});
    net.add_population<M>("n", 1, p);
    std::vector<double> te, ti;
    for (int k = 0; k < 290; ++k) te.push_back(5.0 + 1.0 * k);
    for (int k = 0; k < 40; ++k) ti.push_back(6.3 + 7.0 * k);
    net.add_spike_generator({"e", "n", {}, te, we, 1.0, "excitatory"});
    net.add_spike_generator({"i", "n", {}, ti, wi, 1.0, "inhibitory"});
    net.record_state({"v", "n", {"V_m", "g_ex"}, {}, 0.1});
    net.record_spikes({"s", "n", {}});
    net.run(300.0);
    cond_reference R{p, M::name == "adex_cond_alpha"};
    for (double t : te) R.kicks.push_back({t + 1.0, {0, we}});
    for (double t : ti) R.kicks.push_back({t + 1.0, {1, wi}});
    R.run(300.0);
    const auto& s = net.spikes(0).times_ms;
    INFO(M::name << ": engine " << s.size() << " spikes, reference " << R.spikes.size());
    REQUIRE(R.spikes.size() >= 5);
    REQUIRE(s.size() == R.spikes.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        CHECK(s[i] - R.spikes[i] >= -0.01);
        CHECK(s[i] - R.spikes[i] <= 0.11);
    }
    const auto& st = net.states(0);
    // Measured max |dV| below V_T - 5 mV: 0.013 (exp) / 0.004 (alpha) mV with 0.2 ms synapses,
    // 0.006 / 0.007 mV with 5 ms synapses; 17-26 spikes each.
    double dv = 0.0;
    for (std::size_t k = 0; k < R.trace.size(); ++k)
        if (st.values[2 * k] < p.V_T - 5.0 && R.trace[k] < p.V_T - 5.0) dv = std::max(dv, std::abs(st.values[2 * k] - R.trace[k]));
    CHECK(dv < 0.03);
}

double steady_rate(const std::vector<double>& s, double t0) {
    std::vector<double> late;
    for (double t : s)
        if (t >= t0) late.push_back(t);
    if (late.size() < 2) return 0.0;
    return 1000.0 * double(late.size() - 1) / (late.back() - late.front());
}

} // namespace

TEST_CASE("adex_cond_exp/alpha: DC spike times match a 1 us reference (RS set, Naud patterns)", "[adex][cond]") {
    const adex_cond_parameters rs;  // NEST aeif_cond_* defaults
    check_dc<adex_cond_exp>(rs, {700, 1000, 2000}, 500.0, 0.01, 0.03);
    check_dc<adex_cond_alpha>(rs, {700, 1000, 2000}, 500.0, 0.01, 0.03);
    const auto tonic = naud(200, 10, -70, 2, 30, 0, -58);
    const auto adapting = naud(200, 12, -70, 2, 300, 60, -58);
    const auto bursting = naud(200, 10, -58, 2, 120, 100, -46);
    for (const auto& p : {tonic, adapting}) {
        check_dc<adex_cond_exp>(p, {500}, 500.0, 0.01, 0.03);
        check_dc<adex_cond_alpha>(p, {500}, 500.0, 0.01, 0.03);
    }
    check_dc<adex_cond_exp>(bursting, {210}, 500.0, 0.01, 0.03);
}

TEST_CASE("adex_cond_exp: Naud 'adaptation' set slows down, 'tonic' does not", "[adex][cond]") {
    auto isis = [](const std::vector<double>& s) {
        std::vector<double> out;
        for (std::size_t i = 1; i < s.size(); ++i) out.push_back(s[i] - s[i - 1]);
        return out;
    };
    const auto ad = isis(lamina::test::run_dc<adex_cond_exp>(naud(200, 12, -70, 2, 300, 60, -58), {500}, 500.0, 0.1).spikes[0]);
    const auto to = isis(lamina::test::run_dc<adex_cond_exp>(naud(200, 10, -70, 2, 30, 0, -58), {500}, 500.0, 0.1).spikes[0]);
    REQUIRE(ad.size() >= 5);
    REQUIRE(to.size() >= 20);
    CHECK(ad.back() / ad.front() > 4.0);
    CHECK(to.back() / to.front() < 1.15);
}

TEST_CASE("adex_cond_exp/alpha: f-I curve matches the reference within 0.5 %", "[adex][cond]") {
    const std::vector<double> currents{700, 1000, 1500, 2000};
    const auto e = lamina::test::run_dc<adex_cond_exp>(adex_cond_parameters{}, currents, 500.0, 0.1);
    const auto a = lamina::test::run_dc<adex_cond_alpha>(adex_cond_parameters{}, currents, 500.0, 0.1);
    double previous = 0.0;
    for (std::size_t k = 0; k < currents.size(); ++k) {
        cond_reference R{adex_cond_parameters{}, false, currents[k]};
        R.run(500.0);
        const double ref = steady_rate(R.spikes, 200.0);
        INFO("I = " << currents[k] << " pA: reference " << ref << " Hz, exp " << steady_rate(e.spikes[k], 200.0)
                    << ", alpha " << steady_rate(a.spikes[k], 200.0));
        CHECK(ref > previous);
        CHECK(std::abs(steady_rate(e.spikes[k], 200.0) - ref) <= 0.005 * ref);
        CHECK(std::abs(steady_rate(a.spikes[k], 200.0) - ref) <= 0.005 * ref);
        previous = ref;
    }
}

TEST_CASE("adex_cond_exp/alpha: spikes driven by conductances alone match the reference", "[adex][cond]") {
    const adex_cond_parameters p;
    check_synaptic<adex_cond_exp>(p, 150.0, 20.0);    // 0.2 ms / 2 ms conductances
    check_synaptic<adex_cond_alpha>(p, 50.0, 8.0);
    adex_cond_parameters slow;
    slow.tau_syn_ex = 5.0;
    slow.tau_syn_in = 10.0;
    check_synaptic<adex_cond_exp>(slow, 6.0, 3.0);
    check_synaptic<adex_cond_alpha>(slow, 2.5, 1.2);
}

TEST_CASE("adex_cond_alpha: a weight w gives a conductance peaking at w at tau_syn", "[adex][cond]") {
    adex_cond_parameters p;
    p.tau_syn_in = 3.0;
    sim::network net({0.1, 1, 1});
    net.add_population<adex_cond_alpha>("n", 1, p);
    net.add_spike_generator({"i", "n", {}, {10.0}, 5.0, 1.0, "inhibitory"});
    net.record_state({"g", "n", {"g_in"}, {0}, 0.1});
    net.run(40.0);
    const auto& rec = net.states(0);
    double peak = 0.0;
    for (std::size_t k = 0; k < rec.times_ms.size(); ++k) {
        const double s = rec.times_ms[k] - 11.0;
        const double exact = s > 0.0 ? 5.0 * s / 3.0 * std::exp(1.0 - s / 3.0) : 0.0;
        CHECK(rec.values[k] == Approx(exact).margin(1e-12));
        peak = std::max(peak, rec.values[k]);
    }
    CHECK(peak == Approx(5.0).epsilon(1e-12));
}

TEST_CASE("adex_cond_exp/alpha: bad parameters are refused; negative weights too; registered", "[adex][cond]") {
    for (std::string model : {"adex_cond_exp", "adex_cond_alpha"}) {
        sim::model_registry reg;
        lamina::models::register_builtin(reg);
        REQUIRE(reg.contains(model));
        for (const auto& [name, value] : std::vector<std::pair<std::string, double>>{
                 {"C_m", 0.0}, {"g_L", -1.0}, {"tau_w", 0.0}, {"tau_syn_ex", 0.0}, {"tau_syn_in", -2.0},
                 {"Delta_T", -1.0}, {"t_ref", -0.1}, {"V_reset", 5.0}, {"V_peak", -60.0}, {"E_ex", std::nan("")},
                 {"E_in", INFINITY}, {"Delta_T", 0.05}}) {
            sim::network net({0.1, 1, 1});
            auto pop = reg.create(model, "cells", 1);
            pop->set_parameter(name, value);
            net.add_population(std::move(pop));
            INFO(model << ": " << name << " = " << value);
            try {
                net.validate();
                FAIL("accepted");
            } catch (const sim::parameter_error& e) {
                CHECK(e.parameter() == name);
            }
        }
        sim::network net;
        net.add_population(reg.create(model, "n", 2));
        net.connect({"", "n", "n", sim::connection_rule::all_to_all(), sim::distribution::constant(-1.0),
                     sim::distribution::constant(0.1), "inhibitory"});
        REQUIRE_THROWS_WITH(net.build(), Catch::Contains("weight") && Catch::Contains("conductance"));
    }
}
