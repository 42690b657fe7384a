// Poisson input with a time-varying rate (a time series, NEST inhomogeneous_poisson_generator; a
// sinusoid, NEST sinusoidal_poisson_generator) and with a rate per target neuron. The count of a
// step is Poisson with mean the integral of the rate over the step, so the population's count in
// a 1 ms bin is Poisson with mean N * integral over the bin: the tests compare measured counts
// with that mean by a chi-square over bins (or neurons) with a fixed seed, and check that the
// same statistic refuses a rate 10 % off, so that the bound has the power to see a wrong rate.
#include "test_models.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <memory>

using namespace lamina::sim;
using lamina::sim::test::probe;

namespace {

constexpr double dt = 0.1;

std::unique_ptr<network> make_net(int threads, std::uint64_t seed = 3) {
    run_config cfg;
    cfg.dt_ms = dt;
    cfg.threads = threads;
    cfg.seed = seed;
    cfg.adaptive_threads = false;
    return std::make_unique<network>(cfg);
}

poisson_input_spec base(const std::string& target) {
    poisson_input_spec p;
    p.name = "drive";
    p.target = target;
    p.weight = 1.0;
    return p;
}

// Population counts per bin of `bin_ms`: cumulative inputs summed over neurons, sampled at the
// bin ends, with the number of steps done at each sample (so the expected counts use the steps
// the samples really cover).
struct binned {
    std::vector<double> counts;
    std::vector<std::int64_t> steps_done;  // at the end of each bin
};

binned run_binned(network& net, std::size_t N, double T, double bin_ms) {
    state_recorder_spec r;
    r.name = "totals";
    r.population = "p";
    r.variables = {"total", "step"};
    for (std::uint32_t i = 0; i < N; ++i) r.neurons.push_back(i);
    r.interval_ms = bin_ms;
    const auto rec = net.record_state(r);
    net.run(T);
    const auto& s = net.states(rec);
    binned b;
    double previous = 0.0;
    // values[(row * N + neuron) * 2 + variable]
    for (std::size_t row = 0; row < s.times_ms.size(); ++row) {
        double cum = 0.0;
        for (std::size_t i = 0; i < N; ++i) cum += s.values[(row * N + i) * 2];
        b.counts.push_back(cum - previous);
        previous = cum;
        b.steps_done.push_back(std::llround(s.values[row * N * 2 + 1]));
    }
    return b;
}

// Chi-square of counts against Poisson means; bins of mean 0 must be empty (else infinity).
double chi_square(const std::vector<double>& counts, const std::vector<double>& means) {
    double chi2 = 0.0;
    for (std::size_t k = 0; k < counts.size(); ++k) {
        if (means[k] <= 0.0) {
            if (counts[k] != 0.0) return std::numeric_limits<double>::infinity();
            continue;
        }
        chi2 += (counts[k] - means[k]) * (counts[k] - means[k]) / means[k];
    }
    return chi2;
}

// The 5-sigma upper bound of a chi-square with `df` degrees of freedom.
double bound(std::size_t df) { return double(df) + 5.0 * std::sqrt(2.0 * double(df)); }

// Expected bin counts: N * (I(end of bin) - I(end of previous bin)) * 1e-3, from the integral of
// the rate I(t) = int_0^t rate (Hz ms).
std::vector<double> expected(const binned& b, std::size_t N, const std::function<double(double)>& integral) {
    std::vector<double> m;
    double previous = 0.0;
    for (auto steps : b.steps_done) {
        const double now = integral(double(steps) * dt);
        m.push_back(double(N) * (now - previous) * 1e-3);
        previous = now;
    }
    return m;
}

std::vector<double> scaled(std::vector<double> v, double f) {
    for (auto& x : v) x *= f;
    return v;
}

} // namespace

TEST_CASE("sinusoidal Poisson input: bin counts follow N * integral of r0 + r1 sin(2 pi f t + phi)", "[sim][devices]") {
    const std::size_t N = 500;
    const double r0 = 300.0, r1 = 240.0, f = 7.0, phase_deg = 30.0;
    auto net = make_net(2);
    net->add_population<probe>("p", N);
    auto d = base("p");
    d.rate_hz = r0;
    d.amplitude_hz = r1;
    d.frequency_hz = f;
    d.phase_deg = phase_deg;
    net->add_poisson_input(d);
    const auto b = run_binned(*net, N, 1000.0, 1.0);
    REQUIRE(b.counts.size() == 1000);
    const double w = 2.0 * M_PI * f * 1e-3, phi = phase_deg * M_PI / 180.0;
    auto integral = [&](double a, double rate0, double ph = 30.0 * M_PI / 180.0) {  // phase_deg
        return [=](double t) { return rate0 * t + a / w * (std::cos(ph) - std::cos(w * t + ph)); };
    };
    const auto m = expected(b, N, integral(r1, r0));
    const double chi2 = chi_square(b.counts, m);
    INFO("chi-square " << chi2 << " over " << m.size() << " bins");
    CHECK(chi2 < bound(m.size()));
    // The same statistic refuses a rate 10 % off, the unmodulated rate and a phase off by 45 degrees.
    CHECK(chi_square(b.counts, scaled(m, 1.1)) > bound(m.size()));
    CHECK(chi_square(b.counts, expected(b, N, integral(0.0, r0))) > bound(m.size()));
    CHECK(chi_square(b.counts, expected(b, N, integral(r1, r0, phi + M_PI / 4.0))) > bound(m.size()));
}

