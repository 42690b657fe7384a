#pragma once
// The contract between a neural-mass model and the lattice simulator (lattice.hpp).
//
// A mass is a stateless type, like a neuron model (sim/neuron_model.hpp): a parameter struct with
// its field list (name, unit, member, meaning), the names of its state variables, a lower() that
// validates the parameters and turns them into plain constants, and loops over an index range of
// structure-of-arrays state:
//
//   rhs(c, y, u, dy, begin, end)        dy/dt of every state variable at state y and coupling input u
//   output(c, y, out, begin, end)       the quantity a node sends to others (coupling output)
//   observable(c, y, out, begin, end)   the measured signal (EEG-like; the lattice's spatial mean)
//
// Noise is additive: the state variables listed in noise_targets receive sigma_j dW_j, with
// sigma_j = noise_amplitude(c, j) in state units per sqrt(ms); a mass whose amplitudes are all 0 is
// deterministic. Time is in ms throughout; each mass states the units of its input u (the lattice's
// coupling strengths convert the senders' output into u) and of its output.
//
// The loops take __restrict pointers and are written without branches so that the compiler can
// vectorise them (LAMINA_SIMD, and LAMINA_KERNEL clones for AVX2/AVX-512 as the neuron kernels);
// they neither throw nor allocate. Exponentials use exp_simd below.
#include "lamina/sim/neuron_model.hpp"  // LAMINA_SIMD, LAMINA_KERNEL
#include "lamina/sim/parameters.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>

namespace lamina::models::mass {

// Read-only and writable views of the n state arrays of a block of nodes.
template <std::size_t N>
using const_state = std::array<const double*, N>;
template <std::size_t N>
using state_out = std::array<double*, N>;

template <class M>
concept neural_mass =
    requires(const typename M::parameters& p, const typename M::constants& c, const std::string& object,
             const const_state<M::state_names.size()>& y, const double* u,
             const state_out<M::state_names.size()>& dy, double* out, std::size_t i) {
        { M::name } -> std::convertible_to<std::string_view>;
        { M::parameter_fields.size() } -> std::convertible_to<std::size_t>;
        { M::state_names.size() } -> std::convertible_to<std::size_t>;
        { M::noise_targets.size() } -> std::convertible_to<std::size_t>;
        { M::input_unit } -> std::convertible_to<std::string_view>;
        { M::output_unit } -> std::convertible_to<std::string_view>;
        { M::lower(p, object) } -> std::same_as<typename M::constants>;
        { M::initial_value(c, i) } -> std::convertible_to<double>;
        { M::noise_amplitude(c, i) } -> std::convertible_to<double>;
        { M::rhs(c, y, u, dy, i, i) };
        { M::output(c, y, out, i, i) };
        { M::observable(c, y, out, i, i) };
    };

// exp(x) written for vectorised loops (the sigmoids of the masses): branch-free, only +, -, *, /
// and integer bit operations, so every SIMD width and the scalar code give the same bits, and GCC
// vectorises it without -ffast-math (which std::exp would need). Cody-Waite reduction
// x = k ln2 + r, |r| <= ln2/2, with k rounded by the 1.5 * 2^52 trick; e^r by its Taylor series to
// degree 13 (truncation < 1e-17 relative); 2^k added to the exponent bits. x is clamped to
// [-708, 709], so the result is finite and normal. Largest error against glibc's exp over
// [-708, 709]: 2 ulp (tests/models/test_masses.cpp). Always inlined: a call in a loop stops its
// vectorisation.
[[gnu::always_inline]] inline double exp_simd(double x) noexcept {
    x = x < -708.0 ? -708.0 : x;
    x = x > 709.0 ? 709.0 : x;
    constexpr double log2e = 1.4426950408889634;
    constexpr double shifter = 0x1.8p52;
    constexpr double ln2_hi = 0x1.62e42fee00000p-1;  // 32 significant bits: k * ln2_hi is exact
    constexpr double ln2_lo = 0x1.a39ef35793c76p-33;
    const double t = x * log2e + shifter;  // round(x log2e) in the low mantissa bits
    const double k = t - shifter;
    const double r = (x - k * ln2_hi) - k * ln2_lo;
    double p = 1.0 / 6227020800.0;  // 1/13!
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    const std::int64_t ki = std::bit_cast<std::int64_t>(t) - std::bit_cast<std::int64_t>(shifter);
    return std::bit_cast<double>(std::bit_cast<std::int64_t>(p) + (ki << 52));
}

// Logistic 1/(1 + exp(-x)).
inline double logistic(double x) noexcept { return 1.0 / (1.0 + exp_simd(-x)); }

} // namespace lamina::models::mass
