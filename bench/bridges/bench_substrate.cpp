// The agent substrate's targets (issue 14, docs/substrate.md): on one thread with the
// 220,000-neuron default, a 100 ms observation in at most 100 ms of wall time, 8 h of idle model
// time in at most 10 min (a real-time factor of 0.02; measured here on 10 s of idle time), memory
// at most 4 GB, save and load at most 5 s each. The substrate is built once (its build time is a
// counter); --small measures substrate_config::small() instead.
//   bench_substrate [--small] [google benchmark options]
#include "lamina/bridges/substrate.hpp"

#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

using lamina::bridges::substrate;
using lamina::bridges::substrate_config;

namespace {

bool small = false;
std::unique_ptr<substrate> shared;
double build_seconds = 0.0;

double peak_rss_gb() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0 / 1024.0;
    return 0.0;
}

std::vector<double> item(std::size_t dims, int k) {
    std::vector<double> e(dims);
    for (std::size_t d = 0; d < dims; ++d) e[d] = std::sin(double(d) * 0.37 * (k + 1) + k);
    return e;
}

substrate& the_substrate() {
    if (!shared) {
        const auto t0 = std::chrono::steady_clock::now();
        shared = std::make_unique<substrate>(small ? substrate_config::small() : substrate_config{});
        build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        // A few learned pairs so that idle replays have labels to replay.
        for (int n = 0; n < 3; ++n)
            for (int p = 0; p < 8; ++p) shared->observe(item(100, p), {"a" + std::to_string(p), "b" + std::to_string(p)}, 100.0);
    }
    return *shared;
}

void counters(benchmark::State& state, substrate& s) {
    state.counters["neurons"] = double(s.config().neurons());
    state.counters["synapses"] = double(s.network().statistics().synapses);
    state.counters["build_s"] = build_seconds;
    state.counters["network_GB"] = double(s.stats().memory_bytes) / 1073741824.0;
    state.counters["peak_rss_GB"] = peak_rss_gb();
}

void BM_observe_100ms(benchmark::State& state) {
    auto& s = the_substrate();
    int k = 0;
    for (auto _ : state) s.observe(item(100, k++ % 8), {"a" + std::to_string(k % 8), "b" + std::to_string(k % 8)}, 100.0);
    counters(state, s);
    state.counters["wall_per_model"] = benchmark::Counter(double(state.iterations()) * 0.1, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_idle_10s(benchmark::State& state) {
    auto& s = the_substrate();
    for (auto _ : state) benchmark::DoNotOptimize(s.idle(10000.0));
    counters(state, s);
    // Wall seconds per model second; 8 h at this factor in minutes.
    state.counters["wall_per_model"] = benchmark::Counter(double(state.iterations()) * 10.0, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_save(benchmark::State& state) {
    auto& s = the_substrate();
    const auto path = (std::filesystem::temp_directory_path() / "lamina_bench_substrate.h5").string();
    for (auto _ : state) s.save(path);
    state.counters["file_MB"] = double(std::filesystem::file_size(path)) / 1048576.0;
    counters(state, s);
}

void BM_load(benchmark::State& state) {
    auto& s = the_substrate();
    const auto path = (std::filesystem::temp_directory_path() / "lamina_bench_substrate.h5").string();
    if (!std::filesystem::exists(path)) s.save(path);
    for (auto _ : state) s.load(path);
    counters(state, s);
    std::filesystem::remove(path);
}

} // namespace

BENCHMARK(BM_observe_100ms)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_idle_10s)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_save)->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK(BM_load)->Unit(benchmark::kMillisecond)->Iterations(2);

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i)
        if (!std::strcmp(argv[i], "--small")) {
            small = true;
            for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
            --argc;
            break;
        }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
