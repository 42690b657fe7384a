#pragma once
// Adaptive exponential integrate-and-fire neuron with exponentially decaying synaptic conductances
// (Brette & Gerstner 2005, J Neurophysiol 94:3637; NEST aeif_cond_exp).
//
//   C_m dV/dt   = -g_L (V - E_L) + g_L Delta_T exp((V - V_T)/Delta_T) - w
//                 - g_ex (V - E_ex) - g_in (V - E_in) + I_e + I_ext
//   tau_w dw/dt = a (V - E_L) - w
//   dg_x/dt     = -g_x / tau_syn_x;  an input of weight w_syn (nS, >= 0) does g_x += w_syn
//   V >= V_peak: spike, V <- V_reset, w <- w + b, V clamped at V_reset for t_ref
//   [V mV, t ms, C pF, g and a nS, w b I pA; NEST calls V_T "V_th"]
//
// Defaults are NEST's aeif_cond_exp: C_m 281 pF, g_L 30 nS, E_L -70.6 mV, V_T -50.4 mV,
// Delta_T 2 mV, tau_w 144 ms, a 4 nS, b 80.5 pA, V_reset -60 mV, V_peak 0 mV, t_ref 0 ms,
// E_ex 0 mV, E_in -85 mV, tau_syn_ex 0.2 ms, tau_syn_in 2 ms.
//
// Scheme: the AdEx integrator of `adex` (adex_integration.hpp; RK4 at <= 0.1 ms and at most a
// quarter of the shorter tau_syn, so 0.05 ms for the defaults, with refined spiking steps and a
// closed-form crossing time), with the conductances decaying exactly between the RK4 stages; as in NEST the right-hand side, driving forces included, is evaluated at
// min(V, V_peak). Measured against an RK4 reference at 1 us in tests/models/test_adex_cond.cpp.
// Inputs of a step are added after the propagation, so they act from the end of the step.
#include "lamina/models/neuron/adex_integration.hpp"
#include "lamina/sim/neuron_model.hpp"

#include <algorithm>
#include <cmath>

namespace lamina::models {

// Parameters of the conductance-based AdEx models (adex_cond_exp, adex_cond_alpha).
struct adex_cond_parameters {
    double C_m = 281.0;        // pF
    double g_L = 30.0;         // nS
    double E_L = -70.6;        // mV
    double V_T = -50.4;        // mV
    double Delta_T = 2.0;      // mV
    double tau_w = 144.0;      // ms
    double a = 4.0;            // nS
    double b = 80.5;           // pA
    double V_reset = -60.0;    // mV
    double V_peak = 0.0;       // mV
    double t_ref = 0.0;        // ms
    double E_ex = 0.0;         // mV
    double E_in = -85.0;       // mV
    double tau_syn_ex = 0.2;   // ms
    double tau_syn_in = 2.0;   // ms
    double I_e = 0.0;          // pA
};

inline constexpr std::array<sim::parameter_field<adex_cond_parameters>, 16> adex_cond_parameter_fields{{
    {"C_m", "pF", &adex_cond_parameters::C_m, "membrane capacitance"},
    {"g_L", "nS", &adex_cond_parameters::g_L, "leak conductance"},
    {"E_L", "mV", &adex_cond_parameters::E_L, "leak reversal potential"},
    {"V_T", "mV", &adex_cond_parameters::V_T, "threshold of the exponential term (NEST V_th)"},
    {"Delta_T", "mV", &adex_cond_parameters::Delta_T, "slope factor of the exponential term (0: LIF limit)"},
    {"tau_w", "ms", &adex_cond_parameters::tau_w, "adaptation time constant"},
    {"a", "nS", &adex_cond_parameters::a, "subthreshold adaptation conductance"},
    {"b", "pA", &adex_cond_parameters::b, "spike-triggered adaptation increment"},
    {"V_reset", "mV", &adex_cond_parameters::V_reset, "reset potential"},
    {"V_peak", "mV", &adex_cond_parameters::V_peak, "spike detection (cut-off) potential"},
    {"t_ref", "ms", &adex_cond_parameters::t_ref, "absolute refractory period"},
    {"E_ex", "mV", &adex_cond_parameters::E_ex, "excitatory reversal potential"},
    {"E_in", "mV", &adex_cond_parameters::E_in, "inhibitory reversal potential"},
    {"tau_syn_ex", "ms", &adex_cond_parameters::tau_syn_ex, "excitatory conductance time constant"},
    {"tau_syn_in", "ms", &adex_cond_parameters::tau_syn_in, "inhibitory conductance time constant"},
    {"I_e", "pA", &adex_cond_parameters::I_e, "constant input current"},
}};

// Validates the parameters of a conductance-based AdEx model and lowers its membrane. The base RK4
// step is at most a quarter of the shorter synaptic time constant: the conductance multiplies V,
// and at h = tau_syn/2 (0.1 ms against NEST's default 0.2 ms) RK4 misses 1-2 % of a large PSP
// (measured: 0.13 mV with 7 mV PSPs every 1 ms), at h = tau_syn/4 0.013 mV (test_adex_cond.cpp).
inline adex_membrane lower_adex_cond_membrane(const adex_cond_parameters& p, double dt, const std::string& object) {
    sim::require_positive(p.tau_syn_ex, object, "tau_syn_ex", "ms");
    sim::require_positive(p.tau_syn_in, object, "tau_syn_in", "ms");
    sim::require_finite(p.E_ex, object, "E_ex");
    sim::require_finite(p.E_in, object, "E_in");
    const double max_step = std::min(adex_membrane::max_step_ms, 0.25 * std::min(p.tau_syn_ex, p.tau_syn_in));
    return adex_membrane::lower(p, dt, object, max_step);
}

// Exponentially decaying conductances as seen by the AdEx integrator.
struct adex_exp_conductances {
    struct state {
        double ex, in;  // nS
    };
    struct constants {
        double E_ex, E_in;
        double P_ex[4], P_in[4];  // decay over each adex_interval
    };
    static constants lower(const adex_cond_parameters& p, const adex_membrane& m) {
        constants c{p.E_ex, p.E_in, {}, {}};
        for (int k = 0; k < 4; ++k) {
            const double t = m.length(static_cast<adex_interval>(k));
            c.P_ex[k] = std::exp(-t / p.tau_syn_ex);
            c.P_in[k] = std::exp(-t / p.tau_syn_in);
        }
        return c;
    }
    static adex_drive drive(const constants& c, const state& s, double I) noexcept {
        return {s.ex * c.E_ex + s.in * c.E_in + I, s.ex + s.in};
    }
    static state decay(const constants& c, const state& s, adex_interval k) noexcept {
        const int i = static_cast<int>(k);
        return {s.ex * c.P_ex[i], s.in * c.P_in[i]};
    }
};

struct adex_cond_exp {
    static constexpr std::string_view name = "adex_cond_exp";