TEST_CASE("inhomogeneous Poisson input: bin counts follow the time series, 0 before its first time", "[sim][devices]") {
    const std::size_t N = 500;
    // Change points on and off the step grid (250.05 ms falls inside a step: that step's mean
    // is the integral over both parts).
    const std::vector<double> times{20.0, 100.0, 250.05, 400.0, 700.0};
    const std::vector<double> rates{50.0, 400.0, 0.0, 150.0, 20.0};
    auto net = make_net(2);
    net->add_population<probe>("p", N);
    auto d = base("p");
    d.rate_times_ms = times;
    d.rate_values_hz = rates;
    net->add_poisson_input(d);
    const auto b = run_binned(*net, N, 1000.0, 0.5);
    auto integral = [&](double factor) {
        return [=](double t) {
            double acc = 0.0;
            for (std::size_t k = 0; k < times.size(); ++k) {
                const double end = k + 1 < times.size() ? times[k + 1] : 1e300;
                if (t > times[k]) acc += rates[k] * factor * (std::min(t, end) - times[k]);
            }
            return acc;
        };
    };
    const auto m = expected(b, N, integral(1.0));
    std::size_t df = 0;
    for (double x : m) df += x > 0.0;
    const double chi2 = chi_square(b.counts, m);
    INFO("chi-square " << chi2 << " over " << df << " bins with a nonzero rate");
    CHECK(chi2 < bound(df));
    // No input before 20 ms, none between 250.05 and 400 ms (bins of mean 0 are checked empty).
    CHECK(b.counts[0] == 0.0);
    CHECK(chi_square(b.counts, scaled(m, 1.1)) > bound(df));
    // A generator that held the first rate from t = 0 (instead of 0 before the first time) is refused.
    auto held = m;
    for (std::size_t k = 0; k < held.size(); ++k)
        if (double(b.steps_done[k]) * dt <= 20.0 + 1e-9) held[k] = double(N) * 50.0 * 0.5 * 1e-3;
    CHECK(chi_square(b.counts, held) > bound(df));
}

TEST_CASE("per-neuron Poisson rates: each neuron's count follows its own rate", "[sim][devices]") {
    const std::size_t N = 400;
    const double T = 2000.0;
    std::vector<double> rates(N);
    for (std::size_t i = 0; i < N; ++i) rates[i] = 2.0 + 0.5 * double(i);  // 2 .. 201.5 Hz
    auto net = make_net(2);
    net->add_population<probe>("p", N);
    auto d = base("p");
    d.neuron_rates_hz = rates;
    net->add_poisson_input(d);
    net->run(T);
    const auto& pop = net->population_at(0);
    std::vector<double> counts(pop.state(probe::TOTAL), pop.state(probe::TOTAL) + N), m(N), flat(N);
    double mean_rate = 0.0;
    for (double r : rates) mean_rate += r / double(N);
    for (std::size_t i = 0; i < N; ++i) {
        m[i] = rates[i] * T * 1e-3;
        flat[i] = mean_rate * T * 1e-3;
    }
    const double chi2 = chi_square(counts, m);
    INFO("chi-square " << chi2 << " over " << N << " neurons");
    CHECK(chi2 < bound(N));
    CHECK(chi_square(counts, scaled(m, 1.1)) > bound(N));
    CHECK(chi_square(counts, flat) > bound(N));
}

TEST_CASE("per-neuron Poisson rates drawn from a distribution: compound mean and variance", "[sim][devices]") {
    // Rates drawn per target from U(a, b), counts over T: E[c] = T E[r], Var[c] = T E[r] + T^2 Var[r].
    const std::size_t N = 2000;
    const double T = 1000.0, a = 10.0, bb = 90.0;
    auto net = make_net(2);
    net->add_population<probe>("p", N);
    auto d = base("p");
    d.rate_distribution = distribution::uniform(a, bb);
    net->add_poisson_input(d);
    net->run(T);
    const auto& pop = net->population_at(0);
    double mean = 0.0, var = 0.0;
    for (std::size_t i = 0; i < N; ++i) mean += pop.state(probe::TOTAL)[i] / double(N);
    for (std::size_t i = 0; i < N; ++i) var += std::pow(pop.state(probe::TOTAL)[i] - mean, 2) / double(N - 1);
    const double Er = (a + bb) / 2.0, Vr = (bb - a) * (bb - a) / 12.0, t = T * 1e-3;
    const double expect_mean = t * Er, expect_var = t * Er + t * t * Vr;
    INFO("mean " << mean << " (" << expect_mean << "), variance " << var << " (" << expect_var << ")");
    CHECK(std::abs(mean - expect_mean) < 5.0 * std::sqrt(expect_var / double(N)));
    // The variance of a sample variance of a near-uniform compound: bounded generously by 3 Var^2.
    CHECK(std::abs(var - expect_var) < 5.0 * std::sqrt(3.0 * expect_var * expect_var / double(N)));
    // A constant rate (variance T E[r] only) would be far off.
    CHECK(var > 3.0 * t * Er);
}

