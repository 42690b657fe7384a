// Reward-modulated STDP (Izhikevich 2007): eligibility and weight against the closed-form solution
// for one pairing and one delayed reward; independence of the update interval; bounds (thread
// invariance: test_thread_invariance.cpp); the conditioning experiment of Izhikevich (2007, Fig. 1) on daspnet's network (a
// 100-neuron version in the default suite, the published 800 + 200 network as a [long] test).
#include "lamina/models/neuron/izhikevich.hpp"
#include "lamina/models/neuron/lif_psc_delta.hpp"
#include "lamina/plasticity/reward_stdp.hpp"
#include "lamina/sim/network.hpp"
#include "lamina/sim/plastic_rule.hpp"
#include "lamina/sim/rng.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace lamina;
using models::lif_psc_delta;
using plasticity::reward_stdp;

namespace {
// The projection's rule instance (the engine makes it from the specification's prototype).
const sim::plastic_rule<reward_stdp>& rule_of(const sim::network& net, std::size_t k) {
    return dynamic_cast<const sim::plastic_rule<reward_stdp>&>(net.plasticity_of(k));
}
} // namespace

namespace {

constexpr double dt = 0.1;

// A neuron that fires exactly one step after each input spike of a generator (jump 100 mV); the
// plastic input (a few mV) never fires it.
lif_psc_delta::parameters relay() {
    lif_psc_delta::parameters p;
    p.tau_m = 10.0;
    p.E_L = 0.0;
    p.V_th = 10.0;
    p.V_reset = 0.0;
    p.t_ref = 0.5;
    return p;
}

void drive(sim::network& net, const std::string& pop, std::uint32_t i, const std::vector<double>& stamps) {
    std::vector<double> t;
    for (double s : stamps) t.push_back(s - dt);  // generator stamp + one step delay = neuron stamp
    net.add_spike_generator({pop + std::to_string(i), pop, {i}, t, 100.0, dt, "excitatory"});
}

struct pairing_run {
    std::vector<std::vector<float>> weights;      // at each checkpoint
    std::vector<std::vector<float>> eligibility;  // var "c" at each checkpoint
};

// Pairs i: pre stamps pre[i] (arrival 1 ms later), post stamps post[i], initial weight w0[i];
// rewards (time, amount) delivered with network::modulate; weights and eligibilities read at
// `checkpoints` (multiples of the update interval).
pairing_run run_pairs(const std::vector<std::vector<double>>& pre, const std::vector<std::vector<double>>& post,
                      const std::vector<float>& w0, reward_stdp::parameters p,
                      const std::vector<std::pair<double, double>>& rewards, const std::vector<double>& checkpoints) {
    sim::run_config cfg;
    cfg.threads = 1;
    sim::network net(cfg);
    const auto n = static_cast<std::uint32_t>(pre.size());
    net.add_population<lif_psc_delta>("pre", n, relay());
    net.add_population<lif_psc_delta>("post", n, relay());
    for (std::uint32_t i = 0; i < n; ++i) {
        drive(net, "pre", i, pre[i]);
        drive(net, "post", i, post[i]);
    }
    std::vector<std::uint32_t> idx(n);
    for (std::uint32_t i = 0; i < n; ++i) idx[i] = i;
    sim::projection_spec s{"rstdp", "pre", "post", sim::connection_rule::explicit_list(idx, idx, w0),
                           sim::distribution::constant(0.0), sim::distribution::constant(1.0), "excitatory"};
    auto rule = std::make_shared<sim::plastic_rule<reward_stdp>>(p);
    s.plasticity = rule;
    const auto k = net.connect(s);
    net.record_spikes({"pre_spikes", "pre", {}});
    net.record_spikes({"post_spikes", "post", {}});
    // Events in time order: rewards (delivered at the start of their step) and checkpoints.
    struct event {
        double t;
        int kind;  // 0 reward, 1 checkpoint
        double amount;
    };
    std::vector<event> ev;
    for (auto [t, a] : rewards) ev.push_back({t, 0, a});
    for (double t : checkpoints) ev.push_back({t, 1, 0.0});
    std::stable_sort(ev.begin(), ev.end(), [](const event& a, const event& b) { return a.t < b.t; });
    pairing_run out;
    for (const auto& e : ev) {
        net.run(e.t - net.current_time_ms());
        REQUIRE(net.current_time_ms() == Approx(e.t).margin(1e-9));
        if (e.kind == 0) {
            net.modulate(k, e.amount);
            continue;
        }
        out.weights.push_back(net.synapses(k).weight);
        // The synapse variable "c" in canonical order: one-to-one, so gather by target.
        std::vector<float> c(n, 0.0f);
        std::size_t shard_offset = 0;
        for (std::size_t s2 = 0; s2 < net.shard_count(); ++s2) {
            const auto& v = rule_of(net, k).synapse_variable(s2, 0);
            const auto& sh = net.projections()[k].shards[s2];
            for (std::uint32_t src = 0; src < n; ++src)
                for (std::uint32_t x = sh.row_begin[src]; x < sh.row_begin[src + 1]; ++x) c[src] = v[x];
            shard_offset += v.size();
        }
        REQUIRE(shard_offset == n);
        out.eligibility.push_back(c);
    }
    std::size_t wanted = 0;
    for (auto& v : pre) wanted += v.size();
    REQUIRE(net.spikes(0).times_ms.size() == wanted);
    wanted = 0;
    for (auto& v : post) wanted += v.size();
    REQUIRE(net.spikes(1).times_ms.size() == wanted);
    return out;
}

// Closed form for one pairing (eligibility c0 created at t_c) and rewards R_k at t_k:
//   c(t) = c0 e^{-(t - t_c)/tau_c},  s(t) = s0 + int_{t_c}^t c(u) (d(u) + b) du.
struct closed_form {
    double tau_c = 1000.0, tau_d = 200.0, b = 0.0002;
    double eligibility(double c0, double t_c, double t) const { return t < t_c ? 0.0 : c0 * std::exp(-(t - t_c) / tau_c); }
    double weight(double s0, double c0, double t_c, const std::vector<std::pair<double, double>>& rewards, double t) const {
        if (t <= t_c) return s0;
        const double tau_cd = 1.0 / (1.0 / tau_c + 1.0 / tau_d);
        double s = s0 + c0 * b * tau_c * (1.0 - std::exp(-(t - t_c) / tau_c));
        for (auto [tr, R] : rewards) {
            // Dopamine R e^{-(u - tr)/tau_d} for u > tr; only u > max(tr, t_c) counts.
            const double from = std::max(tr, t_c);
            if (t <= from) continue;
            const double d_from = R * std::exp(-(from - tr) / tau_d), c_from = c0 * std::exp(-(from - t_c) / tau_c);
            s += c_from * d_from * tau_cd * (1.0 - std::exp(-(t - from) / tau_cd));
        }
        return s;
    }
};

} // namespace

