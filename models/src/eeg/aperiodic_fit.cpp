#include "lamina/models/eeg/aperiodic_fit.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

namespace lamina::models::eeg {

namespace {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double ln10 = std::numbers::ln10;

[[noreturn]] void refuse(const std::string& what) { throw std::invalid_argument("fit_specparam: " + what); }

// ---------------------------------------------------------------------------------------------
// Bounded Levenberg-Marquardt. f(p, r, J) fills the residual vector r (and the Jacobian dr/dp when
// J != nullptr) and returns false when the residuals are not finite at p. Bounds are handled by
// projecting each trial point onto the box and by freezing parameters that sit on a bound while
// the gradient pushes them outwards. The damping is Marquardt's: (J'J + lambda diag(J'J)) d = -J'r.
template <class F>
VectorXd levenberg_marquardt(F&& f, VectorXd p, const VectorXd& lo, const VectorXd& hi, int max_iterations) {
    const Index n = p.size();
    p = p.cwiseMax(lo).cwiseMin(hi);
    VectorXd r, r_try;
    MatrixXd J;
    if (!f(p, r, &J)) throw std::runtime_error("fit_specparam: non-finite model at the initial guess");
    double cost = r.squaredNorm();
    double lambda = 1e-3;
    std::vector<Index> free;
    for (int it = 0; it < max_iterations && cost > 0.0; ++it) {
        const MatrixXd A = J.transpose() * J;
        const VectorXd g = J.transpose() * r;
        free.clear();
        for (Index i = 0; i < n; ++i) {
            const bool pinned = (p[i] <= lo[i] && g[i] > 0.0) || (p[i] >= hi[i] && g[i] < 0.0);
            if (!pinned) free.push_back(i);
        }
        if (free.empty()) break;
        const Index m = static_cast<Index>(free.size());
        MatrixXd A_f(m, m);
        VectorXd g_f(m), d_f(m);
        double g_max = 0.0, diag_max = 0.0;
        for (Index a = 0; a < m; ++a) {
            g_f[a] = g[free[a]];
            g_max = std::max(g_max, std::abs(g_f[a]));
            for (Index b = 0; b < m; ++b) A_f(a, b) = A(free[a], free[b]);
            diag_max = std::max(diag_max, A_f(a, a));
        }
        if (g_max == 0.0 || diag_max == 0.0) break;
        bool accepted = false, done = false;
        while (!accepted) {
            MatrixXd M = A_f;
            for (Index a = 0; a < m; ++a) M(a, a) += lambda * std::max(A_f(a, a), 1e-12 * diag_max);
            d_f = M.ldlt().solve(-g_f);
            VectorXd p_try = p;
            for (Index a = 0; a < m; ++a) p_try[free[a]] += d_f[a];
            p_try = p_try.cwiseMax(lo).cwiseMin(hi);
            const double step = (p_try - p).norm();
            double cost_try = inf;
            if (d_f.allFinite() && f(p_try, r_try, nullptr)) cost_try = r_try.squaredNorm();
            if (std::isfinite(cost_try) && cost_try < cost) {
                const double reduction = (cost - cost_try) / cost;
                p = p_try;
                cost = cost_try;
                f(p, r, &J);
                lambda = std::max(lambda * 0.25, 1e-12);
                accepted = true;
                done = reduction < 1e-13 || step <= 1e-12 * (p.norm() + 1e-12);
            } else {
                lambda *= 8.0;
                if (lambda > 1e16 || step <= 1e-15 * (p.norm() + 1e-15)) {
                    done = true;  // no downhill step left: a (constrained) minimum
                    break;
                }
            }
        }
        if (done) break;
    }
    return p;
}

// ---------------------------------------------------------------------------------------------
// The specparam model on a set of frequencies. Parameter layout: [b, (k,) chi] when the aperiodic
// part is fitted, then (c, a, w) per Gaussian. Residual = model - target.
struct spectral_model {
    const std::vector<double>& f;
    const std::vector<double>& target;
    bool with_aperiodic;
    aperiodic_mode mode;
    Index n_gauss;

