// Matrix coupling of neural-mass lattices in model files ([lattice.coupling] type = "matrix"): the
// inline, file (HDF5) and prior forms give the lattice the engine's matrix_coupling exactly (the
// same recording, bitwise, as the C++ API), the file and inline forms agree, a delayed connection
// delays the target's response by its delay, and every kind of bad input is refused with its place
// in the file. examples/regions_matrix.toml runs and `lamina spectrum` analyses it.
#include "lamina/compose/lattice_run.hpp"
#include "lamina/models/mass/connectivity_prior.hpp"
#include "lamina/sim/hdf5_file.hpp"
#include "lamina/sim/result_file.hpp"
#include "cli_harness.hpp"
#include "refusal.hpp"

#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <variant>

namespace fs = std::filesystem;
using namespace lamina::test;
using namespace lamina;
namespace mass = lamina::models::mass;

namespace {

// An HDF5 file with dense row-major matrices (each name -> rows x cols values).
void write_matrices(const fs::path& p, const std::vector<std::pair<std::string, std::vector<double>>>& m,
                    std::size_t cols) {
    auto f = sim::hdf5::file::create(p.string());
    for (const auto& [name, values] : m) {
        auto ds = f.create_appendable(name, sim::hdf5::type::float64, cols);
        ds.append(values);
    }
    f.close();
}

// Runs a model-file lattice for `steps` steps and returns everything it recorded.
mass::recording run_model(const compose::model_description& d, std::uint64_t steps, const compose::run_overrides& o = {}) {
    auto lat = compose::instantiate_lattice(d, o);
    lat->step(steps);
    return lat->take_recording();
}

// The same through the C++ API, as instantiate_lattice configures it.
template <class Mass>
mass::recording run_api(const mass::lattice_config& c, const typename Mass::parameters& p, const mass::coupling& k,
                        std::vector<std::size_t> nodes, std::size_t interval, std::uint64_t steps) {
    mass::recording_config r;
    r.nodes = std::move(nodes);
    r.interval = interval;
    r.spatial_mean = true;
    r.capacity = 100000;
    mass::lattice<Mass> lat(c, p, k, r, "lattice");
    lat.step(steps);
    return lat.take_recording();
}

void require_identical(const mass::recording& a, const mass::recording& b) {
    REQUIRE(a.samples() > 0);
    CHECK(a.times == b.times);
    CHECK(a.mean == b.mean);
    CHECK(a.values == b.values);
    CHECK(a.node_count == b.node_count);
}

// A noisy 3-node Wilson-Cowan chain (1 x 3), stochastic Heun, with a matrix coupling block.
std::string wc_model(const std::string& coupling) {
    return "[run]\ndt = 0.1\nseed = 11\nthreads = 2\n\n"
           "[lattice]\nmodel = \"wilson_cowan\"\nrows = 1\ncols = 3\ninterval = 0.5\nnodes = [0, 1, 2]\n"
           "params = { sigma_e = 0.02, P = 1.0 }\n\n"
           "[lattice.coupling]\ntype = \"matrix\"\n" +
           coupling;
}

mass::lattice_config wc_config() {
    mass::lattice_config c;
    c.rows = 1;
    c.cols = 3;
    c.dt = 0.1;
    c.seed = 11;
    c.threads = 1;  // the results do not depend on the thread count
    c.method = mass::scheme::heun;
    return c;
}

mass::wilson_cowan::parameters wc_params() {
    mass::wilson_cowan::parameters p;
    p.sigma_e = 0.02;
    p.P = 1.0;
    return p;
}

// The inline connections of wc_model, listed row-major (target, then source) as the file form adds them.
const std::string wc_inline = "strength = 1.5\ndiffusive = true\n"
                              "connections = [[0, 1, 2.0, 4.0], [1, 0, 1.0, 2.5], [1, 2, -0.5, 0.1], "
                              "[2, 0, 0.75, 10.0], [2, 2, 0.3, 1]]\n";

const std::vector<mass::connection> wc_connections{
    {0, 1, 2.0, 4.0}, {1, 0, 1.0, 2.5}, {1, 2, -0.5, 0.1}, {2, 0, 0.75, 10.0}, {2, 2, 0.3, 1.0}};

} // namespace

