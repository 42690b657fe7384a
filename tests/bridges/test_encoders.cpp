// ANN activation encoders (rate, Poisson, latency, delta, sigma-delta): event counts, error
// bounds, and delta inference of a dense layer against dense inference.
#include "lamina/bridges/encoders.hpp"
#include "lamina/sim/error.hpp"
#include "lamina/sim/rng.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <memory>

using namespace lamina::bridges;
using lamina::sim::random_stream;
using lamina::sim::stream_purpose;

namespace {

// A slowly drifting sequence of activations (frames x units) in [0, 1]: a random walk with
// occasional jumps, clipped, with some exact zeros (ReLU-like).
Eigen::MatrixXd activation_sequence(Eigen::Index frames, Eigen::Index units, std::uint64_t seed) {
    Eigen::MatrixXd x(frames, units);
    for (Eigen::Index u = 0; u < units; ++u) {
        random_stream r(seed, stream_purpose::user, 5, static_cast<std::uint64_t>(u));
        double v = r.uniform();
        for (Eigen::Index f = 0; f < frames; ++f) {
            v += 0.03 * r.normal() + (r.uniform() < 0.02 ? r.normal() * 0.5 : 0.0);
            v = std::clamp(v, -0.2, 1.0);
            x(f, u) = std::max(0.0, v);
        }
    }
    return x;
}

} // namespace

TEST_CASE("delta and sigma-delta errors never exceed the threshold", "[bridges][encoders]") {
    const Eigen::MatrixXd x = activation_sequence(200, 64, 1);
    for (double theta : {0.01, 0.05, 0.2}) {
        const auto d = delta_encoder(theta).encode(x);
        const auto s = sigma_delta_encoder(theta).encode(x);
        for (const auto* r : {&d, &s}) {
            CHECK(r->dense_values == 200u * 64u);
            CHECK(r->max_abs_error <= theta);
            CHECK(r->max_abs_error > 0.25 * theta);  // the bound is approached, not trivially met
            CHECK(r->rms_error <= r->max_abs_error);
            CHECK(r->event_count() > 0);
            CHECK(r->event_count() < r->dense_values);  // sparser than dense transfer
            // Reconstruction is the running sum of the events.
            Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(200, 64);
            Eigen::VectorXd acc = Eigen::VectorXd::Zero(64);
            std::size_t e = 0;
            for (Eigen::Index f = 0; f < 200; ++f) {
                for (; e < r->events.size() && static_cast<Eigen::Index>(r->events[e].step) == f; ++e) acc[r->events[e].unit] += r->events[e].value;
                sum.row(f) = acc.transpose();
            }
            CHECK(e == r->events.size());
            CHECK((sum - r->reconstruction).cwiseAbs().maxCoeff() == 0.0);
        }
    }
    // Larger thresholds send fewer events.
    CHECK(delta_encoder(0.2).encode(x).event_count() < delta_encoder(0.05).encode(x).event_count());
    CHECK_THROWS_AS(delta_encoder(-1.0), lamina::sim::parameter_error);
}

TEST_CASE("delta sends changes above the threshold; sigma-delta carries the residue", "[bridges][encoders]") {
    Eigen::MatrixXd x(4, 1);
    x << 0.06, 0.12, 0.15, 0.26;
    // delta: |0.06| <= 0.1 nothing; 0.12 - 0 > 0.1 sends 0.12; 0.03 nothing; 0.14 sends 0.14.
    const auto d = delta_encoder(0.1).encode(x);
    REQUIRE(d.event_count() == 2);
    CHECK(d.events[0].step == 1);
    CHECK(d.events[0].value == Approx(0.12));
    CHECK(d.events[1].step == 3);
    CHECK(d.events[1].value == Approx(0.14));
    // sigma-delta: 0.06 -> residue 0.06; 0.06 + 0.06 = 0.12 sent; 0.03 -> residue; 0.11 + 0.03 sent.
    const auto s = sigma_delta_encoder(0.1).encode(x);
    REQUIRE(s.event_count() == 2);
    CHECK(s.events[0].value == Approx(0.12));
    CHECK(s.events[1].value == Approx(0.14));
    CHECK(s.reconstruction(2, 0) == Approx(0.12));
    CHECK(s.max_abs_error == Approx(0.06));
}

