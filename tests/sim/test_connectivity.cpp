// Connection rules, weight and delay distributions, and synapse storage, inspected through
// network::synapses(k) (a table sorted by source, then target).
#include "test_models.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <utility>

using namespace lamina::sim;
using lamina::sim::test::probe;
using table = network::synapse_table;

namespace {

struct one_projection {
    std::size_t ns = 10, nt = 10;
    bool same = false;  // source and target are one population "a"
    connection_rule rule = connection_rule::all_to_all();
    distribution weight = distribution::constant(1.0);
    distribution delay = distribution::constant(0.1);
    int threads = 1;
    std::uint64_t seed = 1;
};

std::unique_ptr<network> make(const one_projection& c) {
    run_config cfg;
    cfg.threads = c.threads;
    cfg.seed = c.seed;
    auto net = std::make_unique<network>(cfg);
    net->add_population<probe>("a", c.ns);
    if (!c.same) net->add_population<probe>("b", c.nt);
    projection_spec s;
    s.source = "a";
    s.target = c.same ? "a" : "b";
    s.rule = c.rule;
    s.weight = c.weight;
    s.delay_ms = c.delay;
    net->connect(s);
    net->build();
    return net;
}

table synapses_of(const one_projection& c) { return make(c)->synapses(0); }

bool sorted_by_source_target(const table& t) {
    for (std::size_t m = 1; m < t.source.size(); ++m) {
        if (t.source[m] < t.source[m - 1]) return false;
        if (t.source[m] == t.source[m - 1] && t.target[m] < t.target[m - 1]) return false;
    }
    return true;
}

std::vector<std::size_t> in_degrees(const table& t, std::size_t nt) {
    std::vector<std::size_t> d(nt, 0);
    for (auto j : t.target) ++d.at(j);
    return d;
}
std::vector<std::size_t> out_degrees(const table& t, std::size_t ns) {
    std::vector<std::size_t> d(ns, 0);
    for (auto i : t.source) ++d.at(i);
    return d;
}
std::size_t autapses(const table& t) {
    std::size_t n = 0;
    for (std::size_t m = 0; m < t.source.size(); ++m) n += t.source[m] == t.target[m];
    return n;
}
std::size_t duplicate_pairs(const table& t) {
    std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
    std::size_t dup = 0;
    for (std::size_t m = 0; m < t.source.size(); ++m) dup += !seen.insert({t.source[m], t.target[m]}).second;
    return dup;
}

bool same_table(const table& x, const table& y) {
    return x.source == y.source && x.target == y.target && x.weight == y.weight && x.delay_ms == y.delay_ms;
}

// Mean and variance of a distribution truncated to [lo, hi], by Simpson's rule on its density.
struct truncated_moments {
    double mean, var;
};
truncated_moments truncated(const distribution& d) {
    auto pdf = [&](double x) -> double {
        switch (d.type) {
        case distribution::kind::uniform: return (x >= d.a && x <= d.b) ? 1.0 : 0.0;
        case distribution::kind::normal: return std::exp(-0.5 * (x - d.a) * (x - d.a) / (d.b * d.b));
        case distribution::kind::lognormal:
            if (x <= 0.0) return 0.0;
            return std::exp(-0.5 * (std::log(x) - d.a) * (std::log(x) - d.a) / (d.b * d.b)) / x;
        default: return 0.0;
        }
    };
    const double lo = d.lower, hi = d.upper;
    const int n = 200000;  // even
    const double h = (hi - lo) / n;
    double z = 0, m1 = 0, m2 = 0;
    for (int k = 0; k <= n; ++k) {
        const double x = lo + h * k;
        const double w = (k == 0 || k == n) ? 1.0 : (k % 2 ? 4.0 : 2.0);
        const double p = pdf(x) * w;
        z += p;
        m1 += p * x;
        m2 += p * x * x;
    }
    const double mean = m1 / z;
    return {mean, m2 / z - mean * mean};
}

// Pearson chi-square of counts against equal expectation, and its 5-sigma acceptance bound
// (mean df, variance 2 df). var_factor: the counts' variance over their mean (1 - p for
// binomial counts, 1 for multinomial ones with many cells).
bool uniform_counts(const std::vector<std::size_t>& counts, double var_factor = 1.0) {
    double total = 0.0;
    for (auto c : counts) total += double(c);
    const double e = total / double(counts.size());
    double chi2 = 0.0;
    for (auto c : counts) chi2 += (double(c) - e) * (double(c) - e) / (e * var_factor);
    const double df = double(counts.size() - 1);
    UNSCOPED_INFO("chi-square " << chi2 << " with " << df << " degrees of freedom");
    return chi2 < df + 5.0 * std::sqrt(2.0 * df);
}

} // namespace

