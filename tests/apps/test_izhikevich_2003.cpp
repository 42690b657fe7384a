// examples/izhikevich_2003.toml: the paper's 1,000-neuron network (heterogeneous a, b, c, d from
// one r per neuron, thalamic noise current, the paper's integration) shows its alpha and gamma
// rhythms: the spectrum of the population rate has peaks in both bands.
#include "lamina/compose/model_file.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>
#include <cstdlib>

using namespace lamina;

namespace {

// Periodogram of x (1 ms bins) averaged over segments of `seg` bins (Bartlett), mean removed per
// segment, Hann window; power[k] at k * 1000 / seg Hz.
std::vector<double> spectrum(const std::vector<double>& x, std::size_t seg) {
    std::vector<double> p(seg / 2 + 1, 0.0);
    for (std::size_t s = 0; s + seg <= x.size(); s += seg) {
        const double mean = std::accumulate(x.begin() + s, x.begin() + s + seg, 0.0) / seg;
        for (std::size_t k = 0; k < p.size(); ++k) {
            double re = 0, im = 0;
            for (std::size_t j = 0; j < seg; ++j) {
                const double w = 0.5 - 0.5 * std::cos(2 * M_PI * j / seg);
                const double v = (x[s + j] - mean) * w;
                re += v * std::cos(2 * M_PI * k * j / seg);
                im -= v * std::sin(2 * M_PI * k * j / seg);
            }
            p[k] += re * re + im * im;
        }
    }
    return p;
}

} // namespace

TEST_CASE("Izhikevich 2003 network: the population rate has alpha and gamma peaks", "[izhikevich2003]") {
    auto d = compose::load_model_file(std::string(LAMINA_SOURCE_DIR) + "/examples/izhikevich_2003.toml");
    compose::run_overrides o;
    if (const char* seed = std::getenv("LAMINA_IZH2003_SEED")) o.seed = std::strtoull(seed, nullptr, 10);
    auto net = compose::instantiate(d, o, compose::builtin_registries());
    const double T = 10500.0;  // 10 s after a 500 ms transient; about 5 s of CPU
    net->run(T);
    std::vector<double> rate(static_cast<std::size_t>(T), 0.0);  // spikes per 1 ms bin, all 1000 cells
    for (std::size_t r = 0; r < 2; ++r)
        for (double t : net->spikes(r).times_ms) rate[std::min(rate.size() - 1, static_cast<std::size_t>(t - 1e-9))] += 1;
    const double mean_rate_hz = std::accumulate(rate.begin(), rate.end(), 0.0) / 1000.0 / (T / 1000.0);
    // 500 ms segments (2 Hz resolution, 20 of them).
    const auto p = spectrum(std::vector<double>(rate.begin() + 500, rate.end()), 500);
    auto band = [&](double lo, double hi, auto pick) {
        double v = pick == 0 ? 0.0 : (pick < 0 ? 1e300 : -1e300);
        std::size_t n = 0, at = 0;
        for (std::size_t k = 0; k < p.size(); ++k) {
            const double f = k * 2.0;
            if (f < lo || f > hi) continue;
            ++n;
            if (pick == 0) v += p[k];
            else if ((pick < 0 && p[k] < v) || (pick > 0 && p[k] > v)) { v = p[k]; at = k; }
        }
        return std::pair{pick == 0 ? v / n : v, at * 2.0};
    };
    const auto [alpha, alpha_hz] = band(6.0, 14.0, 1);
    const auto [gamma, gamma_hz] = band(26.0, 44.0, 1);
    const double valley = band(14.0, 24.0, -1).first;     // between the two rhythms
    const double gamma_mean = band(26.0, 40.0, 0).first;
    const double high = band(60.0, 80.0, 0).first;       // above gamma
    const double floor = band(150.0, 250.0, 0).first;    // nearly white
    WARN("Izhikevich 2003: mean rate " << mean_rate_hz << " Hz; alpha peak " << alpha_hz << " Hz (" << alpha / valley
                                       << " x the 14-24 Hz minimum), gamma peak " << gamma_hz << " Hz (26-40 Hz mean "
                                       << gamma_mean / valley << " x the minimum, " << gamma_mean / high
                                       << " x the 60-80 Hz mean); floor ratio alpha " << alpha / floor << ", gamma "
                                       << gamma_mean / floor);
    CHECK(mean_rate_hz > 2.0);
    CHECK(mean_rate_hz < 30.0);
    CHECK(alpha > 3.0 * valley);          // a peak, not a slope
    CHECK(gamma_mean > 1.3 * valley);     // a second hump above the valley ...
    CHECK(gamma_mean > 3.0 * high);       // ... that falls off above gamma
    CHECK(alpha > 10.0 * floor);
    CHECK(gamma_mean > 10.0 * floor);
}
