// Triplet STDP (Pfister & Gerstner 2006): hooks against hand-computed values; all-to-all and
// nearest-spike traces through the engine against an independent event-by-event calculation; the
// Sjostrom, Turrigiano & Nelson (2001) frequency protocol against that calculation, against the
// model-prediction table of reference.md 3.2 and against the published shape.
#include "lamina/models/neuron/lif_psc_delta.hpp"
#include "lamina/plasticity/stdp_triplet.hpp"
#include "lamina/sim/network.hpp"
#include "lamina/sim/plastic_rule.hpp"
#include "relay.hpp"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>

using namespace lamina;
using models::lif_psc_delta;
using test::drive;
using test::relay;
using plasticity::stdp_triplet;

namespace {

constexpr double dt = 0.1;



// Spike times of one synapse: presynaptic *arrival* times (stamp + delay) and postsynaptic spikes.
struct train {
    std::vector<double> pre_arrival, post;
};

// Runs every train on its own pre/post relay pair and connects the pairs one-to-one once per
// parameter set (each projection has its own traces); returns the final weights per set.
std::vector<std::vector<float>> run_engine(const std::vector<train>& trains,
                                           const std::vector<stdp_triplet::parameters>& sets, double w0,
                                           double D, double T, int threads = 1) {
    sim::run_config cfg;
    cfg.threads = threads;
    sim::network net(cfg);
    const auto n = static_cast<std::uint32_t>(trains.size());
    net.add_population<lif_psc_delta>("pre", n, relay());
    net.add_population<lif_psc_delta>("post", n, relay());
    std::size_t n_pre = 0, n_post = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
        std::vector<double> stamps;
        for (double a : trains[i].pre_arrival) stamps.push_back(a - D);
        drive(net, "pre", i, stamps);
        drive(net, "post", i, trains[i].post);
        n_pre += stamps.size();
        n_post += trains[i].post.size();
    }
    std::vector<std::size_t> k;
    for (std::size_t s = 0; s < sets.size(); ++s) {
        sim::projection_spec spec{"triplet" + std::to_string(s), "pre", "post", sim::connection_rule::one_to_one(),
                                  sim::distribution::constant(w0), sim::distribution::constant(D), "excitatory", {}};
        spec.plasticity = std::make_shared<sim::plastic_rule<stdp_triplet>>(sets[s]);
        k.push_back(net.connect(spec));
    }
    net.record_spikes({"pre_spikes", "pre", {}});
    net.record_spikes({"post_spikes", "post", {}});
    net.run(T);
    // The relays fire exactly the requested spikes.
    REQUIRE(net.spikes(0).times_ms.size() == n_pre);
    REQUIRE(net.spikes(1).times_ms.size() == n_post);
    std::vector<std::vector<float>> w;
    for (auto kk : k) w.push_back(net.synapses(kk).weight);
    return w;
}

// Independent prediction: walks the merged event list (a pre arrival before a post spike at the
// same time) and evaluates every trace as an explicit sum over earlier spikes (all-to-all) or from
// the latest earlier spike alone (nearest), never with the recursive traces the engine keeps.
// float_storage: round the weight to float after every event, as the engine stores it.
double predict(const train& tr, const stdp_triplet::parameters& p, double w0, bool float_storage) {
    const bool nearest = p.nearest == 1.0;
    // Sum of exp(-(t - s)/tau) over spikes s of `times` with s < t (or s <= t when inclusive).
    auto trace = [nearest](const std::vector<double>& times, double t, double tau, bool inclusive) {
        double sum = 0.0, latest = -1.0;
        bool any = false;
        for (double s : times) {
            if (s < t || (inclusive && s == t)) {
                sum += std::exp(-(t - s) / tau);
                latest = s;  // times are sorted
                any = true;
            }
        }
        if (!nearest) return sum;
        return any ? std::exp(-(t - latest) / tau) : 0.0;
    };
    struct event {
        double t;
        int kind;  // 0 pre arrival, 1 post spike: pre first at equal times
    };
    std::vector<event> ev;
    for (double t : tr.pre_arrival) ev.push_back({t, 0});
    for (double t : tr.post) ev.push_back({t, 1});
    std::stable_sort(ev.begin(), ev.end(),
                     [](const event& a, const event& b) { return a.t < b.t || (a.t == b.t && a.kind < b.kind); });
    double w = w0;
    for (const auto& e : ev) {
        if (e.kind == 1) {
            const double r1 = trace(tr.pre_arrival, e.t, p.tau_plus, true);  // includes a same-time arrival
            const double o2 = trace(tr.post, e.t, p.tau_y, false);           // before this spike
            w = std::min(p.W_max, w + r1 * (p.A2_plus + p.A3_plus * o2));
        } else {
            const double o1 = trace(tr.post, e.t, p.tau_minus, false);       // same-time post comes later
            const double r2 = trace(tr.pre_arrival, e.t, p.tau_x, false);    // before this arrival
            w = std::max(p.W_min, w - o1 * (p.A2_minus + p.A3_minus * r2));
        }
        if (float_storage) w = static_cast<double>(static_cast<float>(w));
    }
    return w;
}

