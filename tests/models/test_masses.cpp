// Neural masses and the lattice simulator (models/include/lamina/models/mass/): validation of
// Jansen-Rit and Wilson-Cowan against reference digest 4.1/4.2, the field-theory checks of 4.4 on a
// lattice of linear oscillators (dispersion relation from a spatio-temporal FFT, equipartition
// spectrum), determinism over thread counts, conduction delays, boundaries, recording and parameter
// refusal. Spectra are computed here with Eigen's FFT (Hann-windowed periodograms / Welch).
#include "lamina/models/mass/connectivity_prior.hpp"
#include "lamina/models/mass/lattice.hpp"
#include "lamina/sim/error.hpp"

#include <catch2/catch.hpp>
#include <unsupported/Eigen/FFT>

#include <algorithm>
#include <bit>
#include <cmath>
#include <complex>
#include <cstring>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

namespace {

namespace mass = lamina::models::mass;
namespace sim = lamina::sim;
using cplx = std::complex<double>;
constexpr double pi = std::numbers::pi;

std::vector<double> hann(std::size_t n) {
    std::vector<double> w(n);
    for (std::size_t i = 0; i < n; ++i) w[i] = 0.5 - 0.5 * std::cos(2.0 * pi * double(i) / double(n));
    return w;
}

struct spectrum {
    std::vector<double> f;  // Hz
    std::vector<double> p;  // power per bin (arbitrary scale)
};

// Welch estimate (Hann, 50 % overlap, segment mean removed) of a signal sampled at fs Hz.
spectrum welch(const std::vector<double>& x, double fs, std::size_t seg) {
    Eigen::FFT<double> fft;
    const auto w = hann(seg);
    spectrum s;
    s.f.resize(seg / 2 + 1);
    s.p.assign(seg / 2 + 1, 0.0);
    for (std::size_t k = 0; k <= seg / 2; ++k) s.f[k] = fs * double(k) / double(seg);
    std::vector<cplx> in(seg), out;
    std::size_t count = 0;
    for (std::size_t start = 0; start + seg <= x.size(); start += seg / 2, ++count) {
        double mean = 0.0;
        for (std::size_t i = 0; i < seg; ++i) mean += x[start + i];
        mean /= double(seg);
        for (std::size_t i = 0; i < seg; ++i) in[i] = (x[start + i] - mean) * w[i];
        fft.fwd(out, in);
        for (std::size_t k = 0; k <= seg / 2; ++k) s.p[k] += std::norm(out[k]);
    }
    REQUIRE(count > 0);
    for (auto& v : s.p) v /= double(count);
    return s;
}

// Frequency of the largest bin in [lo, hi], refined by a parabola through log power.
double peak_frequency(const spectrum& s, double lo = 0.5, double hi = 1e9) {
    std::size_t best = 0;
    for (std::size_t k = 1; k + 1 < s.f.size(); ++k)
        if (s.f[k] >= lo && s.f[k] <= hi && (best == 0 || s.p[k] > s.p[best])) best = k;
    REQUIRE(best > 0);
    const double a = std::log(s.p[best - 1]), b = std::log(s.p[best]), c = std::log(s.p[best + 1]);
    const double shift = 0.5 * (a - c) / (a - 2.0 * b + c);
    return s.f[best] + shift * (s.f[1] - s.f[0]);
}

// Least-squares slope of log10 p against log10 f over [lo, hi].
double loglog_slope(const std::vector<double>& f, const std::vector<double>& p, double lo, double hi) {
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int n = 0;
    for (std::size_t k = 0; k < f.size(); ++k) {
        if (f[k] < lo || f[k] > hi) continue;
        const double x = std::log10(f[k]), y = std::log10(p[k]);
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
        ++n;
    }
    REQUIRE(n > 3);
    return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

// Mean frequency (Hz) from rising crossings of the signal's mean, linearly interpolated.
double crossing_frequency(const std::vector<double>& x, double sample_ms) {
    double mean = 0.0;
    for (double v : x) mean += v;
    mean /= double(x.size());
    std::vector<double> t;
    for (std::size_t i = 0; i + 1 < x.size(); ++i)
        if (x[i] < mean && x[i + 1] >= mean) t.push_back((double(i) + (mean - x[i]) / (x[i + 1] - x[i])) * sample_ms);
    REQUIRE(t.size() > 3);
    return 1000.0 * double(t.size() - 1) / (t.back() - t.front());
}

template <class L>
bool same_bits(const L& a, const L& b) {
    for (std::size_t v = 0; v < L::n_state; ++v) {
        const auto x = a.state(v), y = b.state(v);
        if (x.size() != y.size() || std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) != 0) return false;
    }
    return true;
}

// The parameter named in a parameter_error thrown by f ("" if none is thrown).
std::string refused_parameter(const std::function<void()>& f) {
    try {
        f();
    } catch (const sim::parameter_error& e) {
        return e.parameter();
    }
    return "";
}

} // namespace

// ------------------------------------------------------------------------------------- masses

TEST_CASE("jansen-rit with standard parameters has its spectral peak in 9.5-12 Hz", "[mass][jansen_rit]") {
    // Reference digest 4.2: 10.74 Hz (Euler 0.1 ms); the limit cycle of p = 220 Hz and the noisy
    // input (uniform 120-320 Hz held 1 ms, here its white-noise equivalent p_sd = 57.7 Hz).
    mass::lattice_config cfg;
    cfg.dt = 0.1;
    mass::recording_config rec;
    rec.nodes = {0};
    rec.interval = 10;  // 1 kHz
    rec.spatial_mean = false;

    SECTION("constant input p = 220 Hz") {
        mass::lattice<mass::jansen_rit> jr(cfg, {}, mass::no_coupling{}, rec);
        jr.run(2000.0);
        jr.take_recording();
        jr.run(16384.0);
        const auto r = jr.take_recording();
        const auto v = r.trace(0);
        const auto s = welch(v, 1000.0, 8192);
        const double f = peak_frequency(s);
        double lo = 1e9, hi = -1e9, mean = 0.0;
        for (double x : v) lo = std::min(lo, x), hi = std::max(hi, x), mean += x;
        mean /= double(v.size());
        INFO("peak " << f << " Hz, y1 - y2 mean " << mean << " mV, peak-to-peak " << hi - lo << " mV");
        CHECK(f > 9.5);
        CHECK(f < 12.0);
        CHECK(hi - lo > 2.5);  // a limit cycle (digest: about 3.4 mV around 7.6 mV)
        CHECK(mean > 6.0);
        CHECK(mean < 9.0);
    }
    SECTION("noisy input p_sd = 57.7 Hz (stochastic Heun)") {
        mass::jansen_rit::parameters p;
        p.p_sd = 57.7;
        mass::lattice<mass::jansen_rit> jr(cfg, p, mass::no_coupling{}, rec);
        jr.run(2000.0);
        jr.take_recording();
        jr.run(60000.0);
        const auto s = welch(jr.take_recording().trace(0), 1000.0, 4096);
        const double f = peak_frequency(s, 2.0, 100.0);
        INFO("peak " << f << " Hz");
        CHECK(f > 9.5);
        CHECK(f < 12.0);
    }
}

