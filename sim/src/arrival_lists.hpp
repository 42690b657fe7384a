#pragma once
// Delivery per arrival step for populations whose static input has per-synapse delays (the
// Potjans-Diesmann microcircuit: delays 0.1-7.5 ms drawn per synapse). Scattering a spike's
// synapses straight into the input ring writes d_max slots x neurons x ports doubles at random
// (95 MB for the microcircuit), a cache miss per synaptic event. Here delivery instead appends each
// event (input cell, weight) to the list of its arrival step (sequential writes to about d_max
// list tails), and the update adds step n's list into the input slot of n just before the
// neurons read it: the writes then go to one slot (1.2 MB for the microcircuit), which stays in
// cache, and the slot is hot when the neurons advance.
//
// Bitwise the same sums as delivery straight into the ring. An input cell (arrival step, port,
// neuron) is a sum of doubles starting from 0, so its value depends only on the order of its
// terms. Straight delivery adds them when the window after their emission starts, spikes in
// (emission step, source population, projection, spike, row position) order. The lists receive
// the same terms at the same moment in the same order (appending preserves it) and the update
// adds a list front to back, so every cell gets the same terms in the same order; nothing else
// writes the cell in between: the devices and the plastic arrivals of step n add to the slot
// during step n, after it in both schemes. Three conditions keep it so, and decide which
// populations use lists (setup_arrival_lists):
// - every static projection into the population goes through its lists (terms of two paths would
//   interleave differently), so a population has lists when any of them has varying delays;
// - no spike generator targets it (a generator adds to slot n + delay during step n, between
//   terms that straight delivery has already added and the lists have not); a generator added
//   later retires the lists (retire_arrival_lists);
// - it is clock-driven (requested update `clock`): event populations have their own delivery.
// A weight read when a term is appended is the weight straight delivery would have read at the
// same moment, so set_weights between runs changes the same terms in both schemes.
//
// Checkpoints store complete rings: complete_rings adds every list into its slot first, which
// gives each cell the prefix of its terms in their order; later terms follow in order, so a run
// that continues, and one resumed from the file, give the same sums.
#include "network_state.hpp"

namespace lamina::sim::detail {

// At build (after the devices): which populations deliver through lists, sized per shard.
void setup_arrival_lists(engine& e);
// Appends projection P's events of segment `seg` to shard s's lists of its target; returns the
// events.
std::uint64_t list_arrivals(engine& e, const projection& P, std::size_t s, const window_spikes::segment& seg);
// Before shard s lists a window's spikes: requests their row offsets and first synapses.
void prefetch_arrival_rows(engine& e, std::size_t s);
// Adds the events arriving in step n to population q's input slot of n (shard s's neurons).
void drain_arrivals(engine& e, std::size_t q, std::size_t s, std::int64_t n);
// Shard s: populations that a spike generator now targets deliver straight from here on, after
// their lists are added to the rings.
void retire_arrival_lists(engine& e, std::size_t s);
// Adds every list to its ring slot and empties it (checkpoints); the lists stay active.
void complete_rings(engine& e);
// Empties every list (a loaded checkpoint brings complete rings).
void clear_arrival_lists(network_state& st);

} // namespace lamina::sim::detail
