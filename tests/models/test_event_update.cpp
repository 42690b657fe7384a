// Event-driven (lazy) update of lif_psc_delta against clock-driven execution on the same grid:
// spikes and states must be bitwise identical (docs/engine.md, "Event-driven update"), for any
// thread count, across chained runs and checkpoints; Poisson input drawn in blocks must be the
// Poisson process it replaces.
#include "lamina/models/neuron/lif_psc_delta.hpp"
#include "lamina/models/neuron/lif_cond_exp.hpp"
#include "lamina/models/neuron/lif_psc_exp.hpp"
#include "lamina/sim/network.hpp"
#include "event_outcome.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <string>
#include <tuple>

using namespace lamina;
using models::lif_psc_delta;
using sim::update_mode;

namespace {

using outcome = test::event_outcome;
using test::collect;

// W3 (Brunel 2000 model A) scaled down, Poisson drive drawn in blocks (as event mode draws it).
// `dense_path`: whether event mode may take the clock kernel while most neurons are touched (off:
// every step of an event run is lazy, which is what most tests here check).
void build_w3_like(sim::network& net, update_mode mode, double scale = 0.2, bool dense_path = false) {
    lif_psc_delta::parameters p;
    p.tau_m = 20.0;
    p.E_L = 0.0;
    p.V_th = 20.0;
    p.V_reset = 10.0;
    p.t_ref = 2.0;
    const double J = 0.1, CE = 1000.0 * scale, CI = 250.0 * scale;
    const double nu_thr = p.V_th / (J * 1000.0 * p.tau_m) * 1000.0;
    auto& E = net.add_population<lif_psc_delta>("E", std::size_t(10000 * scale), p);
    auto& I = net.add_population<lif_psc_delta>("I", std::size_t(2500 * scale), p);
    E.requested_update = mode;
    I.requested_update = mode;
    E.event_dense_path = I.event_dense_path = dense_path;
    for (const char* tgt : {"E", "I"}) {
        net.connect({"", "E", tgt, sim::connection_rule::fixed_indegree(std::uint64_t(CE)), sim::distribution::constant(J / scale),
                     sim::distribution::constant(1.5), "excitatory"});
        net.connect({"", "I", tgt, sim::connection_rule::fixed_indegree(std::uint64_t(CI)),
                     sim::distribution::constant(-5.0 * J / scale), sim::distribution::uniform(0.8, 2.2), "inhibitory"});
        sim::poisson_input_spec drive;
        drive.name = std::string("drive_") + tgt;
        drive.target = tgt;
        drive.rate_hz = 2.0 * nu_thr * 1000.0;
        drive.weight = J;
        drive.draw_in_blocks = true;
        net.add_poisson_input(drive);
        net.record_spikes({std::string("s") + tgt, tgt});
    }
}

// A W2-like network of lif_psc_delta driven by a suprathreshold constant current (no input noise):
// spikes are predicted crossings; recurrent E/I jumps perturb them; initial V spread at random.
void build_dc_network(sim::network& net, update_mode mode) {
    lif_psc_delta::parameters p;
    p.tau_m = 20.0;
    p.C_m = 250.0;
    p.E_L = -49.0;
    p.V_th = -50.0;  // V_inf = E_L + R I_e above V_th: every neuron fires regularly
    p.V_reset = -60.0;
    p.t_ref = 5.0;
    p.I_e = 20.0;
    p.V_min = -80.0;
    auto& E = net.add_population<lif_psc_delta>("E", 800, p);
    auto& I = net.add_population<lif_psc_delta>("I", 200, p);
    for (auto* pop : {&E, &I}) {
        pop->requested_update = mode;
        pop->event_dense_path = false;
        pop->set_initial("V_m", sim::distribution::uniform(-60.0, -50.0));
    }
    for (const char* tgt : {"E", "I"}) {
        net.connect({"", "E", tgt, sim::connection_rule::pairwise_bernoulli(0.02), sim::distribution::constant(1.62),
                     sim::distribution::constant(0.1), "excitatory"});
        net.connect({"", "I", tgt, sim::connection_rule::pairwise_bernoulli(0.02), sim::distribution::constant(-9.0),
                     sim::distribution::constant(0.1), "inhibitory"});
        net.record_spikes({std::string("s") + tgt, tgt});
    }
    sim::spike_generator_spec kick{"kick", "E", {0, 1, 2, 3}, {5.0, 50.0, 50.1, 120.0}, 30.0, 0.1, "excitatory"};
    net.add_spike_generator(kick);
}

// Every run of this file uses seed 7.
template <class Build>
outcome run_network(Build build, update_mode mode, int threads, double ms) {
    return test::run_network(build, mode, threads, ms, 7);
}

} // namespace

