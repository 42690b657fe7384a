// Homeostatic multiplicative scaling (van Rossum, Bi & Turrigiano 2000): the weights follow the
// exact solution ln(w(T)/w(0)) = beta (a_goal T - int a dt) given the recorded post spikes;
// ratios are preserved; rates starting far below and far above the target converge to it;
// bad parameters are refused.
#include "lamina/models/neuron/lif_psc_delta.hpp"
#include "lamina/plasticity/synaptic_scaling.hpp"
#include "lamina/sim/network.hpp"
#include "lamina/sim/plastic_rule.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>

using namespace lamina;
using models::lif_psc_delta;
using plasticity::synaptic_scaling;

namespace {

constexpr double dt = 0.1;

// 200 inputs firing as independent Poisson trains at 10 Hz (relays of a Poisson drive) onto
// `n_out` LIF neurons (tau_m 20 ms, threshold 20 mV above rest, reset 10 mV, t_ref 2 ms) through
// a scaled all-to-all projection with weights uniform in [w_lo, w_hi] mV; optionally an inhibitory
// scaled projection with weights -uniform[0.01, 0.03] mV as well.
struct scaling_net {
    sim::network net;
    std::size_t exc = 0, inh = 0;
    bool with_inh = false;
    scaling_net(std::size_t n_out, double w_lo, double w_hi, synaptic_scaling::parameters p, bool inhibitory, std::uint64_t seed)
        : net([&] {
              sim::run_config c;
              c.threads = 1;
              c.seed = seed;
              return c;
          }()),
          with_inh(inhibitory) {
        lif_psc_delta::parameters relay;
        relay.tau_m = 10.0;
        relay.E_L = 0.0;
        relay.V_th = 10.0;
        relay.V_reset = 0.0;
        relay.t_ref = 0.1;
        lif_psc_delta::parameters lif;
        lif.tau_m = 20.0;
        lif.E_L = 0.0;
        lif.V_th = 20.0;
        lif.V_reset = 10.0;
        lif.t_ref = 2.0;
        net.add_population<lif_psc_delta>("in", 200, relay);
        net.add_population<lif_psc_delta>("out", n_out, lif);
        net.add_poisson_input({"drive", "in", {}, 10.0, 100.0, "excitatory"});
        sim::projection_spec e{"exc", "in", "out", sim::connection_rule::all_to_all(),
                               sim::distribution::uniform(w_lo, w_hi), sim::distribution::constant(1.0), "excitatory"};
        e.plasticity = std::make_shared<sim::plastic_rule<synaptic_scaling>>(p);
        exc = net.connect(e);
        if (inhibitory) {
            sim::projection_spec i{"inh", "in", "out", sim::connection_rule::all_to_all(),
                                   sim::distribution::uniform(-0.03, -0.01), sim::distribution::constant(1.0), "inhibitory"};
            i.plasticity = std::make_shared<sim::plastic_rule<synaptic_scaling>>(p);
            inh = net.connect(i);
        }
        net.record_spikes({"out_spikes", "out", {}});
    }
};

// Spikes of each out neuron with stamps in [t0, t1).
std::vector<std::vector<double>> spikes_by_neuron(const sim::spike_record& r, std::size_t n, double t0, double t1) {
    std::vector<std::vector<double>> s(n);
    for (std::size_t k = 0; k < r.times_ms.size(); ++k)
        if (r.times_ms[k] >= t0 - dt / 2 && r.times_ms[k] < t1 - dt / 2) s[r.neurons[k]].push_back(r.times_ms[k]);
    return s;
}

} // namespace

TEST_CASE("synaptic_scaling refuses bad parameters", "[plasticity][scaling]") {
    auto bad = [](auto change, const char* name) {
        synaptic_scaling::parameters p;
        change(p);
        INFO(name);
        try {
            synaptic_scaling::lower(p, dt, "syn");
            FAIL("accepted");
        } catch (const sim::parameter_error& e) {
            CHECK(e.parameter() == name);
        }
    };
    bad([](auto& p) { p.tau_a = 0.0; }, "tau_a");
    bad([](auto& p) { p.tau_a = std::numeric_limits<double>::infinity(); }, "tau_a");
    bad([](auto& p) { p.a_goal = -1.0; }, "a_goal");
    bad([](auto& p) { p.beta = -1e-3; }, "beta");
    bad([](auto& p) { p.beta = std::nan(""); }, "beta");
    bad([](auto& p) { p.update_interval = 0.0; }, "update_interval");
    bad([](auto& p) { p.W_max = 0.0; }, "W_max");
    CHECK_NOTHROW(synaptic_scaling::lower(synaptic_scaling::parameters{}, dt, "syn"));
    // Through a network: check() names the projection and the parameter.
    sim::network net;
    net.add_population<lif_psc_delta>("a", 2);
    sim::projection_spec s{"scaled", "a", "a", sim::connection_rule::all_to_all(), sim::distribution::constant(1.0),
                           sim::distribution::constant(1.0), "excitatory"};
    synaptic_scaling::parameters p;
    p.a_goal = -3.0;
    s.plasticity = std::make_shared<sim::plastic_rule<synaptic_scaling>>(p);
    net.connect(s);
    const auto errors = net.check();
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].parameter() == "a_goal");
    CHECK_THROWS_AS(net.build(), sim::parameter_error);
}