TEST_CASE("one_to_one connects i to i", "[sim][connectivity]") {
    one_projection c;
    c.ns = c.nt = 37;
    c.rule = connection_rule::one_to_one();
    const auto t = synapses_of(c);
    REQUIRE(t.source.size() == 37);
    for (std::uint32_t i = 0; i < 37; ++i) {
        CHECK(t.source[i] == i);
        CHECK(t.target[i] == i);
    }
}

TEST_CASE("all_to_all connects every pair once, without autapses when disallowed", "[sim][connectivity]") {
    SECTION("two populations") {
        one_projection c;
        c.ns = 13;
        c.nt = 17;
        c.rule = connection_rule::all_to_all();
        const auto t = synapses_of(c);
        REQUIRE(t.source.size() == 13 * 17);
        std::size_t m = 0;
        for (std::uint32_t i = 0; i < 13; ++i)
            for (std::uint32_t j = 0; j < 17; ++j, ++m) {
                CHECK(t.source[m] == i);
                CHECK(t.target[m] == j);
            }
    }
    SECTION("one population, autapses allowed") {
        one_projection c;
        c.ns = c.nt = 20;
        c.same = true;
        c.rule = connection_rule::all_to_all(true);
        const auto t = synapses_of(c);
        CHECK(t.source.size() == 400);
        CHECK(autapses(t) == 20);
        CHECK(duplicate_pairs(t) == 0);
    }
    SECTION("one population, no autapses") {
        one_projection c;
        c.ns = c.nt = 20;
        c.same = true;
        c.rule = connection_rule::all_to_all(false);
        const auto t = synapses_of(c);
        CHECK(t.source.size() == 20 * 19);
        CHECK(autapses(t) == 0);
        CHECK(duplicate_pairs(t) == 0);
        CHECK(sorted_by_source_target(t));
    }
}

TEST_CASE("pairwise_bernoulli draws each pair with probability p", "[sim][connectivity]") {
    SECTION("two populations") {
        one_projection c;
        c.ns = 300;
        c.nt = 200;
        c.rule = connection_rule::pairwise_bernoulli(0.1);
        c.threads = 2;
        const auto t = synapses_of(c);
        const double mean = 0.1 * 300 * 200, sd = std::sqrt(mean * 0.9);
        CHECK(std::abs(double(t.source.size()) - mean) < 5 * sd);
        CHECK(duplicate_pairs(t) == 0);
        CHECK(sorted_by_source_target(t));
        // Sources are spread uniformly: every out-degree is Binomial(200, 0.1), none empty-handed
        // all the way across, and the first and last halves of the sources get similar shares.
        std::size_t low = 0;
        for (auto i : t.source) low += i < 150;
        CHECK(std::abs(double(low) - double(t.source.size()) / 2) < 5 * std::sqrt(double(t.source.size()) / 4));
        std::size_t lowt = 0;
        for (auto j : t.target) lowt += j < 100;
        CHECK(std::abs(double(lowt) - double(t.target.size()) / 2) < 5 * std::sqrt(double(t.target.size()) / 4));
    }
    SECTION("one population with autapses") {
        one_projection c;
        c.ns = c.nt = 300;
        c.same = true;
        c.rule = connection_rule::pairwise_bernoulli(0.2, true);
        const auto t = synapses_of(c);
        const double mean = 0.2 * 300 * 300, sd = std::sqrt(mean * 0.8);
        CHECK(std::abs(double(t.source.size()) - mean) < 5 * sd);
        // 60 autapses expected (sd 6.9).
        CHECK(std::abs(double(autapses(t)) - 60.0) < 5 * std::sqrt(60.0 * 0.8));
        CHECK(duplicate_pairs(t) == 0);
    }
    SECTION("one population without autapses") {
        one_projection c;
        c.ns = c.nt = 300;
        c.same = true;
        c.rule = connection_rule::pairwise_bernoulli(0.2, false);
        const auto t = synapses_of(c);
        const double mean = 0.2 * 300 * 299, sd = std::sqrt(mean * 0.8);
        CHECK(std::abs(double(t.source.size()) - mean) < 5 * sd);
        CHECK(autapses(t) == 0);
        CHECK(duplicate_pairs(t) == 0);
    }
    SECTION("p = 0 and p = 1") {
        one_projection c;
        c.ns = 30;
        c.nt = 40;
        c.rule = connection_rule::pairwise_bernoulli(0.0);
        CHECK(synapses_of(c).source.empty());
        c.rule = connection_rule::pairwise_bernoulli(1.0);
        const auto t = synapses_of(c);
        CHECK(t.source.size() == 1200);
        CHECK(duplicate_pairs(t) == 0);
    }
}

