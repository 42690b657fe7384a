#pragma once
// Izhikevich simple model (Izhikevich 2003, IEEE Trans Neural Netw 14:1569; NEST izhikevich).
//
//   dv/dt = 0.04 v^2 + 5 v + 140 - u + I        du/dt = a (b v - u)
//   v >= V_th (30 mV): spike, v <- c, u <- u + d
//   [v mV, t ms; a 1/ms, b 1/ms, c mV, d mV/ms, u and I mV/ms]
//
// Units and inputs:
//   I = I_e + I_ext, where I_ext is the engine's device current (current_input_spec amplitudes).
//   The model's current is dimensionless in the paper (it is dv/dt, i.e. mV/ms); here 1 unit of
//   I_e or of a device "pA" is 1 mV/ms, i.e. a current in pA into an implied C = 1 pF. The
//   published pictures use I = 10 for RS/IB/CH/FS/LTS.
//   Ports "excitatory" and "inhibitory" take weights in mV (any sign): an input of weight w makes
//   v jump by w at the end of its arrival step, then the threshold is tested (NEST izhikevich).
//   In Izhikevich's network code (net.m) a weight is added to I for one 1 ms step, which moves v
//   by about w mV, so weights of the 1 ms network carry over unchanged.
//   There is no refractory period. Initial state: v = -65 mV, u = b v (as net.m); a state set with
//   set_initial("V_m", ...) does not move u, set "U_m" too.
//
// Standard parameter sets (Izhikevich 2003 Fig. 2, via reference digest 1.6): regular_spiking(),
// intrinsically_bursting(), chattering(), fast_spiking(), low_threshold_spiking(),
// thalamo_cortical(), resonator(). The defaults are RS.
//
// Scheme (not the published one): Izhikevich's code takes two 0.5 ms Euler half-steps for v and
// one for u from the new v; NEST takes one forward-Euler step per dt. Here (v, u) take classical
// RK4 steps of h = dt / ceil(dt / 0.1 ms) with the right-hand side evaluated at min(v, V_th), so
// the quadratic cannot overflow; a step ending at or above V_th is redone from its start in 20
// substeps of h/20, the crossing time inside the substep that reaches V_th is interpolated
// linearly, and there v <- c, u <- u + d and the rest of the step is integrated from the reset
// state. The spike is stamped at the end of the engine step; at most one spike per neuron and step.
// Measured error at dt = 0.1 ms against RK4 at 1 us with bisected crossings (test_izhikevich.cpp;
// RS at I = 4-40, IB at 5-40, CH/FS/LTS at 5-20, 500 ms, 834 spikes): every stamp is the end of the
// step containing the reference crossing (stamp - t_ref in [-0.0001, 0.0999] ms); v on the grid
// below -40 mV within 0.04 mV; f-I rates of RS and FS within 0.05 %. The same holds at dt = 0.05 ms
// and at the network's 1 ms step (10 internal steps). Forward Euler at 0.1 ms is off by up to
// 1.6 ms (RS, I = 4) to 43 ms (FS, I = 40) on the same runs. IB at I = 30 is irregular (trajectories
// 1e-6 ms apart separate) and is not comparable spike for spike.
#include "lamina/sim/neuron_model.hpp"

#include <algorithm>
#include <cmath>

namespace lamina::models {

struct izhikevich {
    static constexpr std::string_view name = "izhikevich";

    struct parameters {
        double a = 0.02;     // 1/ms, recovery rate
        double b = 0.2;      // 1/ms, sensitivity of u to v
        double c = -65.0;    // mV, reset of v
        double d = 8.0;      // mV/ms, reset increment of u
        double V_th = 30.0;  // mV, spike cut-off
        double I_e = 0.0;    // mV/ms (model current units), constant input
        double paper_scheme = 0.0;  // 0: RK4 with interpolated crossings; 1: Izhikevich (2003)'s half steps
    };
    static constexpr std::array<sim::parameter_field<parameters>, 7> parameter_fields{{
        {"a", "1/ms", &parameters::a, "time scale of the recovery variable u"},
        {"b", "1/ms", &parameters::b, "sensitivity of u to subthreshold v"},
        {"c", "mV", &parameters::c, "reset value of v"},
        {"d", "mV/ms", &parameters::d, "increment of u at a spike"},
        {"V_th", "mV", &parameters::V_th, "spike cut-off"},
        {"I_e", "mV/ms", &parameters::I_e, "constant input current (model units, = pA into 1 pF)"},
        {"paper_scheme", "", &parameters::paper_scheme,
         "1: the integration of Izhikevich (2003)'s network code (two dt/2 Euler half steps for v); 0: RK4"},
    }};
    static constexpr std::array<std::string_view, 2> state_names{"V_m", "U_m"};
    static constexpr std::array<sim::port_info, 2> ports{{{"excitatory", "mV", false}, {"inhibitory", "mV", false}}};

    static constexpr double initial_v = -65.0;  // mV
    static constexpr double max_step_ms = 0.1;
    static constexpr int refine_substeps = 20;

