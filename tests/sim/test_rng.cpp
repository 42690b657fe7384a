// Counter-based random streams: purity, independence and the distributions of their draws.
#include "lamina/sim/rng.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

using namespace lamina::sim;

namespace {

std::vector<std::uint32_t> words(random_stream s, std::size_t n) {
    std::vector<std::uint32_t> out(n);
    for (auto& w : out) w = s.next_u32();
    return out;
}

struct moments {
    double mean = 0.0, var = 0.0;
};
template <class F>
moments sample_moments(std::size_t n, F&& draw) {
    // Welford, so the variance is accurate.
    double mean = 0.0, m2 = 0.0;
    for (std::size_t k = 1; k <= n; ++k) {
        const double x = draw();
        const double d = x - mean;
        mean += d / double(k);
        m2 += d * (x - mean);
    }
    return {mean, m2 / double(n - 1)};
}

} // namespace

TEST_CASE("random streams are pure functions of (seed, purpose, object, index)", "[sim][rng]") {
    const auto a = words(random_stream(42, stream_purpose::connectivity, 3, 17), 64);
    // Creating and draining other streams in between changes nothing: no hidden shared state.
    random_stream other(42, stream_purpose::connectivity, 3, 18);
    for (int k = 0; k < 1000; ++k) other.next_u32();
    const auto b = words(random_stream(42, stream_purpose::connectivity, 3, 17), 64);
    CHECK(a == b);

    // A stream drawn in pieces gives the same sequence as one drawn at once.
    random_stream pieces(42, stream_purpose::connectivity, 3, 17);
    std::vector<std::uint32_t> c;
    for (int k = 0; k < 64; ++k) c.push_back(pieces.next_u32());
    CHECK(a == c);

    // Every component of the key changes the sequence.
    CHECK(words(random_stream(43, stream_purpose::connectivity, 3, 17), 64) != a);
    CHECK(words(random_stream(42ull | (1ull << 40), stream_purpose::connectivity, 3, 17), 64) != a);  // seed high word
    CHECK(words(random_stream(42, stream_purpose::synapse_weight, 3, 17), 64) != a);
    CHECK(words(random_stream(42, stream_purpose::connectivity, 4, 17), 64) != a);
    CHECK(words(random_stream(42, stream_purpose::connectivity, 3, 16), 64) != a);
    CHECK(words(random_stream(42, stream_purpose::connectivity, 3, 17ull | (1ull << 33)), 64) != a);  // index high word
    CHECK(words(random_stream(42, stream_purpose::connectivity, 3, 17, 1), 64) != a);  // sub-stream

    // Streams of neighbouring objects or indices share no words at the same positions.
    const auto d = words(random_stream(42, stream_purpose::connectivity, 4, 17), 64);
    int equal = 0;
    for (std::size_t k = 0; k < 64; ++k) equal += a[k] == d[k];
    CHECK(equal <= 1);
}

TEST_CASE("philox_block is a pure function of (seed, purpose, object, index, step)", "[sim][rng]") {
    const auto x = philox_block(7, stream_purpose::device, 2, 5, 1000);
    const auto y = philox_block(7, stream_purpose::device, 2, 5, 1000);
    CHECK(x == y);
    CHECK(philox_block(8, stream_purpose::device, 2, 5, 1000) != x);
    CHECK(philox_block(7, stream_purpose::device, 3, 5, 1000) != x);
    CHECK(philox_block(7, stream_purpose::device, 2, 6, 1000) != x);
    CHECK(philox_block(7, stream_purpose::device, 2, 5, 1001) != x);
    CHECK(philox_block(7, stream_purpose::device, 2, 5, 1000 + (1ull << 32)) != x);
    CHECK(philox_block(7, stream_purpose::user, 2, 5, 1000) != x);
    // u32_to_unit maps words into the open interval.
    CHECK(u32_to_unit(0u) > 0.0);
    CHECK(u32_to_unit(0xFFFFFFFFu) < 1.0);
}