TEST_CASE("wilson-cowan limit cycle runs at 20 Hz for tau = 10 ms and 25 Hz for tau = 8 ms", "[mass][wilson_cowan]") {
    // Reference digest 4.1 (Euler 0.01 ms): 20 and 25 Hz, E peak-to-peak 0.168; P = 0 and 0.5:
    // a stable fixed point. An accurate integration gives 20.02 and 25.02 Hz.
    mass::lattice_config cfg;
    cfg.dt = 0.05;
    mass::recording_config rec;
    rec.nodes = {0};
    rec.spatial_mean = false;
    auto run = [&](double tau, double P, double& amplitude) {
        mass::wilson_cowan::parameters p;
        p.tau_e = p.tau_i = tau;
        p.P = P;
        mass::lattice<mass::wilson_cowan> wc(cfg, p, mass::no_coupling{}, rec);
        wc.run(1000.0);
        wc.take_recording();
        wc.run(2000.0);
        const auto e = wc.take_recording().trace(0);
        amplitude = *std::max_element(e.begin(), e.end()) - *std::min_element(e.begin(), e.end());
        return amplitude > 1e-3 ? crossing_frequency(e, cfg.dt) : 0.0;
    };
    double amp = 0.0;
    const double f10 = run(10.0, 1.25, amp);
    INFO("tau 10 ms: " << f10 << " Hz, E peak-to-peak " << amp);
    CHECK(f10 == Approx(20.02).epsilon(0.01));
    CHECK(amp == Approx(0.168).epsilon(0.03));
    const double f8 = run(8.0, 1.25, amp);
    INFO("tau 8 ms: " << f8 << " Hz");
    CHECK(f8 == Approx(25.02).epsilon(0.01));
    CHECK(f8 / f10 == Approx(10.0 / 8.0).epsilon(0.005));  // frequency proportional to 1/tau
    for (double P : {0.0, 0.5}) {
        run(10.0, P, amp);
        INFO("P = " << P << ": E peak-to-peak " << amp);
        CHECK(amp < 1e-6);  // a stable fixed point
    }
}

TEST_CASE("additive noise gives the linear oscillator its equipartition variances", "[mass][noise]") {
    // <psi^2> = sigma^2/(2 gamma), <phi^2> = sigma^2/(2 gamma omega0^2), checked over 1024
    // independent nodes, for both stochastic schemes; this fixes the sqrt(dt) scaling of dW.
    for (auto method : {mass::scheme::heun, mass::scheme::euler_maruyama}) {
        mass::lattice_config cfg;
        cfg.rows = cfg.cols = 32;
        cfg.dt = 0.1;
        cfg.method = method;
        mass::linear_oscillator::parameters p;
        p.f0 = 10.0;
        p.gamma = 0.05;
        p.sigma = 0.01;
        // Discretisation bias of the stationary variances at this step (discrete Lyapunov
        // equation): Heun 2e-5, Euler-Maruyama +1 %.
        mass::lattice<mass::linear_oscillator> lat(cfg, p);
        lat.run(200.0);  // 10 relaxation times 1/gamma
        double phi2 = 0.0, psi2 = 0.0;
        int samples = 0;
        for (int k = 0; k < 40; ++k) {
            lat.run(25.0);
            for (double v : lat.state(0)) phi2 += v * v;
            for (double v : lat.state(1)) psi2 += v * v;
            samples += 1024;
        }
        phi2 /= samples;
        psi2 /= samples;
        const double w0 = 2.0 * pi * p.f0 * 1e-3;
        const double psi2_pred = p.sigma * p.sigma / (2.0 * p.gamma);
        INFO((method == mass::scheme::heun ? "heun" : "euler_maruyama") << ": <psi^2> " << psi2 << " vs " << psi2_pred << ", <phi^2> w0^2 " << phi2 * w0 * w0);
        CHECK(psi2 == Approx(psi2_pred).epsilon(0.05));
        CHECK(phi2 * w0 * w0 == Approx(psi2_pred).epsilon(0.05));
    }
}

// --------------------------------------------------------------------------- field theory (4.4)

