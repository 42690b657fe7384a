// Heterogeneous populations: parameters given per neuron as a distribution, an array (inline, .npy,
// HDF5) or an expression of per-neuron random variables; drawn thread-invariantly, checked neuron by
// neuron through the model's own validation, saved in checkpoints, and simulated exactly as the
// same neurons would be in homogeneous populations of their own.
#include "lamina/compose/model_file.hpp"
#include "lamina/sim/expression.hpp"
#include "lamina/sim/hdf5_file.hpp"
#include "lamina/sim/state_block.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <unistd.h>

using namespace lamina;

namespace {

const compose::registries& registry() { return compose::builtin_registries(); }

std::unique_ptr<sim::network> build(const std::string& text, std::optional<int> threads = std::nullopt,
                                    const std::string& path = "model.toml") {
    auto d = compose::parse_model_text(text, path);
    compose::run_overrides o;
    o.threads = threads;
    return compose::instantiate(d, o, registry());
}

std::string problems_of(const std::string& text, const std::string& path = "model.toml") {
    try {
        build(text, std::nullopt, path);
        return "";
    } catch (const compose::model_file_error& e) {
        return e.what();
    }
}

const std::string izhikevich_e = R"(
[run]
dt = 1.0
seed = 7
[populations.E]
model = "izhikevich"
size = 800
variables = { r = { dist = "uniform", low = 0.0, high = 1.0 } }
params = { a = 0.02, b = 0.2, c = "-65 + 15 * r^2", d = "8 - 6*r^2" }
)";

} // namespace