TEST_CASE("event-driven lif_psc_delta fires at bitwise the steps of clock mode under constant drive",
          "[event][lif]") {
    for (double I_e : {375.5, 400.0, 1000.0, 374.0}) {  // rheobase 375 pA: below it no spike at all
        auto one = [&](update_mode mode) {
            sim::run_config cfg;
            cfg.threads = 1;
            sim::network net(cfg);
            lif_psc_delta::parameters p;
            p.I_e = I_e;
            auto& pop = net.add_population<lif_psc_delta>("n", 3, p);
            pop.requested_update = mode;
            pop.event_dense_path = false;
            pop.set_initial("V_m", sim::distribution::uniform(-70.0, -56.0));
            net.record_spikes({"s", "n"});
            net.run(2000.0);
            return collect(net);
        };
        const auto clock = one(update_mode::clock);
        const auto event = one(update_mode::event);
        CHECK(clock == event);
        if (I_e > 375.0) CHECK(clock.times.size() > 30);
        if (I_e < 375.0) CHECK(clock.times.empty());
    }
}

TEST_CASE("event-driven lif_psc_delta matches clock mode bitwise in a W3-like network", "[event][lif]") {
    const auto clock = run_network([](auto& n, auto m) { build_w3_like(n, m); }, update_mode::clock, 1, 300.0);
    const auto event = run_network([](auto& n, auto m) { build_w3_like(n, m); }, update_mode::event, 1, 300.0);
    REQUIRE(clock.times.size() > 5000);
    CHECK(clock == event);
}

TEST_CASE("event mode's dense path takes the clock kernel while the network is dense and stays bitwise", "[event][lif]") {
    // Quiet (no drive: event), driven at W3's rate (most neurons touched every step: the clock
    // kernel), quiet again (event): three runs, the drive set between them.
    auto go = [](update_mode mode, int threads) {
        sim::run_config cfg;
        cfg.threads = threads;
        cfg.seed = 7;
        sim::network net(cfg);
        build_w3_like(net, mode, 0.2, true);
        const double rate = 2.0 * 20.0 / (0.1 * 1000.0 * 20.0) * 1e6;  // build_w3_like's drive (Hz)
        for (std::size_t k : {0, 1}) net.set_poisson_rate(k, 0.0);
        net.run(50.0);
        const bool quiet_event = net.population_at(0).event_driven();
        for (std::size_t k : {0, 1}) net.set_poisson_rate(k, rate);
        net.run(200.0);
        const bool dense_event = net.population_at(0).event_driven();
        for (std::size_t k : {0, 1}) net.set_poisson_rate(k, 0.0);
        net.run(100.0);
        const bool quiet_again = net.population_at(0).event_driven();
        return std::tuple{collect(net), quiet_event, dense_event, quiet_again,
                          net.population_at(0).steps_event_driven, net.population_at(0).steps_clock_driven};
    };
    const auto [clock, c1, c2, c3, ce, cc] = go(update_mode::clock, 1);
    REQUIRE(clock.times.size() > 5000);
    CHECK(ce == 0);
    for (int threads : {1, 2}) {
        INFO(threads << " thread(s)");
        const auto [event, quiet_event, dense_event, quiet_again, steps_event, steps_clock] = go(update_mode::event, threads);
        CHECK(quiet_event);
        CHECK_FALSE(dense_event);
        CHECK(quiet_again);
        CHECK(steps_event > 500);
        CHECK(steps_clock > 1000);
        CHECK(clock == event);
    }
}

