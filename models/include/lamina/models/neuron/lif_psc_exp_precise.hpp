#pragma once
// lif_psc_exp with precise spike times (`precise = true`; NEST's iaf_psc_exp_ps, Hanuschkin,
// Kunkel, Helias, Morrison & Diesmann 2010). The same equations as lif_psc_exp.hpp:
//
//   C_m dV/dt = -C_m/tau_m (V - E_L) + I_ex + I_in + I_e + I_ext,   dI_x/dt = -I_x/tau_syn_x
//
// but inputs act at their exact arrival times inside a step and a spike is emitted at the exact
// time V reaches V_th (sim/include/lamina/sim/precise_model.hpp states the time convention).
//
// Between two inputs the solution is closed-form (Rotter & Diesmann 1999): with y = V - E_L and
// the propagators of lif_exp_propagators.hpp over a time t,
//   y(t) = P22(t) y0 + P21_ex(t) I_ex0 + P21_in(t) I_in0 + P20(t) (I_e + I_ext),  I_x(t) = P11_x(t) I_x0,
// so a step is propagated from input to input, each input's weight added to its current at its
// time. Over a whole step without input the propagators are those of lif_psc_exp::lower, so such
// a step is bitwise the clock kernel's.
//
// Threshold crossing. y(t) = y_inf + (y0 - y_inf) P22(t) + sum_x I_x0 P21_x(t) is a constant plus
// a monotone term plus kernels that rise to one maximum (at t*_x) and then fall, so over any
// interval [a, b] it is bounded above by reading each term at an end or at its maximum. The search
// bisects the interval depth first, left half first, dropping every part whose bound and end value
// stay below threshold (less a margin of 1e-14 of the terms' sizes, for rounding), down to
// intervals of h 2^-20 (1e-7 ms at h = 0.1 ms); the first of those whose right end reaches
// threshold holds the crossing, which bisection on the sign then narrows to h 2^-50 (1e-16 ms).
// It therefore finds the first crossing even when V rises above threshold and falls back between
// two inputs (the case a test of V only at the ends of intervals misses); what it can miss is an
// excursion above threshold that both begins and ends inside one interval of 1e-7 ms, whose height
// is below (1e-7 ms / 2)^2 |d2V/dt2| / 2, about 1e-15 mV. It costs a bound (a few operations)
// per interval where no crossing is possible. After a spike V is held at V_reset for exactly t_ref
// (which must be at least one step, so a neuron fires at most once per step) while the currents
// keep decaying and inputs keep adding to them, as in clock mode.
#include "lamina/models/neuron/lif_exp_propagators.hpp"
#include "lamina/models/neuron/lif_psc_exp.hpp"
#include "lamina/sim/precise_model.hpp"

#include <cmath>
#include <limits>
#include <string>

namespace lamina::sim {

template <>
struct precise_dynamics<models::lif_psc_exp> {
    using model = models::lif_psc_exp;

    // The propagators over a time t (ms).
    struct propagators {
        double P22, P20, P11_ex, P11_in, P21_ex, P21_in;
    };

    struct constants {
        double h, tau_m, tau_ex, tau_in, C_m, E_L, theta, y_reset, I_e;
        propagators step;            // over h: bitwise lif_psc_exp::lower's
        double peak_ex, peak_in;     // time of the maximum of P21_x
        double P21_peak_ex, P21_peak_in;
        double coarse;               // below this width the crossing search bisects on the sign (ms)
        double tolerance;            // the width at which it stops (ms)
        precise_refractory ref;
    };