    Index n_aperiodic() const { return with_aperiodic ? (mode == aperiodic_mode::knee ? 3 : 2) : 0; }
    Index n_params() const { return n_aperiodic() + 3 * n_gauss; }

    bool operator()(const VectorXd& p, VectorXd& r, MatrixXd* J) const {
        const Index m = static_cast<Index>(f.size());
        const Index na = n_aperiodic();
        r.resize(m);
        if (J) J->setZero(m, n_params());
        for (Index i = 0; i < m; ++i) {
            const double fi = f[i];
            double v = 0.0;
            if (with_aperiodic) {
                if (mode == aperiodic_mode::fixed) {
                    const double lf = std::log10(fi);
                    v = p[0] - p[1] * lf;
                    if (J) {
                        (*J)(i, 0) = 1.0;
                        (*J)(i, 1) = -lf;
                    }
                } else {
                    const double fc = std::pow(fi, p[2]);
                    const double q = p[1] + fc;
                    if (!(q > 0.0)) return false;
                    v = p[0] - std::log10(q);
                    if (J) {
                        (*J)(i, 0) = 1.0;
                        (*J)(i, 1) = -1.0 / (q * ln10);
                        (*J)(i, 2) = -fc * std::log(fi) / (q * ln10);
                    }
                }
            }
            for (Index g = 0; g < n_gauss; ++g) {
                const Index o = na + 3 * g;
                const double c = p[o], a = p[o + 1], w = p[o + 2];
                const double x = fi - c;
                const double e = std::exp(-x * x / (2.0 * w * w));
                v += a * e;
                if (J) {
                    (*J)(i, o) = a * e * x / (w * w);
                    (*J)(i, o + 1) = e;
                    (*J)(i, o + 2) = a * e * x * x / (w * w * w);
                }
            }
            r[i] = v - target[i];
            if (!std::isfinite(r[i])) return false;
        }
        return true;
    }
};

struct aperiodic_params {
    double offset = 0.0, knee = 0.0, exponent = 0.0;
};

VectorXd pack(const aperiodic_params& a, aperiodic_mode mode) {
    if (mode == aperiodic_mode::fixed) return VectorXd{{a.offset, a.exponent}};
    return VectorXd{{a.offset, a.knee, a.exponent}};
}
aperiodic_params unpack(const VectorXd& p, aperiodic_mode mode) {
    if (mode == aperiodic_mode::fixed) return {p[0], 0.0, p[1]};
    return {p[0], p[1], p[2]};
}

aperiodic_params fit_aperiodic(const std::vector<double>& f, const std::vector<double>& y, aperiodic_mode mode,
                               const VectorXd& guess, int max_iterations) {
    const spectral_model model{f, y, true, mode, 0};
    const Index n = model.n_params();
    const VectorXd lo = VectorXd::Constant(n, -inf), hi = VectorXd::Constant(n, inf);
    return unpack(levenberg_marquardt(model, guess, lo, hi, max_iterations), mode);
}

// numpy.percentile with linear interpolation; q in percent.
double percentile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
    const auto i = static_cast<std::size_t>(std::floor(pos));
    if (i + 1 >= v.size()) return v.back();
    return v[i] + (pos - static_cast<double>(i)) * (v[i + 1] - v[i]);
}

double population_std(const std::vector<double>& v) {
    double mean = 0.0;
    for (double x : v) mean += x;
    mean /= static_cast<double>(v.size());
    double ss = 0.0;
    for (double x : v) ss += (x - mean) * (x - mean);
    return std::sqrt(ss / static_cast<double>(v.size()));
}

double gaussian(double f, const gaussian_component& g) {
    const double x = f - g.centre;
    return g.height * std::exp(-x * x / (2.0 * g.sigma * g.sigma));
}

// True when the sum of the two Gaussians has a single maximum between their centres (the slope of
// the sum changes sign once there), i.e. the pair describes one peak.
bool one_peak(const gaussian_component& a, const gaussian_component& b) {
    const auto slope = [](const gaussian_component& g, double x) {
        return g.sigma > 0.0 ? -gaussian(x, g) * (x - g.centre) / (g.sigma * g.sigma) : 0.0;
    };
    constexpr int n = 256;
    int changes = 0;
    double prev = 0.0;
    for (int i = 0; i <= n; ++i) {
        const double x = a.centre + (b.centre - a.centre) * i / n;
        const double d = slope(a, x) + slope(b, x);
        if (d != 0.0) {
            if (prev != 0.0 && (d > 0.0) != (prev > 0.0)) ++changes;
            prev = d;
        }
    }
    return changes <= 1;
}

// One Gaussian with the pair's area-weighted centre and spread and the height of their sum's maximum.
gaussian_component merged(const gaussian_component& a, const gaussian_component& b, double std_min, double std_max) {
    const double wa = a.height * a.sigma, wb = b.height * b.sigma;
    if (!(wa + wb > 0.0)) return a.height >= b.height ? a : b;
    const double c = (wa * a.centre + wb * b.centre) / (wa + wb);
    const double var = (wa * (a.sigma * a.sigma + (a.centre - c) * (a.centre - c)) +
                        wb * (b.sigma * b.sigma + (b.centre - c) * (b.centre - c))) / (wa + wb);
    double height = 0.0;
    for (int i = 0; i <= 256; ++i) {
        const double x = a.centre + (b.centre - a.centre) * i / 256.0;
        height = std::max(height, gaussian(x, a) + gaussian(x, b));
    }
    return {c, height, std::clamp(std::sqrt(var), std_min, std_max)};
}

void check_options(const specparam_options& o) {
    if (!(o.freq_min < o.freq_max)) refuse("freq_min must be < freq_max");
    if (!(o.peak_width_min > 0.0) || !std::isfinite(o.peak_width_min)) refuse("peak_width_min must be finite and > 0 Hz");
    if (!(o.peak_width_max >= o.peak_width_min) || !std::isfinite(o.peak_width_max))
        refuse("peak_width_max must be finite and >= peak_width_min");
    if (!(o.peak_threshold >= 0.0)) refuse("peak_threshold must be >= 0");
    if (!(o.min_peak_height >= 0.0)) refuse("min_peak_height must be >= 0");
    if (!(o.ap_percentile >= 0.0 && o.ap_percentile <= 100.0)) refuse("ap_percentile must be in [0, 100]");
    if (!(o.bw_std_edge >= 0.0)) refuse("bw_std_edge must be >= 0");
    if (!(o.gauss_overlap_thresh >= 0.0)) refuse("gauss_overlap_thresh must be >= 0");
    if (!(o.cf_bound > 0.0)) refuse("cf_bound must be > 0");
    if (o.max_iterations < 1) refuse("max_iterations must be >= 1");
}

} // namespace

