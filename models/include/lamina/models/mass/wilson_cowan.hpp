#pragma once
// Wilson-Cowan neural mass (Wilson & Cowan 1972, Biophys J 12:1; the form used by The Virtual
// Brain, reference digest 4.1): fractions E and I of active excitatory and inhibitory cells.
//
//   tau_e dE/dt = -E + (k_e - r_e E) S_e(c1 E - c2 I + P + u) + tau_e sigma_e xi_e(t)
//   tau_i dI/dt = -I + (k_i - r_i I) S_i(c3 E - c4 I + Q)     + tau_i sigma_i xi_i(t)
//   S_x(v) = 1/(1 + exp(-a_x (v - theta_x))) - 1/(1 + exp(a_x theta_x))      (so S_x(0) = 0)
//   k_x = 1 - 1/(1 + exp(a_x theta_x))                                        (the maximum of S_x)
//   [E, I, P, Q, u, c, a v dimensionless; t and tau in ms; sigma in 1/sqrt(ms); xi white noise]
//
// State layout (SoA): E, I. The coupling input u adds to the excitatory population's input (like
// P); the coupling output and the observable are E.
//
// Defaults: the classic limit-cycle set of Wilson & Cowan (1972): c1 16, c2 12, c3 15, c4 3,
// a_e 1.3, theta_e 4, a_i 2, theta_i 3.7, r_e = r_i = 1, P 1.25, Q 0, with tau_e = tau_i = 10 ms.
// Reference digest 4.1 (Euler, 0.01 ms): a limit cycle at 20 Hz for tau = 10 ms and 25 Hz for
// tau = 8 ms (E peak-to-peak 0.168), frequency proportional to 1/tau; P = 0 and P = 0.5 give a
// stable fixed point. An accurate integration (scipy, rtol 1e-10) gives 20.02 and 25.02 Hz.
// Measured with the lattice (Heun, 0.05 ms; test_masses.cpp): 20.02 Hz (E peak-to-peak 0.167) and
// 25.02 Hz; fixed points for P = 0 and 0.5.
#include "lamina/models/mass/neural_mass.hpp"

#include <array>
#include <cmath>
#include <string>
#include <string_view>
#include <utility>

namespace lamina::models::mass {

struct wilson_cowan {
    static constexpr std::string_view name = "wilson_cowan";
    static constexpr std::string_view input_unit = "1";   // added to the E sigmoid's argument
    static constexpr std::string_view output_unit = "1";  // E

    struct parameters {
        double tau_e = 10.0;   // ms
        double tau_i = 10.0;   // ms
        double c1 = 16.0;      // 1, E -> E
        double c2 = 12.0;      // 1, I -> E
        double c3 = 15.0;      // 1, E -> I
        double c4 = 3.0;       // 1, I -> I
        double a_e = 1.3;      // 1, slope of S_e
        double theta_e = 4.0;  // 1, threshold of S_e
        double a_i = 2.0;      // 1, slope of S_i
        double theta_i = 3.7;  // 1, threshold of S_i
        double r_e = 1.0;      // 1, refractoriness of E
        double r_i = 1.0;      // 1, refractoriness of I
        double P = 1.25;       // 1, external input to E
        double Q = 0.0;        // 1, external input to I
        double sigma_e = 0.0;  // 1/sqrt(ms), noise on E
        double sigma_i = 0.0;  // 1/sqrt(ms), noise on I
    };
    static constexpr std::array<sim::parameter_field<parameters>, 16> parameter_fields{{
        {"tau_e", "ms", &parameters::tau_e, "excitatory time constant"},
        {"tau_i", "ms", &parameters::tau_i, "inhibitory time constant"},
        {"c1", "1", &parameters::c1, "E -> E coupling"},
        {"c2", "1", &parameters::c2, "I -> E coupling"},
        {"c3", "1", &parameters::c3, "E -> I coupling"},
        {"c4", "1", &parameters::c4, "I -> I coupling"},
        {"a_e", "1", &parameters::a_e, "slope of the excitatory sigmoid"},
        {"theta_e", "1", &parameters::theta_e, "threshold of the excitatory sigmoid"},
        {"a_i", "1", &parameters::a_i, "slope of the inhibitory sigmoid"},
        {"theta_i", "1", &parameters::theta_i, "threshold of the inhibitory sigmoid"},
        {"r_e", "1", &parameters::r_e, "excitatory refractoriness"},
        {"r_i", "1", &parameters::r_i, "inhibitory refractoriness"},
        {"P", "1", &parameters::P, "external input to the excitatory population"},
        {"Q", "1", &parameters::Q, "external input to the inhibitory population"},
        {"sigma_e", "1/sqrt(ms)", &parameters::sigma_e, "additive white-noise amplitude on E"},
        {"sigma_i", "1/sqrt(ms)", &parameters::sigma_i, "additive white-noise amplitude on I"},
    }};
    static constexpr std::array<std::string_view, 2> state_names{"E", "I"};
    static constexpr std::array<std::size_t, 2> noise_targets{0, 1};

