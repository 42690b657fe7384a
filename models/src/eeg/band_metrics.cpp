#include "lamina/models/eeg/band_metrics.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace lamina::models::eeg {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Frequencies within this relative distance of a range end count as inside (k fs / nfft rounding).
bool in_range(double f, double lo, double hi) {
    const double tol = 1e-9 * std::max({1.0, std::abs(lo), std::abs(hi)});
    return f >= lo - tol && f <= hi + tol;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Weighted least squares line y = b0 + b1 x.
Eigen::Vector2d weighted_line(const Eigen::VectorXd& x, const Eigen::VectorXd& y, const Eigen::VectorXd& w) {
    Eigen::MatrixXd X(x.size(), 2);
    X.col(0).setOnes();
    X.col(1) = x;
    const Eigen::VectorXd sw = w.cwiseSqrt();
    const Eigen::MatrixXd Xw = sw.asDiagonal() * X;
    const Eigen::VectorXd yw = sw.cwiseProduct(y);
    return Xw.colPivHouseholderQr().solve(yw);
}

} // namespace

double band_power(const power_spectrum& s, double lo, double hi) {
    check_power_spectrum(s, "band_power");
    if (!(lo < hi)) throw std::invalid_argument("band_power: band low edge must be below its high edge");
    if (lo < s.freqs.front() || hi > s.freqs.back())
        throw std::invalid_argument("band_power: band [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                    "] Hz exceeds the spectrum's range [" + std::to_string(s.freqs.front()) + ", " +
                                    std::to_string(s.freqs.back()) + "] Hz");
    const auto& f = s.freqs;
    const auto& p = s.power;
    double total = 0.0;
    for (std::size_t i = 0; i + 1 < f.size(); ++i) {
        const double a = std::max(lo, f[i]), b = std::min(hi, f[i + 1]);
        if (!(b > a)) continue;
        const double slope = (p[i + 1] - p[i]) / (f[i + 1] - f[i]);
        const double pa = p[i] + slope * (a - f[i]), pb = p[i] + slope * (b - f[i]);
        total += 0.5 * (b - a) * (pa + pb);
    }
    return total;
}

band_powers compute_band_powers(const power_spectrum& s, const band_definitions& bands) {
    band_powers r;
    r.delta = band_power(s, bands.delta);
    r.theta = band_power(s, bands.theta);
    r.alpha = band_power(s, bands.alpha);
    r.beta = band_power(s, bands.beta);
    r.gamma = band_power(s, bands.gamma);
    r.total = band_power(s, bands.total);
    r.relative_delta = r.delta / r.total;
    r.relative_theta = r.theta / r.total;
    r.relative_alpha = r.alpha / r.total;
    r.relative_beta = r.beta / r.total;
    r.relative_gamma = r.gamma / r.total;
    r.theta_alpha_ratio = r.theta / r.alpha;
    r.slowing_ratio = (r.delta + r.theta) / (r.alpha + r.beta);
    return r;
}

alpha_peak alpha_peak_from_fit(const specparam_result& fit, frequency_band range) {
    alpha_peak r;
    r.method = alpha_peak_method::fitted_peak;
    for (const auto& pk : fit.peaks) {
        if (!in_range(pk.frequency, range.low, range.high)) continue;
        if (!r.found || pk.power > r.power) {
            r.found = true;
            r.frequency = pk.frequency;
            r.power = pk.power;
        }
    }
    return r;
}

alpha_peak alpha_peak_from_maximum(const power_spectrum& s, frequency_band range) {
    check_power_spectrum(s, "alpha_peak_from_maximum");
    alpha_peak r;
    r.method = alpha_peak_method::spectral_maximum;
    std::size_t best = s.size();
    for (std::size_t i = 0; i < s.size(); ++i)
        if (in_range(s.freqs[i], range.low, range.high) && (best == s.size() || s.power[i] > s.power[best])) best = i;
    if (best == s.size() || best == 0 || best + 1 >= s.size()) return r;
    if (!(s.power[best - 1] < s.power[best] && s.power[best + 1] < s.power[best])) return r;
    r.found = true;
    r.frequency = s.freqs[best];
    r.power = s.power[best];
    return r;
}

loglog_line log_log_slope(const power_spectrum& s, double lo, double hi, slope_method method) {
    check_power_spectrum(s, "log_log_slope");
    std::vector<double> xs, ys;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (!(s.freqs[i] > 0.0) || !in_range(s.freqs[i], lo, hi)) continue;
        if (!(s.power[i] > 0.0)) throw std::invalid_argument("log_log_slope: power must be > 0 in the fit range");
        xs.push_back(std::log10(s.freqs[i]));
        ys.push_back(std::log10(s.power[i]));
    }
    const auto m = static_cast<Eigen::Index>(xs.size());
    if (m < 3) throw std::invalid_argument("log_log_slope: fewer than 3 frequencies in the fit range");
    const Eigen::Map<const Eigen::VectorXd> x(xs.data(), m), y(ys.data(), m);
    Eigen::VectorXd w = Eigen::VectorXd::Ones(m);
    Eigen::Vector2d b = weighted_line(x, y, w);

    if (method == slope_method::robust_bisquare) {
        // MATLAB robustfit (bisquare): leverage-adjusted residuals, MAD scale omitting the
        // smallest p - 1 = 1 absolute residual, up to 50 reweighting iterations.
        constexpr double tune = 4.685;
        const double eps = std::sqrt(std::numeric_limits<double>::epsilon());
        Eigen::MatrixXd X(m, 2);
        X.col(0).setOnes();
        X.col(1) = x;
        const Eigen::Matrix2d XtX_inv = (X.transpose() * X).inverse();
        Eigen::VectorXd adj(m);
        for (Eigen::Index i = 0; i < m; ++i) {
            const double h = std::min(0.9999, (X.row(i) * XtX_inv * X.row(i).transpose()).value());
            adj[i] = 1.0 / std::sqrt(1.0 - h);
        }
        Eigen::Vector2d b0 = Eigen::Vector2d::Zero();
        for (int it = 0; it < 50; ++it) {
            if (it > 0 && ((b - b0).cwiseAbs().array() <= eps * b.cwiseAbs().cwiseMax(b0.cwiseAbs()).array()).all())
                break;
            const Eigen::VectorXd radj = (y - X * b).cwiseProduct(adj);
            std::vector<double> ar(static_cast<std::size_t>(m));
            for (Eigen::Index i = 0; i < m; ++i) ar[static_cast<std::size_t>(i)] = std::abs(radj[i]);
            std::sort(ar.begin(), ar.end());
            double sc = median(std::vector<double>(ar.begin() + 1, ar.end())) / 0.6745;
            if (sc == 0.0) sc = 1.0;
            for (Eigen::Index i = 0; i < m; ++i) {
                const double u = radj[i] / (sc * tune);
                w[i] = std::abs(u) < 1.0 ? (1.0 - u * u) * (1.0 - u * u) : 0.0;
            }
            b0 = b;
            b = weighted_line(x, y, w);
        }
    }
    return {b[1], b[0], static_cast<std::size_t>(m)};
}

} // namespace lamina::models::eeg
