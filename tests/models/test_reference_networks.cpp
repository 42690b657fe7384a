// The reference networks W1-W3: rates against theory and peer simulators, irregularity,
// asynchrony, and bitwise reproducibility across thread counts.
#include "lamina/models/brunel_mean_field.hpp"
#include "lamina/models/reference_networks.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>

using namespace lamina;

namespace {

struct run_result {
    std::vector<sim::spike_record> spikes;  // per population (E, I)
    std::vector<std::size_t> sizes;
    double duration_ms;
};

enum class workload { w1, w2, w3 };

run_result run(workload w, int threads, std::uint64_t seed, double duration_ms, double g = 5.0, double eta = 2.0) {
    sim::run_config cfg;
    cfg.threads = threads;
    cfg.seed = seed;
    sim::network net(cfg);
    switch (w) {
    case workload::w1: models::build_w1_coba(net); break;
    case workload::w2: models::build_w2_cuba(net); break;
    case workload::w3: models::build_w3_brunel(net, {}, g, eta); break;
    }
    net.run(duration_ms);
    return {{net.spikes(0), net.spikes(1)}, {net.population_at(0).size(), net.population_at(1).size()}, duration_ms};
}

double rate_hz(const run_result& r, std::size_t pop, double from_ms = 0.0) {
    const auto& t = r.spikes[pop].times_ms;
    const auto n = std::count_if(t.begin(), t.end(), [&](double x) { return x > from_ms; });
    return double(n) / (double(r.sizes[pop]) * (r.duration_ms - from_ms) * 1e-3);
}

// Per-neuron ISI coefficients of variation (neurons with at least 5 spikes after from_ms).
std::vector<double> isi_cvs(const sim::spike_record& s, std::size_t n, double from_ms) {
    std::vector<std::vector<double>> times(n);
    for (std::size_t k = 0; k < s.times_ms.size(); ++k)
        if (s.times_ms[k] > from_ms) times[s.neurons[k]].push_back(s.times_ms[k]);
    std::vector<double> cvs;
    for (auto& t : times) {
        if (t.size() < 5) continue;
        std::vector<double> isi;
        for (std::size_t k = 1; k < t.size(); ++k) isi.push_back(t[k] - t[k - 1]);
        const double m = std::accumulate(isi.begin(), isi.end(), 0.0) / double(isi.size());
        double v = 0.0;
        for (double x : isi) v += (x - m) * (x - m);
        v /= double(isi.size());
        cvs.push_back(std::sqrt(v) / m);
    }
    return cvs;
}

double mean(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / double(v.size()); }

// CV of the whole network's spike count in 1 ms bins after from_ms: reference.md 2.3 measured 0.56
// for the asynchronous irregular W3 and 0.87 / 1.97 for the synchronous irregular regimes.
double population_count_cv(const run_result& r, double from_ms) {
    const auto bins = static_cast<std::size_t>(r.duration_ms - from_ms);
    std::vector<double> count(bins, 0.0);
    for (const auto& s : r.spikes)
        for (double t : s.times_ms)
            if (t > from_ms) count[std::min(bins - 1, static_cast<std::size_t>(t - from_ms))] += 1.0;
    const double m = mean(count);
    double v = 0.0;
    for (double c : count) v += (c - m) * (c - m);
    return std::sqrt(v / double(bins)) / m;
}

bool identical(const run_result& a, const run_result& b) {
    for (std::size_t p = 0; p < a.spikes.size(); ++p)
        if (a.spikes[p].times_ms != b.spikes[p].times_ms || a.spikes[p].neurons != b.spikes[p].neurons) return false;
    return true;
}

constexpr double async_cv_limit = 0.75;

} // namespace

