#include "signal_block_sums.hpp"

#include "lamina/sim/neuron_model.hpp"

#include <algorithm>
#include <cmath>

namespace lamina::sim::detail {

namespace {

constexpr std::size_t block_size = 64;
constexpr std::size_t lanes = 8;

[[gnu::always_inline]] inline double reduce_lanes(const double* lane) {
    return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

// Lane l accumulates the terms of neurons lo + l, lo + l + 8, ... in that order, then the lanes
// are reduced by a fixed tree; full blocks evaluate their 64 terms as one vector loop first.
template <class Term>
[[gnu::always_inline]] inline void sums(std::size_t lo_all, std::size_t hi_all, double* out, Term term) {
    for (std::size_t blk = lo_all / block_size; blk * block_size < hi_all; ++blk) {
        const std::size_t lo = std::max(lo_all, blk * block_size), hi = std::min(hi_all, (blk + 1) * block_size);
        double lane[lanes] = {};
        if (lo == blk * block_size && hi == lo + block_size) {
            double t[block_size];
            LAMINA_SIMD
            for (std::size_t j = 0; j < block_size; ++j) t[j] = term(lo + j);
            for (std::size_t j = 0; j < block_size; j += lanes) {
                LAMINA_SIMD
                for (std::size_t l = 0; l < lanes; ++l) lane[l] += t[j + l];
            }
            out[blk] = reduce_lanes(lane);
            continue;
        }
        std::size_t i = lo;
        for (; i + lanes <= hi; i += lanes)
            for (std::size_t l = 0; l < lanes; ++l) lane[l] += term(i + l);
        double sum = reduce_lanes(lane);
        for (; i < hi; ++i) sum += term(i);
        out[blk] = sum;
    }
}

} // namespace

LAMINA_KERNEL void signal_block_sums(const double* a, const double* b, double offset, bool absolute, std::size_t lo,
                                     std::size_t hi, double* out) {
    if (b && absolute)
        sums(lo, hi, out, [=](std::size_t i) __attribute__((always_inline)) { return std::abs(a[i] * (b[i] - offset)); });
    else if (b)
        sums(lo, hi, out, [=](std::size_t i) __attribute__((always_inline)) { return a[i] * (b[i] - offset); });
    else if (absolute)
        sums(lo, hi, out, [=](std::size_t i) __attribute__((always_inline)) { return std::abs(a[i]); });
    else
        sums(lo, hi, out, [=](std::size_t i) __attribute__((always_inline)) { return a[i]; });
}

} // namespace lamina::sim::detail
