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
//
// Event-driven (lazy) update (docs/engine.md, "Event-driven update"): a neuron is advanced only
// when input reaches it, its predicted threshold crossing is due, or its state is read. Between
// those steps it keeps an anchored state, the state at the end of its last update, in V_anchor,
// I_ex_anchor, I_in_anchor and anchor_step (kept in the state arrays so that runs in pieces and
// checkpoints continue bitwise; clock mode does not use them). The state k steps later is the
// k-step propagator applied to it (lif_exp_propagators.hpp); a refractory neuron's anchor step
// lies in the future, at the end of its refractory period, and inputs that reach it meanwhile
// are added to its currents. The next crossing without input is searched on the grid exactly
// (lif_exp_first_crossing). The k-step propagators are computed directly, not as products of
// the one-step ones, so V and the currents differ from clock mode's by rounding (docs/engine.md
// states the bounds); one step from an anchor is bitwise the clock kernel's step.
#include "lamina/models/neuron/lif_exp_propagators.hpp"
#include "lamina/sim/event_model.hpp"

#include <cmath>
#include <string>

namespace lamina::models {

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
    // V_anchor (mV), I_ex_anchor, I_in_anchor (pA) and anchor_step: the event-driven update's
    // anchored state (see above); derived from V_m and the currents whenever those were changed
    // from outside or advanced in clock mode.
    static constexpr std::array<std::string_view, 7> state_names{"V_m",         "I_syn_ex",    "I_syn_in",   "V_anchor",
                                                                 "I_ex_anchor", "I_in_anchor", "anchor_step"};
    static constexpr std::array<sim::port_info, 2> ports{{{"excitatory", "pA", false}, {"inhibitory", "pA", false}}};

    // advance() clears the input slots it reads (saves the engine a separate pass).
    static constexpr bool clears_input = true;

