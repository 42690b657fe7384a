#pragma once
// The agent substrate: a persistent spiking memory that an agent (an LLM or any program) feeds
// with observations, rewards, and listens to while idle. docs/substrate.md has the design, the
// reasons and the measured behaviour; substrate_config.hpp the parameters.
//
// Network (every neuron lif_psc_delta; populations "sensory", and "<layer>_E", "<layer>_I" for
// layer = concept_layer, category, meta):
//   sensory    the population code of the observed embedding (sparse projection k-WTA, or EMBER's
//              z-score top-k), each active neuron driven by the constant current that makes it fire
//              at intensity x sensory_rate_hz for the observation
//   concept    one assembly per label (label_memory), driven while its label is observed; lateral
//              E -> E synapses from zero weight learn which labels occur together
//   category, meta   assemblies fed forward from the layer below, feeding back to it
//   each layer: every assembly drives its own inhibitory pool, every pool inhibits the layer's
//              excitatory neurons (soft winner-take-all); the pool -> E synapses follow inhibitory
//              STDP (Vogels et al. 2011), which holds the excitatory rates near a target
//   learning:  reward-modulated STDP (Izhikevich 2007) on every excitatory projection between and
//              within layers; the tonic dopamine makes it Hebbian STDP, reward(value) adds dopamine
// Idle: labelled concept assemblies are re-ignited at random times (a Poisson process of
// replay_rate_hz per label, drawn from the substrate's counter-based stream); when an ignition
// spreads through learned lateral synapses to other labelled assemblies (trigger_fraction of their
// neurons spike in the replay window) that is a trigger event naming the labels.
//
// Determinism: the network, the replay times and the label memory are pure functions of the
// configuration, the seed and the sequence of calls; save() writes an exact checkpoint (the
// network's state plus the label memory and replay state in its description), and a substrate
// restored from it continues bitwise like the original.
#include "lamina/bridges/label_memory.hpp"
#include "lamina/bridges/population_code.hpp"
#include "lamina/bridges/substrate_config.hpp"
#include "lamina/bridges/text_embedding.hpp"
#include "lamina/sim/network.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace lamina::bridges {

struct trigger_event {
    double time_ms = 0.0;               // start of the replay that fired it
    std::string layer = "concept";
    double strength = 0.0;              // largest fraction of a reached assembly's neurons that spiked
    std::vector<std::string> labels;    // the replayed label first, then those it reached (strongest first)
    std::vector<double> strengths;      // per label: fraction of its assembly's neurons that spiked
};

struct association {
    std::string label;
    double strength = 0.0;  // mV: summed learned weight from the cue onto an average neuron of the label's assembly
};

struct substrate_stats {
    double time_ms = 0.0;
    std::size_t neurons = 0;
    std::uint64_t synapses = 0;
    std::size_t labels = 0;
    std::uint64_t observations = 0, rewards = 0, replays = 0, triggers = 0;
    struct layer_rate {
        std::string population;
        double rate_hz = 0.0;  // since the start
    };
    std::vector<layer_rate> rates;
    double mean_lateral_mV = 0.0, max_lateral_mV = 0.0;
    std::size_t memory_bytes = 0;  // connectivity, state and plasticity of the network
    bool learning = true;
};

class substrate {
public:
    // `description`: the model-file text the configuration came from (kept in checkpoints so a
    // saved substrate can be rebuilt without the file). Throws sim::parameter_error for an
    // impossible configuration before building anything.
    explicit substrate(substrate_config config, std::string description = "[substrate]\n");
    ~substrate();

    const substrate_config& config() const noexcept { return cfg_; }
    const label_memory& labels() const noexcept { return labels_; }
    sim::network& network() noexcept { return *net_; }
    const population_code& code() const noexcept { return *code_; }
    double time_ms() const noexcept { return net_->current_time_ms(); }

    // Text is embedded by the mean of word vectors (text_embedding.hpp) of this table.
    void set_text_embedder(std::shared_ptr<const text_embedder> e) { embedder_ = std::move(e); }
    bool has_text_embedder() const noexcept { return embedder_ != nullptr; }

    // Presents an item for duration_ms: the embedding (may be empty: labels only) drives the
    // sensory layer, each label's concept assembly is driven. Labels are assigned assemblies on
    // first use. Throws sim::error (nothing changed) for a wrong dimensionality, a non-finite
    // value, a duration outside (0, 1 h], or more new labels than free assemblies.
    void observe(std::span<const double> embedding, const std::vector<std::string>& labels, double duration_ms);
    void observe_text(std::string_view text, const std::vector<std::string>& labels, double duration_ms);
    // Dopamine value * reward_gain to every reward-modulated projection, now (finite value).
    void reward(double value);
    // Runs without input for duration_ms (in (0, 24 h]) and returns the trigger events; each is also
    // handed to the callback, if one is set.
    std::vector<trigger_event> idle(double duration_ms);
    void set_trigger_callback(std::function<void(const trigger_event&)> cb) { callback_ = std::move(cb); }

    // The k labels most strongly associated with a label (learned lateral weights from its
    // assembly), strongest first; an unknown label throws sim::error.
    std::vector<association> associations(const std::string& label, std::size_t k) const;
    // The k labels whose assemblies an embedding drives most through the learned sensory ->
    // concept weights.
    std::vector<association> associations(std::span<const double> embedding, std::size_t k) const;
    std::vector<association> associations_text(std::string_view text, std::size_t k) const;

    // Learning on or off for every plastic projection (off: weights frozen).
    void set_learning(bool on);
    bool learning() const noexcept { return learning_; }

    substrate_stats stats() const;

    // Exact checkpoint of the whole substrate, written atomically.
    void save(const std::string& path);
    // Loads a checkpoint written by a substrate of the same configuration; throws
    // sim::checkpoint_error / sim::error and leaves this substrate unchanged when it does not fit.
    void load(const std::string& path);
    // The model-file part of a saved substrate's description (what to rebuild it from).
    static std::string saved_model_text(const std::string& path);

private:
    void build();
    void drive_labels(const std::vector<std::size_t>& assemblies, double rate_hz, bool on);
    void run_ms(double ms);
    std::string state_text() const;
    void restore_state_text(const std::string& description);
    void draw_next_replay(double from_ms);

    substrate_config cfg_;
    std::string model_text_;
    std::unique_ptr<sim::network> net_;
    std::unique_ptr<population_code> code_;
    std::shared_ptr<const text_embedder> embedder_;
    label_memory labels_;
    std::function<void(const trigger_event&)> callback_;

    // Indices into the network.
    std::size_t sensory_pop_ = 0, concept_pop_ = 0;
    std::size_t sensory_currents_ = 0, concept_currents_ = 0, concept_recorder_ = 0;
    std::size_t lateral_ = 0, sensory_to_concept_ = 0;
    std::vector<std::size_t> learning_projections_, reward_projections_;
    std::vector<double> label_gain_;  // per concept E neuron: drive heterogeneity in [0.75, 1.25]
    // Synapse endpoints of the lateral and sensory projections in canonical order (fixed at build).
    std::vector<std::uint32_t> lateral_source_, lateral_target_, sensory_source_, sensory_target_;

    bool learning_ = true;
    std::uint64_t observations_ = 0, rewards_ = 0, replays_ = 0, triggers_ = 0;
    double next_replay_ms_ = -1.0;  // < 0: not drawn yet
};

} // namespace lamina::bridges
