#pragma once
// Population codes: an embedding vector -> the activity of a sensory population of fixed size.
//
// Both codes have a population size and a number of active neurons that do not depend on the
// embedding dimensionality D, and both are pure functions of (vector, options, seed): every
// random choice comes from lamina::sim::random_stream (purpose `user`).
//
// z-score top-k code (EMBER's design as read in reference.md 6.1; zscore_topk_code)
//   z = (e - mean(e)) / std(e) over the vector's own dimensions; with corpus statistics each
//   dimension is first standardised, e_d <- (e_d - mu_d) / sigma_d. The population has a
//   positive and (optionally) a negative pool of `groups` groups of `group_size` neurons. A fixed
//   seeded assignment maps each dimension to one group of each pool: a seeded permutation pi of
//   max(D, groups) items, dimension d -> group pi(d) mod groups (injective when D <= groups,
//   balanced, ceil(D/groups) dimensions at most per group, when D > groups). The positive pool
//   activates the groups of the k largest z, the negative pool those of the k most negative z;
//   when two chosen dimensions share a group the next dimension in order is taken, so exactly k
//   groups (k * group_size neurons) are active per pool for every D (ties: lower index first).
//   Intensity: binary (1 for every active neuron, the plain code) or graded (|z| / max |z| over
//   the active groups).
//
// Random projection + k-winners-take-all (projection_kwta_code)
//   y = P x with a fixed seeded Gaussian matrix P (neurons_per_pool x D, N(0, 1/D) entries,
//   row i drawn from stream (seed, user, 0x6B77, i)); x is the raw vector, or standardised as
//   above. The positive pool activates the k largest y_i, the negative pool (same rows) the k
//   most negative. Intensity: graded y_i / y_(1) (proportional to the projection, the default),
//   graded_above_threshold (y_i - y_(k+1)) / (y_(1) - y_(k+1)) (continuous in x: a neuron enters
//   the code at intensity 0), or binary 1. Because P is Gaussian, P Q for an orthonormal Q is
//   Gaussian too: the code is dimension-independent in distribution as well.
//
// Outputs (population_activity -> engine input): deterministic or Poisson rate spike trains,
// latency spikes, spike_generator_spec lists, per-neuron currents for current_input_spec, and the
// noise-free expected spike counts. nearest_embedding_decoder maps spike counts back to the
// closest stored embedding by cosine.
#include "lamina/bridges/embeddings.hpp"
#include "lamina/sim/devices.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace lamina::bridges {

// Per-dimension mean and standard deviation over a corpus of vectors.
struct dimension_statistics {
    std::vector<double> mean, std;
    static dimension_statistics fit(const Eigen::MatrixXd& rows);  // rows: one vector per row
    static dimension_statistics fit(const embedding_table& table);
};

// Activity of a population for one vector: the active neurons (ascending) and their intensities
// in [0, 1] (0 only on exact ties with the threshold of graded_above_threshold, or for a vector
// whose winners are not positive).
struct population_activity {
    std::size_t size = 0;
    std::vector<std::uint32_t> neurons;
    std::vector<double> intensity;

    std::size_t active() const noexcept { return neurons.size(); }
    Eigen::VectorXd dense() const;
};

// binary: every active neuron at 1; graded: proportional to the selected value (|z| or the
// projection) over the largest; graded_above_threshold: the selected value minus the first
// value not selected, over the same for the largest (projection code only).
enum class intensity_mode { binary, graded, graded_above_threshold };

class population_code {
public:
    virtual ~population_code() = default;
    virtual std::string name() const = 0;
    virtual std::size_t dimensions() const = 0;       // input dimensionality D
    virtual std::size_t population_size() const = 0;  // independent of D
    virtual std::size_t active_neurons() const = 0;   // per vector, independent of D
    virtual population_activity encode(std::span<const double> vector) const = 0;

    population_activity encode(std::span<const float> vector) const;
    population_activity encode(const Eigen::VectorXd& vector) const {
        return encode(std::span<const double>(vector.data(), static_cast<std::size_t>(vector.size())));
    }
    // One activity per row.
    std::vector<population_activity> encode_rows(const Eigen::MatrixXd& rows) const;
};

struct zscore_topk_options {
    std::size_t groups = 512;     // groups per pool
    std::size_t group_size = 4;   // neurons per group
    std::size_t k = 16;           // active groups per pool
    bool negative_pool = true;    // a second pool for the k most negative z
    intensity_mode intensity = intensity_mode::binary;
    std::optional<dimension_statistics> corpus;  // per-dimension standardisation before the per-vector one
    std::uint64_t seed = 1;
};

class zscore_topk_code final : public population_code {
public:
    // Throws sim::parameter_error for k = 0, k > groups, 2k > D (with a negative pool; k > D
    // without), zero groups or group size, or corpus statistics of the wrong size.
    zscore_topk_code(std::size_t dimensions, zscore_topk_options options = {});
    std::string name() const override { return "zscore-topk"; }
    std::size_t dimensions() const override { return dims_; }
    std::size_t population_size() const override;
    std::size_t active_neurons() const override;
    population_activity encode(std::span<const double> vector) const override;
    using population_code::encode;

