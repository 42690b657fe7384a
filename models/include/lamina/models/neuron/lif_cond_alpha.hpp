#pragma once
// Leaky integrate-and-fire neuron with alpha-shaped synaptic conductances (NEST iaf_cond_alpha).
//
//   C_m dV/dt  = -g_L (V - E_L) - g_ex (V - E_ex) - g_in (V - E_in) + I_e + I_ext   [mV, ms, pF, nS, pA]
//   dg_x/dt    = dg_x - g_x / tau_syn_x,   d(dg_x)/dt = -dg_x / tau_syn_x            [dg in nS/ms]
//   an input of weight w (nS, >= 0) does dg_x += e w / tau_syn_x, so that
//   g_x(t) = w (t/tau_syn_x) e^(1 - t/tau_syn_x), peaking at w at t = tau_syn_x (as NEST)
//   V >= V_th: spike, V <- V_reset, clamped there for t_ref (whole steps); conductances keep evolving
//
// Defaults are NEST's iaf_cond_alpha: C_m 250 pF, g_L 16.6667 nS, E_L -70, E_ex 0, E_in -85,
// V_th -55, V_reset -60 mV, t_ref 2 ms, tau_syn_ex 0.2 ms, tau_syn_in 2 ms.
//
// Scheme: the conductances evolve exactly (over a time t: g <- (g + dg t) e^(-t/tau),
// dg <- dg e^(-t/tau)); V takes one classical RK4 step per engine step that sees the exact
// conductances at the start, middle and end of the step. The alpha conductance of the default
// 0.2 ms synapse rises and falls within two 0.1 ms steps, which the second-order Heun step of
// lif_cond_exp would resolve poorly; RK4 costs two more right-hand sides and no exp per neuron.
// Local error O(h^5); stable while h (g_L + g_ex + g_in) / C_m < 2.78. NEST integrates this model
// with adaptive RKF45. The validation test bounds the voltage error against an RK4 solution at h/100
// (tests/models/test_lif_cond_alpha.cpp).
// Inputs of a step are added after the propagation, so they act from the end of the step.
#include "lamina/sim/neuron_model.hpp"

#include <cmath>
#include <numbers>

namespace lamina::models {

struct lif_cond_alpha {
    static constexpr std::string_view name = "lif_cond_alpha";

    struct parameters {
        double C_m = 250.0;         // pF
        double g_L = 16.6667;       // nS
        double E_L = -70.0;         // mV
        double E_ex = 0.0;          // mV
        double E_in = -85.0;        // mV
        double V_th = -55.0;        // mV
        double V_reset = -60.0;     // mV
        double t_ref = 2.0;         // ms
        double tau_syn_ex = 0.2;    // ms
        double tau_syn_in = 2.0;    // ms
        double I_e = 0.0;           // pA
    };
    static constexpr std::array<sim::parameter_field<parameters>, 11> parameter_fields{{
        {"C_m", "pF", &parameters::C_m, "membrane capacitance"},
        {"g_L", "nS", &parameters::g_L, "leak conductance"},
        {"E_L", "mV", &parameters::E_L, "leak reversal potential"},
        {"E_ex", "mV", &parameters::E_ex, "excitatory reversal potential"},
        {"E_in", "mV", &parameters::E_in, "inhibitory reversal potential"},
        {"V_th", "mV", &parameters::V_th, "spike threshold"},
        {"V_reset", "mV", &parameters::V_reset, "reset potential"},
        {"t_ref", "ms", &parameters::t_ref, "absolute refractory period"},
        {"tau_syn_ex", "ms", &parameters::tau_syn_ex, "rise time of the excitatory alpha conductance (time to peak)"},
        {"tau_syn_in", "ms", &parameters::tau_syn_in, "rise time of the inhibitory alpha conductance (time to peak)"},
        {"I_e", "pA", &parameters::I_e, "constant input current"},
    }};
    static constexpr std::array<std::string_view, 5> state_names{"V_m", "g_ex", "g_in", "dg_ex", "dg_in"};
    static constexpr std::array<sim::port_info, 2> ports{{{"excitatory", "nS", true}, {"inhibitory", "nS", true}}};

    // advance() clears the input slots it reads (saves the engine a separate pass).
    static constexpr bool clears_input = true;

