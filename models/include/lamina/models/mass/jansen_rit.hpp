#pragma once
// Jansen-Rit neural mass (Jansen & Rit 1995, Biol Cybern 73:357; after Lopes da Silva et al. 1974):
// a cortical column of pyramidal cells and excitatory and inhibitory interneurons, each population
// a second-order linear synaptic kernel h(t) = G k t e^{-k t} followed by a sigmoid rate.
//
//   y0'' = A a S(y1 - y2)                   - 2a y0' - a^2 y0     (pyramidal output PSP)
//   y1'' = A a [p(t) + u + C2 S(C1 y0)]     - 2a y1' - a^2 y1     (excitatory PSP on pyramids)
//   y2'' = B b C4 S(C3 y0)                  - 2b y2' - b^2 y2     (inhibitory PSP on pyramids)
//   S(v) = 2 e0 / (1 + exp(r (v0 - v)))                          (population rate, Hz)
//   p(t) = p_mean + p_sd sqrt(1 ms) xi(t)                         (afferent rate, Hz; xi white noise)
//   [y mV, t ms, a = 1/tau_e and b = 1/tau_i in 1/ms, rates S p u in Hz, A B mV]
//
// State layout (SoA, one array each): y0 y1 y2 y3 = y0' y4 = y1' y5 = y2' (mV and mV/ms), the TVB
// naming. Coupling input u (Hz) is an extra afferent rate on the pyramidal cells' excitatory input,
// as the reference digest 4.3 puts it (p_i <- p_i + K sum_j w_ij S(y1_j - y2_j)); the coupling
// output is the pyramidal rate S(y1 - y2) in Hz; the observable (EEG-like signal) is the pyramidal
// membrane potential y1 - y2 in mV.
//
// Standard parameters (Jansen & Rit 1995; Brian2 Jansen_Rit_1995 example; TVB): A 3.25 mV, B 22 mV,
// tau_e 10 ms (a = 100 1/s), tau_i 20 ms (b = 50 1/s), C 135 with C1 = C, C2 = 0.8 C,
// C3 = C4 = 0.25 C, e0 2.5 Hz (maximum rate 2 e0 = 5 Hz), v0 6 mV, r 0.56 1/mV, p 120-320 Hz.
// The default is the deterministic p = 220 Hz (a limit cycle; reference digest 4.2). Jansen & Rit's uniform 120-320 Hz rate redrawn every 1 ms has a standard deviation of
// 200/sqrt(12) = 57.7 Hz over 1 ms bins: p_sd = 57.7 is its white-noise equivalent. p_sd is the
// standard deviation of p averaged over 1 ms, so the noise does not change with the step; it enters
// y4 with diffusion coefficient A a p_sd sqrt(1 ms) (mV / ms^1.5).
//
// Measured (test_masses.cpp, docs/masses.md; Heun at 0.1 ms, Welch at 1 kHz): spectral peak of
// y1 - y2 at 10.94 Hz for p = 220 Hz (mean 7.57 mV, 3.0 mV peak-to-peak; an accurate scipy
// integration also gives 10.94 Hz, the digest's Euler run 10.74 Hz) and 10.81 Hz with p_sd = 57.7 Hz.
#include "lamina/models/mass/neural_mass.hpp"

#include <array>
#include <cmath>
#include <string>
#include <string_view>

namespace lamina::models::mass {

struct jansen_rit {
    static constexpr std::string_view name = "jansen_rit";
    static constexpr std::string_view input_unit = "Hz";   // afferent rate added to p
    static constexpr std::string_view output_unit = "Hz";  // pyramidal rate S(y1 - y2)

