// The conductance LIF's Heun scheme against an independent RK4 solution at dt/100.
#include "lamina/models/neuron/lif_cond_exp.hpp"
#include "lamina/sim/network.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace lamina;
using models::lif_cond_exp;

namespace {

lif_cond_exp::parameters vogels_abbott() {
    lif_cond_exp::parameters p;
    p.C_m = 200.0;
    p.g_L = 10.0;
    p.E_L = -60.0;
    p.E_ex = 0.0;
    p.E_in = -80.0;
    p.V_th = 1e6;  // subthreshold: compare trajectories
    p.V_reset = -60.0;
    p.tau_syn_ex = 5.0;
    p.tau_syn_in = 10.0;
    p.I_e = 150.0;
    return p;
}

struct input_event {
    double t, w;
    bool excitatory;
};

// Reference: RK4 with step h/100 on V, conductances exact between events; an event at time t
// increments the conductance at t.
std::vector<double> reference_trace(const lif_cond_exp::parameters& p, const std::vector<input_event>& events,
                                    double h, std::size_t samples) {
    const int sub = 100;
    const double hs = h / sub;
    double V = p.E_L, ge = 0.0, gi = 0.0;
    auto f = [&](double v, double e, double i) {
        return (-p.g_L * (v - p.E_L) - e * (v - p.E_ex) - i * (v - p.E_in) + p.I_e) / p.C_m;
    };
    const double de_half = std::exp(-hs / 2 / p.tau_syn_ex), di_half = std::exp(-hs / 2 / p.tau_syn_in);
    std::vector<double> out;
    std::size_t next = 0;
    for (std::size_t n = 0; n < samples; ++n) {
        for (int s = 0; s < sub; ++s) {
            const double t = (double(n) + double(s) / sub) * h;
            while (next < events.size() && events[next].t <= t + 1e-9) {
                (events[next].excitatory ? ge : gi) += events[next].w;
                ++next;
            }
            const double ge_m = ge * de_half, gi_m = gi * di_half, ge_e = ge_m * de_half, gi_e = gi_m * di_half;
            const double k1 = f(V, ge, gi);
            const double k2 = f(V + hs / 2 * k1, ge_m, gi_m);
            const double k3 = f(V + hs / 2 * k2, ge_m, gi_m);
            const double k4 = f(V + hs * k3, ge_e, gi_e);
            V += hs / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
            ge = ge_e;
            gi = gi_e;
        }
        out.push_back(V);
    }
    return out;
}

double max_error(double h) {
    const auto p = vogels_abbott();
    sim::run_config cfg;
    cfg.dt_ms = h;
    cfg.threads = 1;
    sim::network net(cfg);
    net.add_population<lif_cond_exp>("n", 1, p);
    // Bursts of excitation and inhibition; arrival times are stamp + delay on the grid.
    std::vector<input_event> events;
    const double delay = 1.0;
    std::vector<double> te, ti;
    for (int k = 0; k < 20; ++k) {
        te.push_back(5.0 + 9.0 * k);
        ti.push_back(8.0 + 13.0 * k);
    }
    net.add_spike_generator({"e", "n", {}, te, 6.0, delay, "excitatory"});
    net.add_spike_generator({"i", "n", {}, ti, 67.0, delay, "inhibitory"});
    for (double t : te) events.push_back({t + delay, 6.0, true});
    for (double t : ti) events.push_back({t + delay, 67.0, false});
    std::sort(events.begin(), events.end(), [](auto& a, auto& b) { return a.t < b.t; });
    net.record_state({"v", "n", {"V_m"}, {0}, h});
    net.run(300.0);
    const auto& rec = net.states(0);
    const auto ref = reference_trace(p, events, h, rec.times_ms.size());
    double worst = 0.0;
    for (std::size_t k = 0; k < ref.size(); ++k) worst = std::max(worst, std::abs(rec.values[k] - ref[k]));
    return worst;
}

} // namespace

TEST_CASE("lif_cond_exp Heun scheme stays within 0.02 mV of RK4 and converges at second order", "[lif][cond]") {
    const double e1 = max_error(0.1);
    const double e2 = max_error(0.05);
    INFO("max |V - V_ref| at dt 0.1 ms: " << e1 << " mV, at 0.05 ms: " << e2 << " mV");
    CHECK(e1 < 0.02);
    CHECK(e1 > 0.0);
    // Second order: halving the step divides the error by about 4.
    CHECK(e1 / e2 > 3.0);
    CHECK(e1 / e2 < 5.0);
}

TEST_CASE("lif_cond_exp refuses negative conductance weights and bad time constants", "[lif][cond][validation]") {
    sim::network net;
    net.add_population<lif_cond_exp>("n", 2);
    net.connect({"", "n", "n", sim::connection_rule::all_to_all(), sim::distribution::constant(-1.0),
                 sim::distribution::constant(0.1), "inhibitory"});
    REQUIRE_THROWS_WITH(net.build(), Catch::Contains("weight") && Catch::Contains("conductance"));

    sim::network net2;
    lif_cond_exp::parameters p;
    p.tau_syn_in = 0.0;
    net2.add_population<lif_cond_exp>("pop", 2, p);
    REQUIRE_THROWS_WITH(net2.build(), Catch::Contains("population 'pop'") && Catch::Contains("tau_syn_in"));
}
