#pragma once
// ANN -> SNN conversion of a ReLU MLP (mlp.hpp) to integrate-and-fire neurons (if_neuron.hpp) run
// on lamina's engine (reference.md 6.3).
//
// Threshold balancing (all thresholds 1 after rescaling the weights):
//   W'_l = W_l lambda_(l-1) / lambda_l,   b'_l = b_l / lambda_l   (l = 1 .. L)
//   lambda_0  = the largest input value of the normalisation images (1 for MNIST grey values)
//   lambda_l  = max       the largest activation of layer l over the normalisation images
//                         (data-based normalisation, Diehl et al. 2015)
//             = percentile  the p-th percentile (p = 99.9 by default) of the POSITIVE activations
//                         of layer l over the normalisation images (robust normalisation,
//                         Rueckauer et al. 2017), with numpy's default ('linear') definition:
//                         sorted positive values v_0 <= ... <= v_(n-1), position h = p/100 (n-1),
//                         lambda = v_floor(h) + (h - floor(h)) (v_floor(h)+1 - v_floor(h))
//             = none      1 (the ANN weights as they are)
//   Activations are ReLU outputs for hidden layers and logits for the output layer.
//
// Engine network (dt = 1 ms, one time step per ms; every projection has a delay of one step):
//   one population per layer, "h1" .. "h(L-1)" and "out" (plus "input" with spike input). Images
//   are presented in batches; each image of a batch has its own copy of the network (neurons
//   b*n .. b*n + n - 1 of every population, explicit-list projections inside each copy), so
//   presentations do not interact and all start from V = V_init.
//   input = analog  the first layer receives the constant current I_in = W'_1 x + b'_1 per step
//                   (Rueckauer's analog input; the W'_1 x products are computed once per image,
//                   outside the engine, and charged as dense MACs)
//   input = spikes  784 input IF neurons per image with I_in = x / lambda_0 fire at rate x per step
//                   (a deterministic rate code) and project to "h1" with W'_1; synapses of pixels
//                   that are 0 (they never fire) are not built
//   biases of later layers are constant currents I_in = b'_l.
// Readout after T steps (T = the whole simulated time from input onset, pipeline delay included):
//   class = arg max over output neurons of the output charge  spikes * V_th + V - V_init, i.e. the
//   total input the output neuron has integrated (its spike count, ties broken by the membrane
//   potential). One simulation per batch serves every budget: the network runs to each budget in
//   turn and is read there.
#include "lamina/bridges/embeddings.hpp"  // row_matrix
#include "lamina/bridges/mlp.hpp"

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lamina::bridges {

enum class threshold_balancing { none, max, percentile };
const char* balancing_name(threshold_balancing b) noexcept;

// numpy.percentile(v[v > 0], p) ('linear'); 0 when no entry is positive. p in [0, 100].
double positive_percentile(const Eigen::MatrixXf& values, double p);
double positive_percentile(std::vector<float> values, double p);

struct conversion_options {
    threshold_balancing balancing = threshold_balancing::percentile;
    double percentile = 99.9;
    bool reset_by_subtraction = true;
    double initial_potential = 0.5;  // V_init as a fraction of the threshold
};

struct converted_mlp {
    std::vector<Eigen::MatrixXf> weights;  // W'_l (n_out x n_in)
    std::vector<Eigen::VectorXf> biases;   // b'_l, constant currents per step
    std::vector<double> lambda;            // lambda_0 .. lambda_L
    conversion_options options;
    std::size_t layers() const noexcept { return weights.size(); }
    std::vector<std::size_t> sizes() const;
};

// normalisation: images x n_0 (e.g. training images) on which lambda is measured.
converted_mlp convert_mlp(const mlp& net, const row_matrix& normalisation, const conversion_options& options = {});

enum class snn_input { analog, spikes };

struct snn_options {
    std::vector<std::size_t> steps{10, 20, 50, 100, 200};  // readout budgets (time steps), ascending
    snn_input input = snn_input::analog;
    std::size_t batch = 250;  // images (network copies) per engine network, at most
    std::size_t max_synapses_per_batch = 8000000;  // fewer copies per network for larger networks
    int threads = 1;
    std::uint64_t seed = 1;
};

// Counts at one time budget, summed over all images.
struct snn_budget {
    std::size_t steps = 0;
    double accuracy = 0.0;
    std::vector<std::uint8_t> predictions;
    // Per population in the order (input,) h1, ..., out: spikes emitted in steps [0, T).
    std::vector<std::uint64_t> spikes;
    // Per projection (input->h1,) h1->h2, ..., h(L-1)->out: synaptic events delivered before the
    // readout (spikes of steps [0, T-1) times their fan-out), and their sum as the engine counted
    // it (network::synaptic_events()); the two always agree (checked).
    std::vector<std::uint64_t> synaptic_events;
    std::uint64_t engine_synaptic_events = 0;
    // Neuron state updates (every neuron of every population, every step).
    std::vector<std::uint64_t> neuron_updates;
    // Wall time of building the networks and simulating up to this budget (input currents and
    // readout excluded), summed over batches.
    double seconds = 0.0;
};

// ANN activation vs SNN rate over all (image, neuron) pairs of a layer at the largest budget.
struct layer_correlation {
    std::string layer;
    std::size_t neurons = 0;
    double lambda = 0.0;
    double mean_activation = 0.0;  // of a_l / lambda_l (the rate the SNN should reach)
    double mean_rate = 0.0;        // spikes per neuron and step
    double pearson = 0.0;          // max(activation, 0) (ReLU output; clipped logits for the output layer) vs rate
    double max_abs_error = 0.0;    // max |a_l / lambda_l - rate|, activations clipped to [0, 1]
};

struct snn_result {
    std::size_t images = 0;
    std::vector<std::size_t> sizes;          // n_0 .. n_L
    std::vector<std::string> populations;    // (input,) h1, ..., out
    snn_input input = snn_input::analog;
    std::vector<snn_budget> budgets;
    std::vector<layer_correlation> correlations;  // hidden layers and output, at the largest budget
    double output_charge_pearson = 0.0;      // logits / lambda_L vs output charge / T
    std::uint64_t analog_macs = 0;           // W'_1 x products computed outside the engine
    double build_seconds = 0.0;
    double simulate_seconds = 0.0;
    double wall_seconds = 0.0;
};

snn_result run_snn(const converted_mlp& net, const row_matrix& images, const std::vector<std::uint8_t>& labels,
                   const snn_options& options = {});

} // namespace lamina::bridges