TEST_CASE("fixed_indegree gives every target exactly k sources", "[sim][connectivity]") {
    SECTION("with multapses, two populations") {
        one_projection c;
        c.ns = 5;
        c.nt = 60;
        c.rule = connection_rule::fixed_indegree(12, true, true);
        const auto t = synapses_of(c);
        for (auto d : in_degrees(t, 60)) CHECK(d == 12);
        CHECK(sorted_by_source_target(t));
        // 12 draws from 5 sources must repeat.
        CHECK(duplicate_pairs(t) > 0);
    }
    SECTION("without multapses") {
        one_projection c;
        c.ns = 40;
        c.nt = 50;
        c.rule = connection_rule::fixed_indegree(25, true, false);
        c.threads = 2;
        const auto t = synapses_of(c);
        for (auto d : in_degrees(t, 50)) CHECK(d == 25);
        CHECK(duplicate_pairs(t) == 0);
        // Sources are chosen uniformly: each source's out-degree is about 50 * 25/40.
        std::size_t low = 0;
        for (auto i : t.source) low += i < 20;
        CHECK(std::abs(double(low) - 625.0) < 5 * std::sqrt(625.0 / 2));
    }
    SECTION("same population without autapses, with multapses") {
        one_projection c;
        c.ns = c.nt = 30;
        c.same = true;
        c.rule = connection_rule::fixed_indegree(40, false, true);
        const auto t = synapses_of(c);
        for (auto d : in_degrees(t, 30)) CHECK(d == 40);
        CHECK(autapses(t) == 0);
    }
    SECTION("same population without autapses nor multapses, k = N - 1 (the whole pool)") {
        one_projection c;
        c.ns = c.nt = 25;
        c.same = true;
        c.rule = connection_rule::fixed_indegree(24, false, false);
        const auto t = synapses_of(c);
        for (auto d : in_degrees(t, 25)) CHECK(d == 24);
        CHECK(autapses(t) == 0);
        CHECK(duplicate_pairs(t) == 0);
        CHECK(t.source.size() == 25 * 24);
    }
    SECTION("same population without autapses nor multapses, k < N - 1") {
        one_projection c;
        c.ns = c.nt = 100;
        c.same = true;
        c.rule = connection_rule::fixed_indegree(10, false, false);
        const auto t = synapses_of(c);
        for (auto d : in_degrees(t, 100)) CHECK(d == 10);
        CHECK(autapses(t) == 0);
        CHECK(duplicate_pairs(t) == 0);
        // The neuron just above each target is picked as often as any other (no off-by-one in
        // the autapse-skipping map): expected 100 * 10/99 pairs (j + 1, j).
        std::size_t next = 0, prev = 0;
        for (std::size_t m = 0; m < t.source.size(); ++m) {
            next += t.source[m] == (t.target[m] + 1) % 100;
            prev += t.source[m] == (t.target[m] + 99) % 100;
        }
        const double e = 1000.0 / 99.0;
        CHECK(std::abs(double(next) - e) < 5 * std::sqrt(e));
        CHECK(std::abs(double(prev) - e) < 5 * std::sqrt(e));
    }
}

