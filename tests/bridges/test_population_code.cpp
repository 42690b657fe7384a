// Population codes: exactly k active per pool, code size and sparsity independent of the
// embedding dimensionality, fixed seeded choices, spike-train and current outputs, the decoder,
// and a sensory population of lif_psc_delta neurons driven through the engine.
#include "lamina/bridges/population_code.hpp"
#include "lamina/bridges/retention.hpp"
#include "lamina/bridges/sensory.hpp"
#include "lamina/sim/error.hpp"
#include "lamina/sim/network.hpp"
#include "lamina/sim/rng.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>

using namespace lamina::bridges;
using lamina::sim::random_stream;
using lamina::sim::stream_purpose;

namespace {

Eigen::MatrixXd gaussian_rows(std::size_t n, std::size_t d, std::uint64_t seed) {
    Eigen::MatrixXd m(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d));
    for (std::size_t i = 0; i < n; ++i) {
        random_stream r(seed, stream_purpose::user, 99, i);
        for (std::size_t j = 0; j < d; ++j) m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = r.normal();
    }
    return m;
}

// Active neurons of a population_activity in [begin, end).
std::size_t active_in(const population_activity& a, std::size_t begin, std::size_t end) {
    return static_cast<std::size_t>(
        std::count_if(a.neurons.begin(), a.neurons.end(), [&](std::uint32_t n) { return n >= begin && n < end; }));
}

zscore_topk_options zopt(std::size_t groups, std::size_t group_size, std::size_t k) {
    zscore_topk_options o;
    o.groups = groups;
    o.group_size = group_size;
    o.k = k;
    return o;
}

bool strictly_ascending(const std::vector<std::uint32_t>& v) { return std::adjacent_find(v.begin(), v.end(), std::greater_equal<>()) == v.end(); }

} // namespace

TEST_CASE("z-score top-k code: exactly k groups per pool at every dimensionality", "[bridges][code]") {
    zscore_topk_options o;
    o.groups = 64;
    o.group_size = 3;
    o.k = 8;
    for (std::size_t D : {16, 50, 64, 100, 300, 768, 1536}) {
        const zscore_topk_code code(D, o);
        CHECK(code.population_size() == 2 * 64 * 3);
        CHECK(code.active_neurons() == 2 * 8 * 3);
        const Eigen::MatrixXd X = gaussian_rows(20, D, D);
        for (Eigen::Index i = 0; i < X.rows(); ++i) {
            const Eigen::VectorXd x = X.row(i).transpose();
            const auto a = code.encode(x);
            REQUIRE(a.size == code.population_size());
            CHECK(strictly_ascending(a.neurons));
            CHECK(active_in(a, 0, 192) == 24);    // positive pool
            CHECK(active_in(a, 192, 384) == 24);  // negative pool
            // Whole groups: every active group has all its 3 neurons.
            std::set<std::uint32_t> groups;
            for (auto n : a.neurons) groups.insert(n / 3);
            CHECK(groups.size() == 16);
            for (double v : a.intensity) CHECK(v == 1.0);
            // The largest z is in the positive pool, the smallest in the negative one.
            Eigen::Index dmax, dmin;
            x.maxCoeff(&dmax);
            x.minCoeff(&dmin);
            const auto g = code.assignment();
            CHECK(std::binary_search(a.neurons.begin(), a.neurons.end(), g[static_cast<std::size_t>(dmax)] * 3));
            CHECK(std::binary_search(a.neurons.begin(), a.neurons.end(), (64 + g[static_cast<std::size_t>(dmin)]) * 3));
        }
    }
}

TEST_CASE("z-score top-k code: the seeded assignment is balanced and fixed by the seed", "[bridges][code]") {
    zscore_topk_options o;
    o.groups = 64;
    o.k = 4;
    // D <= groups: injective; D > groups: at most ceil(D / groups) dimensions per group.
    for (std::size_t D : {40, 64, 100, 1536}) {
        const zscore_topk_code code(D, o);
        std::vector<int> per_group(64);
        for (auto g : code.assignment()) ++per_group[g];
        const int most = *std::max_element(per_group.begin(), per_group.end());
        CHECK(most == static_cast<int>((D + 63) / 64));
    }
    const zscore_topk_code a(100, o), b(100, o);
    CHECK(a.assignment() == b.assignment());
    o.seed = 2;
    const zscore_topk_code c(100, o);
    CHECK(a.assignment() != c.assignment());
}