// Sjostrom et al. 2001: 60 pairings at `rho` Hz; delta = t_post - t_pre_arrival = +10 or -10 ms.
train sjostrom(double rho, double delta, int pairings = 60, double t0 = 10.0) {
    train tr;
    const double period = 1000.0 / rho;
    for (int k = 0; k < pairings; ++k) {
        const double a = t0 + k * period;
        if (delta > 0) {
            tr.pre_arrival.push_back(a);
            tr.post.push_back(a + delta);
        } else {
            tr.post.push_back(a);
            tr.pre_arrival.push_back(a - delta);
        }
    }
    return tr;
}

// Distinct values everywhere, so that a swapped trace or amplitude shows.
stdp_triplet::parameters distinct(bool nearest) {
    stdp_triplet::parameters p;
    p.tau_plus = 16.8;
    p.tau_x = 101.0;
    p.tau_minus = 33.7;
    p.tau_y = 125.0;
    p.A2_plus = 0.011;
    p.A3_plus = 0.023;
    p.A2_minus = 0.017;
    p.A3_minus = 0.029;
    p.W_min = 0.0;
    p.W_max = 100.0;
    p.nearest = nearest ? 1.0 : 0.0;
    return p;
}

} // namespace

TEST_CASE("stdp_triplet hooks match hand-computed updates, traces and bounds", "[plasticity][triplet]") {
    const auto c = stdp_triplet::lower(distinct(false), dt, "test");
    const std::array<float*, 0> none{};
    // Traces {r1, r2} and {o1, o2} with distinct values.
    const std::array<double, 2> pre{0.7, 1.9}, post{0.4, 1.3};
    // Post spike: w + r1 (A2+ + A3+ o2) = 1 + 0.7 (0.011 + 0.023 * 1.3) = 1.02863.
    CHECK(std::abs(stdp_triplet::on_post(c, 1.0, none, pre, post) - 1.02863) < 1e-12);
    // Pre arrival: w - o1 (A2- + A3- r2) = 1 - 0.4 (0.017 + 0.029 * 1.9) = 0.97116.
    CHECK(std::abs(stdp_triplet::on_pre(c, 1.0, none, pre, post) - 0.97116) < 1e-12);
    // No trace, no change; the triplet terms need their pair partner.
    CHECK(stdp_triplet::on_post(c, 1.0, none, {0.0, 5.0}, {3.0, 4.0}) == 1.0);
    CHECK(stdp_triplet::on_pre(c, 1.0, none, {3.0, 4.0}, {0.0, 5.0}) == 1.0);
    // Hard bounds.
    auto b = distinct(false);
    b.W_min = 0.5;
    b.W_max = 1.01;
    const auto cb = stdp_triplet::lower(b, dt, "test");
    CHECK(stdp_triplet::on_post(cb, 1.0, none, pre, post) == 1.01);
    CHECK(stdp_triplet::on_pre(cb, 0.51, none, pre, post) == 0.5);
    // Trace layout: pre {tau_plus, tau_x}, post {tau_minus, tau_y}; nearest flag on all.
    const auto tp = stdp_triplet::pre_traces(c);
    const auto to = stdp_triplet::post_traces(c);
    CHECK(tp[0].tau_ms == 16.8);
    CHECK(tp[1].tau_ms == 101.0);
    CHECK(to[0].tau_ms == 33.7);
    CHECK(to[1].tau_ms == 125.0);
    CHECK_FALSE(tp[0].nearest);
    const auto cn = stdp_triplet::lower(distinct(true), dt, "test");
    CHECK(stdp_triplet::pre_traces(cn)[1].nearest);
    CHECK(stdp_triplet::post_traces(cn)[0].nearest);
    // Parameter sets of reference.md 3.2.
    const auto vm = stdp_triplet::parameters::visual_cortex_all_to_all_minimal();
    CHECK(vm.A2_plus == 0.0);
    CHECK(vm.A3_plus == 6.5e-3);
    CHECK(vm.A2_minus == 7.1e-3);
    CHECK(vm.A3_minus == 0.0);
    CHECK(vm.tau_y == 114.0);
    const auto vf = stdp_triplet::parameters::visual_cortex_all_to_all_full();
    CHECK(vf.A2_plus == 5e-10);
    CHECK(vf.A3_minus == 2.3e-4);
    CHECK(vf.tau_x == 101.0);
    CHECK(vf.tau_y == 125.0);
    CHECK(stdp_triplet::parameters::hippocampal_nearest_full().nearest == 1.0);
    CHECK(stdp_triplet::parameters::hippocampal_all_to_all_full().tau_x == 946.0);
    CHECK(vm.scaled(2.0).A3_plus == 1.3e-2);
    // Parameters by name (model files).
    sim::plastic_rule<stdp_triplet> named;
    named.set_parameter("A3_minus", 0.5, "test");
    named.set_parameter("tau_y", 77.0, "test");
    named.lower(dt, "test");
    CHECK(named.constants().A3_minus == 0.5);
    CHECK(named.constants().tau_y == 77.0);
    // Refusals.
    auto bad = distinct(false);
    bad.W_min = 2.0;
    bad.W_max = 1.0;
    CHECK_THROWS_AS(stdp_triplet::lower(bad, dt, "test"), sim::parameter_error);
    bad = distinct(false);
    bad.A3_plus = -1e-3;
    CHECK_THROWS_AS(stdp_triplet::lower(bad, dt, "test"), sim::parameter_error);
    bad = distinct(false);
    bad.nearest = 0.5;
    CHECK_THROWS_AS(stdp_triplet::lower(bad, dt, "test"), sim::parameter_error);
}

