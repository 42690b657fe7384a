// examples/cobahh.toml (Brette et al. 2007 benchmark 3, the Brian2 COBAHH model) against Brian2
// running the same model (bench/peers/brian2/cobahh.py): population rates within 10 %, and the
// same spikes on 1 and 2 threads.
#include "cli_harness.hpp"

#include "lamina/compose/model_file.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace lamina;
using test::repository;

namespace {

struct cobahh_run {
    double rate_E = 0.0, rate_I = 0.0;
    std::vector<double> times;
    std::vector<std::uint32_t> neurons;
};

cobahh_run run_cobahh(std::uint64_t seed, int threads) {
    auto d = compose::load_model_file((repository() / "examples/cobahh.toml").string());
    REQUIRE(d.run.duration_ms == 1000.0);
    compose::run_overrides o;
    o.seed = seed;
    o.threads = threads;
    auto net = compose::instantiate(d, o);
    net->run(d.run.duration_ms);
    REQUIRE(net->spike_recorder_count() == 2);
    cobahh_run r;
    r.rate_E = double(net->spikes(0).times_ms.size()) / 3200.0;
    r.rate_I = double(net->spikes(1).times_ms.size()) / 800.0;
    r.times = net->spikes(0).times_ms;
    r.neurons = net->spikes(0).neurons;
    return r;
}

} // namespace

TEST_CASE("cobahh: rates within 10 % of Brian2 running the same model; thread-invariant", "[cobahh][peer]") {
    // Brian2 2.5.1, cpp_standalone, bench/peers/brian2/cobahh.py (delay 0.1 ms as lamina), 1 s,
    // seeds 1-3: E / I rates averaged over the seeds (docs/validation.md lists each run).
    const double brian2_E = 35.13, brian2_I = 35.35;
    const auto one = run_cobahh(1, 1);
    const auto two = run_cobahh(1, 2);
    CHECK(one.times == two.times);
    CHECK(one.neurons == two.neurons);
    const auto other = run_cobahh(2, 1);
    const double E = 0.5 * (one.rate_E + other.rate_E), I = 0.5 * (one.rate_I + other.rate_I);
    INFO("lamina E " << one.rate_E << " / " << other.rate_E << " Hz, I " << one.rate_I << " / " << other.rate_I
                     << " Hz; Brian2 E " << brian2_E << ", I " << brian2_I);
    CHECK(std::abs(E - brian2_E) <= 0.1 * brian2_E);
    CHECK(std::abs(I - brian2_I) <= 0.1 * brian2_I);
}
