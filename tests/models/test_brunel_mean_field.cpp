// Siegert mean-field rate of the Brunel (2000) network, model A: reference.md section 2.2.
#include <catch2/catch.hpp>

#include "lamina/models/brunel_mean_field.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

using namespace lamina::models;

namespace {
constexpr double rel = 0.005; // 0.5 % as required by the table's rounding

brunel_parameters model_a(double g, double eta, double V_r) {
    brunel_parameters p; // C_E 1000, gamma 0.25, J 0.1 mV, tau 20 ms, theta 20 mV, tau_rp 2 ms
    p.g = g;
    p.eta = eta;
    p.V_r = V_r;
    return p;
}
} // namespace

TEST_CASE("erfcx matches reference values over its whole range", "[brunel]") {
    // scipy.special.erfcx
    struct row {
        double x, v;
    };
    const row rows[] = {{0.0, 1.0},
                        {0.5, 0.6156903441929258},
                        {1.0, 0.427583576155807},
                        {3.0, 0.17900115118138998},
                        {10.0, 0.05614099274382259},
                        {25.0, 0.022549572432641357},
                        {26.0, 0.02168358485056291},
                        {30.0, 0.018795888861416754},
                        {100.0, 0.005641613782989433},
                        {1e4, 5.641895807268084e-05},
                        {-1.0, 5.008980080762283},
                        {-3.0, 16205.988853999586},
                        {-5.0, 144009798674.66104}};
    for (const auto& r : rows) {
        INFO("x = " << r.x);
        CHECK(erfcx(r.x) == Approx(r.v).epsilon(1e-12));
    }
    // Continuity at the switch to the asymptotic series.
    CHECK(erfcx(std::nextafter(26.0, 0.0)) == Approx(erfcx(26.0)).epsilon(1e-13));
    CHECK(std::isinf(erfcx(-30.0)));
}

TEST_CASE("Siegert transfer function Phi(mu, sigma)", "[brunel]") {
    const brunel_parameters p = model_a(5.0, 2.0, 10.0);
    // At the AI fixed point Phi(mu, sigma) returns the rate itself (reference.md 2.2, first row),
    // an independent check of the integral (values from scipy quad of erfcx(-u)).
    CHECK(brunel_transfer(21.025151457118316, 7.682907052304934, p) == Approx(37.94969708576337).epsilon(1e-7));
    // Phi is increasing in mu, bounded by 1/tau_rp and tends to the deterministic limit as sigma -> 0.
    double prev = 0.0;
    for (double mu = 0.0; mu <= 60.0; mu += 5.0) {
        const double r = brunel_transfer(mu, 3.0, p);
        CHECK(r > prev);
        CHECK(r < 500.0);
        prev = r;
    }
    const double det = 1e3 / (2.0 + 20.0 * std::log((30.0 - 10.0) / (30.0 - 20.0)));
    CHECK(brunel_transfer(30.0, 0.0, p) == Approx(det).epsilon(1e-14));
    CHECK(brunel_transfer(30.0, 1e-3, p) == Approx(det).epsilon(1e-4));
    CHECK(brunel_transfer(15.0, 0.0, p) == 0.0);
    // Far below threshold the rate underflows to 0 instead of producing inf/nan.
    CHECK(brunel_transfer(0.0, 0.5, p) == 0.0);
    const double tiny = brunel_transfer(5.0, 0.8, p); // b = 18.75: ~1e-150 Hz, must be finite and positive
    CHECK(std::isfinite(tiny));
    CHECK(tiny > 0.0);
    CHECK(tiny < 1e-100);
    // Strongly suprathreshold: close to 1/(tau_rp + tau ln((mu - V_r)/(mu - theta))).
    const double big = 1e3 / (2.0 + 20.0 * std::log((200.0 - 10.0) / (200.0 - 20.0)));
    CHECK(brunel_transfer(200.0, 2.0, p) == Approx(big).epsilon(2e-3));
    CHECK_THROWS_AS(siegert_rate(10.0, -1.0, 20.0, 20.0, 10.0, 2.0), std::invalid_argument);
    CHECK_THROWS_AS(siegert_rate(10.0, 1.0, 20.0, 10.0, 20.0, 2.0), std::invalid_argument);
}

