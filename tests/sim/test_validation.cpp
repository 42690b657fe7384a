// Refusal of invalid parameters: every class of bad input is a parameter_error (or error) naming
// the object and the parameter, raised before anything is built; oversized networks are a
// capacity_error raised before allocating.
#include "test_models.hpp"

#include "lamina/sim/system_memory.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>

using namespace lamina::sim;
using lamina::sim::test::probe;
using Catch::Contains;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

// A valid network: populations "exc" (20 probes) and "inh" (10 probes).
std::unique_ptr<network> base(int threads = 1) {
    run_config cfg;
    cfg.threads = threads;
    auto net = std::make_unique<network>(cfg);
    net->add_population<probe>("exc", 20);
    net->add_population<probe>("inh", 10);
    return net;
}

projection_spec proj(std::string name, std::string src, std::string tgt, connection_rule rule) {
    projection_spec p;
    p.name = std::move(name);
    p.source = std::move(src);
    p.target = std::move(tgt);
    p.rule = std::move(rule);
    return p;
}

// Runs f, which must throw a parameter_error about `object` and `parameter` whose message also
// contains every string of `mentions`.
void refuses(const std::function<void()>& f, const std::string& object, const std::string& parameter,
             const std::vector<std::string>& mentions = {}) {
    try {
        f();
    } catch (const parameter_error& e) {
        const std::string what = e.what();
        INFO("message: " << what);
        CHECK_THAT(e.object(), Contains(object));
        CHECK(e.parameter() == parameter);
        CHECK_THAT(what, Contains(object));
        CHECK_THAT(what, Contains("'" + parameter + "'"));
        for (const auto& m : mentions) CHECK_THAT(what, Contains(m));
        return;
    }
    FAIL("no parameter_error for " << object << ", parameter " << parameter);
}

// Builds a base network after `add` configured it: must be refused.
void build_refuses(const std::function<void(network&)>& add, const std::string& object, const std::string& parameter,
                   const std::vector<std::string>& mentions = {}) {
    auto net = base();
    add(*net);
    refuses([&] { net->build(); }, object, parameter, mentions);
    CHECK(!net->built());
}

// The same configuration with valid values must build (so the refusal above is about the value).
void builds(const std::function<void(network&)>& add) {
    auto net = base();
    add(*net);
    CHECK_NOTHROW(net->build());
    CHECK(net->built());
}

} // namespace

TEST_CASE("dt <= 0 is refused", "[sim][validation]") {
    for (double dt : {0.0, -0.1, not_a_number, inf}) {
        INFO("dt " << dt);
        run_config cfg;
        cfg.dt_ms = dt;
        refuses([&] { network net(cfg); }, "run", "dt");
    }
    run_config ok;
    ok.dt_ms = 0.05;
    CHECK_NOTHROW([&] { network n(ok); }());
}

TEST_CASE("a non-positive time constant is refused by the model's lower()", "[sim][validation]") {
    for (double tau : {0.0, -5.0, not_a_number}) {
        INFO("tau " << tau);
        run_config cfg;
        network net(cfg);
        probe::parameters p;
        p.tau = tau;
        net.add_population<probe>("cells", 10, p);
        refuses([&] { net.build(); }, "population 'cells'", "tau", {"must be > 0"});
    }
    // Set by name through the population interface.
    auto net = base();
    net->find_population("inh").set_parameter("tau", 0.0);
    refuses([&] { net->build(); }, "population 'inh'", "tau");
    // Unknown parameter names are refused at once, with a suggestion.
    refuses([&] { net->find_population("exc").set_parameter("taux", 1.0); }, "population 'exc'", "taux",
            {"did you mean 'tau'"});
}

