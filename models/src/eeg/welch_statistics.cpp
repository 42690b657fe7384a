#include "lamina/models/eeg/welch_statistics.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <vector>

namespace lamina::models::eeg {

double digamma(double x) {
    // Recurrence up to x >= 6, then the asymptotic series (Abramowitz & Stegun 6.3.18).
    double r = 0.0;
    while (x < 16.0) {
        r -= 1.0 / x;
        x += 1.0;
    }
    const double f = 1.0 / (x * x);
    return r + std::log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
}

double trigamma(double x) {
    // Recurrence up to x >= 6, then the asymptotic series (Abramowitz & Stegun 6.4.12).
    double r = 0.0;
    while (x < 16.0) {
        r += 1.0 / (x * x);
        x += 1.0;
    }
    const double f = 1.0 / (x * x);
    return r + 1.0 / x + f / 2.0 + f / x * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f / 30)));
}

double gamma_q(double a, double x) {
    if (!(a > 0.0) || !(x >= 0.0)) throw std::invalid_argument("gamma_q: need a > 0 and x >= 0");
    if (x == 0.0) return 1.0;
    const double log_prefactor = a * std::log(x) - x - std::lgamma(a);
    if (x < a + 1.0) {
        // Series for the lower function P(a, x) = e^-x x^a / Gamma(a + 1) sum x^n / ((a+1)...(a+n)).
        double term = 1.0 / a, sum = term;
        for (int n = 1; n < 10000; ++n) {
            term *= x / (a + n);
            sum += term;
            if (std::abs(term) < std::abs(sum) * 1e-16) break;
        }
        return 1.0 - sum * std::exp(log_prefactor);
    }
    // Continued fraction for Q (modified Lentz), DLMF 8.9.2.
    const double tiny = 1e-300;
    double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
    for (int n = 1; n < 10000; ++n) {
        const double an = -n * (n - a);
        b += 2.0;
        d = an * d + b;
        if (std::abs(d) < tiny) d = tiny;
        c = b + an / c;
        if (std::abs(c) < tiny) c = tiny;
        d = 1.0 / d;
        const double delta = d * c;
        h *= delta;
        if (std::abs(delta - 1.0) < 1e-16) break;
    }
    return std::exp(log_prefactor) * h;
}

double welch_effective_segments(std::size_t n, const welch_options& o) {
    const std::size_t k = welch_segment_count(n, o);
    if (k == 0) return 0.0;
    const std::size_t overlap = o.noverlap ? *o.noverlap : o.nperseg / 2;
    const std::size_t step = o.nperseg - overlap;
    const auto w = make_window(o.window, o.nperseg);
    double w2 = 0.0;
    for (double v : w) w2 += v * v;
    double denominator = 1.0;
    for (std::size_t m = 1; m < k && m * step < o.nperseg; ++m) {
        const std::size_t s = m * step;
        double c = 0.0;
        for (std::size_t i = 0; i + s < o.nperseg; ++i) c += w[i] * w[i + s];
        denominator += 2.0 * (1.0 - double(m) / double(k)) * (c * c) / (w2 * w2);
    }
    return double(k) / denominator;
}

double welch_log10_scatter(double k) {
    if (!(k > 0.0)) throw std::invalid_argument("welch_log10_scatter: need K_eff > 0");
    return std::sqrt(trigamma(k)) / std::numbers::ln10;
}

double welch_log10_median_offset(double k) {
    if (!(k > 0.0)) throw std::invalid_argument("welch_log10_median_offset: need K_eff > 0");
    double lo = 0.0, hi = 1.0;
    while (gamma_q(k, k * hi) > 0.5) hi *= 2.0;
    for (int it = 0; it < 200 && hi - lo > 1e-13 * hi; ++it) {
        const double mid = 0.5 * (lo + hi);
        (gamma_q(k, k * mid) > 0.5 ? lo : hi) = mid;
    }
    return (std::log(0.5 * (lo + hi)) - (digamma(k) - std::log(k))) / std::numbers::ln10;
}

double noise_peak_height(double k, std::size_t bins, double alpha) {
    if (!(k > 0.0)) throw std::invalid_argument("noise_peak_height: need K_eff > 0");
    if (bins == 0) throw std::invalid_argument("noise_peak_height: need at least one bin");
    if (!(alpha > 0.0 && alpha < 1.0)) throw std::invalid_argument("noise_peak_height: false alarm rate in (0, 1)");
    const double tail = -std::expm1(std::log1p(-alpha) / double(bins));  // 1 - (1 - alpha)^(1/M)
    // X = chi^2_{2K}/(2K) = G/K with G ~ Gamma(K, 1): P(X > x) = Q(K, K x), decreasing in x.
    double lo = 1.0, hi = 2.0;
    while (gamma_q(k, k * hi) > tail) hi *= 2.0;
    for (int it = 0; it < 200 && hi - lo > 1e-12 * hi; ++it) {
        const double mid = 0.5 * (lo + hi);
        (gamma_q(k, k * mid) > tail ? lo : hi) = mid;
    }
    const double mean_log = digamma(k) - std::log(k);
    return (std::log(0.5 * (lo + hi)) - mean_log) / std::numbers::ln10;
}

} // namespace lamina::models::eeg
