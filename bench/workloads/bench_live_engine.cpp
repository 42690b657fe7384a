// Google Benchmark suite for the live engine (issue 10's targets):
//   W1 driven in 1000 pieces of 1 ms against one run of 1 s on the same, continuing network;
//   checkpoints of W3 (15.6 M static synapses) and W4 (plastic I->E, model file) written, loaded
//   into a built network, and restored from scratch (build + load, what `lamina resume` pays),
//   with file size against the network's memory.
// Counters: file_mb, network_mb (connectivity, neuron state, input rings and plasticity state),
// file_per_network (their ratio).
// Run: build/bench/bench_live_engine (docs/performance.md quotes it).
#include "lamina/compose/model_file.hpp"
#include "lamina/models/reference_networks.hpp"

#include <benchmark/benchmark.h>
#include <filesystem>
#include <memory>
#include <unistd.h>

using namespace lamina;

namespace {

enum workload { W1 = 1, W3 = 3, W4 = 4 };

std::unique_ptr<sim::network> make(int w) {
    if (w == W4) {
        const auto d = compose::load_model_file(std::string(LAMINA_SOURCE_DIR) + "/examples/w4_vogels2011.toml");
        compose::run_overrides o;
        o.threads = 1;
        auto net = compose::instantiate(d, o);
        net->build();
        return net;
    }
    sim::run_config cfg;
    cfg.threads = 1;
    cfg.seed = 1;
    auto net = std::make_unique<sim::network>(cfg);
    models::reference_network_options opt{1.0, false};
    if (w == W1) models::build_w1_coba(*net, opt);
    if (w == W3) models::build_w3_brunel(*net, opt);
    net->build();
    return net;
}

std::string scratch(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("lamina_bench_" + std::to_string(::getpid()) + "_" + name)).string();
}

double network_mb(const sim::network& net) {
    const auto& s = net.statistics();
    return double(s.synapse_bytes + s.state_bytes + s.plasticity_bytes) / 1e6;
}

// One second of W1 in `pieces` runs.
void W1_pieces(benchmark::State& state) {
    const int pieces = static_cast<int>(state.range(0));
    auto net = make(W1);
    net->run(100.0);  // past the initial transient
    for (auto _ : state)
        for (int k = 0; k < pieces; ++k) net->run(1000.0 / pieces);
    state.counters["model_s_per_s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

void checkpoint_write(benchmark::State& state) {
    auto net = make(static_cast<int>(state.range(0)));
    net->run(100.0);
    const auto path = scratch("write.h5");
    for (auto _ : state) net->save_checkpoint(path);
    const double file = double(std::filesystem::file_size(path)) / 1e6;
    state.counters["file_mb"] = file;
    state.counters["network_mb"] = network_mb(*net);
    state.counters["file_per_network"] = file / network_mb(*net);
    std::filesystem::remove(path);
}

// Loading a checkpoint into a fresh network: with `build_timed` the making and building of the
// network from its description is timed too (what a resume pays), otherwise only the load.
void checkpoint_read(benchmark::State& state, bool build_timed) {
    const int w = static_cast<int>(state.range(0));
    auto net = make(w);
    net->run(100.0);
    const auto path = scratch(build_timed ? "restore.h5" : "load.h5");
    net->save_checkpoint(path);
    net.reset();
    for (auto _ : state) {
        if (!build_timed) state.PauseTiming();
        auto fresh = make(w);
        if (!build_timed) state.ResumeTiming();
        fresh->load_checkpoint(path);
        benchmark::DoNotOptimize(fresh->current_step());
        state.PauseTiming();
        fresh.reset();
        state.ResumeTiming();
    }
    std::filesystem::remove(path);
}
void checkpoint_load(benchmark::State& state) { checkpoint_read(state, false); }
void checkpoint_restore(benchmark::State& state) { checkpoint_read(state, true); }

} // namespace

BENCHMARK(W1_pieces)->Arg(1)->Arg(1000)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(checkpoint_write)->Arg(W3)->Arg(W4)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(checkpoint_load)->Arg(W3)->Arg(W4)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(checkpoint_restore)->Arg(W3)->Arg(W4)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_MAIN();
