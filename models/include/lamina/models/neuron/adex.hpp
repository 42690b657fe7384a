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
#include "lamina/models/neuron/adex_integration.hpp"
#include "lamina/sim/neuron_model.hpp"

#include <cmath>

namespace lamina::models {

// Exponentially decaying synaptic currents as seen by the AdEx integrator (adex_integration.hpp).
struct adex_current_synapses {
    struct state {
        double ex, in;  // pA
    };
    struct constants {
        double P_ex[4], P_in[4];  // decay over each adex_interval
    };
    static constants lower(double tau_ex, double tau_in, const adex_membrane& m) {
        constants c{};
        for (int k = 0; k < 4; ++k) {
            const double t = m.length(static_cast<adex_interval>(k));
            c.P_ex[k] = std::exp(-t / tau_ex);
            c.P_in[k] = std::exp(-t / tau_in);
        }
        return c;
    }
    static adex_drive drive(const constants&, const state& s, double I) noexcept { return {s.ex + s.in + I, 0.0}; }
    static state decay(const constants& c, const state& s, adex_interval k) noexcept {
        const int i = static_cast<int>(k);
        return {s.ex * c.P_ex[i], s.in * c.P_in[i]};
    }
};

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

    struct constants {
        adex_membrane m;
        adex_current_synapses::constants syn;
        double Pex_dt, Pin_dt;  // current decay over the engine step
    };

    static constants lower(const parameters& p, double dt, const std::string& object) {
        sim::require_positive(p.tau_syn_ex, object, "tau_syn_ex", "ms");
        sim::require_positive(p.tau_syn_in, object, "tau_syn_in", "ms");
        constants c{};
        c.m = adex_membrane::lower(p, dt, object);
        c.syn = adex_current_synapses::lower(p.tau_syn_ex, p.tau_syn_in, c.m);
        c.Pex_dt = std::exp(-dt / p.tau_syn_ex);
        c.Pin_dt = std::exp(-dt / p.tau_syn_in);
        return c;
    }

    static double initial_value(const parameters& p, std::size_t var) { return var == 0 ? p.E_L : 0.0; }

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
                v = c.m.V_reset;
                w = c.m.clamped_w_step(w);
            } else {
                spiked = c.m.integrate<adex_current_synapses>(c.syn, v, w, {e0, n0}, c.m.I_e + I[i]);
                if (spiked) r[i] = c.m.ref_steps;
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
