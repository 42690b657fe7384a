// Poisson inputs with time-varying and per-neuron rates from model files: the three stimulus
// types (inhomogeneous_poisson, sinusoidal_poisson, poisson with per-neuron rates, inline or from
// a file), what the reader refuses and where. The statistics of the draws are tested in
// tests/sim/test_poisson_shapes.cpp; here the file's keys reach the engine unchanged.
#include "lamina/compose/model_file.hpp"
#include "lamina/sim/hdf5_file.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>

using namespace lamina;

namespace {

std::unique_ptr<sim::network> build(const std::string& text, const std::string& path = "model.toml",
                                    std::optional<int> threads = std::nullopt) {
    auto d = compose::parse_model_text(text, path);
    compose::run_overrides o;
    o.threads = threads;
    return compose::instantiate(d, o, compose::builtin_registries());
}

std::string problems_of(const std::string& text, const std::string& path = "model.toml") {
    try {
        build(text, path)->build();
        return "accepted";
    } catch (const compose::model_file_error& e) {
        return e.what();
    }
}

// A population whose membranes only count input (threshold out of reach, no leak worth noting
// over the run): V_m - E_L after the run is weight x the number of input spikes.
std::string with_stimulus(const std::string& stimulus) {
    return R"([run]
dt = 0.1
seed = 9
[populations.P]
model = "lif_psc_delta"
size = 200
params = { tau_m = 1e9, E_L = 0.0, V_reset = 0.0, V_th = 1e12, t_ref = 0.0 }
initial = { V_m = 0.0 }
[[stimuli]]
)" + stimulus;
}

double total_input(sim::network& net, double T) {
    net.run(T);
    const auto v = net.state_values(0, "V_m");
    double s = 0.0;
    for (double x : v) s += x;
    return s;
}

} // namespace