    const zscore_topk_options& options() const noexcept { return opt_; }
    // The group of each dimension (the same in both pools).
    const std::vector<std::uint32_t>& assignment() const noexcept { return group_of_; }
    // The standardised vector z.
    std::vector<double> standardise(std::span<const double> vector) const;

private:
    std::size_t dims_;
    zscore_topk_options opt_;
    std::vector<std::uint32_t> group_of_;
};

struct projection_kwta_options {
    std::size_t neurons_per_pool = 2048;
    std::size_t k = 512;          // winners per pool
    bool negative_pool = true;    // a second pool for the k most negative projections
    intensity_mode intensity = intensity_mode::graded;
    bool standardise = false;     // per-vector z-score before projecting (cosine -> correlation)
    std::optional<dimension_statistics> corpus;  // per-dimension standardisation before projecting
    std::uint64_t seed = 1;
};

class projection_kwta_code final : public population_code {
public:
    projection_kwta_code(std::size_t dimensions, projection_kwta_options options = {});
    std::string name() const override { return "projection-kwta"; }
    std::size_t dimensions() const override { return dims_; }
    std::size_t population_size() const override;
    std::size_t active_neurons() const override;
    population_activity encode(std::span<const double> vector) const override;
    using population_code::encode;

    const projection_kwta_options& options() const noexcept { return opt_; }
    const Eigen::MatrixXd& projection() const noexcept { return P_; }

private:
    std::size_t dims_;
    projection_kwta_options opt_;
    Eigen::MatrixXd P_;  // neurons_per_pool x D
};

// Spike trains and currents from an activity ------------------------------------------------------

// A presentation window: neuron i fires at intensity_i * max_rate_hz during [start, start + window).
struct presentation {
    double start_ms = 0.0;
    double window_ms = 100.0;
    double max_rate_hz = 200.0;
};

// Spikes as (neuron, time) pairs sorted by time, then neuron.
struct spike_list {
    std::vector<std::uint32_t> neurons;
    std::vector<double> times_ms;
    std::size_t size() const noexcept { return neurons.size(); }
    // Spikes per neuron of a population of `population` neurons.
    std::vector<std::uint32_t> counts(std::size_t population) const;
};

// Noise-free expected spike counts, intensity * max_rate * window (dense, population size).
Eigen::VectorXd ideal_counts(const population_activity& a, const presentation& p = {});

// Deterministic rate code: neuron i fires n_i = round(intensity_i * max_rate * window) spikes at
// start + (j + 0.5) * window / n_i, j = 0..n_i-1.
spike_list rate_spikes(const population_activity& a, const presentation& p = {});
// Poisson rate code on a time grid of dt_ms: in each step a neuron fires with probability
// rate * dt, drawn from philox_block(seed, user, stream, neuron, step) (at most one spike per step).
spike_list poisson_spikes(const population_activity& a, const presentation& p, double dt_ms, std::uint64_t seed,
                          std::uint32_t stream = 0);
// Latency code: one spike per active neuron at start + (1 - intensity) * latency_window_ms.
spike_list latency_spikes(const population_activity& a, double start_ms = 0.0, double latency_window_ms = 10.0);

// One spike_generator_spec per distinct spike train (neurons with identical trains share one),
// targeting `target` at neuron index offset + i. Times must be >= dt of the run.
std::vector<sim::spike_generator_spec> to_spike_generators(const spike_list& spikes, const std::string& target,
                                                           double weight, double delay_ms = 0.1,
                                                           std::uint32_t offset = 0,
                                                           const std::string& name_prefix = "code");
// Currents (pA): active neuron i gets current(intensity_i); others none.
struct current_map {
    double threshold_pA = 0.0;  // amplitude at intensity 0
    double gain_pA = 0.0;       // added at intensity 1
    double operator()(double intensity) const { return threshold_pA + gain_pA * intensity; }
};
std::vector<double> to_currents(const population_activity& a, const current_map& map);
// current_input_spec list switching the currents on at start and off at stop. Amplitudes are
// rounded to `levels` steps between the smallest and largest so neurons share devices (levels = 0:
// one device per distinct amplitude).
std::vector<sim::current_input_spec> to_current_inputs(std::span<const std::uint32_t> neurons,
                                                       std::span<const double> amplitudes_pA,
                                                       const std::string& target, double start_ms, double stop_ms,
                                                       std::size_t levels = 0, std::uint32_t offset = 0,
                                                       const std::string& name_prefix = "code");

// Decoder ---------------------------------------------------------------------------------------

// Stores the noise-free codes of a set of embeddings and returns, for an observed population
// activity (spike counts), the stored embeddings whose code is closest by cosine.
class nearest_embedding_decoder {
public:
    nearest_embedding_decoder(const population_code& code, const Eigen::MatrixXd& embeddings);
    nearest_embedding_decoder(const population_code& code, const embedding_table& table);

    struct match {
        std::size_t row;
        double similarity;  // cosine between the counts and the stored code
    };
    // The best `n` matches, best first (ties: lower row first).
    std::vector<match> decode(std::span<const double> counts, std::size_t n = 1) const;
    std::vector<match> decode(const Eigen::VectorXd& counts, std::size_t n = 1) const {
        return decode(std::span<const double>(counts.data(), static_cast<std::size_t>(counts.size())), n);
    }
    std::size_t size() const noexcept { return codes_.size(); }

private:
    std::size_t population_;
    std::vector<population_activity> codes_;  // intensities normalised to unit length
};

} // namespace lamina::bridges
