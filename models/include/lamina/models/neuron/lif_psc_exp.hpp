#pragma once
// Leaky integrate-and-fire neuron with exponentially decaying synaptic currents (NEST iaf_psc_exp).
//
//   C_m dV/dt = -C_m/tau_m (V - E_L) + I_ex + I_in + I_e + I_ext     [mV, ms, pF, pA]
//   dI_x/dt   = -I_x / tau_syn_x;  an input of weight w (pA) does I_x += w
//   V >= V_th: spike, V <- V_reset, clamped there for t_ref (whole steps); currents keep evolving
//
// Exact integration (Rotter & Diesmann 1999): with y = V - E_L and step h,
//   y <- P22 y + P21_ex I_ex + P21_in I_in + P20 (I_e + I_ext),   I_x <- P11_x I_x + inputs
//   P11_x = exp(-h/tau_x), P22 = exp(-h/tau_m), P20 = tau_m/C_m (1 - P22),
//   P21_x = tau_x tau_m / (C_m (tau_m - tau_x)) (exp(-h/tau_m) - exp(-h/tau_x)),
// evaluated in NEST's form gamma exp(-h/tau_x) expm1(h (tau_m - tau_x)/(tau_m tau_x)), which has no
// cancellation near tau_m == tau_x; at equality the limit (h/C_m) exp(-h/tau_m) is used.
// Inputs of a step are added after the propagation, so they act from the end of the step.
#include "lamina/sim/neuron_model.hpp"

#include <cmath>

namespace lamina::models {

// P21 of the exact LIF propagator for a current with time constant tau_s (all in ms, pF).
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

struct lif_psc_exp {
    static constexpr std::string_view name = "lif_psc_exp";

    struct parameters {
        double tau_m = 10.0;      // ms
        double C_m = 250.0;       // pF
        double E_L = -70.0;       // mV
        double V_th = -55.0;      // mV
        double V_reset = -70.0;   // mV
        double t_ref = 2.0;       // ms
        double tau_syn_ex = 2.0;  // ms
        double tau_syn_in = 2.0;  // ms
        double I_e = 0.0;         // pA
    };
    static constexpr std::array<sim::parameter_field<parameters>, 9> parameter_fields{{
        {"tau_m", "ms", &parameters::tau_m, "membrane time constant"},
        {"C_m", "pF", &parameters::C_m, "membrane capacitance"},
        {"E_L", "mV", &parameters::E_L, "resting potential"},
        {"V_th", "mV", &parameters::V_th, "spike threshold"},
        {"V_reset", "mV", &parameters::V_reset, "reset potential"},
        {"t_ref", "ms", &parameters::t_ref, "absolute refractory period"},
        {"tau_syn_ex", "ms", &parameters::tau_syn_ex, "excitatory synaptic current time constant"},
        {"tau_syn_in", "ms", &parameters::tau_syn_in, "inhibitory synaptic current time constant"},
        {"I_e", "pA", &parameters::I_e, "constant input current"},
    }};
    static constexpr std::array<std::string_view, 3> state_names{"V_m", "I_syn_ex", "I_syn_in"};
    static constexpr std::array<sim::port_info, 2> ports{{{"excitatory", "pA", false}, {"inhibitory", "pA", false}}};

    // advance() clears the input slots it reads (saves the engine a separate pass).
    static constexpr bool clears_input = true;

    struct constants {
        double P11_ex, P11_in, P21_ex, P21_in, P22, P20, E_L, V_th, V_reset, I_e;
        std::int32_t ref_steps;
    };

    static constants lower(const parameters& p, double dt, const std::string& object) {
        sim::require_positive(p.tau_m, object, "tau_m", "ms");
        sim::require_positive(p.C_m, object, "C_m", "pF");
        sim::require_positive(p.tau_syn_ex, object, "tau_syn_ex", "ms");
        sim::require_positive(p.tau_syn_in, object, "tau_syn_in", "ms");
        sim::require_nonnegative(p.t_ref, object, "t_ref", "ms");
        for (auto [v, n] : {std::pair{p.E_L, "E_L"}, {p.V_th, "V_th"}, {p.V_reset, "V_reset"}, {p.I_e, "I_e"}})
            sim::require_finite(v, object, n);
        if (!(p.V_reset < p.V_th)) throw sim::parameter_error(object, "V_reset", "must be below V_th");
        const double P22 = std::exp(-dt / p.tau_m);
        return {std::exp(-dt / p.tau_syn_ex),
                std::exp(-dt / p.tau_syn_in),
                lif_exp_current_propagator(p.tau_m, p.tau_syn_ex, p.C_m, dt),
                lif_exp_current_propagator(p.tau_m, p.tau_syn_in, p.C_m, dt),
                P22,
                p.tau_m / p.C_m * (1.0 - P22),
                p.E_L,
                p.V_th,
                p.V_reset,
                p.I_e,
                static_cast<std::int32_t>(std::llround(p.t_ref / dt))};
    }

    static double initial_value(const parameters& p, std::size_t var) { return var == 0 ? p.E_L : 0.0; }

    LAMINA_KERNEL static void advance(const constants& c, const sim::kernel_args<3, 2>& a, sim::spike_sink& sink) {
        double* __restrict V = a.state[0];
        double* __restrict Iex = a.state[1];
        double* __restrict Iin = a.state[2];
        std::int32_t* __restrict r = a.refractory;
        double* __restrict ex = a.input[0];
        double* __restrict in = a.input[1];
        const double* __restrict I = a.current;
        const std::size_t begin = a.begin, end = a.end;
        LAMINA_SIMD
        for (std::size_t i = begin; i < end; ++i) {
            const double y = c.P22 * (V[i] - c.E_L) + c.P21_ex * Iex[i] + c.P21_in * Iin[i] + c.P20 * (c.I_e + I[i]);
            V[i] = sim::hold_refractory(r[i], y + c.E_L, c.V_reset);
            Iex[i] = c.P11_ex * Iex[i] + ex[i];
            Iin[i] = c.P11_in * Iin[i] + in[i];
            ex[i] = 0.0;
            in[i] = 0.0;
        }
        sim::fire_at_threshold(V, r, begin, end, c.V_reset, c.V_th, c.ref_steps, sink);
    }
};

} // namespace lamina::models
