// The mass registry (models/include/lamina/models/mass/mass_registry.hpp): every built-in mass is
// made by name into a lattice that behaves as the lattice template itself, unknown names and
// parameters are refused with the names allowed, and every bad parameter is reported, not only the
// first.
#include "lamina/models/mass/mass_registry.hpp"
#include "lamina/models/register.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

namespace mass = lamina::models::mass;
namespace sim = lamina::sim;

mass::mass_registry builtin() {
    mass::mass_registry r;
    lamina::models::register_builtin_masses(r);
    return r;
}

} // namespace

TEST_CASE("the built-in masses are registered in a fixed order", "[mass][registry]") {
    const auto r = builtin();
    CHECK(r.names() == std::vector<std::string>{"jansen_rit", "wilson_cowan", "linear_oscillator"});
    CHECK(r.contains("wilson_cowan"));
    CHECK_FALSE(r.contains("kuramoto"));
}

TEST_CASE("a lattice made by name steps and records as the lattice of that mass", "[mass][registry]") {
    const auto r = builtin();
    mass::lattice_config c;
    c.rows = c.cols = 3;
    mass::recording_config rec;
    rec.nodes = {4};
    const mass::mass_registry::parameter_values params{{"tau_e", 12.0}};
    auto expected = mass::lattice<mass::wilson_cowan>(c, {.tau_e = 12.0}, mass::no_coupling{}, rec, "lattice");
    auto made = r.create("wilson_cowan", c, params, mass::no_coupling{}, rec, "lattice",
                         [](const sim::parameter_error& e) { FAIL(e.what()); });
    REQUIRE(made);
    CHECK(made->size() == 9);
    made->step(100);
    expected.step(100);
    CHECK(made->steps_done() == 100);
    CHECK(made->time_ms() == expected.time());
    const auto a = made->take_recording(), b = expected.take_recording();
    CHECK(a.times == b.times);
    CHECK(a.values == b.values);
    CHECK(a.mean == b.mean);
}

TEST_CASE("unknown masses and parameters are refused by name", "[mass][registry][validation]") {
    const auto r = builtin();
    try {
        r.create("wilson_cowen", {}, {}, mass::no_coupling{}, {}, "lattice", [](const sim::parameter_error&) {});
        FAIL("an unknown mass was accepted");
    } catch (const sim::parameter_error& e) {
        CHECK(e.object() == "lattice");
        CHECK(e.parameter() == "model");
        CHECK(std::string(e.what()).find("did you mean 'wilson_cowan'") != std::string::npos);
    }
    std::vector<std::string> refused;
    auto made = r.create("jansen_rit", {}, {{"tau_x", 1.0}, {"A", 3.25}, {"Cc", 2.0}}, mass::no_coupling{}, {},
                         "lattice", [&](const sim::parameter_error& e) { refused.push_back(e.parameter()); });
    CHECK_FALSE(made);
    CHECK(refused == std::vector<std::string>{"tau_x", "Cc"});
}
