#pragma once
// Homeostatic multiplicative synaptic scaling (van Rossum, Bi & Turrigiano 2000, J Neurosci
// 20:8812-8821): every postsynaptic neuron keeps a slow estimate a of its own firing rate, and all
// of its incoming weights of the projection scale by a common factor that pulls a to a target:
//
//   tau_a da/dt = -a + sum_post delta(t - t_post)      (a in 1/ms; here reported in Hz: a jumps
//                                                       by 1000/tau_a Hz per spike, i.e. 1/tau_a)
//   dw/dt = beta w (a_goal - a)                        (t in s, a and a_goal in Hz)
//
// Units: tau_a and update_interval in ms, a_goal in Hz, beta in 1/(Hz s) (relative weight change
// per second and per Hz of rate error), W_max in the weight's unit. The time scale of scaling is
// 1 / (beta a_goal) s near a silent start. A steady state has a time-averaged a equal to a_goal.
//
// Rate sensor: the per-neuron postsynaptic trace x of the engine (tau_a, +1 per spike), so
// a = 1000 x / tau_a Hz. It is event-driven: nothing is done per step.
// Scaling: every update_interval the weights take the exact solution over the interval [t0, t1]
// (duration T):
//   ln(w(t1) / w(t0)) = beta (a_goal T - int_t0^t1 a dt),   int a dt = x(t0) - x(t1) + N
// (in Hz s, i.e. spikes), which follows from integrating the trace equation; N is the number of
// post spikes in the interval. Each synapse counts N at its target's spikes and keeps x(t0)
// (per-synapse floats "x_prev" and "n_post"); x(t1) is the target's trace at the update. So the
// result is exact on the grid for any update interval, which only sets how often weights change.
// Signs: excitatory (w >= 0) weights scale by the factor f, inhibitory (w < 0) ones by 1/f, so a
// neuron that fires too little gains excitation and loses inhibition (activity deprivation scales
// inhibitory synapses down, Kilman, van Rossum & Turrigiano 2002). Ratios between the weights of
// one sign onto one neuron are preserved; a zero weight stays zero. |w| is capped at W_max
// (default: no cap), which breaks the ratios of capped weights only.
#include "lamina/sim/plastic_rule.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace lamina::plasticity {

struct synaptic_scaling {
    static constexpr std::string_view name = "synaptic_scaling";

    struct parameters {
        double tau_a = 1000.0;          // ms, rate sensor
        double a_goal = 5.0;            // Hz, target rate
        double beta = 1e-3;             // 1/(Hz s)
        double update_interval = 100.0; // ms
        double W_max = std::numeric_limits<double>::infinity();  // weight, cap on |w|
    };
    static constexpr std::array<sim::parameter_field<parameters>, 5> parameter_fields{{
        {"tau_a", "ms", &parameters::tau_a, "time constant of the postsynaptic rate estimate"},
        {"a_goal", "Hz", &parameters::a_goal, "target firing rate"},
        {"beta", "1/(Hz s)", &parameters::beta, "scaling rate per Hz of rate error"},
        {"update_interval", "ms", &parameters::update_interval, "interval between weight updates"},
        {"W_max", "weight", &parameters::W_max, "cap on the magnitude of a weight (inf: none)"},
    }};
    static constexpr std::array<std::string_view, 2> synapse_vars{"x_prev", "n_post"};

    struct constants {
        double tau_a, a_goal, beta, dt, W_max;
        std::int64_t interval_steps;
    };

    static constants lower(const parameters& p, double dt, const std::string& object) {
        sim::require_positive(p.tau_a, object, "tau_a", "ms");
        sim::require_finite(p.tau_a, object, "tau_a");
        sim::require_nonnegative(p.a_goal, object, "a_goal", "Hz");
        sim::require_finite(p.a_goal, object, "a_goal");
        sim::require_nonnegative(p.beta, object, "beta", "1/(Hz s)");
        sim::require_finite(p.beta, object, "beta");
        sim::require_positive(p.update_interval, object, "update_interval", "ms");
        sim::require_finite(p.update_interval, object, "update_interval");
        sim::require_positive(p.W_max, object, "W_max", "");
        const auto steps = std::max<std::int64_t>(1, std::llround(p.update_interval / dt));
        return {p.tau_a, p.a_goal, p.beta, dt, p.W_max, steps};
    }

    static std::array<sim::trace_spec, 0> pre_traces(const constants&) { return {}; }
    static std::array<sim::trace_spec, 1> post_traces(const constants& c) { return {{{c.tau_a, false}}}; }
    static std::int64_t dynamics_interval(const constants& c) { return c.interval_steps; }

    static double on_pre(const constants&, double w, const std::array<float*, 2>&, const std::array<double, 0>&,
                         const std::array<double, 1>&) {
        return w;
    }
    static double on_post(const constants&, double w, const std::array<float*, 2>& v, const std::array<double, 0>&,
                          const std::array<double, 1>&) {
        *v[1] += 1.0f;
        return w;
    }
    // post[0]: the target's trace x at the update.
    static double advance(const constants& c, double w, const std::array<float*, 2>& v, std::int64_t steps, double,
                          const std::array<double, 1>& post) {
        const double spikes = static_cast<double>(*v[0]) - post[0] + static_cast<double>(*v[1]);  // int a dt, Hz s
        const double T_s = double(steps) * c.dt * 1e-3;
        *v[0] = static_cast<float>(post[0]);
        *v[1] = 0.0f;
        const double f = std::exp(c.beta * (c.a_goal * T_s - spikes));
        return w >= 0.0 ? std::min(w * f, c.W_max) : std::max(w / f, -c.W_max);
    }

    // The rate estimate a (Hz) from the trace value x.
    static double rate_hz(const constants& c, double x) { return 1000.0 * x / c.tau_a; }
};

} // namespace lamina::plasticity
