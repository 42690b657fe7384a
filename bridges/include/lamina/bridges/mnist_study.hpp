#pragma once
// The MNIST study of issue 6 in one call: train (or load) the reference MLP, measure its activation
// sparsity and top-k accuracy, convert it to an SNN and run it on lamina's engine (analog and
// rate-coded spike input, several conversion variants), run delta inference, and put dense,
// zero-skipping, spiking and delta inference side by side in efficiency ledgers. Used by
// bench/bridges/mnist_efficiency.cpp (and meant for `lamina bridge mnist`).
#include "lamina/bridges/ann_to_snn.hpp"
#include "lamina/bridges/ledger.hpp"
#include "lamina/bridges/mlp.hpp"
#include "lamina/bridges/mnist.hpp"

#include <string>
#include <vector>

namespace lamina::bridges {

struct conversion_variant {
    std::string name;
    conversion_options options;
};

struct mnist_study_options {
    std::string digits_dir;            // empty: default_mnist_dir()
    mnist_split_options split;
    mlp_train_options training;
    std::string weights;               // a trained MLP to load (HDF5 file or .npy directory) instead of training
    std::string cache;                 // cache file; empty: default_mlp_cache_path(training)
    bool use_cache = true;
    std::size_t test_images = 0;       // 0: the whole test split
    std::size_t normalisation_images = 0;  // training images for threshold balancing; 0: all
    conversion_options conversion;     // the main conversion
    std::vector<std::size_t> steps{2, 3, 5, 10, 20, 50, 100, 200};
    bool spike_input = true;           // also run the rate-coded input variant
    std::size_t spike_batch = 100;
    // Analog-input runs of other conversion settings (accuracy vs time steps).
    std::vector<conversion_variant> variants{
        {"max, subtract, V0=0.5", {threshold_balancing::max, 99.9, true, 0.5}},
        {"p99.9, subtract, V0=0", {threshold_balancing::percentile, 99.9, true, 0.0}},
        {"p99.9, reset to 0, V0=0", {threshold_balancing::percentile, 99.9, false, 0.0}},
        {"none, subtract, V0=0.5", {threshold_balancing::none, 99.9, true, 0.5}},
    };
    std::vector<double> delta_thresholds{0.0, 0.05, 0.1, 0.2};
    std::vector<std::size_t> top_k{5, 10, 20, 50, 100, 200};
    std::vector<energy_table> energy{horowitz_45nm_fp32_cache(), horowitz_45nm_fp32_dram()};
    int threads = 1;
    bool verbose = false;  // progress on stderr
};

struct delta_run {
    double threshold = 0.0;
    double accuracy = 0.0;
    double max_logit_error = 0.0;
    double seconds = 0.0;
    ledger counts;
};

struct variant_run {
    std::string name;
    conversion_options options;
    std::vector<double> lambda;
    std::vector<double> accuracy;  // per budget
    std::vector<double> spikes_per_image;  // per budget, all populations
};

struct mnist_study_result {
    mnist_study_options options;
    std::size_t train_images = 0, test_images = 0;
    std::vector<std::size_t> sizes;
    std::uint64_t parameters = 0;
    mlp_train_report training;
    std::string weights_source;  // "trained", "cache: <path>" or "file: <path>"
    double train_accuracy = 0.0, test_accuracy = 0.0;
    double dense_batch_seconds = 0.0;   // Eigen, the whole test set as one batch
    double dense_single_seconds = 0.0;  // Eigen, one image at a time
    activation_sparsity sparsity_test, sparsity_train;
    std::vector<top_k_point> top_k;
    converted_mlp converted;
    snn_result snn_analog;
    bool has_spike_input = false;
    snn_result snn_spikes;
    std::vector<variant_run> variants;
    std::vector<delta_run> delta;
    std::vector<ledger> ledgers;  // dense, zero skipping, SNN analog per budget, SNN spikes per budget, delta
    double seconds = 0.0;
};

mnist_study_result run_mnist_study(const mnist_study_options& options = {});

// One JSON object with everything above.
std::string to_json(const mnist_study_result& r);
// The markdown tables of docs/bridges.md (accuracy vs time steps, correlations, efficiency,
// sparsity).
std::string to_markdown(const mnist_study_result& r);

} // namespace lamina::bridges
