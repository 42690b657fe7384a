#pragma once
// The dynamic state of a network in checkpoint form (canonical order, checkpoint.hpp), collected
// from one process or from all processes of a distributed run. Private to lamina::sim.
//
// A distributed run's processes each hold their own part: the state of the neurons they own, the
// synapses onto those neurons (and their plasticity variables), each source's presynaptic traces
// where it has synapses. Every process saves its part in the canonical order of its own synapses
// and neurons; rank 0 gathers the parts and merges them into the canonical whole, which is what
// one process would have saved (ranks own ascending neuron blocks, so a source's synapses in
// canonical order are rank 0's, then rank 1's, ...). A checkpoint therefore does not record the
// layout that wrote it, and restores on any number of processes and threads.
#include "network_state.hpp"

#include "lamina/sim/state_block.hpp"

namespace lamina::sim::detail {

struct checkpoint_blocks {
    std::vector<state_block> populations, projections;  // by index
    state_block recorders, exchange;
};

// The complete state at rank 0 (collective in a distributed run: every process calls it, and
// only rank 0's result holds anything). Deferred plasticity must have been flushed.
checkpoint_blocks collect_checkpoint(engine& e, const std::vector<std::uint64_t>& spike_counts,
                                     std::uint64_t synaptic_events);

// Where this process's synapses of projection p sit in the canonical order of the whole network
// (collective in a distributed run; canonical_order in one process).
synapse_order network_canonical_order(engine& e, const projection& p);

// A list of blocks as bytes and back (what the processes send to rank 0).
std::vector<char> pack_blocks(const std::vector<state_block>& blocks);
std::vector<state_block> unpack_blocks(std::span<const char> bytes);

} // namespace lamina::sim::detail
