// Connection rule fixed_total_number and the exact binomial/hypergeometric draws it splits its
// total with. Statistical checks use fixed seeds; their acceptance bounds are 5 standard
// deviations of the statistic under the hypothesis (so a correct implementation fails about once
// in 3 million seeds, and the deviations they guard against are tens of sigmas).
#include "test_models.hpp"

#include "lamina/sim/discrete_sampling.hpp"
#include "lamina/sim/fixed_total_number.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <vector>

using namespace lamina::sim;
using lamina::sim::test::probe;

namespace {

double log_choose(double n, double k) { return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1); }

// Pearson chi-square of observed counts against expected ones, cells with an expectation below 5
// pooled into their neighbour; true if below df + 5 sqrt(2 df).
bool fits(const std::vector<double>& observed, const std::vector<double>& expected) {
    double chi2 = 0.0, o = 0.0, e = 0.0;
    int cells = 0;
    for (std::size_t k = 0; k < observed.size(); ++k) {
        o += observed[k];
        e += expected[k];
        if (e >= 5.0) {
            chi2 += (o - e) * (o - e) / e;
            ++cells;
            o = e = 0.0;
        }
    }
    if (e > 0.0) chi2 += (o - e) * (o - e) / std::max(e, 1e-300), ++cells;
    const double df = cells - 1;
    UNSCOPED_INFO("chi-square " << chi2 << " with " << df << " degrees of freedom");
    return chi2 < df + 5.0 * std::sqrt(2.0 * df);
}

struct moments {
    double mean = 0, var = 0;
};
template <class Draw>
moments sample_moments(int n, Draw&& draw) {
    double s = 0, s2 = 0;
    for (int i = 0; i < n; ++i) {
        const double x = double(draw());
        s += x;
        s2 += x * x;
    }
    const double m = s / n;
    return {m, (s2 - n * m * m) / (n - 1)};
}

// Sample mean within 5 standard errors of `mean`, sample variance within 5 of its standard errors
// (sd of a sample variance ~ var sqrt(2 / n) for near-normal data).
void check_moments(const moments& got, double mean, double var, int n) {
    INFO("mean " << got.mean << " (expected " << mean << "), variance " << got.var << " (expected " << var << ")");
    CHECK(std::fabs(got.mean - mean) < 5.0 * std::sqrt(var / n));
    CHECK(std::fabs(got.var - var) < 5.0 * var * std::sqrt(2.0 / n));
}

std::unique_ptr<network> build_one(std::size_t ns, std::size_t nt, bool same, connection_rule rule, int threads,
                                   std::uint64_t seed = 7) {
    run_config cfg;
    cfg.threads = threads;
    cfg.seed = seed;
    auto net = std::make_unique<network>(cfg);
    net->add_population<probe>("a", ns);
    if (!same) net->add_population<probe>("b", nt);
    projection_spec s;
    s.source = "a";
    s.target = same ? "a" : "b";
    s.rule = rule;
    s.weight = distribution::normal(1.0, 0.2);
    s.delay_ms = distribution::uniform(0.1, 2.0);
    net->connect(s);
    net->build();
    return net;
}

std::vector<double> degree_counts(const std::vector<std::uint32_t>& ends, std::size_t n) {
    std::vector<double> d(n, 0.0);
    for (auto x : ends) d.at(x) += 1.0;
    return d;
}

// Chi-square of degrees against equal cells: a multinomial's Pearson statistic has mean n - 1 and
// variance 2 (n - 1) (to O(1/N)); `var_factor` scales it for hypergeometric counts.
bool equal_cells(const std::vector<double>& d, double var_factor = 1.0) {
    double total = 0;
    for (double x : d) total += x;
    const double e = total / double(d.size());
    double chi2 = 0;
    for (double x : d) chi2 += (x - e) * (x - e) / (e * var_factor);
    const double df = double(d.size() - 1);
    UNSCOPED_INFO("chi-square " << chi2 << " with " << df << " degrees of freedom");
    return std::fabs(chi2 - df) < 5.0 * std::sqrt(2.0 * df);
}

std::size_t duplicate_pairs(const network::synapse_table& t) {
    std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
    std::size_t dup = 0;
    for (std::size_t m = 0; m < t.source.size(); ++m) dup += !seen.insert({t.source[m], t.target[m]}).second;
    return dup;
}

} // namespace

