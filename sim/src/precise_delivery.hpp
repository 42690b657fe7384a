#pragma once
// The engine side of populations with precise spike times (docs/engine.md, "Precise spike times";
// the model side is sim/include/lamina/sim/precise_model.hpp): the inputs that reach a precise
// population inside a step, kept as (arrival step, time in the step, weight) per shard and ring
// slot instead of summed into the input ring, the per-neuron ends of refractoriness, delivery of
// a window's spikes with their offsets, and one step of a precise population. Private to
// lamina::sim.
#include "network_state.hpp"

namespace lamina::sim::detail {

struct precise_population {
    // inputs[shard][arrival step % ring slots], in delivery order (canonical for each neuron).
    std::vector<std::vector<std::vector<precise_input>>> inputs;
    std::vector<std::uint64_t> order;  // per shard: the delivery order of the next input
    std::vector<double> release;        // per neuron: time in its step at which refractoriness ends
};

// Why population `pop` cannot have the precise spike times it asks for (parameter_error naming the
// population and `precise`): a model without them, per-neuron parameters, event or automatic
// update, plastic projections onto it. Nothing for a population on the grid.
void check_precise(const population& pop, const std::vector<projection>& projections);
// Checkpoints hold the state precise spike times add (save_precise_state) in one process only:
// saving or loading a distributed network (`ranks` > 1) with a precise population is refused with
// checkpoint_error naming the file and the population.
void refuse_distributed_precise_checkpoint(const std::vector<std::unique_ptr<population>>& pops, const std::string& path,
                                           int ranks);
// The state precise population q adds to its checkpoint block at step `step` (the next to run), in a form that does not depend on
// the thread count: each neuron's end of refractoriness inside its step, and the inputs in flight
// as (arrival step, neuron, time in the step, weight, port), in arrival step order and, per
// neuron, in the order the update would take them.
void save_precise_state(const engine& e, std::size_t q, std::int64_t step, state_block& b);
// Checks that block b holds precise population q's state, whole and in range, for a checkpoint of
// step `step` (checkpoint_error naming `owner` otherwise); changes nothing.
void check_precise_state(const engine& e, std::size_t q, const state_block& b, std::int64_t step, const std::string& owner);
// Loads what check_precise_state accepted into a network whose precise runtime was just set up
// (`owner` names the file and population in the errors a damaged block would still raise).
void load_precise_state(engine& e, std::size_t q, const state_block& b, const std::string& owner);
// At build, after the shard scratch buffers exist: checks every population that asks for precise
// spike times (parameter_error naming the population and `precise`) and sets up their runtime.
void setup_precise_populations(engine& e);
// Delivery of one projection's spikes of `seg` (window index range of st.spikes) into a precise
// population's input lists of shard s; returns the synaptic events.
std::uint64_t deliver_to_precise_population(engine& e, const projection& P, std::size_t s,
                                            const window_spikes::segment& seg);
// One step n of precise population q in shard s (its devices have added their input to the ring).
void advance_precise_population(engine& e, std::size_t q, std::size_t s, std::int64_t n, spike_sink& sink);

} // namespace lamina::sim::detail
