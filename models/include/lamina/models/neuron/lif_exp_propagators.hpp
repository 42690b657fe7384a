#pragma once
// The exact propagator of the current-based LIF with exponential synaptic currents (lif_psc_exp)
// over k steps, and the search for the first step at which an unperturbed neuron reaches
// threshold: what the event-driven (lazy) update of lif_psc_exp needs (docs/engine.md,
// "Event-driven update"; reference.md 1.1 and 1.7).
//
// With y = V - E_L and no input, over a time t (Rotter & Diesmann 1999)
//   y(t)   = P22(t) y0 + P21_ex(t) I_ex0 + P21_in(t) I_in0 + P20(t) I_e,     I_x(t) = P11_x(t) I_x0
//   P22(t) = exp(-t/tau_m),  P20(t) = tau_m/C_m (1 - P22(t)),  P11_x(t) = exp(-t/tau_x),
//   P21_x(t) = tau_x tau_m / (C_m (tau_m - tau_x)) (exp(-t/tau_m) - exp(-t/tau_x))   (t/C_m exp(-t/tau_m) at tau_x = tau_m).
// P21_x(t) >= 0 is the membrane response to a unit current: zero at t = 0, one maximum at
//   t* = tau_m tau_x ln(tau_m/tau_x) / (tau_m - tau_x)   (t* = tau_m at equality),
// rising before it and falling after. So y(t) = y_inf + (y0 - y_inf) P22(t) + sum_x I_x0 P21_x(t),
// y_inf = tau_m/C_m I_e, is a constant plus a monotone term plus unimodal terms, and on any interval
// [a, b] it is bounded above by y_inf + (y0 - y_inf) P22(a or b) + sum_x I_x0 (max or min of
// P21_x over [a, b]), each read at an end of the interval or at the maximum. The crossing search
// below bisects the step range and discards every part whose bound stays below threshold, so it
// evaluates the exact grid values only where a crossing is possible and never misses one: the
// step it returns is the first k at which the grid value y(k) (the same function the update uses)
// reaches threshold. This is the bound-and-bisect idea of the exact-crossing methods for
// exponential currents (Brette 2007; Hanuschkin, Kunkel, Helias, Morrison & Diesmann 2010 for
// NEST's iaf_psc_exp_ps), applied to whole step ranges.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

namespace lamina::models {

// P21 of the exact LIF propagator for a current with time constant tau_s over a step h (ms, pF),
// evaluated in NEST's form gamma exp(-h/tau_s) expm1(h (tau_m - tau_s)/(tau_m tau_s)), which has no
// cancellation near tau_m == tau_s; at equality the limit (h/C_m) exp(-h/tau_m) is used.
inline double lif_exp_current_propagator(double tau_m, double tau_s, double C_m, double h) {
    if (tau_m != tau_s) {
        const double beta = tau_s * tau_m / (tau_m - tau_s);
        const double gamma = beta / C_m;
        // (tau_m - tau_s) is exact for close values (Sterbenz), unlike 1/tau_s - 1/tau_m.
        const double p = gamma * std::exp(-h / tau_s) * std::expm1(h * (tau_m - tau_s) / (tau_m * tau_s));
        if (std::isnormal(p) && p > 0.0) return p;
    }
    return h / C_m * std::exp(-h / tau_m);
}

// P21 for a time t that may be many steps: NEST's expm1 form where it has no overflow, else the
// plain difference, which has no cancellation once exp(-t/tau_s) < exp(-1) exp(-t/tau_m).
inline double lif_exp_current_response(double tau_m, double tau_s, double C_m, double t) {
    if (tau_m != tau_s && t * (tau_m - tau_s) > tau_m * tau_s) {
        const double beta = tau_s * tau_m / (tau_m - tau_s);
        return beta / C_m * (std::exp(-t / tau_m) - std::exp(-t / tau_s));
    }
    return lif_exp_current_propagator(tau_m, tau_s, C_m, t);
}

// The propagators over k steps of length h.
struct lif_exp_step_propagators {
    double P22, P20, P11_ex, P21_ex, P11_in, P21_in;
};

class lif_exp_propagator_table {
public:
    // Rows are kept for at most this many steps (6 MB); longer spans are computed when asked.
    static constexpr std::int64_t max_rows = std::int64_t(1) << 17;

    lif_exp_propagator_table() = default;
    lif_exp_propagator_table(double h, double tau_m, double tau_ex, double tau_in, double C_m)
        : h_(h), tau_m_(tau_m), tau_ex_(tau_ex), tau_in_(tau_in), C_m_(C_m) {
        // From `settle` steps on every exponential is below 2^-64 (64 ln 2 = 44.36 time constants):
        // the state is (tau_m/C_m I_e, 0, 0) for good.
        const double slowest = std::max({tau_m, tau_ex, tau_in});
        settle_ = static_cast<std::int64_t>(std::ceil(44.37 * slowest / h)) + 1;
        const std::int64_t n = std::min(settle_, max_rows);
        rows_.resize(static_cast<std::size_t>(n));
        for (std::int64_t k = 0; k < n; ++k) rows_[static_cast<std::size_t>(k)] = compute(k);
        peak_ex_ = peak(tau_ex);
        peak_in_ = peak(tau_in);
    }