TEST_CASE("time-varying and per-neuron Poisson input do not depend on the thread count", "[sim][devices]") {
    auto run = [](int threads) {
        auto net = make_net(threads, 11);
        net->add_population<probe>("p", 300);
        auto s = base("p");
        s.name = "sine";
        s.rate_hz = 500.0;
        s.amplitude_hz = 500.0;
        s.frequency_hz = 11.0;
        net->add_poisson_input(s);
        auto series = base("p");
        series.name = "series";
        series.neurons = {1, 5, 64, 65, 200, 299};
        series.rate_times_ms = {0.0, 30.0};
        series.rate_values_hz = {1000.0, 100.0};
        net->add_poisson_input(series);
        auto per = base("p");
        per.name = "per_neuron";
        per.rate_distribution = distribution::uniform(0.0, 300.0);
        net->add_poisson_input(per);
        auto shared = base("p");
        shared.name = "shared";
        shared.independent = false;
        shared.rate_times_ms = {0.0};
        shared.rate_values_hz = {50.0};
        net->add_poisson_input(shared);
        net->run(60.0);
        net->run(40.0);  // chained: the same as one run
        const auto& pop = net->population_at(0);
        return std::vector<double>(pop.state(probe::TOTAL), pop.state(probe::TOTAL) + 300);
    };
    const auto one = run(1);
    CHECK(one == run(2));
    CHECK(one == run(3));
}

TEST_CASE("Poisson rate shapes: impossible settings are refused naming the key", "[sim][devices]") {
    auto refused = [](const poisson_input_spec& d, const std::string& key, const std::string& piece) {
        auto net = make_net(1);
        net->add_population<probe>("p", 10);
        net->add_poisson_input(d);
        const auto problems = net->check();
        REQUIRE(problems.size() == 1);
        INFO(problems[0].what());
        CHECK(problems[0].parameter() == key);
        CHECK_THAT(std::string(problems[0].what()), Catch::Contains(piece));
    };
    auto d = base("p");
    d.rate_times_ms = {0.0, 10.0, 20.0};
    d.rate_values_hz = {5.0, -1.0, 3.0};
    refused(d, "rate_values", "rate 1 (from 10 ms) is -1 Hz");
    d.rate_values_hz = {5.0, 1.0};
    refused(d, "rate_values", "needs one rate per time");
    d.rate_values_hz = {5.0, 1.0, 3.0};
    d.rate_times_ms = {0.0, 10.0, 10.0};
    refused(d, "rate_times", "increase strictly");
    auto s = base("p");
    s.rate_hz = 10.0;
    s.amplitude_hz = 12.0;
    s.frequency_hz = 4.0;
    refused(s, "amplitude", "needs amplitude <= rate");
    auto p = base("p");
    p.neuron_rates_hz = {1, 2, 3};
    refused(p, "rate", "one rate per target neuron (10), got 3");
    p.neuron_rates_hz.clear();
    p.rate_distribution = distribution::normal(0.0, 5.0);
    refused(p, "rate", "rates must be finite and >= 0");
    p.rate_distribution = distribution::uniform(1.0, 2.0);
    p.independent = false;
    refused(p, "independent", "independent trains");
    auto both = base("p");
    both.rate_times_ms = {0.0};
    both.rate_values_hz = {1.0};
    both.rate_hz = 5.0;
    both.amplitude_hz = 1.0;
    refused(both, "rate_times", "one rate shape");
}

TEST_CASE("set_poisson_rate replaces a time-varying rate by a constant one", "[sim][devices]") {
    auto net = make_net(1);
    net->add_population<probe>("p", 200);
    auto d = base("p");
    d.rate_times_ms = {0.0};
    d.rate_values_hz = {0.0};
    const auto k = net->add_poisson_input(d);
    net->run(10.0);
    CHECK(net->population_at(0).state(probe::TOTAL)[0] == 0.0);
    net->set_poisson_rate(k, 1000.0);
    net->run(100.0);
    double sum = 0.0;
    for (std::size_t i = 0; i < 200; ++i) sum += net->population_at(0).state(probe::TOTAL)[i];
    CHECK(std::abs(sum - 200.0 * 100.0) < 5.0 * std::sqrt(200.0 * 100.0));
}
