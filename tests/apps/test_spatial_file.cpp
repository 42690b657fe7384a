// Distance-dependent connectivity from model files: positions of populations, the
// distance_dependent rule's keys, delays growing with distance, and refusals that name file,
// line and key. The statistics of the rule are tested in tests/sim/test_spatial.cpp.
#include "lamina/compose/model_file.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace lamina;

namespace {

std::unique_ptr<sim::network> build(const std::string& text, std::optional<int> threads = std::nullopt) {
    auto d = compose::parse_model_text(text, "model.toml");
    compose::run_overrides o;
    o.threads = threads;
    return compose::instantiate(d, o, compose::builtin_registries());
}

std::string problems_of(const std::string& text) {
    try {
        build(text)->build();
        return "accepted";
    } catch (const compose::model_file_error& e) {
        return e.what();
    }
}

const std::string sheet = R"([run]
dt = 0.1
seed = 4
[populations.E]
model = "lif_psc_delta"
size = 400
positions = { layout = "grid", shape = [20, 20], extent = [2.0, 2.0], periodic = true }
[populations.I]
model = "lif_psc_delta"
size = 100
positions = { layout = "random", extent = [2.0, 2.0], periodic = true }
[[projections]]
source = "E"
target = "I"
rule = "distance_dependent"
p0 = 0.8
kernel = "gaussian"
width = 0.25
mask_radius = 0.75
velocity = 0.5
weight = 0.1
delay = 0.5
)";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

} // namespace

TEST_CASE("model files: distance-dependent projections on grid and random positions", "[spatial]") {
    auto net = build(sheet);
    net->build();
    const auto syn = net->synapses(0);
    // Expected count on the torus: p0 * 2 pi w^2 (1 - exp(-r^2/2w^2)) / area * 400 * 100.
    const double expect = 0.8 * 2.0 * M_PI * 0.0625 * (1.0 - std::exp(-0.5625 / 0.125)) / 4.0 * 40000.0;
    INFO(syn.source.size() << " synapses, expected " << expect);
    CHECK(std::abs(double(syn.source.size()) - expect) < 5.0 * std::sqrt(expect));
    // Delays 0.5 + d / 0.5 ms, d <= 0.75: within [0.5, 2.0] ms on the grid, and spread.
    const auto [lo, hi] = std::minmax_element(syn.delay_ms.begin(), syn.delay_ms.end());
    CHECK(*lo >= 0.5 - 1e-9);
    CHECK(*hi <= 2.0 + 1e-9);
    CHECK(*hi - *lo > 1.0);
    // The same synapses on 1 and 3 threads.
    auto one = build(sheet, 1), three = build(sheet, 3);
    one->build();
    three->build();
    CHECK(one->synapses(0).source == three->synapses(0).source);
    CHECK(one->synapses(0).delay_ms == three->synapses(0).delay_ms);
}

TEST_CASE("model files: impossible spatial settings are refused with file, line and key", "[spatial]") {
    CHECK_THAT(problems_of(replaced(sheet, "shape = [20, 20]", "shape = [20, 21]")),
               Catch::Contains("model.toml:7:") && Catch::Contains("populations.E.positions.shape") &&
                   Catch::Contains("the population has 400"));
    CHECK_THAT(problems_of(replaced(sheet, "p0 = 0.8", "p0 = 1.8")),
               Catch::Contains("model.toml:16:6: projections[1].p0") && Catch::Contains("[0, 1]"));
    CHECK_THAT(problems_of(replaced(sheet, "kernel = \"gaussian\"", "kernel = \"gausian\"")),
               Catch::Contains("model.toml:17") && Catch::Contains("kernel") && Catch::Contains("gaussian"));
    CHECK_THAT(problems_of(replaced(sheet, "positions = { layout = \"random\", extent = [2.0, 2.0], periodic = true }\n", "")),
               Catch::Contains("projections[1].rule") && Catch::Contains("needs positions for population 'I'"));
    CHECK_THAT(problems_of(replaced(sheet, "extent = [2.0, 2.0], periodic = true }\n[[", "extent = [3.0, 2.0], periodic = true }\n[[")),
               Catch::Contains("same sheet"));
    CHECK_THAT(problems_of(replaced(sheet, "rule = \"distance_dependent\"", "rule = \"pairwise_bernoulli\"\nprobability = 0.1")),
               Catch::Contains("projections[1].p0") && Catch::Contains("not used unless rule = \"distance_dependent\""));
}
