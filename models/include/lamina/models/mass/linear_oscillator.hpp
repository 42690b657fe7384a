#pragma once
// Linear damped oscillator: a neural mass linearised around its fixed point, the unit of the
// lattice field theory of Cooray, Cooray & Friston ("Canonical Cortical Field Theories", arXiv
// 2308.10645, 2023; reference digest 4.4). Used to check the lattice against closed forms.
//
//   phi'' = -omega0^2 phi - gamma phi' + u + sigma xi(t)          omega0 = 2 pi f0
//   [phi arbitrary unit; t ms; f0 Hz (omega0 in rad/ms inside); gamma 1/ms;
//    u phi/ms^2; sigma phi/ms^1.5; xi white noise]
//
// State layout (SoA): phi, psi = phi'. The coupling output and the observable are phi; with the
// lattice's Laplacian coupling u_i = kappa sum_{j in 4 neighbours} (phi_j - phi_i) the sheet is a
// discretised Klein-Gordon field with the lattice dispersion relation
//
//   omega(k)^2 = omega0^2 + 4 kappa (sin^2(kx h/2) + sin^2(ky h/2))       (kappa in 1/ms^2)
//
// and, with damping gamma and noise sigma on every node, every mode has the same mean energy
// (equipartition): <psi_k^2> = sigma^2/(2 gamma), <phi_k^2> = sigma^2/(2 gamma omega_k^2).
// Defaults: f0 = 10 Hz, undamped, no noise.
#include "lamina/models/mass/neural_mass.hpp"

#include <array>
#include <cmath>
#include <numbers>
#include <string>
#include <string_view>

namespace lamina::models::mass {

struct linear_oscillator {
    static constexpr std::string_view name = "linear_oscillator";
    static constexpr std::string_view input_unit = "phi/ms^2";
    static constexpr std::string_view output_unit = "phi";

    struct parameters {
        double f0 = 10.0;    // Hz, natural frequency omega0/(2 pi) of an uncoupled, undamped node
        double gamma = 0.0;  // 1/ms, damping rate
        double sigma = 0.0;  // phi/ms^1.5, additive white-noise amplitude on phi'
    };
    static constexpr std::array<sim::parameter_field<parameters>, 3> parameter_fields{{
        {"f0", "Hz", &parameters::f0, "natural frequency of an uncoupled node"},
        {"gamma", "1/ms", &parameters::gamma, "damping rate"},
        {"sigma", "phi/ms^1.5", &parameters::sigma, "white-noise amplitude on phi'"},
    }};
    static constexpr std::array<std::string_view, 2> state_names{"phi", "psi"};
    static constexpr std::array<std::size_t, 1> noise_targets{1};

    struct constants {
        double omega0_sq;  // rad^2/ms^2
        double gamma;      // 1/ms
        double sigma;      // phi/ms^1.5
    };

    static constants lower(const parameters& p, const std::string& object) {
        sim::require_nonnegative(p.f0, object, "f0", "Hz");
        sim::require_nonnegative(p.gamma, object, "gamma", "1/ms");
        sim::require_nonnegative(p.sigma, object, "sigma", "phi/ms^1.5");
        sim::require_finite(p.f0, object, "f0");
        sim::require_finite(p.gamma, object, "gamma");
        sim::require_finite(p.sigma, object, "sigma");
        const double w0 = 2.0 * std::numbers::pi * p.f0 * 1e-3;
        return constants{w0 * w0, p.gamma, p.sigma};
    }

    static double initial_value(const constants&, std::size_t) noexcept { return 0.0; }
    static double noise_amplitude(const constants& c, std::size_t) noexcept { return c.sigma; }

    LAMINA_KERNEL static void rhs(const constants& c, const const_state<2>& y, const double* __restrict u,
                                  const state_out<2>& dy, std::size_t begin, std::size_t end) noexcept {
        const double* __restrict phi = y[0];
        const double* __restrict psi = y[1];
        double* __restrict dphi = dy[0];
        double* __restrict dpsi = dy[1];
        LAMINA_SIMD
        for (std::size_t i = begin; i < end; ++i) {
            dphi[i] = psi[i];
            dpsi[i] = u[i] - c.omega0_sq * phi[i] - c.gamma * psi[i];
        }
    }

    static void output(const constants&, const const_state<2>& y, double* __restrict out, std::size_t begin,
                       std::size_t end) noexcept {
        const double* __restrict phi = y[0];
        for (std::size_t i = begin; i < end; ++i) out[i] = phi[i];
    }
    static void observable(const constants& c, const const_state<2>& y, double* __restrict out, std::size_t begin,
                           std::size_t end) noexcept {
        output(c, y, out, begin, end);
    }
};

} // namespace lamina::models::mass