TEST_CASE("model files: inhomogeneous and sinusoidal Poisson inputs and per-neuron rates", "[poisson_shapes]") {
    // 200 neurons x integral of the rate, within 5 standard deviations of the Poisson total.
    auto near = [](double got, double mean) { return std::abs(got - mean) < 5.0 * std::sqrt(mean) + 1e-6; };
    {
        auto net = build(with_stimulus(R"(type = "inhomogeneous_poisson"
target = "P"
rate_times = [10.0, 60.0]
rate_values = [200.0, 1000.0]
weight = 1.0
)"));
        const double got = total_input(*net, 100.0);
        CHECK(near(got, 200.0 * (200.0 * 0.05 + 1000.0 * 0.04)));
    }
    {
        auto net = build(with_stimulus(R"(type = "sinusoidal_poisson"
target = "P"
rate = 500.0
amplitude = 500.0
frequency = 10.0
phase = 90.0
weight = 1.0
)"));
        // Over 50 ms (half a period from phase 90): 500 * 0.05 + 500/(2 pi 10) (cos(pi/2) - cos(pi/2 + pi)).
        const double got = total_input(*net, 50.0);
        CHECK(near(got, 200.0 * (25.0 + 500.0 / (2.0 * M_PI * 10.0) * (0.0 - 0.0))));
    }
    {
        std::string rates = "[";
        for (int i = 0; i < 200; ++i) rates += (i ? ", " : "") + std::to_string(i < 100 ? 0 : 2000);
        auto net = build(with_stimulus("type = \"poisson\"\ntarget = \"P\"\nweight = 1.0\nrate = " + rates + "]\n"));
        net->run(100.0);
        const auto v = net->state_values(0, "V_m");
        double silent = 0.0, driven = 0.0;
        for (int i = 0; i < 200; ++i) (i < 100 ? silent : driven) += v[i];
        CHECK(silent == 0.0);
        CHECK(near(driven, 100.0 * 200.0));
    }
    {
        auto net = build(with_stimulus(R"(type = "poisson"
target = "P"
neurons = [0, 1, 2, 3]
rate = { dist = "uniform", low = 190.0, high = 210.0 }
weight = 1.0
)"));
        CHECK(near(total_input(*net, 1000.0), 4.0 * 200.0));
    }
}

TEST_CASE("model files: per-neuron rates and a rate series from .npy files", "[poisson_shapes]") {
    const auto dir = std::filesystem::temp_directory_path() / fmt::format("lamina_rates_{}", ::getpid());
    std::filesystem::create_directories(dir);
    auto write_npy = [&](const std::string& name, const std::vector<double>& v) {
        std::string header = fmt::format("{{'descr': '<f8', 'fortran_order': False, 'shape': ({},), }}", v.size());
        while ((10 + header.size() + 1) % 64 != 0) header += ' ';
        header += '\n';
        std::ofstream f(dir / name, std::ios::binary);
        f.write("\x93NUMPY\x01\x00", 8);
        const std::uint16_t len = static_cast<std::uint16_t>(header.size());
        f.write(reinterpret_cast<const char*>(&len), 2);
        f << header;
        f.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(double)));
    };
    write_npy("times.npy", {0.0, 50.0});
    write_npy("rates.npy", {0.0, 4000.0});
    auto net = build(with_stimulus(R"(type = "inhomogeneous_poisson"
target = "P"
rate_times = { file = "times.npy" }
rate_values = { file = "rates.npy" }
weight = 1.0
)"),
                     (dir / "model.toml").string());
    net->run(50.0);
    double early = 0.0;
    for (double x : net->state_values(0, "V_m")) early += x;
    CHECK(early == 0.0);
    net->run(50.0);
    double late = 0.0;
    for (double x : net->state_values(0, "V_m")) late += x;
    CHECK(std::abs(late - 200.0 * 200.0) < 5.0 * std::sqrt(200.0 * 200.0));
    std::vector<double> per(200, 0.0);
    per[7] = 5000.0;
    write_npy("per.npy", per);
    auto net2 = build(with_stimulus("type = \"poisson\"\ntarget = \"P\"\nweight = 1.0\nrate = { file = \"per.npy\" }\n"),
                      (dir / "model.toml").string());
    net2->run(100.0);
    const auto v = net2->state_values(0, "V_m");
    CHECK(v[7] > 300.0);
    CHECK(v[6] == 0.0);
    std::filesystem::remove_all(dir);
}

TEST_CASE("model files: impossible Poisson rate shapes are refused with file, line and key", "[poisson_shapes]") {
    CHECK_THAT(problems_of(with_stimulus(R"(type = "inhomogeneous_poisson"
target = "P"
rate_times = [0.0, 10.0]
rate_values = [5.0, -3.0]
weight = 1.0
)")),
               Catch::Contains("model.toml:13:21: stimuli[1].rate_values") && Catch::Contains("rate 1 is -3 Hz") &&
                   Catch::Contains(">= 0"));
    CHECK_THAT(problems_of(with_stimulus(R"(type = "sinusoidal_poisson"
target = "P"
rate = 10.0
amplitude = 20.0
frequency = 5.0
weight = 1.0
)")),
               Catch::Contains("model.toml:13:13: stimuli[1].amplitude") && Catch::Contains("amplitude <= rate"));
    CHECK_THAT(problems_of(with_stimulus(R"(type = "inhomogeneous_poisson"
target = "P"
rate_times = [0.0, 10.0, 5.0]
rate_values = [5.0, 3.0, 1.0]
weight = 1.0
)")),
               Catch::Contains("model.toml:") && Catch::Contains("stimuli[1].rate_times") &&
                   Catch::Contains("increase strictly"));
    CHECK_THAT(problems_of(with_stimulus(R"(type = "poisson"
target = "P"
rate = [1.0, 2.0]
weight = 1.0
)")),
               Catch::Contains("model.toml:") && Catch::Contains("stimuli[1].rate") &&
                   Catch::Contains("one rate per target neuron (200), got 2"));
    CHECK_THAT(problems_of(with_stimulus(R"(type = "poisson"
target = "P"
rate = { dist = "normal", mean = 1.0, sd = 10.0 }
weight = 1.0
)")),
               Catch::Contains("stimuli[1].rate") && Catch::Contains("neuron ") && Catch::Contains(">= 0"));
    CHECK_THAT(problems_of(with_stimulus(R"(type = "sinusoidal_poisson"
target = "P"
rate = 10.0
amplitude = 2.0
frequency = 5.0
rate_times = [0.0]
weight = 1.0
)")),
               Catch::Contains("stimuli[1]") && Catch::Contains("rate_times"));
}

TEST_CASE("model files: shaped Poisson input gives the same input on 1 and 3 threads", "[poisson_shapes]") {
    const auto text = with_stimulus(R"(type = "sinusoidal_poisson"
target = "P"
rate = 800.0
amplitude = 300.0
frequency = 40.0
weight = 1.0
[[stimuli]]
type = "poisson"
target = "P"
rate = { dist = "lognormal", mu = 4.0, sigma = 1.0 }
weight = 0.5
)");
    auto one = build(text, "model.toml", 1), three = build(text, "model.toml", 3);
    one->run(30.0);
    three->run(30.0);
    const auto a = one->state_values(0, "V_m"), b = three->state_values(0, "V_m");
    CHECK(std::vector<double>(a.begin(), a.end()) == std::vector<double>(b.begin(), b.end()));
}

TEST_CASE("model files: shaped Poisson inputs survive a checkpoint bitwise", "[poisson_shapes]") {
    const auto text = with_stimulus(R"(type = "inhomogeneous_poisson"
target = "P"
rate_times = [0.0, 15.0]
rate_values = [3000.0, 700.0]
weight = 1.0
[[stimuli]]
type = "sinusoidal_poisson"
target = "P"
rate = 900.0
amplitude = 100.0
frequency = 25.0
phase = 45.0
weight = 0.25
[[stimuli]]
type = "poisson"
target = "P"
rate = { dist = "uniform", low = 0.0, high = 2000.0 }
weight = 0.5
)");
    const auto path = (std::filesystem::temp_directory_path() / fmt::format("lamina_shapes_{}.h5", ::getpid())).string();
    auto whole = build(text);
    whole->run(40.0);
    auto first = build(text);
    first->run(20.0);
    first->save_checkpoint(path);
    auto second = build(text);
    second->load_checkpoint(path);
    second->run(20.0);
    std::filesystem::remove(path);
    const auto a = whole->state_values(0, "V_m"), b = second->state_values(0, "V_m");
    CHECK(std::vector<double>(a.begin(), a.end()) == std::vector<double>(b.begin(), b.end()));
}