TEST_CASE("linear-oscillator lattice follows the lattice dispersion relation within 0.002 Hz", "[mass][field]") {
    // omega^2 = omega0^2 + 4 kappa (sin^2(kx h/2) + sin^2(ky h/2)). A 32 x 32 periodic sheet of
    // undamped oscillators starts from a random field (all modes); the spatial FFT of every
    // snapshot and the temporal FFT of each mode amplitude give omega(k) at the spectral peak.
    const std::size_t L = 32;
    mass::lattice_config cfg;
    cfg.rows = cfg.cols = L;
    cfg.dt = 0.5;
    cfg.method = mass::scheme::rk4;
    mass::linear_oscillator::parameters p;
    p.f0 = 5.0;
    const double w0 = 2.0 * pi * p.f0 * 1e-3;
    const double w_top = 2.0 * pi * 40.0 * 1e-3;
    const double kappa = (w_top * w_top - w0 * w0) / 8.0;  // band 5-40 Hz
    mass::recording_config rec;
    for (std::size_t i = 0; i < L * L; ++i) rec.nodes.push_back(i);
    rec.interval = 10;  // 200 Hz
    rec.quantity = mass::recorded_quantity::state;
    rec.state_index = 0;
    rec.spatial_mean = false;
    mass::lattice<mass::linear_oscillator> lat(cfg, p, mass::laplacian_coupling{kappa}, rec);
    lat.perturb(0, 1.0, 7);
    lat.run(4096.0 * 5.0);
    const auto r = lat.take_recording();
    const std::size_t T = r.samples();
    REQUIRE(T == 4096);

    // Spatial 2D FFT of each snapshot (rows, then columns), kept for the probed wave vectors.
    const std::vector<std::pair<int, int>> probes{{0, 0}, {1, 0}, {0, 3}, {2, 3}, {4, 4}, {8, 0}, {5, 11}, {16, 16}};
    std::vector<std::vector<cplx>> amp(probes.size(), std::vector<cplx>(T));
    Eigen::FFT<double> fft;
    std::vector<cplx> grid(L * L), line(L), out;
    for (std::size_t s = 0; s < T; ++s) {
        for (std::size_t i = 0; i < L * L; ++i) grid[i] = r.value(s, i);
        for (std::size_t row = 0; row < L; ++row) {
            for (std::size_t col = 0; col < L; ++col) line[col] = grid[row * L + col];
            fft.fwd(out, line);
            for (std::size_t col = 0; col < L; ++col) grid[row * L + col] = out[col];
        }
        for (std::size_t col = 0; col < L; ++col) {
            for (std::size_t row = 0; row < L; ++row) line[row] = grid[row * L + col];
            fft.fwd(out, line);
            for (std::size_t row = 0; row < L; ++row) grid[row * L + col] = out[row];
        }
        for (std::size_t q = 0; q < probes.size(); ++q)
            amp[q][s] = grid[std::size_t(probes[q].first) * L + std::size_t(probes[q].second)];
    }
    // Temporal FFT of each mode amplitude: the peak of |a_k(f)|^2 over +-f.
    const double fs = 1000.0 / (rec.interval * cfg.dt);
    const auto w = hann(T);
    for (std::size_t q = 0; q < probes.size(); ++q) {
        std::vector<cplx> in(T);
        for (std::size_t s = 0; s < T; ++s) in[s] = amp[q][s] * w[s];
        fft.fwd(out, in);
        spectrum sp;  // fold negative frequencies onto positive ones
        sp.f.resize(T / 2 + 1);
        sp.p.resize(T / 2 + 1);
        for (std::size_t k = 0; k <= T / 2; ++k) {
            sp.f[k] = fs * double(k) / double(T);
            sp.p[k] = std::norm(out[k]) + (k > 0 && k < T / 2 ? std::norm(out[T - k]) : 0.0);
        }
        const double f_meas = peak_frequency(sp, 1.0, 100.0);
        const double ky = 2.0 * pi * probes[q].first / double(L), kx = 2.0 * pi * probes[q].second / double(L);
        const double w2 = w0 * w0 + 4.0 * kappa * (std::pow(std::sin(kx / 2), 2) + std::pow(std::sin(ky / 2), 2));
        const double f_pred = std::sqrt(w2) / (2.0 * pi) * 1000.0;
        const double err = f_meas - f_pred;
        INFO("k = (" << probes[q].first << ", " << probes[q].second << ") * 2pi/32: measured " << f_meas
                     << " Hz, predicted " << f_pred << " Hz, error " << err << " Hz");
        // Measured: at most 0.0008 Hz (0.012 % at 5 Hz; the frequency bins are 0.049 Hz wide and
        // the peak is interpolated). The bound is 2.5 times that: a 0.1 % error in f0 (0.005 Hz
        // at k = 0) or in kappa (up to 0.02 Hz at the band top) fails.
        CHECK(std::abs(err) < 0.002);
    }
}

// Log-log slope over [lo, hi] of the equipartition spectrum of a lattice's modes, binned:
// every mode carries the same energy, so its variance is 1/omega_k^2 (reference digest 4.4).
double equipartition_slope(const std::vector<double>& wk2, double lo, double hi, double bin) {
    std::vector<double> f, p;
    for (double a = lo; a < hi; a += bin) {
        double s = 0.0;
        for (double w2 : wk2) {
            const double fk = std::sqrt(w2) / (2.0 * pi) * 1000.0;
            if (fk >= a && fk < a + bin) s += 1.0 / w2;
        }
        f.push_back(a + 0.5 * bin);
        p.push_back(s);
    }
    return loglog_slope(f, p, lo, hi);
}

