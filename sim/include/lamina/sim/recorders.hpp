#pragma once
// Recorders. Each one keeps what it records in memory up to a byte budget, or, when a
// recording_sink is attached, hands every window's data to the sink and keeps nothing, so that
// long runs stream to disk in bounded memory (NEST's recording backends).
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace lamina::sim {

struct spike_recorder_spec {
    std::string name;
    std::string population;
    std::vector<std::uint32_t> neurons;  // empty: all
};

struct state_recorder_spec {
    std::string name;
    std::string population;
    std::vector<std::string> variables;
    std::vector<std::uint32_t> neurons;
    double interval_ms = 1.0;
};

struct rate_recorder_spec {
    std::string name;
    std::string population;
    double bin_ms = 1.0;
};

// Weights of a projection (every synapse, in the canonical order of network::synapses: by source,
// then target), sampled every interval_ms of model time at the end of the window that reaches it.
struct weight_recorder_spec {
    std::string name;
    std::string projection;  // projection name
    double interval_ms = 1000.0;
};

// A population signal: a sum over the neurons of a population of terms built from their state,
//   signal(t) = sum over terms k of  coefficient_k * sum_i f_k(i, t - delay_k),
//   f_k(i, t) = a_i(t) * (b_i(t) - offset_k)   (b optional: f = a_i(t)), |f| if absolute,
// sampled every interval_ms and divided by the population size if `mean`. It computes field
// potential and EEG proxies online with memory proportional to samples, never neurons x time:
// mean membrane potential, sums of (absolute) synaptic currents such as g_ex (V - E_ex), and
// delayed weighted sums (Mazzoni et al. 2015's LRWS). Sums run over fixed blocks of 64 neurons
// in a fixed order, so the result is identical for any thread count.
struct signal_term {
    std::string variable;       // a
    std::string times = "";     // b (optional)
    double offset = 0.0;
    double coefficient = 1.0;
    bool absolute = false;
    double delay_ms = 0.0;      // multiple of the sampling interval
};
struct signal_recorder_spec {
    std::string name;
    std::string population;
    std::vector<signal_term> terms;
    double interval_ms = 1.0;
    bool mean = false;
    std::string unit;           // of the signal's values ("mV", "pA"); written to the result file
};
struct signal_record {
    std::vector<double> times_ms;
    std::vector<double> values;
};

// What a recorder has kept in memory.
struct spike_record {
    std::vector<double> times_ms;
    std::vector<std::uint32_t> neurons;  // index within the population
};
struct state_record {
    std::vector<double> times_ms;
    std::vector<std::uint32_t> neurons;
    std::vector<std::string> variables;
    // values[(sample * neurons.size() + n) * variables.size() + v]
    std::vector<double> values;
};
struct weight_record {
    std::vector<double> times_ms;
    std::size_t synapses = 0;
    std::vector<float> values;  // values[sample * synapses + synapse]
};
struct rate_record {
    double bin_ms = 0.0;
    std::vector<double> bin_start_ms;
    std::vector<double> rate_hz;
};

// Receives recorded data as it is produced (once per min-delay window).
class recording_sink {
public:
    virtual ~recording_sink() = default;
    virtual void spikes(const std::string& recorder, std::span<const double> times_ms,
                        std::span<const std::uint32_t> neurons) = 0;
    virtual void samples(const std::string& recorder, std::span<const double> times_ms,
                         std::span<const double> values) = 0;
    virtual void rates(const std::string& recorder, std::span<const double> bin_start_ms,
                       std::span<const double> rate_hz) = 0;
    // One sample of a weight recorder (all synapses of its projection, canonical order).
    virtual void weights(const std::string& recorder, double time_ms, std::span<const float> values) = 0;
    // Samples of a signal recorder.
    virtual void signals(const std::string& recorder, std::span<const double> times_ms,
                         std::span<const double> values) = 0;
};

} // namespace lamina::sim