    // The propagators over k >= 0 steps. k = 1 gives bitwise lif_psc_exp::lower's constants.
    lif_exp_step_propagators operator()(std::int64_t k) const {
        if (k < static_cast<std::int64_t>(rows_.size())) return rows_[static_cast<std::size_t>(k)];
        if (k < settle_) return compute(k);
        return {0.0, tau_m_ / C_m_ * 1.0, 0.0, 0.0, 0.0, 0.0};
    }
    std::int64_t settle() const noexcept { return settle_; }
    // The step at which P21_ex (P21_in) is largest.
    std::int64_t peak_ex() const noexcept { return peak_ex_; }
    std::int64_t peak_in() const noexcept { return peak_in_; }
    double tau_m_over_C_m() const noexcept { return tau_m_ / C_m_; }

private:
    lif_exp_step_propagators compute(std::int64_t k) const {
        const double t = double(k) * h_;
        const double P22 = std::exp(-t / tau_m_);
        return {P22,
                tau_m_ / C_m_ * (1.0 - P22),
                std::exp(-t / tau_ex_),
                lif_exp_current_response(tau_m_, tau_ex_, C_m_, t),
                std::exp(-t / tau_in_),
                lif_exp_current_response(tau_m_, tau_in_, C_m_, t)};
    }
    std::int64_t peak(double tau_s) const {
        const double t = tau_s == tau_m_ ? tau_m_ : tau_m_ * tau_s * std::log(tau_m_ / tau_s) / (tau_m_ - tau_s);
        const auto lo = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(t / h_)));
        const bool ex = tau_s == tau_ex_;
        auto g = [&](std::int64_t k) { return ex ? (*this)(k).P21_ex : (*this)(k).P21_in; };
        return g(lo + 1) > g(lo) ? lo + 1 : lo;
    }

    double h_ = 0.1, tau_m_ = 10.0, tau_ex_ = 2.0, tau_in_ = 2.0, C_m_ = 250.0;
    std::int64_t settle_ = 0, peak_ex_ = 1, peak_in_ = 1;
    std::vector<lif_exp_step_propagators> rows_;
};

// The state of a neuron at the start of a free (input-free, not refractory) stretch.
struct lif_exp_free_state {
    double y, I_ex, I_in;  // y = V - E_L (mV); currents (pA)
};

// y after k steps of free evolution from x (the update's own arithmetic, in the clock kernel's order).
inline double lif_exp_free_value(const lif_exp_step_propagators& P, const lif_exp_free_state& x, double I_e) noexcept {
    return P.P22 * x.y + P.P21_ex * x.I_ex + P.P21_in * x.I_in + P.P20 * I_e;
}

// The first k >= 1 at which lif_exp_free_value reaches theta (threshold relative to E_L), or -1 if
// none does. Exact on the grid: every part of [1, settle] that is not evaluated step by step has
// an upper bound (plus a margin far above rounding) below theta. Beyond `settle` the value is
// y_inf, reached at k = settle, so the search range is complete.
inline std::int64_t lif_exp_first_crossing(const lif_exp_propagator_table& T, const lif_exp_free_state& x,
                                           double I_e, double theta) {
    if (!(std::isfinite(x.y) && std::isfinite(x.I_ex) && std::isfinite(x.I_in))) return -1;
    const double y_inf = T.tau_m_over_C_m() * I_e;
    const double A = x.y - y_inf;
    const std::int64_t kex = T.peak_ex(), kin = T.peak_in();
    const double gex_max = T(kex).P21_ex, gin_max = T(kin).P21_in;
    const double margin = 1e-12 * (std::abs(y_inf) + std::abs(A) + std::abs(x.I_ex) * gex_max +
                                   std::abs(x.I_in) * gin_max + std::abs(theta));
    auto current_bound = [](double I, double ga, double gb, double gpeak, std::int64_t a, std::int64_t b,
                            std::int64_t kp) {
        if (I < 0.0) return I * std::min(ga, gb);
        return I * (b <= kp ? gb : a >= kp ? ga : gpeak);
    };
    auto upper = [&](std::int64_t a, std::int64_t b, const lif_exp_step_propagators& Pa,
                     const lif_exp_step_propagators& Pb) {
        return y_inf + A * (A >= 0.0 ? Pa.P22 : Pb.P22) +
               current_bound(x.I_ex, Pa.P21_ex, Pb.P21_ex, gex_max, a, b, kex) +
               current_bound(x.I_in, Pa.P21_in, Pb.P21_in, gin_max, a, b, kin) + margin;
    };
    // Depth-first over halves, left first, so the first crossing found is the earliest.
    std::array<std::pair<std::int64_t, std::int64_t>, 128> stack;
    std::size_t top = 0;
    stack[top++] = {1, T.settle()};
    while (top > 0) {
        const auto [a, b] = stack[--top];
        if (b - a < 4) {
            for (std::int64_t k = a; k <= b; ++k)
                if (lif_exp_free_value(T(k), x, I_e) >= theta) return k;
            continue;
        }
        if (upper(a, b, T(a), T(b)) < theta) continue;
        const std::int64_t mid = a + (b - a) / 2;
        stack[top++] = {mid + 1, b};
        stack[top++] = {a, mid};
    }
    return -1;
}

} // namespace lamina::models