double aperiodic_log10(double f, double offset, double knee, double exponent) {
    return offset - std::log10(knee + std::pow(f, exponent));
}

double specparam_result::knee_frequency() const {
    if (mode == aperiodic_mode::fixed || !(knee > 0.0) || exponent == 0.0) return 0.0;
    return std::pow(knee, 1.0 / exponent);
}

specparam_result fit_specparam(const power_spectrum& spectrum, const specparam_options& o) {
    check_power_spectrum(spectrum, "fit_specparam");
    check_options(o);

    specparam_result res;
    res.mode = o.mode;
    auto& f = res.freqs;
    auto& y = res.log_power;
    for (std::size_t i = 0; i < spectrum.size(); ++i) {
        const double fi = spectrum.freqs[i];
        if (fi <= 0.0 || fi < o.freq_min || fi > o.freq_max) continue;
        if (!(spectrum.power[i] > 0.0)) refuse("power must be > 0 in the fit range (log10 of 0 at " + std::to_string(fi) + " Hz)");
        f.push_back(fi);
        y.push_back(std::log10(spectrum.power[i]));
    }
    const std::size_t n = f.size();
    if (n < 4) refuse("fewer than 4 frequencies > 0 Hz in the fit range");
    const double freq_res = f[1] - f[0];
    for (std::size_t i = 1; i < n; ++i)
        if (std::abs((f[i] - f[i - 1]) - freq_res) > 1e-6 * freq_res) refuse("frequencies must be evenly spaced");
    const double f_lo = f.front(), f_hi = f.back();
    const double std_min = o.peak_width_min / 2.0, std_max = o.peak_width_max / 2.0;
    const Index n_ap = o.mode == aperiodic_mode::knee ? 3 : 2;

    // Steps 1-2: initial and robust aperiodic fit.
    const double exp_guess = std::abs((y.back() - y.front()) / (std::log10(f_hi) - std::log10(f_lo)));
    const auto simple_guess = [&](const std::vector<double>& target) {
        return pack(aperiodic_params{target.front(), 0.0, exp_guess}, o.mode);
    };
    const aperiodic_params initial = fit_aperiodic(f, y, o.mode, simple_guess(y), o.max_iterations);
    std::vector<double> flat(n);
    for (std::size_t i = 0; i < n; ++i)
        flat[i] = std::max(0.0, y[i] - aperiodic_log10(f[i], initial.offset, initial.knee, initial.exponent));
    const double thresh = percentile(flat, o.ap_percentile);
    std::vector<double> f_sel, y_sel;
    for (std::size_t i = 0; i < n; ++i)
        if (flat[i] <= thresh) {
            f_sel.push_back(f[i]);
            y_sel.push_back(y[i]);
        }
    // Too few points to determine the aperiodic parameters: keep the initial fit.
    const aperiodic_params robust = static_cast<Index>(f_sel.size()) > n_ap
                                        ? fit_aperiodic(f_sel, y_sel, o.mode, pack(initial, o.mode), o.max_iterations)
                                        : initial;
    for (std::size_t i = 0; i < n; ++i)
        flat[i] = y[i] - aperiodic_log10(f[i], robust.offset, robust.knee, robust.exponent);

    // Step 3: iterative peak guesses.
    std::vector<gaussian_component> guess;
    std::vector<double> flat_iter = flat;
    while (guess.size() < o.max_n_peaks) {
        const auto max_it = std::max_element(flat_iter.begin(), flat_iter.end());
        const auto max_ind = static_cast<std::size_t>(max_it - flat_iter.begin());
        const double max_height = *max_it;
        if (max_height <= o.peak_threshold * population_std(flat_iter)) break;
        if (!(max_height > o.min_peak_height)) break;
        const double half = 0.5 * max_height;
        std::ptrdiff_t short_side = -1;
        for (std::size_t j = max_ind; j-- > 1;)  // fooof scans down to index 1
            if (flat_iter[j] <= half) {
                short_side = static_cast<std::ptrdiff_t>(max_ind - j);
                break;
            }
        for (std::size_t j = max_ind + 1; j < n; ++j)
            if (flat_iter[j] <= half) {
                const auto d = static_cast<std::ptrdiff_t>(j - max_ind);
                if (short_side < 0 || d < short_side) short_side = d;
                break;
            }
        double sigma = short_side > 0
                           ? static_cast<double>(short_side) * 2.0 * freq_res / (2.0 * std::sqrt(2.0 * std::log(2.0)))
                           : 0.5 * (o.peak_width_min + o.peak_width_max);
        sigma = std::clamp(sigma, std_min, std_max);
        const gaussian_component g{f[max_ind], max_height, sigma};
        guess.push_back(g);
        for (std::size_t i = 0; i < n; ++i) flat_iter[i] -= gaussian(f[i], g);
    }
    // Edge rejection.
    std::erase_if(guess, [&](const gaussian_component& g) {
        const double lim = g.sigma * o.bw_std_edge;
        return !(std::abs(g.centre - f_lo) > lim && std::abs(g.centre - f_hi) > lim);
    });
    // Overlap rejection: of each overlapping adjacent pair, the lower guess goes.
    std::stable_sort(guess.begin(), guess.end(),
                     [](const gaussian_component& a, const gaussian_component& b) { return a.centre < b.centre; });
    {
        std::vector<bool> drop(guess.size(), false);
        for (std::size_t i = 0; i + 1 < guess.size(); ++i) {
            const double hi0 = guess[i].centre + guess[i].sigma * o.gauss_overlap_thresh;
            const double lo1 = guess[i + 1].centre - guess[i + 1].sigma * o.gauss_overlap_thresh;
            if (hi0 > lo1) drop[guess[i].height <= guess[i + 1].height ? i : i + 1] = true;
        }
        std::vector<gaussian_component> kept;
        for (std::size_t i = 0; i < guess.size(); ++i)
            if (!drop[i]) kept.push_back(guess[i]);
        guess.swap(kept);
    }

    // Step 4: joint fit of the Gaussians to the flattened spectrum.
    auto n_g = static_cast<Index>(guess.size());
    VectorXd gp(3 * n_g), glo(3 * n_g), ghi(3 * n_g);
    for (Index k = 0; k < n_g; ++k) {
        const auto& g = guess[static_cast<std::size_t>(k)];
        gp.segment<3>(3 * k) << g.centre, g.height, g.sigma;
        double c_lo = g.centre - 2.0 * o.cf_bound * g.sigma, c_hi = g.centre + 2.0 * o.cf_bound * g.sigma;
        if (!(c_lo > f_lo)) c_lo = f_lo;
        if (!(c_hi < f_hi)) c_hi = f_hi;
        glo.segment<3>(3 * k) << c_lo, 0.0, std_min;
        ghi.segment<3>(3 * k) << c_hi, inf, std_max;
    }
    if (n_g > 0) gp = levenberg_marquardt(spectral_model{f, flat, false, o.mode, n_g}, gp, glo, ghi, o.max_iterations);

    // Step 5: aperiodic refit to the peak-removed spectrum.
    const auto peak_sum = [&](const VectorXd& p, Index offset, double fi) {
        double v = 0.0;
        for (Index k = 0; k < n_g; ++k)
            v += gaussian(fi, {p[offset + 3 * k], p[offset + 3 * k + 1], p[offset + 3 * k + 2]});
        return v;
    };
    std::vector<double> peak_rm(n);
    for (std::size_t i = 0; i < n; ++i) peak_rm[i] = y[i] - peak_sum(gp, 0, f[i]);
    aperiodic_params ap = fit_aperiodic(f, peak_rm, o.mode, simple_guess(peak_rm), o.max_iterations);

    // Step 6 (optional): all parameters together. Then pairs of Gaussians whose sum has a single
    // maximum between their centres (one peak described twice, typically a peak split in step 3) are
    // merged and everything is refitted; a merge is kept when the Bayesian information criterion
    // does not rise, n ln(RSS_merged / RSS) <= 3 ln n.
    if (o.joint_refit) {
        struct gauss_state {
            Index n_g;
            VectorXd gp, glo, ghi;
            aperiodic_params ap;
        };
        const auto joint_fit = [&](gauss_state& st) {
            VectorXd p(n_ap + 3 * st.n_g), lo(n_ap + 3 * st.n_g), hi(n_ap + 3 * st.n_g);
            p << pack(st.ap, o.mode), st.gp;
            lo << VectorXd::Constant(n_ap, -inf), st.glo;
            hi << VectorXd::Constant(n_ap, inf), st.ghi;
            const spectral_model model{f, y, true, o.mode, st.n_g};
            p = levenberg_marquardt(model, p, lo, hi, o.max_iterations);
            st.ap = unpack(p.head(n_ap), o.mode);
            st.gp = p.tail(3 * st.n_g);
            VectorXd r;
            model(p, r, nullptr);
            return r.squaredNorm();
        };
        gauss_state st{n_g, gp, glo, ghi, ap};
        double rss = joint_fit(st);
        const double bic_per_gaussian = 3.0 * std::log(static_cast<double>(n));
        bool merged_any = o.merge_unimodal_peaks;
        while (merged_any && st.n_g > 1) {
            merged_any = false;
            std::vector<Index> order(static_cast<std::size_t>(st.n_g));
            for (Index k = 0; k < st.n_g; ++k) order[static_cast<std::size_t>(k)] = k;
            std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) { return st.gp[3 * a] < st.gp[3 * b]; });
            const auto component = [&](Index k) {
                return gaussian_component{st.gp[3 * k], st.gp[3 * k + 1], st.gp[3 * k + 2]};
            };
            for (std::size_t i = 0; i + 1 < order.size() && !merged_any; ++i) {
                const Index ia = order[i], ib = order[i + 1];
                if (!one_peak(component(ia), component(ib))) continue;
                const gaussian_component m = merged(component(ia), component(ib), std_min, std_max);
                gauss_state trial{st.n_g - 1, VectorXd(3 * (st.n_g - 1)), VectorXd(3 * (st.n_g - 1)),
                                  VectorXd(3 * (st.n_g - 1)), st.ap};
                Index t = 0;
                for (Index k = 0; k < st.n_g; ++k) {
                    if (k == ib) continue;
                    if (k == ia) {
                        double c_lo = m.centre - 2.0 * o.cf_bound * m.sigma, c_hi = m.centre + 2.0 * o.cf_bound * m.sigma;
                        if (!(c_lo > f_lo)) c_lo = f_lo;
                        if (!(c_hi < f_hi)) c_hi = f_hi;
                        trial.gp.segment<3>(3 * t) << m.centre, m.height, m.sigma;
                        trial.glo.segment<3>(3 * t) << c_lo, 0.0, std_min;
                        trial.ghi.segment<3>(3 * t) << c_hi, inf, std_max;
                    } else {
                        trial.gp.segment<3>(3 * t) = st.gp.segment<3>(3 * k);
                        trial.glo.segment<3>(3 * t) = st.glo.segment<3>(3 * k);
                        trial.ghi.segment<3>(3 * t) = st.ghi.segment<3>(3 * k);
                    }
                    ++t;
                }
                const double rss_trial = joint_fit(trial);
                if (static_cast<double>(n) * std::log(rss_trial / rss) <= bic_per_gaussian) {
                    st = std::move(trial);
                    rss = rss_trial;
                    merged_any = true;
                }
            }
        }
        n_g = st.n_g;
        gp = st.gp;
        ap = st.ap;
    }
    res.offset = ap.offset;
    res.knee = ap.knee;
    res.exponent = ap.exponent;

    // Gaussians sorted by centre, model and peak parameters.
    for (Index k = 0; k < n_g; ++k) res.gaussians.push_back({gp[3 * k], gp[3 * k + 1], gp[3 * k + 2]});
    std::stable_sort(res.gaussians.begin(), res.gaussians.end(),
                     [](const gaussian_component& a, const gaussian_component& b) { return a.centre < b.centre; });
    res.model.resize(n);
    res.aperiodic.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        res.aperiodic[i] = aperiodic_log10(f[i], ap.offset, ap.knee, ap.exponent);
        res.model[i] = res.aperiodic[i] + peak_sum(gp, 0, f[i]);
    }
    for (const auto& g : res.gaussians) {
        std::size_t ind = 0;
        for (std::size_t i = 1; i < n; ++i)
            if (std::abs(f[i] - g.centre) < std::abs(f[ind] - g.centre)) ind = i;
        res.peaks.push_back({g.centre, res.model[ind] - res.aperiodic[ind], 2.0 * g.sigma});
    }

    // Step 7: goodness of fit.
    double my = 0.0, mm = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        my += y[i];
        mm += res.model[i];
    }
    my /= static_cast<double>(n);
    mm /= static_cast<double>(n);
    double syy = 0.0, smm = 0.0, sym = 0.0, abs_err = 0.0, sq_err = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        syy += (y[i] - my) * (y[i] - my);
        smm += (res.model[i] - mm) * (res.model[i] - mm);
        sym += (y[i] - my) * (res.model[i] - mm);
        const double e = y[i] - res.model[i];
        abs_err += std::abs(e);
        sq_err += e * e;
    }
    res.r_squared = (syy > 0.0 && smm > 0.0) ? sym * sym / (syy * smm) : 0.0;
    const double nd = static_cast<double>(n);
    switch (o.error_metric) {
    case fit_error_metric::mae: res.error = abs_err / nd; break;
    case fit_error_metric::mse: res.error = sq_err / nd; break;
    case fit_error_metric::rmse: res.error = std::sqrt(sq_err / nd); break;
    }
    return res;
}

} // namespace lamina::models::eeg