TEST_CASE("reward_stdp refuses bad parameters", "[plasticity][reward_stdp]") {
    auto bad = [](auto change, const char* name) {
        reward_stdp::parameters p;
        change(p);
        INFO(name);
        try {
            reward_stdp::lower(p, dt, "syn");
            FAIL("accepted");
        } catch (const sim::parameter_error& e) {
            CHECK(e.parameter() == name);
        }
    };
    bad([](auto& p) { p.tau_c = 0.0; }, "tau_c");
    bad([](auto& p) { p.tau_d = -1.0; }, "tau_d");
    bad([](auto& p) { p.tau_plus = std::nan(""); }, "tau_plus");
    bad([](auto& p) { p.A_minus = -0.1; }, "A_minus");
    bad([](auto& p) { p.W_max = -1.0; }, "W_max");
    bad([](auto& p) { p.baseline = std::numeric_limits<double>::infinity(); }, "baseline");
    bad([](auto& p) { p.update_interval = 0.0; }, "update_interval");
    bad([](auto& p) { p.update_interval = 1e6; }, "update_interval");
    bad([](auto& p) { p.nearest = 0.5; }, "nearest");
    CHECK_NOTHROW(reward_stdp::lower(reward_stdp::parameters{}, dt, "syn"));
    // The registry-facing setter names the parameter.
    sim::plastic_rule<reward_stdp> r;
    CHECK_THROWS_AS(r.set_parameter("tau_e", 1.0, "syn"), sim::parameter_error);
    r.set_parameter("tau_c", -5.0, "syn");
    CHECK_THROWS_AS(r.lower(dt, "syn"), sim::parameter_error);
}

TEST_CASE("one pairing and one delayed reward follow the closed-form eligibility and weight",
          "[plasticity][reward_stdp]") {
    // Pair 0: pre arrival 100 ms, post 110 ms: c0 = A+ e^{-10/20} at 110 ms.
    // Pair 1: post 90 ms, pre arrival 100 ms: c0 = -A- e^{-10/20} at 100 ms.
    // Pair 2: pre arrival and post spike in the same step (100 ms): c0 = A+ (causal, dt = 0).
    // Reward R = 0.05 /ms (daspnet's DA += 0.5) at 1105.3 ms, between dynamics updates.
    const reward_stdp::parameters p;  // daspnet values
    const std::vector<std::vector<double>> pre = {{99.0}, {99.0}, {99.0}};
    const std::vector<std::vector<double>> post = {{110.0}, {90.0}, {100.0}};
    const std::vector<float> w0 = {1.0f, 2.0f, 1.5f};
    const std::vector<std::pair<double, double>> rewards = {{1105.3, 0.05}};
    const std::vector<double> checks = {50.0, 500.0, 1100.0, 1200.0, 1500.0, 3000.0, 8000.0};
    const double c0[3] = {0.1 * std::exp(-0.5), -0.15 * std::exp(-0.5), 0.1};
    const double tc[3] = {110.0, 100.0, 100.0};
    const closed_form F;
    const auto r = run_pairs(pre, post, w0, p, rewards, checks);
    for (std::size_t q = 0; q < checks.size(); ++q)
        for (std::size_t i = 0; i < 3; ++i) {
            INFO("pair " << i << " at " << checks[q] << " ms");
            const double w = F.weight(w0[i], c0[i], tc[i], rewards, checks[q]);
            const double c = F.eligibility(c0[i], tc[i], checks[q]);
            // Float storage: w is rounded at each of the 800 updates (half ulp 6e-8 at 1-2 mV) and
            // C at each re-referencing (relative 6e-8); a one-step (0.1 ms) timing error of the
            // reward would be 2e-5 mV, of the pairing 1e-3 mV.
            CHECK(r.weights[q][i] == Approx(w).margin(2e-6));
            CHECK(r.eligibility[q][i] == Approx(c).epsilon(5e-6).margin(1e-12));
        }
    // Hand computation of the causal pair's total gain at 8 s (paper units): the tonic dopamine
    // gives c0 b tau_c (1 - e^{-7.89}) = 0.01213 mV, the reward
    // c0 R e^{-995.3/1000} tau_cd (1 - e^{-6894.7/tau_cd}) = 0.18682 mV (tau_cd = 1000/6 ms);
    // the anti-causal pair loses 0.2956 mV.
    CHECK(double(r.weights.back()[0]) - 1.0 == Approx(0.198944).epsilon(1e-5));
    CHECK(double(r.weights.back()[1]) - 2.0 == Approx(-0.295628).epsilon(1e-5));
}

