// Validation of the AdEx model (models/include/lamina/models/neuron/adex.hpp). Every run goes
// through the engine (network, DC current device or I_e, spike and state recorders) and is compared
// with an independent fine-step integration written here: spike times and V_m traces over 500 ms,
// the f-I curve, other engine steps, the Delta_T = 0 LIF limit against the closed-form interval, the
// Naud et al. (2008) adaptation / tonic patterns, synaptic current input, the refractory clamp and
// parameter validation.
#include "lamina/models/neuron/adex.hpp"
#include "lamina/models/register.hpp"
#include "lamina/sim/network.hpp"
#include "dc_runs.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace {

using lamina::models::adex;
namespace sim = lamina::sim;

// Independent reference: classical RK4 on (V, w, I_ex, I_in) at step h (1 us), right-hand side
// evaluated at min(V, V_peak). A fine step that reaches the threshold (V_peak, or V_T when
// Delta_T = 0) is bisected (RK4 from its start over a trial length) to locate the crossing to
// < 1 ns; there V <- V_reset, w <- w + b and the rest of the fine step is integrated from the reset
// state. No refractoriness. Synaptic kicks (time, port, weight) are added at their time; V is
// sampled every `sample` ms.
struct adex_reference {
    adex::parameters p;
    double I = 0.0;  // constant current, pA
    double h = 1e-3;
    double sample = 0.1;
    std::vector<std::pair<double, std::pair<int, double>>> kicks;  // (t, (port 0/1, pA))
    std::vector<double> spikes;
    std::vector<double> trace;

    void f(const double y[4], double out[4]) const {
        const double V = std::min(y[0], p.V_peak);
        const double sp = p.Delta_T > 0.0 ? p.g_L * p.Delta_T * std::exp((V - p.V_T) / p.Delta_T) : 0.0;
        out[0] = (-p.g_L * (V - p.E_L) + sp - y[1] + y[2] + y[3] + I + p.I_e) / p.C_m;
        out[1] = (p.a * (V - p.E_L) - y[1]) / p.tau_w;
        out[2] = -y[2] / p.tau_syn_ex;
        out[3] = -y[3] / p.tau_syn_in;
    }
    void step(double y[4], double hh) const {
        double k1[4], k2[4], k3[4], k4[4], t[4];
        f(y, k1);
        for (int i = 0; i < 4; ++i) t[i] = y[i] + 0.5 * hh * k1[i];
        f(t, k2);
        for (int i = 0; i < 4; ++i) t[i] = y[i] + 0.5 * hh * k2[i];
        f(t, k3);
        for (int i = 0; i < 4; ++i) t[i] = y[i] + hh * k3[i];
        f(t, k4);
        for (int i = 0; i < 4; ++i) y[i] += hh / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }

    void run(double T) {
        const double thr = p.Delta_T > 0.0 ? p.V_peak : p.V_T;
        double y[4] = {p.E_L, 0.0, 0.0, 0.0};
        const long steps = std::lround(T / h);
        const long per_sample = std::lround(sample / h);
        for (long n = 0; n < steps; ++n) {
            for (const auto& [t, k] : kicks)
                if (std::lround(t / h) == n) y[2 + k.first] += k.second;
            const double y0[4] = {y[0], y[1], y[2], y[3]};
            step(y, h);
            if (y[0] >= thr) {
                double lo = 0.0, hi = h;
                while (hi - lo > 1e-7 * h) {
                    const double mid = 0.5 * (lo + hi);
                    double t[4] = {y0[0], y0[1], y0[2], y0[3]};
                    step(t, mid);
                    (t[0] >= thr ? hi : lo) = mid;
                }
                double t[4] = {y0[0], y0[1], y0[2], y0[3]};
                step(t, hi);
                spikes.push_back(double(n) * h + hi);
                y[0] = p.V_reset;
                y[1] = t[1] + p.b;
                y[2] = t[2];
                y[3] = t[3];
                step(y, h - hi);
            }
            if ((n + 1) % per_sample == 0) trace.push_back(y[0]);
        }
    }
};

using lamina::test::engine_result;

engine_result run_engine(const adex::parameters& p, const std::vector<double>& currents, double T, double dt = 0.1) {
    return lamina::test::run_dc<adex>(p, currents, T, dt);
}

// Rate (Hz) from the mean inter-spike interval of the spikes at or after t0.
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