TEST_CASE("expressions: precedence, functions and refusals that say where", "[heterogeneous]") {
    const std::vector<std::string> vars{"r", "s"};
    auto eval = [&](const char* text, double r, double s) {
        const double v[2] = {r, s};
        return sim::expression::parse(text, vars, "population 'E'", "c").evaluate(v);
    };
    CHECK(eval("-65 + 15 * r^2", 0.5, 0) == Approx(-65 + 15 * 0.25));
    CHECK(eval("-r^2", 3, 0) == -9.0);      // unary minus binds looser than ^
    CHECK(eval("2^3^2", 0, 0) == 512.0);    // right-associative
    CHECK(eval("2^-1", 0, 0) == 0.5);
    CHECK(eval("(1 + r) * s / 4 - 1", 1, 6) == 2.0);
    CHECK(eval("max(r, s) + min(r, s) + abs(-2) + sqrt(16) + exp(0) + log(1)", 1, 2) == 10.0);
    CHECK(eval("pow(s, 3) + tanh(0) + sin(0) + cos(0)", 0, 2) == 9.0);
    CHECK(eval("1.5e1 + .5", 0, 0) == 15.5);
    auto refusal = [&](const char* text) {
        try {
            sim::expression::parse(text, vars, "population 'E'", "c");
        } catch (const sim::parameter_error& e) {
            CHECK(e.parameter() == "c");
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK_THAT(refusal("-65 + 15 * q^2"), Catch::Contains("unknown variable 'q'") && Catch::Contains("character 12"));
    CHECK_THAT(refusal("1 +"), Catch::Contains("ends where a number"));
    CHECK_THAT(refusal("(1 + r"), Catch::Contains("expected ')'"));
    CHECK_THAT(refusal("foo(r)"), Catch::Contains("unknown function 'foo'"));
    CHECK_THAT(refusal("max(r)"), Catch::Contains("max() takes 2 arguments, got 1"));
    CHECK_THAT(refusal("r ; 1"), Catch::Contains("unexpected ';'"));
    CHECK_THAT(refusal(""), Catch::Contains("is empty"));
    CHECK_THAT(refusal("import os"), Catch::Contains("unknown variable 'import'"));
    std::string deep(200, '(');
    CHECK_THAT(refusal((deep + "1" + std::string(200, ')')).c_str()), Catch::Contains("accepted") || Catch::Contains("deeply"));
    std::string sum = "1";
    for (int i = 0; i < 100; ++i) sum = "1 + (" + sum + ")";
    CHECK_THAT(refusal(sum.c_str()), Catch::Contains("nested too deeply"));
}

TEST_CASE("Izhikevich 2003: c and d share one r per neuron, drawn from U(0,1)", "[heterogeneous]") {
    auto net = build(izhikevich_e);
    const auto& pop = net->population_at(0);
    CHECK(pop.heterogeneous());
    const auto c = pop.parameter_values("c");
    const auto d = pop.parameter_values("d");
    const auto a = pop.parameter_values("a");
    REQUIRE(c.size() == 800);
    double mean_r2 = 0.0;
    for (std::size_t i = 0; i < c.size(); ++i) {
        const double r2 = (c[i] + 65.0) / 15.0;
        CHECK(r2 >= 0.0);
        CHECK(r2 < 1.0);
        CHECK((8.0 - d[i]) / 6.0 == Approx(r2).margin(1e-12));  // the same r for c and d
        CHECK(a[i] == 0.02);
        mean_r2 += r2 / 800.0;
    }
    // E[r^2] = 1/3 for r ~ U(0,1); sd of r^2 is sqrt(4/45) = 0.298, so the mean of 800 has sd 0.0105.
    CHECK(mean_r2 == Approx(1.0 / 3.0).margin(4 * 0.0105));
}

TEST_CASE("per-neuron draws depend on the seed, not on the thread count or declaration order", "[heterogeneous]") {
    const auto one = build(izhikevich_e, 1)->population_at(0).parameter_values("c");
    const auto two = build(izhikevich_e, 2)->population_at(0).parameter_values("c");
    CHECK(one == two);
    auto other_seed = izhikevich_e;
    other_seed.replace(other_seed.find("seed = 7"), 8, "seed = 8");
    CHECK(build(other_seed)->population_at(0).parameter_values("c") != one);
    // A second variable declared before r leaves r's draws unchanged (streams follow the names).
    auto more = izhikevich_e;
    more.replace(more.find("variables = { r"), 15, "variables = { z = 3, r");
    CHECK(build(more)->population_at(0).parameter_values("c") == one);
    // Distribution parameters: each parameter its own stream.
    const std::string dists = R"(
[populations.P]
model = "lif_psc_delta"
size = 500
params = { V_th = { dist = "normal", mean = -50.0, sd = 2.0 }, tau_m = { dist = "normal", mean = 20.0, sd = 2.0 } }
)";
    auto net = build(dists);
    const auto vth = net->population_at(0).parameter_values("V_th");
    const auto tau = net->population_at(0).parameter_values("tau_m");
    double m = 0, cov = 0;
    for (std::size_t i = 0; i < vth.size(); ++i) m += vth[i] / 500.0;
    for (std::size_t i = 0; i < vth.size(); ++i) cov += (vth[i] + 50.0) * (tau[i] - 20.0) / (500.0 * 4.0);
    CHECK(m == Approx(-50.0).margin(4 * 2.0 / std::sqrt(500.0)));
    CHECK(std::abs(cov) < 4.0 / std::sqrt(500.0));  // independent streams: correlation ~ N(0, 1/n)
    CHECK(build(dists, 2)->population_at(0).parameter_values("V_th") == vth);
}

TEST_CASE("a heterogeneous population spikes exactly as each neuron would alone", "[heterogeneous]") {
    // 40 neurons with their own I_e and V_th versus 40 one-neuron homogeneous populations.
    std::string arrays_ie = "[", arrays_vth = "[", singles;
    for (int i = 0; i < 40; ++i) {
        const double ie = 300.0 + 12.5 * i, vth = -56.0 + 0.2 * (i % 7);
        arrays_ie += fmt::format("{}{}", i ? ", " : "", ie);
        arrays_vth += fmt::format("{}{}", i ? ", " : "", vth);
        singles += fmt::format("[populations.n{}]\nmodel = \"lif_psc_exp\"\nsize = 1\nparams = {{ I_e = {}, V_th = {} }}\n"
                               "[[recorders]]\ntype = \"spikes\"\npopulation = \"n{}\"\n",
                               i, ie, vth, i);
    }
    const std::string run = "[run]\ndt = 0.1\nseed = 3\n";
    auto het = build(run + "[populations.P]\nmodel = \"lif_psc_exp\"\nsize = 40\nparams = { I_e = " + arrays_ie +
                     "], V_th = " + arrays_vth + "] }\n[[recorders]]\ntype = \"spikes\"\npopulation = \"P\"\n");
    auto hom = build(run + singles);
    het->run(300.0);
    hom->run(300.0);
    const auto& s = het->spikes(0);
    std::size_t total = 0;
    for (int i = 0; i < 40; ++i) {
        std::vector<double> mine;
        for (std::size_t k = 0; k < s.times_ms.size(); ++k)
            if (s.neurons[k] == static_cast<std::uint32_t>(i)) mine.push_back(s.times_ms[k]);
        INFO("neuron " << i);
        CHECK(mine == hom->spikes(static_cast<std::size_t>(i)).times_ms);
        total += mine.size();
    }
    CHECK(total > 200);
}

TEST_CASE("lamina check refuses a drawn value the model refuses, naming the neuron and the key", "[heterogeneous]") {
    const std::string wide = R"([run]
seed = 1
[populations.P]
model = "lif_psc_delta"
size = 1000
params = { tau_m = { dist = "normal", mean = 10.0, sd = 8.0 } }
)";
    const auto msg = problems_of(wide);
    CHECK_THAT(msg, Catch::Contains("model.toml:6:12: populations.P.params.tau_m") &&
                        Catch::Contains("neuron ") && Catch::Contains("of 1000: must be > 0 ms"));
    const std::string bad_expr = R"([populations.E]
model = "izhikevich"
size = 10
variables = { r = { dist = "uniform", low = 0.0, high = 1.0 } }
params = { c = "-65 + 15 * q^2" }
)";
    CHECK_THAT(problems_of(bad_expr),
               Catch::Contains("model.toml:5:12: populations.E.params.c") && Catch::Contains("unknown variable 'q'"));
    // c >= V_th for some neurons: the model's own cross-parameter check, per neuron.
    const std::string crossing = R"([populations.E]