    struct constants {
        double inv_tau_e, inv_tau_i;       // 1/ms
        double c1, c2, c3, c4, P, Q;
        double a_e, theta_e, a_i, theta_i;
        double off_e, off_i;               // 1/(1 + exp(a theta)), S's offset
        double k_e, k_i, r_e, r_i;
        double sigma_e, sigma_i;           // 1/sqrt(ms)
    };

    static constants lower(const parameters& p, const std::string& object) {
        sim::require_positive(p.tau_e, object, "tau_e", "ms");
        sim::require_positive(p.tau_i, object, "tau_i", "ms");
        for (auto [v, n] : {std::pair{p.c1, "c1"}, {p.c2, "c2"}, {p.c3, "c3"}, {p.c4, "c4"}})
            sim::require_nonnegative(v, object, n, "");
        sim::require_positive(p.a_e, object, "a_e", "");
        sim::require_positive(p.a_i, object, "a_i", "");
        sim::require_nonnegative(p.r_e, object, "r_e", "");
        sim::require_nonnegative(p.r_i, object, "r_i", "");
        sim::require_nonnegative(p.sigma_e, object, "sigma_e", "1/sqrt(ms)");
        sim::require_nonnegative(p.sigma_i, object, "sigma_i", "1/sqrt(ms)");
        for (auto [v, n] : {std::pair{p.tau_e, "tau_e"}, {p.tau_i, "tau_i"}, {p.c1, "c1"}, {p.c2, "c2"},
                            {p.c3, "c3"}, {p.c4, "c4"}, {p.a_e, "a_e"}, {p.theta_e, "theta_e"}, {p.a_i, "a_i"},
                            {p.theta_i, "theta_i"}, {p.r_e, "r_e"}, {p.r_i, "r_i"}, {p.P, "P"}, {p.Q, "Q"},
                            {p.sigma_e, "sigma_e"}, {p.sigma_i, "sigma_i"}})
            sim::require_finite(v, object, n);
        constants c{};
        c.inv_tau_e = 1.0 / p.tau_e;
        c.inv_tau_i = 1.0 / p.tau_i;
        c.c1 = p.c1;
        c.c2 = p.c2;
        c.c3 = p.c3;
        c.c4 = p.c4;
        c.P = p.P;
        c.Q = p.Q;
        c.a_e = p.a_e;
        c.theta_e = p.theta_e;
        c.a_i = p.a_i;
        c.theta_i = p.theta_i;
        c.off_e = 1.0 / (1.0 + std::exp(p.a_e * p.theta_e));
        c.off_i = 1.0 / (1.0 + std::exp(p.a_i * p.theta_i));
        c.k_e = 1.0 - c.off_e;
        c.k_i = 1.0 - c.off_i;
        c.r_e = p.r_e;
        c.r_i = p.r_i;
        c.sigma_e = p.sigma_e;
        c.sigma_i = p.sigma_i;
        return c;
    }

    static double initial_value(const constants&, std::size_t) noexcept { return 0.0; }
    static double noise_amplitude(const constants& c, std::size_t j) noexcept { return j == 0 ? c.sigma_e : c.sigma_i; }

    LAMINA_KERNEL static void rhs(const constants& c, const const_state<2>& y, const double* __restrict u,
                                  const state_out<2>& dy, std::size_t begin, std::size_t end) noexcept {
        const double* __restrict E = y[0];
        const double* __restrict I = y[1];
        double* __restrict dE = dy[0];
        double* __restrict dI = dy[1];
        LAMINA_SIMD
        for (std::size_t i = begin; i < end; ++i) {
            const double xe = c.c1 * E[i] - c.c2 * I[i] + c.P + u[i];
            const double xi = c.c3 * E[i] - c.c4 * I[i] + c.Q;
            const double se = logistic(c.a_e * (xe - c.theta_e)) - c.off_e;
            const double si = logistic(c.a_i * (xi - c.theta_i)) - c.off_i;
            dE[i] = (-E[i] + (c.k_e - c.r_e * E[i]) * se) * c.inv_tau_e;
            dI[i] = (-I[i] + (c.k_i - c.r_i * I[i]) * si) * c.inv_tau_i;
        }
    }

    static void output(const constants&, const const_state<2>& y, double* __restrict out, std::size_t begin,
                       std::size_t end) noexcept {
        const double* __restrict E = y[0];
        for (std::size_t i = begin; i < end; ++i) out[i] = E[i];
    }
    static void observable(const constants& c, const const_state<2>& y, double* __restrict out, std::size_t begin,
                           std::size_t end) noexcept {
        output(c, y, out, begin, end);
    }
};

} // namespace lamina::models::mass