TEST_CASE("reward_stdp weights do not depend on the update interval; bounds hold exactly", "[plasticity][reward_stdp]") {
    // Several pairings and rewards in one run: the exact scheme gives the same weights for update
    // intervals of 0.1, 1, 10 and 100 ms, up to the float rounding of the weight at each update
    // (40000 updates at 0.1 ms: 4e-6 mV measured). Applying the eligibility at the updates
    // instead of at the event times would be off by ~1e-2 mV here.
    std::vector<std::vector<double>> pre, post;
    std::vector<float> w0;
    for (int i = 0; i < 20; ++i) {
        pre.push_back({99.0 + 7.3 * i, 400.0 + 3.1 * i, 1250.0});
        post.push_back({100.0 + 11.7 * i, 402.0 + 2.3 * i, 1230.0 + i});
        w0.push_back(1.0f + 0.1f * float(i));
    }
    const std::vector<std::pair<double, double>> rewards = {{300.7, 0.05}, {555.5, 0.1}, {1500.2, 0.05}};
    const std::vector<double> checks = {1000.0, 2000.0, 4000.0};
    std::vector<std::vector<float>> results;
    for (double interval : {0.1, 1.0, 10.0, 100.0}) {
        reward_stdp::parameters p;
        p.update_interval = interval;
        results.push_back(run_pairs(pre, post, w0, p, rewards, checks).weights.back());
    }
    int moved = 0;
    for (std::size_t i = 0; i < w0.size(); ++i) {
        moved += std::abs(results[0][i] - w0[i]) > 1e-3f ? 1 : 0;
        for (std::size_t m = 0; m + 1 < results.size(); ++m) CHECK(results[m][i] == Approx(results.back()[i]).margin(1e-5));
    }
    CHECK(moved > 10);

    // A huge reward drives the causal synapse to W_max and the anti-causal one to W_min exactly.
    reward_stdp::parameters p;
    const auto b = run_pairs({{99.0}, {99.0}}, {{110.0}, {90.0}}, {2.0f, 2.0f}, p, {{200.0, 50.0}}, {3000.0});
    CHECK(b.weights[0][0] == 4.0f);
    CHECK(b.weights[0][1] == 0.0f);
}

namespace {

// Reward STDP for one synapse, replayed from recorded spikes: every event applied at its own step
// in the engine's order within a step (arrival, dynamics update, post spike), with the rule's own
// functions and the engine's trace and modulator conventions: an independent account of what the
// engine's projection loops (rows, reverse index, shards) must compute.
struct immediate_reward_synapse {
    const reward_stdp::constants& c;
    double dt;
    std::int64_t every;  // dynamics interval in steps
    float w, C = 0.0f, k = 0.0f;
    double pre_value = 0.0, post_value = 0.0;
    std::int64_t pre_last = -1, post_last = -1;

    static double decay(double tau, double dt, std::int64_t since) {
        return since < 0 ? 0.0 : std::exp(-double(since) * (dt / tau));
    }
};

struct immediate_modulator {
    double dt, tau_d;
    std::int64_t since = 0;
    double start = 0.0;
    std::vector<sim::modulator_jump> jumps;
    reward_stdp::context at(const reward_stdp::constants& c, std::int64_t now) const {
        std::size_t n = 0;
        while (n < jumps.size() && jumps[n].step <= now) ++n;
        return reward_stdp::event_context(c, sim::modulator_history{dt, since, now, start,
                                                                    std::span<const sim::modulator_jump>(jumps.data(), n)});
    }
    void restart(std::int64_t step) {
        double m = start * std::exp(-double(step - since) * dt / tau_d);
        for (const auto& j : jumps) m += j.amount * std::exp(-double(step - j.step) * dt / tau_d);
        start = m;
        jumps.clear();
        since = step;
    }
};

} // namespace

