// Precise spike times from model files (`precise = true`; docs/model-files.md): the option beside
// `update` and inside `params`, spike times recorded off the grid, and every refused combination
// named by file, line and key.
#include "lamina/compose/model_file.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>

using namespace lamina;

namespace {

const compose::registries& registry() { return compose::builtin_registries(); }

std::unique_ptr<sim::network> build(const std::string& text) {
    auto d = compose::parse_model_text(text, "model.toml");
    return compose::instantiate(d, {}, registry());
}

std::string problems_of(const std::string& text) {
    try {
        build(text);
        return "";
    } catch (const compose::model_file_error& e) {
        return e.what();
    }
}

// Line 8 is the population's precise line, line 9 its params.
std::string model(const std::string& name, const std::string& extra, const std::string& params,
                  const std::string& update = "") {
    return R"([run]
duration = 50.0
dt = 0.1

[populations.A]
model = ")" + name + "\"\nsize = 1\n" +
           extra + "\n" + "params = { " + params + " }\n" + update + R"(

[[recorders]]
type = "spikes"
population = "A"
)";
}

// How far the recorded spike times lie from the grid (ms): 0 for grid spikes.
double off_grid(const sim::network& net) {
    double worst = 0.0;
    for (double t : net.spikes(0).times_ms) worst = std::max(worst, std::abs(t - 0.1 * std::round(t / 0.1)));
    return worst;
}

} // namespace

TEST_CASE("precise = true, beside update or in params, records spike times off the grid", "[modelfile][precise]") {
    for (const auto& text : {model("lif_psc_exp", "precise = true", "I_e = 500.0"),
                             model("lif_psc_exp", "", "I_e = 500.0, precise = true"),
                             model("lif_psc_delta", "precise = true", "I_e = 500.0")}) {
        auto net = build(text);
        CHECK(net->population_at(0).precise);
        net->run(50.0);
        // 20 mV drive above rest, threshold 15 mV: the first spike at 10 ln 4 ms, then every
        // t_ref + 10 ln 4 ms.
        REQUIRE(net->spikes(0).times_ms.size() == 3);
        CHECK(std::abs(net->spikes(0).times_ms[0] - 10.0 * std::log(4.0)) < 1e-12);
        CHECK(off_grid(*net) > 1e-3);
    }
    auto grid = build(model("lif_psc_exp", "precise = false", "I_e = 500.0"));
    grid->run(50.0);
    CHECK_FALSE(grid->population_at(0).precise);
    CHECK(off_grid(*grid) < 1e-9);
}

TEST_CASE("precise spike times refuse bad combinations with file, line and key", "[modelfile][precise]") {
    using Catch::Contains;
    CHECK_THAT(problems_of(model("lif_cond_exp", "precise = true", "I_e = 500.0")),
               Contains("model.toml:8") && Contains("populations.A.precise") && Contains("lif_psc_exp and lif_psc_delta"));
    CHECK_THAT(problems_of(model("lif_psc_exp", "precise = \"yes\"", "I_e = 500.0")),
               Contains("model.toml:8") && Contains("populations.A.precise") && Contains("true or false"));
    CHECK_THAT(problems_of(model("lif_psc_exp", "precise = true", "I_e = 500.0", "update = \"event\"")),
               Contains("model.toml:8") && Contains("populations.A.precise") && Contains("update = \"event\""));
    CHECK_THAT(problems_of(model("lif_psc_delta", "", "t_ref = 0.05, precise = true")),
               Contains("model.toml:9") && Contains("populations.A.params.t_ref") && Contains("at least one step"));
    CHECK_THAT(problems_of(model("izhikevich", "", "precise = true")),
               Contains("model.toml:9") && Contains("populations.A.params.precise") && Contains("no precise spike times"));
}