TEST_CASE("delays below one step are refused", "[sim][validation]") {
    auto with_delay = [](distribution d) {
        return [d](network& n) {
            auto p = proj("e2i", "exc", "inh", connection_rule::all_to_all());
            p.delay_ms = d;
            n.connect(p);
        };
    };
    build_refuses(with_delay(distribution::constant(0.05)), "projection 'e2i'", "delay", {"at least one step"});
    build_refuses(with_delay(distribution::constant(0.0)), "projection 'e2i'", "delay");
    build_refuses(with_delay(distribution::constant(-1.0)), "projection 'e2i'", "delay");
    // As a distribution's lower end.
    build_refuses(with_delay(distribution::uniform(0.05, 1.0)), "projection 'e2i'", "delay");
    build_refuses(with_delay(distribution::normal(1.0, 0.3).bounded(0.0, 2.0)), "projection 'e2i'", "delay");
    build_refuses(with_delay(distribution::lognormal(0.0, 0.5).bounded(0.0, 3.0)), "projection 'e2i'", "delay");
    builds(with_delay(distribution::constant(0.1)));
    builds(with_delay(distribution::uniform(0.1, 1.0)));
    builds(with_delay(distribution::normal(1.0, 0.3).bounded(0.1, 2.0)));

    // Unnamed projections are named by their index and populations.
    build_refuses(
        [](network& n) {
            auto p = proj("", "exc", "inh", connection_rule::all_to_all());
            p.delay_ms = distribution::constant(0.01);
            n.connect(p);
        },
        "projection 'exc->inh'", "delay");
    // Explicit per-synapse delays and spike generator delays.
    build_refuses(
        [](network& n) {
            n.connect(proj("list", "exc", "inh", connection_rule::explicit_list({0, 1}, {0, 1}, {}, {0.3, 0.05})));
        },
        "projection 'list'", "delays");
    build_refuses([](network& n) { n.add_spike_generator({"gen", "exc", {}, {1.0}, 1.0, 0.05, "excitatory"}); },
                  "spike generator 'gen'", "delay");
}

TEST_CASE("a random delay distribution without upper bound is refused", "[sim][validation]") {
    auto with_delay = [](distribution d) {
        return [d](network& n) {
            auto p = proj("e2e", "exc", "exc", connection_rule::fixed_indegree(3));
            p.delay_ms = d;
            n.connect(p);
        };
    };
    build_refuses(with_delay(distribution::normal(1.0, 0.2).bounded(0.1, inf)), "projection 'e2e'", "delay",
                  {"upper bound"});
    build_refuses(with_delay(distribution::lognormal(0.0, 1.0).bounded(0.2, inf)), "projection 'e2e'", "delay",
                  {"upper bound"});
    builds(with_delay(distribution::lognormal(0.0, 1.0).bounded(0.2, 5.0)));
}

TEST_CASE("connection probabilities outside 0 to 1 are refused", "[sim][validation]") {
    for (double p : {-0.1, 1.5, not_a_number, inf}) {
        INFO("p " << p);
        build_refuses([p](network& n) { n.connect(proj("pb", "exc", "inh", connection_rule::pairwise_bernoulli(p))); },
                      "projection 'pb'", "probability");
    }
    for (double p : {0.0, 1.0}) builds([p](network& n) {
        n.connect(proj("pb", "exc", "inh", connection_rule::pairwise_bernoulli(p)));
    });
}

TEST_CASE("fixed degrees larger than the candidate pool without multapses are refused", "[sim][validation]") {
    // exc has 20 neurons, inh 10.
    build_refuses(
        [](network& n) { n.connect(proj("fi", "inh", "exc", connection_rule::fixed_indegree(11, true, false))); },
        "projection 'fi'", "indegree", {"11", "10"});
    builds([](network& n) { n.connect(proj("fi", "inh", "exc", connection_rule::fixed_indegree(10, true, false))); });
    builds([](network& n) { n.connect(proj("fi", "inh", "exc", connection_rule::fixed_indegree(11, true, true))); });
    // Within one population without autapses the pool is N - 1.
    build_refuses(
        [](network& n) { n.connect(proj("fi", "inh", "inh", connection_rule::fixed_indegree(10, false, false))); },
        "projection 'fi'", "indegree", {"9"});
    builds([](network& n) { n.connect(proj("fi", "inh", "inh", connection_rule::fixed_indegree(9, false, false))); });
    builds([](network& n) { n.connect(proj("fi", "inh", "inh", connection_rule::fixed_indegree(10, true, false))); });
    // Out-degrees against the target population.
    build_refuses(
        [](network& n) { n.connect(proj("fo", "exc", "inh", connection_rule::fixed_outdegree(11, true, false))); },
        "projection 'fo'", "outdegree");
    build_refuses(
        [](network& n) { n.connect(proj("fo", "exc", "exc", connection_rule::fixed_outdegree(20, false, false))); },
        "projection 'fo'", "outdegree");
    builds([](network& n) { n.connect(proj("fo", "exc", "exc", connection_rule::fixed_outdegree(19, false, false))); });
    // A one-neuron population has no partner at all without autapses.
    auto net = base();
    net->add_population<probe>("single", 1);
    net->connect(proj("self", "single", "single", connection_rule::fixed_indegree(1, false, true)));
    refuses([&] { net->build(); }, "projection 'self'", "indegree");
}