TEST_CASE("W3 Brunel network is asynchronous irregular at the Siegert rate", "[network][w3]") {
    const auto r = run(workload::w3, 0, 1, 1000.0);
    const double e = rate_hz(r, 0), i = rate_hz(r, 1);
    const double all = (e * 10000 + i * 2500) / 12500;
    const auto cv = isi_cvs(r.spikes[0], r.sizes[0], 200.0);
    const double pop_cv = population_count_cv(r, 200.0);
    // The repository's own mean-field (Siegert) solution for W3's parameters (build_w3_brunel:
    // C_E 1000, gamma 0.25, J 0.1 mV, g 5, eta 2, tau_m 20 ms, theta 20 mV, V_r 10 mV, tau_rp 2 ms):
    // 37.95 Hz (reference.md 2.2; Brunel 2000, J Comput Neurosci 8:183).
    models::brunel_parameters mf;
    mf.g = 5.0;
    mf.eta = 2.0;
    mf.V_r = 10.0;
    const double siegert = models::solve_brunel_mean_field(mf).nu;
    REQUIRE(siegert == Approx(37.95).margin(0.01));
    INFO("E " << e << " Hz, I " << i << " Hz, mean " << all << " Hz (Siegert " << siegert << " Hz), mean ISI CV "
              << mean(cv) << ", population count CV " << pop_cv);
    // Measured (seed 1, 1 s): 37.73 Hz, 0.59 % below the Siegert rate; the bound allows 2.5 times
    // that. (The diffusion approximation ignores the delays and the input correlations.)
    CHECK(std::abs(all - siegert) / siegert < 0.015);
    CHECK(std::abs(e - i) / all < 0.02);
    CHECK(mean(cv) > 0.3);
    CHECK(pop_cv < async_cv_limit);
}

TEST_CASE("W3 asynchrony criterion rejects the synchronous irregular fast regime", "[network][w3]") {
    // Brunel's panel B (g = 6, eta = 4): same network, stronger drive and inhibition.
    const auto r = run(workload::w3, 0, 1, 600.0, 6.0, 4.0);
    const double pop_cv = population_count_cv(r, 200.0);
    INFO("population count CV " << pop_cv);
    CHECK(pop_cv > async_cv_limit);
}

TEST_CASE("W1 COBA and W2 CUBA rates fall in the peer simulators' range across seeds", "[network][w1][w2]") {
    for (std::uint64_t seed : {1, 2, 3}) {
        const auto r1 = run(workload::w1, 1, seed, 1000.0);
        const double e1 = rate_hz(r1, 0), i1 = rate_hz(r1, 1);
        const auto cv1 = isi_cvs(r1.spikes[0], r1.sizes[0], 200.0);
        // Rate distribution: per-neuron rates of E over the run.
        std::vector<double> per(r1.sizes[0], 0.0);
        for (auto n : r1.spikes[0].neurons) per[n] += 1.0;
        const double silent = double(std::count(per.begin(), per.end(), 0.0)) / double(per.size());
        const double m = mean(per);
        double sd = 0.0;
        for (double x : per) sd += (x - m) * (x - m);
        sd = std::sqrt(sd / double(per.size()));
        INFO("seed " << seed << ": W1 E " << e1 << " Hz, I " << i1 << " Hz, mean ISI CV " << mean(cv1)
                     << ", silent fraction " << silent << ", per-neuron rate sd " << sd << " Hz");
        const double all1 = (e1 * 3200 + i1 * 800) / 4000;
        CHECK(all1 > 17.0);
        CHECK(all1 < 21.0);
        // Vogels & Abbott's self-sustained state is very irregular (ISI CV above 1) with a broad,
        // skewed rate distribution and a minority of silent neurons.
        CHECK(mean(cv1) > 0.8);
        CHECK(mean(cv1) < 2.5);
        CHECK(silent < 0.2);
        CHECK(sd > 5.0);
        CHECK(sd < 40.0);

        const auto r2 = run(workload::w2, 1, seed, 1000.0);
        const double e2 = rate_hz(r2, 0), i2 = rate_hz(r2, 1);
        const auto cv2 = isi_cvs(r2.spikes[0], r2.sizes[0], 200.0);
        INFO("seed " << seed << ": W2 E " << e2 << " Hz, I " << i2 << " Hz, mean ISI CV " << mean(cv2));
        const double all2 = (e2 * 3200 + i2 * 800) / 4000;
        CHECK(all2 > 4.5);
        CHECK(all2 < 6.5);
    }
}

TEST_CASE("spike trains are bitwise identical for 1, 2 and 4 threads", "[network][reproducibility]") {
    for (auto w : {workload::w1, workload::w3}) {
        const double T = w == workload::w1 ? 1000.0 : 300.0;
        const auto one = run(w, 1, 7, T);
        const auto two = run(w, 2, 7, T);
        const auto four = run(w, 4, 7, T);
        REQUIRE(one.spikes[0].times_ms.size() > 1000);
        CHECK(identical(one, two));
        CHECK(identical(one, four));
    }
}

TEST_CASE("the same seed repeats a run and another seed changes it", "[network][reproducibility]") {
    const auto a = run(workload::w1, 2, 11, 300.0);
    const auto b = run(workload::w1, 2, 11, 300.0);
    const auto c = run(workload::w1, 2, 12, 300.0);
    CHECK(identical(a, b));
    CHECK_FALSE(identical(a, c));
}
