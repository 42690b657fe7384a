#pragma once
// A reference multilayer perceptron (ReLU hidden layers, linear output, softmax cross-entropy)
// trained with Eigen, for the ANN -> SNN conversion of issue 6.
//
// Training: minibatch Adam (Kingma & Ba 2015; beta1 0.9, beta2 0.999, eps 1e-8) on the mean
// cross-entropy, learning rate lr * decay^epoch, He-normal initial weights and zero biases.
// Everything random is drawn from lamina's counter RNG, so a training run is a pure function of its
// options and data (single-threaded Eigen):
//   initial weights  random_stream(seed, user, 0x4D4C50 + layer, 0).normal() * sqrt(2 / n_in)
//   epoch order      Fisher-Yates with random_stream(seed, user, 0x4D4C00, epoch)
//   augmentation     shift of each training image by (dx, dy) in [-max_shift, max_shift]^2
//                    (zero fill) from random_stream(seed, user, 0x4D4C01, epoch * N + image)
//
// Weights: weights[l] is n_(l+1) x n_l, so layer l computes y = W x + b.
// Files:
//   HDF5  /layer_<l>/weight (2-D, n_out x n_in, float32), /layer_<l>/bias (1-D), root attributes
//         "sizes" (uint64 array), "config" (the training key, see training_key()) and any extras
//   .npy  a directory holding W<l>.npy (float32, shape (n_out, n_in), C order) and b<l>.npy
#include "lamina/bridges/embeddings.hpp"  // row_matrix
#include "lamina/bridges/mnist.hpp"

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lamina::bridges {

struct mlp {
    std::vector<Eigen::MatrixXf> weights;  // n_out x n_in per layer
    std::vector<Eigen::VectorXf> biases;   // n_out per layer

    std::size_t layers() const noexcept { return weights.size(); }
    std::vector<std::size_t> sizes() const;  // n_0, n_1, ..., n_L
    std::uint64_t parameter_count() const;

    // Output of every layer for the rows of x (images x n_0): ReLU activations of the hidden
    // layers, logits of the last; outputs[l] is images x n_(l+1). top_k > 0 keeps only the top_k
    // largest activations of each hidden layer per image (ties: lower unit first), zeroing the rest
    // (the top-k sparsification of Li et al. 2023).
    std::vector<Eigen::MatrixXf> layer_outputs(const row_matrix& x, std::size_t top_k = 0) const;
    Eigen::MatrixXf logits(const row_matrix& x, std::size_t top_k = 0) const;
    // Arg max of the logits per image (ties: lower class).
    std::vector<std::uint8_t> predict(const row_matrix& x, std::size_t top_k = 0) const;
    double accuracy(const row_matrix& x, const std::vector<std::uint8_t>& labels, std::size_t top_k = 0) const;
};

// Activation sparsity of the hidden layers (the "Lazy Neuron" effect, Li et al. 2023), per hidden
// layer over a set of images.
struct activation_sparsity {
    std::vector<double> nonzero_fraction;  // mean over images of the fraction of units > 0
    std::vector<double> mean_active;       // mean number of units > 0 per image
    std::vector<double> dead_fraction;     // fraction of units that are 0 on every image
    std::vector<double> p99_active;        // 99th percentile (nearest rank) of units > 0 per image
};
activation_sparsity measure_activation_sparsity(const mlp& net, const row_matrix& x);

// Accuracy when every hidden layer keeps only its k largest activations per image.
struct top_k_point {
    std::size_t k = 0;
    double accuracy = 0.0;
    double nonzero_fraction = 0.0;  // of the first hidden layer after top-k
};
std::vector<top_k_point> top_k_accuracy(const mlp& net, const row_matrix& x, const std::vector<std::uint8_t>& labels,
                                        const std::vector<std::size_t>& ks);

// Keeps the k largest entries of each row (ties: lower column first), zeroes the others.
void keep_top_k(Eigen::MatrixXf& rows, std::size_t k);

struct mlp_train_options {
    std::vector<std::size_t> sizes{784, 500, 10};
    std::size_t epochs = 30;
    std::size_t batch = 128;
    double learning_rate = 2e-3;
    double decay = 0.9;        // learning rate multiplied by this after each epoch
    double weight_decay = 0.0; // L2 coefficient added to the gradient of the weights
    int max_shift = 1;         // augmentation: random shifts of up to this many pixels (0: none)
    std::uint64_t seed = 1;
    bool verbose = false;      // one line per epoch on stderr
};

struct mlp_train_report {
    std::vector<double> epoch_loss;      // mean training cross-entropy per epoch
    std::vector<double> epoch_seconds;
    double seconds = 0.0;
    bool loaded_from_cache = false;
    std::string cache_path;
};

// The string identifying a training run in a cache file (options, data size and a checksum of
// the training data).
std::string training_key(const mlp_train_options& options, const mnist_set& train);

mlp train_mlp(const mnist_set& train, const mlp_train_options& options = {}, mlp_train_report* report = nullptr);

// Loads the network cached at `cache_path` when its key matches this training run; otherwise
// trains and writes the cache (creating its directory). An empty path means no cache.
mlp load_or_train_mlp(const mnist_set& train, const mlp_train_options& options, const std::string& cache_path,
                      mlp_train_report* report = nullptr);

// <build tree>/cache/mnist_mlp_<sizes>_seed<seed>.h5, or the same under $LAMINA_CACHE_DIR.
std::string default_mlp_cache_path(const mlp_train_options& options);

void save_mlp_hdf5(const mlp& net, const std::string& path, const std::string& config = "");
mlp load_mlp_hdf5(const std::string& path, std::string* config = nullptr);
void save_mlp_npy(const mlp& net, const std::string& directory);
mlp load_mlp_npy(const std::string& directory);
// By path: a directory is .npy, anything else HDF5.
mlp load_mlp(const std::string& path);

} // namespace lamina::bridges
