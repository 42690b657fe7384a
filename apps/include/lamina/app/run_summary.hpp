#pragma once
// The end-of-run summary of the lamina command, as text for people and as one JSON object for
// scripts (`lamina run --json`).
#include "lamina/sim/network.hpp"

#include <string>
#include <vector>

namespace lamina::app {

struct population_summary {
    std::string name;
    std::uint64_t size = 0;
    std::uint64_t spikes = 0;
    double rate_hz = 0.0;
    double cv_isi = 0.0;  // NaN when no neuron fired three times
    // The update mode used: "clock", "event", or for update = "auto" what it chose ("auto: event",
    // "auto: clock", or the share of steps in each when it switched).
    std::string update = "clock";
};

struct run_summary {
    std::uint64_t neurons = 0;
    std::uint64_t synapses = 0;
    std::uint64_t spikes = 0;
    double model_time_s = 0.0;
    double build_s = 0.0;
    double sim_s = 0.0;
    int threads = 0;
    std::uint64_t seed = 0;
    double peak_rss_mb = 0.0;
    double bytes_per_synapse = 0.0;
    std::string output;
    bool interrupted = false;
    std::vector<population_summary> populations;
    // A resumed run: the model time it started from (model_time_s counts from there; spike counts
    // and rates cover the whole run since 0).
    double resumed_from_s = 0.0;
    // Checkpoints written by this process (--checkpoint), and the seconds they took.
    std::string checkpoint;
    std::size_t checkpoints_written = 0;
    double checkpoint_s = 0.0;

    // A distributed run: its ranks and the peak memory of each (peak_rss_mb is rank 0's).
    int ranks = 1;
    std::vector<double> rank_peak_rss_mb;
    // CPU seconds (user + system, all threads) up to the end of the build (reading the model
    // included) and during the simulation, per rank (one entry for one process): under a shared
    // machine's load these, unlike wall times, still measure the work.
    std::vector<double> rank_build_cpu_s, rank_sim_cpu_s;

    // Wall seconds per second of model time (below 1: faster than real time).
    double real_time_factor() const { return model_time_s > 0.0 ? sim_s / model_time_s : 0.0; }
};

run_summary summarize(const sim::network& net, double sim_seconds, const std::string& output, bool interrupted);
std::string to_text(const run_summary& s);
std::string to_json(const run_summary& s);

// JSON string literal with escapes.
std::string json_string(const std::string& s);
// A finite number, or null.
std::string json_number(double v);

} // namespace lamina::app
