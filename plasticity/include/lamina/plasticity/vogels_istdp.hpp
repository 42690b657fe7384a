#pragma once
// Symmetric inhibitory spike-timing-dependent plasticity of Vogels, Sprekeler, Zenke, Clopath &
// Gerstner (2011), "Inhibitory plasticity balances excitation and inhibition in sensory pathways
// and memory networks", Science 334:1569 (NEST vogels_sprekeler_synapse, Auryn and Brian2
// examples; reference.md section 3.4, workloads.md W4).
//
// Traces x_pre and x_post, both with tau_stdp (ms), +1 per spike (all-to-all). On the magnitude
// m = |w| of an inhibitory synapse:
//   pre arrival at t:  m <- clip(m + eta (x_post(t) - alpha), 0, |W_max|)
//   post spike at t:   m <- clip(m + eta x_pre(t), 0, |W_max|)
//   alpha = 2 rho0 tau_stdp   (rho0 in Hz, tau_stdp in s; 0.12 for 3 Hz and 20 ms)
// Every near-coincident pre/post pair potentiates, whichever comes first (symmetric window
// eta exp(-|dt| / tau_stdp)); every presynaptic spike depresses by eta alpha. With independent
// Poisson trains the drift is <dm/dt> = eta rho_pre (2 rho_post tau_stdp - alpha), which vanishes
// at rho_post = rho0: inhibition grows while the postsynaptic neuron fires above rho0 and shrinks
// below it.
// Timing as in plasticity.hpp: the pre update reads x_post without a post spike of the same step
// (that post spike then sees x_pre including this arrival), so a same-step pair counts once.
//
// Parameters: the target rate rho0 is the parameter and alpha is derived from it (alpha() below);
// to give alpha directly set rho0 = alpha / (2 tau_stdp) (parameters::with_alpha).
// Sign: the sign of W_max is the sign of the weights. On a conductance port (nS) weights are >= 0,
// use W_max > 0 and the weight itself is clipped to [0, W_max]. On a current port, inhibitory
// weights are negative (pA or mV): use W_max < 0; the rule then acts on |w| in [0, |W_max|] and
// returns -|w|, so "potentiation" always means stronger inhibition (as NEST's Wmax sign).
// Units: eta and W_max in the weight's unit (eta per unit of trace), times in ms, rho0 in Hz.
// Defaults: the W4 workload (eta 0.01 nS, W_max 300 nS; the paper's eta 1e-4 g_L-units x gamma 10).
#include "lamina/sim/plasticity.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace lamina::plasticity {

struct vogels_istdp {
    static constexpr std::string_view name = "vogels_istdp";

    struct parameters {
        double tau_stdp = 20.0;  // ms, both traces
        double eta = 0.01;       // weight per unit of trace, learning rate
        double rho0 = 3.0;       // Hz, target postsynaptic rate (alpha = 2 rho0 tau_stdp)
        double W_max = 300.0;    // weight; its sign is the sign of the synapse

        // The depression constant alpha (dimensionless).
        double alpha() const { return 2.0 * rho0 * tau_stdp * 1e-3; }
        // Sets rho0 from a given alpha (NEST's parametrisation), for the current tau_stdp.
        parameters with_alpha(double a) const {
            parameters p = *this;
            p.rho0 = a / (2.0 * tau_stdp * 1e-3);
            return p;
        }
    };
    static constexpr std::array<sim::parameter_field<parameters>, 4> parameter_fields{{
        {"tau_stdp", "ms", &parameters::tau_stdp, "time constant of the pre and post traces"},
        {"eta", "weight", &parameters::eta, "learning rate (weight change per unit of trace)"},
        {"rho0", "Hz", &parameters::rho0, "target postsynaptic rate; alpha = 2 rho0 tau_stdp"},
        {"W_max", "weight", &parameters::W_max, "bound of the weight magnitude; its sign is the weight's sign"},
    }};
    static constexpr std::array<std::string_view, 0> synapse_vars{};
    // Inhibitory targets fire far more often than the projection's weights are read: a target whose
    // spike history fills applies it through a reverse index (plastic_rule::reverse_index).
    static constexpr bool targeted_flush = true;

    struct constants {
        double tau_stdp, eta, alpha, sign, bound;  // bound = |W_max|
    };

    static constants lower(const parameters& p, double, const std::string& object) {
        sim::require_positive(p.tau_stdp, object, "tau_stdp", "ms");
        sim::require_nonnegative(p.eta, object, "eta", "");
        sim::require_nonnegative(p.rho0, object, "rho0", "Hz");
        sim::require_finite(p.eta, object, "eta");
        sim::require_finite(p.rho0, object, "rho0");
        if (!(p.W_max != 0.0) || !std::isfinite(p.W_max))
            throw sim::parameter_error(object, "W_max", "must be a finite non-zero weight");
        return {p.tau_stdp, p.eta, p.alpha(), p.W_max > 0.0 ? 1.0 : -1.0, std::abs(p.W_max)};
    }

    static std::array<sim::trace_spec, 1> pre_traces(const constants& c) { return {{{c.tau_stdp, false}}}; }
    static std::array<sim::trace_spec, 1> post_traces(const constants& c) { return {{{c.tau_stdp, false}}}; }

    static double clip(const constants& c, double m) { return std::clamp(m, 0.0, c.bound); }

    // Pre arrival: facilitation by the post trace, then the constant depression eta alpha.
    static double on_pre(const constants& c, double w, const std::array<float*, 0>&, const std::array<double, 1>&,
                         const std::array<double, 1>& post) {
        return c.sign * clip(c, c.sign * w + c.eta * (post[0] - c.alpha));
    }
    // Post spike: facilitation by the pre trace.
    // Potentiation reads only the presynaptic trace: the engine need not keep post traces per spike.
    static constexpr bool on_post_reads_post = false;
    static double on_post(const constants& c, double w, const std::array<float*, 0>&, const std::array<double, 1>& pre,
                          const std::array<double, 1>&) {
        return c.sign * clip(c, c.sign * w + c.eta * pre[0]);
    }
};

} // namespace lamina::plasticity
