// Siegert mean-field rate of the Brunel (2000) network, model A (see the header for the equations).
#include "lamina/models/brunel_mean_field.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace lamina::models {

namespace {

constexpr double sqrt_pi = 1.7724538509055160273;

// Adaptive Simpson on [a, b] given f(a), f(m), f(b) and the Simpson estimate `whole`.
template <class F>
double adaptive_simpson(const F& f, double a, double b, double fa, double fm, double fb, double whole, double tol,
                        int depth) {
    const double m = 0.5 * (a + b);
    const double lm = 0.5 * (a + m);
    const double rm = 0.5 * (m + b);
    const double flm = f(lm);
    const double frm = f(rm);
    const double left = (m - a) / 6.0 * (fa + 4.0 * flm + fm);
    const double right = (b - m) / 6.0 * (fm + 4.0 * frm + fb);
    const double delta = left + right - whole;
    if (depth <= 0 || std::abs(delta) <= 15.0 * tol || !(m > a && b > m)) return left + right + delta / 15.0;
    return adaptive_simpson(f, a, m, fa, flm, fm, left, 0.5 * tol, depth - 1) +
           adaptive_simpson(f, m, b, fm, frm, fb, right, 0.5 * tol, depth - 1);
}

// Integral of a smooth positive f over [a, b] to relative accuracy ~rel: a composite Simpson pass
// over `panels` panels fixes the scale, then each panel is refined adaptively.
template <class F>
double integrate(const F& f, double a, double b, double rel) {
    constexpr int panels = 16;
    const double h = (b - a) / panels;
    double x[panels + 1], fx[panels + 1], xm[panels], fxm[panels], s[panels];
    for (int i = 0; i <= panels; ++i) {
        x[i] = (i == panels) ? b : a + i * h;
        fx[i] = f(x[i]);
    }
    double crude = 0.0;
    for (int i = 0; i < panels; ++i) {
        xm[i] = 0.5 * (x[i] + x[i + 1]);
        fxm[i] = f(xm[i]);
        s[i] = (x[i + 1] - x[i]) / 6.0 * (fx[i] + 4.0 * fxm[i] + fx[i + 1]);
        crude += s[i];
    }
    const double tol = rel * std::abs(crude) / panels;
    double sum = 0.0;
    for (int i = 0; i < panels; ++i)
        sum += adaptive_simpson(f, x[i], x[i + 1], fx[i], fxm[i], fx[i + 1], s[i], tol, 40);
    return sum;
}

void require(bool ok, const char* what) {
    if (!ok) throw std::invalid_argument(std::string("brunel_mean_field: ") + what);
}

void validate_neuron(double tau_m, double theta, double V_r, double tau_rp) {
    require(std::isfinite(tau_m) && tau_m > 0.0, "tau_m must be positive");
    require(std::isfinite(tau_rp) && tau_rp >= 0.0, "tau_rp must be non-negative");
    require(std::isfinite(theta) && std::isfinite(V_r) && theta > V_r, "theta must exceed V_r");
}

void validate(const brunel_parameters& p) {
    validate_neuron(p.tau_m, p.theta, p.V_r, p.tau_rp);
    require(std::isfinite(p.C_E) && p.C_E > 0.0, "C_E must be positive");
    require(std::isfinite(p.gamma) && p.gamma >= 0.0, "gamma must be non-negative");
    require(std::isfinite(p.J) && p.J > 0.0, "J must be positive");
    require(std::isfinite(p.g) && p.g >= 0.0, "g must be non-negative");
    require(std::isfinite(p.eta) && std::isfinite(p.nu_ext), "eta and nu_ext must be finite");
    require(p.external_rate() >= 0.0, "external rate must be non-negative");
}

// Brent's method for f(lo) and f(hi) of opposite signs (Brent 1973; the classic zeroin form).
template <class F>
double brent(const F& f, double a, double b, double fa, double fb, double rel_tol) {
    double c = a, fc = fa, d = b - a, e = d;
    for (int iter = 0; iter < 200; ++iter) {
        if ((fb > 0.0) == (fc > 0.0)) {
            c = a;
            fc = fa;
            d = e = b - a;
        }
        if (std::abs(fc) < std::abs(fb)) {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        const double tol = 2.0 * std::numeric_limits<double>::epsilon() * std::abs(b) + 0.5 * rel_tol * std::abs(b) +
                           1e-300;
        const double m = 0.5 * (c - b);
        if (std::abs(m) <= tol || fb == 0.0) return b;
        if (std::abs(e) >= tol && std::abs(fa) > std::abs(fb)) {
            double p, q, r;
            const double s = fb / fa;
            if (a == c) { // secant
                p = 2.0 * m * s;
                q = 1.0 - s;
            } else { // inverse quadratic interpolation
                q = fa / fc;
                r = fb / fc;
                p = s * (2.0 * m * q * (q - r) - (b - a) * (r - 1.0));
                q = (q - 1.0) * (r - 1.0) * (s - 1.0);
            }
            if (p > 0.0) q = -q;
            else p = -p;
            if (2.0 * p < std::min(3.0 * m * q - std::abs(tol * q), std::abs(e * q))) {
                e = d;
                d = p / q;
            } else {
                d = m;
                e = m;
            }
        } else {
            d = m;
            e = m;
        }
        a = b;
        fa = fb;
        b += (std::abs(d) > tol) ? d : (m > 0.0 ? tol : -tol);
        fb = f(b);
    }
    return b;
}

} // namespace

double erfcx(double x) {
    if (std::isnan(x)) return x;
    if (x >= 26.0) {
        // Asymptotic series erfcx(x) = 1/(x sqrt(pi)) sum_n (-1)^n (2n-1)!! / (2x^2)^n; at x >= 26
        // the terms fall below double precision long before they start to grow.
        const double z = 1.0 / (2.0 * x * x);
        double term = 1.0, sum = 1.0;
        for (int n = 1; n < 30; ++n) {
            term *= -(2.0 * n - 1.0) * z;
            sum += term;
            if (std::abs(term) < 1e-17 * sum) break;
        }
        return sum / (x * sqrt_pi);
    }
    if (x >= 0.0) return std::exp(x * x) * std::erfc(x); // erfc(26) ~ 6e-296 is still a normal double
    if (x < -26.7) return std::numeric_limits<double>::infinity();
    return 2.0 * std::exp(x * x) - erfcx(-x);
}

double brunel_parameters::nu_thr() const { return theta / (J * C_E * tau_m * 1e-3); }

double brunel_parameters::external_rate() const { return nu_ext > 0.0 ? nu_ext : eta * nu_thr(); }

brunel_input brunel_mu_sigma(double nu, const brunel_parameters& p) {
    const double tau = p.tau_m * 1e-3; // s
    const double ext = p.external_rate();
    const double mu = p.C_E * p.J * tau * (ext + nu * (1.0 - p.g * p.gamma));
    const double var = p.C_E * p.J * p.J * tau * (ext + nu * (1.0 + p.g * p.g * p.gamma));
    return {mu, std::sqrt(std::max(var, 0.0))};
}

double siegert_rate(double mu, double sigma, double tau_m, double theta, double V_r, double tau_rp) {
    validate_neuron(tau_m, theta, V_r, tau_rp);
    require(std::isfinite(mu), "mu must be finite");
    require(std::isfinite(sigma) && sigma >= 0.0, "sigma must be finite and non-negative");
    if (sigma == 0.0) { // deterministic limit
        if (mu <= theta) return 0.0;
        return 1e3 / (tau_rp + tau_m * std::log((mu - V_r) / (mu - theta)));
    }
    const double a = (V_r - mu) / sigma;
    const double b = (theta - mu) / sigma;
    // For b > 30 the integral exceeds e^{900}/b: the rate is below 1e-380 Hz, i.e. 0 in double.
    if (b > 30.0) return 0.0;
    // Integrand e^{u^2}(1 + erf u), scaled by e^{-s} with s = max(b, 0)^2 so that it stays <= 2:
    //   u < 0:  e^{-s} erfcx(-u)            (1 + erf u = erfc(-u), no cancellation)
    //   u >= 0: e^{(u - b)(u + b)} (1 + erf u)   (only when b > 0, then u <= b)
    const double s = b > 0.0 ? b * b : 0.0;
    const double scale = std::exp(-s);
    auto integrand = [b, scale](double u) {
        if (u < 0.0) return scale * erfcx(-u);
        return std::exp((u - b) * (u + b)) * (1.0 + std::erf(u));
    };
    const double I = integrate(integrand, a, b, 1e-11);
    // 1/nu = tau_rp + tau_m sqrt(pi) e^{s} I  (ms); the exponent is combined in log space so that a
    // huge interval overflows to +inf (rate 0) instead of producing inf * 0.
    const double t = tau_rp + std::exp(s + std::log(tau_m * sqrt_pi * I));
    return 1e3 / t;
}

double brunel_transfer(double mu, double sigma, const brunel_parameters& p) {
    return siegert_rate(mu, sigma, p.tau_m, p.theta, p.V_r, p.tau_rp);
}

brunel_mean_field_result solve_brunel_mean_field(const brunel_parameters& p, const brunel_solver_options& opt) {
    validate(p);
    require(std::isfinite(opt.nu_max) && opt.nu_max > 0.0, "nu_max must be positive");
    require(opt.scan_points >= 10, "scan_points must be >= 10");
    require(opt.rel_tol > 0.0, "rel_tol must be positive");

    auto F = [&p](double nu) {
        const auto in = brunel_mu_sigma(nu, p);
        return brunel_transfer(in.mu, in.sigma, p) - nu;
    };

    // Scan grid: 0, then ~10 % of the points log-spaced over [1e-4, 1) Hz (low-rate fixed points),
    // the rest linear over [1, nu_max] Hz (or all log-spaced if nu_max <= 1 Hz).
    std::vector<double> grid{0.0};
    const int n_log = std::max(5, opt.scan_points / 10);
    const int n_lin = opt.scan_points - n_log;
    const double lo = std::min(1e-4, 0.5 * opt.nu_max);
    const double mid = std::min(1.0, opt.nu_max);
    for (int i = 0; i < n_log; ++i) grid.push_back(lo * std::pow(mid / lo, double(i) / n_log));
    if (opt.nu_max > 1.0)
        for (int i = 0; i <= n_lin; ++i) grid.push_back(1.0 + (opt.nu_max - 1.0) * double(i) / n_lin);
    else
        grid.push_back(opt.nu_max);

    brunel_mean_field_result res;
    double x0 = grid[0], f0 = F(x0);
    if (f0 == 0.0) res.fixed_points.push_back(x0);
    for (std::size_t i = 1; i < grid.size(); ++i) {
        const double x1 = grid[i], f1 = F(x1);
        if (f1 == 0.0) res.fixed_points.push_back(x1);
        else if ((f0 < 0.0 && f1 > 0.0) || (f0 > 0.0 && f1 < 0.0))
            res.fixed_points.push_back(brent(F, x0, x1, f0, f1, opt.rel_tol));
        x0 = x1;
        f0 = f1;
    }
    if (res.fixed_points.empty())
        throw std::runtime_error("brunel_mean_field: no fixed point in (0, nu_max]; increase nu_max");
    std::sort(res.fixed_points.begin(), res.fixed_points.end());
    res.nu = res.fixed_points.front();
    const auto in = brunel_mu_sigma(res.nu, p);
    res.mu = in.mu;
    res.sigma = in.sigma;
    return res;
}

} // namespace lamina::models