TEST_CASE("binomial draws follow the binomial pmf for small means and its moments for n = 1e8",
          "[sim][fixed_total_number]") {
    random_stream rng(11, stream_purpose::user, 0, 0);
    for (auto [n, p] : {std::pair<std::uint64_t, double>{20, 0.3}, {1000000, 2e-6}, {7, 0.95}, {400, 0.5}}) {
        const int draws = 200000;
        const std::uint64_t kmax = std::min<std::uint64_t>(n, 2000);
        std::vector<double> obs(kmax + 1, 0.0), exp(kmax + 1, 0.0);
        for (int i = 0; i < draws; ++i) {
            const auto k = draw_binomial(rng, n, p);
            REQUIRE(k <= n);
            obs[std::min(k, kmax)] += 1.0;
        }
        for (std::uint64_t k = 0; k <= kmax; ++k)
            exp[k] = draws * std::exp(log_choose(double(n), double(k)) + k * std::log(p) + (n - k) * std::log1p(-p));
        INFO("Binomial(" << n << ", " << p << ")");
        CHECK(fits(obs, exp));
    }
    const std::uint64_t n = 100000000;
    const double p = 0.37;
    check_moments(sample_moments(20000, [&] { return draw_binomial(rng, n, p); }), n * p, n * p * (1 - p), 20000);
    CHECK(draw_binomial(rng, 0, 0.5) == 0);
    CHECK(draw_binomial(rng, 9, 0.0) == 0);
    CHECK(draw_binomial(rng, 9, 1.0) == 9);
}

TEST_CASE("hypergeometric draws follow the hypergeometric pmf and its moments for 1e8 items",
          "[sim][fixed_total_number]") {
    random_stream rng(12, stream_purpose::user, 0, 0);
    struct hg {
        std::uint64_t draws, good, bad;
    };
    for (auto c : {hg{15, 20, 30}, hg{48, 20, 30}, hg{5, 1000, 3}, hg{300, 600, 600}}) {
        const int draws = 200000;
        std::vector<double> obs(c.good + 1, 0.0), exp(c.good + 1, 0.0);
        for (int i = 0; i < draws; ++i) {
            const auto k = draw_hypergeometric(rng, c.draws, c.good, c.bad);
            REQUIRE(k <= std::min(c.draws, c.good));
            REQUIRE(c.draws - k <= c.bad);
            obs[k] += 1.0;
        }
        for (std::uint64_t k = 0; k <= c.good; ++k)
            if (k <= c.draws && c.draws - k <= c.bad)
                exp[k] = draws * std::exp(log_choose(c.good, k) + log_choose(c.bad, c.draws - k) -
                                          log_choose(c.good + c.bad, c.draws));
        INFO("Hypergeometric(" << c.draws << "; " << c.good << ", " << c.bad << ")");
        CHECK(fits(obs, exp));
    }
    const double d = 3e7, g = 5e7, b = 4e7, t = g + b;
    check_moments(sample_moments(20000, [&] { return draw_hypergeometric(rng, 30000000, 50000000, 40000000); }),
                  d * g / t, d * (g / t) * (b / t) * (t - d) / (t - 1), 20000);
    CHECK(draw_hypergeometric(rng, 10, 0, 5) == 0);
    CHECK(draw_hypergeometric(rng, 10, 5, 0) == 10);
    CHECK(draw_hypergeometric(rng, 12, 7, 5) == 7);
}

TEST_CASE("fixed_total_number places exactly N synapses with multinomial in- and out-degrees",
          "[sim][fixed_total_number]") {
    const std::size_t ns = 200, nt = 300, N = 60000;
    const auto net = build_one(ns, nt, false, connection_rule::fixed_total_number(N), 1);
    const auto t = net->synapses(0);
    REQUIRE(t.source.size() == N);
    CHECK(net->statistics().synapses == N);
    // With N iid uniform pairs the in-degrees are multinomial over nt equal cells, the out-degrees
    // over ns equal cells.
    CHECK(equal_cells(degree_counts(t.target, nt)));
    CHECK(equal_cells(degree_counts(t.source, ns)));
    // Multapses happen as for iid pairs: the number of distinct pairs has mean P (1 - (1 - 1/P)^N)
    // over P pairs; its variance is below the mean's binomial bound P q (1 - q), q = (1-1/P)^N.
    const double P = double(ns * nt), q = std::pow(1.0 - 1.0 / P, double(N));
    const double distinct = double(N - duplicate_pairs(t));
    INFO("distinct pairs " << distinct << ", expected " << P * (1 - q));
    CHECK(std::fabs(distinct - P * (1 - q)) < 5.0 * std::sqrt(P * q * (1 - q)));
}

TEST_CASE("fixed_total_number does not depend on the thread count and changes with the seed",
          "[sim][fixed_total_number]") {
    for (bool multapses : {true, false}) {
        const auto rule = connection_rule::fixed_total_number(5000, false, multapses);
        const auto one = build_one(333, 333, true, rule, 1)->synapses(0);
        for (int threads : {2, 3, 4}) {
            const auto other = build_one(333, 333, true, rule, threads)->synapses(0);
            CHECK(one.source == other.source);
            CHECK(one.target == other.target);
            CHECK(one.weight == other.weight);
            CHECK(one.delay_ms == other.delay_ms);
        }
        CHECK(build_one(333, 333, true, rule, 1, 8)->synapses(0).target != one.target);
    }
}

