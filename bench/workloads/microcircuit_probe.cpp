// microcircuit_probe FILE [--scale k] [--threads n] [--duration ms] [--warmup ms] [--every-window-wide]
// Builds a model file (neuron numbers and totals x k, in-degrees kept, as bench_microcircuit
// does), runs a warm-up, then `duration` of model time, and prints one JSON line: wall and
// process CPU time of the measured run, spikes, synaptic events and the thread team's statistics
// (windows per width, waits). A probe for profiling (perf record attaches to its measured run).
#include "lamina/compose/model_file.hpp"
#include "lamina/sim/system_memory.hpp"
#include "scaled_model_text.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <numeric>
#include <string>

using namespace lamina;

namespace {
double cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}
} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: microcircuit_probe FILE [--scale k] [--threads n] [--duration ms] [--warmup ms] [--every-window-wide]\n");
        return 2;
    }
    const std::string file = argv[1];
    double scale = 1.0, duration = 1000.0, warmup = 100.0;
    compose::run_overrides o;
    o.threads = 2;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&] { return i + 1 < argc ? argv[++i] : (std::fprintf(stderr, "missing value for %s\n", a.c_str()), std::exit(2), nullptr); };
        if (a == "--scale") scale = std::atof(next());
        else if (a == "--threads") o.threads = std::atoi(next());
        else if (a == "--duration") duration = std::atof(next());
        else if (a == "--warmup") warmup = std::atof(next());
        else if (a == "--every-window-wide") o.adaptive_threads = false;
        else { std::fprintf(stderr, "unknown option %s\n", a.c_str()); return 2; }
    }
    const auto d = compose::parse_model_text(bench::scaled_model_text(file, scale), file);
    auto net = compose::instantiate(d, o);
    net->build();
    if (warmup > 0) net->run(warmup);
    const auto spikes0 = net->spike_counts();
    const auto events0 = net->synaptic_events();
    const double c0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    std::fprintf(stderr, "measuring\n");
    net->run(duration);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = cpu_seconds() - c0;
    const auto& sc = net->spike_counts();
    unsigned long long spikes = 0;
    for (std::size_t q = 0; q < sc.size(); ++q) spikes += sc[q] - spikes0[q];
    const auto u = net->thread_statistics();
    std::printf("{\"scale\": %g, \"threads\": %d, \"model_s\": %g, \"wall_s\": %.3f, \"cpu_s\": %.3f, \"rtf\": %.3f, "
                "\"cpu_per_model_s\": %.3f, \"spikes\": %llu, \"events\": %llu, \"peak_rss_mb\": %.0f, "
                "\"windows_on_all\": %llu, \"windows_on_one\": %llu, \"switches\": %llu, \"regions\": %llu, "
                "\"worker_sleeps\": %llu, \"caller_sleeps\": %llu, \"withdrawn\": %llu, \"preemptions\": %llu, "
                "\"caller_wait_ms\": %.1f, \"worker_wait_ms\": %.1f}\n",
                scale, net->threads(), duration / 1000.0, wall, cpu, wall / (duration / 1000.0), cpu / (duration / 1000.0),
                spikes, (unsigned long long)(net->synaptic_events() - events0),
                double(sim::peak_resident_bytes()) / 1048576.0, (unsigned long long)u.windows_on_all,
                (unsigned long long)u.windows_on_one, (unsigned long long)u.switches, (unsigned long long)u.regions,
                (unsigned long long)u.worker_sleeps, (unsigned long long)u.caller_sleeps, (unsigned long long)u.withdrawn,
                (unsigned long long)u.preemptions, 1e-6 * double(u.caller_wait_ns), 1e-6 * double(u.worker_wait_ns));
    return 0;
}