    static constants lower(const model::parameters& p, double h, const std::string& object) {
        const model::constants g = model::lower(p, h, object);
        if (p.t_ref < h * (1.0 - 1e-9))
            throw parameter_error(object, "t_ref",
                                  "must be at least one step (dt) with precise spike times, so that a neuron fires at "
                                  "most once per step");
        constants c{};
        c.h = h;
        c.tau_m = p.tau_m;
        c.tau_ex = p.tau_syn_ex;
        c.tau_in = p.tau_syn_in;
        c.C_m = p.C_m;
        c.E_L = p.E_L;
        c.theta = p.V_th - p.E_L;
        c.y_reset = p.V_reset - p.E_L;
        c.I_e = p.I_e;
        c.step = {g.P22, g.P20, g.P11_ex, g.P11_in, g.P21_ex, g.P21_in};
        auto peak = [&](double tau_s) {
            return p.tau_m == tau_s ? p.tau_m : p.tau_m * tau_s * std::log(p.tau_m / tau_s) / (p.tau_m - tau_s);
        };
        c.peak_ex = peak(p.tau_syn_ex);
        c.peak_in = peak(p.tau_syn_in);
        c.P21_peak_ex = models::lif_exp_current_propagator(p.tau_m, p.tau_syn_ex, p.C_m, c.peak_ex);
        c.P21_peak_in = models::lif_exp_current_propagator(p.tau_m, p.tau_syn_in, p.C_m, c.peak_in);
        c.coarse = std::ldexp(h, -20);
        c.tolerance = std::ldexp(h, -50);
        c.ref = split_refractory(p.t_ref, h);
        return c;
    }

    static propagators at(const constants& c, double t) {
        if (t == c.h) return c.step;
        const double P22 = std::exp(-t / c.tau_m);
        return {P22,
                c.tau_m / c.C_m * (1.0 - P22),
                std::exp(-t / c.tau_ex),
                std::exp(-t / c.tau_in),
                models::lif_exp_current_propagator(c.tau_m, c.tau_ex, c.C_m, t),
                models::lif_exp_current_propagator(c.tau_m, c.tau_in, c.C_m, t)};
    }

    // The state a free neuron starts an interval with: y = V - E_L, the currents and the drive.
    struct free_state {
        double y, I_ex, I_in, I;
    };
    // y after a time with propagators P: the clock kernel's expression, operand for operand.
    static double value(const propagators& P, const free_state& x) {
        return P.P22 * x.y + P.P21_ex * x.I_ex + P.P21_in * x.I_in + P.P20 * x.I;
    }

    // An upper bound of y over [a, b] (propagators Pa, Pb at its ends).
    static double bound(const constants& c, const free_state& x, double y_inf, double a, const propagators& Pa,
                        double b, const propagators& Pb) {
        const double d = x.y - y_inf;
        double u = y_inf + (d >= 0.0 ? d * Pa.P22 : d * Pb.P22);
        auto kernel = [&](double I, double peak, double P21_peak, double Ka, double Kb) {
            if (I < 0.0) return I * std::min(Ka, Kb);
            return I * (peak > a && peak < b ? P21_peak : std::max(Ka, Kb));
        };
        u += kernel(x.I_ex, c.peak_ex, c.P21_peak_ex, Pa.P21_ex, Pb.P21_ex);
        u += kernel(x.I_in, c.peak_in, c.P21_peak_in, Pa.P21_in, Pb.P21_in);
        return u;
    }

    // The first time in (a, b] at which y reaches theta (ya = y(a) < theta, yb = y(b)), or -1.
    // Intervals whose bound (or end value) stays below threshold are dropped; the others are
    // halved, left half first, down to `coarse`; there a sign change is refined by bisection.
    // `budget` caps the intervals visited (a neuron grazing threshold over a long stretch could
    // otherwise keep many alive); once spent, intervals are treated as coarse.
    static double search(const constants& c, const free_state& x, double y_inf, double margin, double a,
                         const propagators& Pa, double b, const propagators& Pb, double yb, int& budget) {
        if (std::max(bound(c, x, y_inf, a, Pa, b, Pb), yb) < c.theta - margin) return -1.0;
        if (b - a <= c.coarse || --budget <= 0) return yb >= c.theta ? refine(c, x, a, b) : -1.0;
        const double m = 0.5 * (a + b);
        const propagators Pm = at(c, m);
        const double ym = value(Pm, x);
        const double left = search(c, x, y_inf, margin, a, Pa, m, Pm, ym, budget);
        if (left >= 0.0) return left;
        return search(c, x, y_inf, margin, m, Pm, b, Pb, yb, budget);
    }
    // y(a) < theta <= y(b): bisection down to `tolerance`; returns the right end.
    static double refine(const constants& c, const free_state& x, double a, double b) {
        for (int k = 0; k < 64 && b - a > c.tolerance; ++k) {
            const double m = 0.5 * (a + b);
            (value(at(c, m), x) >= c.theta ? b : a) = m;
        }
        return b;
    }

