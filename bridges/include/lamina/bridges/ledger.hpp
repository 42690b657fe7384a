#pragma once
// Efficiency ledger: operations and bytes counted from actual runs, per layer, and their energy
// from a swappable per-operation table (reference.md 6.5).
//
// A ledger row is one weight layer l (n_(l-1) -> n_l) summed over all images of a run:
//   dense_macs      n_(l-1) n_l per image: what dense inference does
//   macs            multiply-accumulates performed
//   accumulates     synaptic accumulates (SNN: one per delivered spike and target synapse, i.e.
//                   spikes x fan-out, the engine's synaptic event count)
//   skipped_macs    dense MACs a sparse method did not perform (zero skipping, delta inference)
//   adds            other additions: bias adds (dense), neuron state updates (SNN: one per neuron
//                   and time step, V += I), delta tests (delta: one subtraction per input and frame)
//   input_events    non-zero inputs (zero skipping), spikes (SNN) or deltas (delta) arriving
//   output_spikes   spikes emitted by the layer's neurons (SNN)
//   weight_bytes    bytes of weights and biases read, 4 per float32 value, batch size 1 (every
//                   inference reads what it uses: dense all n_(l-1) n_l + n_l values, sparse
//                   methods one weight per MAC or accumulate plus the n_l biases once per image)
//
// Counting rules of the builders:
//   dense      macs = dense_macs; adds = n_l per image (bias)
//   zero-skip  macs = (non-zero inputs) x n_l, counted from the activations of the run
//   SNN        first layer with analog input: macs = dense_macs once per image (the input is
//              constant over the presentation, so W x + b is computed once); layers fed by spikes:
//              accumulates = delivered synaptic events; adds = neurons x time steps (the first
//              layer with spike input also pays the updates of the input neurons that rate-code
//              the pixels)
//   delta      macs = performed MACs of delta_inference, skipped = dense - performed,
//              adds = frames x n_(l-1) (delta tests)
// Energy: E_compute = macs E_mac + accumulates E_ac + adds E_add;
//         E_memory  = weight_bytes / 4 x E_load32;  "with memory" = E_compute + E_memory.
// State reads/writes of neurons and activations are not charged (as in the SNN literature).
#include "lamina/bridges/ann_to_snn.hpp"
#include "lamina/bridges/encoders.hpp"
#include "lamina/bridges/mlp.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lamina::bridges {

// Energy per operation in pJ.
struct energy_table {
    std::string name;
    double mac_pJ = 0.0;         // one multiply-accumulate
    double accumulate_pJ = 0.0;  // one synaptic accumulate
    double add_pJ = 0.0;         // one other addition
    double load32_pJ = 0.0;      // one 32-bit memory read
    std::string source;
};

// Horowitz (ISSCC 2014), 45 nm, 0.9 V, 32-bit float: MAC 4.6 pJ (mult 3.7 + add 0.9), accumulate
// and add 0.9 pJ; loads from an 8 kB cache, 5 pJ per 32-bit word (half the 10 pJ of a 64-bit access).
energy_table horowitz_45nm_fp32_cache();
// The same operations with weights streamed from DRAM: 1.3 nJ per 64-bit access (the low end of
// Horowitz's 1.3-2.6 nJ), 650 pJ per 32-bit word.
energy_table horowitz_45nm_fp32_dram();
// 32-bit integer arithmetic (mult 3.1 + add 0.1 pJ; add 0.1 pJ), 8 kB cache loads.
energy_table horowitz_45nm_int32_cache();
// "name=...,mac=4.6,ac=0.9,add=0.9,load32=5" (pJ; missing keys keep the fp32-cache values) or one
// of the preset names fp32-cache, fp32-dram, int32-cache. Throws parameter_error on bad input.
energy_table parse_energy_table(std::string_view spec);

struct layer_ops {
    std::string name;  // "784->500"
    std::uint64_t dense_macs = 0;
    std::uint64_t macs = 0;
    std::uint64_t accumulates = 0;
    std::uint64_t skipped_macs = 0;
    std::uint64_t adds = 0;
    std::uint64_t input_events = 0;
    std::uint64_t output_spikes = 0;
    std::uint64_t weight_bytes = 0;

    layer_ops& operator+=(const layer_ops& o);
    double compute_pJ(const energy_table& t) const;
    double memory_pJ(const energy_table& t) const;
};

struct ledger {
    std::string mode;     // "dense ANN", "SNN T=100", ...
    std::size_t images = 0;
    double accuracy = 0.0;
    double wall_seconds = 0.0;
    std::vector<layer_ops> layers;

    layer_ops total() const;
    double energy_pJ(const energy_table& t, bool with_memory) const;
    // Per image (0 when there are no images).
    double energy_per_image_pJ(const energy_table& t, bool with_memory) const;
};

// Dense inference of a network with these layer sizes on `images` images.
ledger dense_ledger(const std::vector<std::size_t>& sizes, std::size_t images);
// Inference that skips zero inputs (non-zero pixels and ReLU outputs), counted from the activations.
ledger zero_skipping_ledger(const mlp& net, const row_matrix& x);
// The SNN run at budget index k (of snn_result::budgets).
ledger snn_ledger(const snn_result& run, std::size_t budget);
// Delta inference, one delta_inference_result per layer in order.
ledger delta_ledger(const std::vector<delta_inference_result>& layers);

// Delta inference of a whole MLP over a sequence of inputs (frames x n_0): each layer runs
// delta_inference() (encoders.hpp) on the ReLU outputs of the previous delta layer.
struct mlp_delta_result {
    std::vector<delta_inference_result> layers;
    Eigen::MatrixXd logits;  // frames x n_L
    std::vector<std::uint8_t> predictions;
    double max_logit_error = 0.0;  // max |logits - dense logits|
};
mlp_delta_result mlp_delta_inference(const mlp& net, const row_matrix& frames, double threshold,
                                     delta_rule rule = delta_rule::delta);

} // namespace lamina::bridges