model = "izhikevich"
size = 10
params = { c = [-65, -65, -65, 31, -65, -65, -65, -65, -65, -65] }
)";
    CHECK_THAT(problems_of(crossing), Catch::Contains("populations.E.params.c") &&
                                          Catch::Contains("neuron 3 of 10: reset must be below V_th"));
    CHECK_THAT(problems_of(R"([populations.E]
model = "izhikevich"
size = 3
params = { c = [-65, -60] }
)"),
               Catch::Contains("params.c") && Catch::Contains("needs one value per neuron (3), got 2"));
    CHECK_THAT(problems_of(R"([populations.E]
model = "izhikevich"
size = 3
params = { cc = { dist = "normal", mean = 1.0, sd = 1.0 } }
)"),
               Catch::Contains("unknown parameter (did you mean 'c'?)"));
    CHECK_THAT(problems_of(R"([populations.E]
model = "izhikevich"
size = 3
params = { c = true }
)"),
               Catch::Contains("params.c") && Catch::Contains("an expression string"));
    CHECK_THAT(problems_of(R"([populations.E]
model = "izhikevich"
size = 3
variables = { exp = 1.0 }
)"),
               Catch::Contains("variables.exp") && Catch::Contains("name of a function"));
    CHECK_THAT(problems_of(R"x([populations.E]
model = "izhikevich"
size = 100
variables = { r = { dist = "uniform", low = -1.0, high = 1.0 } }
params = { d = "log(r)" }
)x"),
               Catch::Contains("params.d") && Catch::Contains("gives NaN, not a finite number"));
}

TEST_CASE("per-neuron values from .npy and HDF5 files", "[heterogeneous]") {
    const auto dir = std::filesystem::temp_directory_path() / fmt::format("lamina_het_{}", ::getpid());
    std::filesystem::create_directories(dir);
    // A version 1.0 .npy of five float64, written byte by byte as NumPy does.
    {
        std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }";
        while ((10 + header.size() + 1) % 64) header += ' ';
        header += '\n';
        std::ofstream f(dir / "vth.npy", std::ios::binary);
        f.write("\x93NUMPY\x01\x00", 8);
        const unsigned char len[2] = {static_cast<unsigned char>(header.size() & 0xff),
                                      static_cast<unsigned char>(header.size() >> 8)};
        f.write(reinterpret_cast<const char*>(len), 2);
        f << header;
        for (double v : {-50.0, -51.0, -52.0, -53.0, -54.0}) f.write(reinterpret_cast<const char*>(&v), 8);
    }
    {
        auto f = sim::hdf5::file::create((dir / "p.h5").string());
        f.require_group("params").write("tau_m", std::vector<double>{10, 11, 12, 13, 14});
    }
    const std::string text = R"([populations.P]
