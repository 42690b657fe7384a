// Google Benchmark of the thread team's hand-off (issue 12 section 3): a region of two equal
// tasks of synthetic arithmetic, run on one thread (both tasks in turn) and on two (a task each),
// interleaved in the same run. W1's window is about 4 us of work on one thread, W2's about 3 us.
// Counters per region (medians over 20 batches of 2,000 regions):
//   us_1t, us_2t            wall us of a region on 1 and on 2 threads
//   speedup                 us_1t / us_2t (the ideal is 2)
//   overhead_us             us_2t - us_1t / 2: what the hand-off and waiting add to a region
//   withdrawn, preempted    per region: shares the caller ran itself, waits cut by a descheduling
// Run: build/bench/bench_thread_team (docs/performance.md, "Small networks on 2 threads").
#include "lamina/sim/thread_team.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace {

// A dependent chain of multiply-adds: `n` of them take about n * 4 cycles on any core.
double work(std::int64_t n) {
    double x = 1.0;
    for (std::int64_t i = 0; i < n; ++i) x = x * 1.0000001 + 1e-9;
    return x;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

void BM_team_region(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    lamina::sim::thread_team team(2);
    volatile double sink = 0.0;
    auto body = [&](std::size_t) { sink = sink + work(n); };
    constexpr int regions = 2000;
    std::vector<double> one, two;
    for (auto _ : state) {
        for (int batch = 0; batch < 20; ++batch) {
            auto t0 = std::chrono::steady_clock::now();
            for (int r = 0; r < regions; ++r) team.run(2, 1, body);
            auto t1 = std::chrono::steady_clock::now();
            for (int r = 0; r < regions; ++r) team.run(2, 2, body);
            auto t2 = std::chrono::steady_clock::now();
            one.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() / regions);
            two.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count() / regions);
        }
    }
    const auto c = team.statistics();
    const double us1 = median(one), us2 = median(two);
    state.counters["us_1t"] = us1;
    state.counters["us_2t"] = us2;
    state.counters["speedup"] = us1 / us2;
    state.counters["overhead_us"] = us2 - us1 / 2;
    state.counters["withdrawn"] = double(c.withdrawn) / double(std::max<std::uint64_t>(1, c.regions));
    state.counters["preempted"] = double(c.preemptions) / double(std::max<std::uint64_t>(1, c.regions));
    state.counters["team"] = team.size();
}

} // namespace

// Work per task: 125, 500, 1000 and 2000 multiply-adds (0.16, 0.8, 1.7 and 3.4 us each on the
// project's virtual machine).
BENCHMARK(BM_team_region)->Arg(125)->Arg(500)->Arg(1000)->Arg(2000)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
