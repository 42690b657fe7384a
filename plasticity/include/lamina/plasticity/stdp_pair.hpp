#pragma once
// Pair-based spike-timing-dependent plasticity with traces, in the power-law form of Gutig,
// Aharonov, Rotter & Sompolinsky (2003) as implemented by NEST's stdp_synapse:
//
//   with w^ = w / W_max, a presynaptic trace x (tau_plus) and a postsynaptic trace y (tau_minus),
//   post spike:  w^ <- min(1, w^ + lambda (1 - w^)^mu_plus x)            (potentiation)
//   pre arrival: w^ <- max(0, w^ - alpha lambda w^^mu_minus y)            (depression)
//
// mu = 0 is additive STDP with hard bounds (Song, Miller & Abbott 2000), mu = 1 multiplicative
// with soft bounds (van Rossum, Bi & Turrigiano 2000). Traces add 1 per spike (all-to-all
// pairing) or are set to 1 (nearest-spike pairing, Morrison et al. 2008's symmetric scheme).
// For a single pair at dt = t_post - t_pre, far from the bounds and additive:
//   dt >= 0: dw = lambda W_max exp(-dt / tau_plus);  dt < 0: dw = -alpha lambda W_max exp(dt / tau_minus).
// Units: times in ms, W_max in the weight's unit (pA, nS or mV); W_max < 0 makes an inhibitory
// synapse whose magnitude is bounded by |W_max|.
#include "lamina/sim/plasticity.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace lamina::plasticity {

struct stdp_pair {
    static constexpr std::string_view name = "stdp_pair";

    struct parameters {
        double tau_plus = 20.0;   // ms
        double tau_minus = 20.0;  // ms
        double lambda = 0.01;     // learning rate (relative to W_max)
        double alpha = 1.0;       // depression / potentiation ratio
        double mu_plus = 0.0;     // 0 additive, 1 multiplicative
        double mu_minus = 0.0;
        double W_max = 1.0;       // weight unit
        double nearest = 0.0;     // 0: all-to-all pairing, 1: nearest-spike
    };
    static constexpr std::array<sim::parameter_field<parameters>, 8> parameter_fields{{
        {"tau_plus", "ms", &parameters::tau_plus, "presynaptic trace time constant"},
        {"tau_minus", "ms", &parameters::tau_minus, "postsynaptic trace time constant"},
        {"lambda", "1", &parameters::lambda, "learning rate"},
        {"alpha", "1", &parameters::alpha, "depression relative to potentiation"},
        {"mu_plus", "1", &parameters::mu_plus, "weight dependence of potentiation"},
        {"mu_minus", "1", &parameters::mu_minus, "weight dependence of depression"},
        {"W_max", "weight", &parameters::W_max, "upper bound of the weight"},
        {"nearest", "0/1", &parameters::nearest, "nearest-spike pairing instead of all-to-all"},
    }};
    static constexpr std::array<std::string_view, 0> synapse_vars{};

    struct constants {
        double tau_plus, tau_minus, lambda, alpha, mu_plus, mu_minus, W_max, inv_W_max;
        bool nearest;
        int mu_plus_kind, mu_minus_kind;
    };

    static constants lower(const parameters& p, double, const std::string& object) {
        sim::require_positive(p.tau_plus, object, "tau_plus", "ms");
        sim::require_positive(p.tau_minus, object, "tau_minus", "ms");
        sim::require_nonnegative(p.lambda, object, "lambda", "");
        sim::require_nonnegative(p.alpha, object, "alpha", "");
        sim::require_nonnegative(p.mu_plus, object, "mu_plus", "");
        sim::require_nonnegative(p.mu_minus, object, "mu_minus", "");
        if (!(p.W_max != 0.0) || !std::isfinite(p.W_max))
            throw sim::parameter_error(object, "W_max", "must be a finite non-zero weight");
        if (p.nearest != 0.0 && p.nearest != 1.0) throw sim::parameter_error(object, "nearest", "must be 0 or 1");
        return {p.tau_plus, p.tau_minus, p.lambda, p.alpha, p.mu_plus, p.mu_minus, p.W_max, 1.0 / p.W_max,
                p.nearest == 1.0, power_kind(p.mu_plus), power_kind(p.mu_minus)};
    }

    static std::array<sim::trace_spec, 1> pre_traces(const constants& c) { return {{{c.tau_plus, c.nearest}}}; }
    static std::array<sim::trace_spec, 1> post_traces(const constants& c) { return {{{c.tau_minus, c.nearest}}}; }

    // x^mu without calling pow (or comparing doubles per synapse) for the additive (0) and
    // multiplicative (1) cases; `kind` is 0, 1 or 2 (general) as lowered.
    static double power(double x, double mu, int kind) { return kind == 0 ? 1.0 : kind == 1 ? x : std::pow(x, mu); }
    static int power_kind(double mu) { return mu == 0.0 ? 0 : mu == 1.0 ? 1 : 2; }

    static double on_pre(const constants& c, double w, const std::array<float*, 0>&, const std::array<double, 1>&,
                         const std::array<double, 1>& post) {
        const double wh = w * c.inv_W_max;
        return std::max(0.0, wh - c.alpha * c.lambda * power(std::max(wh, 0.0), c.mu_minus, c.mu_minus_kind) * post[0]) * c.W_max;
    }
    // Potentiation reads only the presynaptic trace: the engine need not keep post traces per spike.
    static constexpr bool on_post_reads_post = false;
    static double on_post(const constants& c, double w, const std::array<float*, 0>&, const std::array<double, 1>& pre,
                          const std::array<double, 1>&) {
        const double wh = w * c.inv_W_max;
        return std::min(1.0, wh + c.lambda * power(std::max(1.0 - wh, 0.0), c.mu_plus, c.mu_plus_kind) * pre[0]) * c.W_max;
    }
};

} // namespace lamina::plasticity