// Naud et al. (2008) sets as in the Brian2 example (Delta_T 2 mV, V_T -50 mV, V_peak 0 mV).
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
adex::parameters naud_tonic() { return naud(200, 10, -70, 2, 30, 0, -58); }
adex::parameters naud_adaptation() { return naud(200, 12, -70, 2, 300, 60, -58); }

// Engine stamps against reference crossing times: same count, and every stamp is the end of the
// step that contains the crossing, i.e. stamp - t_ref in [0, dt), here within a tolerance `tol`.
// Also the V_m samples where both are well below V_T (away from spike upswings).
void check_against_reference(const adex::parameters& p, const std::vector<double>& currents, double T, double dt,
                             double tol, double v_tol) {
    const auto eng = run_engine(p, currents, T, dt);
    for (std::size_t k = 0; k < currents.size(); ++k) {
        adex_reference R{p, currents[k]};
        R.sample = dt;
        R.run(T);
        INFO("I = " << currents[k] << " pA, dt = " << dt << " ms");
        REQUIRE(R.spikes.size() >= 3);
        REQUIRE(eng.spikes[k].size() == R.spikes.size());
        for (std::size_t i = 0; i < R.spikes.size(); ++i) {
            INFO("spike " << i << ": engine " << eng.spikes[k][i] << " ms, reference " << R.spikes[i] << " ms");
            CHECK(eng.spikes[k][i] - R.spikes[i] >= -tol);
            CHECK(eng.spikes[k][i] - R.spikes[i] <= dt + tol);
        }
        REQUIRE(eng.V[k].size() == R.trace.size());
        double dv = 0.0;
        for (std::size_t s = 0; s < R.trace.size(); ++s)
            if (eng.V[k][s] < p.V_T - 5.0 && R.trace[s] < p.V_T - 5.0) dv = std::max(dv, std::abs(eng.V[k][s] - R.trace[s]));
        CHECK(dv < v_tol);
    }
}

} // namespace

// Measured (dt = 0.1 ms): stamp - t_ref in [0.0019, 0.1004] ms over 116 spikes, V_m error < 0.01 mV.
TEST_CASE("adex: spike times and V_m match a 1 us reference over 500 ms at six currents", "[adex]") {
    check_against_reference(adex::parameters{}, {650, 700, 800, 1000, 1500, 2000}, 500.0, 0.1, 0.01, 0.03);
}

TEST_CASE("adex: Naud et al. 2008 pattern sets match the reference spike for spike", "[adex]") {
    check_against_reference(naud_tonic(), {500}, 500.0, 0.1, 0.01, 0.03);
    check_against_reference(naud_adaptation(), {500}, 500.0, 0.1, 0.01, 0.03);
    check_against_reference(naud(130, 18, -58, 4, 150, 120, -50), {400}, 500.0, 0.1, 0.01, 0.03);  // initial burst
    check_against_reference(naud(200, 10, -58, 2, 120, 100, -46), {210}, 500.0, 0.1, 0.01, 0.03);  // regular bursting
}

TEST_CASE("adex: accuracy holds for other engine steps (0.05 ms, 0.25 ms in three internal steps)", "[adex]") {
    check_against_reference(adex::parameters{}, {800, 1500}, 300.0, 0.05, 0.01, 0.03);
    check_against_reference(adex::parameters{}, {800, 1500}, 300.0, 0.25, 0.01, 0.03);
}

TEST_CASE("adex: f-I curve matches the reference within 0.5 %", "[adex]") {
    // I_e path (one population per current) rather than devices.
    const std::vector<double> currents{700, 800, 1000, 1200, 1500, 2000};
    sim::network net({0.1, 1, 1});
    for (std::size_t k = 0; k < currents.size(); ++k) {
        adex::parameters p;
        p.I_e = currents[k];
        net.add_population<adex>("n" + std::to_string(k), 1, p);
        net.record_spikes({"s" + std::to_string(k), "n" + std::to_string(k), {}});
    }
    net.run(500.0);
    double previous = 0.0;
    for (std::size_t k = 0; k < currents.size(); ++k) {
        adex_reference R{adex::parameters{}, currents[k]};
        R.run(500.0);
        const double ref = steady_rate(R.spikes, 200.0);
        const double eng = steady_rate(net.spikes(k).times_ms, 200.0);
        INFO("I = " << currents[k] << " pA: engine " << eng << " Hz, reference " << ref << " Hz");
        CHECK(ref > previous);  // the curve is increasing and every point fires
        CHECK(std::abs(eng - ref) <= 0.005 * ref);
        previous = ref;
    }
}