TEST_CASE("z-score top-k code: standardisation, graded intensity and refusals", "[bridges][code]") {
    zscore_topk_options o;
    o.groups = 8;
    o.group_size = 1;
    o.k = 2;
    o.negative_pool = false;
    o.intensity = intensity_mode::graded;
    const zscore_topk_code code(8, o);
    const std::vector<double> x{1, 2, 3, 4, 5, 6, 7, 8};
    const auto z = code.standardise(x);
    CHECK(z[0] == Approx(-3.5 / std::sqrt(5.25)));
    CHECK(z[7] == Approx(3.5 / std::sqrt(5.25)));
    const auto a = code.encode(std::span<const double>(x));
    REQUIRE(a.active() == 2);
    // Dimensions 7 and 6 (z = 1.528, 1.091): intensities 1 and 2.5/3.5.
    const auto g = code.assignment();
    std::vector<double> by_group(8, 0.0);
    for (std::size_t k = 0; k < a.active(); ++k) by_group[a.neurons[k]] = a.intensity[k];
    CHECK(by_group[g[7]] == Approx(1.0));
    CHECK(by_group[g[6]] == Approx(2.5 / 3.5));

    // Corpus statistics change which dimensions win: dimension 0 has a tiny corpus spread.
    zscore_topk_options oc = o;
    oc.corpus = dimension_statistics{std::vector<double>(8, 0.0), {0.01, 1, 1, 1, 1, 1, 1, 1}};
    const zscore_topk_code cc(8, oc);
    const auto ac = cc.encode(std::span<const double>(x));
    CHECK(std::find(ac.neurons.begin(), ac.neurons.end(), cc.assignment()[0]) != ac.neurons.end());

    CHECK_THROWS_AS(zscore_topk_code(8, zopt(8, 1, 5)), lamina::sim::parameter_error);  // 2k > D
    CHECK_THROWS_AS(zscore_topk_code(100, zopt(4, 1, 5)), lamina::sim::parameter_error);     // k > groups
    CHECK_THROWS_AS(zscore_topk_code(100, zopt(4, 1, 0)), lamina::sim::parameter_error);
    oc.corpus->mean.pop_back();
    CHECK_THROWS_AS(zscore_topk_code(8, oc), lamina::sim::parameter_error);
    CHECK_THROWS_AS(code.encode(std::span<const double>(z.data(), 7)), lamina::sim::error);
}

TEST_CASE("projection k-WTA code: exactly k winners per pool, size independent of dimensionality", "[bridges][code]") {
    projection_kwta_options o;
    o.neurons_per_pool = 200;
    o.k = 30;
    for (std::size_t D : {50, 100, 300, 768, 1536}) {
        const projection_kwta_code code(D, o);
        CHECK(code.population_size() == 400);
        CHECK(code.active_neurons() == 60);
        const Eigen::MatrixXd X = gaussian_rows(10, D, 7 * D);
        for (Eigen::Index i = 0; i < X.rows(); ++i) {
            const Eigen::VectorXd x = X.row(i).transpose();
            const auto a = code.encode(x);
            CHECK(strictly_ascending(a.neurons));
            CHECK(active_in(a, 0, 200) == 30);
            CHECK(active_in(a, 200, 400) == 30);
            // Winners are the largest projections; intensities in [0, 1] with 1 at the top.
            const Eigen::VectorXd y = code.projection() * x;
            Eigen::Index top;
            y.maxCoeff(&top);
            CHECK(std::binary_search(a.neurons.begin(), a.neurons.end(), static_cast<std::uint32_t>(top)));
            CHECK(*std::max_element(a.intensity.begin(), a.intensity.end()) == 1.0);
            CHECK(*std::min_element(a.intensity.begin(), a.intensity.end()) > 0.0);
        }
    }
    // Fixed by the seed; the projection has N(0, 1/D) entries.
    const projection_kwta_code a(300, o), b(300, o);
    CHECK(a.projection() == b.projection());
    CHECK(a.projection().array().square().mean() == Approx(1.0 / 300).epsilon(0.05));
    o.seed = 9;
    CHECK(projection_kwta_code(300, o).projection() != a.projection());
    o.k = 200;  // k must leave a loser
    CHECK_THROWS_AS(projection_kwta_code(10, o), lamina::sim::parameter_error);
}

