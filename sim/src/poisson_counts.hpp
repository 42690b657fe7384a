#pragma once
// Poisson counts of independent trains for a range of consecutive neurons in one step: the same
// numbers as device_set's scalar loop (neuron i's word is word i & 3 of the Philox4x32-10 block
// with counter (object, i / 4, step), Salmon et al. 2011; the count is the number of tabulated
// CDF levels P(X <= k) 2^32 at or below the word), computed for 16 blocks at a time in
// structure-of-arrays form so that the compiler vectorises the 32 x 32 -> 64-bit products and the
// level comparisons. The build targets baseline x86-64, so the kernel is compiled for AVX-512,
// AVX2 and the baseline and the loader picks the widest the machine runs (GCC target_clones, as
// for the neuron kernels).
// Private to lamina::sim.
#include <cstddef>
#include <cstdint>

namespace lamina::sim::detail {

// The four key/counter words of a Philox block that do not vary along a range of neurons.
struct philox_train_key {
    std::uint32_t key0, key1;  // the run's seed
    std::uint32_t object;      // counter word 0: purpose and device
    std::uint64_t step;        // counter words 2 and 3
};

// counts[i - first] for neurons i in [first, last): the number of entries of levels[0, n_levels)
// (ascending) that are <= the neuron's word. `first` must be a multiple of 4.
void poisson_counts(const philox_train_key& k, std::size_t first, std::size_t last, const std::uint32_t* levels,
                    std::size_t n_levels, std::uint32_t* counts);

// The raw words of the blocks of neurons [first, last) (first a multiple of 4), for tests.
void philox_train_words(const philox_train_key& k, std::size_t first, std::size_t last, std::uint32_t* words);

} // namespace lamina::sim::detail