TEST_CASE("matrix coupling: a model file gives the same recording as the C++ API, bitwise", "[lattice][matrix][modelfile]") {
    SECTION("inline connections, strength and diffusive") {
        const auto d = compose::parse_model_text(wc_model(wc_inline), "m.toml");
        REQUIRE(d.lattice);
        CHECK(d.lattice->matrix_from == "inline");
        mass::matrix_coupling k;
        k.strength = 1.5;
        k.diffusive = true;
        k.connections = wc_connections;
        const auto a = run_model(d, 3000);
        const auto b = run_api<mass::wilson_cowan>(wc_config(), wc_params(), k, {0, 1, 2}, 5, 3000);
        require_identical(a, b);
        REQUIRE(a.samples() == 600);
        // The coupling matters: without it node 0 differs.
        const auto none = run_api<mass::wilson_cowan>(wc_config(), wc_params(), mass::no_coupling{}, {0, 1, 2}, 5, 3000);
        CHECK(a.values != none.values);
    }
    SECTION("a connectivity prior, sampled with the run's seed unless the prior has its own") {
        const std::string prior = "strength = 0.8\nprior = { mean = [[0, 1.0, 0], [0.5, 0, 2.0], [1.0, 1.0, 0]], "
                                  "log_sd = 0.3, delay = [[1, 5.0, 1], [3.0, 1, 7.5], [2.0, 4.0, 1]] }\n";
        mass::connectivity_prior p;
        p.regions = 3;
        p.mean = {0, 1.0, 0, 0.5, 0, 2.0, 1.0, 1.0, 0};
        p.log_sd.assign(9, 0.3);
        p.delay = {1, 5.0, 1, 3.0, 1, 7.5, 2.0, 4.0, 1};
        for (std::uint64_t seed : {11u, 5u}) {
            INFO("seed " << seed);
            p.seed = seed;
            mass::matrix_coupling k;
            k.strength = 0.8;
            k.connections = mass::sample_connectivity(p);
            REQUIRE(k.connections.size() == 5);
            const auto d = compose::parse_model_text(wc_model(prior), "m.toml");
            compose::run_overrides o;
            if (seed != 11) o.seed = seed;  // --seed keys the prior too
            auto c = wc_config();
            c.seed = seed;
            require_identical(run_model(d, 2000, o), run_api<mass::wilson_cowan>(c, wc_params(), k, {0, 1, 2}, 5, 2000));
        }
        // Its own seed fixes the matrix whatever the run's seed.
        const auto d = compose::parse_model_text(wc_model(std::regex_replace(prior, std::regex("log_sd"), "seed = 99, log_sd")),
                                             "m.toml");
        p.seed = 99;
        compose::run_overrides o;
        o.seed = 5;
        const auto k = std::get<mass::matrix_coupling>(compose::lattice_coupling(d, o));
        const auto expected = mass::sample_connectivity(p);
        REQUIRE(k.connections.size() == expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) CHECK(k.connections[i].weight == expected[i].weight);
        p.seed = 5;
        CHECK(mass::sample_connectivity(p)[0].weight != expected[0].weight);
    }
}