TEST_CASE("event-driven lif_psc_delta matches clock mode bitwise with predicted spikes and jumps", "[event][lif]") {
    const auto clock = run_network(build_dc_network, update_mode::clock, 1, 500.0);
    const auto event = run_network(build_dc_network, update_mode::event, 1, 500.0);
    REQUIRE(clock.times.size() > 1000);
    CHECK(clock == event);
}

TEST_CASE("event mode gives the same spikes on 1, 2 and 3 threads", "[event][threads]") {
    const auto one = run_network([](auto& n, auto m) { build_w3_like(n, m); }, update_mode::event, 1, 200.0);
    CHECK(one == run_network([](auto& n, auto m) { build_w3_like(n, m); }, update_mode::event, 2, 200.0));
    CHECK(one == run_network([](auto& n, auto m) { build_w3_like(n, m); }, update_mode::event, 3, 200.0));
    const auto dc = run_network(build_dc_network, update_mode::event, 1, 300.0);
    CHECK(dc == run_network(build_dc_network, update_mode::event, 3, 300.0));
}

TEST_CASE("event mode: chained runs and a checkpoint continue bitwise", "[event][checkpoint]") {
    sim::run_config cfg;
    cfg.threads = 2;
    cfg.seed = 7;
    sim::network whole(cfg);
    build_w3_like(whole, update_mode::event);
    whole.run(250.0);

    sim::network split(cfg);
    build_w3_like(split, update_mode::event);
    for (int k = 0; k < 7; ++k) split.run(13.7);  // cuts windows and Poisson blocks anywhere
    const auto path = (std::filesystem::temp_directory_path() / "lamina_event_checkpoint.h5").string();
    split.save_checkpoint(path);
    sim::run_config cfg1 = cfg;
    cfg1.threads = 1;
    sim::network resumed(cfg1);
    build_w3_like(resumed, update_mode::event);
    resumed.load_checkpoint(path);
    std::remove(path.c_str());
    resumed.run(250.0 - 7 * 13.7);
    split.run(250.0 - 7 * 13.7);
    const auto a = collect(whole), b = collect(split);
    CHECK(a.state == b.state);
    CHECK(a.refractory == b.refractory);
    CHECK(collect(resumed).state == a.state);
    // Spikes: the resumed network recorded only those after the checkpoint.
    const auto r = collect(resumed);
    std::size_t tail = 0;
    for (double t : a.times) tail += t > 7 * 13.7 + 1e-9;
    CHECK(r.times.size() == tail);
}

TEST_CASE("live writes of V_m and I_e between runs act in both modes alike", "[event][live]") {
    auto go = [](update_mode mode) {
        sim::run_config cfg;
        cfg.threads = 1;
        sim::network net(cfg);
        build_dc_network(net, mode);
        net.run(100.0);
        const std::vector<std::uint32_t> who{5, 6, 700};
        const std::vector<double> v{-51.0};
        net.set_state(0, "V_m", who, v);
        net.set_parameter(1, "I_e", 30.0);
        net.run(100.0);
        return collect(net);
    };
    CHECK(go(update_mode::clock) == go(update_mode::event));
}

