#pragma once
// lif_psc_delta with precise spike times (`precise = true`; NEST's iaf_psc_delta_ps, Morrison,
// Straube, Plesser & Diesmann 2007). The same equations as lif_psc_delta.hpp:
//
//   tau_m dV/dt = -(V - E_L) + tau_m/C_m (I_e + I_ext),   an input of weight w makes V jump by w
//
// with inputs acting at their exact arrival times inside a step and spikes emitted at the exact
// crossing time (sim/include/lamina/sim/precise_model.hpp states the time convention). Between
// inputs V(t) = V_inf + (V0 - V_inf) exp(-t/tau_m), V_inf = E_L + tau_m/C_m (I_e + I_ext), which
// is monotone, so V crosses threshold either at an input (a jump to V >= V_th: the spike has the
// input's time) or, when V_inf > V_th, at
//   t = tau_m ln((V_inf - V0) / (V_inf - V_th)),
// found analytically. Inputs that arrive at the same time (within precise_coincidence_ms, 1e-9 ms)
// are summed before the threshold test (as the clock kernel sums a step's inputs). After a spike V
// is held at V_reset for exactly t_ref (at least one step) and inputs arriving meanwhile, up to and
// including the release time (again within 1e-9 ms), are discarded (as in clock mode and NEST). V is bounded below by V_min after every input and at the
// ends of steps. V_rel and decay, the clock kernel's anchored form of V, are kept consistent
// (V_rel = V - V_inf, decay = 1) so that a population can be inspected like a clock one.
#include "lamina/models/neuron/lif_psc_delta.hpp"
#include "lamina/sim/precise_model.hpp"

#include <cmath>
#include <limits>
#include <string>

namespace lamina::sim {

template <>
struct precise_dynamics<models::lif_psc_delta> {
    using model = models::lif_psc_delta;

    struct constants {
        double h, tau_m, R, E_L, V_th, V_reset, I_e, V_min, V_inf, P33;
        precise_refractory ref;
    };

    static constants lower(const model::parameters& p, double h, const std::string& object) {
        const model::constants g = model::lower(p, h, object);
        if (p.t_ref < h * (1.0 - 1e-9))
            throw parameter_error(object, "t_ref",
                                  "must be at least one step (dt) with precise spike times, so that a neuron fires at "
                                  "most once per step");
        return {h, p.tau_m, g.R, p.E_L, p.V_th, p.V_reset, p.I_e, p.V_min, g.V_inf, g.P33, split_refractory(p.t_ref, h)};
    }

    static double step(const constants& c, double* const* s, std::int32_t& r, double& release, std::size_t i,
                       const precise_input* first, const precise_input* last, const double* end_input, double I_ext) {
        double V = s[0][i];
        const double V_inf = model::fixed_point(c.E_L, c.R, c.I_e, I_ext);
        constexpr double forever = std::numeric_limits<double>::infinity();
        constexpr double eps = precise_coincidence_ms;
        double held = r >= 2 ? forever : r == 1 ? release : 0.0;
        const std::int32_t r_start = r;
        double spike = -1.0;
        double t = 0.0;
        auto fire = [&](double at) {
            spike = at;
            V = c.V_reset;
            start_refractory(c.ref, c.h, at, r, release);
            held = forever;
        };
        // Free relaxation from t to te, firing on the way if V_inf lies above threshold.
        auto advance_to = [&](double te) {
            if (t < held) {
                V = c.V_reset;
                t = std::min(held, te);
            }
            if (!(t < te)) return;
            const double span = te - t;
            if (V >= c.V_th) {  // set above threshold from outside: fires at once
                fire(t);
                t = te;
                return;
            }
            const double P = span == c.h ? c.P33 : std::exp(-span / c.tau_m);
            const double V_end = std::max(V_inf + (V - V_inf) * P, c.V_min);
            if (V_inf > c.V_th && V_end >= c.V_th) {
                const double crossing = c.tau_m * std::log((V_inf - V) / (V_inf - c.V_th));
                fire(std::min(t + std::max(crossing, 0.0), te));
                t = te;
                return;
            }
            V = V_end;
            t = te;
        };
        // Inputs of one time together: jump, bound, test.
        auto jump = [&](double te, double w) {
            if ((held > 0.0 && te <= held + eps) || w == 0.0) return;  // refractory up to and including the release
            V = std::max(V + w, c.V_min);
            if (V >= c.V_th) fire(te);
        };
        const precise_input* e = first;
        while (e != last && e->time < c.h - eps) {
            const double te = e->time;
            advance_to(te);
            double w = 0.0;
            for (; e != last && e->time <= te + eps; ++e) w += e->weight;
            jump(te, w);
        }
        advance_to(c.h);
        double w = end_input[0] + end_input[1];
        for (; e != last; ++e) w += e->weight;  // inputs at the end of the step, with the grid's
        jump(c.h, w);
        if (spike < 0.0) r = r_start >= 2 ? r_start - 1 : 0;
        s[0][i] = V;
        s[1][i] = V - c.V_inf;
        s[2][i] = 1.0;
        return spike;
    }
};

} // namespace lamina::sim
