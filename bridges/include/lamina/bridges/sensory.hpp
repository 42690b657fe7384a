#pragma once
// A sensory population of lif_psc_delta neurons driven by a population code through lamina's
// engine, and the retention of a code measured on its noise-free counts or on simulated spikes.
//
// Each presented vector gets its own copy of the population (neurons b*N .. b*N + N - 1 of one
// population per batch of vectors), so presentations do not interact; all copies start at rest.
// Drives:
//   current  active neuron i receives, during the window, the constant current that makes the LIF
//            fire at intensity_i * max_rate (lif_current_for_rate), rounded to `current_levels`
//            amplitude levels so neurons share devices
//   rate     the deterministic rate spike trains of rate_spikes(), relayed by synapses of
//            `spike_weight_mV` (above threshold from rest: one input spike, one output spike)
//   poisson  engine Poisson inputs at intensity_i * max_rate (intensities rounded to
//            `current_levels` levels), relayed the same way
// The response is the spike count of every neuron over [start, start + window + one step].
#include "lamina/bridges/population_code.hpp"
#include "lamina/models/neuron/lif_psc_delta.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <vector>

namespace lamina::bridges {

// Constant current (pA) at which a lif_psc_delta neuron starting from V_reset fires at rate_hz
// (rate_hz < 1/t_ref); 0 for rate_hz <= 0.
double lif_current_for_rate(const models::lif_psc_delta::parameters& p, double rate_hz);
// The steady firing rate (Hz) of a lif_psc_delta neuron under a constant current (pA).
double lif_rate_for_current(const models::lif_psc_delta::parameters& p, double current_pA);

enum class sensory_drive { current, rate, poisson };

struct sensory_options {
    models::lif_psc_delta::parameters neuron{};
    presentation window{0.0, 100.0, 200.0};  // start_ms, window_ms (<= 100 in the retention study), max_rate_hz
    sensory_drive drive = sensory_drive::current;
    double dt_ms = 0.1;
    double spike_weight_mV = 20.0;
    std::size_t current_levels = 256;
    std::size_t batch = 256;  // vectors per network
    int threads = 0;          // 0: all cores
    std::uint64_t seed = 1;
};

struct sensory_result {
    Eigen::MatrixXd counts;        // vectors x population size
    std::uint64_t spikes = 0;
    double wall_seconds = 0.0;
};

sensory_result simulate_sensory_responses(const std::vector<population_activity>& activities,
                                          const sensory_options& options = {});

// Noise-free counts (ideal_counts) of every activity, one row each.
Eigen::MatrixXd ideal_count_matrix(const std::vector<population_activity>& activities, const presentation& p = {});

struct retention_measurement {
    double r_sim = 0.0;
    double r_nn = 0.0;
    double mean_spikes = 0.0;  // per presented vector
    double wall_seconds = 0.0;
};
// R_sim and R_nn of `code` on `embeddings` (one vector per row), with noise-free counts
// (simulate = false) or engine responses.
retention_measurement measure_retention(const Eigen::MatrixXd& embeddings, const population_code& code,
                                        bool simulate, const sensory_options& options = {});

} // namespace lamina::bridges
