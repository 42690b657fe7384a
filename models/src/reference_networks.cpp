#include "lamina/models/reference_networks.hpp"

#include "lamina/models/neuron/lif_cond_exp.hpp"
#include "lamina/models/neuron/lif_psc_delta.hpp"
#include "lamina/models/neuron/lif_psc_exp.hpp"

#include <cmath>

namespace lamina::models {

using sim::connection_rule;
using sim::distribution;

namespace {
std::size_t scaled(double n, double k) { return static_cast<std::size_t>(std::llround(n * k)); }

void record(sim::network& net, const reference_network_options& opt) {
    if (!opt.record_spikes) return;
    net.record_spikes({"spikes_E", "E", {}});
    net.record_spikes({"spikes_I", "I", {}});
}
} // namespace

void build_w1_coba(sim::network& net, const reference_network_options& opt) {
    // Absolute units: g_L = 10 nS and C_m = 200 pF give tau_m = 20 ms; the workload's
    // conductances in units of g_L become nS (0.6 -> 6 nS, 6.7 -> 67 nS).
    lif_cond_exp::parameters p;
    p.C_m = 200.0;
    p.g_L = 10.0;
    p.E_L = -60.0;
    p.E_ex = 0.0;
    p.E_in = -80.0;
    p.V_th = -50.0;
    p.V_reset = -60.0;
    p.t_ref = 5.0;
    p.tau_syn_ex = 5.0;
    p.tau_syn_in = 10.0;
    const double k = opt.scale;
    for (auto [name, n] : {std::pair{"E", 3200.0}, {"I", 800.0}}) {
        auto& pop = net.add_population<lif_cond_exp>(name, scaled(n, k), p);
        pop.set_initial("V_m", distribution::normal(-65.0, 5.0));
        pop.set_initial("g_ex", distribution::normal(40.0, 15.0));
        pop.set_initial("g_in", distribution::normal(200.0, 120.0));
    }
    const double prob = 0.02 / k;
    for (const char* tgt : {"E", "I"}) {
        net.connect({"", "E", tgt, connection_rule::pairwise_bernoulli(prob), distribution::constant(6.0),
                     distribution::constant(0.1), "excitatory"});
        net.connect({"", "I", tgt, connection_rule::pairwise_bernoulli(prob), distribution::constant(67.0),
                     distribution::constant(0.1), "inhibitory"});
    }
    record(net, opt);
}

void build_w2_cuba(sim::network& net, const reference_network_options& opt) {
    // dv/dt = (ge + gi - (v - E_L)) / tau_m with ge, gi in mV equals lif_psc_exp with
    // C_m = tau_m numerically (20 pF, 20 ms): a current of x pA moves V like x mV of ge.
    lif_psc_exp::parameters p;
    p.tau_m = 20.0;
    p.C_m = 20.0;
    p.E_L = -49.0;
    p.V_th = -50.0;
    p.V_reset = -60.0;
    p.t_ref = 5.0;
    p.tau_syn_ex = 5.0;
    p.tau_syn_in = 10.0;
    const double k = opt.scale;
    for (auto [name, n] : {std::pair{"E", 3200.0}, {"I", 800.0}}) {
        auto& pop = net.add_population<lif_psc_exp>(name, scaled(n, k), p);
        pop.set_initial("V_m", distribution::uniform(-60.0, -50.0));
    }
    const double prob = 0.02 / k;
    for (const char* tgt : {"E", "I"}) {
        net.connect({"", "E", tgt, connection_rule::pairwise_bernoulli(prob), distribution::constant(1.62),
                     distribution::constant(0.1), "excitatory"});
        net.connect({"", "I", tgt, connection_rule::pairwise_bernoulli(prob), distribution::constant(-9.0),
                     distribution::constant(0.1), "inhibitory"});
    }
    record(net, opt);
}

void build_w3_brunel(sim::network& net, const reference_network_options& opt, double g, double eta, double V_reset) {
    lif_psc_delta::parameters p;
    p.tau_m = 20.0;
    p.C_m = 250.0;
    p.E_L = 0.0;
    p.V_th = 20.0;
    p.V_reset = V_reset;
    p.t_ref = 2.0;
    const double J = 0.1, CE = 1000.0, CI = 250.0, D = 1.5;
    const double nu_thr = p.V_th / (J * CE * p.tau_m) * 1000.0;  // Hz
    net.add_population<lif_psc_delta>("E", scaled(10000, opt.scale), p);
    net.add_population<lif_psc_delta>("I", scaled(2500, opt.scale), p);
    for (const char* tgt : {"E", "I"}) {
        sim::projection_spec exc{"", "E", tgt, connection_rule::fixed_indegree(static_cast<std::uint64_t>(CE)),
                                 distribution::constant(J), distribution::constant(D), "excitatory"};
        if (std::string(tgt) == "E") exc.plasticity = opt.ee_plasticity;
        net.connect(exc);
        net.connect({"", "I", tgt, connection_rule::fixed_indegree(static_cast<std::uint64_t>(CI)),
                     distribution::constant(-g * J), distribution::constant(D), "inhibitory"});
        sim::poisson_input_spec drive;
        drive.name = std::string("drive_") + tgt;
        drive.target = tgt;
        drive.rate_hz = eta * nu_thr * CE;
        drive.weight = J;
        drive.port = "excitatory";
        net.add_poisson_input(drive);
    }
    record(net, opt);
}

} // namespace lamina::models