TEST_CASE("unknown receptor ports are refused with the nearest name", "[sim][validation]") {
    build_refuses(
        [](network& n) {
            auto p = proj("e2i", "exc", "inh", connection_rule::all_to_all());
            p.port = "exitatory";
            n.connect(p);
        },
        "projection 'e2i'", "port", {"exitatory", "did you mean 'excitatory'"});
    build_refuses(
        [](network& n) {
            auto p = proj("e2i", "exc", "inh", connection_rule::all_to_all());
            p.port = "inhibitor";
            n.connect(p);
        },
        "projection 'e2i'", "port", {"did you mean 'inhibitory'"});
    build_refuses(
        [](network& n) {
            poisson_input_spec s;
            s.name = "drive";
            s.target = "exc";
            s.rate_hz = 10;
            s.weight = 1;
            s.port = "conductanse";
            n.add_poisson_input(s);
        },
        "poisson input 'drive'", "port", {"did you mean 'conductance'"});
    build_refuses([](network& n) { n.add_spike_generator({"gen", "exc", {}, {1.0}, 1.0, 0.1, "AMPA"}); },
                  "spike generator 'gen'", "port", {"AMPA"});
}

TEST_CASE("unknown population names are refused in projections, devices and recorders", "[sim][validation]") {
    build_refuses([](network& n) { n.connect(proj("p", "exd", "inh", connection_rule::all_to_all())); },
                  "projection 'p'", "source", {"exd", "did you mean 'exc'"});
    build_refuses([](network& n) { n.connect(proj("p", "exc", "inhib", connection_rule::all_to_all())); },
                  "projection 'p'", "target", {"inhib"});
    build_refuses(
        [](network& n) {
            poisson_input_spec s;
            s.name = "drive";
            s.target = "nowhere";
            s.rate_hz = 10;
            n.add_poisson_input(s);
        },
        "poisson input 'drive'", "target", {"nowhere"});
    build_refuses([](network& n) { n.add_spike_generator({"gen", "ihn", {}, {1.0}, 1.0, 0.1, "excitatory"}); },
                  "spike generator 'gen'", "target", {"ihn"});
    build_refuses([](network& n) { n.add_current_input(current_input_spec::dc("dc", "exx", 10.0)); },
                  "current input 'dc'", "target", {"exx"});
    build_refuses([](network& n) { n.record_spikes({"sr", "ex", {}}); }, "spike recorder 'sr'", "population",
                  {"'ex'"});
    build_refuses([](network& n) { n.record_state({"st", "in", {"v"}, {}, 1.0}); }, "state recorder 'st'",
                  "population", {"'in'"});
    build_refuses([](network& n) { n.record_rate({"rr", "EXC", 1.0}); }, "rate recorder 'rr'", "population",
                  {"'EXC'"});
}