model = "lif_psc_delta"
size = 5
params = { V_th = { file = "vth.npy" }, tau_m = { file = "p.h5", dataset = "/params/tau_m" } }
)";
    auto net = build(text, std::nullopt, (dir / "model.toml").string());
    CHECK(net->population_at(0).parameter_values("V_th") == std::vector<double>{-50, -51, -52, -53, -54});
    CHECK(net->population_at(0).parameter_values("tau_m") == std::vector<double>{10, 11, 12, 13, 14});
    auto bad = text;
    bad.replace(bad.find("size = 5"), 8, "size = 6");
    const auto msg = problems_of(bad, (dir / "model.toml").string());
    CHECK_THAT(msg, Catch::Contains("params.V_th.file") && Catch::Contains("holds 5 values; the population has 6"));
    CHECK_THAT(problems_of(R"([populations.P]
model = "lif_psc_delta"
size = 5
params = { V_th = { file = "p.h5", dataset = "/nothing" }, tau_m = { file = "missing.npy" } }
)", (dir / "model.toml").string()),
               Catch::Contains("has no dataset '/nothing'") && Catch::Contains("no such file"));
    std::filesystem::remove_all(dir);
}

TEST_CASE("per-neuron parameters are saved in checkpoints and restored without the description", "[heterogeneous]") {
    auto net = build(izhikevich_e);
    auto& pop = net->population_at(0);
    // A homogeneous population of the same size takes the values back.
    auto plain = build("[populations.E]\nmodel = \"izhikevich\"\nsize = 800\n");
    auto& other = plain->population_at(0);
    CHECK_FALSE(other.heterogeneous());
    other.allocate(2, 1, 0);
    pop.allocate(2, 1, 0);
    sim::state_block b2;
    pop.save_state(b2);
    REQUIRE(b2.f64.count("per_neuron.c"));
    CHECK_FALSE(b2.f64.count("per_neuron.a"));
    other.load_state(b2, 1.0);
    CHECK(other.heterogeneous());
    CHECK(other.parameter_values("c") == pop.parameter_values("c"));
    CHECK(other.parameter_values("d") == pop.parameter_values("d"));
    // A damaged per-neuron array is refused before anything changes.
    b2.f64["per_neuron.c"].pop_back();
    CHECK_THROWS_AS(other.check_state(b2), sim::checkpoint_error);
    b2.f64["per_neuron.c"].push_back(0.0);
    b2.f64["per_neuron.cc"] = b2.f64["per_neuron.c"];
    CHECK_THROWS_WITH(other.check_state(b2), Catch::Contains("names no parameter"));
    // Setting a parameter for the whole population makes it uniform again.
    other.set_parameter("c", -60.0);
    other.set_parameter("d", 2.0);
    CHECK_FALSE(other.heterogeneous());
}

TEST_CASE("setting a per-neuron parameter for the whole population while running", "[heterogeneous]") {
    auto net = build(izhikevich_e);
    net->run(5.0);
    const auto c = net->population_at(0).parameter_values("c");
    // A refused value (c above V_th) leaves the per-neuron values as they were.
    CHECK_THROWS_WITH(net->set_parameter(0, "c", 40.0), Catch::Contains("reset must be below V_th"));
    CHECK(net->population_at(0).parameter_values("c") == c);
    CHECK(net->population_at(0).heterogeneous());
    net->set_parameter(0, "c", -60.0);
    CHECK(net->population_at(0).parameter_values("c") == std::vector<double>(800, -60.0));
    CHECK(net->population_at(0).heterogeneous());  // d still varies
    net->run(5.0);
}

TEST_CASE("a heterogeneous network's checkpoint resumes bitwise", "[heterogeneous]") {
    const std::string text = izhikevich_e + R"(
[populations.E.initial]
V_m = -65.0
[[stimuli]]
type = "poisson"
target = "E"
rate = 200.0
weight = 6.0
[[projections]]
source = "E"
target = "E"
rule = "fixed_indegree"
indegree = 20
weight = 0.5
delay = 1.0
[[recorders]]
type = "spikes"
population = "E"
)";
    const auto dir = std::filesystem::temp_directory_path() / fmt::format("lamina_het_ck_{}", ::getpid());
    std::filesystem::create_directories(dir);
    auto a = build(text);
    a->run(100.0);
    a->save_checkpoint((dir / "a.ck").string());
    a->run(100.0);
    auto b = build(text);
    b->load_checkpoint((dir / "a.ck").string());
    b->run(100.0);
    std::vector<double> tail_a;
    for (double t : a->spikes(0).times_ms)
        if (t > 100.0) tail_a.push_back(t);
    CHECK(tail_a.size() > 100);
    CHECK(b->spikes(0).times_ms == tail_a);
    std::filesystem::remove_all(dir);
}