TEST_CASE("fixed_total_number drawn per target block agrees with the whole-range draw",
          "[sim][fixed_total_number]") {
    // What a shard or an MPI rank computes for its own targets equals the slice of the full draw.
    const std::uint64_t nt = 1001, total = 123457;
    for (bool multapses : {true, false}) {
        std::vector<std::uint32_t> all(nt);
        fixed_total_number_indegrees(5, 3, total, nt, 500, multapses, 0, nt, all.data());
        std::uint64_t sum = 0;
        for (auto k : all) sum += k;
        CHECK(sum == total);
        for (auto [b, e] : {std::pair<std::uint64_t, std::uint64_t>{0, 1}, {17, 400}, {500, 1001}, {999, 1001}}) {
            std::vector<std::uint32_t> part(e - b);
            fixed_total_number_indegrees(5, 3, total, nt, 500, multapses, b, e, part.data());
            CHECK(std::equal(part.begin(), part.end(), all.begin() + b));
        }
    }
}

TEST_CASE("fixed_total_number without multapses draws distinct pairs with hypergeometric in-degrees",
          "[sim][fixed_total_number]") {
    // 550 of the 600 pairs: in-degrees have the hypergeometric variance
    // N (1/nt)(1 - 1/nt)(P - N)/(P - 1) = 1.48, twelve times below the binomial 17.7.
    const std::size_t ns = 20, nt = 30, N = 550;
    const double P = double(ns * nt), mean = double(N) / nt;
    const double var = N * (1.0 / nt) * (1.0 - 1.0 / nt) * (P - N) / (P - 1);
    double s = 0, s2 = 0;
    int samples = 0;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        const auto t = build_one(ns, nt, false, connection_rule::fixed_total_number(N, true, false), 2, seed)->synapses(0);
        REQUIRE(t.source.size() == N);
        CHECK(duplicate_pairs(t) == 0);
        for (double k : degree_counts(t.target, nt)) {
            s += k;
            s2 += k * k;
            ++samples;
        }
    }
    // The 30 in-degrees of one seed sum to N exactly, so their squared deviations from N/nt sum to
    // nt var in expectation over nt - 1 degrees of freedom: the pooled variance below estimates
    // var nt / (nt - 1), with a relative sd of about sqrt(2 / (20 * 29)) = 6 %.
    const double pooled = (s2 - samples * mean * mean) / (samples - 20);
    const double expected = var * nt / (nt - 1);
    INFO("pooled in-degree variance " << pooled << ", hypergeometric " << expected);
    CHECK(std::fabs(pooled - expected) < 5.0 * expected * std::sqrt(2.0 / (20 * 29)));
    // All pairs: every pair exactly once.
    const auto full = build_one(ns, nt, false, connection_rule::fixed_total_number(600, true, false), 1)->synapses(0);
    CHECK(full.source.size() == 600);
    CHECK(duplicate_pairs(full) == 0);
}

TEST_CASE("fixed_total_number without autapses never connects a neuron to itself", "[sim][fixed_total_number]") {
    for (bool multapses : {true, false}) {
        const std::size_t n = 40;
        const std::size_t N = multapses ? 5000 : n * (n - 1);
        const auto t = build_one(n, n, true, connection_rule::fixed_total_number(N, false, multapses), 2)->synapses(0);
        REQUIRE(t.source.size() == N);
        std::size_t self = 0;
        for (std::size_t m = 0; m < N; ++m) self += t.source[m] == t.target[m];
        CHECK(self == 0);
        if (!multapses) CHECK(duplicate_pairs(t) == 0);
        const auto in = degree_counts(t.target, n);
        if (multapses)
            CHECK(equal_cells(in));
        else
            CHECK(std::all_of(in.begin(), in.end(), [&](double k) { return k == double(n - 1); }));
    }
    // With autapses allowed, self-pairs occur at the uniform rate 1/n.
    const auto t = build_one(100, 100, true, connection_rule::fixed_total_number(100000), 1)->synapses(0);
    double self = 0;
    for (std::size_t m = 0; m < t.source.size(); ++m) self += t.source[m] == t.target[m];
    CHECK(std::fabs(self - 1000.0) < 5.0 * std::sqrt(1000.0));
}

TEST_CASE("fixed_total_number refuses totals beyond the available pairs without multapses",
          "[sim][fixed_total_number][validation]") {
    auto refused = [](std::size_t ns, std::size_t nt, bool same, connection_rule r) {
        try {
            build_one(ns, nt, same, r, 1);
        } catch (const parameter_error& e) {
            INFO(e.what());
            CHECK(std::string(e.what()).find("total") != std::string::npos);
            return true;
        }
        return false;
    };
    CHECK(refused(20, 10, false, connection_rule::fixed_total_number(201, true, false)));
    CHECK_FALSE(refused(20, 10, false, connection_rule::fixed_total_number(200, true, false)));
    CHECK_FALSE(refused(20, 10, false, connection_rule::fixed_total_number(201, true, true)));
    CHECK(refused(10, 10, true, connection_rule::fixed_total_number(91, false, false)));
    CHECK_FALSE(refused(10, 10, true, connection_rule::fixed_total_number(90, false, false)));
    CHECK(refused(1, 1, true, connection_rule::fixed_total_number(1, false, true)));
    CHECK_FALSE(refused(1, 1, true, connection_rule::fixed_total_number(0, false, true)));
    CHECK(build_one(5, 5, false, connection_rule::fixed_total_number(0), 2)->synapses(0).source.empty());
}