TEST_CASE("negative weights onto a non-negative port are refused", "[sim][validation]") {
    auto with_weight = [](distribution w) {
        return [w](network& n) {
            auto p = proj("cond", "exc", "inh", connection_rule::all_to_all());
            p.port = "conductance";
            p.weight = w;
            n.connect(p);
        };
    };
    build_refuses(with_weight(distribution::constant(-1.0)), "projection 'cond'", "weight", {"conductance"});
    build_refuses(with_weight(distribution::uniform(-0.5, 1.0)), "projection 'cond'", "weight");
    // An unbounded normal can draw negative values.
    build_refuses(with_weight(distribution::normal(2.0, 0.1)), "projection 'cond'", "weight");
    builds(with_weight(distribution::normal(2.0, 0.1).bounded(0.0, inf)));
    builds(with_weight(distribution::lognormal(0.0, 1.0)));
    builds(with_weight(distribution::constant(0.0)));
    // Listed weights.
    build_refuses(
        [](network& n) {
            auto p = proj("cond", "exc", "inh", connection_rule::explicit_list({0, 1}, {0, 0}, {1.0f, -0.5f}));
            p.port = "conductance";
            n.connect(p);
        },
        "projection 'cond'", "weight");
    // Devices.
    build_refuses(
        [](network& n) {
            poisson_input_spec s;
            s.name = "drive";
            s.target = "exc";
            s.rate_hz = 10;
            s.weight = -1.0;
            s.port = "conductance";
            n.add_poisson_input(s);
        },
        "poisson input 'drive'", "weight");
    build_refuses([](network& n) { n.add_spike_generator({"gen", "exc", {}, {1.0}, -2.0, 0.1, "conductance"}); },
                  "spike generator 'gen'", "weight");
    // The same negative weights are fine on a port without the flag.
    builds([](network& n) {
        auto p = proj("exc_neg", "exc", "inh", connection_rule::all_to_all());
        p.weight = distribution::constant(-1.0);
        n.connect(p);
    });
}

TEST_CASE("explicit lists: indices out of range and mismatched arrays are refused", "[sim][validation]") {
    // exc: 20 neurons (sources), inh: 10 (targets).
    auto list = [](connection_rule r) { return [r](network& n) { n.connect(proj("list", "exc", "inh", r)); }; };
    build_refuses(list(connection_rule::explicit_list({0, 20}, {0, 1})), "projection 'list'", "sources", {"20"});
    build_refuses(list(connection_rule::explicit_list({0, 19}, {10, 1})), "projection 'list'", "targets", {"10"});
    builds(list(connection_rule::explicit_list({0, 19}, {9, 1})));
    build_refuses(list(connection_rule::explicit_list({0, 1, 2}, {0, 1})), "projection 'list'", "targets");
    build_refuses(list(connection_rule::explicit_list({0, 1, 2}, {0, 1, 2}, {1.0f, 2.0f})), "projection 'list'",
                  "weights");
    build_refuses(list(connection_rule::explicit_list({0, 1, 2}, {0, 1, 2}, {}, {1.0})), "projection 'list'",
                  "delays");
    build_refuses(list(connection_rule::explicit_list({0, 1, 2}, {0, 1, 2}, {1.0f, 2.0f, 3.0f}, {1.0, 1.0, 1.0, 1.0})),
                  "projection 'list'", "delays");
    builds(list(connection_rule::explicit_list({0, 1, 2}, {0, 1, 2}, {1.0f, 2.0f, 3.0f}, {1.0, 0.5, 0.1})));
    // one_to_one between populations of different sizes.
    build_refuses([](network& n) { n.connect(proj("o2o", "exc", "inh", connection_rule::one_to_one())); },
                  "projection 'o2o'", "rule");
}

TEST_CASE("unknown state variables are refused in state recorders and set_initial", "[sim][validation]") {
    build_refuses([](network& n) { n.record_state({"st", "exc", {"v", "vm"}, {}, 1.0}); }, "state recorder 'st'",
                  "variables", {"'vm'"});
    build_refuses([](network& n) { n.record_state({"st", "exc", {"totl"}, {}, 1.0}); }, "state recorder 'st'",
                  "variables", {"did you mean 'total'"});
    build_refuses([](network& n) { n.record_state({"st", "exc", {}, {}, 1.0}); }, "state recorder 'st'", "variables");
    builds([](network& n) { n.record_state({"st", "exc", {"v", "total"}, {}, 1.0}); });
    auto net = base();
    refuses([&] { net->find_population("exc").set_initial("totl", distribution::constant(1.0)); }, "population 'exc'",
            "initial.totl", {"did you mean 'total'"});
    refuses([&] { net->find_population("exc").set_initial("v", distribution::uniform(2.0, 1.0)); },
            "population 'exc'", "initial.v");
    CHECK_NOTHROW(net->find_population("exc").set_initial("v", distribution::uniform(0.0, 1.0)));
}

