// Event mode for lif_psc_delta populations with per-neuron constant currents (neuron_currents,
// as the agent substrate drives its sensory and concept neurons): a neuron whose current is not
// 0 is advanced every step by the clock kernel's per-step form, a neuron whose current is 0 stays
// lazy, and spikes and states are bitwise those of clock mode, on 1 and 2 threads, across runs
// between which the currents change. Devices whose current changes within a run are refused.
#include "lamina/models/neuron/lif_psc_delta.hpp"
#include "lamina/sim/network.hpp"
#include "event_outcome.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace lamina;
using models::lif_psc_delta;
using sim::update_mode;

namespace {

struct driven_run {
    test::event_outcome outcome;
    std::int64_t event_steps = 0;
    std::size_t spikes_of_driven = 0;  // spikes of neurons given a current
};

// 800 E + 200 I Brunel-like neurons with sparse Poisson drive; E carries a neuron_currents
// device. Segment 1: every 10th E neuron gets 300 pA (V_inf = 24 mV > V_th: regular firing),
// segment 2: other neurons and amplitudes (some below rheobase), segment 3: all 0.
driven_run run(update_mode mode, int threads) {
    sim::run_config cfg;
    cfg.threads = threads;
    cfg.seed = 5;
    sim::network net(cfg);
    lif_psc_delta::parameters p;
    p.tau_m = 20.0;
    p.C_m = 250.0;
    p.E_L = 0.0;
    p.V_th = 20.0;
    p.V_reset = 10.0;
    p.t_ref = 2.0;
    test::add_brunel_populations(net, mode, p);
    for (const char* tgt : {"E", "I"}) {
        net.connect({"", "E", tgt, sim::connection_rule::fixed_indegree(80), sim::distribution::constant(0.8),
                     sim::distribution::constant(1.5), "excitatory"});
        net.connect({"", "I", tgt, sim::connection_rule::fixed_indegree(20), sim::distribution::constant(-2.0),
                     sim::distribution::uniform(0.8, 2.2), "inhibitory"});
        sim::poisson_input_spec drive;
        drive.name = std::string("drive_") + tgt;
        drive.target = tgt;
        drive.rate_hz = 200.0;
        drive.weight = 4.0;
        drive.draw_in_blocks = true;
        net.add_poisson_input(drive);
        net.record_spikes({std::string("s") + tgt, tgt});
    }
    const auto k = net.add_neuron_currents({"code", "E", {}, std::vector<double>(800, 0.0)});
    std::vector<double> a(800, 0.0);
    for (std::size_t i = 0; i < 800; i += 10) a[i] = 300.0;
    net.set_neuron_currents(k, a);
    net.run(150.3);
    std::vector<double> b(800, 0.0);
    for (std::size_t i = 3; i < 800; i += 7) b[i] = i % 2 ? 280.0 : 150.0;  // 150 pA: V_inf 12 mV
    net.set_neuron_currents(k, b);
    net.run(150.0);
    net.set_neuron_currents(k, std::vector<double>(800, 0.0));
    net.run(100.0);
    driven_run o;
    o.outcome = test::collect(net);
    o.event_steps = net.population_at(0).steps_event_driven;
    const auto& s = net.spikes(0);
    for (std::size_t m = 0; m < s.neurons.size(); ++m)
        if (s.times_ms[m] < 150.3 && s.neurons[m] % 10 == 0) ++o.spikes_of_driven;
    return o;
}

} // namespace

TEST_CASE("event-driven lif_psc_delta with per-neuron currents matches clock mode bitwise", "[event][lif][current]") {
    const auto clock = run(update_mode::clock, 1);
    REQUIRE(clock.spikes_of_driven > 80 * 10);  // 300 pA makes the driven neurons fire regularly
    for (int threads : {1, 2}) {
        INFO(threads << " thread(s)");
        const auto event = run(update_mode::event, threads);
        CHECK(event.event_steps == 4003);
        CHECK(event.outcome.times.size() == clock.outcome.times.size());
        CHECK(event.outcome == clock.outcome);
    }
}

TEST_CASE("event mode refuses currents that change within a run", "[event][current][refusal]") {
    sim::run_config cfg;
    cfg.threads = 1;
    sim::network net(cfg);
    auto& pop = net.add_population<lif_psc_delta>("x", 10);
    pop.requested_update = update_mode::event;
    net.add_noise_current({"noise", "x", {}, 0.0, 10.0});
    REQUIRE_THROWS_WITH(net.build(), Catch::Contains("population 'x'") && Catch::Contains("noise current 'noise'"));
}