TEST_CASE("stdp_triplet through the engine: all-to-all and nearest traces, same-step order", "[plasticity][triplet]") {
    // Bursts and interleavings that exercise all four traces, a simultaneous pre arrival and post
    // spike (pre first) and long gaps.
    std::vector<train> trains = {
        {{100.0, 105.0, 130.0}, {110.0, 120.0}},
        {{50.0, 60.0, 70.0, 80.0}, {55.0, 65.0, 75.0, 85.0, 95.0}},
        {{100.0, 140.0}, {90.0, 100.0, 101.0, 140.0, 150.0}},
        {{20.0, 22.5, 25.0, 300.0}, {24.0, 26.0, 28.0, 30.0, 299.0}},
    };
    const double w0 = 1.0, D = 1.5;
    const auto w = run_engine(trains, {distinct(false), distinct(true)}, w0, D, 400.0);
    for (int mode = 0; mode < 2; ++mode) {
        const auto p = distinct(mode == 1);
        for (std::size_t i = 0; i < trains.size(); ++i) {
            const double stored = predict(trains[i], p, w0, true);
            const double exact = predict(trains[i], p, w0, false);
            INFO("mode " << (mode ? "nearest" : "all-to-all") << ", train " << i << ": engine " << w[mode][i]
                         << ", predicted " << exact);
            CHECK(std::abs(double(w[mode][i]) - stored) < 1e-6);
            CHECK(std::abs(exact - w0) > 0.005);  // the train does change the weight
        }
    }
    // The two pairing schemes really differ on these trains.
    for (std::size_t i = 0; i < trains.size(); ++i) CHECK(std::abs(w[0][i] - w[1][i]) > 1e-3);
}