TEST_CASE("adex: Delta_T = 0 is the LIF limit with threshold V_T (closed-form interval)", "[adex]") {
    // a = b = 0, V_reset = E_L: a LIF with tau_m = C/g_L; ISI = tau_m ln(R I / (R I - (V_T - E_L))).
    adex::parameters p;
    p.Delta_T = 0.0;
    p.a = 0.0;
    p.b = 0.0;
    p.V_reset = p.E_L;
    const double tau_m = p.C_m / p.g_L, R = 1.0 / p.g_L;
    for (double I : {700.0, 1000.0, 2000.0}) {
        const double isi = tau_m * std::log(R * I / (R * I - (p.V_T - p.E_L)));
        const auto eng = run_engine(p, {I}, 500.0).spikes[0];
        INFO("I = " << I << " pA, closed-form ISI " << isi << " ms");
        REQUIRE(eng.size() == static_cast<std::size_t>(std::floor(500.0 / isi)));
        for (std::size_t i = 0; i < eng.size(); ++i) {
            const double t = double(i + 1) * isi;
            INFO("spike " << i << ": engine " << eng[i] << ", exact " << t);
            CHECK(eng[i] - t >= -0.01);
            CHECK(eng[i] - t <= 0.1 + 0.01);
        }
    }
    // With adaptation the limit still matches the reference (which uses no exponential at all).
    adex::parameters q;
    q.Delta_T = 0.0;
    check_against_reference(q, {800, 1500}, 500.0, 0.1, 0.01, 0.03);
}

TEST_CASE("adex: Naud 'adaptation' set slows down, 'tonic' set does not", "[adex]") {
    // Measured: adaptation ISIs 11.2 -> 75.9 ms (ratio 6.8); tonic 8.9 -> 9.6 ms (ratio 1.08).
    const auto ad = isis(run_engine(naud_adaptation(), {500}, 500.0).spikes[0]);
    const auto to = isis(run_engine(naud_tonic(), {500}, 500.0).spikes[0]);
    REQUIRE(ad.size() >= 5);
    REQUIRE(to.size() >= 20);
    CHECK(ad.back() / ad.front() > 4.0);
    for (std::size_t i = 1; i < ad.size(); ++i) CHECK(ad[i] >= ad[i - 1] - 0.1);  // monotone lengthening
    CHECK(to.back() / to.front() < 1.15);
    for (std::size_t i = to.size() / 2; i < to.size(); ++i) CHECK(std::abs(to[i] - to.back()) <= 0.15);  // regular
}

TEST_CASE("adex: synaptic currents follow the exact exponential and move V as the reference", "[adex]") {
    // Two generator spikes: +300 pA excitatory at 20 ms and -200 pA inhibitory at 40 ms (delay 1 ms):
    // the currents start at 21 and 41 ms.
    adex::parameters p;
    sim::network net({0.1, 1, 1});
    net.add_population<adex>("n", 1, p);
    net.add_spike_generator({"ex", "n", {}, {20.0}, 300.0, 1.0, "excitatory"});
    net.add_spike_generator({"in", "n", {}, {40.0}, -200.0, 1.0, "inhibitory"});
    net.record_state({"st", "n", {"V_m", "I_syn_ex", "I_syn_in"}, {}, 0.1});
    net.run(80.0);
    adex_reference R{p};
    R.kicks = {{21.0, {0, 300.0}}, {41.0, {1, -200.0}}};
    R.run(80.0);
    const auto& st = net.states(0);
    REQUIRE(st.times_ms.size() == R.trace.size());
    double dv = 0.0, vmax = p.E_L, vmin = p.E_L;
    for (std::size_t s = 0; s < st.times_ms.size(); ++s) {
        const double t = st.times_ms[s];
        const double V = st.values[3 * s], Iex = st.values[3 * s + 1], Iin = st.values[3 * s + 2];
        const double Iex_exact = t >= 21.0 - 1e-9 ? 300.0 * std::exp(-(t - 21.0) / p.tau_syn_ex) : 0.0;
        const double Iin_exact = t >= 41.0 - 1e-9 ? -200.0 * std::exp(-(t - 41.0) / p.tau_syn_in) : 0.0;
        INFO("t = " << t);
        CHECK(Iex == Approx(Iex_exact).margin(1e-9));
        CHECK(Iin == Approx(Iin_exact).margin(1e-9));
        dv = std::max(dv, std::abs(V - R.trace[s]));
        vmax = std::max(vmax, V);
        vmin = std::min(vmin, V);
    }
    CHECK(dv < 1e-4);
    CHECK(vmax > p.E_L + 0.1);  // visible EPSP and IPSP
    CHECK(vmin < p.E_L - 0.5);
}

