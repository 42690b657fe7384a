#pragma once
// The reference networks of lamina's benchmarks and validation (docs: ../shared workloads W1-W3):
//   W1 COBA: Vogels & Abbott 2005 as benchmark 1 of Brette et al. 2007 (conductance LIF),
//   W2 CUBA: benchmark 2 of Brette et al. 2007 (current LIF, exact integration),
//   W3: Brunel 2000 model A, asynchronous irregular state (delta LIF, fixed in-degree, Poisson drive).
// A scale K multiplies the neuron counts; W1/W2 divide the connection probability by K (constant
// in-degree), W3 keeps its fixed in-degree.
#include "lamina/sim/network.hpp"

#include <memory>

namespace lamina::models {

struct reference_network_options {
    double scale = 1.0;
    bool record_spikes = true;
    // Makes the E->E projection plastic with this rule (W3: the plastic-cost benchmark).
    std::shared_ptr<sim::plasticity> ee_plasticity = nullptr;
};

// Populations "E" and "I".
void build_w1_coba(sim::network& net, const reference_network_options& opt = {});
void build_w2_cuba(sim::network& net, const reference_network_options& opt = {});
// g: relative inhibition, eta: external drive relative to threshold, V_reset in mV.
void build_w3_brunel(sim::network& net, const reference_network_options& opt = {}, double g = 5.0, double eta = 2.0,
                     double V_reset = 10.0);

} // namespace lamina::models