    struct constants {
        double P11_ex, P11_in, P21_ex, P21_in, P22, P20, E_L, V_th, V_reset, I_e;
        std::int32_t ref_steps;
        double h, tau_m, tau_syn_ex, tau_syn_in, C_m;  // for the event-driven propagators
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
                static_cast<std::int32_t>(std::llround(p.t_ref / dt)),
                dt,
                p.tau_m,
                p.tau_syn_ex,
                p.tau_syn_in,
                p.C_m};
    }

    static double initial_value(const parameters& p, std::size_t var) {
        return var == 0 || var == 3 ? p.E_L : var == 6 ? -1.0 : 0.0;
    }

    LAMINA_KERNEL static void advance(const constants& c, const sim::kernel_args<7, 2>& a, sim::spike_sink& sink) {
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

    // Event-driven (lazy) update -----------------------------------------------------------------
    // s = {V_m, I_syn_ex, I_syn_in, V_anchor, I_ex_anchor, I_in_anchor, anchor_step}; the engine's
    // `anchor` is the step from which V evolves freely (the end of refractoriness; at or after
    // anchor_step). V_m and the currents are written only when the state is read (materialise).
    using event_table = lif_exp_propagator_table;
    static event_table make_event_table(const constants& c) {
        return {c.h, c.tau_m, c.tau_syn_ex, c.tau_syn_in, c.C_m};
    }
    static std::string event_limit(const constants&) { return {}; }

    struct event_state {
        double V, I_ex, I_in;
    };
    // The state at the end of step n >= anchor_step of a neuron whose V is free from step `free`.
    static event_state state_at(const constants& c, const event_table& T, double* const* s, std::size_t i,
                                std::int64_t free, std::int64_t n) {
        const auto a = static_cast<std::int64_t>(s[6][i]);
        if (n == a) return {s[3][i], s[4][i], s[5][i]};
        if (n <= free) {  // refractory: V held, currents decay
            const auto P = T(n - a);
            return {c.V_reset, P.P11_ex * s[4][i], P.P11_in * s[5][i]};
        }
        const lif_exp_free_state x = free_start(c, T, s, i, free);
        const auto P = T(n - free);
        return {lif_exp_free_value(P, x, c.I_e) + c.E_L, P.P11_ex * x.I_ex, P.P11_in * x.I_in};
    }
    // The state at the end of step `free`, where free evolution starts.
    static lif_exp_free_state free_start(const constants& c, const event_table& T, double* const* s, std::size_t i,
                                         std::int64_t free) {
        const auto a = static_cast<std::int64_t>(s[6][i]);
        if (free == a) return {s[3][i] - c.E_L, s[4][i], s[5][i]};
        const auto P = T(free - a);
        return {c.V_reset - c.E_L, P.P11_ex * s[4][i], P.P11_in * s[5][i]};
    }
    static void set_anchor(double* const* s, std::size_t i, std::int64_t n, double V, double I_ex, double I_in) {
        s[3][i] = V;
        s[4][i] = I_ex;
        s[5][i] = I_in;
        s[6][i] = static_cast<double>(n);
    }

    static sim::event_outcome event_update(const constants& c, const event_table& T, double* const* s, std::size_t i,
                                           std::int64_t& anchor, std::int64_t n, const double* w) {
        const event_state x = state_at(c, T, s, i, anchor, n);
        const bool input = w[0] != 0.0 || w[1] != 0.0;
        if (n <= anchor) {  // refractory: the inputs enter the currents
            if (!input) return sim::event_outcome::unchanged;
            set_anchor(s, i, n, c.V_reset, x.I_ex + w[0], x.I_in + w[1]);
            return sim::event_outcome::changed;
        }
        const bool fires = x.V >= c.V_th;
        if (!fires && !input) return sim::event_outcome::unchanged;
        set_anchor(s, i, n, x.V, x.I_ex + w[0], x.I_in + w[1]);
        anchor = n;
        return fires ? sim::event_outcome::fired : sim::event_outcome::changed;
    }
    static void event_fire(const constants& c, const event_table&, double* const* s, std::size_t i,
                           std::int64_t& anchor, std::int64_t n) noexcept {
        s[3][i] = c.V_reset;
        anchor = n + c.ref_steps;
    }
    static std::int64_t event_next_spike(const constants& c, const event_table& T, double* const* s, std::size_t i,
                                         std::int64_t anchor) {
        const std::int64_t k = lif_exp_first_crossing(T, free_start(c, T, s, i, anchor), c.I_e, c.V_th - c.E_L);
        return k < 0 ? -1 : anchor + k;
    }
    static void event_materialise(const constants& c, const event_table& T, double* const* s, std::int32_t* r,
                                  std::size_t i, std::int64_t anchor, std::int64_t last) {
        const event_state x = state_at(c, T, s, i, anchor, last);
        s[0][i] = x.V;
        s[1][i] = x.I_ex;
        s[2][i] = x.I_in;
        r[i] = anchor > last ? static_cast<std::int32_t>(anchor - last) : 0;
        // A refractory period that has ended: anchor at its end (bitwise the same later values),
        // so that event_anchor can recover the anchor from the arrays.
        const auto a = static_cast<std::int64_t>(s[6][i]);
        if (anchor <= last && anchor > a) {
            const lif_exp_free_state f = free_start(c, T, s, i, anchor);
            set_anchor(s, i, anchor, c.V_reset, f.I_ex, f.I_in);
        }
    }
    static std::int64_t event_anchor(const constants& c, const event_table& T, double* const* s, std::int32_t* r,
                                     std::size_t i, std::int64_t last) {
        const double a = s[6][i];
        const std::int64_t free = r[i] > 0 ? last + r[i] : static_cast<std::int64_t>(a);
        bool valid = std::isfinite(a) && a == std::floor(a) && a <= double(last) && a >= -1.0 &&
                     std::isfinite(s[3][i]) && std::isfinite(s[4][i]) && std::isfinite(s[5][i]);
        if (valid) {
            const event_state x = state_at(c, T, s, i, free, last);
            valid = x.V == s[0][i] && x.I_ex == s[1][i] && x.I_in == s[2][i];
        }
        if (valid) return free;
        // Changed from outside (initial values, live control) or advanced in clock mode: anchor here.
        set_anchor(s, i, last, r[i] > 0 ? c.V_reset : s[0][i], s[1][i], s[2][i]);
        return r[i] > 0 ? last + r[i] : last;
    }
};

} // namespace lamina::models

// Precise spike times (`precise = true`) are a specialisation in their own header; included here so
// that every population of this model sees it.
#include "lamina/models/neuron/lif_psc_exp_precise.hpp"
