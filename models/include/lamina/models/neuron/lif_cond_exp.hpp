#pragma once
// Leaky integrate-and-fire neuron with exponentially decaying synaptic conductances
// (NEST iaf_cond_exp; the Vogels & Abbott 2005 network of Brette et al. 2007, benchmark 1).
//
//   C_m dV/dt = -g_L (V - E_L) - g_ex (V - E_ex) - g_in (V - E_in) + I_e + I_ext   [mV, ms, pF, nS, pA]
//   dg_x/dt   = -g_x / tau_syn_x;  an input of weight w (nS, >= 0) does g_x += w
//   V >= V_th: spike, V <- V_reset, clamped there for t_ref (whole steps); conductances keep decaying
//
// Scheme: the conductances decay exactly (g <- g exp(-h/tau)); V takes one Heun (explicit
// trapezoidal, second-order) step that uses the exact conductances at both ends of the step:
//   k1 = f(V, g(t)),  k2 = f(V + h k1, g(t + h)),  V <- V + h (k1 + k2) / 2.
// Local error O(h^3), global O(h^2); stable while h (g_L + g_ex + g_in) / C_m < 2. The validation
// test bounds the voltage error against an RK4 solution at h/100 (tests/models/test_lif_cond_exp.cpp).
// NEST integrates this model with adaptive RKF45; Brian2's COBA example uses forward Euler.
// Inputs of a step are added after the propagation, so they act from the end of the step.
#include "lamina/sim/neuron_model.hpp"

#include <cmath>

namespace lamina::models {

struct lif_cond_exp {
    static constexpr std::string_view name = "lif_cond_exp";

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
        {"tau_syn_ex", "ms", &parameters::tau_syn_ex, "excitatory conductance time constant"},
        {"tau_syn_in", "ms", &parameters::tau_syn_in, "inhibitory conductance time constant"},
        {"I_e", "pA", &parameters::I_e, "constant input current"},
    }};
    static constexpr std::array<std::string_view, 3> state_names{"V_m", "g_ex", "g_in"};
    static constexpr std::array<sim::port_info, 2> ports{{{"excitatory", "nS", true}, {"inhibitory", "nS", true}}};

    // advance() clears the input slots it reads (saves the engine a separate pass).
    static constexpr bool clears_input = true;

    struct constants {
        double h, inv_C, g_L, E_L, E_ex, E_in, V_th, V_reset, I_e, P_ex, P_in;
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
        return {dt,      1.0 / p.C_m, p.g_L, p.E_L, p.E_ex, p.E_in, p.V_th, p.V_reset, p.I_e,
                std::exp(-dt / p.tau_syn_ex), std::exp(-dt / p.tau_syn_in),
                static_cast<std::int32_t>(std::llround(p.t_ref / dt))};
    }

    static double initial_value(const parameters& p, std::size_t var) { return var == 0 ? p.E_L : 0.0; }

    LAMINA_KERNEL static void advance(const constants& c, const sim::kernel_args<3, 2>& a, sim::spike_sink& sink) {
        double* __restrict V = a.state[0];
        double* __restrict ge = a.state[1];
        double* __restrict gi = a.state[2];
        std::int32_t* __restrict r = a.refractory;
        double* __restrict ex = a.input[0];
        double* __restrict in = a.input[1];
        const double* __restrict I = a.current;
        const std::size_t begin = a.begin, end = a.end;
        const double hC = c.h * c.inv_C;
        LAMINA_SIMD
        for (std::size_t i = begin; i < end; ++i) {
            const double v = V[i];
            const double ge0 = ge[i], gi0 = gi[i];
            const double ge1 = ge0 * c.P_ex, gi1 = gi0 * c.P_in;
            const double drive = c.I_e + I[i];
            const double k1 = -c.g_L * (v - c.E_L) - ge0 * (v - c.E_ex) - gi0 * (v - c.E_in) + drive;
            const double vp = v + hC * k1;
            const double k2 = -c.g_L * (vp - c.E_L) - ge1 * (vp - c.E_ex) - gi1 * (vp - c.E_in) + drive;
            V[i] = sim::hold_refractory(r[i], v + 0.5 * hC * (k1 + k2), c.V_reset);
            ge[i] = ge1 + ex[i];
            gi[i] = gi1 + in[i];
            ex[i] = 0.0;
            in[i] = 0.0;
        }
        sim::fire_at_threshold(V, r, begin, end, c.V_reset, c.V_th, c.ref_steps, sink);
    }
};

} // namespace lamina::models