TEST_CASE("fixed_outdegree gives every source exactly k targets", "[sim][connectivity]") {
    SECTION("with multapses") {
        one_projection c;
        c.ns = 50;
        c.nt = 6;
        c.rule = connection_rule::fixed_outdegree(9, true, true);
        c.threads = 2;
        const auto t = synapses_of(c);
        for (auto d : out_degrees(t, 50)) CHECK(d == 9);
        CHECK(duplicate_pairs(t) > 0);
        CHECK(sorted_by_source_target(t));
    }
    SECTION("without multapses") {
        one_projection c;
        c.ns = 60;
        c.nt = 40;
        c.rule = connection_rule::fixed_outdegree(30, true, false);
        c.threads = 4;
        const auto t = synapses_of(c);
        for (auto d : out_degrees(t, 60)) CHECK(d == 30);
        CHECK(duplicate_pairs(t) == 0);
        CHECK(sorted_by_source_target(t));
        std::size_t low = 0;
        for (auto j : t.target) low += j < 20;
        CHECK(std::abs(double(low) - 900.0) < 5 * std::sqrt(900.0 / 2));
    }
    SECTION("same population without autapses") {
        one_projection c;
        c.ns = c.nt = 40;
        c.same = true;
        c.rule = connection_rule::fixed_outdegree(39, false, false);
        const auto t = synapses_of(c);
        for (auto d : out_degrees(t, 40)) CHECK(d == 39);
        CHECK(autapses(t) == 0);
        CHECK(duplicate_pairs(t) == 0);
    }
    SECTION("same population without autapses, with multapses") {
        one_projection c;
        c.ns = c.nt = 10;
        c.same = true;
        c.rule = connection_rule::fixed_outdegree(50, false, true);
        const auto t = synapses_of(c);
        for (auto d : out_degrees(t, 10)) CHECK(d == 50);
        CHECK(autapses(t) == 0);
    }
}

TEST_CASE("random rules pick partners uniformly", "[sim][connectivity]") {
    // Few partners out of many candidates (10000 synapses over 100 candidates), so any bias in
    // the sampling shows in the per-candidate counts.
    SECTION("fixed_indegree without multapses: sources") {
        one_projection c;
        c.ns = 100;
        c.nt = 2000;
        c.rule = connection_rule::fixed_indegree(5, true, false);
        CHECK(uniform_counts(out_degrees(synapses_of(c), 100)));
    }
    SECTION("fixed_indegree with multapses: sources") {
        one_projection c;
        c.ns = 100;
        c.nt = 2000;
        c.rule = connection_rule::fixed_indegree(5, true, true);
        CHECK(uniform_counts(out_degrees(synapses_of(c), 100)));
    }
    SECTION("fixed_indegree without autapses nor multapses: sources") {
        one_projection c;
        c.ns = c.nt = 1000;
        c.same = true;
        c.rule = connection_rule::fixed_indegree(10, false, false);
        CHECK(uniform_counts(out_degrees(synapses_of(c), 1000)));
    }
    SECTION("fixed_outdegree without multapses: targets") {
        one_projection c;
        c.ns = 2000;
        c.nt = 100;
        c.rule = connection_rule::fixed_outdegree(5, true, false);
        CHECK(uniform_counts(in_degrees(synapses_of(c), 100)));
    }
    SECTION("fixed_outdegree without autapses, with multapses: targets") {
        one_projection c;
        c.ns = c.nt = 1000;
        c.same = true;
        c.rule = connection_rule::fixed_outdegree(10, false, true);
        CHECK(uniform_counts(in_degrees(synapses_of(c), 1000)));
    }
    SECTION("pairwise_bernoulli: sources and targets") {
        one_projection c;
        c.ns = 100;
        c.nt = 1000;
        c.rule = connection_rule::pairwise_bernoulli(0.1);
        const auto t = synapses_of(c);
        // Out-degrees are Binomial(1000, 0.1), in-degrees Binomial(100, 0.1).
        CHECK(uniform_counts(out_degrees(t, 100), 0.9));
        CHECK(uniform_counts(in_degrees(t, 1000), 0.9));
    }
}

