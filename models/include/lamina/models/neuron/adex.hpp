#pragma once
// Adaptive exponential integrate-and-fire neuron with exponentially decaying synaptic currents
// (Brette & Gerstner 2005, J Neurophysiol 94:3637; NEST aeif_psc_exp).
//
//   C_m dV/dt   = -g_L (V - E_L) + g_L Delta_T exp((V - V_T)/Delta_T) - w + I_ex + I_in + I_e + I_ext
//   tau_w dw/dt = a (V - E_L) - w
//   dI_x/dt     = -I_x / tau_syn_x;  an input of weight w_syn (pA, any sign) does I_x += w_syn
//   V >= V_peak: spike, V <- V_reset, w <- w + b, V clamped at V_reset for t_ref
//   [V mV, t ms, C pF, g and a nS, w b I pA; NEST calls V_T "V_th"]
//
// Defaults are the published regular-spiking set (Brette & Gerstner 2005; NEST aeif_* defaults
// except V_reset, which here is E_L as in the Brian2 example): C_m 281 pF, g_L 30 nS, E_L -70.6 mV,
// V_T -50.4 mV, Delta_T 2 mV, tau_w 144 ms, a 4 nS, b 80.5 pA, V_reset -70.6 mV, V_peak 0 mV,
// t_ref 0; synaptic time constants 0.2 / 2 ms as NEST aeif_psc_exp.
//
// As in NEST, the right-hand side is evaluated at min(V, V_peak), which bounds the exponential
// (lower() refuses (V_peak - V_T)/Delta_T >= log(DBL_MAX/1e20)), and Delta_T = 0 is the LIF limit:
// the exponential term vanishes (no division: 1/Delta_T is stored as 0) and the spike threshold
// is V_T instead of V_peak.
//
// Scheme (fixed step, no error control): the synaptic currents decay exactly; (V, w) take classical
// RK4 steps of h = dt / ceil(dt / 0.1 ms) (one per engine step at dt <= 0.1 ms) that see the exact
// currents at the stage times. A step is redone from its start in 20 RK4 substeps of h/20 when it
// ends at or above the threshold or when V reaches V_stiff = V_T + Delta_T ln(0.2 C_m/(g_L h)),
// where the exponential's rate times h reaches 0.2 (-44.5 mV for the defaults at dt = 0.1); this
// resolves the runaway of the upswing, which a single 0.1 ms RK4 step can miss by a step. In the
// substep that reaches the threshold the crossing time is solved in closed form with the slow terms
// frozen (V' = A e^x + B, x = (V - V_T)/Delta_T; linear interpolation when Delta_T = 0); there
// V <- V_reset, w <- w + b, and the rest of the step is integrated from the reset state (or held
// at V_reset if t_ref > 0), as NEST's aeif models reset inside the step. The spike is stamped at
// the end of the engine step; at most one spike per neuron and step (a second crossing in the same
// step fires at the start of the next one). Cost: 4 exp per neuron and step, plus about 3 refined
// steps (80 exp each) per spike.
// Measured error at dt = 0.1 ms against RK4 at 1 us with bisected crossings (test_adex.cpp; RS set
// at 650-2000 pA and four Naud et al. 2008 sets, 500 ms, 196 spikes): every stamp is the end of the
// step containing the reference crossing, to within 3 us (stamp - t_ref in [0.0007, 0.1029] ms);
// V_m on the grid away from upswings within 0.01 mV; f-I rates within 0.015 %. The same holds at
// dt = 0.05 and 0.25 ms. Resetting at the end of the crossing substep instead (no crossing estimate)
// puts stamps up to 2 steps late after 50 spikes.
// Inputs of a step are added after the propagation, so they act from the end of the step.
#include "lamina/sim/neuron_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lamina::models {

struct adex {
    static constexpr std::string_view name = "adex";