TEST_CASE("equipartition noise on a linear-oscillator lattice gives the predicted spectral slope", "[mass][field]") {
    // Reference digest 4.4: every mode carries the same mean energy, so the spatially averaged
    // spectrum is S(f) ~ g(f)/f^2 (1/f in 2D above the mass gap f0, no power below f0); slope
    // -0.89 between 3 f0 and 0.3 f_top for a 400 x 400 Dirichlet lattice with f0 = 2 Hz and band
    // top 40 Hz. Here a 32 x 32 periodic sheet with the same f0 and band, damping gamma and noise
    // sigma on every node (equipartition at sigma^2/(2 gamma) per mode). The prediction for this
    // lattice: mode k is a damped oscillator driven by white noise,
    // S_k(omega) = sigma^2 / ((omega_k^2 - omega^2)^2 + gamma^2 omega^2), and a node of the periodic
    // sheet sees the mean of S_k over all k. The Lorentzian lines (0.8 Hz wide) smooth the
    // discrete mode density.
    const std::size_t L = 32;
    mass::lattice_config cfg;
    cfg.rows = cfg.cols = L;
    cfg.dt = 0.5;
    cfg.method = mass::scheme::heun;
    mass::linear_oscillator::parameters p;
    p.f0 = 2.0;
    p.gamma = 0.005;  // 1/ms
    p.sigma = 1e-3;
    const double w0 = 2.0 * pi * p.f0 * 1e-3;
    const double w_top = 2.0 * pi * 40.0 * 1e-3;
    const double kappa = (w_top * w_top - w0 * w0) / 8.0;
    const double lo = 3.0 * p.f0, hi = 0.3 * 40.0;

    // The digest's figure from the same recipe (binned mode energies, 400 x 400 Dirichlet).
    {
        const std::size_t D = 400;
        std::vector<double> s(D), wk2;
        for (std::size_t n = 0; n < D; ++n) s[n] = std::pow(std::sin(pi * double(n + 1) / (2.0 * (D + 1))), 2);
        wk2.reserve(D * D);
        for (std::size_t n = 0; n < D; ++n)
            for (std::size_t m = 0; m < D; ++m) wk2.push_back(w0 * w0 + 4.0 * kappa * (s[n] + s[m]));
        const double digest = equipartition_slope(wk2, lo, hi, 0.1);
        INFO("400 x 400 Dirichlet, binned equipartition spectrum: slope " << digest);
        CHECK(digest == Approx(-0.89).margin(0.02));  // measured -0.876
    }

    mass::recording_config rec;
    for (std::size_t row = 0; row < L; row += 4)
        for (std::size_t col = 0; col < L; col += 4) rec.nodes.push_back(row * L + col);  // 64 nodes
    rec.interval = 4;  // 500 Hz
    rec.quantity = mass::recorded_quantity::state;
    rec.spatial_mean = false;
    mass::lattice<mass::linear_oscillator> lat(cfg, p, mass::laplacian_coupling{kappa}, rec);
    lat.run(1000.0);  // 5 relaxation times 1/gamma
    lat.take_recording();
    lat.run(20480.0);
    const auto r = lat.take_recording();
    spectrum avg;
    for (std::size_t k = 0; k < rec.nodes.size(); ++k) {
        const auto s = welch(r.trace(k), 500.0, 2048);
        if (avg.f.empty()) avg = s;
        else
            for (std::size_t b = 0; b < s.p.size(); ++b) avg.p[b] += s.p[b];
    }
    std::vector<double> pred(avg.f.size(), 0.0);
    for (std::size_t n = 0; n < L; ++n)
        for (std::size_t m = 0; m < L; ++m) {
            const double wk2 =
                w0 * w0 + 4.0 * kappa * (std::pow(std::sin(pi * double(n) / L), 2) + std::pow(std::sin(pi * double(m) / L), 2));
            for (std::size_t b = 0; b < pred.size(); ++b) {
                const double w = 2.0 * pi * avg.f[b] * 1e-3;
                pred[b] += 1.0 / ((wk2 - w * w) * (wk2 - w * w) + p.gamma * p.gamma * w * w);
            }
        }
    const double slope = loglog_slope(avg.f, avg.p, lo, hi);
    const double slope_pred = loglog_slope(avg.f, pred, lo, hi);
    // Mass gap: little power below f0 compared with the band just above it.
    // (only the lines' Lorentzian tails reach below f0, as predicted).
    auto band = [&](const std::vector<double>& P, double a, double b) {
        double s = 0.0;
        for (std::size_t k = 0; k < avg.f.size(); ++k)
            if (avg.f[k] >= a && avg.f[k] < b) s += P[k];
        return s;
    };
    const double gap = band(avg.p, 0.2, 1.0) / band(avg.p, 3.0, 3.8);
    const double gap_pred = band(pred, 0.2, 1.0) / band(pred, 3.0, 3.8);
    INFO("slope measured " << slope << ", predicted for this lattice " << slope_pred
                           << "; power 0.2-1 Hz / 3-3.8 Hz = " << gap << ", predicted " << gap_pred);
    // Measured (this seed, 20 s): slope -0.825 against -0.879 predicted (0.055; three seeds gave
    // -0.78 to -0.82, docs/masses.md: the 32 x 32 mode density is lumpy near 6 Hz, so the fitted
    // slope of one run sits 0.06-0.10 above the prediction, and this bound is that spread, not a
    // loose tolerance); prediction -0.879 against the digest's -0.89 (0.011, deterministic: bound
    // 1.5 times that); gap 0.265 against 0.334 (21 %). The shape below is the tight check.
    CHECK(slope == Approx(slope_pred).margin(0.1));
    CHECK(slope_pred == Approx(-0.89).margin(0.017));
    CHECK(gap == Approx(gap_pred).epsilon(0.3));
    CHECK(gap < 0.5);
    // The shape over the band: 2 Hz bands from 3 to 37 Hz, each normalised by 3-30 Hz (below 3 Hz
    // a handful of modes carry the power and one run scatters by 20 %).
    const double norm_m = band(avg.p, 3.0, 30.0), norm_p = band(pred, 3.0, 30.0);
    double worst = 0.0;
    for (double a = 3.0; a < 37.0; a += 2.0) {
        const double ratio = (band(avg.p, a, a + 2.0) / norm_m) / (band(pred, a, a + 2.0) / norm_p);
        worst = std::max(worst, std::abs(ratio - 1.0));
    }
    INFO("largest deviation of a 2 Hz band from the predicted shape: " << 100.0 * worst << " %");
    CHECK(worst < 0.08);  // measured 5.4 %
}

// ------------------------------------------------------------------------------ determinism