TEST_CASE("auto mode picks event for quiet populations and gives the clock results", "[event][auto]") {
    sim::run_config cfg;
    cfg.threads = 1;
    auto build = [](sim::network& net, update_mode mode) {
        lif_psc_delta::parameters p;
        auto& pop = net.add_population<lif_psc_delta>("quiet", 2000, p);
        pop.requested_update = mode;
        sim::poisson_input_spec drive;
        drive.name = "drive";
        drive.target = "quiet";
        drive.rate_hz = 20.0;
        drive.weight = 8.0;
        drive.draw_in_blocks = true;
        net.add_poisson_input(drive);
        net.connect({"", "quiet", "quiet", sim::connection_rule::fixed_indegree(20), sim::distribution::constant(0.5),
                     sim::distribution::constant(1.0), "excitatory"});
        net.record_spikes({"s", "quiet"});
    };
    sim::network a(cfg), c(cfg);
    build(a, update_mode::automatic);
    build(c, update_mode::clock);
    a.run(500.0);
    c.run(500.0);
    INFO("spikes " << collect(a).times.size() << " event steps " << a.population_at(0).steps_event_driven);
    CHECK(a.population_at(0).event_driven());
    CHECK(a.population_at(0).steps_clock_driven == 0);
    CHECK(collect(a) == collect(c));
    CHECK(collect(a).times.size() > 100);
}

TEST_CASE("explicit event mode is refused where it cannot hold; auto falls back to clock", "[event][refusal]") {
    sim::run_config cfg;
    cfg.threads = 1;
    {
        sim::network net(cfg);
        auto& pop = net.add_population<models::lif_cond_exp>("x", 10);
        pop.requested_update = update_mode::event;
        REQUIRE_THROWS_WITH(net.build(), Catch::Contains("population 'x'") && Catch::Contains("update") &&
                                             Catch::Contains("no event-driven update"));
    }
    {
        sim::network net(cfg);
        auto& pop = net.add_population<lif_psc_delta>("x", 10);
        pop.requested_update = update_mode::event;
        net.add_current_input(sim::current_input_spec::dc("dc", "x", 100.0));
        REQUIRE_THROWS_WITH(net.build(), Catch::Contains("current input"));
    }
    {
        sim::network net(cfg);
        auto& pop = net.add_population<lif_psc_delta>("x", 10);
        pop.requested_update = update_mode::automatic;
        net.add_current_input(sim::current_input_spec::dc("dc", "x", 100.0));
        net.run(1.0);
        CHECK_FALSE(pop.event_driven());
    }
}

TEST_CASE("Poisson input drawn in blocks has the mean and variance of a Poisson count per step", "[event][poisson]") {
    sim::run_config cfg;
    cfg.threads = 1;
    sim::network net(cfg);
    lif_psc_delta::parameters p;
    p.V_th = 1e6;  // never fires; V sums the decayed inputs
    p.tau_m = 1000.0;
    auto& pop = net.add_population<lif_psc_delta>("n", 4000, p);
    pop.requested_update = update_mode::event;
    sim::poisson_input_spec drive;
    drive.name = "drive";
    drive.target = "n";
    drive.rate_hz = 5000.0;  // lambda = 0.5 per step
    drive.weight = 1.0;
    net.add_poisson_input(drive);
    const int steps = 3000;  // three blocks
    net.run(steps * 0.1);
    // An input in step n adds P^(N-1-n) at the end of step N-1: mean lambda sum P^j, variance
    // lambda sum P^2j (a Poisson count per step), j = 0..N-1.
    const double P = std::exp(-0.1 / p.tau_m), lambda = 0.5;
    double m1 = 0.0, m2 = 0.0;
    for (int j = 0; j < steps; ++j) {
        m1 += lambda * std::pow(P, j);
        m2 += lambda * std::pow(P, 2 * j);
    }
    const double* V = pop.state(0);
    double mean = 0.0, var = 0.0;
    for (std::size_t i = 0; i < pop.size(); ++i) mean += V[i] - p.E_L;
    mean /= double(pop.size());
    for (std::size_t i = 0; i < pop.size(); ++i) var += (V[i] - p.E_L - mean) * (V[i] - p.E_L - mean);
    var /= double(pop.size() - 1);
    // Standard error of the mean: sqrt(m2 / 4000) = 0.6; of the variance about 2.2 %.
    CHECK(std::abs(mean - m1) < 3.0);
    CHECK(var == Approx(m2).epsilon(0.1));
}
