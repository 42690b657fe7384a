// The alpha-conductance LIF (NEST iaf_cond_alpha): RK4 with exact conductances against an
// independent RK4 solution at dt/100, the normalisation of the alpha conductance, its convergence
// order, and parameter validation.
#include "lamina/models/neuron/lif_cond_alpha.hpp"
#include "lamina/models/register.hpp"
#include "lamina/sim/model_registry.hpp"
#include "lamina/sim/network.hpp"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <numbers>

using namespace lamina;
using models::lif_cond_alpha;

namespace {

struct input_event {
    double t, w;
    bool excitatory;
};

// Reference: RK4 with step h/100 on (V, g_ex, dg_ex, g_in, dg_in) as one ODE system (the alpha
// conductances integrated too, not taken in closed form); an event at time t does dg += e w / tau.
std::vector<double> reference_trace(const lif_cond_alpha::parameters& p, const std::vector<input_event>& events,
                                    double h, std::size_t samples) {
    const int sub = 100;
    const double hs = h / sub;
    double y[5] = {p.E_L, 0.0, 0.0, 0.0, 0.0};
    auto f = [&](const double* s, double* o) {
        o[0] = (-p.g_L * (s[0] - p.E_L) - s[1] * (s[0] - p.E_ex) - s[3] * (s[0] - p.E_in) + p.I_e) / p.C_m;
        o[1] = s[2] - s[1] / p.tau_syn_ex;
        o[2] = -s[2] / p.tau_syn_ex;
        o[3] = s[4] - s[3] / p.tau_syn_in;
        o[4] = -s[4] / p.tau_syn_in;
    };
    std::vector<double> out;
    std::size_t next = 0;
    for (std::size_t n = 0; n < samples; ++n) {
        for (int s = 0; s < sub; ++s) {
            const double t = (double(n) + double(s) / sub) * h;
            while (next < events.size() && events[next].t <= t + 1e-9) {
                const auto& e = events[next++];
                if (e.excitatory) y[2] += std::numbers::e * e.w / p.tau_syn_ex;
                else y[4] += std::numbers::e * e.w / p.tau_syn_in;
            }
            double k1[5], k2[5], k3[5], k4[5], z[5];
            f(y, k1);
            for (int i = 0; i < 5; ++i) z[i] = y[i] + 0.5 * hs * k1[i];
            f(z, k2);
            for (int i = 0; i < 5; ++i) z[i] = y[i] + 0.5 * hs * k2[i];
            f(z, k3);
            for (int i = 0; i < 5; ++i) z[i] = y[i] + hs * k3[i];
            f(z, k4);
            for (int i = 0; i < 5; ++i) y[i] += hs / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
        out.push_back(y[0]);
    }
    return out;
}

// Max |V - V_ref| over 300 ms of excitatory and inhibitory bursts at step h (subthreshold).
double max_error(const lif_cond_alpha::parameters& p, double h) {
    sim::run_config cfg;
    cfg.dt_ms = h;
    cfg.threads = 1;
    sim::network net(cfg);
    net.add_population<lif_cond_alpha>("n", 1, p);
    std::vector<input_event> events;
    const double delay = 1.0;
    std::vector<double> te, ti;
    for (int k = 0; k < 20; ++k) {
        te.push_back(5.0 + 9.0 * k);
        ti.push_back(8.0 + 13.0 * k);
    }
    net.add_spike_generator({"e", "n", {}, te, 6.0, delay, "excitatory"});
    net.add_spike_generator({"i", "n", {}, ti, 30.0, delay, "inhibitory"});
    for (double t : te) events.push_back({t + delay, 6.0, true});
    for (double t : ti) events.push_back({t + delay, 30.0, false});
    std::sort(events.begin(), events.end(), [](auto& a, auto& b) { return a.t < b.t; });
    net.record_state({"v", "n", {"V_m"}, {0}, h});
    net.run(300.0);
    const auto& rec = net.states(0);
    const auto ref = reference_trace(p, events, h, rec.times_ms.size());
    double worst = 0.0;
    for (std::size_t k = 0; k < ref.size(); ++k) worst = std::max(worst, std::abs(rec.values[k] - ref[k]));
    return worst;
}

lif_cond_alpha::parameters subthreshold(double tau_ex, double tau_in) {
    lif_cond_alpha::parameters p;
    p.V_th = 1e6;
    p.I_e = 150.0;
    p.tau_syn_ex = tau_ex;
    p.tau_syn_in = tau_in;
    return p;
}

} // namespace

TEST_CASE("lif_cond_alpha stays within 1e-4 mV of a fine RK4 reference and converges at fourth order",
          "[lif][cond][alpha]") {
    // NEST's default synapses (0.2 / 2 ms) and slower ones (Vogels-Abbott-like 5 / 10 ms).
    for (auto [te, ti] : {std::pair{0.2, 2.0}, std::pair{5.0, 10.0}}) {
        const auto p = subthreshold(te, ti);
        const double e1 = max_error(p, 0.1), e2 = max_error(p, 0.05);
        INFO("tau_syn " << te << "/" << ti << ": max |V - V_ref| at 0.1 ms " << e1 << " mV, at 0.05 ms " << e2);
        CHECK(e1 < 1e-4);
        CHECK(e1 > 0.0);
        CHECK(e1 / e2 > 12.0);  // about 16 for fourth order
    }
}

TEST_CASE("lif_cond_alpha: a weight w gives a conductance peaking at w nS at tau_syn", "[lif][cond][alpha]") {
    lif_cond_alpha::parameters p;
    p.tau_syn_ex = 1.5;
    sim::network net({0.1, 1, 1});
    net.add_population<lif_cond_alpha>("n", 1, p);
    net.add_spike_generator({"e", "n", {}, {10.0}, 4.0, 1.0, "excitatory"});
    net.record_state({"g", "n", {"g_ex"}, {0}, 0.1});
    net.run(30.0);
    const auto& rec = net.states(0);
    double peak = 0.0, t_peak = 0.0;
    for (std::size_t k = 0; k < rec.times_ms.size(); ++k) {
        const double s = rec.times_ms[k] - 11.0;
        const double exact = s > 0.0 ? 4.0 * s / 1.5 * std::exp(1.0 - s / 1.5) : 0.0;
        CHECK(rec.values[k] == Approx(exact).margin(1e-12));
        if (rec.values[k] > peak) {
            peak = rec.values[k];
            t_peak = s;
        }
    }
    CHECK(peak == Approx(4.0).epsilon(1e-12));
    CHECK(t_peak == Approx(1.5).margin(1e-9));
}

TEST_CASE("lif_cond_alpha fires with the LIF interval under DC and refuses bad parameters", "[lif][cond][alpha]") {
    lif_cond_alpha::parameters p;
    p.I_e = 500.0;
    sim::network net({0.1, 1, 1});
    net.add_population<lif_cond_alpha>("n", 1, p);
    net.record_spikes({"s", "n", {}});
    net.run(200.0);
    // No synaptic input: V relaxes to E_L + I/g_L from V_reset; interval t_ref + tau ln(...).
    const double tau = p.C_m / p.g_L, Vinf = p.E_L + p.I_e / p.g_L;
    const double isi = p.t_ref + tau * std::log((Vinf - p.V_reset) / (Vinf - p.V_th));
    const auto& s = net.spikes(0).times_ms;
    REQUIRE(s.size() >= 5);
    for (std::size_t k = 1; k < s.size(); ++k) CHECK(std::abs((s[k] - s[k - 1]) - isi) <= 0.1 + 1e-6);

    sim::network bad;
    bad.add_population<lif_cond_alpha>("n", 2);
    bad.connect({"", "n", "n", sim::connection_rule::all_to_all(), sim::distribution::constant(-1.0),
                 sim::distribution::constant(0.1), "excitatory"});
    REQUIRE_THROWS_WITH(bad.build(), Catch::Contains("weight") && Catch::Contains("conductance"));
    for (const auto& [name, value] : std::vector<std::pair<std::string, double>>{
             {"C_m", 0.0}, {"g_L", -1.0}, {"tau_syn_ex", 0.0}, {"tau_syn_in", -1.0}, {"t_ref", -1.0},
             {"V_reset", -50.0}, {"E_ex", std::nan("")}}) {
        sim::network net2({0.1, 1, 1});
        net2.add_population<lif_cond_alpha>("cells", 1).set_parameter(name, value);
        INFO(name);
        REQUIRE_THROWS_AS(net2.validate(), sim::parameter_error);
    }
    sim::model_registry reg;
    models::register_builtin(reg);
    REQUIRE(reg.contains("lif_cond_alpha"));
}
