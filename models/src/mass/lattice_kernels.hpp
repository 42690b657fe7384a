#pragma once
// Vectorisable arithmetic of the lattice's Heun steps and its noise (private to lattice.cpp, the
// one file that includes it): Heun stage and final updates, log and sin/cos for whole-array loops,
// and Box-Muller normal pairs from one counter-based Philox block per node and step. Each kernel
// does the same arithmetic in every instruction-set clone, so the numbers do not depend on the CPU.
#include "lamina/sim/neuron_model.hpp"
#include "lamina/sim/rng.hpp"

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>

namespace lamina::models::mass {
namespace {

// x[i] = a[i] + h * b[i] (+ n[i])
inline void axpy(double* __restrict x, const double* __restrict a, double h, const double* __restrict b,
                 std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) x[i] = a[i] + h * b[i];
}
inline void axpy_noise(double* __restrict x, const double* __restrict a, double h, const double* __restrict b,
                       const double* __restrict w, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) x[i] = a[i] + h * b[i] + w[i];
}
// x[i] += h2 * (k1[i] + k2[i]) (+ w[i])
inline void heun_final(double* __restrict x, double h2, const double* __restrict k1, const double* __restrict k2,
                       std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) x[i] = x[i] + h2 * (k1[i] + k2[i]);
}
inline void heun_final_noise(double* __restrict x, double h2, const double* __restrict k1,
                             const double* __restrict k2, const double* __restrict w, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) x[i] = x[i] + h2 * (k1[i] + k2[i]) + w[i];
}

// log(x) for x > 0 (normal), for vectorised loops: x = m 2^e with m in [sqrt(1/2), sqrt(2)),
// log m = 2 atanh(s), s = (m - 1)/(m + 1), |s| <= 0.172, odd series to s^21 (truncation < 1e-17).
// Only unsigned shifts and additions on the bits (AVX2 has no 64-bit arithmetic shift or
// int64 -> double conversion).
[[gnu::always_inline]] inline double log_simd(double x) noexcept {
    const std::uint64_t bits = std::bit_cast<std::uint64_t>(x);
    // Biased exponent of x / sqrt(1/2): m = x 2^-e lies in [sqrt(1/2), sqrt(2)).
    constexpr std::uint64_t off = 0x3fe6a09e667f3bcdULL;  // bits of sqrt(1/2)
    const std::uint64_t eb = (bits - off + (std::uint64_t{1023} << 52)) >> 52;  // e + 1023
    const double m = std::bit_cast<double>(bits - ((eb - 1023) << 52));
    const double s = (m - 1.0) / (m + 1.0);
    const double s2 = s * s;
    double p = 1.0 / 21.0;
    p = p * s2 + 1.0 / 19.0;
    p = p * s2 + 1.0 / 17.0;
    p = p * s2 + 1.0 / 15.0;
    p = p * s2 + 1.0 / 13.0;
    p = p * s2 + 1.0 / 11.0;
    p = p * s2 + 1.0 / 9.0;
    p = p * s2 + 1.0 / 7.0;
    p = p * s2 + 1.0 / 5.0;
    p = p * s2 + 1.0 / 3.0;
    p = p * s2 + 1.0;
    constexpr double ln2_hi = 0x1.62e42fee00000p-1;
    constexpr double ln2_lo = 0x1.a39ef35793c76p-33;
    const double ed = (std::bit_cast<double>(0x4330000000000000ULL + eb) - 0x1.0p52) - 1023.0;  // exact
    return ed * ln2_hi + (2.0 * s * p + ed * ln2_lo);
}

