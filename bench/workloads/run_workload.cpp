// lamina_workload W1|W2|W3 [--duration ms] [--threads n] [--seed s] [--scale k] [--no-record]
// Builds and runs one reference network and prints one JSON object with build and simulation wall
// time, spikes, rates and memory: the lamina half of bench/peers/compare.py.
#include "lamina/models/reference_networks.hpp"
#include "lamina/sim/system_memory.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: lamina_workload W1|W2|W3 [--duration ms] [--threads n] [--seed s] [--scale k] [--no-record]\n");
        return 2;
    }
    std::string w = argv[1];
    double duration = 1000.0, scale = 1.0;
    int threads = 1;
    unsigned long long seed = 1;
    bool record = true;
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&] { return i + 1 < argc ? argv[++i] : (std::fprintf(stderr, "missing value for %s\n", a.c_str()), std::exit(2), nullptr); };
        if (a == "--duration") duration = std::atof(next());
        else if (a == "--threads") threads = std::atoi(next());
        else if (a == "--seed") seed = std::strtoull(next(), nullptr, 10);
        else if (a == "--scale") scale = std::atof(next());
        else if (a == "--no-record") record = false;
        else { std::fprintf(stderr, "unknown option %s\n", a.c_str()); return 2; }
    }
    lamina::sim::run_config cfg;
    cfg.threads = threads;
    cfg.seed = seed;
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
    const double secs = duration / 1000.0;
    const double rate_e = double(counts[0]) / (double(net.population_at(0).size()) * secs);
    const double rate_i = double(counts[1]) / (double(net.population_at(1).size()) * secs);
    std::printf("{\"workload\": \"%s\", \"threads\": %d, \"seed\": %llu, \"model_time_s\": %g, \"build_s\": %.4f, "
                "\"sim_s\": %.4f, \"neurons\": %llu, \"synapses\": %llu, \"bytes_per_synapse\": %.3f, "
                "\"spikes\": %llu, \"rate_E_hz\": %.3f, \"rate_I_hz\": %.3f, \"synaptic_events\": %llu, "
                "\"events_per_s\": %.4g, \"peak_rss_mb\": %.1f}\n",
                w.c_str(), net.threads(), seed, secs, st.build_seconds, sim_s, (unsigned long long)st.neurons,
                (unsigned long long)st.synapses, st.bytes_per_synapse(),
                (unsigned long long)(counts[0] + counts[1]), rate_e, rate_i,
                (unsigned long long)net.synaptic_events(), double(net.synaptic_events()) / sim_s,
                double(lamina::sim::peak_resident_bytes()) / 1048576.0);
    return 0;
}