    struct parameters {
        double A = 3.25;       // mV, maximum excitatory PSP
        double B = 22.0;       // mV, maximum inhibitory PSP
        double tau_e = 10.0;   // ms, excitatory time constant (1/a)
        double tau_i = 20.0;   // ms, inhibitory time constant (1/b)
        double C = 135.0;      // 1, average number of synapses between populations
        double c1 = 1.0;       // 1, C1 = c1 C (pyramidal -> excitatory interneurons)
        double c2 = 0.8;       // 1, C2 = c2 C (excitatory interneurons -> pyramidal)
        double c3 = 0.25;      // 1, C3 = c3 C (pyramidal -> inhibitory interneurons)
        double c4 = 0.25;      // 1, C4 = c4 C (inhibitory interneurons -> pyramidal)
        double e0 = 2.5;       // Hz, half the maximum firing rate
        double v0 = 6.0;       // mV, potential at half the maximum rate
        double r = 0.56;       // 1/mV, sigmoid steepness
        double p_mean = 220.0; // Hz, mean afferent rate
        double p_sd = 0.0;     // Hz, standard deviation of the afferent rate over 1 ms bins
    };
    static constexpr std::array<sim::parameter_field<parameters>, 14> parameter_fields{{
        {"A", "mV", &parameters::A, "maximum excitatory postsynaptic potential"},
        {"B", "mV", &parameters::B, "maximum inhibitory postsynaptic potential"},
        {"tau_e", "ms", &parameters::tau_e, "excitatory synaptic time constant (1/a)"},
        {"tau_i", "ms", &parameters::tau_i, "inhibitory synaptic time constant (1/b)"},
        {"C", "1", &parameters::C, "average number of synaptic contacts"},
        {"c1", "1", &parameters::c1, "C1/C, pyramidal to excitatory interneurons"},
        {"c2", "1", &parameters::c2, "C2/C, excitatory interneurons to pyramidal cells"},
        {"c3", "1", &parameters::c3, "C3/C, pyramidal to inhibitory interneurons"},
        {"c4", "1", &parameters::c4, "C4/C, inhibitory interneurons to pyramidal cells"},
        {"e0", "Hz", &parameters::e0, "half the maximum firing rate of the sigmoid"},
        {"v0", "mV", &parameters::v0, "potential at half the maximum rate"},
        {"r", "1/mV", &parameters::r, "sigmoid steepness"},
        {"p_mean", "Hz", &parameters::p_mean, "mean afferent rate on the pyramidal cells"},
        {"p_sd", "Hz", &parameters::p_sd, "standard deviation of the afferent rate over 1 ms bins (white noise)"},
    }};
    static constexpr std::array<std::string_view, 6> state_names{"y0", "y1", "y2", "y3", "y4", "y5"};
    static constexpr std::array<std::size_t, 1> noise_targets{4};

    struct constants {
        double a, b, two_a, two_b, a2, b2;  // 1/ms, 1/ms^2
        double Aa, Bb;                      // mV / ms^2 per Hz (A a, B b with the Hz -> 1/ms factor)
        double C1, C2, C3, C4;
        double two_e0, r, v0, p_mean;       // Hz, 1/mV, mV, Hz
        double sigma;                       // mV / ms^1.5, on y4
    };

