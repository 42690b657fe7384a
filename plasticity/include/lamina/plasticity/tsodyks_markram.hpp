#pragma once
// Tsodyks-Markram short-term plasticity in the event-based form of Maass & Markram (2002,
// eqs. 4-5) used by NEST's tsodyks2_synapse. At a presynaptic spike that follows the previous one
// by an interval D:
//   x <- 1 + (x - x u - 1) exp(-D / tau_rec)        (resources recover towards 1)
//   u <- U + u (1 - U) exp(-D / tau_fac)             (utilisation facilitates; 0 if tau_fac = 0)
// and the spike transmits u x w. Initially x = 1 and u = U, so the first spike transmits U w.
// Depressing set (Tsodyks, Uziel & Markram 2000): U 0.5, tau_rec 800 ms, tau_fac 0;
// facilitating: U 0.04 (or 0.1), tau_rec 100 ms, tau_fac 1000 ms. The state is kept per source
// neuron of a projection, so the cost is per spike, not per synapse.
#include "lamina/sim/parameters.hpp"

#include <array>
#include <cmath>
#include <cstdint>

namespace lamina::plasticity {

struct tsodyks_markram {
    static constexpr std::string_view name = "tsodyks_markram";

    struct parameters {
        double U = 0.5;          // utilisation of a first spike, in (0, 1]
        double tau_rec = 800.0;  // ms, recovery of resources
        double tau_fac = 0.0;    // ms, facilitation (0: none)
    };
    static constexpr std::array<sim::parameter_field<parameters>, 3> parameter_fields{{
        {"U", "1", &parameters::U, "release probability of a first spike"},
        {"tau_rec", "ms", &parameters::tau_rec, "recovery time constant"},
        {"tau_fac", "ms", &parameters::tau_fac, "facilitation time constant (0: none)"},
    }};
    struct constants {
        double U, tau_rec, tau_fac, dt;
    };
    struct state {
        double x = 1.0;
        double u = -1.0;  // < 0: no spike yet
    };

    static constants lower(const parameters& p, double dt, const std::string& object) {
        if (!(p.U > 0.0 && p.U <= 1.0)) throw sim::parameter_error(object, "U", "must be in (0, 1]");
        sim::require_positive(p.tau_rec, object, "tau_rec", "ms");
        sim::require_nonnegative(p.tau_fac, object, "tau_fac", "ms");
        return {p.U, p.tau_rec, p.tau_fac, dt};
    }

    // Efficacy u x of a spike `steps` after the previous one (-1: the first spike).
    static double efficacy(const constants& c, state& s, std::int64_t steps) {
        if (steps < 0 || s.u < 0.0) {
            s.x = 1.0;
            s.u = c.U;
            return s.x * s.u;
        }
        const double d = double(steps) * c.dt;
        s.x = 1.0 + (s.x - s.x * s.u - 1.0) * std::exp(-d / c.tau_rec);
        s.u = c.U + (c.tau_fac > 0.0 ? s.u * (1.0 - c.U) * std::exp(-d / c.tau_fac) : 0.0);
        return s.x * s.u;
    }
};

} // namespace lamina::plasticity