TEST_CASE("Brunel mean-field rates reproduce the reference.md 2.2 table", "[brunel]") {
    struct row {
        double g, eta, nu10, mu, sigma, nu0;
    };
    // g, eta, nu (V_r = 10 mV), mu, sigma (mV, at the V_r = 10 fixed point), nu (V_r = 0 mV)
    const row table[] = {
        {5.0, 2.0, 37.95, 21.03, 7.68, 32.03},   {6.0, 4.0, 55.84, 24.16, 10.94, 49.15},
        {4.5, 0.9, 6.52, 16.37, 3.11, 5.83},     {8.0, 2.0, 12.99, 14.02, 6.94, 12.41},
        {5.0, 1.0, 7.83, 16.09, 3.65, 7.25},     {4.0, 2.0, 105.2, 40.00, 10.45, 65.38},
        {3.0, 2.0, 327.0, 203.5, 14.72, 194.8}, // formal root (the network state is synchronous)
    };
    for (const auto& r : table) {
        INFO("g = " << r.g << ", eta = " << r.eta);
        const auto a = solve_brunel_mean_field(model_a(r.g, r.eta, 10.0));
        CHECK(a.nu == Approx(r.nu10).epsilon(rel));
        CHECK(a.mu == Approx(r.mu).epsilon(rel));
        CHECK(a.sigma == Approx(r.sigma).epsilon(rel));
        CHECK(a.fixed_points.size() == 1);
        const auto b = solve_brunel_mean_field(model_a(r.g, r.eta, 0.0));
        CHECK(b.nu == Approx(r.nu0).epsilon(rel));
        CHECK(b.fixed_points.size() == 1);
        // Self-consistency: the reported rate is a fixed point of the transfer function.
        for (const auto* res : {&a, &b}) {
            const auto p = model_a(r.g, r.eta, res == &a ? 10.0 : 0.0);
            const auto in = brunel_mu_sigma(res->nu, p);
            CHECK(in.mu == Approx(res->mu).epsilon(1e-12));
            CHECK(brunel_transfer(in.mu, in.sigma, p) == Approx(res->nu).epsilon(1e-9));
        }
    }
}

TEST_CASE("Brunel mean field: tighter check of the AI state and input conventions", "[brunel]") {
    // scipy reference (erfcx + quad + brentq): 37.94969708576337 Hz and 32.03311450386834 Hz.
    const auto ai = solve_brunel_mean_field(model_a(5.0, 2.0, 10.0));
    CHECK(ai.nu == Approx(37.94969708576337).epsilon(1e-7));
    CHECK(ai.mu == Approx(21.025151457118316).epsilon(1e-7));
    CHECK(ai.sigma == Approx(7.682907052304934).epsilon(1e-7));
    CHECK(solve_brunel_mean_field(model_a(5.0, 2.0, 0.0)).nu == Approx(32.03311450386834).epsilon(1e-7));

    // nu_thr = theta / (J C_E tau) = 10 Hz; giving nu_ext = 20 Hz directly is the same as eta = 2.
    brunel_parameters p = model_a(5.0, 0.0, 10.0);
    CHECK(p.nu_thr() == Approx(10.0).epsilon(1e-14));
    p.nu_ext = 20.0;
    CHECK(solve_brunel_mean_field(p).nu == Approx(ai.nu).epsilon(1e-10));

    // Without external drive the network is silent: nu = 0 is the only fixed point.
    const auto silent = solve_brunel_mean_field(model_a(5.0, 0.0, 10.0));
    CHECK(silent.nu == 0.0);
    CHECK(silent.mu == 0.0);

    brunel_parameters bad = model_a(5.0, 2.0, 25.0); // reset above threshold
    CHECK_THROWS_AS(solve_brunel_mean_field(bad), std::invalid_argument);
}
