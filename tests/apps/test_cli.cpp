// The lamina command as a user meets it: exit codes, outputs, result files, interruption.
#include "lamina/sim/result_file.hpp"
#include "cli_harness.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace lamina::test;

namespace {

const char* small_model = R"([run]
duration = 200.0
seed = 5
threads = 1

[populations.E]
model = "lif_psc_delta"
size = 200
params = { tau_m = 20.0, E_L = 0.0, V_th = 20.0, V_reset = 10.0 }

[[projections]]
source = "E"
target = "E"
rule = "fixed_indegree"
indegree = 20
weight = 0.2
delay = 1.5

[[stimuli]]
type = "poisson"
target = "E"
rate = 15000.0
weight = 0.1
)";

std::uint64_t json_count(const std::string& json, const std::string& key) {
    std::smatch m;
    REQUIRE(std::regex_search(json, m, std::regex("\"" + key + "\": ([0-9]+)")));
    return std::stoull(m[1]);
}

} // namespace

TEST_CASE("lamina --version prints the version and exits 0", "[cli]") {
    const auto r = run_lamina("--version");
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains("lamina 0."));
}

TEST_CASE("usage errors exit 2", "[cli]") {
    CHECK(run_lamina("").status == 2);
    CHECK(run_lamina("frobnicate").status == 2);
    CHECK(run_lamina("run").status == 2);
    CHECK(run_lamina("run x.toml --threads 0").status == 2);
    CHECK(run_lamina("run x.toml --bogus").status == 2);
}

TEST_CASE("lamina run writes a result file whose spikes match the summary", "[cli]") {
    const auto model = write_text("small.toml", small_model);
    const auto out = scratch() / "small.h5";
    fs::remove(out);
    const auto r = run_lamina("run " + model.string() + " --out " + out.string() + " --json");
    INFO(r.err);
    REQUIRE(r.status == 0);
    for (const char* key : {"\"neurons\"", "\"synapses\"", "\"spikes\"", "\"model_time_s\"", "\"build_s\"", "\"sim_s\"",
                            "\"threads\"", "\"seed\"", "\"peak_rss_mb\"", "\"bytes_per_synapse\"", "\"output\"",
                            "\"populations\"", "\"rate_hz\"", "\"cv_isi\"", "\"size\""})
        CHECK_THAT(r.out, Catch::Contains(key));
    const auto spikes = json_count(r.out, "spikes");
    CHECK(json_count(r.out, "seed") == 5);
    REQUIRE(spikes > 100);
    REQUIRE(fs::exists(out));
    const auto contents = lamina::sim::read_result_file(out.string());
    REQUIRE(contents.spikes.count("E") == 1);
    const auto& e = contents.spikes.at("E");
    CHECK(e.timestamps_ms.size() == spikes);
    CHECK(std::is_sorted(e.timestamps_ms.begin(), e.timestamps_ms.end()));
    CHECK(e.timestamps_ms.back() <= 200.0);
    CHECK(std::get<std::int64_t>(contents.metadata.at("interrupted")) == 0);
    CHECK(std::get<std::int64_t>(contents.metadata.at("seed")) == 5);
    CHECK_THAT(std::get<std::string>(contents.metadata.at("model")), Catch::Contains("lif_psc_delta"));
    // No temporary file is left beside it.
    for (const auto& f : fs::directory_iterator(scratch()))
        CHECK(f.path().filename().string().find(".tmp-") == std::string::npos);

    // The same seed reproduces the run; --seed changes it.
    const auto again = run_lamina("run " + model.string() + " --out " + out.string() + " --json --quiet");
    CHECK(json_count(again.out, "spikes") == spikes);
    const auto other = run_lamina("run " + model.string() + " --out " + out.string() + " --json --seed 6");
    CHECK(json_count(other.out, "spikes") != spikes);

    const auto info = run_lamina("info " + out.string());
    CHECK(info.status == 0);
    CHECK_THAT(info.out, Catch::Contains("spikes of E"));
}

