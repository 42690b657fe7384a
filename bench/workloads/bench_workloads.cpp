// Google Benchmark suite for the reference workloads (workloads.md W1-W3).
//
// Each simulation benchmark builds the network once, outside the timed region, then times
// iterations of one second of model time on the same, continuing network (steady state). Counters:
//   model_s_per_s   seconds of model time per second of wall time (the real-time factor's inverse)
//   events_per_s    recurrent synaptic events delivered per wall second
//   bytes_per_syn   connectivity storage per synapse, all indexing included
//   peak_rss_mb     peak resident memory of the process so far
// Run: build/bench/bench_workloads [--quick] --benchmark_filter=W3 (see docs/performance.md;
// bench/performance_report.sh runs the suite and the back-to-back pairs).
#include "lamina/models/eeg/proxies.hpp"
#include "lamina/models/reference_networks.hpp"
#include "lamina/plasticity/stdp_pair.hpp"
#include "lamina/sim/plastic_rule.hpp"
#include "lamina/sim/system_memory.hpp"

#include <benchmark/benchmark.h>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

using namespace lamina;

namespace {

enum workload { W1 = 1, W2 = 2, W3 = 3, W3_STDP = 4, W1_PROXY = 5 };

// W3 with additive pair STDP on E->E: the plastic-cost question of the plasticity issue. The
// learning rate is small and W_max twice J, so the network stays in its asynchronous state.
std::shared_ptr<sim::plasticity> w3_stdp_rule() {
    plasticity::stdp_pair::parameters p;
    p.tau_plus = 20.0;
    p.tau_minus = 20.0;
    p.lambda = 1e-4;
    p.alpha = 1.05;
    p.W_max = 0.2;
    return std::make_shared<sim::plastic_rule<plasticity::stdp_pair>>(p);
}

std::unique_ptr<sim::network> make(int w, int threads, bool record) {
    sim::run_config cfg;
    cfg.threads = threads;
    cfg.seed = 1;
    auto net = std::make_unique<sim::network>(cfg);
    models::reference_network_options opt{1.0, record};
    if (w == W1 || w == W1_PROXY) models::build_w1_coba(*net, opt);
    // The proxy-overhead question of issue 5: W1 with an online LRWS proxy of E sampled every ms.
    if (w == W1_PROXY)
        net->record_signal(models::eeg::make_proxy(models::eeg::proxy_type::lrws, "lrws_E", net->population_at(0), {1.0}));
    if (w == W2) models::build_w2_cuba(*net, opt);
    if (w == W3) models::build_w3_brunel(*net, opt);
    if (w == W3_STDP) {
        opt.ee_plasticity = w3_stdp_rule();
        models::build_w3_brunel(*net, opt);
    }
    return net;
}

int all_cores() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

void simulate(benchmark::State& state, int w) {
    const int threads = state.range(0) == 0 ? all_cores() : static_cast<int>(state.range(0));
    auto net = make(w, threads, false);
    net->build();
    net->run(100.0);  // leave the initial transient
    const auto events0 = net->synaptic_events();
    double model_s = 0.0;
    for (auto _ : state) {
        net->run(1000.0);
        model_s += 1.0;
    }
    state.counters["threads"] = threads;
    state.counters["model_s_per_s"] = benchmark::Counter(model_s, benchmark::Counter::kIsRate);
    state.counters["events_per_s"] =
        benchmark::Counter(double(net->synaptic_events() - events0), benchmark::Counter::kIsRate);
    state.counters["bytes_per_syn"] = net->statistics().bytes_per_synapse();
    state.counters["synapses"] = double(net->statistics().synapses);
    state.counters["peak_rss_mb"] = double(sim::peak_resident_bytes()) / 1048576.0;
    // Plastic synapses: storage of targets and weights plus the rule's reverse index and state.
    std::uint64_t plastic = 0;
    std::size_t plastic_bytes = net->statistics().plasticity_bytes;
    for (const auto& p : net->projections())
        if (p.spec.plasticity) {
            plastic += p.synapse_count();
            plastic_bytes += p.memory_bytes();
        }
    if (plastic) state.counters["bytes_per_plastic_syn"] = double(plastic_bytes) / double(plastic);
}

void build(benchmark::State& state, int w) {
    const int threads = state.range(0) == 0 ? all_cores() : static_cast<int>(state.range(0));
    double synapses = 0.0;
    for (auto _ : state) {
        auto net = make(w, threads, false);
        net->build();
        synapses = double(net->statistics().synapses);
        benchmark::DoNotOptimize(net.get());
    }
    state.counters["threads"] = threads;
    state.counters["synapses_per_s"] = benchmark::Counter(synapses * double(state.iterations()),
                                                          benchmark::Counter::kIsRate);
}

} // namespace

// range(0): threads, 0 = all cores. cpu_time is the process's CPU time (all threads), so the
// CPU-time comparisons of bench/performance_report.sh (W1 against W1 + proxy) count TBB workers too.
// --quick (for proving a report script end to end, not for figures): W1/W2 for at least 0.1 s
// instead of 2 s, W3 benchmarks one iteration instead of three.
void register_benchmarks(bool quick) {
    using benchmark::RegisterBenchmark;
    const double min_time = quick ? 0.1 : 2.0;
    const int w3_iterations = quick ? 1 : 3;
    auto timed = [&](benchmark::internal::Benchmark* b) {
        return b->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();
    };
    timed(RegisterBenchmark("BM_W1_simulate", [](benchmark::State& s) { simulate(s, W1); }))
        ->Arg(1)->Arg(0)->MinTime(min_time);
    timed(RegisterBenchmark("BM_W1_proxy_simulate", [](benchmark::State& s) { simulate(s, W1_PROXY); }))
        ->Arg(1)->MinTime(min_time);
    timed(RegisterBenchmark("BM_W2_simulate", [](benchmark::State& s) { simulate(s, W2); }))
        ->Arg(1)->Arg(0)->MinTime(min_time);
    timed(RegisterBenchmark("BM_W3_simulate", [](benchmark::State& s) { simulate(s, W3); }))
        ->Arg(1)->Arg(0)->Iterations(w3_iterations);
    timed(RegisterBenchmark("BM_W3_STDP_simulate", [](benchmark::State& s) { simulate(s, W3_STDP); }))
        ->Arg(1)->Iterations(w3_iterations);
    timed(RegisterBenchmark("BM_W3_build", [](benchmark::State& s) { build(s, W3); }))
        ->Arg(1)->Arg(0)->Iterations(w3_iterations);
}

int main(int argc, char** argv) {
    bool quick = false;
    std::vector<char*> args;
    for (int i = 0; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) quick = true;
        else args.push_back(argv[i]);
    }
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
    register_benchmarks(quick);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
