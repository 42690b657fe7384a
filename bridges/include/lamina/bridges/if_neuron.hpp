#pragma once
// Non-leaky integrate-and-fire neuron for ANN -> SNN conversion (Diehl et al. 2015; Rueckauer
// et al. 2017), a lamina::sim::neuron_model.
//
//   V <- V + dt/C_m (I_e + I_in + I_ext) + sum of input weights        (no leak)
//   V >= V_th: spike, then V <- V - V_th   (reset by subtraction, reset_subtract = 1)
//                     or  V <- V_reset     (reset to a value, reset_subtract = 0)
//
// Units are those of the converted network: V and V_th are dimensionless (a weight of 1 moves V by
// one threshold of a balanced layer), currents are "V per ms". I_in is a per-neuron state
// variable: the constant input current of one presentation (the analog input W x + b of the first
// layer, or a converted bias), written by the caller after network::build(); I_ext is the
// current of the engine's current devices. With dt = 1 ms and C_m = 1, a neuron with constant
// drive a per step fires floor((V_init + a n) / V_th) times in n steps under reset by
// subtraction, so its rate approximates a / V_th with an error below 1/n (V_init = V_th/2 turns
// the floor into rounding). V is not bounded below (negative charge is kept, as in the
// conversion literature); at most one spike per step. No refractoriness.
// Ports: "excitatory" and "inhibitory", both dimensionless and of either sign.
#include "lamina/sim/neuron_model.hpp"

#include <array>
#include <cmath>
#include <string>

namespace lamina::bridges {

struct if_neuron {
    static constexpr std::string_view name = "if_neuron";

    struct parameters {
        double V_th = 1.0;            // threshold
        double V_init = 0.0;          // initial membrane potential
        double V_reset = 0.0;         // reset value when reset_subtract = 0
        double C_m = 1.0;             // ms: dt/C_m scales currents per step
        double I_e = 0.0;             // constant current shared by the population
        double reset_subtract = 1.0;  // 1: V <- V - V_th; 0: V <- V_reset
    };
    static constexpr std::array<sim::parameter_field<parameters>, 6> parameter_fields{{
        {"V_th", "1", &parameters::V_th, "firing threshold"},
        {"V_init", "1", &parameters::V_init, "initial membrane potential"},
        {"V_reset", "1", &parameters::V_reset, "reset value (reset_subtract = 0)"},
        {"C_m", "ms", &parameters::C_m, "capacitance: a current I adds I dt/C_m per step"},
        {"I_e", "1/ms", &parameters::I_e, "constant input current"},
        {"reset_subtract", "1", &parameters::reset_subtract, "1: reset by subtraction, 0: reset to V_reset"},
    }};
    static constexpr std::array<std::string_view, 2> state_names{"V_m", "I_in"};
    static constexpr std::array<sim::port_info, 2> ports{{{"excitatory", "1", false}, {"inhibitory", "1", false}}};

    // advance() clears the input slots it reads (saves the engine a separate pass).
    static constexpr bool clears_input = true;

    struct constants {
        double V_th, V_reset, gain, I_e;
        bool subtract;
    };

    static constants lower(const parameters& p, double dt, const std::string& object) {
        sim::require_positive(p.V_th, object, "V_th", "");
        sim::require_positive(p.C_m, object, "C_m", "ms");
        for (auto [v, n] : {std::pair{p.V_init, "V_init"}, {p.V_reset, "V_reset"}, {p.I_e, "I_e"}})
            sim::require_finite(v, object, n);
        if (p.reset_subtract != 0.0 && p.reset_subtract != 1.0)
            throw sim::parameter_error(object, "reset_subtract", "must be 0 or 1");
        if (p.reset_subtract == 0.0 && !(p.V_reset < p.V_th))
            throw sim::parameter_error(object, "V_reset", "must be below V_th");
        return {p.V_th, p.V_reset, dt / p.C_m, p.I_e, p.reset_subtract == 1.0};
    }

    static double initial_value(const parameters& p, std::size_t var) { return var == 0 ? p.V_init : 0.0; }

    LAMINA_KERNEL static void advance(const constants& c, const sim::kernel_args<2, 2>& a, sim::spike_sink& sink) {
        double* __restrict V = a.state[0];
        const double* __restrict Iin = a.state[1];
        double* __restrict ex = a.input[0];
        double* __restrict in = a.input[1];
        const double* __restrict I = a.current;
        const std::size_t begin = a.begin, end = a.end;
        LAMINA_SIMD
        for (std::size_t i = begin; i < end; ++i) {
            V[i] = V[i] + c.gain * (c.I_e + Iin[i] + I[i]) + ex[i] + in[i];
            ex[i] = 0.0;
            in[i] = 0.0;
        }
        // Threshold, in blocks of 64 as sim::fire_at_threshold, with either reset.
        constexpr std::size_t block = 64;
        for (std::size_t b = begin; b < end; b += block) {
            const std::size_t e = b + block < end ? b + block : end;
            double highest = V[b];
            _Pragma("omp simd reduction(max:highest)")
            for (std::size_t i = b; i < e; ++i) highest = V[i] > highest ? V[i] : highest;
            if (!(highest >= c.V_th)) continue;
            for (std::size_t i = b; i < e; ++i) {
                if (V[i] >= c.V_th) {
                    V[i] = c.subtract ? V[i] - c.V_th : c.V_reset;
                    sink.push(static_cast<std::uint32_t>(i));
                }
            }
        }
    }
};

static_assert(sim::neuron_model<if_neuron>);

} // namespace lamina::bridges