// cos(2 pi u) and sin(2 pi u) for u in [0, 1]: u = q/4 + f, |f| <= 1/8, Taylor series of
// cos and sin of 2 pi f (|2 pi f| <= pi/4) to degree 16/17, rotated by the quadrant q.
[[gnu::always_inline]] inline void sincos_turn(double u, double& c, double& s) noexcept {
    constexpr double shifter = 0x1.8p52;
    const double t = 4.0 * u + shifter;  // nearest integer to 4u (0..4) in the low mantissa bits
    const double q = t - shifter;
    const double a = 2.0 * std::numbers::pi * (u - 0.25 * q);
    const double a2 = a * a;
    double cp = 1.0 / 20922789888000.0;   // 1/16!
    cp = cp * a2 - 1.0 / 87178291200.0;   // 1/14!
    cp = cp * a2 + 1.0 / 479001600.0;     // 1/12!
    cp = cp * a2 - 1.0 / 3628800.0;
    cp = cp * a2 + 1.0 / 40320.0;
    cp = cp * a2 - 1.0 / 720.0;
    cp = cp * a2 + 1.0 / 24.0;
    cp = cp * a2 - 0.5;
    cp = cp * a2 + 1.0;
    double sp = 1.0 / 355687428096000.0;  // 1/17!
    sp = sp * a2 - 1.0 / 1307674368000.0; // 1/15!
    sp = sp * a2 + 1.0 / 6227020800.0;
    sp = sp * a2 - 1.0 / 39916800.0;
    sp = sp * a2 + 1.0 / 362880.0;
    sp = sp * a2 - 1.0 / 5040.0;
    sp = sp * a2 + 1.0 / 120.0;
    sp = sp * a2 - 1.0 / 6.0;
    sp = sp * a2 + 1.0;
    sp = sp * a;
    const std::int64_t k = (std::bit_cast<std::int64_t>(t) - std::bit_cast<std::int64_t>(shifter)) & 3;
    c = k == 0 ? cp : (k == 1 ? -sp : (k == 2 ? -cp : sp));
    s = k == 0 ? sp : (k == 1 ? cp : (k == 2 ? -sp : -cp));
}

// Standard normal pairs (Box-Muller) for nodes first .. first + n - 1 at one step, from one
// Philox block per node: u1, u2 from 53 bits each, z0 = r cos(2 pi u2), z1 = r sin(2 pi u2),
// r = sqrt(-2 log u1); out0 = s0 z0, out1 = s1 z1 (out1 may be null). Both loops vectorise; the
// arithmetic is the same in every clone, so the numbers do not depend on the CPU.
LAMINA_KERNEL void normal_pairs(std::uint64_t seed, std::uint32_t stream, std::size_t first, std::uint64_t step,
                                std::size_t n, double* __restrict u1, double* __restrict u2, double s0,
                                double* __restrict out0, double s1, double* __restrict out1) noexcept {
    LAMINA_SIMD
    for (std::size_t k = 0; k < n; ++k) {
        const auto b = sim::philox_block(seed, sim::stream_purpose::user, stream,
                                         static_cast<std::uint32_t>(first + k), step);
        // ((hi << 32 | lo) >> 11) as hi 2^21 + (lo >> 11): exact in double.
        u1[k] = (double(b.v[0]) * 0x1.0p21 + double(b.v[1] >> 11) + 0.5) * 0x1.0p-53;
        u2[k] = (double(b.v[2]) * 0x1.0p21 + double(b.v[3] >> 11) + 0.5) * 0x1.0p-53;
    }
    if (out1) {
        LAMINA_SIMD
        for (std::size_t k = 0; k < n; ++k) {
            const double r = std::sqrt(-2.0 * log_simd(u1[k]));
            double c, s;
            sincos_turn(u2[k], c, s);
            out0[k] = s0 * (r * c);
            out1[k] = s1 * (r * s);
        }
    } else {
        LAMINA_SIMD
        for (std::size_t k = 0; k < n; ++k) {
            const double r = std::sqrt(-2.0 * log_simd(u1[k]));
            double c, s;
            sincos_turn(u2[k], c, s);
            out0[k] = s0 * (r * c);
        }
    }
}

} // namespace
} // namespace lamina::models::mass
