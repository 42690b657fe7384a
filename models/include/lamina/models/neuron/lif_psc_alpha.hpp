#pragma once
// Leaky integrate-and-fire neuron with alpha-shaped synaptic currents (NEST iaf_psc_alpha, NEST's
// default neuron model).
//
//   C_m dV/dt    = -C_m/tau_m (V - E_L) + I_ex + I_in + I_e + I_ext      [mV, ms, pF, pA]
//   dI_x/dt      = dI_x - I_x / tau_syn_x
//   d(dI_x)/dt   = -dI_x / tau_syn_x;  an input of weight w (pA, any sign) does dI_x += e w / tau_syn_x
//   so one input gives I_x(t) = w (t/tau_syn_x) e^(1 - t/tau_syn_x): peak w at t = tau_syn_x.
//   V >= V_th: spike, V <- V_reset, clamped there for t_ref (whole steps); currents keep evolving
//   [dI_x in pA/ms]
//
// Exact integration (Rotter & Diesmann 1999): the subthreshold system is linear, so one step of
// length h is its matrix exponential. With y = V - E_L, tau = tau_syn_x, a = 1/tau - 1/tau_m:
//   P11 = P22 = exp(-h/tau),  P21 = h exp(-h/tau)                      (alpha current itself)
//   P32 = the exponential-current propagator of lif_psc_exp (I -> V)
//   P31 = exp(-h/tau_m)/C_m * (1 - e^(-a h)(1 + a h))/a^2               (dI -> V)
//   y <- P33 y + P31 dI + P32 I + P30 (I_e + I_ext),  I <- P21 dI + P22 I,  dI <- P11 dI (+ inputs)
// (1 - e^-x (1 + x))/x^2 is summed as its Taylor series for |x| < 0.1, so P31 has no cancellation
// and tends to h^2 exp(-h/tau_m)/(2 C_m) as tau_syn -> tau_m (NEST switches to a separate singular
// formula there). Inputs of a step are added after the propagation, so they act from the end of the
// step; the order of the updates is NEST's.
#include "lamina/models/neuron/lif_psc_exp.hpp"
#include "lamina/sim/neuron_model.hpp"

#include <cmath>
#include <numbers>

namespace lamina::models {

// (1 - e^-x (1 + x)) / x^2 for any real x, accurate to a few ulp also for x -> 0 (limit 1/2).
inline double alpha_kernel_ratio(double x) {
    if (std::abs(x) < 0.1) {
        // sum_{k>=2} (-1)^k (k-1) x^(k-2) / k!, 14 terms: remainder below 1e-19 for |x| < 0.1.
        double sum = 0.0, power = 1.0, factorial = 2.0;
        for (int k = 2; k < 16; ++k) {
            sum += ((k % 2 == 0) ? 1.0 : -1.0) * double(k - 1) * power / factorial;
            power *= x;
            factorial *= double(k + 1);
        }
        return sum;
    }
    return (-std::expm1(-x) - x * std::exp(-x)) / (x * x);
}

// P31 of the exact alpha-current LIF propagator: V response at h to dI(0) = 1 (ms, pF).
inline double lif_alpha_derivative_propagator(double tau_m, double tau_s, double C_m, double h) {
    const double a = (tau_m - tau_s) / (tau_m * tau_s);  // 1/tau_s - 1/tau_m without cancellation
    return std::exp(-h / tau_m) / C_m * h * h * alpha_kernel_ratio(a * h);
}

struct lif_psc_alpha {
    static constexpr std::string_view name = "lif_psc_alpha";

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
        {"tau_syn_ex", "ms", &parameters::tau_syn_ex, "rise time of the excitatory alpha current (time to peak)"},
        {"tau_syn_in", "ms", &parameters::tau_syn_in, "rise time of the inhibitory alpha current (time to peak)"},
        {"I_e", "pA", &parameters::I_e, "constant input current"},
    }};
    static constexpr std::array<std::string_view, 5> state_names{"V_m", "I_syn_ex", "I_syn_in", "dI_syn_ex",
                                                                 "dI_syn_in"};
    static constexpr std::array<sim::port_info, 2> ports{{{"excitatory", "pA", false}, {"inhibitory", "pA", false}}};

    // advance() clears the input slots it reads (saves the engine a separate pass).
    static constexpr bool clears_input = true;

    struct constants {
        double P11_ex, P21_ex, P31_ex, P32_ex, P11_in, P21_in, P31_in, P32_in, P33, P30;
        double kick_ex, kick_in;  // e / tau_syn: dI per pA of weight
        double E_L, V_th, V_reset, I_e;
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
        const double P33 = std::exp(-dt / p.tau_m);
        constants c{};
        c.P11_ex = std::exp(-dt / p.tau_syn_ex);
        c.P21_ex = dt * c.P11_ex;
        c.P31_ex = lif_alpha_derivative_propagator(p.tau_m, p.tau_syn_ex, p.C_m, dt);
        c.P32_ex = lif_exp_current_propagator(p.tau_m, p.tau_syn_ex, p.C_m, dt);
        c.P11_in = std::exp(-dt / p.tau_syn_in);
        c.P21_in = dt * c.P11_in;
        c.P31_in = lif_alpha_derivative_propagator(p.tau_m, p.tau_syn_in, p.C_m, dt);
        c.P32_in = lif_exp_current_propagator(p.tau_m, p.tau_syn_in, p.C_m, dt);
        c.P33 = P33;
        c.P30 = p.tau_m / p.C_m * (1.0 - P33);
        c.kick_ex = std::numbers::e / p.tau_syn_ex;
        c.kick_in = std::numbers::e / p.tau_syn_in;
        c.E_L = p.E_L;
        c.V_th = p.V_th;
        c.V_reset = p.V_reset;
        c.I_e = p.I_e;
        c.ref_steps = static_cast<std::int32_t>(std::llround(p.t_ref / dt));
        return c;
    }

    static double initial_value(const parameters& p, std::size_t var) { return var == 0 ? p.E_L : 0.0; }

    LAMINA_KERNEL static void advance(const constants& c, const sim::kernel_args<5, 2>& a, sim::spike_sink& sink) {
        double* __restrict V = a.state[0];
        double* __restrict Iex = a.state[1];
        double* __restrict Iin = a.state[2];
        double* __restrict dIex = a.state[3];
        double* __restrict dIin = a.state[4];
        std::int32_t* __restrict r = a.refractory;
        double* __restrict ex = a.input[0];
        double* __restrict in = a.input[1];
        const double* __restrict I = a.current;
        const std::size_t begin = a.begin, end = a.end;
        LAMINA_SIMD
        for (std::size_t i = begin; i < end; ++i) {
            const double de = dIex[i], di = dIin[i], ie = Iex[i], ii = Iin[i];
            const double y = c.P33 * (V[i] - c.E_L) + c.P31_ex * de + c.P32_ex * ie + c.P31_in * di + c.P32_in * ii +
                             c.P30 * (c.I_e + I[i]);
            V[i] = sim::hold_refractory(r[i], y + c.E_L, c.V_reset);
            Iex[i] = c.P21_ex * de + c.P11_ex * ie;
            Iin[i] = c.P21_in * di + c.P11_in * ii;
            dIex[i] = c.P11_ex * de + c.kick_ex * ex[i];
            dIin[i] = c.P11_in * di + c.kick_in * in[i];
            ex[i] = 0.0;
            in[i] = 0.0;
        }
        sim::fire_at_threshold(V, r, begin, end, c.V_reset, c.V_th, c.ref_steps, sink);
    }
};

} // namespace lamina::models
