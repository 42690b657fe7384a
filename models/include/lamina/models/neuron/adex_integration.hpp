#pragma once
// The AdEx membrane integrator shared by `adex` (current synapses), `adex_cond_exp` and
// `adex_cond_alpha` (conductance synapses): the equations of Brette & Gerstner (2005),
//   C_m dV/dt   = -g_L (V - E_L) + g_L Delta_T exp((V - V_T)/Delta_T) - w + A(t) - G(t) V
//   tau_w dw/dt = a (V - E_L) - w
// where the synapse model supplies the input as a current A (pA) minus a conductance G (nS) times V:
// A = I_ex + I_in + I for current synapses, A = g_ex E_ex + g_in E_in + I and G = g_ex + g_in for
// conductance synapses. As in NEST's aeif_* models, the right-hand side (synaptic driving force
// included) is evaluated at min(V, V_peak).
//
// Scheme (fixed step, no error control; the full description and its measured accuracy are in
// adex.hpp): the synaptic variables evolve exactly; (V, w) take classical RK4 steps of
// h = dt / ceil(dt / 0.1 ms) that see the exact synaptic input at the stage times (conductance
// synapses also bound h by a quarter of the shorter synaptic time constant, see adex_cond_exp.hpp). A step is redone
// in 20 RK4 substeps when it ends at or above the threshold or reaches V_stiff, where the
// exponential's rate times h reaches 0.2; in the substep that reaches the threshold the crossing
// time is solved in closed form, V <- V_reset, w <- w + b, and the rest of the step is integrated
// from the reset state (or V is held at V_reset if t_ref > 0).
//
// A synapse model S provides: a `state` (the per-neuron synaptic variables), its `constants`, and
//   static adex_drive drive(const constants&, const state&, double I)   input at the state's time
//   static state decay(const constants&, const state&, adex_interval)   exact evolution over one
//                                                                        of the four intervals
#include "lamina/sim/neuron_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace lamina::models {

// Input to the membrane: the current A - G V (pA, with A in pA and G in nS).
struct adex_drive {
    double A, G;
};

// The intervals over which the integrator advances synaptic state: half and whole base step,
// half and whole refinement substep.
enum class adex_interval { base_half, base, sub_half, sub };

struct adex_membrane {
    // Base RK4 step bound, and substeps of a refined (spiking or stiff) base step.
    static constexpr double max_step_ms = 0.1;
    static constexpr int refine_substeps = 20;
    // A base step is refined when V reaches V_stiff, where the exponential term's rate
    // g_L/C_m exp((V - V_T)/Delta_T) times the base step reaches stiff_rate.
    static constexpr double stiff_rate = 0.2;

    double inv_C, g_L, E_L, V_T, inv_Delta_T, gL_Delta_T, inv_tau_w, a, b;
    double V_reset, V_peak, V_spike, V_stiff, I_e;
    double h, hs;   // base step, refinement substep
    double Pw_dt;   // w relaxation over the engine step while clamped
    int n_base;
    std::int32_t ref_steps;

