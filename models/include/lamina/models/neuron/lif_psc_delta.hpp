#pragma once
// Leaky integrate-and-fire neuron with delta synapses (NEST iaf_psc_delta; Brunel 2000 model A).
//
//   tau_m dV/dt = -(V - E_L) + tau_m/C_m (I_e + I_ext)          [V in mV, t in ms, I in pA, C in pF]
//   an input of weight w (mV) makes V jump by w
//   V >= V_th: spike, V <- V_reset, clamped there for t_ref (rounded to whole steps)
//
// Integration is exact on the grid (Rotter & Diesmann 1999). Between inputs the solution is
//   V(t) = V_inf + (V(t_a) - V_inf) exp(-(t - t_a)/tau_m),   V_inf = E_L + tau_m/C_m (I_e + I_ext),
// and the kernel stores it in that form: V_rel = V(t_a) - V_inf at the last input (the anchor) and
// decay = exp(-(t - t_a)/tau_m) as the product of one factor P33 = exp(-dt/tau_m) per step (set to
// 0 once below 2^-64, where V_rel * decay no longer matters and denormals would be slow). A step
//   decay <- P33 decay;  V <- max(V_inf + V_rel decay, V_min)
// and, when the summed input w of the step is not zero, a new anchor
//   V_rel <- max(V + w, V_min) - V_inf;  decay <- 1;  V <- max(V_inf + V_rel, V_min).
// Because decay after k idle steps is the same product whether it is formed step by step or read
// from a table of P33^k built by the same multiplications, the event-driven (lazy) update below
// gives bitwise the V of the clock-driven kernel (docs/engine.md, "Event-driven update").
// Jumps arriving while refractory are discarded (NEST default). A neuron with a non-zero external
// current from devices (I_ext) may see V_inf change every step, so it is anchored every step
//   V <- max(max(V_inf(I_ext) + (V - V_inf(I_ext)) P33, V_min) + w, V_min)
// in clock and event mode alike; a neuron whose current is 0 keeps the anchored form.
// Ports: "excitatory" and "inhibitory" (both mV, any sign).
#include "lamina/sim/event_model.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

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
    // V_rel (mV) and decay (1) are the anchored form of V_m described above; they are derived from
    // V_m at every run start when V_m was changed from outside (initial values, live control).
    static constexpr std::array<std::string_view, 3> state_names{"V_m", "V_rel", "decay"};
    static constexpr std::array<sim::port_info, 2> ports{{{"excitatory", "mV", false}, {"inhibitory", "mV", false}}};

    // advance() clears the input slots it reads (saves the engine a separate pass).
    static constexpr bool clears_input = true;
    // The lazy update gives bitwise the clock kernel's V (above): the engine may run the clock
    // kernel for an event-driven population while most of its neurons are touched every step.
    static constexpr bool event_bitwise_clock = true;

    // Below this the decay factor is set to 0 (2^-64: V_rel decay < 1e-15 mV for |V_rel| < 1e4 mV).
    static constexpr double decay_floor = 0x1.0p-64;

    struct constants {
        double P33, R, E_L, V_th, V_reset, I_e, V_min, V_inf;
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
        const double R = p.tau_m / p.C_m;
        return {std::exp(-dt / p.tau_m), R, p.E_L, p.V_th, p.V_reset, p.I_e, p.V_min, fixed_point(p.E_L, R, p.I_e, 0.0),
                static_cast<std::int32_t>(std::llround(p.t_ref / dt))};
    }

    static double initial_value(const parameters& p, std::size_t var) { return var == 0 ? p.E_L : var == 1 ? 0.0 : 1.0; }

    // V_inf for an external current I (pA); the same expression in every path.
    static double fixed_point(double E_L, double R, double I_e, double I) noexcept { return E_L + R * (I_e + I); }
    static double next_decay(double P33, double decay) noexcept {
        const double d = P33 * decay;
        return d < decay_floor ? 0.0 : d;
    }

    LAMINA_KERNEL static void advance(const constants& c, const sim::kernel_args<3, 2>& a, sim::spike_sink& sink) {
        double* __restrict V = a.state[0];
        double* __restrict U = a.state[1];
        double* __restrict D = a.state[2];
        std::int32_t* __restrict r = a.refractory;
        double* __restrict ex = a.input[0];
        double* __restrict in = a.input[1];
        const double* __restrict I = a.current;
        const std::size_t begin = a.begin, end = a.end;
        if (!a.drive_varies) {
            LAMINA_SIMD
            for (std::size_t i = begin; i < end; ++i) {
                const std::int32_t ri = r[i];
                const double d = next_decay(c.P33, D[i]);
                const double f = std::max(c.V_inf + U[i] * d, c.V_min);
                const double w = ex[i] + in[i];
                ex[i] = 0.0;
                in[i] = 0.0;
                const bool jump = w != 0.0;
                const double u = jump ? std::max(f + w, c.V_min) - c.V_inf : U[i];
                const double v = jump ? std::max(c.V_inf + u, c.V_min) : f;
                V[i] = ri > 0 ? c.V_reset : v;
                U[i] = ri > 0 ? U[i] : u;
                D[i] = (ri > 0 || jump) ? 1.0 : d;
                r[i] = ri > 0 ? ri - 1 : 0;
            }
        } else {
            // A neuron with external current: V_inf may change every step, so it is anchored every
            // step. A neuron whose current is 0 in this step takes the anchored form above, so its
            // V is bitwise what it would be without the device (and what event mode gives it).
            LAMINA_SIMD
            for (std::size_t i = begin; i < end; ++i) {
                const std::int32_t ri = r[i];
                const bool driven = I[i] != 0.0;
                const double vinf = fixed_point(c.E_L, c.R, c.I_e, I[i]);
                const double fd = std::max(vinf + (V[i] - vinf) * c.P33, c.V_min);
                const double vd = std::max(fd + ex[i] + in[i], c.V_min);
                const double d = next_decay(c.P33, D[i]);
                const double f = std::max(c.V_inf + U[i] * d, c.V_min);
                const double w = ex[i] + in[i];
                ex[i] = 0.0;
                in[i] = 0.0;
                const bool jump = w != 0.0;
                const double u = driven ? vd - c.V_inf : jump ? std::max(f + w, c.V_min) - c.V_inf : U[i];
                const double v = driven ? vd : jump ? std::max(c.V_inf + u, c.V_min) : f;
                V[i] = ri > 0 ? c.V_reset : v;
                U[i] = ri > 0 ? c.V_reset - c.V_inf : u;
                D[i] = (ri > 0 || jump || driven) ? 1.0 : d;
                r[i] = ri > 0 ? ri - 1 : 0;
            }
        }
        sim::fire_at_threshold(V, r, begin, end, c.V_reset, c.V_th, c.ref_steps, sink, [&](std::size_t i) {
            U[i] = c.V_reset - c.V_inf;
            D[i] = 1.0;
        });
    }

    // Derives V_rel and decay from V_m where V_m is not what they give (set from outside), and the
    // anchor of refractory neurons; runs at every run start. Neurons whose three values agree are
    // left alone, so runs split anywhere give the results of one run.
    static void reconcile(const constants& c, const sim::kernel_args<3, 2>& a) {
        double* V = a.state[0];
        double* U = a.state[1];
        double* D = a.state[2];
        for (std::size_t i = a.begin; i < a.end; ++i) {
            if (a.refractory[i] > 0) {
                U[i] = c.V_reset - c.V_inf;
                D[i] = 1.0;
                continue;
            }
            const double f = std::max(c.V_inf + U[i] * D[i], c.V_min);
            if (f == V[i] && std::isfinite(U[i]) && D[i] >= 0.0 && D[i] <= 1.0) continue;
            U[i] = V[i] - c.V_inf;
            D[i] = 1.0;
            V[i] = std::max(c.V_inf + U[i], c.V_min);
        }
    }

    // Event-driven (lazy) update ------------------------------------------------------------------
    // decay_table[k] = the decay factor k steps after an anchor, built by the kernel's own
    // multiplications; it ends at the first 0 (every later k gives 0 too).
    // The table holds 44.4 tau_m/dt entries; event mode is refused beyond this many (16 MB).
    static constexpr std::size_t max_decay_table = std::size_t(1) << 21;
    static std::string event_limit(const constants& c) {
        const double entries = std::log(decay_floor) / std::log(c.P33);
        if (!(entries < double(max_decay_table)))
            return "tau_m/dt is too large for the event-driven decay table (" + std::to_string(std::llround(entries)) +
                   " entries; at most " + std::to_string(max_decay_table) + ")";
        return {};
    }
    using event_table = std::vector<double>;
    static event_table make_event_table(const constants& c) {
        std::vector<double> t{1.0};
        while (t.back() > 0.0) t.push_back(next_decay(c.P33, t.back()));
        return t;
    }
    static double decay_after(const std::vector<double>& T, std::int64_t k) noexcept {
        return k < static_cast<std::int64_t>(T.size()) ? T[static_cast<std::size_t>(k)] : 0.0;
    }
    // V at the end of step n of a neuron anchored at step `anchor` (n > anchor).
    static double value_at(const constants& c, const std::vector<double>& T, double u, std::int64_t k) noexcept {
        return std::max(c.V_inf + u * decay_after(T, k), c.V_min);
    }
    // Step (after `anchor`) at which an unperturbed neuron reaches V_th, or -1 if never: only with
    // V_inf >= V_th, where V rises monotonically (T is non-increasing and rounding is monotone),
    // so the first step is found by bisection over the table; exact, not approximate.
    static std::int64_t crossing_step(const constants& c, const std::vector<double>& T, double u) noexcept {
        if (!(c.V_inf >= c.V_th)) return -1;
        std::int64_t lo = 0, hi = static_cast<std::int64_t>(T.size()) - 1;  // value_at(hi) = max(V_inf, V_min) >= V_th
        if (value_at(c, T, u, 1) >= c.V_th) return 1;
        lo = 1;
        while (hi - lo > 1) {
            const std::int64_t mid = lo + (hi - lo) / 2;
            if (value_at(c, T, u, mid) >= c.V_th)
                hi = mid;
            else
                lo = mid;
        }
        return hi;
    }

    // The event_model interface (lazy_update.hpp); s = {V_m, V_rel, decay}.
    static sim::event_outcome event_update(const constants& c, const event_table& T, double* const* s, std::size_t i,
                                           std::int64_t& anchor, std::int64_t n, const double* w) noexcept {
        if (n <= anchor) return sim::event_outcome::unchanged;  // refractory: the input is discarded
        double* V = s[0];
        double* U = s[1];
        const double f = value_at(c, T, U[i], n - anchor);
        const double jump = w[0] + w[1];
        if (jump != 0.0) {
            const double u = std::max(f + jump, c.V_min) - c.V_inf;
            U[i] = u;
            anchor = n;
            V[i] = std::max(c.V_inf + u, c.V_min);
        } else {
            V[i] = f;
        }
        if (V[i] >= c.V_th) return sim::event_outcome::fired;
        return jump != 0.0 ? sim::event_outcome::changed : sim::event_outcome::unchanged;
    }
    // A neuron with a constant external current I != 0 (pA; neuron_currents devices) is advanced
    // every step by the clock kernel's per-step form (above), with the step's inputs w.
    static constexpr bool event_takes_current = true;
    static sim::event_outcome event_update_driven(const constants& c, double* const* s, std::size_t i,
                                                  std::int64_t& anchor, std::int64_t n, const double* w,
                                                  double I) noexcept {
        if (n <= anchor) return sim::event_outcome::unchanged;  // refractory: V held at V_reset
        double* V = s[0];
        double* U = s[1];
        const double vinf = fixed_point(c.E_L, c.R, c.I_e, I);
        const double f = std::max(vinf + (V[i] - vinf) * c.P33, c.V_min);
        const double v = std::max(f + w[0] + w[1], c.V_min);
        V[i] = v;
        U[i] = v - c.V_inf;
        anchor = n;
        return v >= c.V_th ? sim::event_outcome::fired : sim::event_outcome::changed;
    }
    static void event_fire(const constants& c, const event_table&, double* const* s, std::size_t i,
                           std::int64_t& anchor, std::int64_t n) noexcept {
        s[0][i] = c.V_reset;
        s[1][i] = c.V_reset - c.V_inf;
        anchor = n + c.ref_steps;
    }
    static std::int64_t event_next_spike(const constants& c, const std::vector<double>& T, double* const* s,
                                         std::size_t i, std::int64_t anchor) noexcept {
        const std::int64_t k = crossing_step(c, T, s[1][i]);
        return k < 0 ? -1 : anchor + k;
    }
    static void event_materialise(const constants& c, const std::vector<double>& T, double* const* s,
                                  std::int32_t* r, std::size_t i, std::int64_t anchor, std::int64_t last) noexcept {
        if (anchor > last) {
            r[i] = static_cast<std::int32_t>(anchor - last);
            s[0][i] = c.V_reset;
            s[2][i] = 1.0;
            return;
        }
        r[i] = 0;
        const std::int64_t k = last - anchor;
        s[2][i] = decay_after(T, k);
        if (k > 0) s[0][i] = value_at(c, T, s[1][i], k);
    }
    static std::int64_t event_anchor(const constants& c, const std::vector<double>& T, double* const* s,
                                     std::int32_t* r, std::size_t i, std::int64_t last) noexcept {
        if (r[i] > 0) return last + r[i];
        const double d = s[2][i];
        // T decreases strictly to its final 0.
        auto it = std::lower_bound(T.begin(), T.end(), d, std::greater<>{});
        if (it != T.end() && *it == d) return last - static_cast<std::int64_t>(it - T.begin());
        s[1][i] = s[0][i] - c.V_inf;
        s[2][i] = 1.0;
        s[0][i] = std::max(c.V_inf + s[1][i], c.V_min);
        return last;
    }
};

} // namespace lamina::models

// Precise spike times (`precise = true`) are a specialisation in their own header; included here so
// that every population of this model sees it.
#include "lamina/models/neuron/lif_psc_delta_precise.hpp"
