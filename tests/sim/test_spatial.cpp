// Distance-dependent connectivity on 2D positions (spatial.hpp; NEST's spatial module): the
// measured connection probability against distance follows p0 k(d) (binned, a chi-square whose
// bound comes from binomial sampling error, and which refuses a kernel 10 % too wide), periodic
// boundaries connect across the edges, delays are d0 + d / v on the step grid, and the synapses
// do not depend on the thread count.
#include "test_models.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <memory>

using namespace lamina::sim;
using lamina::sim::test::probe;

namespace {

constexpr double dt = 0.1;

std::unique_ptr<network> sheet(int threads, const spatial_layout& src, const spatial_layout& tgt, spatial_kernel k,
                               std::size_t ns, std::size_t nt, double delay = 0.5, std::uint64_t seed = 2) {
    run_config cfg;
    cfg.dt_ms = dt;
    cfg.threads = threads;
    cfg.seed = seed;
    auto net = std::make_unique<network>(cfg);
    net->add_population<probe>("S", ns).layout = src;
    net->add_population<probe>("T", nt).layout = tgt;
    net->connect({"ST", "S", "T", connection_rule::distance_dependent(k), distribution::constant(1.0),
                  distribution::constant(delay), "excitatory"});
    net->build();
    return net;
}

// Connected pairs and all pairs, per distance bin of `width`, with the expected connections
// (sum of p over the pairs of the bin) and the binomial variance (sum of p (1 - p)).
struct bins {
    std::vector<double> connected, expected, variance;
};

bins measure(network& net, const spatial_kernel& truth, double bin_width, std::size_t nbins) {
    const auto& S = net.population_at(0);
    const auto& T = net.population_at(1);
    const auto ps = make_positions(S.layout, S.size(), net.config().seed, 0);
    const auto pt = make_positions(T.layout, T.size(), net.config().seed, 1);
    bins b;
    b.connected.assign(nbins, 0.0);
    b.expected.assign(nbins, 0.0);
    b.variance.assign(nbins, 0.0);
    auto bin_of = [&](double d) { return std::min<std::size_t>(nbins - 1, static_cast<std::size_t>(d / bin_width)); };
    const auto syn = net.synapses(0);
    for (std::size_t m = 0; m < syn.source.size(); ++m) {
        const auto i = syn.source[m], j = syn.target[m];
        b.connected[bin_of(layout_distance(S.layout, ps.x[i], ps.y[i], pt.x[j], pt.y[j]))] += 1.0;
    }
    for (std::size_t i = 0; i < S.size(); ++i)
        for (std::size_t j = 0; j < T.size(); ++j) {
            const double d = layout_distance(S.layout, ps.x[i], ps.y[i], pt.x[j], pt.y[j]);
            const double p = truth.probability(d);
            b.expected[bin_of(d)] += p;
            b.variance[bin_of(d)] += p * (1.0 - p);
        }
    return b;
}

double chi_square(const bins& b) {
    double chi2 = 0.0;
    for (std::size_t k = 0; k < b.connected.size(); ++k) {
        if (b.variance[k] <= 0.0) {
            CHECK(b.connected[k] == b.expected[k]);  // p = 0 or 1 in the whole bin
            continue;
        }
        chi2 += (b.connected[k] - b.expected[k]) * (b.connected[k] - b.expected[k]) / b.variance[k];
    }
    return chi2;
}

std::size_t informative(const bins& b) {
    std::size_t n = 0;
    for (double v : b.variance) n += v > 0.0;
    return n;
}

double bound(std::size_t df) { return double(df) + 5.0 * std::sqrt(2.0 * double(df)); }

} // namespace

TEST_CASE("distance-dependent connectivity: probability against distance follows p0 k(d)", "[sim][spatial]") {
    for (auto kind : {spatial_kernel::kind::gaussian, spatial_kernel::kind::exponential}) {
        INFO((kind == spatial_kernel::kind::gaussian ? "gaussian" : "exponential"));
        spatial_kernel k;
        k.type = kind;
        k.p0 = 0.7;
        k.width = kind == spatial_kernel::kind::gaussian ? 0.12 : 0.08;
        k.mask_radius = 0.45;
        // Sources on a 40 x 40 grid, targets at random in the same periodic unit sheet.
        auto net = sheet(2, spatial_layout::grid(40, 40, 1.0, 1.0, true), spatial_layout::random(1.0, 1.0, true), k,
                         1600, 900);
        const auto b = measure(*net, k, 0.025, 24);
        const double chi2 = chi_square(b);
        INFO("chi-square " << chi2 << " over " << informative(b) << " bins, " << net->statistics().synapses
                           << " synapses");
        CHECK(chi2 < bound(informative(b)));
        // Nothing beyond the mask (the last bins lie beyond 0.45).
        double beyond = 0.0;
        for (std::size_t x = 19; x < 24; ++x) beyond += b.connected[x];
        CHECK(beyond == 0.0);
        // A kernel 10 % wider is refused by the same statistic.
        auto wider = k;
        wider.width *= 1.1;
        CHECK(chi_square(measure(*net, wider, 0.025, 24)) > bound(informative(b)));
    }
}

