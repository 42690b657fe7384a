#pragma once
// Triplet spike-timing-dependent plasticity (Pfister & Gerstner 2006, "Triplets of spikes in a
// model of spike timing-dependent plasticity", J Neurosci 26:9673), the minimal and full models.
//
// Traces (each decays exponentially; +1 per spike for all-to-all pairing, set to 1 for
// nearest-spike pairing, trace_spec.nearest):
//   presynaptic  r1 (tau_plus), r2 (tau_x)       -- updated at the spike's arrival (axonal delay)
//   postsynaptic o1 (tau_minus), o2 (tau_y)
// Updates (additive, hard bounds):
//   post spike at t:   w <- min(W_max, w + r1(t) [A2_plus  + A3_plus  o2(t - eps)])
//   pre arrival at t:  w <- max(W_min, w - o1(t) [A2_minus + A3_minus r2(t - eps)])
// "t - eps": the slow trace of the side that spikes is read before this spike's increment, which
// is what the engine hands the hooks (plasticity.hpp). A pre arrival and a post spike in the same
// step count as pre-before-post: the post spike sees r1 including that arrival, the arrival does
// not see o1 of that post spike.
// The pair terms (A2) give the usual exponential STDP window; A3_plus makes potentiation grow
// with recent postsynaptic activity (o2), which reproduces the frequency dependence of Sjostrom,
// Turrigiano & Nelson (2001); A3_minus is the pre-pre-post depression triplet term.
//
// Units: times in ms; amplitudes and bounds in the weight's unit (pA, nS or mV), as in NEST's
// stdp_triplet_synapse. Pfister & Gerstner fit fractional weight changes, so their amplitudes
// apply to a synapse of weight 1: for a synapse of nominal weight w0 multiply A2_plus, A3_plus,
// A2_minus and A3_minus by w0 (scaled(w0)). The rule acts on the signed weight: on a current
// port with negative (inhibitory) weights, bounds [W_min, W_max] must be negative and
// "potentiation" moves the weight towards W_max, i.e. weakens the inhibition.
//
// Parameter sets (static factories below) are Pfister & Gerstner's Tables 3 (visual cortex,
// Sjostrom et al. 2001 data) and 4 (hippocampal culture, Bi & Poo / Wang et al. 2005 data) as
// collected in reference.md section 3.2; tau_plus = 16.8 ms and tau_minus = 33.7 ms in all fits.
#include "lamina/sim/plasticity.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace lamina::plasticity {

struct stdp_triplet {
    static constexpr std::string_view name = "stdp_triplet";

    struct parameters {
        double tau_plus = 16.8;    // ms, fast presynaptic trace r1
        double tau_x = 101.0;      // ms, slow presynaptic trace r2
        double tau_minus = 33.7;   // ms, fast postsynaptic trace o1
        double tau_y = 125.0;      // ms, slow postsynaptic trace o2
        double A2_plus = 5e-10;    // weight, pair potentiation
        double A3_plus = 6.2e-3;   // weight, triplet potentiation (post-pre-post)
        double A2_minus = 7e-3;    // weight, pair depression
        double A3_minus = 2.3e-4;  // weight, triplet depression (pre-post-pre)
        double W_min = 0.0;        // weight
        double W_max = 100.0;      // weight
        double nearest = 0.0;      // 0: all-to-all pairing, 1: nearest-spike

        // The same set with amplitudes scaled by w0 (fitted fractional changes at weight w0).
        parameters scaled(double w0) const {
            parameters p = *this;
            p.A2_plus *= w0;
            p.A3_plus *= w0;
            p.A2_minus *= w0;
            p.A3_minus *= w0;
            return p;
        }

        // Pfister & Gerstner 2006 fits. Defaults above = visual cortex, all-to-all, full model
        // (also NEST stdp_triplet_synapse's defaults) [V].
        static parameters visual_cortex_all_to_all_full() { return {}; }
        // Visual cortex, all-to-all, minimal model (A2_plus = A3_minus = 0, so tau_x is unused)
        // [V: Auryn TripletConnection].
        static parameters visual_cortex_all_to_all_minimal() {
            return set(101.0, 114.0, 0.0, 6.5e-3, 7.1e-3, 0.0, false);
        }
        // Visual cortex, nearest-spike, full: tau_x = 714 ms, tau_y = 40 ms; its amplitudes are
        // not in reference.md, so no factory is provided.
        //
        // Hippocampal, all-to-all, full [U: one transcription only].
        static parameters hippocampal_all_to_all_full() {
            return set(946.0, 27.0, 6.1e-3, 6.7e-3, 1.6e-3, 1.4e-3, false);
        }
        // Hippocampal, all-to-all, minimal (A3_minus = 0, tau_x unused) [U].
        static parameters hippocampal_all_to_all_minimal() {
            return set(946.0, 40.0, 5.3e-3, 8.0e-3, 3.5e-3, 0.0, false);
        }
        // Hippocampal, nearest-spike, full [U].
        static parameters hippocampal_nearest_full() {
            return set(575.0, 47.0, 4.6e-3, 9.1e-3, 3e-3, 7.5e-9, true);
        }