TEST_CASE("reward STDP weights equal an event-by-event replay of the recorded spikes bitwise",
          "[plasticity][reward_stdp]") {
    // 16 pre neurons at ~40 Hz onto 6 post neurons at ~150 Hz, all to all, 1 ms delay, on 2
    // threads; rewards (one a punishment) arrive between runs.
    const std::uint32_t n_pre = 16, n_post = 6;
    const double T = 3000.0;
    sim::random_stream g(7, sim::stream_purpose::user, 0x5254, 0);
    auto train = [&](double rate_hz) {
        std::vector<double> t;
        const auto gap = [&] { return -std::log(g.uniform()) * 1000.0 / rate_hz; };
        for (double x = 1.0 + gap(); x < T - 5.0; x += gap())
            t.push_back(std::round(x / dt) * dt);
        t.erase(std::unique(t.begin(), t.end(), [](double a, double b) { return std::abs(a - b) < dt / 2; }), t.end());
        return t;
    };
    sim::run_config cfg;
    cfg.threads = 2;
    sim::network net(cfg);
    net.add_population<lif_psc_delta>("pre", n_pre, relay());
    net.add_population<lif_psc_delta>("post", n_post, relay());
    for (std::uint32_t i = 0; i < n_pre; ++i) drive(net, "pre", i, train(40.0));
    for (std::uint32_t j = 0; j < n_post; ++j) drive(net, "post", j, train(150.0));
    std::vector<std::uint32_t> src, tgt;
    for (std::uint32_t i = 0; i < n_pre; ++i)
        for (std::uint32_t j = 0; j < n_post; ++j) {
            src.push_back(i);
            tgt.push_back(j);
        }
    std::vector<float> w0(src.size(), 2.0f);
    sim::projection_spec s{"rstdp", "pre", "post", sim::connection_rule::explicit_list(src, tgt, w0),
                           sim::distribution::constant(0.0), sim::distribution::constant(1.0), "excitatory"};
    reward_stdp::parameters p;
    p.A_plus = 0.4;
    p.A_minus = 0.45;
    s.plasticity = std::make_shared<sim::plastic_rule<reward_stdp>>(p);
    const auto k = net.connect(s);
    net.record_spikes({"pre_spikes", "pre", {}});
    net.record_spikes({"post_spikes", "post", {}});
    const std::vector<std::pair<double, double>> rewards = {{250.3, 0.05}, {900.0, 0.2}, {1400.7, -0.1}, {2222.2, 0.1}};
    for (auto [t, a] : rewards) {
        net.run(t - net.current_time_ms());
        net.modulate(k, a);
    }
    net.run(T - net.current_time_ms());
    const auto tab = net.synapses(k);

    // Replay: spike at step n is recorded at (n + 1) dt and arrives at step n + 10.
    const auto& c = rule_of(net, k).constants();
    const auto steps_of = [&](std::size_t pop, std::uint32_t i, std::int64_t shift) {
        std::vector<std::int64_t> out;
        const auto sp = net.spikes(pop);
        for (std::size_t m = 0; m < sp.times_ms.size(); ++m)
            if (sp.neurons[m] == i) out.push_back(std::llround(sp.times_ms[m] / dt) - 1 + shift);
        return out;
    };
    const std::int64_t last_step = std::llround(T / dt);
    std::size_t post_spikes_max = 0, compared = 0, moved = 0;
    for (std::size_t x = 0; x < tab.source.size(); ++x) {
        const auto arrivals = steps_of(0, tab.source[x], 10);
        const auto posts = steps_of(1, tab.target[x], 0);
        post_spikes_max = std::max(post_spikes_max, posts.size());
        immediate_modulator mod{dt, c.tau_d};
        immediate_reward_synapse syn{c, dt, c.interval_steps, 2.0f};
        std::array<float*, 2> vars{&syn.C, &syn.k};
        std::size_t a = 0, q = 0, r = 0;
        for (std::int64_t n = 0; n < last_step; ++n) {
            while (r < rewards.size() && std::llround(rewards[r].first / dt) == n) {
                mod.jumps.push_back({n, rewards[r].second});
                ++r;
            }
            if (a < arrivals.size() && arrivals[a] == n) {
                const std::array<double, 1> pre{syn.pre_value * syn.decay(c.tau_plus, dt, syn.pre_last < 0 ? -1 : n - syn.pre_last)};
                const std::array<double, 1> post{syn.post_value * syn.decay(c.tau_minus, dt, syn.post_last < 0 ? -1 : n - syn.post_last)};
                syn.w = float(reward_stdp::on_pre(c, double(syn.w), vars, pre, post, mod.at(c, n + 1)));
                syn.pre_value = pre[0] + 1.0;
                syn.pre_last = n;
                ++a;
            }
            if ((n + 1) % syn.every == 0) {
                syn.w = float(reward_stdp::advance(c, double(syn.w), vars, n + 1 - mod.since, mod.at(c, n + 1)));
                mod.restart(n + 1);
            }
            if (q < posts.size() && posts[q] == n) {
                const std::array<double, 1> pre{syn.pre_value * syn.decay(c.tau_plus, dt, syn.pre_last < 0 ? -1 : n - syn.pre_last)};
                const std::array<double, 1> post{syn.post_value * syn.decay(c.tau_minus, dt, syn.post_last < 0 ? -1 : n - syn.post_last)};
                syn.w = float(reward_stdp::on_post(c, double(syn.w), vars, pre, post, mod.at(c, n + 1)));
                syn.post_value = post[0] + 1.0;
                syn.post_last = n;
                ++q;
            }
        }
        // Both are the weight at the synapse's last event or dynamics update.
        CHECK(tab.weight[x] == syn.w);
        compared += tab.weight[x] == syn.w;
        moved += std::abs(syn.w - 2.0f) > 0.05f;
    }
    CHECK(post_spikes_max > 300);
    CHECK(compared == tab.source.size());
    CHECK(moved > tab.source.size() / 2);
}

