// Vectorisable Philox4x32-10 and Poisson counts for ranges of neurons (poisson_counts.hpp).
#include "poisson_counts.hpp"

#include <algorithm>

// The clones of the neuron kernels (LAMINA_KERNEL, neuron_model.hpp): baseline, x86-64-v3 (AVX2)
// and x86-64-v4 (AVX-512). Integer arithmetic only, so every clone gives the same words and counts.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(LAMINA_NATIVE_BUILD)
#define LAMINA_WIDEST_ISA __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define LAMINA_WIDEST_ISA
#endif

namespace lamina::sim::detail {

namespace {
// Eight Philox blocks side by side: one 32-bit word per 64-bit lane, so that the 32 x 32 -> 64-bit
// products of a round are plain lane products (GCC/Clang vector extensions: SSE2 pmuludq in the
// baseline clone, AVX2 and AVX-512 in the others). Every value stays below 2^32, so a product of
// two is exact, and signed comparisons (which exist at every width) order the lanes correctly.
using lane_vector = std::uint64_t __attribute__((vector_size(64)));
using signed_lanes = std::int64_t __attribute__((vector_size(64)));
constexpr std::size_t lanes = 8;
constexpr std::uint64_t low32 = 0xFFFFFFFFu;
constexpr std::uint64_t philox_m0 = 0xD2511F53u, philox_m1 = 0xCD9E8D57u;  // Random123's multipliers
constexpr std::uint32_t philox_w0 = 0x9E3779B9u, philox_w1 = 0xBB67AE85u;  // and key increments
} // namespace

// Ten Philox rounds on the 8 counters (object, g + j, step) at once; words[w] holds word w of the
// blocks g .. g + 7. A macro rather than a function: it expands inside each ISA clone.
#define LAMINA_PHILOX_BATCH(k, g, words)                                                                    \
    do {                                                                                                    \
        lane_vector x0, x1, x2, x3;                                                                         \
        for (std::size_t j = 0; j < lanes; ++j) {                                                           \
            x0[j] = (k).object;                                                                             \
            x1[j] = static_cast<std::uint32_t>((g) + j);                                                    \
            x2[j] = static_cast<std::uint32_t>((k).step);                                                   \
            x3[j] = static_cast<std::uint32_t>((k).step >> 32);                                             \
        }                                                                                                   \
        std::uint32_t k0 = (k).key0, k1 = (k).key1;                                                         \
        for (int round = 0; round < 10; ++round) {                                                          \
            const lane_vector p0 = (x0 & low32) * philox_m0;                                                \
            const lane_vector p1 = (x2 & low32) * philox_m1;                                                \
            const lane_vector hi0 = p0 >> 32, hi1 = p1 >> 32;                                               \
            x0 = hi1 ^ x1 ^ std::uint64_t(k0);                                                              \
            x1 = p1 & low32;                                                                                \
            x2 = hi0 ^ x3 ^ std::uint64_t(k1);                                                              \
            x3 = p0 & low32;                                                                                \
            k0 += philox_w0;                                                                                \
            k1 += philox_w1;                                                                                \
        }                                                                                                   \
        (words)[0] = x0;                                                                                    \
        (words)[1] = x1;                                                                                    \
        (words)[2] = x2;                                                                                    \
        (words)[3] = x3;                                                                                    \
    } while (0)

LAMINA_WIDEST_ISA
void poisson_counts(const philox_train_key& k, std::size_t first, std::size_t last, const std::uint32_t* levels,
                    std::size_t n_levels, std::uint32_t* counts) {
    for (std::size_t g = first >> 2; (g << 2) < last; g += lanes) {
        lane_vector words[4];
        LAMINA_PHILOX_BATCH(k, g, words);
        // Levels above the largest word of the batch count for no neuron: at the microcircuit's
        // 1.2-2.3 events per step that leaves about half of the table.
        lane_vector top = words[0];
        for (std::size_t w = 1; w < 4; ++w) top = top > words[w] ? top : words[w];
        std::uint64_t largest = 0;
        for (std::size_t j = 0; j < lanes; ++j) largest = std::max<std::uint64_t>(largest, top[j]);
        std::size_t used = n_levels;
        while (used > 0 && levels[used - 1] > largest) --used;
        signed_lanes c[4] = {};
        for (std::size_t l = 0; l < used; ++l) {
            const std::int64_t level = levels[l];
            // A true comparison is -1 in every bit of the lane.
            for (std::size_t w = 0; w < 4; ++w) c[w] -= signed_lanes(words[w]) >= level;
        }
        // Neuron 4 (g + j) + w, in neuron order.
        const std::size_t base = g << 2;
        const std::size_t n = std::min<std::size_t>(4 * lanes, last - base);
        for (std::size_t m = 0; m < n; ++m) counts[base + m - first] = static_cast<std::uint32_t>(c[m & 3][m >> 2]);
    }
}

LAMINA_WIDEST_ISA
void philox_train_words(const philox_train_key& k, std::size_t first, std::size_t last, std::uint32_t* out) {
    for (std::size_t g = first >> 2; (g << 2) < last; g += lanes) {
        lane_vector words[4];
        LAMINA_PHILOX_BATCH(k, g, words);
        const std::size_t base = g << 2;
        const std::size_t n = std::min<std::size_t>(4 * lanes, last - base);
        for (std::size_t m = 0; m < n; ++m) out[base + m - first] = static_cast<std::uint32_t>(words[m & 3][m >> 2]);
    }
}

#undef LAMINA_PHILOX_BATCH

} // namespace lamina::sim::detail