    // Validates the membrane parameters of any AdEx parameter struct and lowers them for step dt,
    // with base RK4 steps of at most max_step (ms).
    template <class P>
    static adex_membrane lower(const P& p, double dt, const std::string& object, double max_step = max_step_ms) {
        sim::require_positive(p.C_m, object, "C_m", "pF");
        sim::require_positive(p.g_L, object, "g_L", "nS");
        sim::require_positive(p.tau_w, object, "tau_w", "ms");
        sim::require_nonnegative(p.Delta_T, object, "Delta_T", "mV");
        sim::require_nonnegative(p.t_ref, object, "t_ref", "ms");
        for (auto [v, n] : {std::pair{p.E_L, "E_L"}, {p.V_T, "V_T"}, {p.a, "a"}, {p.b, "b"}, {p.V_reset, "V_reset"},
                            {p.V_peak, "V_peak"}, {p.I_e, "I_e"}, {p.Delta_T, "Delta_T"}})
            sim::require_finite(v, object, n);
        if (!(p.V_peak >= p.V_T)) throw sim::parameter_error(object, "V_peak", "must be >= V_T");
        if (!(p.V_reset < p.V_peak)) throw sim::parameter_error(object, "V_reset", "must be below V_peak");
        if (p.Delta_T == 0.0 && !(p.V_reset < p.V_T))
            throw sim::parameter_error(object, "V_reset", "must be below V_T when Delta_T = 0 (V_T is the threshold)");
        if (p.Delta_T > 0.0) {
            const double max_exp_arg = std::log(std::numeric_limits<double>::max() / 1e20);
            if ((p.V_peak - p.V_T) / p.Delta_T >= max_exp_arg)
                throw sim::parameter_error(object, "Delta_T",
                                           "too small for V_peak - V_T: (V_peak - V_T)/Delta_T must be below " +
                                               std::to_string(max_exp_arg) +
                                               " or the exponential overflows; raise Delta_T or lower V_peak");
        }
        adex_membrane c{};
        c.inv_C = 1.0 / p.C_m;
        c.g_L = p.g_L;
        c.E_L = p.E_L;
        c.V_T = p.V_T;
        c.inv_Delta_T = p.Delta_T > 0.0 ? 1.0 / p.Delta_T : 0.0;
        c.gL_Delta_T = p.g_L * p.Delta_T;
        c.inv_tau_w = 1.0 / p.tau_w;
        c.a = p.a;
        c.b = p.b;
        c.V_reset = p.V_reset;
        c.V_peak = p.V_peak;
        c.V_spike = p.Delta_T > 0.0 ? p.V_peak : p.V_T;
        c.I_e = p.I_e;
        c.n_base = std::max(1, static_cast<int>(std::ceil(dt / max_step - 1e-9)));
        c.h = dt / c.n_base;
        c.hs = c.h / refine_substeps;
        c.V_stiff = p.Delta_T > 0.0 ? p.V_T + p.Delta_T * std::log(stiff_rate * p.C_m / (p.g_L * c.h))
                                    : std::numeric_limits<double>::infinity();
        c.Pw_dt = std::exp(-dt / p.tau_w);
        c.ref_steps = static_cast<std::int32_t>(std::llround(p.t_ref / dt));
        return c;
    }

    // Length of an interval.
    double length(adex_interval k) const noexcept {
        switch (k) {
        case adex_interval::base_half: return 0.5 * h;
        case adex_interval::base: return h;
        case adex_interval::sub_half: return 0.5 * hs;
        default: return hs;
        }
    }

    // Right-hand side under input d, evaluated at min(V, V_peak).
    void rhs(double V, double w, adex_drive d, double& dV, double& dw) const noexcept {
        const double Ve = std::min(V, V_peak);
        const double spike = gL_Delta_T * std::exp((Ve - V_T) * inv_Delta_T);
        dV = (-g_L * (Ve - E_L) + spike - w + d.A - d.G * Ve) * inv_C;
        dw = (a * (Ve - E_L) - w) * inv_tau_w;
    }

    // One RK4 step of length t; d0, dm, d1: input at the start, middle and end.
    void rk4(double& V, double& w, adex_drive d0, adex_drive dm, adex_drive d1, double t) const noexcept {
        double k1V, k1w, k2V, k2w, k3V, k3w, k4V, k4w;
        rhs(V, w, d0, k1V, k1w);
        rhs(V + 0.5 * t * k1V, w + 0.5 * t * k1w, dm, k2V, k2w);
        rhs(V + 0.5 * t * k2V, w + 0.5 * t * k2w, dm, k3V, k3w);
        rhs(V + t * k3V, w + t * k3w, d1, k4V, k4w);
        V += t / 6.0 * (k1V + 2.0 * k2V + 2.0 * k3V + k4V);
        w += t / 6.0 * (k1w + 2.0 * k2w + 2.0 * k3w + k4w);
    }

