#pragma once
// Exact binomial and hypergeometric draws from a counter-based stream, for splitting a total
// number of synapses over blocks of targets (connection rule fixed_total_number).
//
// Method: inversion by a search that starts at the mode and walks outwards, alternating down and
// up. Any fixed enumeration of the support gives the exact distribution under inversion; starting
// at the mode makes the expected number of steps O(standard deviation). The pmf at the mode comes
// from Loader's (2000) saddle-point expansion ("Fast and accurate computation of binomial
// probabilities", the method of R's dbinom/dhyper), accurate to ~1e-15 relative even for
// n ~ 1e9 where lgamma differences lose digits; neighbours follow from the exact pmf ratios.
// If rounding leaves the uniform beyond the summed mass (probability ~1e-13), a new uniform is
// drawn, which keeps the draw within the support.
#include "lamina/sim/rng.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace lamina::sim {

namespace discrete_detail {

// log(n!) - log(sqrt(2 pi n) (n/e)^n), the error of Stirling's formula.
inline double stirling_error(double n) {
    if (n <= 15.0) return std::lgamma(n + 1.0) - (n + 0.5) * std::log(n) + n - 0.5 * std::log(2.0 * M_PI);
    const double nn = n * n;
    constexpr double s0 = 1.0 / 12, s1 = 1.0 / 360, s2 = 1.0 / 1260, s3 = 1.0 / 1680, s4 = 1.0 / 1188;
    if (n > 500) return (s0 - s1 / nn) / n;
    if (n > 80) return (s0 - (s1 - s2 / nn) / nn) / n;
    if (n > 35) return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n;
    return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n;
}

// x log(x / m) + m - x, without cancellation when x is close to m.
inline double deviance(double x, double m) {
    if (std::fabs(x - m) < 0.1 * (x + m)) {
        double v = (x - m) / (x + m);
        double s = (x - m) * v;
        double ej = 2.0 * x * v;
        v *= v;
        for (int j = 1; j < 1000; ++j) {
            ej *= v;
            const double s1 = s + ej / (2 * j + 1);
            if (s1 == s) return s1;
            s = s1;
        }
        return s;
    }
    return x * std::log(x / m) + m - x;
}

// log P(X = x) for X ~ Binomial(n, p), q = 1 - p.
inline double log_binomial_pmf(double x, double n, double p, double q) {
    if (p == 0.0) return x == 0.0 ? 0.0 : -INFINITY;
    if (q == 0.0) return x == n ? 0.0 : -INFINITY;
    if (x == 0.0) return n == 0.0 ? 0.0 : n * std::log1p(-p);
    if (x == n) return n * std::log(p);
    const double lc = stirling_error(n) - stirling_error(x) - stirling_error(n - x) - deviance(x, n * p) -
                      deviance(n - x, n * q);
    const double lf = std::log(2.0 * M_PI) + std::log(x) + std::log1p(-x / n);
    return lc - 0.5 * lf;
}

// Inversion from the mode outwards. up(k) = P(k+1)/P(k), down(k) = P(k-1)/P(k).
template <class Up, class Down>
std::uint64_t walk_from_mode(random_stream& rng, std::uint64_t lo, std::uint64_t hi, std::uint64_t mode,
                             double p_mode, Up&& up, Down&& down) {
    for (;;) {
        double u = rng.uniform() - p_mode;
        if (u <= 0.0) return mode;
        std::uint64_t kd = mode, ku = mode;
        double fd = p_mode, fu = p_mode;
        bool can_down = kd > lo, can_up = ku < hi;
        while (can_down || can_up) {
            if (can_down) {
                fd *= down(kd);
                --kd;
                u -= fd;
                if (u <= 0.0) return kd;
                can_down = kd > lo && fd > 0.0;
            }
            if (can_up) {
                fu *= up(ku);
                ++ku;
                u -= fu;
                if (u <= 0.0) return ku;
                can_up = ku < hi && fu > 0.0;
            }
        }
    }
}

} // namespace discrete_detail

// X ~ Binomial(n, p).
inline std::uint64_t draw_binomial(random_stream& rng, std::uint64_t n, double p) {
    if (n == 0 || p <= 0.0) return 0;
    if (p >= 1.0) return n;
    const double q = 1.0 - p;
    const double nd = static_cast<double>(n);
    const auto mode = std::min<std::uint64_t>(n, static_cast<std::uint64_t>(std::floor((nd + 1.0) * p)));
    const double p_mode = std::exp(discrete_detail::log_binomial_pmf(static_cast<double>(mode), nd, p, q));
    const double odds = p / q;
    return discrete_detail::walk_from_mode(
        rng, 0, n, mode, p_mode, [&](std::uint64_t k) { return double(n - k) / double(k + 1) * odds; },
        [&](std::uint64_t k) { return double(k) / double(n - k + 1) / odds; });
}

// X ~ Hypergeometric: the number of "good" items among `draws` items taken without replacement
// from `good` + `bad` items.
inline std::uint64_t draw_hypergeometric(random_stream& rng, std::uint64_t draws, std::uint64_t good,
                                         std::uint64_t bad) {
    const std::uint64_t total = good + bad;
    if (draws == 0 || good == 0) return 0;
    if (bad == 0) return draws;
    if (draws >= total) return good;
    const std::uint64_t lo = draws > bad ? draws - bad : 0;
    const std::uint64_t hi = std::min(draws, good);
    const double c = double(draws), g = double(good), b = double(bad), t = double(total);
    auto mode = static_cast<std::uint64_t>(std::floor((c + 1.0) * (g + 1.0) / (t + 2.0)));
    mode = std::clamp(mode, lo, hi);
    // P(k) = Bin(k; good, p) Bin(draws - k; bad, p) / Bin(draws; total, p) for any p (R's dhyper).
    const double p = c / t, q = 1.0 - p;
    using discrete_detail::log_binomial_pmf;
    const double m = double(mode);
    const double p_mode =
        std::exp(log_binomial_pmf(m, g, p, q) + log_binomial_pmf(c - m, b, p, q) - log_binomial_pmf(c, t, p, q));
    return discrete_detail::walk_from_mode(
        rng, lo, hi, mode, p_mode,
        [&](std::uint64_t k) {
            const double x = double(k);
            return (g - x) * (c - x) / ((x + 1.0) * (b - c + x + 1.0));
        },
        [&](std::uint64_t k) {
            const double x = double(k);
            return x * (b - c + x) / ((g - x + 1.0) * (c - x + 1.0));
        });
}

} // namespace lamina::sim
