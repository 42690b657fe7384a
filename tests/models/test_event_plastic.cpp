// Event mode for populations with plastic incoming projections (docs/engine.md, "Event-driven
// update"): the rule adds each arrival into a dense slot staged with the neuron's sums so far and
// sees the population's spikes as in clock mode, so a lif_psc_delta network learns bitwise the
// same weights and fires bitwise the same spikes in event (lazy) and clock mode, on 1 and 2
// threads, with pair STDP and with reward-modulated STDP (rewards between runs).
#include "lamina/models/neuron/lif_psc_delta.hpp"
#include "lamina/plasticity/reward_stdp.hpp"
#include "lamina/plasticity/stdp_pair.hpp"
#include "lamina/sim/network.hpp"
#include "lamina/sim/plastic_rule.hpp"
#include "event_outcome.hpp"

#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace lamina;
using models::lif_psc_delta;
using sim::update_mode;

namespace {

struct learned {
    std::vector<float> weights;  // the plastic projection, canonical order
    std::vector<double> spike_times;
    std::vector<std::uint32_t> spike_neurons;
    std::vector<double> final_v;
    std::int64_t event_steps = 0;
    bool operator==(const learned& o) const {
        return weights == o.weights && spike_times == o.spike_times && spike_neurons == o.spike_neurons &&
               final_v == o.final_v;
    }
};

// 800 E + 200 I Brunel-like lif_psc_delta neurons (fixed in-degrees 80/20, delay 1.5 ms) with
// Poisson drive drawn in blocks (as event mode draws it) at a rate that keeps most neurons idle
// in most steps; EE carries the rule. `between` runs before segments 1, 2, ... (rewards).
learned run(update_mode mode, int threads, std::shared_ptr<const sim::plasticity> rule,
            const std::function<void(sim::network&, std::size_t, int)>& between, int segments) {
    sim::run_config cfg;
    cfg.threads = threads;
    cfg.seed = 23;
    sim::network net(cfg);
    lif_psc_delta::parameters p;
    p.tau_m = 20.0;
    p.E_L = 0.0;
    p.V_th = 20.0;
    p.V_reset = 10.0;
    p.t_ref = 2.0;
    test::add_brunel_populations(net, mode, p);
    sim::projection_spec ee{"EE", "E", "E", sim::connection_rule::fixed_indegree(80),
                            sim::distribution::uniform(0.5, 1.5), sim::distribution::constant(1.5), "excitatory"};
    ee.plasticity = rule;
    const auto k = net.connect(ee);
    net.connect({"IE", "I", "E", sim::connection_rule::fixed_indegree(20), sim::distribution::uniform(-2.0, -1.0),
                 sim::distribution::constant(1.5), "inhibitory"});
    net.connect({"EI", "E", "I", sim::connection_rule::fixed_indegree(80), sim::distribution::constant(1.0),
                 sim::distribution::constant(1.5), "excitatory"});
    net.connect({"II", "I", "I", sim::connection_rule::fixed_indegree(20), sim::distribution::constant(-1.5),
                 sim::distribution::constant(1.5), "inhibitory"});
    for (const char* tgt : {"E", "I"}) {
        sim::poisson_input_spec drive;
        drive.name = std::string("drive_") + tgt;
        drive.target = tgt;
        drive.rate_hz = 300.0;
        drive.weight = 4.0;
        drive.draw_in_blocks = true;
        net.add_poisson_input(drive);
    }
    net.record_spikes({"spikes_E", "E", {}});
    const double total = 1000.0;
    for (int s = 0; s < segments; ++s) {
        if (s > 0 && between) between(net, k, s);
        net.run(s + 1 == segments ? total - net.current_time_ms() : total / segments + 0.3);
    }
    learned o;
    o.weights = net.synapses(k).weight;
    o.spike_times = net.spikes(0).times_ms;
    o.spike_neurons = net.spikes(0).neurons;
    const auto& E = net.population_at(0);
    o.final_v.assign(E.state(0), E.state(0) + E.size());
    o.event_steps = E.steps_event_driven;
    return o;
}

double fraction_moved(const std::vector<float>& w) {
    std::size_t n = 0;
    for (float x : w) n += (x < 0.4999f || x > 1.5001f) ? 1 : 0;
    return double(n) / double(w.size());
}

void check_event_equals_clock(const std::function<std::shared_ptr<const sim::plasticity>()>& make,
                              const std::function<void(sim::network&, std::size_t, int)>& between, int segments) {
    const learned clock = run(update_mode::clock, 1, make(), between, segments);
    REQUIRE(clock.spike_times.size() > 1000);  // the rule has post spikes to act on
    CHECK(fraction_moved(clock.weights) > 0.05);
    for (int threads : {1, 2}) {
        INFO(threads << " thread(s)");
        const learned event = run(update_mode::event, threads, make(), between, segments);
        CHECK(event.event_steps == 10000);
        CHECK(event.spike_times.size() == clock.spike_times.size());
        CHECK(event.weights == clock.weights);
        CHECK(event == clock);
    }
}

} // namespace

TEST_CASE("event mode with pair STDP onto lif_psc_delta learns bitwise the clock mode's weights and spikes",
          "[event][plasticity]") {
    plasticity::stdp_pair::parameters p;
    p.lambda = 0.02;
    p.alpha = 1.05;
    p.W_max = 3.0;
    check_event_equals_clock([&] { return std::make_shared<sim::plastic_rule<plasticity::stdp_pair>>(p); }, {}, 1);
}

TEST_CASE("event mode with reward-modulated STDP onto lif_psc_delta learns bitwise the clock mode's weights",
          "[event][plasticity]") {
    plasticity::reward_stdp::parameters p;
    p.A_plus = 0.05;
    p.A_minus = 0.06;
    p.W_max = 3.0;
    check_event_equals_clock([&] { return std::make_shared<sim::plastic_rule<plasticity::reward_stdp>>(p); },
                             [](sim::network& net, std::size_t k, int s) { net.modulate(k, 0.5 * s); }, 4);
}