TEST_CASE("matrix coupling: the file and inline forms give identical results", "[lattice][matrix][modelfile]") {
    // Dense 3 x 3 weights and delays, row = target, column = source; zero weights are no connection
    // (their delays are not looked at).
    const std::vector<double> w{0, 2.0, 0, 1.0, 0, -0.5, 0.75, 0, 0.3};
    const std::vector<double> dl{0, 4.0, -7, 2.5, 0, 0.1, 10.0, 0, 1.0};
    write_matrices(scratch() / "conn.h5", {{"weights", w}, {"delays", dl}}, 3);
    const auto model = write_text("from_file.toml", wc_model("strength = 1.5\ndiffusive = true\nfile = \"conn.h5\"\n"));
    const auto from_file = compose::load_model_file(model.string());  // the file is found next to the model
    const auto from_inline = compose::parse_model_text(wc_model(wc_inline), "m.toml");
    REQUIRE(from_file.lattice->matrix_from == "file");
    CHECK(from_file.lattice->matrix_file == (scratch() / "conn.h5").string());
    const auto& fc = from_file.lattice->connections;
    REQUIRE(fc.size() == wc_connections.size());
    for (std::size_t i = 0; i < fc.size(); ++i) {
        INFO(i);
        CHECK(fc[i].target == wc_connections[i].target);
        CHECK(fc[i].source == wc_connections[i].source);
        CHECK(fc[i].weight == wc_connections[i].weight);
        CHECK(fc[i].delay == wc_connections[i].delay);
    }
    require_identical(run_model(from_file, 3000), run_model(from_inline, 3000));

    // Without 'delays', every connection has one step.
    write_matrices(scratch() / "weights_only.h5", {{"weights", w}}, 3);
    const auto d = compose::load_model_file(
        write_text("weights_only.toml", wc_model("file = \"" + (scratch() / "weights_only.h5").string() + "\"\n")).string());
    REQUIRE(d.lattice->connections.size() == 5);
    for (const auto& c : d.lattice->connections) CHECK(c.delay == 0.1);
}

TEST_CASE("matrix coupling: a delayed connection delays the target's response by its delay", "[lattice][matrix][modelfile]") {
    // Two linear oscillators at rest, coupled only by a connection 0 -> 1 of the given delay. A step of drive on node 0 at t = 0 moves node 0 at once; node 1 must stay exactly
    // at rest until the delay has passed (its output is the double integral of its input, so it
    // leaves 0 two steps after the delayed input arrives).
    auto onsets = [](double delay_ms) {
        const std::string text = "[run]\ndt = 0.1\n\n[lattice]\nmodel = \"linear_oscillator\"\nrows = 1\ncols = 2\n"
                                 "interval = 0.1\nnodes = [0, 1]\nscheme = \"heun\"\n"
                                 "params = { f0 = 10.0, gamma = 0.05 }\n"
                                 "coupling = { type = \"matrix\", connections = [[1, 0, 0.5, " +
                                 std::to_string(delay_ms) + "]] }\n";
        auto lat = compose::instantiate_lattice(compose::parse_model_text(text, "m.toml"), {});
        lat->drive()[0] = 1.0;
        lat->step(400);
        const auto rec = lat->take_recording();
        std::array<double, 2> onset{-1.0, -1.0};
        for (std::size_t k = 0; k < 2; ++k)
            for (std::size_t s = 0; s < rec.samples(); ++s)
                if (rec.value(s, k) != 0.0) {
                    onset[k] = rec.times[s];
                    break;
                }
        // After its onset node 1 really responds (not a rounding-level blip).
        double peak = 0.0;
        for (std::size_t s = 0; s < rec.samples(); ++s) peak = std::max(peak, std::abs(rec.value(s, 1)));
        CHECK(peak > 1e-3);
        return onset;
    };
    for (double delay : {5.0, 12.3}) {
        INFO("delay " << delay << " ms");
        const auto [t0, t1] = onsets(delay);
        CHECK(t0 == Approx(0.1));
        // The delayed input reaches node 1 at step delay/dt + 1; its output moves one step later.
        CHECK(t1 == Approx(delay + 0.2).margin(1e-9));
    }
    const auto a = onsets(5.0), b = onsets(12.3);
    CHECK(b[1] - a[1] == Approx(7.3).margin(1e-9));
}

