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
// Scheme: the synaptic currents decay exactly; (V, w) take classical RK4 steps of h = dt / ceil(dt /
// 0.1 ms) (one step per engine step at dt <= 0.1 ms) that see the exact currents at the stage
// times. When a step ends at or above the threshold, that step is redone from its start in 20
// RK4 substeps of h/20; the reset (V <- V_reset, w <- w + b) happens at the end of the first
// substep that reaches the threshold and the rest of the step is integrated from the reset state
// (clamped if t_ref > 0), as NEST's aeif models reset inside the step. So the reset lands within
// h/20 of the crossing and adaptation accumulates without the half-step bias of a grid reset; the
// spike itself is stamped at the end of the engine step. At most one spike per neuron and step:
// a second crossing in the same step fires at the start of the next one.
// Measured error at dt = 0.1 ms against RK4 at 1 us with the reset at the crossing
// (tests/models/test_adex.cpp, regular-spiking set, 700-2000 pA, 500 ms): every one of the
// spike stamps is the reference crossing time rounded up to the grid or one step later
// (stamp - t_ref in [0, 0.2) ms), f-I rates agree to < 0.1 %.
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

    // Base RK4 step bound and refinement substeps of a step that reaches the threshold.
    static constexpr double max_step_ms = 0.1;
    static constexpr int refine_substeps = 20;

    struct constants {
        double inv_C, g_L, E_L, V_T, inv_Delta_T, gL_Delta_T, inv_tau_w, tau_w, a, b;
        double V_reset, V_peak, V_spike, I_e;
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
        c.tau_w = p.tau_w;
        c.a = p.a;
        c.b = p.b;
        c.V_reset = p.V_reset;
        c.V_peak = p.V_peak;
        c.V_spike = p.Delta_T > 0.0 ? p.V_peak : p.V_T;
        c.I_e = p.I_e;
        c.n_base = std::max(1, static_cast<int>(std::ceil(dt / max_step_ms - 1e-9)));
        c.h = dt / c.n_base;
        c.hs = c.h / refine_substeps;
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

    static void advance(const constants& c, const sim::kernel_args<4, 2>& args, sim::spike_sink& sink) {
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
                for (int j = 0; j < c.n_base; ++j) {
                    if (clamped) break;
                    double v1 = v, w1 = w;
                    rk4(c, v1, w1, e + n + D, e * c.Pex_half + n * c.Pin_half + D, e * c.Pex + n * c.Pin + D, c.h);
                    if (!(v1 < c.V_spike) && !spiked) {
                        // Redo the step in substeps and reset at the crossing.
                        double es = e, ns = n;
                        for (int k = 0; k < refine_substeps; ++k) {
                            if (clamped) break;
                            rk4(c, v, w, es + ns + D, es * c.Pex_s_half + ns * c.Pin_s_half + D,
                                es * c.Pex_s + ns * c.Pin_s + D, c.hs);
                            es *= c.Pex_s;
                            ns *= c.Pin_s;
                            if (!spiked && !(v < c.V_spike)) {
                                spiked = true;
                                v = c.V_reset;
                                w += c.b;
                                if (c.ref_steps > 0) {
                                    // Clamped for the rest of this step, then ref_steps steps.
                                    const double rest = (refine_substeps - 1 - k) * c.hs + (c.n_base - 1 - j) * c.h;
                                    w = clamped_w(c, w, rest);
                                    clamped = true;
                                }
                            }
                        }
                    } else {
                        v = v1;
                        w = w1;
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
