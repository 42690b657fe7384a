// Signal recorders (online population sums, the basis of LFP/EEG proxies) equal the offline sum of
// full state recordings, honour term delays and do not depend on the thread count.
#include "test_models.hpp"

#include "lamina/sim/network.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace lamina::sim;

namespace {

struct outcome {
    signal_record online;
    state_record full;
};

// 300 probe neurons with Poisson input of both signs; one signal with three terms
// (v, |ex|, in * (v - 0.5) delayed by 2 samples) and a full state recording of v, ex and in.
outcome run(int threads, double interval) {
    run_config cfg;
    cfg.threads = threads;
    cfg.seed = 9;
    network net(cfg);
    net.add_population<test::probe>("p", 300);
    net.add_poisson_input({"ex", "p", {}, 3000.0, 0.7, "excitatory"});
    net.add_poisson_input({"in", "p", {}, 2000.0, -1.3, "inhibitory"});
    signal_recorder_spec sig;
    sig.name = "proxy";
    sig.population = "p";
    sig.interval_ms = interval;
    sig.terms = {{"v", "", 0.0, 1.0, false, 0.0},
                 {"ex", "", 0.0, -2.0, true, 0.0},
                 {"in", "v", 0.5, 0.25, false, 2 * interval}};
    net.record_signal(sig);
    net.record_state({"all", "p", {"v", "ex", "in"}, {}, interval});
    net.run(100.0);
    return {net.signal(0), net.states(0)};
}

} // namespace

TEST_CASE("an online signal equals the offline sum of full state recordings to 1e-9", "[sim][signals]") {
    const double interval = 0.5;
    const auto r = run(1, interval);
    const std::size_t n = 300, nv = 3;
    REQUIRE(r.online.times_ms.size() == r.full.times_ms.size());
    REQUIRE(r.online.times_ms.size() == 200);
    std::vector<double> term1, term2, term3;
    for (std::size_t s = 0; s < r.full.times_ms.size(); ++s) {
        double a = 0.0, b = 0.0, c = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            const double v = r.full.values[(s * n + i) * nv + 0];
            const double ex = r.full.values[(s * n + i) * nv + 1];
            const double in = r.full.values[(s * n + i) * nv + 2];
            a += v;
            b += std::abs(ex);
            c += in * (v - 0.5);
        }
        term1.push_back(a);
        term2.push_back(b);
        term3.push_back(c);
    }
    double worst = 0.0;
    for (std::size_t s = 0; s < term1.size(); ++s) {
        CHECK(r.online.times_ms[s] == Approx(r.full.times_ms[s]));
        const double offline = term1[s] - 2.0 * term2[s] + (s >= 2 ? 0.25 * term3[s - 2] : 0.0);
        const double scale = std::abs(term1[s]) + 2.0 * term2[s] + std::abs(0.25 * (s >= 2 ? term3[s - 2] : 0.0));
        worst = std::max(worst, std::abs(r.online.values[s] - offline) / scale);
    }
    INFO("worst relative difference " << worst);
    CHECK(worst < 1e-9);
    // The terms are not trivially zero.
    CHECK(term2.back() > 0.0);
    CHECK(term3.back() != 0.0);
}

TEST_CASE("signals are bitwise identical for 1, 2 and 4 threads", "[sim][signals][reproducibility]") {
    const auto one = run(1, 0.1), two = run(2, 0.1), four = run(4, 0.1);
    CHECK(one.online.values == two.online.values);
    CHECK(one.online.values == four.online.values);
}

TEST_CASE("signal recorders refuse unknown variables and delays off the sampling grid", "[sim][signals][validation]") {
    network net;
    net.add_population<test::probe>("p", 10);
    net.record_signal({"bad", "p", {{"vv", "", 0.0, 1.0, false, 0.0}}, 1.0, false});
    REQUIRE_THROWS_WITH(net.build(), Catch::Contains("signal recorder 'bad'") && Catch::Contains("did you mean 'v'"));
    network net2;
    net2.add_population<test::probe>("p", 10);
    net2.record_signal({"late", "p", {{"v", "", 0.0, 1.0, false, 1.5}}, 1.0, false});
    REQUIRE_THROWS_WITH(net2.build(), Catch::Contains("multiple of the sampling interval"));
}