TEST_CASE("matrix coupling: bad input is refused with its place in the file", "[lattice][matrix][modelfile]") {
    const std::string head = "[run]\ndt = 0.1\n\n[lattice]\nmodel = \"wilson_cowan\"\nrows = 1\ncols = 3\n\n"
                             "[lattice.coupling]\ntype = \"matrix\"\n";  // the table is line 9, added keys line 11
    struct bad_case {
        std::string name, text;
        std::vector<std::string> expect;
    };
    write_matrices(scratch() / "w2.h5", {{"weights", std::vector<double>(4, 1.0)}}, 2);
    write_matrices(scratch() / "noweights.h5", {{"w", std::vector<double>(9, 1.0)}}, 3);
    write_matrices(scratch() / "baddelay.h5",
                   {{"weights", {0, 1, 0, 0, 0, 0, 0, 0, 0}}, {"delays", {0, 0.05, 0, 0, 0, 0, 0, 0, 0}}}, 3);
    write_matrices(scratch() / "delayshape.h5", {{"weights", std::vector<double>(9, 1.0)}}, 3);
    {
        auto f = sim::hdf5::file::open_read_write((scratch() / "delayshape.h5").string());
        f.write("delays", std::vector<double>(9, 1.0));  // 1-D
        f.close();
    }
    write_text("notes.txt", "not an HDF5 file\n");
    const std::vector<bad_case> cases{
        {"target out of range", head + "connections = [[0, 1, 1.0, 1.0], [3, 0, 1.0, 1.0]]\n",
         {"m.toml:11:35", "lattice.coupling.connections[2]", "target: node 3 is outside the 1 x 3 sheet (nodes 0 to 2"}},
        {"source out of range", head + "connections = [[0, -1, 1.0, 1.0]]\n",
         {"m.toml:11:20", "lattice.coupling.connections[1]", "source: node -1 is outside"}},
        {"negative delay", head + "connections = [[0, 1, 1.0, -2.0]]\n",
         {"m.toml:11:28", "lattice.coupling.connections[1]", "delay is negative (-2 ms)"}},
        {"delay below one step", head + "connections = [[0, 1, 1.0, 0.05]]\n",
         {"m.toml:11:28", "below one step (dt = 0.1 ms)"}},
        {"delay beyond 10^7 steps", head + "connections = [[0, 1, 1.0, 2e6]]\n", {"more than 10^7 steps"}},
        {"entry with three numbers", head + "connections = [[0, 1, 1.0]]\n",
         {"m.toml:11:16", "lattice.coupling.connections[1]", "[target, source, weight, delay_ms] (4 entries), got 3"}},
        {"index not an integer", head + "connections = [[0.5, 1, 1.0, 1.0]]\n", {"target must be a node index"}},
        {"weight not a number", head + "connections = [[0, 1, \"x\", 1.0]]\n", {"weight must be a finite number"}},
        {"connections not an array", head + "connections = 3\n", {"lattice.coupling.connections", "must be an array"}},
        {"missing file", head + "file = \"nowhere.h5\"\n",
         {"m.toml:11:8", "lattice.coupling.file", "no such file", "nowhere.h5"}},
        {"unreadable file", head + "file = \"" + (scratch() / "notes.txt").string() + "\"\n",
         {"m.toml:11:8", "lattice.coupling.file", "cannot read", "notes.txt"}},
        {"wrong shape", head + "file = \"" + (scratch() / "w2.h5").string() + "\"\n",
         {"lattice.coupling.file", "dataset 'weights' has shape (2, 2); it must be 3 x 3"}},
        {"wrong delays shape", head + "file = \"" + (scratch() / "delayshape.h5").string() + "\"\n",
         {"dataset 'delays' has shape (9); it must be 3 x 3"}},
        {"no weights", head + "file = \"" + (scratch() / "noweights.h5").string() + "\"\n",
         {"has no dataset 'weights'", "it has: w"}},
        {"file delay below one step", head + "file = \"" + (scratch() / "baddelay.h5").string() + "\"\n",
         {"lattice.coupling.file", "delays[0][1] (target 0, source 1) is 0.05 ms, below one step"}},
        {"inline and file", head + "connections = [[0, 1, 1.0, 1.0]]\nfile = \"conn.h5\"\n",
         {"m.toml:12:8", "lattice.coupling.file", "exactly one of connections, file and prior"}},
        {"file and prior", head + "file = \"conn.h5\"\nprior = { mean = 1.0, delay = 1.0 }\n",
         {"m.toml:12:9", "lattice.coupling.prior", "exactly one of"}},
        {"none of them", head + "strength = 2.0\n", {"m.toml:9:1", "lattice.coupling", "needs one of 'connections'"}},
        {"unknown key", head + "conections = []\n",
         {"m.toml:11:1", "lattice.coupling.conections", "did you mean 'connections'", "allowed: type strength diffusive"}},
        {"kernel key on a matrix", head + "connections = []\nvelocity = 1.0\n", {"lattice.coupling.velocity", "unknown key"}},
        {"prior unknown key", head + "prior = { means = [[0, 1, 0], [0, 0, 0], [0, 0, 0]], delay = 1.0 }\n",
         {"lattice.coupling.prior.means", "did you mean 'mean'", "lattice.coupling.prior.mean: missing required key"}},
        {"prior wrong shape", head + "prior = { mean = [[0, 1], [1, 0]], delay = 1.0 }\n",
         {"m.toml:11:18", "lattice.coupling.prior.mean", "must be 3 rows of 3 numbers", "got 2 rows"}},
        {"prior short row", head + "prior = { mean = [[0, 1, 0], [1, 0], [0, 0, 0]], delay = 1.0 }\n",
         {"lattice.coupling.prior.mean[2]", "must be a row of 3 numbers, got 2 entries"}},
        {"prior regions", head + "prior = { regions = 4, mean = 1.0, delay = 1.0 }\n",
         {"lattice.coupling.prior.regions", "the 1 x 3 sheet has 3 nodes"}},
        {"prior negative log_sd", head + "prior = { mean = [[0, 1, 0], [0, 0, 0], [0, 0, 0]], log_sd = -0.1, delay = 1.0 }\n",
         {"lattice.coupling.prior.log_sd", "must be >= 0"}},
        {"prior delay below one step",
         head + "prior = { mean = [[0, 1, 0], [0, 0, 0], [0, 0, 0]], delay = [[0, 0.01, 0], [0, 0, 0], [0, 0, 0]] }\n",
         {"lattice.coupling.prior.delay", "entry [1][2] (target 0, source 1) is 0.01 ms, below one step"}},
        {"unknown coupling type", head.substr(0, head.size() - 16) + "type = \"matrx\"\nconnections = []\n",
         {"lattice.coupling.type", "did you mean 'matrix'"}},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        expect_refusal([&] { compose::parse_model_text(c.text, "m.toml"); }, c.expect);
    }
    // A prior whose mean is 0 needs no valid delay there, and an empty inline list is no coupling.
    CHECK_NOTHROW(compose::parse_model_text(head + "prior = { mean = [[0, 1, 0], [0, 0, 0], [0, 0, 0]], "
                                               "delay = [[0, 1, -5], [0, 0, 0], [0, 0, 0]] }\n",
                                        "m.toml"));
    CHECK(compose::parse_model_text(head + "connections = []\n", "m.toml").lattice->connections.empty());
    // A relative file path is taken from the model file's directory, not the working directory.
    const auto sub = scratch() / "sub";
    fs::create_directories(sub);
    write_matrices(sub / "c.h5", {{"weights", std::vector<double>(9, 0.5)}}, 3);
    std::ofstream(sub / "m.toml") << head + "file = \"c.h5\"\n";
    CHECK(compose::load_model_file((sub / "m.toml").string()).lattice->connections.size() == 9);
    std::ofstream(scratch() / "m2.toml") << head + "file = \"c.h5\"\n";
    try {
        compose::load_model_file((scratch() / "m2.toml").string());
        FAIL("accepted");
    } catch (const compose::model_file_error& e) {
        CHECK_THAT(std::string(e.what()), Catch::Contains("no such file"));
    }
}