    struct constants {
        double h, inv_C, g_L, E_L, E_ex, E_in, V_th, V_reset, I_e;
        double Pex, Pex_half, Pin, Pin_half, kick_ex, kick_in;
        std::int32_t ref_steps;
    };

    static constants lower(const parameters& p, double dt, const std::string& object) {
        sim::require_positive(p.C_m, object, "C_m", "pF");
        sim::require_positive(p.g_L, object, "g_L", "nS");
        sim::require_positive(p.tau_syn_ex, object, "tau_syn_ex", "ms");
        sim::require_positive(p.tau_syn_in, object, "tau_syn_in", "ms");
        sim::require_nonnegative(p.t_ref, object, "t_ref", "ms");
        for (auto [v, n] : {std::pair{p.E_L, "E_L"}, {p.E_ex, "E_ex"}, {p.E_in, "E_in"}, {p.V_th, "V_th"},
                            {p.V_reset, "V_reset"}, {p.I_e, "I_e"}})
            sim::require_finite(v, object, n);
        if (!(p.V_reset < p.V_th)) throw sim::parameter_error(object, "V_reset", "must be below V_th");
        return {dt,
                1.0 / p.C_m,
                p.g_L,
                p.E_L,
                p.E_ex,
                p.E_in,
                p.V_th,
                p.V_reset,
                p.I_e,
                std::exp(-dt / p.tau_syn_ex),
                std::exp(-0.5 * dt / p.tau_syn_ex),
                std::exp(-dt / p.tau_syn_in),
                std::exp(-0.5 * dt / p.tau_syn_in),
                std::numbers::e / p.tau_syn_ex,
                std::numbers::e / p.tau_syn_in,
                static_cast<std::int32_t>(std::llround(p.t_ref / dt))};
    }

    static double initial_value(const parameters& p, std::size_t var) { return var == 0 ? p.E_L : 0.0; }

    LAMINA_KERNEL static void advance(const constants& c, const sim::kernel_args<5, 2>& a, sim::spike_sink& sink) {
        double* __restrict V = a.state[0];
        double* __restrict ge = a.state[1];
        double* __restrict gi = a.state[2];
        double* __restrict dge = a.state[3];
        double* __restrict dgi = a.state[4];
        std::int32_t* __restrict r = a.refractory;
        double* __restrict ex = a.input[0];
        double* __restrict in = a.input[1];
        const double* __restrict I = a.current;
        const std::size_t begin = a.begin, end = a.end;
        const double h = c.h, hC = c.h * c.inv_C, hh = 0.5 * c.h;
        LAMINA_SIMD
        for (std::size_t i = begin; i < end; ++i) {
            const double v = V[i];
            const double e0 = ge[i], i0 = gi[i], de = dge[i], di = dgi[i];
            const double em = (e0 + de * hh) * c.Pex_half, im = (i0 + di * hh) * c.Pin_half;
            const double e1 = (e0 + de * h) * c.Pex, i1 = (i0 + di * h) * c.Pin;
            const double drive = c.I_e + I[i];
            const double k1 = -c.g_L * (v - c.E_L) - e0 * (v - c.E_ex) - i0 * (v - c.E_in) + drive;
            const double v2 = v + 0.5 * hC * k1;
            const double k2 = -c.g_L * (v2 - c.E_L) - em * (v2 - c.E_ex) - im * (v2 - c.E_in) + drive;
            const double v3 = v + 0.5 * hC * k2;
            const double k3 = -c.g_L * (v3 - c.E_L) - em * (v3 - c.E_ex) - im * (v3 - c.E_in) + drive;
            const double v4 = v + hC * k3;
            const double k4 = -c.g_L * (v4 - c.E_L) - e1 * (v4 - c.E_ex) - i1 * (v4 - c.E_in) + drive;
            V[i] = sim::hold_refractory(r[i], v + hC / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4), c.V_reset);
            ge[i] = e1;
            gi[i] = i1;
            dge[i] = de * c.Pex + c.kick_ex * ex[i];
            dgi[i] = di * c.Pin + c.kick_in * in[i];
            ex[i] = 0.0;
            in[i] = 0.0;
        }
        sim::fire_at_threshold(V, r, begin, end, c.V_reset, c.V_th, c.ref_steps, sink);
    }
};

} // namespace lamina::models