    struct parameters {
        double C_m = 281.0;        // pF
        double g_L = 30.0;         // nS
        double E_L = -70.6;        // mV
        double V_T = -50.4;        // mV
        double Delta_T = 2.0;      // mV
        double tau_w = 144.0;      // ms
        double a = 4.0;            // nS
        double b = 80.5;           // pA
        double V_reset = -70.6;    // mV
        double V_peak = 0.0;       // mV
        double t_ref = 0.0;        // ms
        double tau_syn_ex = 0.2;   // ms
        double tau_syn_in = 2.0;   // ms
        double I_e = 0.0;          // pA
    };
    static constexpr std::array<sim::parameter_field<parameters>, 14> parameter_fields{{
        {"C_m", "pF", &parameters::C_m, "membrane capacitance"},
        {"g_L", "nS", &parameters::g_L, "leak conductance"},
        {"E_L", "mV", &parameters::E_L, "leak reversal potential"},
        {"V_T", "mV", &parameters::V_T, "threshold of the exponential term (NEST V_th)"},
        {"Delta_T", "mV", &parameters::Delta_T, "slope factor of the exponential term (0: LIF limit)"},
        {"tau_w", "ms", &parameters::tau_w, "adaptation time constant"},
        {"a", "nS", &parameters::a, "subthreshold adaptation conductance"},
        {"b", "pA", &parameters::b, "spike-triggered adaptation increment"},
        {"V_reset", "mV", &parameters::V_reset, "reset potential"},
        {"V_peak", "mV", &parameters::V_peak, "spike detection (cut-off) potential"},
        {"t_ref", "ms", &parameters::t_ref, "absolute refractory period"},
        {"tau_syn_ex", "ms", &parameters::tau_syn_ex, "excitatory synaptic current time constant"},
        {"tau_syn_in", "ms", &parameters::tau_syn_in, "inhibitory synaptic current time constant"},
        {"I_e", "pA", &parameters::I_e, "constant input current"},
    }};
    static constexpr std::array<std::string_view, 4> state_names{"V_m", "w", "I_syn_ex", "I_syn_in"};
    static constexpr std::array<sim::port_info, 2> ports{{{"excitatory", "pA", false}, {"inhibitory", "pA", false}}};

    // Base RK4 step bound, and substeps of a refined (spiking or stiff) base step.
    static constexpr double max_step_ms = 0.1;
    static constexpr int refine_substeps = 20;
    // A base step is refined when V reaches V_stiff, where the exponential term's rate
    // g_L/C_m exp((V - V_T)/Delta_T) times the base step reaches stiff_rate.
    static constexpr double stiff_rate = 0.2;

    struct constants {
        double inv_C, g_L, E_L, V_T, inv_Delta_T, gL_Delta_T, inv_tau_w, a, b;
        double V_reset, V_peak, V_spike, V_stiff, I_e;
        double h, hs;                                  // base step, refinement substep
        double Pex, Pex_half, Pin, Pin_half;           // current decay over h and h/2
        double Pex_s, Pex_s_half, Pin_s, Pin_s_half;   // over hs and hs/2
        double Pex_dt, Pin_dt, Pw_dt;                  // over the engine step
        int n_base;
        std::int32_t ref_steps;
    };