TEST_CASE("Sjostrom 2001 frequency protocol: engine, independent prediction and reference table",
          "[plasticity][triplet]") {
    const std::array<double, 5> rhos{0.1, 10.0, 20.0, 40.0, 50.0};
    const std::array<double, 2> deltas{+10.0, -10.0};
    // reference.md 3.2, "Model prediction, 60 pairings, additive, all-to-all" [M], rows
    // (minimal +10, minimal -10, full +10, full -10).
    const double table[2][2][5] = {{{0.000, 0.119, 0.228, 0.532, 0.763}, {-0.317, -0.332, -0.342, 0.174, 0.749}},
                                   {{0.000, 0.132, 0.247, 0.534, 0.741}, {-0.312, -0.334, -0.352, 0.155, 0.727}}};
    // Sjostrom et al. 2001 data (mean, s.e.m.), reference.md 3.2.
    const double data[2][5] = {{-0.04, 0.14, 0.29, 0.53, 0.56}, {-0.29, -0.41, -0.34, 0.56, 0.75}};
    const double sem[2][5] = {{0.05, 0.10, 0.14, 0.11, 0.26}, {0.08, 0.11, 0.10, 0.32, 0.19}};

    std::vector<train> trains;
    for (double d : deltas)
        for (double r : rhos) trains.push_back(sjostrom(r, d));
    double T = 0.0;
    for (auto& tr : trains) T = std::max({T, tr.pre_arrival.back(), tr.post.back()});
    // Weight 1 (fractional change = w - 1) with far bounds: additive, unclipped.
    const std::vector<stdp_triplet::parameters> sets = {stdp_triplet::parameters::visual_cortex_all_to_all_minimal(),
                                                        stdp_triplet::parameters::visual_cortex_all_to_all_full()};
    const auto w = run_engine(trains, sets, 1.0, 1.0, T + 5.0);

    // Tolerances. The engine stores the weight as float after each of the 120 updates; the
    // prediction with the same rounding must agree to 1e-6 (in practice to a float ulp, ~1e-7,
    // because the double values before rounding differ by ~1e-16). Against the exact double
    // prediction the accumulated rounding is bounded by 120 half-ulps at |w| < 2 (1.4e-5).
    double worst_stored = 0.0, worst_exact = 0.0;
    std::printf("Sjostrom protocol, fractional weight change after 60 pairings (lamina | prediction | table)\n");
    for (std::size_t s = 0; s < sets.size(); ++s) {
        for (std::size_t di = 0; di < 2; ++di) {
            std::printf("  %-7s dt=%+3.0f:", s == 0 ? "minimal" : "full", deltas[di]);
            for (std::size_t ri = 0; ri < 5; ++ri) {
                const std::size_t i = di * 5 + ri;
                const double lam = double(w[s][i]) - 1.0;
                const double stored = predict(trains[i], sets[s], 1.0, true) - 1.0;
                const double exact = predict(trains[i], sets[s], 1.0, false) - 1.0;
                worst_stored = std::max(worst_stored, std::abs(lam - stored));
                worst_exact = std::max(worst_exact, std::abs(lam - exact));
                std::printf("  %4.1fHz %+.6f|%+.6f|%+.3f", rhos[ri], lam, exact, table[s][di][ri]);
                INFO("set " << s << ", dt " << deltas[di] << ", rho " << rhos[ri] << ": lamina " << lam
                            << ", predicted " << exact << ", table " << table[s][di][ri]);
                CHECK(std::abs(lam - stored) <= 1e-6);
                CHECK(std::abs(lam - exact) <= 1.4e-5);
                // reference.md's table (3 decimals): within half a unit of the third decimal,
                // i.e. the table is the value rounded (measured: 0.00038 at worst).
                CHECK(std::abs(exact - table[s][di][ri]) <= 0.0005);
                CHECK(std::abs(lam - table[s][di][ri]) <= 0.0005);
                // The model stays within 2 s.e.m. of Sjostrom's data.
                CHECK(std::abs(lam - data[di][ri]) <= 2.0 * sem[di][ri]);
            }
            std::printf("\n");
        }
        // Published shape: post-pre depresses at low frequency, pre-post does not change much...
        CHECK(double(w[s][5]) - 1.0 < -0.25);                 // -10 ms, 0.1 Hz
        CHECK(double(w[s][6]) - 1.0 < -0.25);                 // -10 ms, 10 Hz
        CHECK(std::abs(double(w[s][0]) - 1.0) < 0.01);        // +10 ms, 0.1 Hz
        // ...potentiation grows with frequency for pre-post...
        for (std::size_t ri = 1; ri < 5; ++ri) CHECK(w[s][ri] > w[s][ri - 1]);
        // ...and both orders potentiate at high frequency.
        for (std::size_t ri : {3u, 4u}) {
            CHECK(double(w[s][ri]) - 1.0 > 0.1);
            CHECK(double(w[s][5 + ri]) - 1.0 > 0.1);
        }
    }
    std::printf("  worst |lamina - prediction|: %.2e with float storage, %.2e exact double\n", worst_stored,
                worst_exact);
}