TEST_CASE("recorder intervals and bins below dt are refused", "[sim][validation]") {
    for (double interval : {0.05, 0.0, -1.0}) {
        INFO("interval " << interval);
        build_refuses([interval](network& n) { n.record_state({"st", "exc", {"v"}, {}, interval}); },
                      "state recorder 'st'", "interval");
        build_refuses([interval](network& n) { n.record_rate({"rr", "exc", interval}); }, "rate recorder 'rr'", "bin");
    }
    builds([](network& n) {
        n.record_state({"st", "exc", {"v"}, {}, 0.1});
        n.record_rate({"rr", "exc", 0.1});
    });
}

TEST_CASE("neuron subsets, device times and rates are checked", "[sim][validation]") {
    build_refuses([](network& n) { n.record_spikes({"sr", "inh", {3, 10}}); }, "spike recorder 'sr'", "neurons",
                  {"10"});
    build_refuses([](network& n) { n.record_state({"st", "inh", {"v"}, {12}, 1.0}); }, "state recorder 'st'",
                  "neurons");
    build_refuses(
        [](network& n) {
            auto dc = current_input_spec::dc("dc", "inh", 1.0);
            dc.neurons = {10};
            n.add_current_input(dc);
        },
        "current input 'dc'", "neurons");
    build_refuses([](network& n) { n.add_current_input({"steps", "inh", {}, {1.0, 0.5}, {1.0, 2.0}}); },
                  "current input 'steps'", "times");
    build_refuses([](network& n) { n.add_current_input({"steps", "inh", {}, {0.5, 1.0}, {1.0}}); },
                  "current input 'steps'", "amplitudes");
    build_refuses([](network& n) { n.add_spike_generator({"gen", "exc", {}, {0.05}, 1.0, 0.1, "excitatory"}); },
                  "spike generator 'gen'", "times");
    build_refuses(
        [](network& n) {
            poisson_input_spec s;
            s.name = "drive";
            s.target = "exc";
            s.rate_hz = -5.0;
            n.add_poisson_input(s);
        },
        "poisson input 'drive'", "rate");
    build_refuses(
        [](network& n) {
            poisson_input_spec s;
            s.name = "drive";
            s.target = "exc";
            s.rate_hz = 5.0;
            s.neurons = {0, 20};
            n.add_poisson_input(s);
        },
        "poisson input 'drive'", "neurons");
}

TEST_CASE("impossible weight distributions are refused", "[sim][validation]") {
    auto with_weight = [](distribution w) {
        return [w](network& n) {
            auto p = proj("w", "exc", "inh", connection_rule::all_to_all());
            p.weight = w;
            n.connect(p);
        };
    };
    build_refuses(with_weight(distribution::uniform(1.0, 1.0)), "projection 'w'", "weight");
    build_refuses(with_weight(distribution::normal(1.0, -0.1)), "projection 'w'", "weight");
    build_refuses(with_weight(distribution::normal(not_a_number, 0.1)), "projection 'w'", "weight");
    build_refuses(with_weight(distribution::constant(5.0).bounded(0.0, 1.0)), "projection 'w'", "weight");
    build_refuses(with_weight(distribution::normal(0.0, 1.0).bounded(10.0, 11.0)), "projection 'w'", "weight",
                  {"mass"});
    builds(with_weight(distribution::normal(0.0, 1.0).bounded(2.0, 11.0)));
}

TEST_CASE("duplicate population names and size 0 are refused", "[sim][validation]") {
    auto net = base();
    refuses([&] { net->add_population<probe>("exc", 5); }, "population 'exc'", "name", {"already"});
    refuses([&] { net->add_population<probe>("empty", 0); }, "population 'empty'", "size");
    refuses([&] { net->add_population<probe>("", 3); }, "population", "name");
    CHECK(net->population_count() == 2);
    CHECK_NOTHROW(net->add_population<probe>("exc2", 5));
    CHECK_NOTHROW(net->build());
}

