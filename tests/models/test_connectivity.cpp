// Connectivity measures (models/eeg/connectivity.hpp) on signals of known coupling: two noisy
// oscillators with a set phase lag give their lag back and a PLV near 1 in their band; independent
// signals sit at the analytic chance level (E[PLV^2] = 1/N for independent phases, the
// band-passed-noise formula, E[MSC] = 1/K); a shared amplitude modulation gives AEC near 1.
#include "lamina/models/eeg/connectivity.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

using namespace lamina::models::eeg;
using std::numbers::pi;

TEST_CASE("band-pass analytic signal: zero phase on a sinusoid in band, nothing out of band", "[connectivity]") {
    const double fs = 1000.0;
    const std::size_t n = 5000;
    std::vector<double> x(n), out_of_band(n);
    for (std::size_t i = 0; i < n; ++i) {
        x[i] = 2.0 * std::cos(2.0 * pi * 10.3 * double(i) / fs + 0.7);
        out_of_band[i] = std::cos(2.0 * pi * 40.0 * double(i) / fs);
    }
    const auto z = bandpass_analytic(x, fs, {8.0, 13.0});
    const auto w = bandpass_analytic(out_of_band, fs, {8.0, 13.0});
    double worst_phase = 0, worst_amp = 0, leak = 0;
    for (std::size_t i = 1500; i + 1500 < n; ++i) {  // 1.5 / transition from the ends
        const double expected = 2.0 * pi * 10.3 * double(i) / fs + 0.7;
        worst_phase = std::max(worst_phase, std::abs(std::arg(z[i] * std::polar(1.0, -expected))));
        worst_amp = std::max(worst_amp, std::abs(std::abs(z[i]) - 2.0));
        leak = std::max(leak, std::abs(w[i]));
    }
    INFO("phase error " << worst_phase << " rad, amplitude error " << worst_amp << ", leak " << leak);
    CHECK(worst_phase < 1.5e-3);  // measured 6.2e-4 (edge effects of the 1 Hz transitions)
    CHECK(worst_amp < 3e-3);      // measured 1.4e-3
    CHECK(leak < 1e-4);           // measured 4.8e-5
    CHECK(bandpass_gain(10.0, {8, 13}) == 1.0);
    CHECK(bandpass_gain(8.0 - 0.5, {8, 13}) == Approx(0.5));  // half-way down the 1 Hz edge
    CHECK(bandpass_gain(7.0, {8, 13}) == 0.0);
    CHECK(bandpass_gain(5.0, {8, 13}) == 0.0);
    CHECK_THROWS_AS(bandpass_analytic(x, fs, {13.0, 8.0}), std::invalid_argument);
    CHECK_THROWS_AS(bandpass_analytic(x, fs, {8.0, 600.0}), std::invalid_argument);
}

TEST_CASE("two noisy oscillators with a set phase lag: PLV, lag, coherence and its phase recovered", "[connectivity]") {
    // x = cos(theta) + noise, y = cos(theta - lag) + noise, theta = 2 pi 10 Hz t + a random walk
    // (phase diffusion 2 rad^2/s): the pair is locked at `lag` whatever theta does.
    const double fs = 1000.0, lag = pi / 3.0;
    const std::size_t n = 20000;
    std::mt19937_64 rng(11);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::vector<double> x(n), y(n);
    double theta = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        theta += 2.0 * pi * 10.0 / fs + std::sqrt(2.0 / fs) * normal(rng);
        x[i] = std::cos(theta) + 0.5 * normal(rng);
        y[i] = std::cos(theta - lag) + 0.5 * normal(rng);
    }
    const auto zx = bandpass_analytic(x, fs, {8.0, 13.0});
    const auto zy = bandpass_analytic(y, fs, {8.0, 13.0});
    const auto p = phase_locking_value(zx, zy);
    INFO("PLV " << p.plv << ", lag " << p.lag_rad);
    CHECK(p.plv > 0.9);
    CHECK(p.lag_rad == Approx(lag).margin(0.02));
    const auto c = coherence(x, y, fs, 1000, 500);
    const double c10 = c.msc[10];
    INFO("coherence at 10 Hz " << c10 << ", phase " << c.phase[10]);
    CHECK(c10 > 0.9);
    CHECK(c.phase[10] == Approx(lag).margin(0.03));
    // Out of the oscillators' band (beta) only the independent noises remain: chance level.
    const auto bx = bandpass_analytic(x, fs, {20.0, 30.0});
    const auto by = bandpass_analytic(y, fs, {20.0, 30.0});
    const double chance = std::sqrt(plv_chance_squared(n, fs, {20.0, 30.0}));
    CHECK(phase_locking_value(bx, by).plv < 4.0 * chance);
    CHECK(band_coherence(c, {20.0, 30.0}) < 0.15);
    // The matrix form gives the same numbers and is antisymmetric in the lag.
    const std::vector<std::vector<double>> sig{x, y};
    const std::vector<named_band> bands{{"alpha", {8.0, 13.0}}};
    const auto m = connectivity(sig, fs, bands, 1000, 0.5);
    CHECK(m.plv[0][1] == Approx(p.plv).epsilon(1e-12));
    CHECK(m.lag[0][1] == Approx(p.lag_rad).epsilon(1e-12));
    CHECK(m.lag[0][2] == Approx(-p.lag_rad).epsilon(1e-12));
    CHECK(m.plv[0][0] == 1.0);
    CHECK(m.coherence[0][1] == m.coherence[0][2]);
}

