#pragma once
// Adaptive exponential integrate-and-fire neuron with alpha-shaped synaptic conductances
// (Brette & Gerstner 2005; NEST aeif_cond_alpha).
//
//   C_m dV/dt   = -g_L (V - E_L) + g_L Delta_T exp((V - V_T)/Delta_T) - w
//                 - g_ex (V - E_ex) - g_in (V - E_in) + I_e + I_ext
//   tau_w dw/dt = a (V - E_L) - w
//   dg_x/dt     = dg_x - g_x / tau_syn_x,   d(dg_x)/dt = -dg_x / tau_syn_x
//   an input of weight w_syn (nS, >= 0) does dg_x += e w_syn / tau_syn_x, so that
//   g_x(t) = w_syn (t/tau_syn_x) e^(1 - t/tau_syn_x), peaking at w_syn at t = tau_syn_x (as NEST)
//   V >= V_peak: spike, V <- V_reset, w <- w + b, V clamped at V_reset for t_ref
//   [V mV, t ms, C pF, g and a nS, dg nS/ms, w b I pA]
//
// Parameters and defaults are those of adex_cond_exp (NEST aeif_cond_alpha has the same).
// Scheme: the AdEx integrator of `adex` (adex_integration.hpp; base step bounded as in
// adex_cond_exp), with the alpha conductances
// evolving exactly between the RK4 stages: over a time t, g <- (g + dg t) e^(-t/tau),
// dg <- dg e^(-t/tau). Measured against an RK4 reference at 1 us in tests/models/test_adex_cond.cpp.
// Inputs of a step are added after the propagation, so they act from the end of the step.
#include "lamina/models/neuron/adex_cond_exp.hpp"

#include <cmath>
#include <numbers>

namespace lamina::models {

// Alpha conductances as seen by the AdEx integrator.
struct adex_alpha_conductances {
    struct state {
        double ex, dex, in, din;  // nS, nS/ms
    };
    struct constants {
        double E_ex, E_in;
        double t[4], P_ex[4], P_in[4];  // length of, and decay over, each adex_interval
    };
    static constants lower(const adex_cond_parameters& p, const adex_membrane& m) {
        constants c{p.E_ex, p.E_in, {}, {}, {}};
        for (int k = 0; k < 4; ++k) {
            c.t[k] = m.length(static_cast<adex_interval>(k));
            c.P_ex[k] = std::exp(-c.t[k] / p.tau_syn_ex);
            c.P_in[k] = std::exp(-c.t[k] / p.tau_syn_in);
        }
        return c;
    }
    static adex_drive drive(const constants& c, const state& s, double I) noexcept {
        return {s.ex * c.E_ex + s.in * c.E_in + I, s.ex + s.in};
    }
    static state decay(const constants& c, const state& s, adex_interval k) noexcept {
        const int i = static_cast<int>(k);
        return {(s.ex + s.dex * c.t[i]) * c.P_ex[i], s.dex * c.P_ex[i], (s.in + s.din * c.t[i]) * c.P_in[i],
                s.din * c.P_in[i]};
    }
};

struct adex_cond_alpha {
    static constexpr std::string_view name = "adex_cond_alpha";

    using parameters = adex_cond_parameters;
    static constexpr const auto& parameter_fields = adex_cond_parameter_fields;
    static constexpr std::array<std::string_view, 6> state_names{"V_m", "w", "g_ex", "g_in", "dg_ex", "dg_in"};
    static constexpr std::array<sim::port_info, 2> ports{{{"excitatory", "nS", true}, {"inhibitory", "nS", true}}};

    struct constants {
        adex_membrane m;
        adex_alpha_conductances::constants syn;
        double dt, Pex_dt, Pin_dt;  // engine step, conductance decay over it
        double kick_ex, kick_in;    // e / tau_syn: dg per nS of weight
    };

    static constants lower(const parameters& p, double dt, const std::string& object) {
        constants c{};
        c.m = lower_adex_cond_membrane(p, dt, object);
        c.syn = adex_alpha_conductances::lower(p, c.m);
        c.dt = dt;
        c.Pex_dt = std::exp(-dt / p.tau_syn_ex);
        c.Pin_dt = std::exp(-dt / p.tau_syn_in);
        c.kick_ex = std::numbers::e / p.tau_syn_ex;
        c.kick_in = std::numbers::e / p.tau_syn_in;
        return c;
    }

    static double initial_value(const parameters& p, std::size_t var) { return var == 0 ? p.E_L : 0.0; }

    LAMINA_KERNEL static void advance(const constants& c, const sim::kernel_args<6, 2>& args, sim::spike_sink& sink) {
        double* __restrict V = args.state[0];
        double* __restrict W = args.state[1];
        double* __restrict Gex = args.state[2];
        double* __restrict Gin = args.state[3];
        double* __restrict dGex = args.state[4];
        double* __restrict dGin = args.state[5];
        std::int32_t* __restrict r = args.refractory;
        const double* __restrict ex = args.input[0];
        const double* __restrict in = args.input[1];
        const double* __restrict I = args.current;
        for (std::size_t i = args.begin; i < args.end; ++i) {
            double v = V[i], w = W[i];
            const adex_alpha_conductances::state s0{Gex[i], dGex[i], Gin[i], dGin[i]};
            bool spiked = false;
            if (r[i] > 0) {
                --r[i];
                v = c.m.V_reset;
                w = c.m.clamped_w_step(w);
            } else {
                spiked = c.m.integrate<adex_alpha_conductances>(c.syn, v, w, s0, c.m.I_e + I[i]);
                if (spiked) r[i] = c.m.ref_steps;
            }
            V[i] = v;
            W[i] = w;
            Gex[i] = (s0.ex + s0.dex * c.dt) * c.Pex_dt;
            Gin[i] = (s0.in + s0.din * c.dt) * c.Pin_dt;
            dGex[i] = s0.dex * c.Pex_dt + c.kick_ex * ex[i];
            dGin[i] = s0.din * c.Pin_dt + c.kick_in * in[i];
            if (spiked) sink.push(static_cast<std::uint32_t>(i));
        }
    }
};

} // namespace lamina::models