    // Izhikevich (2003) Fig. 2 classes.
    static constexpr parameters regular_spiking() { return {0.02, 0.2, -65.0, 8.0, 30.0, 0.0, 0.0}; }
    static constexpr parameters intrinsically_bursting() { return {0.02, 0.2, -55.0, 4.0, 30.0, 0.0, 0.0}; }
    static constexpr parameters chattering() { return {0.02, 0.2, -50.0, 2.0, 30.0, 0.0, 0.0}; }
    static constexpr parameters fast_spiking() { return {0.1, 0.2, -65.0, 2.0, 30.0, 0.0, 0.0}; }
    static constexpr parameters low_threshold_spiking() { return {0.02, 0.25, -65.0, 2.0, 30.0, 0.0, 0.0}; }
    static constexpr parameters thalamo_cortical() { return {0.02, 0.25, -65.0, 0.05, 30.0, 0.0, 0.0}; }
    static constexpr parameters resonator() { return {0.1, 0.26, -65.0, 2.0, 30.0, 0.0, 0.0}; }

    struct constants {
        double a, b, c, d, V_th, I_e, h, hs;
        int n_base;
        bool paper;
        double dt;
    };

    static constants lower(const parameters& p, double dt, const std::string& object) {
        for (auto [v, n] : {std::pair{p.a, "a"}, {p.b, "b"}, {p.c, "c"}, {p.d, "d"}, {p.V_th, "V_th"}, {p.I_e, "I_e"}})
            sim::require_finite(v, object, n);
        if (!(p.c < p.V_th)) throw sim::parameter_error(object, "c", "reset must be below V_th");
        if (p.paper_scheme != 0.0 && p.paper_scheme != 1.0)
            throw sim::parameter_error(object, "paper_scheme", "must be 0 (RK4) or 1 (Izhikevich 2003 half steps)");
        const int n_base = std::max(1, static_cast<int>(std::ceil(dt / max_step_ms - 1e-9)));
        const double h = dt / n_base;
        return {p.a, p.b, p.c, p.d, p.V_th, p.I_e, h, h / refine_substeps, n_base, p.paper_scheme == 1.0, dt};
    }

    static double initial_value(const parameters& p, std::size_t var) { return var == 0 ? initial_v : p.b * initial_v; }

    static void rhs(const constants& c, double v, double u, double I, double& dv, double& du) noexcept {
        const double ve = std::min(v, c.V_th);
        dv = (0.04 * ve + 5.0) * ve + 140.0 - u + I;
        du = c.a * (c.b * ve - u);
    }

    static void rk4(const constants& c, double& v, double& u, double I, double h) noexcept {
        double k1v, k1u, k2v, k2u, k3v, k3u, k4v, k4u;
        rhs(c, v, u, I, k1v, k1u);
        rhs(c, v + 0.5 * h * k1v, u + 0.5 * h * k1u, I, k2v, k2u);
        rhs(c, v + 0.5 * h * k2v, u + 0.5 * h * k2u, I, k3v, k3u);
        rhs(c, v + h * k3v, u + h * k3u, I, k4v, k4u);
        v += h / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v);
        u += h / 6.0 * (k1u + 2.0 * k2u + 2.0 * k3u + k4u);
    }

    LAMINA_KERNEL static void advance(const constants& c, const sim::kernel_args<2, 2>& args, sim::spike_sink& sink) {
        double* __restrict V = args.state[0];
        double* __restrict U = args.state[1];
        const double* __restrict ex = args.input[0];
        const double* __restrict in = args.input[1];
        const double* __restrict I = args.current;
        if (c.paper) {
            const double half = 0.5 * c.dt, inv_dt = 1.0 / c.dt;
            for (std::size_t i = args.begin; i < args.end; ++i) {
                double v = V[i], u = U[i];
                const double drive = c.I_e + I[i] + (ex[i] + in[i]) * inv_dt;
                v += half * ((0.04 * v + 5.0) * v + 140.0 - u + drive);
                v += half * ((0.04 * v + 5.0) * v + 140.0 - u + drive);
                u += c.dt * c.a * (c.b * v - u);
                if (v >= c.V_th) {
                    v = c.c;
                    u += c.d;
                    sink.push(static_cast<std::uint32_t>(i));
                }
                V[i] = v;
                U[i] = u;
            }
            return;
        }
        for (std::size_t i = args.begin; i < args.end; ++i) {
            double v = V[i], u = U[i];
            const double drive = c.I_e + I[i];
            bool spiked = false;
            for (int j = 0; j < c.n_base; ++j) {
                double v1 = v, u1 = u;
                rk4(c, v1, u1, drive, c.h);
                if (spiked || v1 < c.V_th) {
                    v = v1;
                    u = u1;
                    continue;
                }
                // Redo the step in substeps; reset at the crossing (linear interpolation inside
                // the substep) and integrate the rest of the substep from the reset state.
                for (int k = 0; k < refine_substeps; ++k) {
                    const double va = v, ua = u;
                    rk4(c, v, u, drive, c.hs);
                    if (spiked || v < c.V_th) continue;
                    spiked = true;
                    const double tc = va < c.V_th ? std::clamp(c.hs * (c.V_th - va) / (v - va), 0.0, c.hs) : 0.0;
                    u = ua + (u - ua) * (tc / c.hs) + c.d;
                    v = c.c;
                    if (tc < c.hs) rk4(c, v, u, drive, c.hs - tc);
                }
            }
            // Jumps act at the end of the step and may fire it (unless it fired already).
            v += ex[i] + in[i];
            if (!spiked && !(v < c.V_th)) {
                spiked = true;
                v = c.c;
                u += c.d;
            }
            V[i] = v;
            U[i] = u;
            if (spiked) sink.push(static_cast<std::uint32_t>(i));
        }
    }
};

} // namespace lamina::models