    using parameters = adex_cond_parameters;
    static constexpr const auto& parameter_fields = adex_cond_parameter_fields;
    static constexpr std::array<std::string_view, 4> state_names{"V_m", "w", "g_ex", "g_in"};
    static constexpr std::array<sim::port_info, 2> ports{{{"excitatory", "nS", true}, {"inhibitory", "nS", true}}};

    struct constants {
        adex_membrane m;
        adex_exp_conductances::constants syn;
        double Pex_dt, Pin_dt;  // conductance decay over the engine step
    };

    static constants lower(const parameters& p, double dt, const std::string& object) {
        constants c{};
        c.m = lower_adex_cond_membrane(p, dt, object);
        c.syn = adex_exp_conductances::lower(p, c.m);
        c.Pex_dt = std::exp(-dt / p.tau_syn_ex);
        c.Pin_dt = std::exp(-dt / p.tau_syn_in);
        return c;
    }

    static double initial_value(const parameters& p, std::size_t var) { return var == 0 ? p.E_L : 0.0; }

    LAMINA_KERNEL static void advance(const constants& c, const sim::kernel_args<4, 2>& args, sim::spike_sink& sink) {
        double* __restrict V = args.state[0];
        double* __restrict W = args.state[1];
        double* __restrict Gex = args.state[2];
        double* __restrict Gin = args.state[3];
        std::int32_t* __restrict r = args.refractory;
        const double* __restrict ex = args.input[0];
        const double* __restrict in = args.input[1];
        const double* __restrict I = args.current;
        for (std::size_t i = args.begin; i < args.end; ++i) {
            double v = V[i], w = W[i];
            const double e0 = Gex[i], n0 = Gin[i];
            bool spiked = false;
            if (r[i] > 0) {
                --r[i];
                v = c.m.V_reset;
                w = c.m.clamped_w_step(w);
            } else {
                spiked = c.m.integrate<adex_exp_conductances>(c.syn, v, w, {e0, n0}, c.m.I_e + I[i]);
                if (spiked) r[i] = c.m.ref_steps;
            }
            V[i] = v;
            W[i] = w;
            Gex[i] = c.Pex_dt * e0 + ex[i];
            Gin[i] = c.Pin_dt * n0 + in[i];
            if (spiked) sink.push(static_cast<std::uint32_t>(i));
        }
    }
};

} // namespace lamina::models