TEST_CASE("lattice results are bitwise identical for 1, 2 and 4 threads", "[mass][threads]") {
    auto check = [](auto make, int steps) {
        auto a = make(1);
        a.step(steps);
        for (int t : {2, 4}) {
            auto b = make(t);
            b.step(steps);
            INFO(t << " threads");
            CHECK(same_bits(a, b));
            const auto ra = a.recorded(), rb = b.recorded();
            REQUIRE(ra.mean.size() == rb.mean.size());
            CHECK(std::memcmp(ra.mean.data(), rb.mean.data(), ra.mean.size() * sizeof(double)) == 0);
        }
        // Changing the thread count mid-run changes nothing either.
        auto c = make(1);
        c.step(steps / 2);
        c.set_threads(3);
        c.step(steps - steps / 2);
        CHECK(same_bits(a, c));
    };
    mass::lattice_config cfg;
    cfg.rows = 64;
    cfg.cols = 48;  // 21 rows per block (about 1024 nodes): 4 blocks
    cfg.dt = 0.1;
    cfg.seed = 12;
    SECTION("jansen-rit, noisy, Gaussian kernel with conduction delays, stochastic Heun") {
        mass::jansen_rit::parameters p;
        p.p_sd = 57.7;
        mass::kernel_coupling k;
        k.strength = 20.0;
        k.length = 1.5;
        k.radius = 3.0;
        k.conduction_velocity = 3.0;  // 0.33-1 ms: 3-10 steps
        check([&](int t) {
            auto c = cfg;
            c.threads = t;
            mass::lattice<mass::jansen_rit> l(c, p, k);
            l.perturb(1, 2.0, 3);
            return l;
        }, 200);
    }
    SECTION("wilson-cowan, noisy, Laplacian, fixed edges, Euler-Maruyama") {
        mass::wilson_cowan::parameters p;
        p.sigma_e = p.sigma_i = 0.02;
        auto c0 = cfg;
        c0.edges = mass::boundary::fixed;
        c0.method = mass::scheme::euler_maruyama;
        check([&](int t) {
            auto c = c0;
            c.threads = t;
            return mass::lattice<mass::wilson_cowan>(c, p, mass::laplacian_coupling{0.5});
        }, 300);
    }
    SECTION("linear oscillators, Laplacian, RK4") {
        auto c0 = cfg;
        c0.method = mass::scheme::rk4;
        check([&](int t) {
            auto c = c0;
            c.threads = t;
            mass::lattice<mass::linear_oscillator> l(c, {}, mass::laplacian_coupling{0.01});
            l.perturb(0, 1.0, 5);
            return l;
        }, 300);
    }
}

TEST_CASE("noise increments are independent standard normal numbers", "[mass][noise]") {
    // An undamped, massless oscillator (f0 = 0, gamma = 0) with sigma = 1 and one Euler-Maruyama
    // step of 1 ms: psi = dW = N(0, 1) on each of 65536 nodes. Wilson-Cowan's two noise targets
    // (the Box-Muller pair of one Philox block) must be uncorrelated.
    mass::lattice_config cfg;
    cfg.rows = cfg.cols = 256;
    cfg.dt = 1.0;
    cfg.method = mass::scheme::euler_maruyama;
    mass::lattice<mass::linear_oscillator> lat(cfg, {.f0 = 0.0, .gamma = 0.0, .sigma = 1.0});
    lat.step(1);
    const auto z = lat.state(1);
    double m1 = 0, m2 = 0, m4 = 0, tail = 0;
    for (double v : z) {
        m1 += v;
        m2 += v * v;
        m4 += v * v * v * v;
        tail += std::abs(v) > 2.0;
    }
    const double n = double(z.size());
    m1 /= n;
    m2 /= n;
    m4 /= n;
    tail /= n;
    INFO("mean " << m1 << ", variance " << m2 << ", kurtosis " << m4 / (m2 * m2) << ", P(|z| > 2) " << tail);
    CHECK(std::abs(m1) < 0.02);             // 5 standard errors
    CHECK(m2 == Approx(1.0).margin(0.03));
    CHECK(m4 / (m2 * m2) == Approx(3.0).margin(0.1));
    CHECK(tail == Approx(0.0455).margin(0.004));

    mass::lattice<mass::wilson_cowan> wc(cfg, {.P = 0.0, .sigma_e = 1.0, .sigma_i = 1.0});
    wc.step(1);  // from E = I = 0 at P = 0 the drift is 0: E and I are the two increments
    const auto e = wc.state(0), i = wc.state(1);
    double ce = 0, ci = 0, cei = 0;
    for (std::size_t k = 0; k < e.size(); ++k) ce += e[k] * e[k], ci += i[k] * i[k], cei += e[k] * i[k];
    INFO("E-I increment correlation " << cei / std::sqrt(ce * ci));
    CHECK(std::abs(cei / std::sqrt(ce * ci)) < 0.02);
    CHECK(ce / n == Approx(1.0).margin(0.03));
}

TEST_CASE("exp_simd agrees with std::exp to 2 ulp and is clamped to finite values", "[mass]") {
    auto ulps = [](double a, double b) {
        return std::abs(std::bit_cast<std::int64_t>(a) - std::bit_cast<std::int64_t>(b));
    };
    std::int64_t worst = 0;
    for (int k = 0; k <= 200000; ++k) {
        const double x = -708.0 + 1417.0 * k / 200000.0;
        worst = std::max(worst, ulps(mass::exp_simd(x), std::exp(x)));
    }
    for (double x : {-1e-300, 0.0, 1e-12, 0.5, -0.5, 1.0, 0.34657359027997264, -0.34657359027997264})
        worst = std::max(worst, ulps(mass::exp_simd(x), std::exp(x)));
    INFO("largest difference " << worst << " ulp");
    CHECK(worst <= 2);
    CHECK(mass::exp_simd(0.0) == 1.0);
    CHECK(std::isfinite(mass::exp_simd(1e6)));
    CHECK(mass::exp_simd(-1e6) > 0.0);
}

TEST_CASE("noise depends only on (seed, node, step)", "[mass][noise]") {
    // A node's noise is the same whatever the sheet's size; a different seed changes it.
    mass::jansen_rit::parameters p;
    p.p_sd = 57.7;
    mass::lattice_config one;
    one.seed = 99;
    mass::lattice_config many = one;
    many.rows = 8;
    many.cols = 8;
    mass::lattice<mass::jansen_rit> a(one, p), b(many, p);
    a.run(100.0);
    b.run(100.0);
    for (std::size_t v = 0; v < 6; ++v) CHECK(a.state(v)[0] == b.state(v)[0]);
    CHECK(b.state(1)[0] != b.state(1)[1]);  // nodes get different noise
    mass::lattice_config other = one;
    other.seed = 100;
    mass::lattice<mass::jansen_rit> c(other, p);
    c.run(100.0);
    CHECK(a.state(1)[0] != c.state(1)[0]);
}