TEST_CASE("a malformed model file exits 2, names the problem and creates no output", "[cli]") {
    std::string bad = small_model;
    bad.replace(bad.find("indegree = 20"), 13, "indegree = 20\nweigth = 1");
    const auto model = write_text("bad.toml", bad);
    const auto out = scratch() / "bad.h5";
    fs::remove(out);
    const auto r = run_lamina("run " + model.string() + " --out " + out.string());
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("bad.toml:16:") && Catch::Contains("projections[1].weigth") &&
                          Catch::Contains("did you mean 'weight'"));
    CHECK_FALSE(fs::exists(out));
    CHECK(run_lamina("check " + model.string()).status == 2);
    CHECK(run_lamina("run " + (scratch() / "missing.toml").string()).status == 2);
}

TEST_CASE("lamina check validates and estimates without running", "[cli]") {
    const auto model = write_text("check.toml", small_model);
    const auto r = run_lamina("check " + model.string());
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains("200 neurons") && Catch::Contains("4000 synapses") &&
                          Catch::Contains("memory estimate"));
}

TEST_CASE("a network too large for memory is refused before building, with the estimate", "[cli]") {
    std::string huge = small_model;
    huge.replace(huge.find("size = 200"), 10, "size = 200000000");
    huge.replace(huge.find("indegree = 20"), 13, "indegree = 5000");
    const auto model = write_text("huge.toml", huge);
    const auto r = run_lamina("check " + model.string());
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("estimated") && Catch::Contains("GiB"));
    const auto out = scratch() / "huge.h5";
    CHECK(run_lamina("run " + model.string() + " --out " + out.string()).status == 2);
    CHECK_FALSE(fs::exists(out));
}

TEST_CASE("SIGINT stops a run cleanly and leaves a readable file marked interrupted", "[cli]") {
    std::string long_model = small_model;
    long_model.replace(long_model.find("duration = 200.0"), 16, "duration = 10000000.0");
    const auto model = write_text("long.toml", long_model);
    const auto out = scratch() / "long.h5";
    fs::remove(out);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        std::freopen("/dev/null", "w", stdout);
        std::freopen("/dev/null", "w", stderr);
        execl(LAMINA_BINARY, LAMINA_BINARY, "run", model.c_str(), "--out", out.c_str(), "--quiet", (char*)nullptr);
        _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    kill(pid, SIGINT);
    int status = 0;
    waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    REQUIRE(fs::exists(out));
    const auto contents = lamina::sim::read_result_file(out.string());
    CHECK(std::get<std::int64_t>(contents.metadata.at("interrupted")) == 1);
    const double model_ms = std::get<double>(contents.metadata.at("model_time_ms"));
    CHECK(model_ms > 0.0);
    CHECK(model_ms < 10000000.0);
    REQUIRE(contents.spikes.count("E") == 1);
    CHECK(contents.spikes.at("E").timestamps_ms.size() > 0);
    CHECK(contents.spikes.at("E").timestamps_ms.back() <= model_ms);
}

TEST_CASE("lamina bridge mnist prints ANN and SNN accuracy and the ledger as JSON", "[cli][bridge]") {
    CHECK(run_lamina("bridge").status == 2);
    // Without the digits (a data directory that has none) it is bad input, named, exit 2.
    const auto empty = scratch() / "no_data";
    fs::create_directories(empty);
    const auto missing = run_lamina("bridge mnist --json", "LAMINA_DATA_DIR=" + empty.string());
    CHECK(missing.status == 2);
    CHECK_THAT(missing.err, Catch::Contains("MNIST digits are not installed"));
    CHECK(missing.out.empty());
    const auto r = run_lamina("bridge mnist --json --test-images 50");
    INFO(r.err);
    REQUIRE(r.status == 0);
    for (const char* key : {"\"ann\"", "\"test_accuracy\"", "\"sparsity\"", "\"test_images\":50"})
        CHECK_THAT(r.out, Catch::Contains(key));
    std::smatch m;
    REQUIRE(std::regex_search(r.out, m, std::regex("\"test_accuracy\":([0-9.]+)")));
    CHECK(std::stod(m[1]) > 0.9);
}
