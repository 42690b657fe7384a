#pragma once
// Connection rule fixed_total_number (NEST's rule of that name): exactly `total` synapses, each
// pairing a source and a target drawn uniformly among the allowed pairs.
//
// NEST draws the number of synapses of each virtual process by a multinomial split and then
// (source, target) pairs uniformly within it; lamina must draw the same distribution without a
// global pass over all synapses, so that every shard (thread, later MPI rank) draws only the
// synapses onto its own targets, identically whatever the shard count:
//
//  1. In-degrees. The targets [0, nt) form a fixed binary tree independent of shards: a node
//     [lo, hi) holding c synapses gives its left half [lo, mid) a count drawn from its own
//     counter-based stream (seed, connectivity, projection, index lo, sub = depth + 1), the right
//     half gets the rest. With multapses the left count is Binomial(c, (mid-lo)/(hi-lo)); every
//     target has the same number of allowed sources, so the N iid uniform pairs of NEST fall on
//     targets as a multinomial with equal cell probabilities, and conditional binomial splitting
//     of a multinomial is exact. Without multapses the synapses are a uniform N-subset of the
//     pool x nt allowed pairs, and the count falling on a block of targets is hypergeometric
//     (c draws, pool*(mid-lo) good, pool*(hi-mid) bad), again exactly split node by node.
//     A shard descends only into nodes that overlap its targets: O(its targets + log nt) draws.
//  2. Sources. Given in-degree k_j, target j draws its k_j sources from stream (seed,
//     connectivity, projection, j) exactly as fixed_indegree does: iid uniform with multapses
//     (so pairs are N iid uniform pairs given the multinomial counts), k_j distinct ones without
//     (uniform k_j-subsets; together with the hypergeometric counts a uniform N-subset of pairs).
//
// `pool` is the number of allowed sources of each target (ns, or ns - 1 without autapses when
// source and target are one population).
#include <cstdint>

namespace lamina::sim {

// Writes the in-degree of every target j in [begin, end) to out[j - begin].
void fixed_total_number_indegrees(std::uint64_t seed, std::uint32_t projection, std::uint64_t total,
                                  std::uint64_t nt, std::uint64_t pool, bool multapses, std::uint64_t begin,
                                  std::uint64_t end, std::uint32_t* out);

} // namespace lamina::sim