TEST_CASE("uniform() lies in (0, 1) with mean 1/2 and variance 1/12", "[sim][rng]") {
    random_stream s(1234, stream_purpose::user, 0, 0);
    const std::size_t n = 1'000'000;
    double lo = 1.0, hi = 0.0;
    const auto m = sample_moments(n, [&] {
        const double u = s.uniform();
        lo = std::min(lo, u);
        hi = std::max(hi, u);
        return u;
    });
    CHECK(lo > 0.0);
    CHECK(hi < 1.0);
    // Five standard errors: sd of the mean sqrt(1/12/n); of the variance sqrt((1/80 - 1/144)/n).
    CHECK(std::abs(m.mean - 0.5) < 5.0 * std::sqrt(1.0 / 12.0 / double(n)));
    CHECK(std::abs(m.var - 1.0 / 12.0) < 5.0 * std::sqrt((1.0 / 80.0 - 1.0 / 144.0) / double(n)));

    // uniform(lo, hi) is the affine map.
    random_stream s1(5, stream_purpose::user, 1, 2), s2(5, stream_purpose::user, 1, 2);
    for (int k = 0; k < 100; ++k) {
        const double u = s1.uniform();
        CHECK(s2.uniform(-3.0, 5.0) == Approx(-3.0 + 8.0 * u).margin(1e-15));
    }
}

TEST_CASE("normal() has mean 0 and standard deviation 1, for both values of a Box-Muller pair", "[sim][rng]") {
    random_stream s(99, stream_purpose::user, 7, 0);
    const std::size_t n = 400'000;
    std::vector<double> first, second;
    first.reserve(n);
    second.reserve(n);
    for (std::size_t k = 0; k < n; ++k) {
        first.push_back(s.normal());
        second.push_back(s.normal());
    }
    auto check = [&](const std::vector<double>& x) {
        std::size_t i = 0;
        const auto m = sample_moments(x.size(), [&] { return x[i++]; });
        CHECK(std::abs(m.mean) < 5.0 / std::sqrt(double(n)));
        CHECK(std::abs(m.var - 1.0) < 5.0 * std::sqrt(2.0 / double(n)));
        // Tails: P(|X| > 2) = 0.0455003.
        std::size_t tail = 0;
        for (double v : x) tail += std::abs(v) > 2.0;
        const double p = 0.0455003;
        CHECK(std::abs(double(tail) - p * double(n)) < 5.0 * std::sqrt(p * (1 - p) * double(n)));
    };
    check(first);
    check(second);
    // The two values of a pair are uncorrelated.
    double c = 0.0;
    for (std::size_t k = 0; k < n; ++k) c += first[k] * second[k];
    CHECK(std::abs(c / double(n)) < 5.0 / std::sqrt(double(n)));
}

TEST_CASE("below(n) covers 0 to n-1 without bias", "[sim][rng]") {
    SECTION("small n: chi-square over the values") {
        const std::uint64_t n = 7;
        const std::size_t draws = 700'000;
        random_stream s(2024, stream_purpose::user, 1, 1);
        std::array<std::size_t, 7> count{};
        for (std::size_t k = 0; k < draws; ++k) {
            const auto v = s.below(n);
            REQUIRE(v < n);
            ++count[v];
        }
        double chi2 = 0.0;
        const double e = double(draws) / double(n);
        for (auto c : count) chi2 += (double(c) - e) * (double(c) - e) / e;
        // 6 degrees of freedom: P(chi2 > 40) < 1e-6.
        CHECK(chi2 < 40.0);
        for (auto c : count) CHECK(c > 0);
    }
    SECTION("n = 1 always gives 0") {
        random_stream s(1, stream_purpose::user, 0, 0);
        for (int k = 0; k < 100; ++k) CHECK(s.below(1) == 0u);
    }
    SECTION("n close to 2^32: no modulo bias (thirds of the range are equally likely)") {
        // With n = 3 * 2^30 a plain `word % n` would put half of all draws into the first third.
        const std::uint64_t n = 3ull << 30;
        const std::size_t draws = 300'000;
        random_stream s(77, stream_purpose::user, 2, 3);
        std::array<std::size_t, 3> third{};
        for (std::size_t k = 0; k < draws; ++k) {
            const auto v = s.below(n);
            REQUIRE(v < n);
            ++third[v / (1ull << 30)];
        }
        double chi2 = 0.0;
        const double e = double(draws) / 3.0;
        for (auto c : third) chi2 += (double(c) - e) * (double(c) - e) / e;
        CHECK(chi2 < 30.0);  // 2 degrees of freedom: P(chi2 > 30) ~ 3e-7
    }
    SECTION("n above 2^32: thirds of the range are equally likely") {
        const std::uint64_t n = 3ull << 40;
        const std::size_t draws = 300'000;
        random_stream s(78, stream_purpose::user, 2, 3);
        std::array<std::size_t, 3> third{};
        for (std::size_t k = 0; k < draws; ++k) {
            const auto v = s.below(n);
            REQUIRE(v < n);
            ++third[v / (1ull << 40)];
        }
        double chi2 = 0.0;
        const double e = double(draws) / 3.0;
        for (auto c : third) chi2 += (double(c) - e) * (double(c) - e) / e;
        CHECK(chi2 < 30.0);
    }
}
