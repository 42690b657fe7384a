#pragma once
// Population sums of signal terms (recorders.hpp, signal_recorder_spec), one partial sum per
// 64-neuron block of a population:
//
//   out[blk] = sum_{i in block blk, lo <= i < hi} f(a_i, b_i),
//   f = a_i (b_i - offset), |a_i (b_i - offset)|, a_i or |a_i| (no b)
//
// The order of additions is fixed by the block alone (eight interleaved lanes over the block,
// then a fixed reduction tree), never by the shard boundaries or the instruction set, so the
// recorded sums are the same bits on every thread count and on every clone of the kernel.
// The kernel is multi-versioned (LAMINA_KERNEL) like the neuron kernels: the EEG proxies of
// issue 5 sample every millisecond, and a baseline-ISA loop over all neurons cost W1 about
// 8 % against AVX-512 neuron updates.
#include <cstddef>

namespace lamina::sim::detail {

void signal_block_sums(const double* a, const double* b, double offset, bool absolute, std::size_t lo,
                       std::size_t hi, double* out);

} // namespace lamina::sim::detail
