// What independent Poisson input costs per neuron and step in clock mode, drawn per step (a
// Philox4x32 block per 4 neurons and step, a count by inversion of a cumulative table) against
// drawn per block of 1,024 steps (a count per neuron and block, then a uniform step per event:
// poisson_input_spec::draw_in_blocks), as the mean count per step lambda grows. The
// Potjans-Diesmann microcircuit's Poisson drive has lambda = K_ext x 8 Hz x 0.1 ms = 1.2-1.7
// (docs/performance.md); sparse drive (issue 12's event-mode networks) has lambda ~ 0.005.
// The target neurons (lif_psc_delta, threshold out of reach) and their update are the same in
// both modes, so the difference is the input's.
// Run: build/bench/bench_poisson_input (cpu_time per iteration = 1,000 steps of 20,000 neurons).
#include "lamina/models/neuron/lif_psc_delta.hpp"
#include "lamina/sim/network.hpp"

#include <benchmark/benchmark.h>
#include <memory>

using namespace lamina;

namespace {

constexpr double lambdas[] = {0.005, 0.1, 0.5, 1.6, 4.0};

std::unique_ptr<sim::network> driven(double lambda, bool blocks) {
    sim::run_config cfg;
    cfg.threads = 1;
    cfg.seed = 5;
    cfg.dt_ms = 0.1;
    auto net = std::make_unique<sim::network>(cfg);
    models::lif_psc_delta::parameters p;
    p.V_th = 1e12;
    net->add_population<models::lif_psc_delta>("P", 20000, p);
    sim::poisson_input_spec in;
    in.name = "drive";
    in.target = "P";
    in.rate_hz = lambda / (cfg.dt_ms * 1e-3);
    in.weight = 1e-3;
    in.draw_in_blocks = blocks;
    net->add_poisson_input(in);
    net->run(1.0);
    return net;
}

void poisson_input(benchmark::State& state) {
    const double lambda = lambdas[state.range(0)];
    auto net = driven(lambda, state.range(1) == 1);
    for (auto _ : state) net->run(100.0);  // 1,000 steps
    state.counters["lambda"] = lambda;
    state.counters["blocks"] = double(state.range(1));
    state.counters["ns_per_neuron_step"] =
        benchmark::Counter(double(state.iterations()) * 20000.0 * 1000.0,
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert, benchmark::Counter::kIs1000);
}

} // namespace

BENCHMARK(poisson_input)->ArgsProduct({{0, 1, 2, 3, 4}, {0, 1}})->ArgNames({"lambda", "blocks"})->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
