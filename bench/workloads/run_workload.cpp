// lamina_workload W1|W2|W3 [--duration ms] [--threads n] [--seed s] [--scale k] [--no-record] [--every-window-wide]
// Builds and runs one reference network and prints one JSON object with build and simulation wall
// time, spikes, rates and memory: the lamina half of bench/peers/compare.py.
#include "lamina/models/reference_networks.hpp"
#include "lamina/sim/system_memory.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: lamina_workload W1|W2|W3 [--duration ms] [--threads n] [--seed s] [--scale k] [--no-record] [--every-window-wide]\n");
        return 2;
    }
    std::string w = argv[1];
    double duration = 1000.0, scale = 1.0;
    int threads = 1;
    unsigned long long seed = 1;
    bool record = true, adaptive = true;
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&] { return i + 1 < argc ? argv[++i] : (std::fprintf(stderr, "missing value for %s\n", a.c_str()), std::exit(2), nullptr); };
        if (a == "--duration") duration = std::atof(next());
        else if (a == "--threads") threads = std::atoi(next());
        else if (a == "--seed") seed = std::strtoull(next(), nullptr, 10);
        else if (a == "--scale") scale = std::atof(next());
        else if (a == "--no-record") record = false;
        else if (a == "--every-window-wide") adaptive = false;  // all threads on every window (no width chooser)
        else { std::fprintf(stderr, "unknown option %s\n", a.c_str()); return 2; }
    }
    lamina::sim::run_config cfg;
    cfg.threads = threads;
    cfg.seed = seed;
    cfg.adaptive_threads = adaptive;
    lamina::sim::network net(cfg);
    lamina::models::reference_network_options opt{scale, record};
    if (w == "W1") lamina::models::build_w1_coba(net, opt);
    else if (w == "W2") lamina::models::build_w2_cuba(net, opt);
    else if (w == "W3") lamina::models::build_w3_brunel(net, opt);
    else { std::fprintf(stderr, "unknown workload %s\n", w.c_str()); return 2; }
    net.build();
    const auto t0 = std::chrono::steady_clock::now();
    net.run(duration);
    const double sim_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto& st = net.statistics();
    const auto& counts = net.spike_counts();
    const auto u = net.thread_statistics();
    const double secs = duration / 1000.0;
    const double rate_e = double(counts[0]) / (double(net.population_at(0).size()) * secs);
    const double rate_i = double(counts[1]) / (double(net.population_at(1).size()) * secs);
    std::printf("{\"workload\": \"%s\", \"threads\": %d, \"seed\": %llu, \"model_time_s\": %g, \"build_s\": %.4f, "
                "\"sim_s\": %.4f, \"neurons\": %llu, \"synapses\": %llu, \"bytes_per_synapse\": %.3f, "
                "\"spikes\": %llu, \"rate_E_hz\": %.3f, \"rate_I_hz\": %.3f, \"synaptic_events\": %llu, "
                "\"events_per_s\": %.4g, \"peak_rss_mb\": %.1f, \"windows_on_all\": %llu, \"windows_on_one\": %llu, "
                "\"regions\": %llu, \"withdrawn\": %llu, \"worker_sleeps\": %llu, \"caller_sleeps\": %llu, "
                "\"preemptions\": %llu, \"caller_wait_ns_per_region\": %.0f, \"worker_wait_ns_per_region\": %.0f}\n",
                w.c_str(), net.threads(), seed, secs, st.build_seconds, sim_s, (unsigned long long)st.neurons,
                (unsigned long long)st.synapses, st.bytes_per_synapse(),
                (unsigned long long)(counts[0] + counts[1]), rate_e, rate_i,
                (unsigned long long)net.synaptic_events(), double(net.synaptic_events()) / sim_s,
                double(lamina::sim::peak_resident_bytes()) / 1048576.0, (unsigned long long)u.windows_on_all,
                (unsigned long long)u.windows_on_one, (unsigned long long)u.regions, (unsigned long long)u.withdrawn,
                (unsigned long long)u.worker_sleeps, (unsigned long long)u.caller_sleeps, (unsigned long long)u.preemptions,
                double(u.caller_wait_ns) / double(std::max<std::uint64_t>(u.regions, 1)),
                double(u.worker_wait_ns) / double(std::max<std::uint64_t>(u.regions, 1)));
    return 0;
}