TEST_CASE("matrix coupling with a kernel's taps reproduces the kernel coupling bitwise", "[mass][coupling]") {
    // The same connections, listed per target in the kernel's tap order, sum in the same order.
    mass::lattice_config cfg;
    cfg.rows = 12;
    cfg.cols = 10;
    cfg.dt = 0.1;
    mass::kernel_coupling k;
    k.shape = mass::kernel_shape::exponential;
    k.strength = 30.0;
    k.length = 1.0;
    k.radius = 2.0;
    k.conduction_velocity = 2.0;
    k.diffusive = true;
    mass::lattice<mass::jansen_rit> a(cfg, {}, k);
    // Rebuild the taps: offsets within the radius in (dr, dc) order, normalised weights, delays.
    mass::matrix_coupling m;
    m.diffusive = true;
    double sum = 0.0;
    std::vector<std::tuple<int, int, double, double>> taps;
    for (int dr = -2; dr <= 2; ++dr)
        for (int dc = -2; dc <= 2; ++dc) {
            const double d = std::sqrt(double(dr * dr + dc * dc));
            if ((dr == 0 && dc == 0) || d > 2.0) continue;
            taps.emplace_back(dr, dc, std::exp(-d), d / 2.0);
            sum += std::exp(-d);
        }
    REQUIRE(a.kernel_taps() == taps.size());
    for (std::size_t i = 0; i < cfg.rows; ++i)
        for (std::size_t j = 0; j < cfg.cols; ++j)
            for (auto [dr, dc, w, d] : taps) {
                const std::size_t si = (i + cfg.rows + dr) % cfg.rows, sj = (j + cfg.cols + dc) % cfg.cols;
                m.connections.push_back({i * cfg.cols + j, si * cfg.cols + sj, w * (k.strength / sum), d});
            }
    mass::lattice<mass::jansen_rit> b(cfg, {}, m);
    a.perturb(1, 3.0, 11);
    b.perturb(1, 3.0, 11);
    a.run(300.0);
    b.run(300.0);
    CHECK(same_bits(a, b));
    CHECK(a.max_delay_steps() == b.max_delay_steps());
}

// ----------------------------------------------------------------------------------- delays

TEST_CASE("a pulse reaches each node of a chain after the conduction delay", "[mass][delay]") {
    // A 1 x 20 chain of linear oscillators with a nearest-neighbour kernel (spacing 1 mm), at rest
    // for one step; then node 0 is displaced (at t_p = 0.1 ms). The velocity psi of node k stays
    // exactly 0 until k delays have passed. Node 1 moves at exactly t_p + d (Heun sees the input
    // at the end of the step); each further hop adds one step, because the displacement phi that a
    // node sends lags its velocity by one step: node k first moves at t_p + k d + (k - 1) dt.
    auto first_motion = [](double velocity, std::vector<double>& times) {
        mass::lattice_config cfg;
        cfg.cols = 20;
        cfg.dt = 0.1;
        cfg.edges = mass::boundary::fixed;
        mass::kernel_coupling k;
        k.shape = mass::kernel_shape::uniform;
        k.normalise = false;
        k.strength = 0.01;
        k.radius = 1.0;
        k.conduction_velocity = velocity;
        mass::recording_config rec;
        rec.nodes = {1, 2, 3};
        rec.spatial_mean = false;
        rec.quantity = mass::recorded_quantity::state;
        rec.state_index = 1;  // psi
        mass::lattice<mass::linear_oscillator> lat(cfg, {}, k, rec);
        lat.step(1);
        lat.mutable_state(0)[0] = 1.0;
        lat.run(40.0);
        const auto r = lat.take_recording();
        times.assign(3, -1.0);
        for (std::size_t s = 0; s < r.samples(); ++s)
            for (std::size_t n = 0; n < 3; ++n)
                if (times[n] < 0 && r.value(s, n) != 0.0) times[n] = r.times[s];
        return lat.max_delay_steps();
    };
    std::vector<double> t;
    CHECK(first_motion(0.2, t) == 50);  // 1 mm at 0.2 m/s: 5 ms
    CHECK(t[0] == Approx(0.1 + 5.0));
    CHECK(t[1] == Approx(0.1 + 10.0 + 0.1));
    CHECK(t[2] == Approx(0.1 + 15.0 + 0.2));
    CHECK(first_motion(0.4, t) == 25);  // twice as fast: half the delay
    CHECK(t[0] == Approx(0.1 + 2.5));
    CHECK(t[1] == Approx(0.1 + 5.0 + 0.1));
    CHECK(t[2] == Approx(0.1 + 7.5 + 0.2));
}

TEST_CASE("matrix coupling delivers after each connection's own delay", "[mass][delay]") {
    // Three regions: 0 -> 1 with 3.7 ms (37 steps) and 0 -> 2 with 12 ms; region 0 is displaced
    // after one step at rest (t_p = 0.1 ms).
    mass::lattice_config cfg;
    cfg.rows = 3;
    cfg.dt = 0.1;
    mass::matrix_coupling m;
    m.connections = {{1, 0, 0.02, 3.7}, {2, 0, 0.02, 12.0}};
    mass::recording_config rec;
    rec.nodes = {1, 2};
    rec.spatial_mean = false;
    rec.quantity = mass::recorded_quantity::state;
    rec.state_index = 1;  // psi: moves in the step the input arrives
    mass::lattice<mass::linear_oscillator> lat(cfg, {}, m, rec);
    lat.step(1);
    lat.mutable_state(0)[0] = 1.0;
    lat.run(20.0);
    const auto r = lat.take_recording();
    std::vector<double> first(2, -1.0);
    for (std::size_t s = 0; s < r.samples(); ++s)
        for (std::size_t n = 0; n < 2; ++n)
            if (first[n] < 0 && r.value(s, n) != 0.0) first[n] = r.times[s];
    CHECK(first[0] == Approx(0.1 + 3.7));
    CHECK(first[1] == Approx(0.1 + 12.0));
    CHECK(lat.max_delay_steps() == 120);
}

// ------------------------------------------------------------------------------- boundaries

