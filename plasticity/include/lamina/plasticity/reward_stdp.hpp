#pragma once
// Reward-modulated (dopamine-gated) STDP with an eligibility trace per synapse, after
// Izhikevich E.M. (2007) "Solving the distal reward problem through linkage of STDP and dopamine
// signaling", Cerebral Cortex 17:2443-2452 (reference code daspnet.m), in the continuous form of
// NEST's stdp_dopamine_synapse (Potjans, Morrison & Diesmann 2010):
//
//   dc/dt = -c / tau_c + A_plus x(t) sum_post delta(t - t_post) - A_minus y(t) sum_pre delta(t - t_arr)
//   ds/dt = c (d + b),     W_min <= s <= W_max (hard bounds)
//   dd/dt = -d / tau_d + sum_k R_k delta(t - t_k)      (network::modulate(projection, R_k))
//
// c: eligibility (weight units), s: the weight, d: the dopamine signal of the projection (1/ms),
// b: tonic dopamine ("baseline", 1/ms). x: presynaptic trace (tau_plus, +1 per arrival; its value
// at a post spike includes arrivals of the same step, which pair causally with dt = 0), y:
// postsynaptic trace (tau_minus, +1 per post spike, excluding the current step's spikes). So a
// single pre arrival at t_pre and post spike at t_post add A_plus exp(-(t_post - t_pre)/tau_plus)
// to c if t_post >= t_pre and subtract A_minus exp(-(t_pre - t_post)/tau_minus) otherwise.
// nearest = 1 sets the traces to 1 at a spike instead (daspnet's traces are set, not summed).
//
// Units: times in ms; A_plus, A_minus, W_min, W_max in the weight's unit (mV for izhikevich);
// d, b and reward amounts in 1/ms (the weight moves by c times the time integral of d + b).
// daspnet.m in these terms: A_plus = 0.1, A_minus = 0.15, tau_plus = tau_minus = 20 ms (0.95 per
// ms), tau_c = 1000 ms (0.99 per 10 ms), tau_d = 200 ms (0.995 per ms), W_min = 0, W_max = 4 mV;
// it adds (0.002 + DA) sd to s every 10 ms, i.e. d = DA / 10 ms: b = 0.0002 /ms and a reward
// (DA += 0.5) is modulate(projection, 0.05). Those are the defaults.
//
// Scheme: exact for the equations above (no time discretisation beyond the grid of spikes and
// rewards). Let t0 be the last dynamics update (every update_interval). Each synapse stores
// C = c(t) exp((t - t0)/tau_c), which is constant between its events, and k = K(t_last), where
//   K(t) = int_t0^t exp(-(u - t0)/tau_c) (d(u) + b) du
// is the same for all synapses of the projection and is computed once per event batch from the
// dopamine's value at t0 and its jumps since (d is a sum of decaying exponentials, so each piece
// integrates in closed form with 1/tau_cd = 1/tau_c + 1/tau_d:
//   K(t) = d(t0) tau_cd (1 - e^{-(t-t0)/tau_cd}) + b tau_c (1 - e^{-(t-t0)/tau_c})
//          + sum_k R_k e^{-(t_k-t0)/tau_c} tau_cd (1 - e^{-(t-t_k)/tau_cd})).
// At each event of a synapse (arrival or post spike) and at each update:
//   s <- clip(s + C (K(t) - k), W_min, W_max),  k <- K(t)           (exact weight at t)
// then an event adds its STDP term dc to C as dc exp((t - t0)/tau_c), and an update re-references
// C <- C exp(-(t - t0)/tau_c) (= c(t)) and k <- 0. Between two events of a synapse c keeps its
// sign, so while d + b >= 0 (non-negative baseline and rewards) s is monotone there and clipping
// at the events is the exact hard-bounded solution; with punishment (negative amounts) the bounds
// are applied at the synapse's events and every update_interval. The transmitted weight is the
// exact weight at the arrival. The update interval does not change the result (beyond float
// rounding): it only bounds exp((t - t0)/tau_c) and makes weights of silent synapses current.
// Per-synapse state: two floats ("c": the eligibility, exact at update times; "k").
// Needs sim::plastic_rule's event context (modulator_history). plastic_rule applies post spikes
// lazily (NEST's stdp_dopamine_synapse does the same): at the synapse's next arrival, or at a
// flush before each update and before weights are read, with the context of the spike's step, so
// every synapse sees the same hook calls in the same order as when each post spike walks its
// incoming synapses at once.
#include "lamina/sim/plastic_rule.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace lamina::plasticity {

