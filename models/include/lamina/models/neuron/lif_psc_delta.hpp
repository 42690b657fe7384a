#pragma once
// Leaky integrate-and-fire neuron with delta synapses (NEST iaf_psc_delta; Brunel 2000 model A).
//
//   tau_m dV/dt = -(V - E_L) + tau_m/C_m (I_e + I_ext)          [V in mV, t in ms, I in pA, C in pF]
//   an input of weight w (mV) makes V jump by w
//   V >= V_th: spike, V <- V_reset, clamped there for t_ref (rounded to whole steps)
//
// Integration is exact on the grid (Rotter & Diesmann 1999):
//   V <- E_L + P33 (V - E_L) + P30 (I_e + I_ext) + sum of jumps,   P33 = exp(-dt/tau_m),
//   P30 = tau_m/C_m (1 - P33). Jumps arriving while refractory are discarded (NEST default), and
//   V is bounded below by V_min. Ports: "excitatory" and "inhibitory" (both mV, any sign).
#include "lamina/sim/neuron_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lamina::models {

struct lif_psc_delta {
    static constexpr std::string_view name = "lif_psc_delta";

    struct parameters {
        double tau_m = 10.0;    // ms
        double C_m = 250.0;     // pF
        double E_L = -70.0;     // mV
        double V_th = -55.0;    // mV
        double V_reset = -70.0; // mV
        double t_ref = 2.0;     // ms
        double I_e = 0.0;       // pA
        double V_min = -std::numeric_limits<double>::infinity(); // mV
    };
    static constexpr std::array<sim::parameter_field<parameters>, 8> parameter_fields{{
        {"tau_m", "ms", &parameters::tau_m, "membrane time constant"},
        {"C_m", "pF", &parameters::C_m, "membrane capacitance"},
        {"E_L", "mV", &parameters::E_L, "resting potential"},
        {"V_th", "mV", &parameters::V_th, "spike threshold"},
        {"V_reset", "mV", &parameters::V_reset, "reset potential"},
        {"t_ref", "ms", &parameters::t_ref, "absolute refractory period"},
        {"I_e", "pA", &parameters::I_e, "constant input current"},
        {"V_min", "mV", &parameters::V_min, "lower bound of the membrane potential"},
    }};
    static constexpr std::array<std::string_view, 1> state_names{"V_m"};
    static constexpr std::array<sim::port_info, 2> ports{{{"excitatory", "mV", false}, {"inhibitory", "mV", false}}};

    // advance() clears the input slots it reads (saves the engine a separate pass).
    static constexpr bool clears_input = true;

    struct constants {
        double P33, P30, E_L, V_th, V_reset, I_e, V_min;
        std::int32_t ref_steps;
    };

    static constants lower(const parameters& p, double dt, const std::string& object) {
        sim::require_positive(p.tau_m, object, "tau_m", "ms");
        sim::require_positive(p.C_m, object, "C_m", "pF");
        sim::require_nonnegative(p.t_ref, object, "t_ref", "ms");
        for (auto [v, n] : {std::pair{p.E_L, "E_L"}, {p.V_th, "V_th"}, {p.V_reset, "V_reset"}, {p.I_e, "I_e"}})
            sim::require_finite(v, object, n);
        if (!(p.V_reset < p.V_th))
            throw sim::parameter_error(object, "V_reset", "must be below V_th");
        if (std::isnan(p.V_min) || p.V_min > p.V_reset)
            throw sim::parameter_error(object, "V_min", "must not exceed V_reset");
        const double P33 = std::exp(-dt / p.tau_m);
        return {P33, p.tau_m / p.C_m * (1.0 - P33), p.E_L, p.V_th, p.V_reset, p.I_e, p.V_min,
                static_cast<std::int32_t>(std::llround(p.t_ref / dt))};
    }

    static double initial_value(const parameters& p, std::size_t) { return p.E_L; }

    LAMINA_KERNEL static void advance(const constants& c, const sim::kernel_args<1, 2>& a, sim::spike_sink& sink) {
        double* __restrict V = a.state[0];
        std::int32_t* __restrict r = a.refractory;
        double* __restrict ex = a.input[0];
        double* __restrict in = a.input[1];
        const double* __restrict I = a.current;
        const std::size_t begin = a.begin, end = a.end;
        LAMINA_SIMD
        for (std::size_t i = begin; i < end; ++i) {
            const double v = c.E_L + c.P33 * (V[i] - c.E_L) + c.P30 * (c.I_e + I[i]) + ex[i] + in[i];
            ex[i] = 0.0;
            in[i] = 0.0;
            V[i] = sim::hold_refractory(r[i], std::max(v, c.V_min), c.V_reset);
        }
        sim::fire_at_threshold(V, r, begin, end, c.V_reset, c.V_th, c.ref_steps, sink);
    }
};

} // namespace lamina::models