TEST_CASE("explicit_list reproduces the listed synapses with their weights and delays", "[sim][connectivity]") {
    // Unsorted, with a multapse (2 -> 1 twice) whose listed order must be kept.
    std::vector<std::uint32_t> src{3, 0, 2, 2, 1, 0, 3};
    std::vector<std::uint32_t> tgt{0, 4, 1, 1, 2, 0, 3};
    std::vector<float> w{0.5f, -1.25f, 2.0f, 3.0f, 0.125f, 7.5f, -0.75f};
    std::vector<double> d{0.3, 1.0, 0.2, 0.5, 0.1, 2.0, 0.26};  // 0.26 ms rounds to 0.3 ms
    SECTION("listed weights and delays") for (int threads : {1, 2}) {
        INFO("threads " << threads);
        one_projection c;
        c.ns = 4;
        c.nt = 5;
        c.threads = threads;
        c.rule = connection_rule::explicit_list(src, tgt, w, d);
        const auto t = synapses_of(c);
        REQUIRE(t.source.size() == 7);
        // Expected canonical order: (0,0) (0,4) (1,2) (2,1)a (2,1)b (3,0) (3,3).
        const std::vector<std::uint32_t> es{0, 0, 1, 2, 2, 3, 3}, et{0, 4, 2, 1, 1, 0, 3};
        const std::vector<float> ew{7.5f, -1.25f, 0.125f, 2.0f, 3.0f, 0.5f, -0.75f};
        const std::vector<double> ed{2.0, 1.0, 0.1, 0.2, 0.5, 0.3, 0.3};
        CHECK(t.source == es);
        CHECK(t.target == et);
        CHECK(t.weight == ew);
        for (std::size_t m = 0; m < 7; ++m) CHECK(t.delay_ms[m] == Approx(ed[m]).margin(1e-12));
    }
    SECTION("without listed weights and delays the distributions apply") {
        one_projection c;
        c.ns = 4;
        c.nt = 5;
        c.rule = connection_rule::explicit_list(src, tgt);
        c.weight = distribution::constant(2.5);
        c.delay = distribution::constant(0.7);
        const auto t = synapses_of(c);
        REQUIRE(t.source.size() == 7);
        for (std::size_t m = 0; m < 7; ++m) {
            CHECK(t.weight[m] == 2.5f);
            CHECK(t.delay_ms[m] == Approx(0.7).margin(1e-12));
        }
        c.weight = distribution::uniform(1.0, 2.0);
        const auto u = synapses_of(c);
        std::set<float> distinct(u.weight.begin(), u.weight.end());
        CHECK(distinct.size() == 7);
        for (float x : u.weight) CHECK((x >= 1.0f && x <= 2.0f));
    }
}

TEST_CASE("bounded weight distributions stay within bounds with the truncated mean", "[sim][connectivity]") {
    // 200 x 200 all_to_all: 40000 weights.
    auto check = [](const distribution& d) {
        INFO(describe(d));
        one_projection c;
        c.ns = c.nt = 200;
        c.threads = 2;
        c.weight = d;
        const auto t = synapses_of(c);
        REQUIRE(t.weight.size() == 40000);
        double sum = 0.0;
        std::size_t at_lower = 0, at_upper = 0;
        for (float w : t.weight) {
            REQUIRE(double(w) >= float(d.lower));
            REQUIRE(double(w) <= float(d.upper));
            sum += w;
            at_lower += w == float(d.lower);
            at_upper += w == float(d.upper);
        }
        const double mean = sum / double(t.weight.size());
        const auto m = truncated(d);
        INFO("sample mean " << mean << ", truncated mean " << m.mean);
        CHECK(std::abs(mean - m.mean) < 5 * std::sqrt(m.var / double(t.weight.size())) + 1e-6);
        // Out-of-bounds draws are redrawn, not piled up at the bounds.
        CHECK(at_lower < 40);
        CHECK(at_upper < 40);
        // The sample variance also matches the truncated distribution (within 10 %).
        double ss = 0.0;
        for (float w : t.weight) ss += (w - mean) * (w - mean);
        CHECK(ss / double(t.weight.size() - 1) == Approx(m.var).epsilon(0.1));
    };
    check(distribution::normal(1.0, 0.5).bounded(0.5, 2.0));
    check(distribution::normal(-2.0, 1.0).bounded(-2.5, 0.0));
    check(distribution::uniform(-1.0, 3.0).bounded(0.0, 2.0));
    check(distribution::lognormal(0.0, 0.6).bounded(0.5, 2.0));
    check(distribution::lognormal(1.0, 0.3).bounded(0.0, 100.0));
}