struct reward_stdp {
    static constexpr std::string_view name = "reward_stdp";

    struct parameters {
        double tau_plus = 20.0;          // ms, presynaptic trace (potentiation window)
        double tau_minus = 20.0;         // ms, postsynaptic trace (depression window)
        double A_plus = 0.1;             // weight, eligibility per causal pair (trace 1)
        double A_minus = 0.15;           // weight, eligibility per anti-causal pair (trace 1)
        double tau_c = 1000.0;           // ms, eligibility trace
        double tau_d = 200.0;            // ms, dopamine
        double baseline = 0.0002;        // 1/ms, tonic dopamine b
        double W_min = 0.0;              // weight
        double W_max = 4.0;              // weight
        double update_interval = 10.0;   // ms, dynamics update (re-referencing, bounds of silent synapses)
        double nearest = 0.0;            // 0: all-to-all pairing, 1: nearest spike
    };
    static constexpr std::array<sim::parameter_field<parameters>, 11> parameter_fields{{
        {"tau_plus", "ms", &parameters::tau_plus, "presynaptic STDP trace time constant"},
        {"tau_minus", "ms", &parameters::tau_minus, "postsynaptic STDP trace time constant"},
        {"A_plus", "weight", &parameters::A_plus, "eligibility added by a causal pair"},
        {"A_minus", "weight", &parameters::A_minus, "eligibility removed by an anti-causal pair"},
        {"tau_c", "ms", &parameters::tau_c, "eligibility trace time constant"},
        {"tau_d", "ms", &parameters::tau_d, "dopamine time constant"},
        {"baseline", "1/ms", &parameters::baseline, "tonic dopamine added to d"},
        {"W_min", "weight", &parameters::W_min, "lower bound of the weight"},
        {"W_max", "weight", &parameters::W_max, "upper bound of the weight"},
        {"update_interval", "ms", &parameters::update_interval, "interval of the dynamics update"},
        {"nearest", "0/1", &parameters::nearest, "nearest-spike pairing instead of all-to-all"},
    }};
    static constexpr std::array<std::string_view, 2> synapse_vars{"c", "k"};

    struct constants {
        double tau_plus, tau_minus, A_plus, A_minus, tau_c, tau_d, tau_cd, baseline, W_min, W_max;
        std::int64_t interval_steps;
        bool nearest;
    };