TEST_CASE("nothing can be added after the network was built", "[sim][validation]") {
    auto net = base();
    net->build();
    CHECK_THROWS_AS(net->add_population<probe>("late", 3), error);
    CHECK_THROWS_AS(net->connect(proj("late", "exc", "inh", connection_rule::all_to_all())), error);
    CHECK_THROWS_AS(net->add_poisson_input(poisson_input_spec{}), error);
    CHECK_THROWS_AS(net->add_spike_generator(spike_generator_spec{}), error);
    CHECK_THROWS_AS(net->add_current_input(current_input_spec{}), error);
    CHECK_THROWS_AS(net->record_spikes({"s", "exc", {}}), error);
    CHECK_THROWS_AS(net->record_state({"st", "exc", {"v"}, {}, 1.0}), error);
    CHECK_THROWS_AS(net->record_rate({"r", "exc", 1.0}), error);
    CHECK(net->population_count() == 2);
    CHECK(net->projections().empty());
    CHECK_NOTHROW(net->run(1.0));
    CHECK(net->current_step() == 10);
}

TEST_CASE("a network larger than the available memory is refused before allocating", "[sim][validation]") {
    const std::size_t have = available_memory_bytes();
    REQUIRE(have > 0);  // Linux: /proc/meminfo
    SECTION("a huge all_to_all") {
        // 2e5 x 2e5 = 4e10 synapses, hundreds of GB; the populations themselves are small.
        run_config cfg;
        cfg.threads = 2;
        network net(cfg);
        net.add_population<probe>("a", 200'000);
        net.add_population<probe>("b", 200'000);
        net.connect(proj("huge", "a", "b", connection_rule::all_to_all()));
        CHECK(net.estimate_memory() > have);
        try {
            net.build();
            FAIL("no capacity_error");
        } catch (const capacity_error& e) {
            INFO(e.what());
            CHECK_THAT(std::string(e.what()), Contains("GiB"));
        }
        CHECK(!net.built());
        // Nothing was allocated: no state, no rings, no synapses.
        CHECK(net.find_population("a").memory_bytes() == 0);
        CHECK(net.find_population("b").memory_bytes() == 0);
        CHECK(net.projections()[0].shards.empty());
        CHECK_THROWS_AS(net.run(1.0), capacity_error);
        CHECK_THROWS_AS(net.validate(), error);  // capacity_error is a sim::error
    }
    SECTION("a huge fixed in-degree") {
        run_config cfg;
        cfg.threads = 1;
        network net(cfg);
        net.add_population<probe>("a", 1000);
        net.add_population<probe>("b", 100'000);
        net.connect(proj("deep", "a", "b", connection_rule::fixed_indegree(10'000'000)));
        CHECK_THROWS_AS(net.build(), capacity_error);
        CHECK(net.find_population("b").memory_bytes() == 0);
    }
    SECTION("the estimate does not overflow for astronomically many synapses") {
        // 4 targets x 2^60 sources each (multapses) = 2^62 synapses: 12 bytes each would wrap a
        // 64-bit byte count around to 0. Only validate() is called: building would try to
        // allocate the synapses.
        run_config cfg;
        cfg.threads = 1;
        network net(cfg);
        net.add_population<probe>("a", 10);
        net.add_population<probe>("b", 4);
        net.connect(proj("astronomic", "a", "b", connection_rule::fixed_indegree(std::uint64_t(1) << 60)));
        CHECK(net.estimate_memory() > have);
        CHECK_THROWS_AS(net.validate(), capacity_error);
        CHECK(net.find_population("b").memory_bytes() == 0);
    }
    SECTION("a network that fits is not refused") {
        run_config cfg;
        cfg.threads = 1;
        network net(cfg);
        net.add_population<probe>("a", 1000);
        net.add_population<probe>("b", 1000);
        net.connect(proj("ok", "a", "b", connection_rule::all_to_all()));
        CHECK(net.estimate_memory() < have);
        CHECK_NOTHROW(net.build());
        CHECK(net.statistics().synapses == 1'000'000u);
    }
}