TEST_CASE("projection k-WTA intensities: proportional, above threshold, binary", "[bridges][code]") {
    projection_kwta_options o;
    o.neurons_per_pool = 50;
    o.k = 5;
    o.negative_pool = false;
    const Eigen::VectorXd x = gaussian_rows(1, 30, 17).row(0).transpose();
    std::vector<double> y;
    {
        const projection_kwta_code c(30, o);
        const Eigen::VectorXd p = c.projection() * x;
        y.assign(p.data(), p.data() + p.size());
    }
    std::vector<double> sorted = y;
    std::sort(sorted.begin(), sorted.end(), std::greater<>());
    const double top = sorted[0], theta = sorted[5];
    for (auto mode : {intensity_mode::graded, intensity_mode::graded_above_threshold, intensity_mode::binary}) {
        o.intensity = mode;
        const auto a = projection_kwta_code(30, o).encode(x);
        REQUIRE(a.active() == 5);
        for (std::size_t k = 0; k < 5; ++k) {
            const double v = y[a.neurons[k]];
            CHECK(v >= sorted[4]);
            const double expected = mode == intensity_mode::graded                   ? v / top
                                    : mode == intensity_mode::graded_above_threshold ? (v - theta) / (top - theta)
                                                                                     : 1.0;
            CHECK(a.intensity[k] == Approx(expected));
        }
    }
    zscore_topk_options z;
    z.intensity = intensity_mode::graded_above_threshold;
    CHECK_THROWS_AS(zscore_topk_code(100, z), lamina::sim::parameter_error);
}

TEST_CASE("projection k-WTA code keeps cosine structure across an orthogonal embedding", "[bridges][code]") {
    // 60 vectors in 20 dimensions, embedded in 500 by a random orthogonal map: the codes of the
    // embedded vectors keep the similarity ranking as well as those of the originals.
    const Eigen::MatrixXd X = gaussian_rows(60, 20, 3);
    const Eigen::MatrixXd Y = random_orthogonal_embedding(X, 500, 4);
    projection_kwta_options o;
    o.neurons_per_pool = 512;
    o.k = 128;
    const projection_kwta_code cx(20, o), cy(500, o);
    const double rx = similarity_retention(X, ideal_count_matrix(cx.encode_rows(X)));
    const double ry = similarity_retention(Y, ideal_count_matrix(cy.encode_rows(Y)));
    CHECK(rx > 0.9);
    CHECK(ry > 0.9);
    CHECK(std::abs(rx - ry) < 0.03);
}