namespace {

// The conditioning experiment of Izhikevich (2007, Fig. 1; daspnet.m) with lamina devices.
// Network (daspnet): Ne excitatory RS (a 0.02, d 8) and Ni inhibitory (a 0.1, d 2) Izhikevich
// neurons at the paper's 1 ms step; M outgoing synapses per neuron, delay 1 ms, targets drawn
// uniformly (excitatory neurons onto any neuron, +1 mV, plastic with reward_stdp at daspnet's
// parameters; inhibitory ones onto excitatory neurons, -1 mV, static). daspnet: 800/200, M = 100.
// Thalamic input: daspnet adds a uniform current 13 (U[0,1] - 0.5) to every neuron each ms; here
// two Poisson devices per neuron (10 kHz of +w and of -w mV, zero mean, per-ms sd 4.47 w). With
// daspnet's sd (3.75 mV) the Gaussian-like counts and RK4 integration give 2.45 Hz instead of
// daspnet's 1.25 Hz (measured with a numpy port of daspnet.m; its Gaussian-noise variant gives
// 1.9 Hz), so the sd is set to reproduce daspnet's spontaneous rate of 1.25 Hz instead.
// Conditioning: synapse n1 -> n2 (n1 = g, n2 its first excitatory target contacted once) starts at
// 0; whenever n2 fires 1-19 ms after n1's last spike (a same-step pair does not count, as in
// daspnet), a reward `reward` (1/ms; daspnet's DA += 0.5 is 0.05) is delivered 1001-3000 ms later
// (ceil(2000 U), seeded stream). Rewards are checked and delivered between 1 ms runs.
// Replicas: with `groups` = G > 1, the excitatory synapses are split by source (i mod G) into G
// groups, each with its own projections and its own dopamine; group g conditions its own chosen
// synapse (n1 = g) and delivers its rewards to its own projections only. The groups share the
// network's activity but are independent experiments, G of them for the price of one run.
struct conditioning_setup {
    std::uint32_t Ne = 800, Ni = 200, M = 100;
    double noise_sd = 3.35;  // mV per ms, per neuron (1.25 Hz at 800/200)
    double reward = 0.05;
    double T_s = 3600.0;
    std::uint32_t groups = 1;
    std::uint64_t seed = 1;
    std::uint32_t stop_when_reached = 0;  // > 0: stop 60 s after this many chosen synapses reached W_max
};

struct group_result {
    double bound_time_s = -1.0;  // first time the chosen synapse reached W_max (-1: never)
    double chosen_final = 0.0;
    double others_mean = 0.0;     // the group's other plastic synapses (initially 1 mV)
    double others_high = 0.0;     // fraction of them at >= 0.9 W_max
    std::size_t others = 0, rewards = 0;
    double rate_n1 = 0.0, rate_n2 = 0.0;
    std::vector<float> history;  // chosen weight every 60 s
};
struct conditioning_result {
    std::vector<group_result> groups;
    double rate_E = 0.0, rate_I = 0.0, T_s = 0.0, wall_s = 0.0;
};

conditioning_result conditioning(const conditioning_setup& S) {
    const auto wall0 = std::chrono::steady_clock::now();
    sim::run_config cfg;
    cfg.dt_ms = 1.0;
    cfg.threads = 1;
    cfg.seed = S.seed;
    sim::network net(cfg);
    const std::uint32_t Ne = S.Ne, Ni = S.Ni, N = Ne + Ni, G = S.groups;
    net.add_population<models::izhikevich>("E", Ne, models::izhikevich::regular_spiking());
    net.add_population<models::izhikevich>("I", Ni, models::izhikevich::parameters{0.1, 0.2, -65.0, 2.0, 30.0, 0.0});
    // daspnet's connectivity: post = ceil(N rand) for excitatory rows, ceil(Ne rand) for inhibitory.
    struct lists {
        std::vector<std::uint32_t> s, t;
        std::vector<float> w;
    };
    std::vector<lists> ee(G), ei(G);
    lists ie;
    for (std::uint32_t i = 0; i < N; ++i) {
        sim::random_stream r(S.seed, sim::stream_purpose::user, 1, i);
        for (std::uint32_t m = 0; m < S.M; ++m) {
            if (i >= Ne) {
                ie.s.push_back(i - Ne);
                ie.t.push_back(static_cast<std::uint32_t>(r.uniform() * Ne));
                continue;
            }
            const auto t = static_cast<std::uint32_t>(r.uniform() * N);
            auto& L = t < Ne ? ee[i % G] : ei[i % G];
            L.s.push_back(i);
            L.t.push_back(t < Ne ? t : t - Ne);
            L.w.push_back(1.0f);
        }
    }
    std::vector<std::uint32_t> n1(G), n2(G, Ne);
    for (std::uint32_t g = 0; g < G; ++g) {
        n1[g] = g;
        std::vector<std::uint32_t> mine;
        for (std::size_t x = 0; x < ee[g].s.size(); ++x)
            if (ee[g].s[x] == g) mine.push_back(ee[g].t[x]);
        for (auto t : mine)
            if (t != g && std::count(mine.begin(), mine.end(), t) == 1) {
                n2[g] = t;
                break;
            }
        REQUIRE(n2[g] < Ne);
        for (std::size_t x = 0; x < ee[g].s.size(); ++x)
            if (ee[g].s[x] == n1[g] && ee[g].t[x] == n2[g]) ee[g].w[x] = 0.0f;
    }
    const reward_stdp::parameters rp;  // daspnet's values
    auto plastic = [&](const std::string& name, const std::string& tgt, const lists& L) {
        sim::projection_spec p{name, "E", tgt, sim::connection_rule::explicit_list(L.s, L.t, L.w),
                               sim::distribution::constant(1.0), sim::distribution::constant(1.0), "excitatory"};
        p.plasticity = std::make_shared<sim::plastic_rule<reward_stdp>>(rp);
        return net.connect(p);
    };
    std::vector<std::size_t> EE(G), EI(G);
    for (std::uint32_t g = 0; g < G; ++g) {
        EE[g] = plastic("EE" + std::to_string(g), "E", ee[g]);
        EI[g] = plastic("EI" + std::to_string(g), "I", ei[g]);
    }
    net.connect({"IE", "I", "E", sim::connection_rule::explicit_list(ie.s, ie.t), sim::distribution::constant(-1.0),
                 sim::distribution::constant(1.0), "inhibitory"});
    const double w_noise = S.noise_sd / std::sqrt(20.0);
    for (const char* pop : {"E", "I"}) {
        net.add_poisson_input({std::string("thalamus+") + pop, pop, {}, 10000.0, w_noise, "excitatory"});
        net.add_poisson_input({std::string("thalamus-") + pop, pop, {}, 10000.0, -w_noise, "inhibitory"});
    }
    std::vector<std::uint32_t> watched(n1);
    watched.insert(watched.end(), n2.begin(), n2.end());
    std::sort(watched.begin(), watched.end());
    watched.erase(std::unique(watched.begin(), watched.end()), watched.end());
    net.record_spikes({"pairs", "E", watched});
    net.build();
    // Where the chosen synapses are stored (constant delay: the target word is the index).
    std::vector<const float*> chosen(G, nullptr);
    for (std::uint32_t g = 0; g < G; ++g)
        for (const auto& sh : net.projections()[EE[g]].shards)
            for (std::uint32_t x = sh.row_begin[n1[g]]; x < sh.row_begin[n1[g] + 1]; ++x)
                if (sh.target[x] == n2[g]) chosen[g] = sh.weight.data() + x;
    for (auto* c : chosen) REQUIRE((c != nullptr && *c == 0.0f));

    conditioning_result out;
    out.groups.resize(G);
    sim::random_stream delays(S.seed, sim::stream_purpose::user, 2, 0);
    std::vector<std::vector<double>> pending(G);  // reward times, ms
    std::vector<double> last_n1(G, -1e9);
    std::vector<std::size_t> count1(G), count2(G);
    std::vector<char> fired(Ne, 0);
    std::size_t seen = 0;
    double stop_at_s = -1.0;
    const auto steps = static_cast<std::int64_t>(S.T_s * 1000.0);
    for (std::int64_t n = 0; n < steps; ++n) {
        const double now = net.current_time_ms();
        for (std::uint32_t g = 0; g < G; ++g)
            for (std::size_t q = 0; q < pending[g].size();)
                if (pending[g][q] <= now + 1e-9) {
                    net.modulate(EE[g], S.reward);
                    net.modulate(EI[g], S.reward);
                    ++out.groups[g].rewards;
                    pending[g][q] = pending[g].back();
                    pending[g].pop_back();
                } else {
                    ++q;
                }
        net.run(1.0);
        const auto& rec = net.spikes(0);
        const std::size_t first = seen;
        double t = 0.0;
        for (; seen < rec.times_ms.size(); ++seen) {
            fired[rec.neurons[seen]] = 1;
            t = rec.times_ms[seen];
        }
        if (seen > first) {
            for (std::uint32_t g = 0; g < G; ++g) {
                // n1 first: a pair within one step is not rewarded (daspnet).
                if (fired[n1[g]]) last_n1[g] = t, ++count1[g];
                if (fired[n2[g]]) {
                    ++count2[g];
                    if (t - last_n1[g] < 20.0 && t - last_n1[g] > 0.0)
                        pending[g].push_back(t + 1000.0 + std::ceil(2000.0 * delays.uniform()));
                }
            }
            for (std::size_t q = first; q < seen; ++q) fired[rec.neurons[q]] = 0;
        }
        std::uint32_t reached = 0;
        for (std::uint32_t g = 0; g < G; ++g) {
            auto& R = out.groups[g];
            if (R.bound_time_s < 0.0 && *chosen[g] >= float(rp.W_max)) R.bound_time_s = net.current_time_ms() * 1e-3;
            reached += R.bound_time_s >= 0.0;
            if ((n + 1) % 60000 == 0) R.history.push_back(*chosen[g]);
        }
        if (S.stop_when_reached > 0 && reached >= S.stop_when_reached && stop_at_s < 0.0)
            stop_at_s = net.current_time_ms() * 1e-3 + 60.0;
        if (stop_at_s >= 0.0 && net.current_time_ms() * 1e-3 >= stop_at_s - 1e-9) break;
    }
    out.T_s = net.current_time_ms() * 1e-3;
    for (std::uint32_t g = 0; g < G; ++g) {
        auto& R = out.groups[g];
        R.chosen_final = *chosen[g];
        double sum = 0.0;
        std::size_t high = 0;
        for (auto k : {EE[g], EI[g]}) {
            const auto tab = net.synapses(k);
            for (std::size_t x = 0; x < tab.weight.size(); ++x) {
                if (k == EE[g] && tab.source[x] == n1[g] && tab.target[x] == n2[g]) continue;
                sum += tab.weight[x];
                high += tab.weight[x] >= 0.9f * float(rp.W_max);
                ++R.others;
            }
        }
        R.others_mean = sum / double(R.others);
        R.others_high = double(high) / double(R.others);
        R.rate_n1 = double(count1[g]) / out.T_s;
        R.rate_n2 = double(count2[g]) / out.T_s;
    }
    out.rate_E = net.population_statistics(0).rate_hz;
    out.rate_I = net.population_statistics(1).rate_hz;
    out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    return out;
}

void report(const char* what, const conditioning_result& r) {
    std::printf("%s: %.0f s of model time in %.1f s wall; rates E %.2f Hz, I %.2f Hz\n", what, r.T_s, r.wall_s,
                r.rate_E, r.rate_I);
    for (std::size_t g = 0; g < r.groups.size(); ++g) {
        const auto& G = r.groups[g];
        std::printf("  group %zu: n1 %.2f Hz, n2 %.2f Hz, %zu rewards; chosen synapse reached W_max at %.1f s, "
                    "final %.3f mV; %zu other synapses: mean %.3f mV (start 1), %.2f %% at >= 0.9 W_max; every 60 s:",
                    g, G.rate_n1, G.rate_n2, G.rewards, G.bound_time_s, G.chosen_final, G.others, G.others_mean,
                    100.0 * G.others_high);
        for (float w : G.history) std::printf(" %.2f", w);
        std::printf("\n");
    }
}

} // namespace

