// Validation of the AdEx model (models/include/lamina/models/neuron/adex.hpp): spike times and f-I
// curve against an independent fine-step integration, the Naud et al. (2008) adaptation/tonic
// patterns, the Delta_T = 0 LIF limit against the closed-form LIF interval, synaptic input, the
// refractory clamp and parameter validation. All runs go through the engine at dt = 0.1 ms.
#include "lamina/models/neuron/adex.hpp"
#include "lamina/models/register.hpp"
#include "lamina/sim/network.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace {

using lamina::models::adex;
namespace sim = lamina::sim;

constexpr double dt = 0.1;

// Independent reference: classical RK4 on (V, w, I_ex) at step h (default dt/100 = 1 us), with
// the right-hand side evaluated at min(V, V_peak) and the reset (V <- V_reset, w <- w + b) at the
// end of the fine step that reaches the threshold (V_peak, or V_T when Delta_T = 0). t_ref = 0.
// An optional synaptic current I_ex(t) = w_syn exp(-(t - t_syn)/tau_syn_ex) for t >= t_syn.
struct adex_reference {
    adex::parameters p;
    double I = 0.0;                   // constant current, pA
    double h = dt / 100.0;
    double t_syn = -1.0, w_syn = 0.0;
    std::vector<double> spikes;
    std::vector<double> trace;        // V at every multiple of dt (if record)
    bool record = false;

    void run(double T) {
        const bool exp_term = p.Delta_T > 0.0;
        const double thr = exp_term ? p.V_peak : p.V_T;
        auto f = [&](const double y[3], double out[3]) {
            const double V = std::min(y[0], p.V_peak);
            const double sp = exp_term ? p.g_L * p.Delta_T * std::exp((V - p.V_T) / p.Delta_T) : 0.0;
            out[0] = (-p.g_L * (V - p.E_L) + sp - y[1] + y[2] + I + p.I_e) / p.C_m;
            out[1] = (p.a * (V - p.E_L) - y[1]) / p.tau_w;
            out[2] = -y[2] / p.tau_syn_ex;
        };
        double y[3] = {p.E_L, 0.0, 0.0};
        const long steps = std::lround(T / h);
        const long per_dt = std::lround(dt / h);
        const long syn_step = t_syn >= 0.0 ? std::lround(t_syn / h) : -1;
        for (long n = 0; n < steps; ++n) {
            if (n == syn_step) y[2] += w_syn;
            double k1[3], k2[3], k3[3], k4[3], t[3];
            f(y, k1);
            for (int i = 0; i < 3; ++i) t[i] = y[i] + 0.5 * h * k1[i];
            f(t, k2);
            for (int i = 0; i < 3; ++i) t[i] = y[i] + 0.5 * h * k2[i];
            f(t, k3);
            for (int i = 0; i < 3; ++i) t[i] = y[i] + h * k3[i];
            f(t, k4);
            for (int i = 0; i < 3; ++i) y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
            if (y[0] >= thr) {
                spikes.push_back(double(n + 1) * h);
                y[0] = p.V_reset;
                y[1] += p.b;
            }
            if (record && (n + 1) % per_dt == 0) trace.push_back(y[0]);
        }
    }
};

std::vector<double> reference_spikes(const adex::parameters& p, double I, double T) {
    adex_reference r{p, I};
    r.run(T);
    return r.spikes;
}

// Engine run: one neuron per current (DC from t = 0), spike times per neuron.
std::vector<std::vector<double>> engine_spikes(const adex::parameters& p, const std::vector<double>& currents,
                                               double T) {
    sim::network net({dt, 1, 1});
    net.add_population<adex>("n", currents.size(), p);
    for (std::size_t k = 0; k < currents.size(); ++k) {
        auto s = sim::current_input_spec::dc("I" + std::to_string(k), "n", currents[k]);
        s.neurons = {static_cast<std::uint32_t>(k)};
        net.add_current_input(s);
    }
    net.record_spikes({"spikes", "n", {}});
    net.run(T);
    std::vector<std::vector<double>> out(currents.size());
    const auto& rec = net.spikes(0);
    for (std::size_t j = 0; j < rec.times_ms.size(); ++j) out[rec.neurons[j]].push_back(rec.times_ms[j]);
    return out;
}

// Rate (Hz) from the mean inter-spike interval of the spikes after t0.
double steady_rate(const std::vector<double>& s, double t0) {
    std::vector<double> late;
    for (double t : s)
        if (t >= t0) late.push_back(t);
    if (late.size() < 2) return 0.0;
    return 1000.0 * double(late.size() - 1) / (late.back() - late.front());
}

std::vector<double> isis(const std::vector<double>& s) {
    std::vector<double> out;
    for (std::size_t i = 1; i < s.size(); ++i) out.push_back(s[i] - s[i - 1]);
    return out;
}

adex::parameters naud(double C, double gL, double EL, double a, double tau_w, double b, double Vr) {
    adex::parameters p;
    p.C_m = C;
    p.g_L = gL;
    p.E_L = EL;
    p.V_T = -50.0;
    p.Delta_T = 2.0;
    p.a = a;
    p.tau_w = tau_w;
    p.b = b;
    p.V_reset = Vr;
    p.V_peak = 0.0;
    return p;
}

} // namespace

TEST_CASE("adex: measurement dump", "[adex][dump]") {
    adex::parameters p;
    std::vector<double> currents{650, 700, 800, 1000, 1500, 2000};
    auto eng = engine_spikes(p, currents, 500.0);
    for (std::size_t k = 0; k < currents.size(); ++k) {
        auto ref = reference_spikes(p, currents[k], 500.0);
        double dmin = 1e9, dmax = -1e9;
        const std::size_t m = std::min(ref.size(), eng[k].size());
        for (std::size_t i = 0; i < m; ++i) {
            dmin = std::min(dmin, eng[k][i] - ref[i]);
            dmax = std::max(dmax, eng[k][i] - ref[i]);
        }
        std::printf("I=%g n_ref=%zu n_eng=%zu d=[%g, %g] rate ref %g eng %g\n", currents[k], ref.size(), eng[k].size(),
                    dmin, dmax, steady_rate(ref, 250), steady_rate(eng[k], 250));
    }
    auto a = naud(200, 12, -70, 2, 300, 60, -58);
    auto t = naud(200, 10, -70, 2, 30, 0, -58);
    auto ea = engine_spikes(a, {500}, 500)[0];
    auto et = engine_spikes(t, {500}, 500)[0];
    auto ia = isis(ea), it = isis(et);
    std::printf("adapt n=%zu isi first %g last %g ; tonic n=%zu first %g last %g\n", ea.size(), ia.front(), ia.back(),
                et.size(), it.front(), it.back());
}
