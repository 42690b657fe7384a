#pragma once
// How synaptic plasticity plugs into the engine.
//
// A rule (plasticity/ folder) is a stateless type with parameters, per-neuron traces and hooks
// called by the engine, which owns every loop (GeNN's hook set; unlike Auryn, no rule copies the
// spike loops). plastic_rule<R> adapts a rule to the engine: it stores the rule's per-synapse
// variables beside the weight (one array per variable, in the same compressed rows), a reverse
// index from each target to its incoming synapses (integer offsets, so it can be checkpointed),
// and lazily decaying exponential traces per source and per target neuron.
//
// Timing (all on the grid):
// - The delay is axonal: a presynaptic spike stamped t reaches its synapses at t + d, the time its
//   weight takes effect. The engine holds plastic spikes until their arrival step and only then
//   calls on_pre and transmits the resulting weight (NEST's stdp_synapse also sends the updated
//   weight).
// - Postsynaptic spikes reach the synapse at once (no dendritic delay); on_post runs in the step
//   the neuron fires, after the arrivals of that step. A pre arrival and a post spike in the same
//   step therefore count as pre-before-post (dt = 0, causal).
// - Traces seen by a hook exclude the spike being processed (Pfister & Gerstner's t - epsilon):
//   on_pre sees pre traces before this arrival's increment, on_post sees post traces before this
//   spike's increment.
// Everything a shard touches belongs to its own target neurons, so plasticity needs no atomics and
// weights come out bitwise identical for any thread count.
#include "lamina/sim/parameters.hpp"
#include "lamina/sim/state_block.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace lamina::sim {

struct projection;

// Per-neuron exponential trace: x(t) = x(t_last) exp(-(t - t_last)/tau). All-to-all pairing adds
// 1 per spike; nearest-spike pairing sets it to 1.
struct trace_spec {
    double tau_ms;
    bool nearest;
};

// The engine's view of one plastic projection (one virtual call per event batch, never per
// synapse).
class plasticity {
public:
    virtual ~plasticity() = default;
    virtual std::string_view rule_name() const = 0;
    // A new instance with this one's parameters and no state: a projection specification holds a
    // rule as a prototype, and the engine makes the projection's own instance from it at build.
    virtual std::unique_ptr<plasticity> clone() const = 0;
    // Validates parameters (parameter_error naming `object`) and computes step constants.
    virtual void lower(double dt, const std::string& object) = 0;
    // Called once the projection's rows exist: allocates synapse variables, traces and the
    // reverse index for `shards` shards.
    virtual void bind(projection& p, std::size_t source_size, std::size_t target_size,
                      const std::vector<std::size_t>& target_bounds) = 0;
    // Arrivals of step `step` in shard s, in canonical order: updates weights (on_pre) and adds
    // the transmitted weights to `input` (the target population's input slot of this step).
    virtual void on_arrivals(std::size_t shard, std::int64_t step, std::span<const std::uint32_t> sources,
                             double* input) = 0;
    // Spikes of target neurons (shard s, step `step`): on_post on their incoming synapses.
    virtual void on_post_spikes(std::size_t shard, std::int64_t step, std::span<const std::uint32_t> targets) = 0;
    // Rules that defer postsynaptic updates (plastic_rule without continuous dynamics) bring their
    // weights up to date here; the engine calls it at the end of every run, before weights are
    // sampled, and once per second of model time to bound the spike history it keeps.
    virtual void flush(std::size_t /*shard*/, std::int64_t /*step*/) {}
    virtual bool deferred_post() const { return false; }
    // Rules with continuous synapse dynamics (eligibility, scaling) advance here every
    // dynamics_interval() steps; others return 0 and are never called.
    virtual std::int64_t dynamics_interval() const { return 0; }
    virtual void advance_dynamics(std::size_t /*shard*/, std::int64_t /*step*/) {}
    // A neuromodulatory signal (e.g. dopamine for reward-modulated STDP) delivered at `step`.
    virtual void modulate(std::int64_t /*step*/, double /*amount*/) {}
    // Bytes of per-synapse and per-neuron plasticity state (excluding weights and targets).
    virtual std::size_t memory_bytes() const = 0;
    virtual void set_parameter(std::string_view name, double value, const std::string& object) = 0;
    // Parameter values by name (rule and short-term model), for checkpoints and inspection.
    virtual std::vector<std::pair<std::string, double>> parameter_values() const = 0;

    // Switching plasticity back on at `step` after a pause: continuous dynamics restart from
    // `step` rather than integrating over the pause.
    virtual void resume_dynamics(std::int64_t /*step*/) {}
    // Checkpoints. The state in canonical form (synapse variables by canonical synapse order,
    // traces by neuron); deferred rules must have been flushed at the checkpoint's step first.
    virtual void save_state(state_block& out, const synapse_order& order) const = 0;
    // Checks that a saved state has every array this instance needs, at its size (checkpoint_error
    // naming `owner` otherwise), without changing anything.
    virtual void check_state(const state_block& in, const synapse_order& order, const std::string& owner) const = 0;
    // Restores a saved state into a bound instance (any shard layout); `step` is the checkpoint's.
    virtual void load_state(const state_block& in, const synapse_order& order, std::int64_t step,
                            const std::string& owner) = 0;
    // How saved array `name` is laid out, so that the parts saved by the processes of a
    // distributed run (each over its own synapses and targets) merge into the canonical whole:
    // by canonical synapse, by source (the same value wherever the source has synapses), by
    // target (each process's own targets), or one value for the projection.
    enum class layout { per_synapse, per_source, per_target, shared };
    virtual layout layout_of(std::string_view name) const = 0;
};

} // namespace lamina::sim