// Aggregates over the replicas.
struct conditioning_summary {
    std::size_t reached = 0, others = 0;
    double chosen_mean = 0.0, others_mean = 0.0, others_high = 0.0;
    std::vector<double> bound_times_s;
};
conditioning_summary summarize(const conditioning_result& r) {
    conditioning_summary s;
    double high = 0.0;
    for (const auto& g : r.groups) {
        if (g.bound_time_s >= 0.0) ++s.reached, s.bound_times_s.push_back(g.bound_time_s);
        s.chosen_mean += g.chosen_final / double(r.groups.size());
        s.others_mean += g.others_mean * double(g.others);
        high += g.others_high * double(g.others);
        s.others += g.others;
    }
    s.others_mean /= double(s.others);
    s.others_high = high / double(s.others);
    std::sort(s.bound_times_s.begin(), s.bound_times_s.end());
    return s;
}

TEST_CASE("conditioning (Izhikevich 2007) in a 100-neuron daspnet network: the rewarded synapses grow to W_max",
          "[plasticity][reward_stdp]") {
    // The default-suite version of the experiment (the paper's network is the [long] test below):
    // 80 + 20 neurons with daspnet's 10 % connectivity (M = 10), thalamic noise sd 3.45 mV per ms
    // for daspnet's 1.25 Hz, rewards twice daspnet's (0.1 /ms), 700 s of model time, 8 replica
    // groups with their own dopamine. Calibration over seeds 1-3: 7, 4 and 7 of the 8 chosen
    // synapses reached W_max within 700 s, their mean final weight was 3.6, 2.8 and 3.6 mV, the
    // other synapses' mean 1.06, 0.95 and 0.96 mV with 4-5 % of them at >= 0.9 W_max (the noise of
    // random eligibility at reward times). A synapse that the rule does not single out reaches
    // W_max about as often as the others (~5 %): 3 of 8 then has a probability below 1 %.
    conditioning_setup c;
    c.Ne = 80;
    c.Ni = 20;
    c.M = 10;
    c.noise_sd = 3.45;
    c.reward = 0.1;
    c.T_s = 700.0;
    c.groups = 8;
    c.seed = 1;
    const auto r = conditioning(c);
    report("conditioning, 100 neurons, 8 replicas, reward 0.1 /ms", r);
    const auto s = summarize(r);
    std::printf("  %zu of 8 chosen synapses reached W_max (at", s.reached);
    for (double t : s.bound_times_s) std::printf(" %.0f", t);
    std::printf(" s); chosen mean final %.2f mV; others: mean %.3f mV, %.1f %% at >= 0.9 W_max\n", s.chosen_mean,
                s.others_mean, 100.0 * s.others_high);
    CHECK(r.rate_E == Approx(1.25).margin(0.25));
    CHECK(s.reached >= 3);
    CHECK(s.chosen_mean >= 2.0);
    CHECK(s.chosen_mean >= 2.0 * s.others_mean);
    CHECK(s.others_mean <= 1.2);
    CHECK(s.others_high <= 0.10);
}

