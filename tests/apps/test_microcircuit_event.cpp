// The Potjans & Diesmann (2014) microcircuit (examples/potjans_diesmann_2014.toml, read as users
// read it) in event mode against clock mode: the same spikes and states within the rounding bounds
// docs/engine.md states for lif_psc_exp (issue 12 asks for W2, W3 and the microcircuit). Scaled
// down in the description (neurons x 0.02, in-degrees x 0.25) so that it runs in seconds; the
// network keeps what matters here: eight populations at rates from under 1 to about 10 Hz,
// per-synapse normal delays from 0.1 to 7.5 ms, fixed_total_number connectivity and Poisson drive.
#include "../models/event_outcome.hpp"
#include "lamina/compose/model_file.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>

using namespace lamina;

namespace {

constexpr double neuron_scale = 0.02, indegree_scale = 0.25;

compose::model_description scaled_microcircuit(sim::update_mode mode) {
    auto d = compose::load_model_file(std::string(LAMINA_SOURCE_DIR) + "/examples/potjans_diesmann_2014.toml");
    for (auto& p : d.populations) {
        p.size = std::size_t(std::lround(double(p.size) * neuron_scale));
        p.update = mode;
    }
    // A total over N_post targets is an in-degree of total / N_post: scale it with both factors.
    for (auto& pr : d.projections)
        pr.rule.total = std::uint64_t(std::llround(double(pr.rule.total) * neuron_scale * indegree_scale));
    // Event mode draws Poisson input in blocks; clock mode draws it so too here, so that both modes
    // see the same realisation of the drive.
    for (auto& in : d.poisson_inputs) in.draw_in_blocks = true;
    if (d.spike_recorders.empty())
        for (const auto& p : d.populations) d.spike_recorders.push_back({"spikes_" + p.name, p.name, {}});
    return d;
}

test::event_outcome run(sim::update_mode mode, int threads) {
    compose::run_overrides o;
    o.threads = threads;
    auto net = compose::instantiate(scaled_microcircuit(mode), o);
    net->run(400.0);
    return test::collect(*net, 3);  // V_m, I_syn_ex, I_syn_in
}

} // namespace

TEST_CASE("the microcircuit in event mode fires the clock mode's spikes, with states within rounding",
          "[event][lif_exp][microcircuit]") {
    const auto clock = run(sim::update_mode::clock, 1);
    const auto event = run(sim::update_mode::event, 1);
    INFO(clock.times.size() << " spikes in clock mode, " << event.times.size() << " in event mode");
    REQUIRE(clock.times.size() > 1000);  // every population active, not a silent network
    CHECK(clock.times == event.times);
    CHECK(clock.neurons == event.neurons);
    CHECK(clock.refractory == event.refractory);
    double dv = 0.0, di = 0.0;
    for (std::size_t k = 0; k < clock.state.size(); ++k)
        for (std::size_t i = 0; i < clock.state[k].size(); ++i) {
            const double d = std::abs(clock.state[k][i] - event.state[k][i]);
            (k % 3 == 0 ? dv : di) = std::max(k % 3 == 0 ? dv : di, d);
        }
    INFO("max |dV| = " << dv << " mV, max |dI| = " << di << " pA");
    CHECK(dv <= 1e-10);  // docs/engine.md: event mode's lif_psc_exp bounds
    CHECK(di <= 1e-9);
    // Event mode is bitwise the same on another thread count.
    CHECK(run(sim::update_mode::event, 2) == event);
}