    private:
        static parameters set(double tau_x, double tau_y, double a2p, double a3p, double a2m, double a3m,
                              bool near) {
            parameters p;
            p.tau_x = tau_x;
            p.tau_y = tau_y;
            p.A2_plus = a2p;
            p.A3_plus = a3p;
            p.A2_minus = a2m;
            p.A3_minus = a3m;
            p.nearest = near ? 1.0 : 0.0;
            return p;
        }
    };
    static constexpr std::array<sim::parameter_field<parameters>, 11> parameter_fields{{
        {"tau_plus", "ms", &parameters::tau_plus, "fast presynaptic trace r1 (pair potentiation)"},
        {"tau_x", "ms", &parameters::tau_x, "slow presynaptic trace r2 (triplet depression)"},
        {"tau_minus", "ms", &parameters::tau_minus, "fast postsynaptic trace o1 (pair depression)"},
        {"tau_y", "ms", &parameters::tau_y, "slow postsynaptic trace o2 (triplet potentiation)"},
        {"A2_plus", "weight", &parameters::A2_plus, "pair potentiation amplitude"},
        {"A3_plus", "weight", &parameters::A3_plus, "triplet potentiation amplitude"},
        {"A2_minus", "weight", &parameters::A2_minus, "pair depression amplitude"},
        {"A3_minus", "weight", &parameters::A3_minus, "triplet depression amplitude"},
        {"W_min", "weight", &parameters::W_min, "lower bound of the weight"},
        {"W_max", "weight", &parameters::W_max, "upper bound of the weight"},
        {"nearest", "0/1", &parameters::nearest, "nearest-spike pairing instead of all-to-all"},
    }};
    static constexpr std::array<std::string_view, 0> synapse_vars{};

    struct constants {
        double tau_plus, tau_x, tau_minus, tau_y, A2_plus, A3_plus, A2_minus, A3_minus, W_min, W_max;
        bool nearest;
    };

    static constants lower(const parameters& p, double, const std::string& object) {
        sim::require_positive(p.tau_plus, object, "tau_plus", "ms");
        sim::require_positive(p.tau_x, object, "tau_x", "ms");
        sim::require_positive(p.tau_minus, object, "tau_minus", "ms");
        sim::require_positive(p.tau_y, object, "tau_y", "ms");
        sim::require_nonnegative(p.A2_plus, object, "A2_plus", "");
        sim::require_nonnegative(p.A3_plus, object, "A3_plus", "");
        sim::require_nonnegative(p.A2_minus, object, "A2_minus", "");
        sim::require_nonnegative(p.A3_minus, object, "A3_minus", "");
        for (auto [v, n] : {std::pair{p.A2_plus, "A2_plus"}, {p.A3_plus, "A3_plus"}, {p.A2_minus, "A2_minus"},
                            {p.A3_minus, "A3_minus"}, {p.W_min, "W_min"}, {p.W_max, "W_max"}})
            sim::require_finite(v, object, n);
        if (!(p.W_min <= p.W_max)) throw sim::parameter_error(object, "W_max", "must be >= W_min");
        if (p.nearest != 0.0 && p.nearest != 1.0) throw sim::parameter_error(object, "nearest", "must be 0 or 1");
        return {p.tau_plus, p.tau_x,    p.tau_minus, p.tau_y, p.A2_plus,        p.A3_plus,
                p.A2_minus, p.A3_minus, p.W_min,     p.W_max, p.nearest == 1.0};
    }

    // Trace order: pre {r1, r2}, post {o1, o2}.
    static std::array<sim::trace_spec, 2> pre_traces(const constants& c) {
        return {{{c.tau_plus, c.nearest}, {c.tau_x, c.nearest}}};
    }
    static std::array<sim::trace_spec, 2> post_traces(const constants& c) {
        return {{{c.tau_minus, c.nearest}, {c.tau_y, c.nearest}}};
    }

    // Pre arrival: pre_before = {r1, r2} before this arrival, post = {o1, o2} now.
    static double on_pre(const constants& c, double w, const std::array<float*, 0>&,
                         const std::array<double, 2>& pre_before, const std::array<double, 2>& post) {
        return std::max(c.W_min, w - post[0] * (c.A2_minus + c.A3_minus * pre_before[1]));
    }
    // Post spike: pre = {r1, r2} including arrivals of this step, post_before = {o1, o2} before it.
    static double on_post(const constants& c, double w, const std::array<float*, 0>&, const std::array<double, 2>& pre,
                          const std::array<double, 2>& post_before) {
        return std::min(c.W_max, w + pre[0] * (c.A2_plus + c.A3_plus * post_before[1]));
    }
};

} // namespace lamina::plasticity