TEST_CASE("delays are rounded to the grid", "[sim][connectivity]") {
    SECTION("constant delays") {
        one_projection c;
        c.ns = c.nt = 3;
        c.delay = distribution::constant(0.26);
        auto t = synapses_of(c);
        for (double d : t.delay_ms) CHECK(d == Approx(0.3).margin(1e-12));
        c.delay = distribution::constant(0.24);
        t = synapses_of(c);
        for (double d : t.delay_ms) CHECK(d == Approx(0.2).margin(1e-12));
    }
    SECTION("uniform delays round to the nearest step") {
        // uniform(0.1, 1.0) with dt 0.1: steps 2..9 have probability 1/9 each, steps 1 and 10
        // (the half-steps at both ends) 1/18. Truncating instead of rounding would leave step 10
        // empty.
        one_projection c;
        c.ns = c.nt = 200;
        c.delay = distribution::uniform(0.1, 1.0);
        c.threads = 2;
        const auto t = synapses_of(c);
        std::map<long, std::size_t> hist;
        for (double d : t.delay_ms) {
            const double k = d / 0.1;
            REQUIRE(std::abs(k - std::round(k)) < 1e-9);
            ++hist[std::lround(k)];
        }
        REQUIRE(hist.begin()->first >= 1);
        REQUIRE(hist.rbegin()->first <= 10);
        const double n = double(t.delay_ms.size());
        for (long k = 1; k <= 10; ++k) {
            const double p = (k == 1 || k == 10) ? 1.0 / 18.0 : 1.0 / 9.0;
            INFO("delay step " << k);
            CHECK(std::abs(double(hist[k]) - p * n) < 5 * std::sqrt(p * (1 - p) * n));
        }
    }
    SECTION("bounded normal delays stay within the bounds' grid range") {
        one_projection c;
        c.ns = c.nt = 100;
        c.delay = distribution::normal(1.0, 0.5).bounded(0.5, 1.5);
        const auto t = synapses_of(c);
        double lo = 1e9, hi = 0;
        for (double d : t.delay_ms) {
            REQUIRE(std::abs(d / 0.1 - std::round(d / 0.1)) < 1e-9);
            lo = std::min(lo, d);
            hi = std::max(hi, d);
        }
        CHECK(lo == Approx(0.5).margin(1e-9));
        CHECK(hi == Approx(1.5).margin(1e-9));
    }
}

TEST_CASE("synapse tables do not depend on the number of threads", "[sim][connectivity]") {
    auto build = [](int threads, std::uint64_t seed) {
        run_config cfg;
        cfg.threads = threads;
        cfg.seed = seed;
        auto net = std::make_unique<network>(cfg);
        net->add_population<probe>("e", 150);
        net->add_population<probe>("i", 70);
        auto add = [&](std::string s, std::string t, connection_rule r, distribution w, distribution d) {
            projection_spec p;
            p.source = std::move(s);
            p.target = std::move(t);
            p.rule = std::move(r);
            p.weight = w;
            p.delay_ms = d;
            net->connect(p);
        };
        add("e", "e", connection_rule::pairwise_bernoulli(0.1, false), distribution::normal(1.0, 0.3).bounded(0.0, 2.0),
            distribution::uniform(0.1, 2.0));
        add("e", "i", connection_rule::fixed_indegree(20, true, false), distribution::uniform(0.5, 1.5),
            distribution::constant(0.3));
        add("i", "e", connection_rule::fixed_outdegree(30, true, true), distribution::lognormal(0.0, 0.5).bounded(0.0, 5.0),
            distribution::normal(1.0, 0.2).bounded(0.5, 1.5));
        add("i", "i", connection_rule::all_to_all(false), distribution::normal(-1.0, 0.1), distribution::constant(0.1));
        add("e", "e", connection_rule::one_to_one(), distribution::uniform(0.0, 1.0), distribution::uniform(0.2, 0.9));
        add("e", "i", connection_rule::fixed_indegree(200, true, true), distribution::constant(0.5),
            distribution::uniform(0.1, 0.5));
        add("i", "e", connection_rule::explicit_list({1, 5, 5, 69, 0}, {149, 3, 100, 0, 16}),
            distribution::normal(0.0, 1.0), distribution::uniform(0.1, 3.0));
        net->build();
        std::vector<table> out;
        for (std::size_t k = 0; k < net->projections().size(); ++k) out.push_back(net->synapses(k));
        return out;
    };
    const auto t1 = build(1, 11);
    const auto t2 = build(2, 11);
    const auto t3 = build(3, 11);
    const auto t4 = build(4, 11);
    REQUIRE(t1.size() == 7);
    for (std::size_t k = 0; k < t1.size(); ++k) {
        INFO("projection " << k);
        CHECK(!t1[k].source.empty());
        CHECK(same_table(t1[k], t2[k]));
        CHECK(same_table(t1[k], t3[k]));
        CHECK(same_table(t1[k], t4[k]));
    }
    // The comparison can tell tables apart: another seed gives other random projections.
    const auto other = build(2, 12);
    for (std::size_t k : {0, 1, 2, 4, 5, 6}) {
        INFO("projection " << k);
        CHECK(!same_table(t1[k], other[k]));
    }
}