TEST_CASE("periodic and fixed edges: a uniform field is a mode of the torus, a sine bump of the fixed sheet",
          "[mass][boundary]") {
    // Periodic: the Laplacian of a uniform field is 0, so every node oscillates exactly like an
    // uncoupled mass at f0. Fixed (outside held at 0): the same field is pulled down at the
    // edges, so the corner falls behind the centre; instead sin(pi (i+1)/(R+1)) sin(pi (j+1)/(C+1))
    // is the lowest mode, with omega^2 = omega0^2 + 4 kappa (sin^2(pi/(2(R+1))) + sin^2(pi/(2(C+1)))).
    const std::size_t R = 16, C = 12;
    mass::lattice_config cfg;
    cfg.rows = R;
    cfg.cols = C;
    cfg.dt = 0.1;
    cfg.method = mass::scheme::rk4;
    mass::linear_oscillator::parameters p;
    p.f0 = 10.0;
    const double kappa = 0.005;
    const double w0 = 2.0 * pi * p.f0 * 1e-3;
    const double T = 73.0;  // ms
    auto make = [&](mass::boundary b) {
        auto c = cfg;
        c.edges = b;
        return mass::lattice<mass::linear_oscillator>(c, p, mass::laplacian_coupling{kappa});
    };
    const std::size_t centre = (R / 2) * C + C / 2, corner = 0;

    auto torus = make(mass::boundary::periodic);
    std::fill(torus.mutable_state(0).begin(), torus.mutable_state(0).end(), 1.0);
    torus.run(T);
    const auto phi_t = torus.state(0);
    CHECK(std::all_of(phi_t.begin(), phi_t.end(), [&](double v) { return v == phi_t[0]; }));
    CHECK(phi_t[0] == Approx(std::cos(w0 * T)).margin(1e-6));

    auto sheet = make(mass::boundary::fixed);
    std::fill(sheet.mutable_state(0).begin(), sheet.mutable_state(0).end(), 1.0);
    sheet.run(T);
    INFO("fixed edges, uniform start: centre " << sheet.state(0)[centre] << ", corner " << sheet.state(0)[corner]);
    CHECK(std::abs(sheet.state(0)[centre] - sheet.state(0)[corner]) > 0.1);

    auto bump = [&](std::size_t i) {
        const std::size_t r = i / C, c = i % C;
        return std::sin(pi * (r + 1) / (R + 1)) * std::sin(pi * (c + 1) / (C + 1));
    };
    const double w = std::sqrt(w0 * w0 + 4.0 * kappa * (std::pow(std::sin(pi / (2.0 * (R + 1))), 2) +
                                                         std::pow(std::sin(pi / (2.0 * (C + 1))), 2)));
    for (auto b : {mass::boundary::fixed, mass::boundary::periodic}) {
        auto lat = make(b);
        auto phi = lat.mutable_state(0);
        for (std::size_t i = 0; i < R * C; ++i) phi[i] = bump(i);
        lat.run(T);
        double worst = 0.0;
        for (std::size_t i = 0; i < R * C; ++i) worst = std::max(worst, std::abs(lat.state(0)[i] - std::cos(w * T) * bump(i)));
        INFO((b == mass::boundary::fixed ? "fixed" : "periodic") << ": largest deviation from the mode " << worst);
        if (b == mass::boundary::fixed) CHECK(worst < 1e-6);
        else CHECK(worst > 0.05);
    }
}

// -------------------------------------------------------------------------------- recording

TEST_CASE("recording keeps at most `capacity` samples, the latest ones, in time order", "[mass][recording]") {
    mass::lattice_config cfg;
    cfg.rows = 4;
    cfg.cols = 5;
    cfg.dt = 0.1;
    mass::recording_config rec;
    rec.nodes = {3, 17};
    rec.interval = 4;
    rec.capacity = 10;
    mass::lattice<mass::jansen_rit> lat(cfg, {}, mass::laplacian_coupling{1.0}, rec);
    lat.perturb(1, 1.0, 2);
    lat.step(100);  // 25 samples
    const auto r = lat.recorded();
    REQUIRE(r.samples() == 10);
    CHECK(r.dropped == 15);
    for (std::size_t s = 0; s < 10; ++s) CHECK(r.times[s] == Approx(0.4 * double(16 + s)));
    const auto field = lat.observable_field();
    CHECK(r.value(9, 0) == field[3]);
    CHECK(r.value(9, 1) == field[17]);
    CHECK(r.value(9, 1) == lat.state(1)[17] - lat.state(2)[17]);  // observable = y1 - y2
    double mean = 0.0;
    for (double v : field) mean += v;
    CHECK(r.mean[9] == Approx(mean / 20.0).epsilon(1e-12));
    CHECK(lat.take_recording().samples() == 10);
    CHECK(lat.recorded().samples() == 0);
    lat.step(4);
    CHECK(lat.recorded().samples() == 1);
}

TEST_CASE("connectivity drawn from a log-normal prior is reproducible and follows its means", "[mass][coupling]") {
    mass::connectivity_prior prior;
    prior.regions = 3;
    prior.mean = {0, 2, 0, 1, 0, 4, 0.5, 0, 0};
    prior.log_sd = std::vector<double>(9, 0.5);
    prior.delay = std::vector<double>(9, 5.0);
    prior.seed = 4;
    const auto a = mass::sample_connectivity(prior), b = mass::sample_connectivity(prior);
    REQUIRE(a.size() == 4);  // zero means are absent connections
    for (std::size_t e = 0; e < a.size(); ++e) {
        CHECK(a[e].weight == b[e].weight);
        const double mean = prior.mean[a[e].target * 3 + a[e].source];
        CHECK(a[e].weight > mean * std::exp(-5 * 0.5));
        CHECK(a[e].weight < mean * std::exp(5 * 0.5));
        CHECK(a[e].weight != mean);
    }
    prior.seed = 5;
    CHECK(mass::sample_connectivity(prior)[0].weight != a[0].weight);
    mass::lattice_config cfg;
    cfg.rows = 3;
    mass::matrix_coupling m{1.0, a, false};
    mass::lattice<mass::jansen_rit> net(cfg, {}, m);
    net.run(50.0);
    CHECK(std::isfinite(net.spatial_mean()));
}

// ------------------------------------------------------------------------------- validation