TEST_CASE("independent signals: PLV and coherence at their analytic chance levels", "[connectivity]") {
    std::mt19937_64 rng(5);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::uniform_real_distribution<double> uniform(-pi, pi);
    // N independent uniform phases: E[PLV^2] = 1/N exactly.
    for (std::size_t n : {10, 100, 1000}) {
        double s = 0;
        const int trials = 2000;
        std::vector<double> a(n), b(n);
        for (int t = 0; t < trials; ++t) {
            for (std::size_t i = 0; i < n; ++i) a[i] = uniform(rng), b[i] = uniform(rng);
            const double plv = phase_locking_value(a, b).plv;
            s += plv * plv;
        }
        INFO("N " << n << ": mean PLV^2 " << s / trials << " expected " << 1.0 / double(n));
        CHECK(s / trials == Approx(1.0 / double(n)).epsilon(0.07));  // SD of the mean about 2.2 %
    }
    CHECK(hypergeometric_half_half_two(0.0) == 1.0);
    CHECK(hypergeometric_half_half_two(0.5) == Approx(1.0787052023767585).epsilon(1e-13));  // scipy.special.hyp2f1
    CHECK(hypergeometric_half_half_two(0.99) == Approx(1.2591402448345308).epsilon(1e-12));
    CHECK(hypergeometric_half_half_two(1.0 - 1e-9) == Approx(4.0 / pi).epsilon(1e-4));
    // Band-passed white noise: E[PLV^2] from the filter's autocorrelation; E[MSC] = 1/K for K
    // disjoint segments.
    const double fs = 1000.0;
    const std::size_t n = 10000;
    const int trials = 150;
    std::vector<double> x(n), y(n);
    for (frequency_band band : {frequency_band{8.0, 13.0}, frequency_band{30.0, 45.0}}) {
        double s = 0, msc = 0;
        for (int t = 0; t < trials; ++t) {
            for (std::size_t i = 0; i < n; ++i) x[i] = normal(rng), y[i] = normal(rng);
            const double plv = phase_locking_value(bandpass_analytic(x, fs, band), bandpass_analytic(y, fs, band)).plv;
            s += plv * plv;
            msc += band_coherence(coherence(x, y, fs, 500, 0), band);
        }
        const double expected = plv_chance_squared(n, fs, band);
        INFO(band.low << "-" << band.high << " Hz: mean PLV^2 " << s / trials << " expected " << expected
                      << " (1/N " << 1.0 / double(n) << "); mean MSC " << msc / trials << " expected 1/20");
        CHECK(s / trials == Approx(expected).epsilon(0.25));  // 150 trials of a chi^2_2-like statistic: SD 8 %
        CHECK(expected > 20.0 / double(n));                   // correlated phases: far above 1/N
        CHECK(msc / trials == Approx(1.0 / 20.0).epsilon(0.06));
    }
}

TEST_CASE("amplitude envelope correlation: shared modulation near 1, independent near 0", "[connectivity]") {
    const double fs = 1000.0;
    const std::size_t n = 20000;
    std::mt19937_64 rng(3);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::vector<double> x(n), y(n), u(n);
    double slow = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        slow = 0.999 * slow + 0.045 * normal(rng);  // a slow (0.16 Hz) random modulation
        const double a = 1.0 + 0.8 * std::tanh(slow);
        const double t = double(i) / fs;
        x[i] = a * std::cos(2 * pi * 10.0 * t) + 0.1 * normal(rng);
        y[i] = a * std::cos(2 * pi * 11.0 * t + 1.0) + 0.1 * normal(rng);  // other carrier: PLV low
        u[i] = normal(rng);
    }
    const auto zx = bandpass_analytic(x, fs, {8.0, 13.0});
    const auto zy = bandpass_analytic(y, fs, {8.0, 13.0});
    const auto zu = bandpass_analytic(u, fs, {8.0, 13.0});
    const double aec = envelope_correlation(zx, zy);
    INFO("AEC " << aec << ", PLV " << phase_locking_value(zx, zy).plv << ", AEC with noise " << envelope_correlation(zx, zu));
    CHECK(aec > 0.9);
    CHECK(phase_locking_value(zx, zy).plv < 0.2);
    CHECK(std::abs(envelope_correlation(zx, zu)) < 0.15);
}