    static constants lower(const parameters& p, double dt, const std::string& object) {
        sim::require_positive(p.C_m, object, "C_m", "pF");
        sim::require_positive(p.g_L, object, "g_L", "nS");
        sim::require_positive(p.tau_w, object, "tau_w", "ms");
        sim::require_positive(p.tau_syn_ex, object, "tau_syn_ex", "ms");
        sim::require_positive(p.tau_syn_in, object, "tau_syn_in", "ms");
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
        constants c{};
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
        c.n_base = std::max(1, static_cast<int>(std::ceil(dt / max_step_ms - 1e-9)));
        c.h = dt / c.n_base;
        c.hs = c.h / refine_substeps;
        c.V_stiff = p.Delta_T > 0.0 ? p.V_T + p.Delta_T * std::log(stiff_rate * p.C_m / (p.g_L * c.h))
                                    : std::numeric_limits<double>::infinity();
        c.Pex = std::exp(-c.h / p.tau_syn_ex);
        c.Pex_half = std::exp(-0.5 * c.h / p.tau_syn_ex);
        c.Pin = std::exp(-c.h / p.tau_syn_in);
        c.Pin_half = std::exp(-0.5 * c.h / p.tau_syn_in);
        c.Pex_s = std::exp(-c.hs / p.tau_syn_ex);
        c.Pex_s_half = std::exp(-0.5 * c.hs / p.tau_syn_ex);
        c.Pin_s = std::exp(-c.hs / p.tau_syn_in);
        c.Pin_s_half = std::exp(-0.5 * c.hs / p.tau_syn_in);
        c.Pex_dt = std::exp(-dt / p.tau_syn_ex);
        c.Pin_dt = std::exp(-dt / p.tau_syn_in);
        c.Pw_dt = std::exp(-dt / p.tau_w);
        c.ref_steps = static_cast<std::int32_t>(std::llround(p.t_ref / dt));
        return c;
    }

    static double initial_value(const parameters& p, std::size_t var) { return var == 0 ? p.E_L : 0.0; }

    // Right-hand side at total current I (pA), evaluated at min(V, V_peak).
    static void rhs(const constants& c, double V, double w, double I, double& dV, double& dw) noexcept {
        const double Ve = std::min(V, c.V_peak);
        const double spike = c.gL_Delta_T * std::exp((Ve - c.V_T) * c.inv_Delta_T);
        dV = (-c.g_L * (Ve - c.E_L) + spike - w + I) * c.inv_C;
        dw = (c.a * (Ve - c.E_L) - w) * c.inv_tau_w;
    }

    // One RK4 step of length h; I0, Ih, I1: total current at the start, middle and end.
    static void rk4(const constants& c, double& V, double& w, double I0, double Ih, double I1, double h) noexcept {
        double k1V, k1w, k2V, k2w, k3V, k3w, k4V, k4w;
        rhs(c, V, w, I0, k1V, k1w);
        rhs(c, V + 0.5 * h * k1V, w + 0.5 * h * k1w, Ih, k2V, k2w);
        rhs(c, V + 0.5 * h * k2V, w + 0.5 * h * k2w, Ih, k3V, k3w);
        rhs(c, V + h * k3V, w + h * k3w, I1, k4V, k4w);
        V += h / 6.0 * (k1V + 2.0 * k2V + 2.0 * k3V + k4V);
        w += h / 6.0 * (k1w + 2.0 * k2w + 2.0 * k3w + k4w);
    }

    // w relaxing towards a (V_reset - E_L) with V clamped, over time t.
    static double clamped_w(const constants& c, double w, double t) noexcept {
        const double w_inf = c.a * (c.V_reset - c.E_L);
        return w_inf + (w - w_inf) * std::exp(-t * c.inv_tau_w);
    }

    // Time in [0, hs] at which V crosses the threshold inside a substep that starts at (va, wa) with
    // total current Ia and ends at vb >= threshold. With Delta_T > 0, V' = A e^x + B with
    // x = (V - V_T)/Delta_T and the slow terms B frozen at their start value is integrated in closed
    // form, t = Delta_T/(A e^xa) (log1p(r) - log1p(r q))/r, r = B/(A e^xa), q = e^-(x_peak - xa);
    // this stays exact in the explosive regime where the RK4 end value is meaningless. Otherwise
    // (Delta_T = 0, or V' <= 0 at the start) linear interpolation.
    static double crossing_time(const constants& c, double va, double wa, double Ia, double vb) noexcept {
        if (!(va < c.V_spike)) return 0.0;
        double t = c.hs * (c.V_spike - va) / (vb - va);
        double dv, dw;
        rhs(c, va, wa, Ia, dv, dw);
        if (c.inv_Delta_T > 0.0 && dv > 0.0) {
            const double E = c.gL_Delta_T * c.inv_C * std::exp((va - c.V_T) * c.inv_Delta_T);
            const double r = (dv - E) / E;
            const double q = std::exp(-(c.V_peak - va) * c.inv_Delta_T);
            const double g = std::abs(r) < 1e-8 ? (1.0 - q) * (1.0 - 0.5 * r * (1.0 + q))
                                                : (std::log1p(r) - std::log1p(r * q)) / r;
            const double tx = g / (E * c.inv_Delta_T);
            if (std::isfinite(tx)) t = tx;
        }
        return std::isfinite(t) ? std::clamp(t, 0.0, c.hs) : c.hs;
    }