TEST_CASE("impossible parameters are refused with a parameter_error naming the parameter", "[mass][validation]") {
    using jr = mass::lattice<mass::jansen_rit>;
    using wc = mass::lattice<mass::wilson_cowan>;
    using lo = mass::lattice<mass::linear_oscillator>;
    const mass::lattice_config ok{};
    auto cfg_with = [&](auto f) {
        auto c = ok;
        f(c);
        return c;
    };
    CHECK(refused_parameter([&] { jr(ok, {.tau_e = -10.0}); }) == "tau_e");
    CHECK(refused_parameter([&] { jr(ok, {.tau_i = 0.0}); }) == "tau_i");
    CHECK(refused_parameter([&] { jr(ok, {.p_sd = -1.0}); }) == "p_sd");
    CHECK(refused_parameter([&] { jr(ok, {.r = 0.0}); }) == "r");
    CHECK(refused_parameter([&] { wc(ok, {.tau_e = -8.0}); }) == "tau_e");
    CHECK(refused_parameter([&] { wc(ok, {.sigma_i = -0.1}); }) == "sigma_i");
    CHECK(refused_parameter([&] { wc(ok, {.a_e = 0.0}); }) == "a_e");
    CHECK(refused_parameter([&] { lo(ok, {.gamma = -0.1}); }) == "gamma");
    CHECK(refused_parameter([&] { lo(ok, {.f0 = -1.0}); }) == "f0");
    CHECK(refused_parameter([&] { jr(cfg_with([](auto& c) { c.dt = 0.0; })); }) == "dt");
    CHECK(refused_parameter([&] { jr(cfg_with([](auto& c) { c.dt = -0.1; })); }) == "dt");
    CHECK(refused_parameter([&] { jr(cfg_with([](auto& c) { c.rows = 0; })); }) == "rows");
    CHECK(refused_parameter([&] { jr(cfg_with([](auto& c) { c.cols = 0; })); }) == "cols");
    CHECK(refused_parameter([&] { jr(cfg_with([](auto& c) { c.spacing = -1.0; })); }) == "spacing");
    CHECK(refused_parameter([&] { jr(cfg_with([](auto& c) { c.threads = 0; })); }) == "threads");
    // Noise with the deterministic RK4 scheme.
    CHECK(refused_parameter([&] { jr(cfg_with([](auto& c) { c.method = mass::scheme::rk4; }), {.p_sd = 10.0}); }) ==
          "method");
    // Delays below one step.
    auto sheet = cfg_with([](auto& c) { c.rows = c.cols = 8; });
    mass::kernel_coupling fast;
    fast.conduction_velocity = 20.0;  // 1 mm in 0.05 ms < dt = 0.1 ms
    CHECK(refused_parameter([&] { jr(sheet, {}, fast); }) == "conduction_velocity");
    mass::kernel_coupling neg;
    neg.conduction_velocity = -1.0;
    CHECK(refused_parameter([&] { jr(sheet, {}, neg); }) == "conduction_velocity");
    mass::kernel_coupling small;
    small.radius = 0.5;  // below the spacing: no taps
    CHECK(refused_parameter([&] { jr(sheet, {}, small); }) == "radius");
    mass::kernel_coupling wide;
    wide.radius = 4.0;  // reaches around the 8 x 8 torus
    CHECK(refused_parameter([&] { jr(sheet, {}, wide); }) == "radius");
    mass::kernel_coupling flat;
    flat.length = 0.0;
    CHECK(refused_parameter([&] { jr(sheet, {}, flat); }) == "length");
    CHECK(refused_parameter([&] { jr(sheet, {}, mass::matrix_coupling{1.0, {{1, 0, 1.0, 0.05}}, false}); }) == "delay");
    CHECK(refused_parameter([&] { jr(sheet, {}, mass::matrix_coupling{1.0, {{1, 64, 1.0, 1.0}}, false}); }) == "source");
    CHECK(refused_parameter([&] { jr(sheet, {}, mass::matrix_coupling{1.0, {{70, 0, 1.0, 1.0}}, false}); }) == "target");
    CHECK(refused_parameter([&] { jr(sheet, {}, mass::matrix_coupling{1.0, {{1, 0, NAN, 1.0}}, false}); }) == "weight");
    CHECK(refused_parameter([&] { jr(sheet, {}, mass::laplacian_coupling{INFINITY}); }) == "kappa");
    // Recording.
    mass::recording_config rec;
    rec.interval = 0;
    CHECK(refused_parameter([&] { jr(sheet, {}, mass::no_coupling{}, rec); }) == "interval");
    rec = {};
    rec.nodes = {64};
    CHECK(refused_parameter([&] { jr(sheet, {}, mass::no_coupling{}, rec); }) == "nodes");
    rec = {};
    rec.quantity = mass::recorded_quantity::state;
    rec.state_index = 6;
    CHECK(refused_parameter([&] { jr(sheet, {}, mass::no_coupling{}, rec); }) == "state_index");
    rec = {};
    rec.capacity = 0;
    CHECK(refused_parameter([&] { jr(sheet, {}, mass::no_coupling{}, rec); }) == "capacity");
    // Running.
    jr lat(sheet);
    CHECK(refused_parameter([&] { lat.set_threads(0); }) == "threads");
    CHECK(refused_parameter([&] { lat.run(-1.0); }) == "duration");
    // Priors.
    mass::connectivity_prior prior;
    prior.regions = 2;
    prior.mean = {0, 1, 1};
    prior.delay = {1, 1, 1, 1};
    CHECK(refused_parameter([&] { mass::sample_connectivity(prior); }) == "mean");
    prior.mean = {0, 1, 1, 0};
    prior.log_sd = {0, -1, 0, 0};
    CHECK(refused_parameter([&] { mass::sample_connectivity(prior); }) == "log_sd");
    // The message names the object and the parameter.
    try {
        jr(ok, {.tau_e = -10.0}, mass::no_coupling{}, {}, "cortex");
        FAIL("not refused");
    } catch (const sim::parameter_error& e) {
        CHECK(std::string(e.what()).find("cortex") != std::string::npos);
        CHECK(std::string(e.what()).find("tau_e") != std::string::npos);
    }
}