TEST_CASE("matrix coupling: examples/regions_matrix.toml runs and lamina spectrum analyses its EEG", "[lattice][matrix][cli]") {
    const auto model = repository() / "examples/regions_matrix.toml";
    auto r = run_lamina("check " + model.string());
    INFO(r.err);
    REQUIRE(r.status == 0);
    const auto out = scratch() / "regions.h5";
    r = run_lamina("run " + model.string() + " --duration 4000 --out " + out.string() + " --quiet");
    INFO(r.err);
    REQUIRE(r.status == 0);
    const auto c = sim::read_result_file(out.string());
    for (const char* name : {"regions", "regions_node0", "regions_node5", "Fz", "Pz", "Oz"}) REQUIRE(c.signals.count(name));
    CHECK(c.signals.at("Oz").data.values.size() == 4000);
    // The network's coupling is in the run: the prior (its own seed 7) gives the same lattice as
    // the API with the sampled connectome.
    const auto d = compose::load_model_file(model.string());
    mass::connectivity_prior p = *d.lattice->prior;
    CHECK(p.seed == 7);
    const auto k = std::get<mass::matrix_coupling>(compose::lattice_coupling(d, {}));
    CHECK(k.connections.size() == 18);
    CHECK(k.connections[0].weight != 10.0);  // log-normal scatter around the mean
    r = run_lamina("spectrum " + out.string() + " --signal Oz --json --no-png --skip 1000");
    INFO(r.err);
    REQUIRE(r.status == 0);
    // Jansen-Rit alpha, slowed a little by the network's delayed input (9.1 Hz over 20 s).
    CHECK(json_value(r.out, "peak_hz") > 8.0);
    CHECK(json_value(r.out, "peak_hz") < 11.0);
    CHECK(json_value(r.out, "alpha") > 0.5 * json_value(r.out, "total"));
    CHECK(std::isfinite(json_value(r.out, "exponent")));
}

