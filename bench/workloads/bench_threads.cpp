// Google Benchmark for the thread team on small networks (issue 12 section 3): W1, W2 and
// examples/cortex.toml on 1 thread, on 2 threads as a user gets them (the width chooser on), and on
// 2 threads with every window on both (the chooser off), measured in the same run.
//
// The arms are interleaved: each iteration runs `--chunk` ms (default 250) of model time on every arm in turn
// (the order rotating), so drifts of a shared machine's speed fall on all arms alike; the counters
// are medians over the iterations:
//   ms_1t, ms_2t, ms_2t_all   wall ms per second of model time of each arm
//   speedup_2t, speedup_2t_all   median over iterations of (1-thread time / 2-thread time)
//   cpu_1t, cpu_2t, cpu_2t_all   CPU ms (all threads of the process) per second of model time
//   on_all_2t   fraction of the adaptive arm's windows that ran on both threads
//   caller_wait_us_2t_all, worker_wait_us_2t_all   wall us per window the caller waited for the
//     worker's share and the worker for the next offer (every window on both threads)
//   withdrawn_2t_all, preempted_2t_all   per window: shares the caller took back from a worker
//     that had not started, and waits cut short because the waiter had been descheduled
//   load_avg   the machine's 1-minute load average at the end (the figures mean little above ~1)
// --busy=N starts N child processes that spin for the whole run (a loaded machine) and stops them
// at the end, so the same command measures a busy machine.
// Run: build/bench/bench_threads [--chunk=MS] [--busy=N] [--benchmark_filter=W1]
// (docs/performance.md, "Small networks on 2 threads").
#include "lamina/compose/model_file.hpp"
#include "lamina/models/reference_networks.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace lamina;