    static constants lower(const parameters& p, const std::string& object) {
        sim::require_positive(p.A, object, "A", "mV");
        sim::require_positive(p.B, object, "B", "mV");
        sim::require_positive(p.tau_e, object, "tau_e", "ms");
        sim::require_positive(p.tau_i, object, "tau_i", "ms");
        sim::require_nonnegative(p.C, object, "C", "");
        sim::require_nonnegative(p.c1, object, "c1", "");
        sim::require_nonnegative(p.c2, object, "c2", "");
        sim::require_nonnegative(p.c3, object, "c3", "");
        sim::require_nonnegative(p.c4, object, "c4", "");
        sim::require_positive(p.e0, object, "e0", "Hz");
        sim::require_positive(p.r, object, "r", "1/mV");
        sim::require_nonnegative(p.p_sd, object, "p_sd", "Hz");
        sim::require_finite(p.A, object, "A");
        sim::require_finite(p.B, object, "B");
        sim::require_finite(p.C, object, "C");
        sim::require_finite(p.v0, object, "v0");
        sim::require_finite(p.p_mean, object, "p_mean");
        sim::require_finite(p.p_sd, object, "p_sd");
        sim::require_finite(p.e0, object, "e0");
        sim::require_finite(p.r, object, "r");
        constants c{};
        c.a = 1.0 / p.tau_e;
        c.b = 1.0 / p.tau_i;
        c.two_a = 2.0 * c.a;
        c.two_b = 2.0 * c.b;
        c.a2 = c.a * c.a;
        c.b2 = c.b * c.b;
        c.Aa = p.A * c.a * 1e-3;
        c.Bb = p.B * c.b * 1e-3;
        c.C1 = p.c1 * p.C;
        c.C2 = p.c2 * p.C;
        c.C3 = p.c3 * p.C;
        c.C4 = p.c4 * p.C;
        c.two_e0 = 2.0 * p.e0;
        c.r = p.r;
        c.v0 = p.v0;
        c.p_mean = p.p_mean;
        c.sigma = c.Aa * p.p_sd;  // times sqrt(1 ms)
        return c;
    }

    static double initial_value(const constants&, std::size_t) noexcept { return 0.0; }
    static double noise_amplitude(const constants& c, std::size_t) noexcept { return c.sigma; }

    static double sigmoid(const constants& c, double v) noexcept { return c.two_e0 / (1.0 + exp_simd(c.r * (c.v0 - v))); }

    LAMINA_KERNEL static void rhs(const constants& c, const const_state<6>& y, const double* __restrict u,
                    const state_out<6>& dy, std::size_t begin, std::size_t end) noexcept {
        const double* __restrict y0 = y[0];
        const double* __restrict y1 = y[1];
        const double* __restrict y2 = y[2];
        const double* __restrict y3 = y[3];
        const double* __restrict y4 = y[4];
        const double* __restrict y5 = y[5];
        double* __restrict d0 = dy[0];
        double* __restrict d1 = dy[1];
        double* __restrict d2 = dy[2];
        double* __restrict d3 = dy[3];
        double* __restrict d4 = dy[4];
        double* __restrict d5 = dy[5];
        LAMINA_SIMD
        for (std::size_t i = begin; i < end; ++i) {
            const double s_py = sigmoid(c, y1[i] - y2[i]);
            const double s_e = sigmoid(c, c.C1 * y0[i]);
            const double s_i = sigmoid(c, c.C3 * y0[i]);
            d0[i] = y3[i];
            d1[i] = y4[i];
            d2[i] = y5[i];
            d3[i] = c.Aa * s_py - c.two_a * y3[i] - c.a2 * y0[i];
            d4[i] = c.Aa * (c.p_mean + u[i] + c.C2 * s_e) - c.two_a * y4[i] - c.a2 * y1[i];
            d5[i] = c.Bb * (c.C4 * s_i) - c.two_b * y5[i] - c.b2 * y2[i];
        }
    }

    // Coupling output: pyramidal rate S(y1 - y2), Hz.
    LAMINA_KERNEL static void output(const constants& c, const const_state<6>& y, double* __restrict out,
                                     std::size_t begin, std::size_t end) noexcept {
        const double* __restrict y1 = y[1];
        const double* __restrict y2 = y[2];
        LAMINA_SIMD
        for (std::size_t i = begin; i < end; ++i) out[i] = sigmoid(c, y1[i] - y2[i]);
    }

    // Observable: pyramidal membrane potential y1 - y2, mV.
    static void observable(const constants&, const const_state<6>& y, double* __restrict out, std::size_t begin,
                           std::size_t end) noexcept {
        const double* __restrict y1 = y[1];
        const double* __restrict y2 = y[2];
        for (std::size_t i = begin; i < end; ++i) out[i] = y1[i] - y2[i];
    }
};

} // namespace lamina::models::mass