TEST_CASE("conditioning (Izhikevich 2007) in daspnet's 800 + 200 network: the rewarded synapses reach W_max "
          "within the hour of the paper",
          "[plasticity][reward_stdp][long]") {
    // daspnet as published (M = 100, rewards 0.05 /ms, noise sd 3.35 mV for its 1.25 Hz), with
    // 4 replica groups; stops 60 s after the third chosen synapse reaches W_max, at most after
    // daspnet's T = 3600 s. References (seed 1, one chosen synapse): a numpy port of daspnet.m
    // reached W_max at 863 s, others' mean 0.68 mV at 1000 s, 0.72 mV (3.1 % at >= 0.9 W_max) at
    // 1800 s and 0.81 mV (4.7 %) at 3600 s; this network with one group reached W_max at 838 s,
    // others' mean 0.73 mV (2.2 % at >= 0.9 W_max) at 1800 s. This test (seed 1): W_max at 838,
    // 1053 and 1498 s (the fourth at 2.47 mV when it stopped at 1558 s), others' mean 0.71 mV,
    // 1.3 % at >= 0.9 W_max; about 15 min wall.
    conditioning_setup c;
    c.noise_sd = 3.35;
    c.reward = 0.05;
    c.T_s = 3600.0;
    c.groups = 4;
    c.seed = 1;
    c.stop_when_reached = 3;
    const auto r = conditioning(c);
    report("conditioning, daspnet 800 + 200, 4 replicas, reward 0.05 /ms", r);
    const auto s = summarize(r);
    std::printf("  %zu of 4 chosen synapses reached W_max (at", s.reached);
    for (double t : s.bound_times_s) std::printf(" %.0f", t);
    std::printf(" s); chosen mean final %.2f mV; others: mean %.3f mV, %.1f %% at >= 0.9 W_max\n", s.chosen_mean,
                s.others_mean, 100.0 * s.others_high);
    CHECK(r.rate_E == Approx(1.25).margin(0.25));
    CHECK(s.reached >= 3);
    CHECK(s.others_mean <= 1.0);
    CHECK(s.others_high <= 0.10);
}

