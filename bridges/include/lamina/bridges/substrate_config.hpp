#pragma once
// The parameters of the agent substrate (substrate.hpp): layer sizes, wiring, learning rules,
// drives and the idle replay/trigger detector. A model file's [substrate] section
// (compose/substrate_file.hpp) fills it; docs/substrate.md gives the reasons for each default.
//
// Units: times ms, rates Hz, weights mV (every neuron is lif_psc_delta, whose inputs make the
// membrane potential jump by the weight), currents pA.
#include "lamina/models/neuron/lif_psc_delta.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lamina::bridges {

// One layer of excitatory assemblies, each with its own inhibitory pool. The pool of an assembly
// is driven by that assembly only and inhibits the excitatory neurons of the whole layer, so an
// active assembly suppresses the others (soft winner-take-all).
struct substrate_layer_config {
    std::size_t assemblies = 0;
    std::size_t excitatory = 0;          // excitatory neurons per assembly
    std::size_t inhibitory = 0;          // inhibitory neurons per assembly
    double excitation_to_pool_mV = 4.0;  // assembly E -> own pool, every pair
    double inhibition_mV = -0.5;         // pool -> layer E, initial weight (iSTDP adapts it)
    double inhibition_probability = 0.1; // pool -> layer E connection probability
    double recurrent_mV = 0.0;           // within-assembly E -> E, static (0: none)
    double recurrent_probability = 0.0;

    std::size_t excitatory_neurons() const noexcept { return assemblies * excitatory; }
    std::size_t inhibitory_neurons() const noexcept { return assemblies * inhibitory; }
    std::size_t neurons() const noexcept { return excitatory_neurons() + inhibitory_neurons(); }
};

// Reward-modulated STDP (plasticity/reward_stdp.hpp) on every learning excitatory projection: the
// tonic dopamine `baseline` makes it plain Hebbian STDP without reward; reward(value) adds
// value * reward_gain to the dopamine of every such projection.
struct substrate_learning {
    double tau_plus = 20.0, tau_minus = 20.0;  // ms
    double A_plus = 2.0, A_minus = 1.2;        // eligibility per pair (x W_max / 10 for feed-forward)
    double tau_c = 1000.0, tau_d = 200.0;      // ms
    double baseline = 0.0002;                  // 1/ms
    double reward_gain = 0.01;                 // dopamine (1/ms) per unit of reward
    double lateral_W_max = 5.0;                // mV, concept lateral weights
    double forward_W_max = 1.0;                // mV, feed-forward and feedback weights
    // Inhibitory STDP of Vogels et al. (2011) on pool -> E: target rate and learning rate.
    double istdp_rho0 = 5.0;                   // Hz
    double istdp_eta = 0.01;                   // mV
    double istdp_W_max = -8.0;                 // mV (negative: inhibitory)
    // Interval of reward STDP's dynamics update (re-referencing the eligibility, weights of silent
    // synapses made current). The weights do not depend on it beyond float rounding while the
    // dopamine is non-negative (plasticity/reward_stdp.hpp); it only sets how often every plastic
    // synapse is visited without an event, which dominates the cost of a large idle substrate.
    double update_interval_ms = 10000.0;
};

struct substrate_config {
    // Sensory layer: the population code of an embedding.
    std::size_t dimensions = 100;              // embedding dimensionality
    std::string code = "sparse";               // "sparse" (projection k-WTA, <= 5 % active) or "zscore" (EMBER)
    std::size_t sensory_per_pool = 32560;      // sparse: neurons per pool (two pools)
    double sensory_active_fraction = 0.05;     // sparse: fraction of each pool active per item
    std::size_t zscore_groups = 8140;          // zscore: groups per pool
    std::size_t zscore_group_size = 4;         // zscore: neurons per group
    std::size_t zscore_k = 16;                 // zscore: active groups per pool
    double sensory_rate_hz = 60.0;             // firing rate of a neuron at intensity 1

    // Pool -> layer inhibition at probability 0.01 and -5 mV: the same mean inhibition per
    // excitatory neuron (123 synapses from 12,288 pool neurons in the concept layer) as 0.1 at
    // -0.5 mV, with a tenth of the synapses (13.7 M instead of 137 M at the default size).
    substrate_layer_config concept_layer{512, 96, 24, 4.0, -5.0, 0.01};
    substrate_layer_config category{256, 192, 48, 4.0, -5.0, 0.01};
    substrate_layer_config meta{128, 200, 50, 4.0, -5.0, 0.01};

    // Wiring (every count is per target neuron).
    std::size_t sensory_to_concept_indegree = 32;
    double sensory_to_concept_mV = 0.1;        // initial weight
    std::size_t lateral_indegree = 1024;       // concept E -> concept E, learned from zero
    std::size_t forward_indegree = 32;         // concept -> category, category -> meta
    double forward_mV = 0.1;
    std::size_t feedback_indegree = 16;        // category -> concept, meta -> category
    double feedback_mV = 0.05;
    double delay_ms = 1.0;

    substrate_learning learning;

    // Drives.
    models::lif_psc_delta::parameters neuron{20.0, 250.0, -70.0, -55.0, -70.0, 2.0, 0.0};
    double label_rate_hz = 80.0;               // firing rate of a label's assembly while observed
    double background_rate_hz = 0.0;           // Poisson input per excitatory neuron
    double background_mV = 0.5;

    // Idle: spontaneous replay of labelled assemblies and the trigger detector.
    double replay_rate_hz = 0.05;              // per labelled assembly
    double replay_ms = 20.0;                   // length of the ignition pulse
    double replay_window_ms = 40.0;            // spikes counted from the pulse's start
    double replay_rate_at_pulse_hz = 80.0;     // firing rate of the replayed assembly during the pulse
    double trigger_fraction = 0.3;             // an assembly "fires" when this fraction of its E neurons spiked
    bool learn_while_idle = true;

    double dt_ms = 1.0;
    std::uint64_t seed = 1;

    std::size_t sensory_neurons() const;
    std::size_t neurons() const { return sensory_neurons() + concept_layer.neurons() + category.neurons() + meta.neurons(); }
    // A configuration small enough for unit tests (a few thousand neurons).
    static substrate_config small();
    // Every refusal, each naming the key and what is allowed ("concept.excitatory: must be >= 1").
    std::vector<std::string> problems() const;
    // Throws sim::parameter_error (object "substrate") with the first problem.
    void validate() const;
};

} // namespace lamina::bridges