namespace {

double chunk_ms = 250.0;

enum class workload { W1, W2, cortex };

std::unique_ptr<sim::network> make(workload w, int threads, bool adaptive) {
    if (w == workload::cortex) {
        const auto d = compose::load_model_file(std::string(LAMINA_SOURCE_DIR) + "/examples/cortex.toml");
        compose::run_overrides o;
        o.threads = threads;
        o.adaptive_threads = adaptive;
        return compose::instantiate(d, o);
    }
    sim::run_config cfg;
    cfg.threads = threads;
    cfg.seed = 1;
    cfg.adaptive_threads = adaptive;
    auto net = std::make_unique<sim::network>(cfg);
    models::reference_network_options opt{1.0, false};
    if (w == workload::W1) models::build_w1_coba(*net, opt);
    else models::build_w2_cuba(*net, opt);
    return net;
}

// CPU seconds of the whole process (all threads: spinning counts).
double process_cpu_s() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void compare(benchmark::State& state, workload w) {
    struct arm {
        std::unique_ptr<sim::network> net;
        std::vector<double> ms_per_model_s, cpu_ms_per_model_s;
    };
    std::vector<arm> arms;
    arms.push_back({make(w, 1, true), {}, {}});
    arms.push_back({make(w, 2, true), {}, {}});
    arms.push_back({make(w, 2, false), {}, {}});
    for (auto& a : arms) {
        a.net->build();
        a.net->run(100.0);  // leave the initial transient
    }
    std::size_t round = 0;
    for (auto _ : state) {
        for (std::size_t k = 0; k < arms.size(); ++k) {
            auto& a = arms[(k + round) % arms.size()];
            const double c0 = process_cpu_s();
            const auto t0 = std::chrono::steady_clock::now();
            a.net->run(chunk_ms);
            const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            a.ms_per_model_s.push_back(1e3 * s / (chunk_ms * 1e-3));
            a.cpu_ms_per_model_s.push_back(1e3 * (process_cpu_s() - c0) / (chunk_ms * 1e-3));
        }
        ++round;
    }
    std::vector<double> speedup, speedup_all;
    for (std::size_t i = 0; i < arms[0].ms_per_model_s.size(); ++i) {
        speedup.push_back(arms[0].ms_per_model_s[i] / arms[1].ms_per_model_s[i]);
        speedup_all.push_back(arms[0].ms_per_model_s[i] / arms[2].ms_per_model_s[i]);
    }
    state.counters["ms_1t"] = median(arms[0].ms_per_model_s);
    state.counters["ms_2t"] = median(arms[1].ms_per_model_s);
    state.counters["ms_2t_all"] = median(arms[2].ms_per_model_s);
    state.counters["cpu_1t"] = median(arms[0].cpu_ms_per_model_s);
    state.counters["cpu_2t"] = median(arms[1].cpu_ms_per_model_s);
    state.counters["cpu_2t_all"] = median(arms[2].cpu_ms_per_model_s);
    state.counters["speedup_2t"] = median(speedup);
    state.counters["speedup_2t_all"] = median(speedup_all);
    state.counters["worst_2t"] = *std::max_element(arms[1].ms_per_model_s.begin(), arms[1].ms_per_model_s.end());
    state.counters["worst_2t_all"] = *std::max_element(arms[2].ms_per_model_s.begin(), arms[2].ms_per_model_s.end());
    const auto u = arms[1].net->thread_statistics();
    state.counters["on_all_2t"] = double(u.windows_on_all) / double(std::max<std::uint64_t>(1, u.windows_on_all + u.windows_on_one));
    state.counters["team_2t"] = u.team_threads;
    // What the hand-offs cost, from the arm with every window on both threads (load-independent
    // as long as both threads had a core): wall us per region the caller waited for the worker's
    // share and the worker waited for the next offer, and the shares the caller had to take back.
    const auto a = arms[2].net->thread_statistics();
    const double regions = double(std::max<std::uint64_t>(1, a.regions));
    state.counters["caller_wait_us_2t_all"] = 1e-3 * double(a.caller_wait_ns) / regions;
    state.counters["worker_wait_us_2t_all"] = 1e-3 * double(a.worker_wait_ns) / regions;
    state.counters["withdrawn_2t_all"] = double(a.withdrawn) / regions;
    state.counters["preempted_2t_all"] = double(a.preemptions) / regions;
    double load[1] = {0.0};
    if (::getloadavg(load, 1) == 1) state.counters["load_avg"] = load[0];
}

// Children that spin until killed: a loaded machine.
std::vector<pid_t> start_busy(int n) {
    std::vector<pid_t> pids;
    for (int k = 0; k < n; ++k) {
        const pid_t p = ::fork();
        if (p == 0) {
            volatile unsigned long x = 0;
            for (;;) x = x + 1;
        }
        if (p > 0) pids.push_back(p);
    }
    return pids;
}

void stop_busy(const std::vector<pid_t>& pids) {
    for (pid_t p : pids) ::kill(p, SIGKILL);
    for (pid_t p : pids) ::waitpid(p, nullptr, 0);
}

} // namespace

int main(int argc, char** argv) {
    int busy = 0;
    std::vector<char*> args;
    for (int i = 0; i < argc; ++i) {
        if (std::strncmp(argv[i], "--chunk=", 8) == 0) chunk_ms = std::atof(argv[i] + 8);
        else if (std::strncmp(argv[i], "--busy=", 7) == 0) busy = std::atoi(argv[i] + 7);
        else args.push_back(argv[i]);
    }
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
    auto reg = [](const char* name, workload w, int iterations) {
        benchmark::RegisterBenchmark(name, [w](benchmark::State& s) { compare(s, w); })
            ->Iterations(iterations)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
    };
    reg("BM_threads/W1", workload::W1, 15);
    reg("BM_threads/W2", workload::W2, 15);
    reg("BM_threads/cortex", workload::cortex, 7);
    const auto pids = start_busy(busy);
    benchmark::RunSpecifiedBenchmarks();
    stop_busy(pids);
    benchmark::Shutdown();
    return 0;
}