TEST_CASE("scaled weights follow the exact solution given the post spikes; ratios are preserved",
          "[plasticity][scaling]") {
    synaptic_scaling::parameters p;
    p.tau_a = 1000.0;
    p.a_goal = 10.0;
    p.beta = 0.02;
    p.update_interval = 100.0;
    const std::size_t n_out = 10;
    const double T = 5000.0;
    scaling_net S(n_out, 0.3, 0.9, p, true, 3);
    S.net.build();
    const auto e0 = S.net.synapses(S.exc), i0 = S.net.synapses(S.inh);
    S.net.run(T);
    const auto e1 = S.net.synapses(S.exc), i1 = S.net.synapses(S.inh);
    const auto spikes = spikes_by_neuron(S.net.spikes(0), n_out, 0.0, T);
    // Expected factor per neuron: int_0^T a dt = x(0) - x(T) + N with x(0) = 0.
    std::vector<double> log_f(n_out);
    std::size_t total = 0;
    for (std::size_t j = 0; j < n_out; ++j) {
        double xT = 0.0;
        for (double t : spikes[j]) xT += std::exp(-(T - t) / p.tau_a);
        const double integral = -xT + double(spikes[j].size());
        log_f[j] = p.beta * (p.a_goal * T * 1e-3 - integral);
        total += spikes[j].size();
    }
    INFO("post spikes " << total);
    REQUIRE(total > n_out * 5);  // the neurons fired, so the rate term matters
    std::size_t grew = 0, shrank = 0;
    for (std::size_t x = 0; x < e0.weight.size(); ++x) {
        const double f = std::exp(log_f[e0.target[x]]);
        CHECK(double(e1.weight[x]) == Approx(double(e0.weight[x]) * f).epsilon(1e-5));
        grew += f > 1.01, shrank += f < 0.99;
    }
    CHECK(grew + shrank > 0);
    // Inhibitory (negative) weights scale by the inverse factor.
    for (std::size_t x = 0; x < i0.weight.size(); ++x)
        CHECK(double(i1.weight[x]) == Approx(double(i0.weight[x]) / std::exp(log_f[i0.target[x]])).epsilon(1e-5));
    // Multiplicative: the ratio w(T)/w(0) is one number per target neuron (up to the float
    // rounding of each of the 50 updates, 6e-8 each).
    std::map<std::uint32_t, std::pair<double, double>> range;
    for (std::size_t x = 0; x < e0.weight.size(); ++x) {
        const double r = double(e1.weight[x]) / double(e0.weight[x]);
        auto [it, fresh] = range.try_emplace(e0.target[x], r, r);
        it->second.first = std::min(it->second.first, r);
        it->second.second = std::max(it->second.second, r);
    }
    for (auto& [j, mm] : range) {
        INFO("neuron " << j);
        CHECK(mm.second / mm.first - 1.0 < 1e-5);
    }
}

TEST_CASE("synaptic scaling brings rates far below and far above the target to it", "[plasticity][scaling]") {
    // Target 10 Hz, rate sensor tau_a = 1 s, beta = 0.01 /(Hz s). A silent start (weights 0.05 to
    // 0.15 mV, mean drive 4 mV below a 20 mV threshold) and a start at about 60 Hz (weights 0.5 to
    // 1.5 mV). A stationary state has <a> = a_goal, and over a window of length W the mean rate
    // differs from a_goal by |Delta ln w| / (beta W) plus (x(t0) - x(t1)) / W, each well below
    // 0.5 Hz for W = 40 s here; the tolerance is 5 % of the target.
    synaptic_scaling::parameters p;
    p.tau_a = 1000.0;
    p.a_goal = 10.0;
    p.beta = 0.01;
    p.update_interval = 100.0;
    const std::size_t n_out = 20;
    for (auto [lo, hi] : {std::pair{0.05, 0.15}, std::pair{0.5, 1.5}}) {
        scaling_net S(n_out, lo, hi, p, false, 11);
        S.net.run(2000.0);
        const auto start = spikes_by_neuron(S.net.spikes(0), n_out, 0.0, 2000.0);
        double start_rate = 0.0;
        for (auto& s : start) start_rate += double(s.size()) / 2.0 / double(n_out);
        S.net.run(98000.0);
        const auto end = spikes_by_neuron(S.net.spikes(0), n_out, 60000.0, 100000.0);
        double end_rate = 0.0, worst = 0.0;
        for (auto& s : end) {
            const double r = double(s.size()) / 40.0;
            end_rate += r / double(n_out);
            worst = std::max(worst, std::abs(r - p.a_goal));
        }
        INFO("initial weights [" << lo << ", " << hi << "] mV: rate " << start_rate << " Hz in the first 2 s, "
                                 << end_rate << " Hz over 60-100 s; worst neuron off by " << worst << " Hz");
        CHECK(std::abs(start_rate - p.a_goal) > 5.0);
        CHECK(std::abs(end_rate - p.a_goal) < 0.05 * p.a_goal);
        CHECK(worst < 0.1 * p.a_goal);
        std::printf("scaling from [%.2f, %.2f] mV: %.2f Hz in the first 2 s -> %.3f Hz over 60-100 s (worst neuron %.3f Hz off)\n",
                    lo, hi, start_rate, end_rate, worst);
    }
}