TEST_CASE("laplacian coupling with state diffusion: a model file gives the C++ API's recording, bitwise", "[lattice][modelfile]") {
    // A 4 x 4 Wilson-Cowan E/I sheet whose E and I both spread (D_E 0.01, D_I 0.1 mm^2/ms), with noise.
    const std::string text = "[run]\ndt = 0.1\nseed = 7\nthreads = 2\n\n"
                             "[lattice]\nmodel = \"wilson_cowan\"\nrows = 4\ncols = 4\ninterval = 1.0\nnodes = [0, 5, 15]\n"
                             "params = { sigma_e = 0.01, P = 2.0 }\n\n"
                             "[lattice.coupling]\ntype = \"laplacian\"\nkappa = 0.2\ndiffusion = [0.01, 0.1]\n";
    const auto d = compose::parse_model_text(text, "m.toml");
    mass::lattice_config c;
    c.rows = 4;
    c.cols = 4;
    c.dt = 0.1;
    c.seed = 7;
    c.method = mass::scheme::heun;
    mass::wilson_cowan::parameters p;
    p.sigma_e = 0.01;
    p.P = 2.0;
    mass::laplacian_coupling k;
    k.kappa = 0.2;
    k.diffusion = {0.01, 0.1};
    const auto a = run_model(d, 2000);
    require_identical(a, run_api<mass::wilson_cowan>(c, p, k, {0, 5, 15}, 10, 2000));
    // The diffusion matters.
    k.diffusion.clear();
    CHECK(a.values != run_api<mass::wilson_cowan>(c, p, k, {0, 5, 15}, 10, 2000).values);
    // Three coefficients for a two-variable mass: refused with the key's place and the variables.
    const auto bad = compose::parse_model_text(std::regex_replace(text, std::regex("\\[0.01, 0.1\\]"), "[0.01, 0.1, 0.2]"),
                                               "m.toml");
    try {
        compose::instantiate_lattice(bad, {});
        FAIL("three diffusion coefficients were accepted");
    } catch (const std::exception& e) {
        CHECK_THAT(std::string(e.what()), Catch::Contains("m.toml:17:13: lattice.coupling.diffusion"));
        CHECK_THAT(std::string(e.what()), Catch::Contains("2 state variables (E, I)"));
    }
}