TEST_CASE("rate and latency encoders: counts, error bounds and the shared interface", "[bridges][encoders]") {
    Eigen::MatrixXd x(2, 4);
    x << 0.0, 0.25, 0.5, 1.0,   //
        -0.5, 0.013, 0.999, 2.0;  // 2.0 is clipped to max_value
    std::vector<std::unique_ptr<activation_encoder>> encoders;
    encoders.push_back(std::make_unique<rate_encoder>(rate_encoder_options{20, 1.0}));
    encoders.push_back(std::make_unique<latency_encoder>(latency_encoder_options{21, 1.0}));
    for (const auto& e : encoders) {
        const auto r = e->encode(x);
        INFO(e->name());
        // Inside the range the error is at most half a step; the clipped value costs 1.
        const Eigen::MatrixXd err = (r.reconstruction - x).cwiseAbs();
        CHECK(err.topLeftCorner(2, 3).maxCoeff() <= 0.5 / 20 + 1e-12);
        CHECK(err(0, 3) <= 0.5 / 20 + 1e-12);
        CHECK(err(1, 3) == Approx(1.0));
        CHECK(r.max_abs_error == Approx(1.0));
        CHECK(r.reconstruction(1, 0) < 0.0);  // signed events
    }
    const auto rate = encoders[0]->encode(x);
    // Spikes: 0 + 5 + 10 + 20, then 10 + 0 + 20 + 20.
    CHECK(rate.event_count() == 85);
    CHECK(rate.reconstruction(0, 1) == Approx(0.25));
    const auto lat = encoders[1]->encode(x);
    // One spike per unit and frame except the zero and the value too small for any step.
    CHECK(lat.event_count() == 6);
    CHECK(lat.events[0].step == 0);  // 1.0 fires first
    CHECK(lat.events[0].unit == 3);

    // Poisson: mean count p * steps, reproducible per seed.
    Eigen::MatrixXd half = Eigen::MatrixXd::Constant(1, 2000, 0.3);
    const rate_encoder poisson(rate_encoder_options{100, 1.0, true, 3});
    const auto p = poisson.encode(half);
    CHECK(double(p.event_count()) / 2000.0 == Approx(30.0).margin(0.5));
    CHECK(p.rms_error == Approx(std::sqrt(0.3 * 0.7 / 100)).epsilon(0.1));  // binomial spread
    CHECK(rate_encoder(rate_encoder_options{100, 1.0, true, 4}).encode(half).event_count() != p.event_count());
}

TEST_CASE("delta inference on a hand-checked example", "[bridges][encoders]") {
    Eigen::MatrixXd W(2, 2);
    W << 1, 2,  //
        3, -1;
    Eigen::MatrixXd x(3, 2);
    x << 1.0, 0.0,  //
        1.05, 0.5,  //
        2.0, 0.55;
    // Threshold 0.1: events (frame 0, unit 0, +1), (1, 1, +0.5), (2, 0, +1).
    const auto r = delta_inference(W, Eigen::VectorXd(), x, 0.1);
    CHECK(r.input_events == 3);
    CHECK(r.dense_macs == 12);
    CHECK(r.performed_macs == 6);
    CHECK(r.skipped_macs == 6);
    Eigen::MatrixXd expected(3, 2);
    expected << 1, 3,  //
        2, 2.5,        //
        3, 5.5;
    CHECK((r.outputs - expected).cwiseAbs().maxCoeff() < 1e-12);
    Eigen::MatrixXd dense(3, 2);
    dense << 1, 3,  //
        2.05, 2.65,  //
        3.1, 5.45;
    CHECK((r.dense_outputs - dense).cwiseAbs().maxCoeff() < 1e-12);
    CHECK(r.max_abs_error == Approx(0.15));
    CHECK(r.error_bound == Approx(0.4));  // 0.1 * max(|1| + |2|, |3| + |-1|)

    // A bias starts the running sum.
    Eigen::VectorXd b(2);
    b << 10, -10;
    const auto rb = delta_inference(W, b, x, 0.1);
    CHECK(rb.outputs(2, 0) == Approx(13.0));
    CHECK(rb.outputs(2, 1) == Approx(-4.5));
    CHECK_THROWS_AS(delta_inference(W, Eigen::VectorXd::Zero(3), x, 0.1), lamina::sim::error);
}

TEST_CASE("delta inference equals dense inference within the threshold bound", "[bridges][encoders]") {
    const Eigen::MatrixXd x = activation_sequence(150, 80, 2);
    Eigen::MatrixXd W(30, 80);
    random_stream r(8, stream_purpose::user, 6, 0);
    for (Eigen::Index i = 0; i < W.size(); ++i) W.data()[i] = 0.2 * r.normal();
    for (auto rule : {delta_rule::delta, delta_rule::sigma_delta}) {
        for (double theta : {0.0, 0.02, 0.1}) {
            const auto res = delta_inference(W, Eigen::VectorXd::Zero(30), x, theta, rule);
            CHECK(res.max_abs_error <= res.error_bound + 1e-9);
            CHECK(res.dense_macs == 150u * 30u * 80u);
            CHECK(res.performed_macs + res.skipped_macs == res.dense_macs);
            CHECK(res.performed_macs == res.input_events * 30);
            if (theta == 0.0) {
                CHECK(res.max_abs_error < 1e-9);  // every change sent: exact up to rounding
            } else {
                CHECK(res.skipped_macs > res.dense_macs / 2);  // slow drift: most MACs skipped
                CHECK(res.max_abs_error > 0.0);
            }
        }
    }
}