TEST_CASE("adex: t_ref clamps V at V_reset until t_ref after the spike stamp", "[adex]") {
    adex::parameters p;
    p.t_ref = 2.0;
    p.V_reset = -60.0;
    const auto eng = run_engine(p, {1500}, 200.0);
    const auto& s = eng.spikes[0];
    const auto& V = eng.V[0];
    REQUIRE(s.size() >= 5);
    for (double t : s) {
        const auto n = static_cast<std::size_t>(std::llround(t / 0.1));  // sample n-1 is at time t
        if (n + 21 > V.size()) break;
        for (std::size_t k = 0; k <= 20; ++k) CHECK(V[n - 1 + k] == p.V_reset);
        CHECK(V[n + 20] > p.V_reset);
    }
    // The clamp lengthens every interval by about t_ref compared with t_ref = 0.
    p.t_ref = 0.0;
    const auto free = run_engine(p, {1500}, 200.0).spikes[0];
    REQUIRE(free.size() > s.size());
}

TEST_CASE("adex: bad parameters are refused with an error naming the parameter", "[adex]") {
    const std::vector<std::pair<std::string, double>> bad{
        {"C_m", 0.0},         {"g_L", -1.0},       {"tau_w", 0.0},     {"tau_syn_ex", 0.0},
        {"tau_syn_in", -2.0}, {"Delta_T", -1.0},   {"t_ref", -0.1},    {"V_reset", 5.0},
        {"V_peak", -60.0},    {"E_L", std::nan("")}, {"a", INFINITY},  {"b", std::nan("")},
        {"I_e", INFINITY},    {"V_T", std::nan("")}, {"Delta_T", 0.05}};  // overflow of exp((V_peak-V_T)/Delta_T)
    for (const auto& [name, value] : bad) {
        sim::network net({0.1, 1, 1});
        auto& pop = net.add_population<adex>("cells", 1);
        pop.set_parameter(name, value);
        INFO(name << " = " << value);
        try {
            net.validate();
            FAIL("accepted");
        } catch (const sim::parameter_error& e) {
            CHECK(e.parameter() == name);
            CHECK(std::string(e.what()).find("'" + name + "'") != std::string::npos);
            CHECK(std::string(e.what()).find("cells") != std::string::npos);
        }
    }
    // Delta_T = 0 needs V_reset below V_T, which is then the threshold.
    {
        sim::network net({0.1, 1, 1});
        auto& pop = net.add_population<adex>("cells", 1);
        pop.set_parameter("Delta_T", 0.0);
        pop.set_parameter("V_reset", -45.0);
        REQUIRE_THROWS_AS(net.validate(), sim::parameter_error);
        try {
            net.validate();
        } catch (const sim::parameter_error& e) {
            CHECK(e.parameter() == "V_reset");
        }
        pop.set_parameter("V_reset", -60.0);
        CHECK_NOTHROW(net.validate());
    }
    // The defaults and the Naud sets are valid.
    sim::network net({0.1, 1, 1});
    net.add_population<adex>("rs", 1);
    net.add_population<adex>("tonic", 1, naud_tonic());
    CHECK_NOTHROW(net.validate());
}

TEST_CASE("adex: registered as 'adex' with NEST-style names", "[adex]") {
    sim::model_registry reg;
    lamina::models::register_builtin(reg);
    REQUIRE(reg.contains("adex"));
    auto pop = reg.create("adex", "x", 3);
    CHECK(pop->model_name() == "adex");
    CHECK(pop->state_index("V_m") == 0u);
    CHECK(pop->state_index("w") == 1u);
    CHECK(pop->port_index("excitatory").has_value());
    CHECK(pop->port_index("inhibitory").has_value());
    CHECK(pop->parameter("b") == 80.5);
    CHECK(pop->parameter("V_peak") == 0.0);
    pop->set_parameter("tau_w", 30.0);
    CHECK(pop->parameter("tau_w") == 30.0);
    CHECK_THROWS_AS(pop->set_parameter("tau_W", 1.0), sim::parameter_error);
}