    static constants lower(const parameters& p, double dt, const std::string& object) {
        sim::require_positive(p.tau_plus, object, "tau_plus", "ms");
        sim::require_positive(p.tau_minus, object, "tau_minus", "ms");
        sim::require_nonnegative(p.A_plus, object, "A_plus", "");
        sim::require_nonnegative(p.A_minus, object, "A_minus", "");
        sim::require_positive(p.tau_c, object, "tau_c", "ms");
        sim::require_positive(p.tau_d, object, "tau_d", "ms");
        for (auto [v, n] : {std::pair{p.tau_plus, "tau_plus"}, {p.tau_minus, "tau_minus"}, {p.A_plus, "A_plus"},
                            {p.A_minus, "A_minus"}, {p.tau_c, "tau_c"}, {p.tau_d, "tau_d"}, {p.baseline, "baseline"},
                            {p.W_min, "W_min"}, {p.W_max, "W_max"}})
            sim::require_finite(v, object, n);
        if (!(p.W_min < p.W_max)) throw sim::parameter_error(object, "W_max", "must be greater than W_min");
        sim::require_positive(p.update_interval, object, "update_interval", "ms");
        // C = c exp((t - t0)/tau_c) must stay far from float overflow.
        if (!(p.update_interval <= 20.0 * p.tau_c))
            throw sim::parameter_error(object, "update_interval", "must be at most 20 tau_c");
        if (p.nearest != 0.0 && p.nearest != 1.0) throw sim::parameter_error(object, "nearest", "must be 0 or 1");
        const auto steps = std::max<std::int64_t>(1, std::llround(p.update_interval / dt));
        return {p.tau_plus, p.tau_minus, p.A_plus,   p.A_minus, p.tau_c,         p.tau_d,
                1.0 / (1.0 / p.tau_c + 1.0 / p.tau_d),      p.baseline, p.W_min, p.W_max, steps, p.nearest == 1.0};
    }

    static std::array<sim::trace_spec, 1> pre_traces(const constants& c) { return {{{c.tau_plus, c.nearest}}}; }
    static std::array<sim::trace_spec, 1> post_traces(const constants& c) { return {{{c.tau_minus, c.nearest}}}; }
    static std::int64_t dynamics_interval(const constants& c) { return c.interval_steps; }
    static double modulator_tau(const constants& c) { return c.tau_d; }

    // Shared by all synapses at one event time t: E = exp((t - t0)/tau_c) and K(t) (see above).
    struct context {
        double E, K;
    };
    static context event_context(const constants& c, const sim::modulator_history& h) {
        const double T = double(h.now - h.since) * h.dt_ms;
        double K = h.start * c.tau_cd * -std::expm1(-T / c.tau_cd) + c.baseline * c.tau_c * -std::expm1(-T / c.tau_c);
        for (const auto& j : h.jumps) {
            const double tj = double(j.step - h.since) * h.dt_ms;
            K += j.amount * std::exp(-tj / c.tau_c) * c.tau_cd * -std::expm1(-(T - tj) / c.tau_cd);
        }
        return {std::exp(T / c.tau_c), K};
    }

    // Brings the weight to the event time: s += C (K - k), clipped; k <- K.
    static double catch_up(const constants& c, double w, const std::array<float*, 2>& v, const context& x) {
        const double C = static_cast<double>(*v[0]);
        const double s = std::clamp(w + C * (x.K - static_cast<double>(*v[1])), c.W_min, c.W_max);
        *v[1] = static_cast<float>(x.K);
        return s;
    }

    static double on_pre(const constants& c, double w, const std::array<float*, 2>& v, const std::array<double, 1>&,
                         const std::array<double, 1>& post, const context& x) {
        const double s = catch_up(c, w, v, x);
        *v[0] = static_cast<float>(static_cast<double>(*v[0]) - c.A_minus * post[0] * x.E);
        return s;
    }
    // Potentiation reads only the presynaptic trace and the context: the engine keeps no post
    // traces per kept spike (post spikes are applied lazily, at the synapse's next arrival).
    static constexpr bool on_post_reads_post = false;
    static double on_post(const constants& c, double w, const std::array<float*, 2>& v, const std::array<double, 1>& pre,
                          const std::array<double, 1>&, const context& x) {
        const double s = catch_up(c, w, v, x);
        *v[0] = static_cast<float>(static_cast<double>(*v[0]) + c.A_plus * pre[0] * x.E);
        return s;
    }
    static double advance(const constants& c, double w, const std::array<float*, 2>& v, std::int64_t, const context& x) {
        const double s = catch_up(c, w, v, x);
        *v[0] = static_cast<float>(static_cast<double>(*v[0]) / x.E);
        *v[1] = 0.0f;
        return s;
    }
};

} // namespace lamina::plasticity