TEST_CASE("synapse storage: <= 8 bytes per synapse, about 4 when the weight is homogeneous", "[sim][connectivity]") {
    for (int threads : {1, 2}) {
        INFO("threads " << threads);
        auto bytes = [&](distribution w, distribution d, bool expect_homogeneous) {
            one_projection c;
            c.ns = c.nt = 300;
            c.threads = threads;
            c.weight = w;
            c.delay = d;
            auto net = make(c);
            const auto& st = net->statistics();
            CHECK(st.synapses == 90000u);
            CHECK(net->synapses(0).source.size() == 90000u);
            CHECK(net->projections()[0].homogeneous_weight == expect_homogeneous);
            const double row_offsets = 4.0 * double(c.ns + 1) * double(net->shard_count());
            CHECK(double(st.synapse_bytes) <= (expect_homogeneous ? 4.0 : 8.0) * 90000.0 + row_offsets);
            return st.bytes_per_synapse();
        };
        const double het = bytes(distribution::normal(1.0, 0.2), distribution::constant(0.1), false);
        CHECK(het <= 8.0 + 4.0 * 301 * threads / 90000.0);
        const double het_d = bytes(distribution::normal(1.0, 0.2), distribution::uniform(0.1, 2.0), false);
        CHECK(het_d <= 8.0 + 4.0 * 301 * threads / 90000.0);
        const double hom = bytes(distribution::constant(0.5), distribution::constant(0.1), true);
        CHECK(hom >= 4.0);
        CHECK(hom <= 4.0 + 4.0 * 301 * threads / 90000.0);
        const double hom_d = bytes(distribution::constant(0.5), distribution::uniform(0.1, 2.0), true);
        CHECK(hom_d <= 4.0 + 4.0 * 301 * threads / 90000.0);
    }
}

TEST_CASE("build statistics report the smallest and largest delay in steps", "[sim][connectivity]") {
    auto check = [](std::vector<distribution> delays, std::int64_t lo, std::int64_t hi) {
        auto net = std::make_unique<network>(run_config{});
        net->add_population<probe>("a", 5);
        for (const auto& d : delays) {
            projection_spec p;
            p.source = p.target = "a";
            p.rule = connection_rule::one_to_one();
            p.delay_ms = d;
            net->connect(p);
        }
        net->build();
        CHECK(net->statistics().min_delay_steps == lo);
        CHECK(net->statistics().max_delay_steps == hi);
    };
    check({distribution::constant(0.2), distribution::constant(0.5)}, 2, 5);
    check({distribution::uniform(0.3, 1.2)}, 3, 12);
    // Delays beyond the longest min-delay window (64 steps) are still reported as they are.
    check({distribution::constant(7.0), distribution::constant(12.9)}, 70, 129);
    check({}, 0, 0);
}