TEST_CASE("rate, Poisson and latency spike trains follow the intensities", "[bridges][code]") {
    population_activity a{10, {1, 4, 7}, {1.0, 0.5, 0.26}};
    const presentation p{5.0, 100.0, 200.0};
    const Eigen::VectorXd ideal = ideal_counts(a, p);
    CHECK(ideal[1] == Approx(20.0));
    CHECK(ideal[4] == Approx(10.0));
    CHECK(ideal[7] == Approx(5.2));
    CHECK(ideal.sum() == Approx(35.2));

    const auto s = rate_spikes(a, p);
    const auto c = s.counts(10);
    CHECK(c[1] == 20);
    CHECK(c[4] == 10);
    CHECK(c[7] == 5);
    CHECK(s.size() == 35);
    CHECK(std::is_sorted(s.times_ms.begin(), s.times_ms.end()));
    CHECK(*std::min_element(s.times_ms.begin(), s.times_ms.end()) >= 5.0);
    CHECK(*std::max_element(s.times_ms.begin(), s.times_ms.end()) < 105.0);

    // Poisson: a 1000-neuron population at intensity 0.5 (100 Hz, 100 ms): mean count 10.
    population_activity many{1000, {}, {}};
    for (std::uint32_t i = 0; i < 1000; ++i) {
        many.neurons.push_back(i);
        many.intensity.push_back(0.5);
    }
    const auto ps = poisson_spikes(many, {0.0, 100.0, 200.0}, 0.1, 11);
    CHECK(double(ps.size()) / 1000.0 == Approx(10.0).margin(0.3));
    CHECK(poisson_spikes(many, {0.0, 100.0, 200.0}, 0.1, 11).times_ms == ps.times_ms);
    CHECK(poisson_spikes(many, {0.0, 100.0, 200.0}, 0.1, 12).times_ms != ps.times_ms);

    const auto l = latency_spikes(a, 1.0, 10.0);
    REQUIRE(l.size() == 3);
    CHECK(l.neurons == std::vector<std::uint32_t>{1, 4, 7});
    CHECK(l.times_ms[0] == Approx(1.0));
    CHECK(l.times_ms[1] == Approx(6.0));
    CHECK(l.times_ms[2] == Approx(8.4));
}

TEST_CASE("spike generators and current inputs for the engine", "[bridges][code]") {
    population_activity a{6, {0, 2, 3, 5}, {1.0, 0.5, 1.0, 0.5}};
    const auto s = rate_spikes(a, {1.0, 100.0, 100.0});
    const auto gens = to_spike_generators(s, "sensory", 20.0, 0.1, 100);
    REQUIRE(gens.size() == 2);  // two distinct trains (10 and 5 spikes)
    std::multiset<std::size_t> sizes;
    for (const auto& g : gens) {
        CHECK(g.target == "sensory");
        CHECK(g.weight == 20.0);
        CHECK(g.neurons.size() == 2);
        sizes.insert(g.times_ms.size());
        for (auto n : g.neurons) CHECK(n >= 100);
    }
    CHECK(sizes == std::multiset<std::size_t>{5, 10});

    const auto I = to_currents(a, current_map{400.0, 100.0});
    CHECK(I == std::vector<double>{500.0, 450.0, 500.0, 450.0});
    const auto specs = to_current_inputs(a.neurons, I, "sensory", 0.0, 50.0);
    REQUIRE(specs.size() == 2);
    CHECK(specs[0].amplitudes_pA == std::vector<double>{450.0, 0.0});
    CHECK(specs[0].neurons == std::vector<std::uint32_t>{2, 5});
    CHECK(specs[1].times_ms == std::vector<double>{0.0, 50.0});
    // Levels: amplitudes rounded onto `levels` steps between the extremes.
    const std::vector<std::uint32_t> n3{0, 1, 2};
    const std::vector<double> a3{100.0, 140.0, 200.0};
    const auto one_step = to_current_inputs(n3, a3, "p", 0.0, 1.0, 1);  // 140 -> 100
    REQUIRE(one_step.size() == 2);
    CHECK(one_step[0].neurons == std::vector<std::uint32_t>{0, 1});
    CHECK(one_step[0].amplitudes_pA[0] == 100.0);
    CHECK(to_current_inputs(n3, a3, "p", 0.0, 1.0, 2).size() == 3);  // 140 -> 150
    CHECK(to_current_inputs(n3, a3, "p", 0.0, 1.0, 0).size() == 3);
}