    // w relaxing towards a (V_reset - E_L) with V clamped, over time t.
    double clamped_w(double w, double t) const noexcept {
        const double w_inf = a * (V_reset - E_L);
        return w_inf + (w - w_inf) * std::exp(-t * inv_tau_w);
    }
    // The same over one engine step.
    double clamped_w_step(double w) const noexcept {
        const double w_inf = a * (V_reset - E_L);
        return w_inf + (w - w_inf) * Pw_dt;
    }

    // Time in [0, hs] at which V crosses the threshold inside a substep that starts at (va, wa) under
    // input da and ends at vb >= threshold. With Delta_T > 0, V' = A e^x + B with x = (V - V_T)/Delta_T
    // and the slow terms B frozen at their start value is integrated in closed form,
    // t = Delta_T/(A e^xa) (log1p(r) - log1p(r q))/r, r = B/(A e^xa), q = e^-(x_peak - xa); this stays
    // exact in the explosive regime where the RK4 end value is meaningless. Otherwise (Delta_T = 0,
    // or V' <= 0 at the start) linear interpolation.
    double crossing_time(double va, double wa, adex_drive da, double vb) const noexcept {
        if (!(va < V_spike)) return 0.0;
        double t = hs * (V_spike - va) / (vb - va);
        double dv, dw;
        rhs(va, wa, da, dv, dw);
        if (inv_Delta_T > 0.0 && dv > 0.0) {
            const double E = gL_Delta_T * inv_C * std::exp((va - V_T) * inv_Delta_T);
            const double r = (dv - E) / E;
            const double q = std::exp(-(V_peak - va) * inv_Delta_T);
            const double g = std::abs(r) < 1e-8 ? (1.0 - q) * (1.0 - 0.5 * r * (1.0 + q))
                                                : (std::log1p(r) - std::log1p(r * q)) / r;
            const double tx = g / (E * inv_Delta_T);
            if (std::isfinite(tx)) t = tx;
        }
        return std::isfinite(t) ? std::clamp(t, 0.0, hs) : hs;
    }

    // Advances a non-refractory neuron (v, w) with synaptic state s0 and external current I over
    // one engine step; returns whether it spiked. The caller advances the synaptic state itself.
    template <class S>
    bool integrate(const typename S::constants& sc, double& v, double& w, typename S::state s, double I) const noexcept {
        bool spiked = false, clamped = false;
        for (int j = 0; j < n_base && !clamped; ++j) {
            const auto s_half = S::decay(sc, s, adex_interval::base_half);
            const auto s_end = S::decay(sc, s, adex_interval::base);
            double v1 = v, w1 = w;
            rk4(v1, w1, S::drive(sc, s, I), S::drive(sc, s_half, I), S::drive(sc, s_end, I), h);
            if (spiked || (v1 < V_spike && std::max(v, v1) < V_stiff)) {
                v = v1;
                w = w1;
            } else {
                // Stiff or spiking: redo the step in substeps, reset at the crossing.
                auto ss = s;
                for (int k = 0; k < refine_substeps; ++k) {
                    const double va = v, wa = w;
                    const adex_drive da = S::drive(sc, ss, I);
                    const auto ss1 = S::decay(sc, ss, adex_interval::sub);
                    const adex_drive db = S::drive(sc, ss1, I);
                    rk4(v, w, da, S::drive(sc, S::decay(sc, ss, adex_interval::sub_half), I), db, hs);
                    ss = ss1;
                    if (spiked || v < V_spike) continue;
                    spiked = true;
                    const double tc = crossing_time(va, wa, da, v);
                    w = wa + (w - wa) * (tc / hs) + b;
                    v = V_reset;
                    const double left = hs - tc;
                    if (ref_steps > 0) {
                        // Clamped for the rest of this step, then for ref_steps steps.
                        w = clamped_w(w, left + (refine_substeps - 1 - k) * hs + (n_base - 1 - j) * h);
                        clamped = true;
                        break;
                    }
                    if (left > 0.0) rk4(v, w, db, db, db, left);
                }
            }
            s = s_end;
        }
        return spiked;
    }
};

} // namespace lamina::models