    // The first time in (0, t] at which a free neuron starting in x reaches threshold, or -1
    // (P: the propagators over t).
    static double first_crossing(const constants& c, const free_state& x, double t, const propagators& P) {
        if (x.y >= c.theta) return 0.0;  // set above threshold from outside: fires at once
        const double y_inf = c.tau_m / c.C_m * x.I;
        // The bound and the values are computed with different roundings: a margin of 1e-14 of the
        // terms' sizes keeps the bound above every computed value.
        const double margin = 1e-14 * (std::abs(y_inf) + std::abs(x.y) + std::abs(c.theta) +
                                       std::abs(x.I_ex) * c.P21_peak_ex + std::abs(x.I_in) * c.P21_peak_in);
        static constexpr propagators zero{1.0, 0.0, 1.0, 1.0, 0.0, 0.0};
        int budget = 4096;
        return search(c, x, y_inf, margin, 0.0, zero, t, P, value(P, x), budget);
    }

    static double step(const constants& c, double* const* s, std::int32_t& r, double& release, std::size_t i,
                       const precise_input* first, const precise_input* last, const double* end_input, double I_ext) {
        free_state x{s[0][i] - c.E_L, s[1][i], s[2][i], c.I_e + I_ext};
        constexpr double forever = std::numeric_limits<double>::infinity();
        double held = r >= 2 ? forever : r == 1 ? release : 0.0;  // V is held at V_reset until then
        const std::int32_t r_start = r;
        double spike = -1.0;
        double t = 0.0;
        auto decay = [&](double span) {
            if (span == c.h) {
                x.I_ex *= c.step.P11_ex;
                x.I_in *= c.step.P11_in;
            } else if (span > 0.0) {
                x.I_ex *= std::exp(-span / c.tau_ex);
                x.I_in *= std::exp(-span / c.tau_in);
            }
        };
        auto advance_to = [&](double te) {
            if (t < held) {
                const double u = std::min(held, te);
                decay(u - t);
                x.y = c.y_reset;
                t = u;
            }
            if (!(t < te)) return;
            const double span = te - t;
            const propagators P = at(c, span);
            const double crossing = first_crossing(c, x, span, P);
            if (crossing >= 0.0) {
                spike = std::min(t + crossing, te);
                decay(crossing);
                x.y = c.y_reset;
                start_refractory(c.ref, c.h, spike, r, release);
                held = forever;
                decay(te - spike);
                t = te;
                return;
            }
            x = {value(P, x), P.P11_ex * x.I_ex, P.P11_in * x.I_in, x.I};
            t = te;
        };
        for (const precise_input* e = first; e != last; ++e) {
            advance_to(e->time);
            (e->port == 0 ? x.I_ex : x.I_in) += e->weight;
        }
        advance_to(c.h);
        x.I_ex += end_input[0];
        x.I_in += end_input[1];
        if (spike < 0.0) r = r_start >= 2 ? r_start - 1 : 0;
        s[0][i] = x.y + c.E_L;
        s[1][i] = x.I_ex;
        s[2][i] = x.I_in;
        return spike;
    }
};

} // namespace lamina::sim