TEST_CASE("the decoder maps spike counts back to the nearest stored embedding", "[bridges][code]") {
    const Eigen::MatrixXd E = gaussian_rows(50, 100, 21);
    projection_kwta_options o;
    o.neurons_per_pool = 256;
    o.k = 32;
    const projection_kwta_code code(100, o);
    const nearest_embedding_decoder dec(code, E);
    CHECK(dec.size() == 50);
    for (Eigen::Index i = 0; i < E.rows(); ++i) {
        // Noise-free counts decode to their own row with similarity 1 ...
        const Eigen::VectorXd x = E.row(i).transpose();
        const auto m = dec.decode(ideal_counts(code.encode(x)), 3);
        REQUIRE(m.size() == 3);
        CHECK(m[0].row == static_cast<std::size_t>(i));
        CHECK(m[0].similarity == Approx(1.0));
        CHECK(m[1].similarity <= m[0].similarity);
        // ... and so do counts of a perturbed vector.
        const Eigen::VectorXd noisy = x + 0.3 * gaussian_rows(1, 100, 1000 + static_cast<std::uint64_t>(i)).row(0).transpose();
        CHECK(dec.decode(ideal_counts(code.encode(noisy)))[0].row == static_cast<std::size_t>(i));
    }
}

TEST_CASE("LIF current for a target rate inverts the f-I curve", "[bridges][sensory]") {
    lamina::models::lif_psc_delta::parameters p;
    // Rheobase C (V_th - E_L) / tau_m = 375 pA; 1/r = t_ref + tau ln(RI / (RI - 15)).
    CHECK(lif_rate_for_current(p, 375.0) == 0.0);
    for (double r : {10.0, 50.0, 100.0, 200.0, 400.0}) {
        const double I = lif_current_for_rate(p, r);
        CHECK(I > 375.0);
        CHECK(lif_rate_for_current(p, I) == Approx(r));
    }
    CHECK(lif_current_for_rate(p, 0.0) == 0.0);
    CHECK_THROWS_AS(lif_current_for_rate(p, 500.0), lamina::sim::parameter_error);  // 1/r = t_ref
}

TEST_CASE("engine-simulated sensory responses match the noise-free counts", "[bridges][sensory]") {
    // 12 vectors, a 2 x 16 x 2 z-score code: active neurons fire intensity * 200 Hz * 100 ms
    // = up to 20 spikes, inactive ones stay silent.
    const Eigen::MatrixXd E = gaussian_rows(12, 40, 5);
    zscore_topk_options o;
    o.groups = 16;
    o.group_size = 2;
    o.k = 4;
    o.intensity = intensity_mode::graded;
    const zscore_topk_code code(40, o);
    const auto acts = code.encode_rows(E);
    const Eigen::MatrixXd ideal = ideal_count_matrix(acts);
    for (auto drive : {sensory_drive::current, sensory_drive::rate}) {
        sensory_options so;
        so.drive = drive;
        so.batch = 5;  // three networks
        so.threads = 1;
        const auto r = simulate_sensory_responses(acts, so);
        REQUIRE(r.counts.rows() == 12);
        REQUIRE(r.counts.cols() == 64);
        CHECK(r.spikes == static_cast<std::uint64_t>(r.counts.sum()));
        // Deterministic trains are relayed one to one (counts = rounded ideal counts); under
        // the current drive the first spike comes one ISI after onset and ISIs end on the grid.
        const double tolerance = drive == sensory_drive::rate ? 0.5 : 1.5;
        CHECK((r.counts - ideal).cwiseAbs().maxCoeff() <= tolerance + 1e-9);
        for (std::size_t v = 0; v < acts.size(); ++v)
            for (Eigen::Index n = 0; n < 64; ++n)
                if (ideal(static_cast<Eigen::Index>(v), n) == 0.0) CHECK(r.counts(static_cast<Eigen::Index>(v), n) == 0.0);
    }
    sensory_options poisson;
    poisson.drive = sensory_drive::poisson;
    poisson.threads = 1;
    const auto rp = simulate_sensory_responses(acts, poisson);
    // Relayed Poisson trains lose the inputs that arrive during t_ref: r -> r / (1 + r t_ref).
    double expected = 0.0;
    for (const auto& a : acts)
        for (double x : a.intensity) {
            const double r = std::round(x * 256.0) / 256.0 * 200.0;  // the drive's 256 rate levels
            expected += 0.1 * r / (1.0 + r * 0.002);
        }
    CHECK(rp.counts.sum() == Approx(expected).epsilon(0.05));
    CHECK(rp.counts.sum() < 0.9 * ideal.sum());
}