// Calibration tool (hidden): the experiment with its setup from RSTDP_* environment variables, e.g.
//   RSTDP_NE=80 RSTDP_NI=20 RSTDP_M=10 RSTDP_SD=3.45 RSTDP_R=0.1 RSTDP_G=8 RSTDP_T=700 RSTDP_SEED=2 \
//   test_plasticity "conditioning experiment from the environment"
// Tagged [tool]: ctest never lists it (tests/CMakeLists.txt); without RSTDP_T it does nothing.
TEST_CASE("conditioning experiment from the environment", "[.][tool][reward_stdp_calibration]") {
    if (!std::getenv("RSTDP_T")) {
        SUCCEED("set RSTDP_T (and RSTDP_*) to run");
        return;
    }
    auto env = [](const char* n, double d) { return std::getenv(n) ? std::atof(std::getenv(n)) : d; };
    conditioning_setup c;
    c.T_s = env("RSTDP_T", 60.0);
    c.reward = env("RSTDP_R", 0.05);
    c.seed = std::uint64_t(env("RSTDP_SEED", 1));
    c.noise_sd = env("RSTDP_SD", 3.35);
    c.Ne = std::uint32_t(env("RSTDP_NE", 800));
    c.Ni = std::uint32_t(env("RSTDP_NI", 200));
    c.M = std::uint32_t(env("RSTDP_M", 100));
    c.groups = std::uint32_t(env("RSTDP_G", 1));
    c.stop_when_reached = std::uint32_t(env("RSTDP_STOP", 0));
    report("conditioning (environment)", conditioning(c));
}
