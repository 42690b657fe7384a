// Lazy (deferred) application of postsynaptic spikes against eager application. plastic_rule
// applies a target's spikes to a synapse at the synapse's next presynaptic arrival or at a flush
// (NEST's scheme; Morrison, Diesmann & Gerstner 2008), instead of walking the target's incoming
// synapses at each spike. Each synapse then sees the same hook calls in the same order, with the
// same traces and (reward STDP) the same event contexts, so weights and synapse variables must
// equal the eager ones bitwise. The eager variants below are the same rules with deferral turned
// off; the networks drive the cases where the two paths could part: full spike histories (a
// 250 Hz target between arrivals of a 3 Hz source), dynamics updates inside and between runs,
// rewards and punishments, plasticity switched off and on, weights read in the middle of runs,
// and 1 and 2 threads.
#include "lamina/plasticity/reward_stdp.hpp"
#include "lamina/plasticity/vogels_istdp.hpp"
#include "lamina/sim/plastic_rule.hpp"
#include "lamina/sim/rng.hpp"

#include "relay.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace lamina;

namespace {

struct reward_stdp_eager : plasticity::reward_stdp {
    static constexpr std::string_view name = "reward_stdp_eager";
    static constexpr bool defer_post_spikes = false;
};
struct vogels_istdp_eager : plasticity::vogels_istdp {
    static constexpr std::string_view name = "vogels_istdp_eager";
    static constexpr bool defer_post_spikes = false;
};

static_assert(sim::plastic_rule<plasticity::reward_stdp>::deferred);
static_assert(!sim::plastic_rule<reward_stdp_eager>::deferred);
static_assert(sim::plastic_rule<plasticity::vogels_istdp>::deferred);
static_assert(!sim::plastic_rule<vogels_istdp_eager>::deferred);

struct outcome {
    std::vector<float> weights;
    std::vector<std::vector<float>> vars;  // per shard and variable, concatenated
    std::uint64_t post_spikes = 0;
};

// 12 sources (rates 3 to 40 Hz, one silent) onto 6 targets (two at 250 Hz), all to all, 1 ms
// delay, dt 0.1 ms, 3 s in uneven runs with rewards, a pause of plasticity and weight reads.
template <class Rule>
outcome run(const typename Rule::parameters& p, std::size_t threads, bool read_between) {
    const double dt = test::relay_dt, T = 3000.0;
    const std::uint32_t n_pre = 12, n_post = 6;
    sim::random_stream g(11, sim::stream_purpose::user, 0x4446, 0);
    auto train = [&](double rate_hz) {
        std::vector<double> t;
        if (rate_hz <= 0.0) return t;
        const double refractory = 2.0;
        for (double x = 1.0 - std::log(g.uniform()) * 1000.0 / rate_hz; x < T - 5.0;
             x += refractory - std::log(g.uniform()) * 1000.0 / rate_hz)
            t.push_back(std::round(x / dt) * dt);
        return t;
    };
    sim::run_config cfg;
    cfg.dt_ms = dt;
    cfg.threads = threads;
    sim::network net(cfg);
    net.add_population<models::lif_psc_delta>("pre", n_pre, test::relay());
    net.add_population<models::lif_psc_delta>("post", n_post, test::relay());
    for (std::uint32_t i = 0; i < n_pre; ++i) test::drive(net, "pre", i, train(i == 0 ? 0.0 : i == 1 ? 3.0 : 40.0 * i / n_pre));
    for (std::uint32_t j = 0; j < n_post; ++j) test::drive(net, "post", j, train(j < 2 ? 250.0 : 20.0 + 10.0 * j));
    std::vector<std::uint32_t> src, tgt;
    std::vector<float> w0;
    for (std::uint32_t i = 0; i < n_pre; ++i)
        for (std::uint32_t j = 0; j < n_post; ++j) {
            src.push_back(i);
            tgt.push_back(j);
            w0.push_back(1.0f + 0.1f * float((i + j) % 7));
        }
    sim::projection_spec s{"plastic", "pre", "post", sim::connection_rule::explicit_list(src, tgt, w0),
                           sim::distribution::constant(0.0), sim::distribution::constant(1.0), "excitatory"};
    s.plasticity = std::make_shared<sim::plastic_rule<Rule>>(p);
    const auto k = net.connect(s);
    const auto recorder = net.record_spikes({"post spikes", "post", {}});
    const std::vector<std::pair<double, double>> rewards = {{123.4, 0.05}, {480.0, 0.2}, {1111.1, -0.1}, {1650.0, 0.1},
                                                           {2400.5, 0.02}};
    for (auto [t, a] : rewards) {
        net.run(t - net.current_time_ms());
        net.modulate(k, a);
        if (read_between) (void)net.weights(k);
        if (t == 1111.1) {  // plasticity off for 300 ms, then on again
            net.run(37.7);
            net.set_plasticity_enabled(k, false);
            net.run(300.0);
            net.set_plasticity_enabled(k, true);
        }
    }
    net.run(T - net.current_time_ms());
    outcome out;
    out.weights = net.weights(k);
    const auto& rule = dynamic_cast<const sim::plastic_rule<Rule>&>(net.plasticity_of(k));
    for (std::size_t sh = 0; sh < threads; ++sh)
        for (std::size_t v = 0; v < Rule::synapse_vars.size(); ++v) out.vars.push_back(rule.synapse_variable(sh, v));
    out.post_spikes = net.spikes(recorder).neurons.size();
    return out;
}

std::size_t moved(const std::vector<float>& w) {
    std::size_t m = 0;
    for (std::size_t x = 0; x < w.size(); ++x) m += std::abs(w[x] - (1.0f + 0.1f * float(((x / 6) + (x % 6)) % 7))) > 1e-3f;
    return m;
}

} // namespace

TEST_CASE("reward STDP with lazily applied post spikes equals eager application bitwise", "[plasticity][reward_stdp]") {
    plasticity::reward_stdp::parameters p;
    p.A_plus = 0.3;
    p.A_minus = 0.35;
    p.update_interval = 50.0;  // dynamics updates inside runs and at their ends
    for (std::size_t threads : {1, 2}) {
        for (bool reads : {false, true}) {
            INFO("threads " << threads << ", weights read between runs " << reads);
            const auto eager = run<reward_stdp_eager>(p, threads, false);
            const auto lazy = run<plasticity::reward_stdp>(p, threads, reads);
            CHECK(eager.post_spikes > 1500);  // two targets at 250 Hz: their histories fill
            CHECK(moved(eager.weights) > eager.weights.size() / 2);
            CHECK(lazy.weights == eager.weights);
            CHECK(lazy.vars == eager.vars);
        }
    }
}

TEST_CASE("vogels iSTDP with lazily applied post spikes equals eager application bitwise", "[plasticity][istdp]") {
    plasticity::vogels_istdp::parameters p;
    p.eta = 0.02;
    p.W_max = 8.0;
    for (std::size_t threads : {1, 2}) {
        for (bool reads : {false, true}) {
            INFO("threads " << threads << ", weights read between runs " << reads);
            const auto eager = run<vogels_istdp_eager>(p, threads, false);
            const auto lazy = run<plasticity::vogels_istdp>(p, threads, reads);
            CHECK(moved(eager.weights) > eager.weights.size() / 2);
            CHECK(lazy.weights == eager.weights);
        }
    }
}
