// Model files: a valid file becomes the right network; every kind of malformed file is refused
// before anything is built, with file, line, key and what is allowed.
#include "lamina/compose/model_file.hpp"
#include "malformed_models.hpp"

#include <catch2/catch.hpp>

using namespace lamina;

namespace {

const compose::registries& registry() { return compose::builtin_registries(); }

const std::string& valid = test::valid_model;

std::string replace(const std::string& s, const std::string& from, const std::string& to) {
    return test::replace_once(s, from, to);
}

// Loads and instantiates; returns the error text (empty if the file was accepted).
std::string problems_of(const std::string& text) {
    try {
        auto d = compose::parse_model_text(text, "model.toml");
        auto net = compose::instantiate(d, {}, registry());
        return "";
    } catch (const compose::model_file_error& e) {
        return e.what();
    }
}

} // namespace

TEST_CASE("a valid model file builds the described network", "[modelfile]") {
    auto d = compose::parse_model_text(valid, "model.toml");
    CHECK(d.run.duration_ms == 50.0);
    CHECK(d.run.seed == 3);
    REQUIRE(d.populations.size() == 2);
    CHECK(d.populations[0].name == "E");
    CHECK(d.projections.size() == 2);
    CHECK(d.projections[0].name == "E->I");
    CHECK(d.projections[1].name == "inh");
    CHECK(d.projections[1].rule.degree == 5);
    CHECK(d.projections[1].weight.type == sim::distribution::kind::normal);
    CHECK(d.projections[1].weight.upper == 0.0);
    auto net = compose::instantiate(d, {}, registry());
    CHECK(net->population_at(0).parameter("tau_m") == 20.0);
    CHECK(net->population_at(1).parameter("tau_m") == 10.0);  // model default
    net->run(50.0);
    CHECK(net->statistics().synapses > 0);
    CHECK(net->spikes(0).times_ms.size() > 0);
    CHECK(net->states(0).times_ms.size() == 100);
}

TEST_CASE("overrides from the command line replace the file's run settings", "[modelfile]") {
    auto d = compose::parse_model_text(valid, "model.toml");
    auto net = compose::instantiate(d, {2, 99, std::nullopt, std::nullopt}, registry());
    CHECK(net->threads() == 2);
    CHECK(net->config().seed == 99);
}

TEST_CASE("malformed model files are refused with file, line, key and what is allowed", "[modelfile]") {
    const auto cases = test::malformed_cases();
    REQUIRE(cases.size() >= 30);
    for (const auto& c : cases) {
        INFO("case: " << c.what);
        const std::string msg = problems_of(c.text);
        INFO("message: " << msg);
        REQUIRE_FALSE(msg.empty());
        for (const auto& f : c.fragments) CHECK_THAT(msg, Catch::Contains(f));
    }
}

TEST_CASE("every problem of a file is reported at once, in line order", "[modelfile]") {
    std::string text = replace(valid, "seed = 3", "sed = 3");
    text = replace(text, "size = 40", "size = \"forty\"");
    text = replace(text, "rule = \"fixed_indegree\"", "rule = \"fixed\"");
    try {
        compose::parse_model_text(text, "model.toml");
        FAIL("accepted a malformed file");
    } catch (const compose::model_file_error& e) {
        REQUIRE(e.diagnostics().size() == 3);
        CHECK(e.diagnostics()[0].key == "run.sed");
        CHECK(e.diagnostics()[1].key == "populations.E.size");
        CHECK(e.diagnostics()[2].key == "projections[2].rule");
        CHECK(e.diagnostics()[0].where.line < e.diagnostics()[1].where.line);
    }
    // Semantic problems of several objects are collected too.
    std::string sem = replace(valid, "probability = 0.2", "probability = 2.0");
    sem = replace(sem, "port = \"inhibitory\"", "port = \"nope\"");
    sem = replace(sem, "rate = 8000.0", "rate = -3.0");
    try {
        compose::instantiate(compose::parse_model_text(sem, "model.toml"), {}, registry());
        FAIL("accepted a malformed file");
    } catch (const compose::model_file_error& e) {
        CHECK(e.diagnostics().size() == 3);
    }
}