TEST_CASE("distance-dependent connectivity: periodic boundaries connect across the edges, open ones do not", "[sim][spatial]") {
    spatial_kernel k;
    k.p0 = 1.0;
    k.type = spatial_kernel::kind::constant;
    k.mask_radius = 0.12;
    for (bool periodic : {true, false}) {
        auto net = sheet(1, spatial_layout::grid(20, 20, 2.0, 2.0, periodic), spatial_layout::grid(20, 20, 2.0, 2.0, periodic),
                         k, 400, 400);
        // Neighbours within 0.12 on a 0.1 grid: the 4 nearest and the cell itself (distance 0),
        // and on a torus every neuron has all 5.
        const auto syn = net->synapses(0);
        std::vector<int> indegree(400, 0);
        for (auto t : syn.target) ++indegree[t];
        std::size_t across = 0;
        for (std::size_t m = 0; m < syn.source.size(); ++m) {
            const long cs = syn.source[m] % 20, ct = syn.target[m] % 20;
            across += std::abs(cs - ct) == 19;  // column 0 and column 19 are neighbours only on a torus
        }
        if (periodic) {
            CHECK(std::all_of(indegree.begin(), indegree.end(), [](int d) { return d == 5; }));
            CHECK(across == 2 * 20);  // each of the 20 rows, both directions
        } else {
            CHECK(indegree[0] == 3);  // a corner: itself and two neighbours
            CHECK(indegree[21] == 5);
            CHECK(across == 0);
        }
    }
}

TEST_CASE("distance-dependent delays are d0 + d / v on the step grid", "[sim][spatial]") {
    spatial_kernel k;
    k.p0 = 0.5;
    k.width = 0.3;
    k.velocity = 0.2;  // mm/ms
    const double d0 = 0.3;
    auto net = sheet(2, spatial_layout::random(1.0, 1.0), spatial_layout::grid(10, 10, 1.0, 1.0), k, 300, 100, d0);
    const auto& S = net->population_at(0);
    const auto& T = net->population_at(1);
    const auto ps = make_positions(S.layout, 300, 2, 0), pt = make_positions(T.layout, 100, 2, 1);
    const auto syn = net->synapses(0);
    REQUIRE(syn.source.size() > 1000);
    double dmin = 1e9, dmax = 0.0;
    for (std::size_t m = 0; m < syn.source.size(); ++m) {
        const double d = layout_distance(S.layout, ps.x[syn.source[m]], ps.y[syn.source[m]], pt.x[syn.target[m]],
                                         pt.y[syn.target[m]]);
        CHECK(syn.delay_ms[m] == Approx(std::round((d0 + d / k.velocity) / dt) * dt).margin(1e-9));
        dmin = std::min(dmin, syn.delay_ms[m]);
        dmax = std::max(dmax, syn.delay_ms[m]);
    }
    CHECK(dmax - dmin > 3.0);  // distances up to ~1.3 mm: delays spread over ~6 ms
}

TEST_CASE("distance-dependent connectivity does not depend on the thread count", "[sim][spatial]") {
    spatial_kernel k;
    k.p0 = 0.9;
    k.type = spatial_kernel::kind::exponential;
    k.width = 0.2;
    k.velocity = 0.5;
    auto a = sheet(1, spatial_layout::random(1.0, 2.0, true), spatial_layout::random(1.0, 2.0, true), k, 700, 500);
    auto b = sheet(3, spatial_layout::random(1.0, 2.0, true), spatial_layout::random(1.0, 2.0, true), k, 700, 500);
    const auto x = a->synapses(0), y = b->synapses(0);
    CHECK(x.source == y.source);
    CHECK(x.target == y.target);
    CHECK(x.delay_ms == y.delay_ms);
    // The memory estimate's count is an upper bound (the kernel's integral over the plane exceeds
    // that over the sheet), here by the exponential tail beyond the sheet's half-width.
    CHECK(double(a->expected_synapse_count()) >= double(x.source.size()));
    CHECK(double(a->expected_synapse_count()) < 1.3 * double(x.source.size()));
}

TEST_CASE("distance-dependent connectivity: impossible settings are refused", "[sim][spatial]") {
    auto problems = [](const spatial_layout& s, const spatial_layout& t, spatial_kernel k, std::size_t ns = 100,
                       distribution delay = distribution::constant(0.5)) {
        run_config cfg;
        network net(cfg);
        net.add_population<probe>("S", ns).layout = s;
        net.add_population<probe>("T", 100).layout = t;
        net.connect({"ST", "S", "T", connection_rule::distance_dependent(k), distribution::constant(1.0), delay,
                     "excitatory"});
        std::string all;
        for (const auto& e : net.check()) all += std::string(e.what()) + "\n";
        return all;
    };
    spatial_kernel k;
    k.width = 0.1;
    const auto grid = spatial_layout::grid(10, 10, 1.0, 1.0);
    CHECK_THAT(problems(spatial_layout{}, grid, k), Catch::Contains("needs positions for population 'S'"));
    CHECK_THAT(problems(grid, grid, k, 99), Catch::Contains("positions.shape") && Catch::Contains("the population has 99"));
    auto bad = k;
    bad.p0 = 1.5;
    CHECK_THAT(problems(grid, grid, bad), Catch::Contains("'p0'"));
    bad = k;
    bad.width = 0.0;
    CHECK_THAT(problems(grid, grid, bad), Catch::Contains("'width'"));
    auto torus = grid;
    torus.periodic = true;
    CHECK_THAT(problems(torus, spatial_layout::grid(10, 10, 2.0, 1.0, true), k), Catch::Contains("same sheet"));
    bad = k;
    bad.velocity = 0.1;
    CHECK_THAT(problems(grid, grid, bad, 100, distribution::uniform(0.5, 1.0)), Catch::Contains("one constant delay"));
    CHECK(problems(grid, grid, k).empty());
}
