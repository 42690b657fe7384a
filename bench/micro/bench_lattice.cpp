// How many node-steps per second does the neural-mass lattice sustain on a 256 x 256 Jansen-Rit
// sheet, and how does it scale from 1 to 2 threads?
//
// Each benchmark builds a 256 x 256 periodic sheet (dt 0.1 ms, stochastic Heun, p_sd 57.7 Hz
// unless stated, random initial y1), runs 20 steps outside the timed region, then times
// iterations of 10 steps. Counter node_steps_per_s = 65536 x steps / wall second. Variants:
//   laplacian     instantaneous nearest-neighbour coupling (two passes per step)
//   kernel        Gaussian kernel, radius 2 mm (12 taps), conduction velocity 1 m/s (1-2 ms delays)
//   uncoupled     no coupling: the cost of the masses and the noise alone
//   deterministic laplacian without noise (no Philox draws)
// Run: build/bench/bench_lattice [--benchmark_min_time=2 --benchmark_repetitions=5]
// (results in docs/masses.md).
#include "lamina/models/mass/lattice.hpp"

#include <benchmark/benchmark.h>

namespace {

namespace mass = lamina::models::mass;

enum variant { laplacian = 0, kernel = 1, uncoupled = 2, deterministic = 3 };

void sheet(benchmark::State& state) {
    const int threads = static_cast<int>(state.range(0));
    const auto v = static_cast<variant>(state.range(1));
    mass::lattice_config cfg;
    cfg.rows = cfg.cols = 256;
    cfg.dt = 0.1;
    cfg.threads = threads;
    mass::jansen_rit::parameters p;
    p.p_sd = v == deterministic ? 0.0 : 57.7;
    mass::coupling c = mass::no_coupling{};
    if (v == laplacian || v == deterministic) c = mass::laplacian_coupling{1.0};
    if (v == kernel) {
        mass::kernel_coupling k;
        k.strength = 10.0;
        k.length = 1.0;
        k.radius = 2.0;
        k.conduction_velocity = 1.0;
        c = k;
    }
    mass::recording_config rec;
    rec.spatial_mean = false;
    mass::lattice<mass::jansen_rit> lat(cfg, p, c, rec);
    lat.perturb(1, 1.0, 1);
    lat.step(20);
    constexpr int steps = 10;
    for (auto _ : state) {
        lat.step(steps);
        benchmark::DoNotOptimize(lat.state(0).data());
    }
    state.counters["threads"] = threads;
    state.counters["node_steps_per_s"] =
        benchmark::Counter(double(lat.size()) * steps * double(state.iterations()), benchmark::Counter::kIsRate);
}

} // namespace

// Args: threads, variant.
BENCHMARK(sheet)
    ->ArgNames({"threads", "variant"})
    ->Args({1, laplacian})
    ->Args({2, laplacian})
    ->Args({1, kernel})
    ->Args({2, kernel})
    ->Args({1, uncoupled})
    ->Args({2, uncoupled})
    ->Args({1, deterministic})
    ->Args({2, deterministic})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