    LAMINA_KERNEL static void advance(const constants& c, const sim::kernel_args<4, 2>& args, sim::spike_sink& sink) {
        double* __restrict V = args.state[0];
        double* __restrict W = args.state[1];
        double* __restrict Iex = args.state[2];
        double* __restrict Iin = args.state[3];
        std::int32_t* __restrict r = args.refractory;
        const double* __restrict ex = args.input[0];
        const double* __restrict in = args.input[1];
        const double* __restrict I = args.current;
        for (std::size_t i = args.begin; i < args.end; ++i) {
            double v = V[i], w = W[i];
            const double e0 = Iex[i], n0 = Iin[i];
            bool spiked = false;
            if (r[i] > 0) {
                // Refractory: V held at V_reset, w relaxes exactly, currents decay.
                --r[i];
                v = c.V_reset;
                const double w_inf = c.a * (c.V_reset - c.E_L);
                w = w_inf + (w - w_inf) * c.Pw_dt;
            } else {
                const double D = c.I_e + I[i];
                double e = e0, n = n0;
                bool clamped = false;
                for (int j = 0; j < c.n_base && !clamped; ++j) {
                    double v1 = v, w1 = w;
                    rk4(c, v1, w1, e + n + D, e * c.Pex_half + n * c.Pin_half + D, e * c.Pex + n * c.Pin + D, c.h);
                    if (spiked || (v1 < c.V_spike && std::max(v, v1) < c.V_stiff)) {
                        v = v1;
                        w = w1;
                    } else {
                        // Stiff or spiking: redo the step in substeps, reset at the crossing.
                        double es = e, ns = n;
                        for (int k = 0; k < refine_substeps; ++k) {
                            const double va = v, wa = w;
                            const double Ia = es + ns + D;
                            const double es1 = es * c.Pex_s, ns1 = ns * c.Pin_s;
                            const double Ib = es1 + ns1 + D;
                            rk4(c, v, w, Ia, es * c.Pex_s_half + ns * c.Pin_s_half + D, Ib, c.hs);
                            es = es1;
                            ns = ns1;
                            if (spiked || v < c.V_spike) continue;
                            spiked = true;
                            const double tc = crossing_time(c, va, wa, Ia, v);
                            w = wa + (w - wa) * (tc / c.hs) + c.b;
                            v = c.V_reset;
                            const double left = c.hs - tc;
                            if (c.ref_steps > 0) {
                                // Clamped for the rest of this step, then for ref_steps steps.
                                w = clamped_w(c, w, left + (refine_substeps - 1 - k) * c.hs + (c.n_base - 1 - j) * c.h);
                                clamped = true;
                                break;
                            }
                            if (left > 0.0) rk4(c, v, w, Ib, Ib, Ib, left);
                        }
                    }
                    e *= c.Pex;
                    n *= c.Pin;
                }
                if (spiked) r[i] = c.ref_steps;
            }
            V[i] = v;
            W[i] = w;
            Iex[i] = c.Pex_dt * e0 + ex[i];
            Iin[i] = c.Pin_dt * n0 + in[i];
            if (spiked) sink.push(static_cast<std::uint32_t>(i));
        }
    }
};

} // namespace lamina::models
