// Spike delivery: timing (a spike of step n with delay d arrives in step n + d), sums, ports,
// min-delay windows, and bitwise reproducibility across thread counts and split runs.
#include "test_models.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <memory>
#include <set>

using namespace lamina::sim;
using lamina::sim::test::probe;
using lamina::sim::test::trace;

namespace {

constexpr double dt = 0.1;

std::unique_ptr<network> make_net(int threads = 1, std::uint64_t seed = 1) {
    run_config cfg;
    cfg.dt_ms = dt;
    cfg.threads = threads;
    cfg.seed = seed;
    return std::make_unique<network>(cfg);
}

// Records ex, in and g of every neuron of `pop` in every step: sample s is the input of step s.
std::size_t record_inputs(network& net, const std::string& pop) {
    state_recorder_spec r;
    r.population = pop;
    r.variables = {"ex", "in", "g"};
    r.interval_ms = dt;
    return net.record_state(r);
}

std::int64_t step_of_stamp(double t_ms) { return std::llround(t_ms / dt) - 1; }

// Expected input per (target, step) from the synapse table of a projection and the spike steps of
// each source neuron.
void add_expected(std::vector<std::vector<double>>& expected, const network::synapse_table& t,
                  const std::vector<std::vector<std::int64_t>>& spikes_of_source) {
    for (std::size_t m = 0; m < t.source.size(); ++m) {
        const auto d = std::llround(t.delay_ms[m] / dt);
        for (auto n : spikes_of_source.at(t.source[m])) {
            const auto arrival = static_cast<std::size_t>(n + d);
            auto& row = expected.at(t.target[m]);
            if (arrival < row.size()) row[arrival] += double(t.weight[m]);
        }
    }
}

std::vector<std::vector<std::int64_t>> spike_steps(const spike_record& r, std::size_t n) {
    std::vector<std::vector<std::int64_t>> out(n);
    for (std::size_t k = 0; k < r.times_ms.size(); ++k) out.at(r.neurons[k]).push_back(step_of_stamp(r.times_ms[k]));
    return out;
}

// Compares recorded traces of variable `var` with the expected input, reporting the first mismatch.
void check_traces(const state_record& rec, std::size_t var, const std::vector<std::vector<double>>& expected,
                  double tol = 0.0) {
    for (std::size_t j = 0; j < expected.size(); ++j) {
        const auto got = trace(rec, j, var);
        REQUIRE(got.size() >= expected[j].size());
        for (std::size_t n = 0; n < expected[j].size(); ++n) {
            if (std::abs(got[n] - expected[j][n]) > tol) {
                FAIL_CHECK("variable " << rec.variables[var] << ", neuron " << j << ", step " << n << ": got "
                                       << got[n] << ", expected " << expected[j][n]);
                break;
            }
        }
    }
}

} // namespace

TEST_CASE("a spike generator's spike of step n arrives in step n + d", "[sim][delivery]") {
    for (int threads : {1, 2}) {
        INFO("threads " << threads);
        auto net = make_net(threads);
        net->add_population<probe>("t", 40);
        // One generator per delay, each onto its own neuron; spikes stamped 1.0 ms (step 9).
        const std::vector<double> delays{0.1, 0.2, 0.5, 1.3, 2.0, 3.7};
        const std::vector<std::uint32_t> targets{0, 5, 17, 18, 33, 39};
        for (std::size_t k = 0; k < delays.size(); ++k) {
            spike_generator_spec g;
            g.name = "g" + std::to_string(k);
            g.target = "t";
            g.neurons = {targets[k]};
            g.times_ms = {1.0, 2.5};
            g.weight = 1.0 + double(k);
            g.delay_ms = delays[k];
            net->add_spike_generator(g);
        }
        const auto rec = record_inputs(*net, "t");
        net->run(8.0);
        std::vector<std::vector<double>> expected(40, std::vector<double>(80, 0.0));
        for (std::size_t k = 0; k < delays.size(); ++k) {
            const auto d = std::llround(delays[k] / dt);
            expected[targets[k]][9 + d] += 1.0 + double(k);
            expected[targets[k]][24 + d] += 1.0 + double(k);
        }
        check_traces(net->states(rec), 0, expected);
    }
}

TEST_CASE("a neuron's spike of step n arrives in step n + d, for several delays", "[sim][delivery]") {
    // src spikes in step 12 only; one projection per delay onto its own target neuron.
    const std::vector<std::int64_t> delays{1, 2, 3, 7, 15, 40};
    for (int threads : {1, 2}) {
        INFO("threads " << threads);
        auto net = make_net(threads);
        probe::parameters sp;
        sp.spike_at = 12;
        net->add_population<probe>("src", 1, sp);
        net->add_population<probe>("t", 40);
        for (std::size_t k = 0; k < delays.size(); ++k) {
            projection_spec p;
            p.source = "src";
            p.target = "t";
            p.rule = connection_rule::explicit_list({0}, {static_cast<std::uint32_t>(7 * k)});
            p.weight = distribution::constant(0.5 + double(k));
            p.delay_ms = distribution::constant(double(delays[k]) * dt);
            net->connect(p);
        }
        const auto rec = record_inputs(*net, "t");
        net->run(7.0);
        std::vector<std::vector<double>> expected(40, std::vector<double>(70, 0.0));
        for (std::size_t k = 0; k < delays.size(); ++k) expected[7 * k][12 + delays[k]] = 0.5 + double(k);
        check_traces(net->states(rec), 0, expected);
    }
}

TEST_CASE("per-synapse random delays: each synapse's input appears at its own delay", "[sim][delivery]") {
    for (int threads : {1, 2, 4}) {
        INFO("threads " << threads);
        auto net = make_net(threads, 3);
        // Three sources spiking in steps 5, 25, 45, ...; each target hears all three, each synapse
        // with its own delay (1..30 steps) and weight.
        probe::parameters sp;
        sp.spike_every = 20;
        sp.spike_phase = 5;
        net->add_population<probe>("src", 3, sp);
        net->add_population<probe>("t", 50);
        projection_spec p;
        p.source = "src";
        p.target = "t";
        p.rule = connection_rule::all_to_all();
        p.weight = distribution::normal(1.0, 0.5);
        p.delay_ms = distribution::uniform(0.1, 3.0);
        net->connect(p);
        // A second projection with one weight for all synapses but random delays, onto the
        // inhibitory port.
        p.weight = distribution::constant(-0.25);
        p.delay_ms = distribution::uniform(0.2, 2.5);
        p.port = "inhibitory";
        net->connect(p);
        const auto rec = record_inputs(*net, "t");
        const auto srec = net->record_spikes({"s", "src", {}});
        net->run(10.0);
        const auto t = net->synapses(0);
        REQUIRE(t.source.size() == 150);
        // The delays really differ (otherwise this would test nothing new).
        std::set<double> distinct(t.delay_ms.begin(), t.delay_ms.end());
        CHECK(distinct.size() >= 20);
        std::vector<std::vector<std::int64_t>> src_steps(3);
        for (auto& s : src_steps)
            for (std::int64_t n = 5; n < 100; n += 20) s.push_back(n);
        CHECK(spike_steps(net->spikes(srec), 3) == src_steps);
        std::vector<std::vector<double>> expected(50, std::vector<double>(100, 0.0));
        add_expected(expected, t, src_steps);
        check_traces(net->states(rec), 0, expected, 1e-12);
        REQUIRE(net->projections()[1].homogeneous_weight);
        std::vector<std::vector<double>> inh(50, std::vector<double>(100, 0.0));
        add_expected(inh, net->synapses(1), src_steps);
        check_traces(net->states(rec), 1, inh, 1e-12);
    }
}

TEST_CASE("weights to the same target in the same step add up, ports are kept apart", "[sim][delivery]") {
    auto net = make_net(2);
    probe::parameters sp;
    sp.spike_at = 4;
    net->add_population<probe>("src", 5, sp);
    net->add_population<probe>("t", 3);
    // Five synapses onto t[0] (one multapse 3 -> 0 twice), all with delay 3: arrival in step 7.
    projection_spec e;
    e.source = "src";
    e.target = "t";
    e.rule = connection_rule::explicit_list({0, 1, 2, 3, 3}, {0, 0, 0, 0, 0}, {1.5f, 2.25f, -0.5f, 0.125f, 0.125f},
                                            {0.3, 0.3, 0.3, 0.3, 0.3});
    net->connect(e);
    // An inhibitory and a conductance projection onto the same neuron and step.
    projection_spec i = e;
    i.port = "inhibitory";
    i.rule = connection_rule::explicit_list({4, 0}, {0, 0}, {-3.0f, -0.25f}, {0.3, 0.3});
    net->connect(i);
    projection_spec g = e;
    g.port = "conductance";
    g.rule = connection_rule::explicit_list({1}, {0}, {0.75f}, {0.3});
    net->connect(g);
    // A generator spike onto the same neuron and port arriving in the same step (stamp 0.5 ms =
    // step 4, delay 0.3 ms), and one onto t[1] only.
    net->add_spike_generator({"gen", "t", {0}, {0.5, 0.5}, 10.0, 0.3, "excitatory"});
    net->add_spike_generator({"gen1", "t", {1}, {0.5}, 4.0, 0.3, "inhibitory"});
    const auto rec = record_inputs(*net, "t");
    net->run(2.0);
    const auto& r = net->states(rec);
    std::vector<std::vector<double>> ex(3, std::vector<double>(20, 0.0)), in = ex, gg = ex;
    ex[0][7] = 1.5 + 2.25 - 0.5 + 0.125 + 0.125 + 20.0;
    in[0][7] = -3.25;
    in[1][7] = 4.0;
    gg[0][7] = 0.75;
    check_traces(r, 0, ex);
    check_traces(r, 1, in);
    check_traces(r, 2, gg);
}

TEST_CASE("min-delay windows longer than one step deliver at the right step", "[sim][delivery]") {
    // Smallest delay 5 steps: the engine advances in windows of 5 steps. Sources spike every 7
    // steps, so spikes fall on every position within a window; the delays 5 (= the window), 6, 9
    // and 23 steps land both at the first and the last step of later windows.
    for (int threads : {1, 2, 4}) {
        INFO("threads " << threads);
        auto net = make_net(threads);
        probe::parameters sp;
        sp.spike_every = 7;
        sp.spike_phase = 2;
        net->add_population<probe>("src", 1, sp);
        net->add_population<probe>("t", 40);
        const std::vector<std::int64_t> delays{5, 6, 9, 23};
        for (std::size_t k = 0; k < delays.size(); ++k) {
            projection_spec p;
            p.source = "src";
            p.target = "t";
            p.rule = connection_rule::explicit_list({0}, {static_cast<std::uint32_t>(10 * k)});
            p.weight = distribution::constant(1.0 + double(k));
            p.delay_ms = distribution::constant(double(delays[k]) * dt);
            net->connect(p);
        }
        // A random-delay projection (5..20 steps) onto neurons 30..39 and a generator whose delay
        // (1 step) is shorter than the window.
        projection_spec p;
        p.source = "src";
        p.target = "t";
        p.rule = connection_rule::explicit_list({0, 0, 0, 0, 0}, {31, 33, 35, 37, 39});
        p.weight = distribution::uniform(0.5, 1.5);
        p.delay_ms = distribution::uniform(0.5, 2.0);
        const auto k_rand = net->connect(p);
        net->add_spike_generator({"gen", "t", {36}, {0.5, 0.9, 1.3, 1.7}, 2.0, 0.1, "excitatory"});
        const auto rec = record_inputs(*net, "t");
        net->run(10.0);
        REQUIRE(net->statistics().min_delay_steps == 5);
        std::vector<std::vector<double>> expected(40, std::vector<double>(100, 0.0));
        std::vector<std::vector<std::int64_t>> src_steps(1);
        for (std::int64_t n = 2; n < 100; n += 7) src_steps[0].push_back(n);
        for (std::size_t k = 0; k < delays.size(); ++k)
            for (auto n : src_steps[0])
                if (n + delays[k] < 100) expected[10 * k][n + delays[k]] += 1.0 + double(k);
        add_expected(expected, net->synapses(k_rand), src_steps);
        for (double t : {0.5, 0.9, 1.3, 1.7}) expected[36][step_of_stamp(t) + 1] += 2.0;
        check_traces(net->states(rec), 0, expected, 1e-12);
    }
}

TEST_CASE("delays longer than the longest window (64 steps) are delivered at the right step", "[sim][delivery]") {
    for (int threads : {1, 2}) {
        INFO("threads " << threads);
        auto net = make_net(threads);
        probe::parameters sp;
        sp.spike_every = 37;
        sp.spike_phase = 11;
        net->add_population<probe>("src", 1, sp);
        net->add_population<probe>("t", 4);
        const std::vector<std::int64_t> delays{70, 100, 129};
        for (std::size_t k = 0; k < delays.size(); ++k) {
            projection_spec p;
            p.source = "src";
            p.target = "t";
            p.rule = connection_rule::explicit_list({0}, {static_cast<std::uint32_t>(k)});
            p.weight = distribution::constant(1.0 + double(k));
            p.delay_ms = distribution::constant(double(delays[k]) * dt);
            net->connect(p);
        }
        const auto rec = record_inputs(*net, "t");
        net->run(40.0);
        std::vector<std::vector<double>> expected(4, std::vector<double>(400, 0.0));
        for (std::size_t k = 0; k < delays.size(); ++k)
            for (std::int64_t n = 11; n < 400; n += 37)
                if (n + delays[k] < 400) expected[k][n + delays[k]] += 1.0 + double(k);
        check_traces(net->states(rec), 0, expected);
    }
}

namespace {

// A small random network of probe neurons: Poisson drive on the conductance port, recurrent
// excitation and inhibition with heterogeneous weights and delays (smallest 3 steps, so windows
// of 3 steps that do not divide a 50 ms run).
std::unique_ptr<network> random_network(int threads) {
    auto net = make_net(threads, 2024);
    probe::parameters pe, pi;
    pe.tau = 10.0;
    pe.v_th = 15.0;
    pi.tau = 5.0;
    pi.v_th = 8.0;
    net->add_population<probe>("e", 200, pe);
    net->add_population<probe>("i", 50, pi);
    net->find_population("e").set_initial("v", distribution::uniform(0.0, 15.0));
    poisson_input_spec pin;
    pin.name = "drive_e";
    pin.target = "e";
    pin.rate_hz = 1500.0;
    pin.weight = 1.0;
    pin.port = "conductance";
    net->add_poisson_input(pin);
    pin.name = "drive_i";
    pin.target = "i";
    net->add_poisson_input(pin);
    auto add = [&](std::string s, std::string t, connection_rule r, distribution w, distribution d, std::string port) {
        projection_spec p;
        p.source = std::move(s);
        p.target = std::move(t);
        p.rule = std::move(r);
        p.weight = w;
        p.delay_ms = d;
        p.port = std::move(port);
        net->connect(p);
    };
    add("e", "e", connection_rule::pairwise_bernoulli(0.1, false), distribution::normal(0.4, 0.2),
        distribution::uniform(0.3, 2.0), "excitatory");
    add("e", "i", connection_rule::fixed_indegree(20), distribution::uniform(0.2, 0.8), distribution::constant(0.5),
        "excitatory");
    add("i", "e", connection_rule::fixed_outdegree(40), distribution::normal(-1.0, 0.3),
        distribution::uniform(0.3, 1.0), "inhibitory");
    add("i", "i", connection_rule::all_to_all(false), distribution::constant(-0.5), distribution::constant(0.4),
        "inhibitory");
    net->record_spikes({"se", "e", {}});
    net->record_spikes({"si", "i", {}});
    net->record_state({"ve", "e", {"v", "ex", "in"}, {}, dt});
    net->record_state({"vi", "i", {"v", "g"}, {3, 7, 49}, 0.5});
    net->record_rate({"re", "e", 1.0});
    return net;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t k = 0; k < a.size(); ++k)
        if (std::memcmp(&a[k], &b[k], sizeof(double)) != 0) {
            UNSCOPED_INFO("first difference at index " << k << ": " << a[k] << " vs " << b[k]);
            return false;
        }
    return true;
}

// compare_events: synaptic_events() counts deliveries made so far, and the spikes of a run's last
// window are delivered (and counted) only when the next run starts, so the count depends on where
// runs end; it is compared only between networks that ran the same windows.
void check_identical(network& a, network& b, bool compare_events = true) {
    for (std::size_t r = 0; r < 2; ++r) {
        INFO("spike recorder " << r);
        CHECK(same_bits(a.spikes(r).times_ms, b.spikes(r).times_ms));
        CHECK(a.spikes(r).neurons == b.spikes(r).neurons);
        INFO("state recorder " << r);
        CHECK(same_bits(a.states(r).times_ms, b.states(r).times_ms));
        CHECK(same_bits(a.states(r).values, b.states(r).values));
    }
    CHECK(same_bits(a.rates(0).bin_start_ms, b.rates(0).bin_start_ms));
    CHECK(same_bits(a.rates(0).rate_hz, b.rates(0).rate_hz));
    CHECK(a.spike_counts() == b.spike_counts());
    if (compare_events) CHECK(a.synaptic_events() == b.synaptic_events());
    for (std::size_t q = 0; q < 2; ++q)
        for (std::size_t v = 0; v < probe::state_names.size(); ++v) {
            const auto& pa = a.population_at(q);
            const auto& pb = b.population_at(q);
            std::vector<double> xa(pa.state(v), pa.state(v) + pa.size()), xb(pb.state(v), pb.state(v) + pb.size());
            INFO("final state " << probe::state_names[v] << " of population " << q);
            CHECK(same_bits(xa, xb));
        }
}

} // namespace

TEST_CASE("a random network's recorded input is what its spikes and synapses predict", "[sim][delivery]") {
    auto net = random_network(2);
    net->run(60.0);
    const auto se = spike_steps(net->spikes(0), 200);
    const auto si = spike_steps(net->spikes(1), 50);
    // The network is active but not saturated.
    CHECK(net->spike_counts()[0] > 200);
    CHECK(net->spike_counts()[0] < 200 * 600 / 4);
    CHECK(net->spike_counts()[1] > 50);
    std::vector<std::vector<double>> ex(200, std::vector<double>(600, 0.0)), in = ex;
    add_expected(ex, net->synapses(0), se);
    add_expected(in, net->synapses(2), si);
    check_traces(net->states(0), 1, ex, 1e-9);
    check_traces(net->states(0), 2, in, 1e-9);
}

TEST_CASE("results are bitwise identical for 1, 2, 3 and 4 threads", "[sim][delivery]") {
    auto n1 = random_network(1);
    auto n2 = random_network(2);
    auto n3 = random_network(3);
    auto n4 = random_network(4);
    n1->run(100.0);
    n2->run(100.0);
    n3->run(100.0);
    n4->run(100.0);
    REQUIRE(n1->spike_counts()[0] > 0);
    REQUIRE(n1->spike_counts()[1] > 0);
    REQUIRE(n4->shard_count() == 4);
    check_identical(*n1, *n2);
    check_identical(*n1, *n3);
    check_identical(*n1, *n4);
}

TEST_CASE("run(50) twice equals run(100) once", "[sim][delivery]") {
    for (int threads : {1, 2}) {
        INFO("threads " << threads);
        auto once = random_network(threads);
        auto twice = random_network(threads);
        once->run(100.0);
        twice->run(50.0);
        CHECK(twice->current_step() == 500);
        twice->run(50.0);
        CHECK(twice->current_step() == 1000);
        CHECK(once->current_step() == 1000);
        REQUIRE(once->spike_counts()[0] > 0);
        check_identical(*once, *twice, false);
        CHECK(once->states(0).times_ms.size() == 1000);
        CHECK(once->rates(0).rate_hz.size() == 100);
    }
}

TEST_CASE("runs split anywhere (mid-window, mid-bin, mid-interval) equal one run", "[sim][delivery]") {
    auto once = random_network(2);
    auto parts = random_network(2);
    once->run_steps(1000);
    for (std::int64_t steps : {1, 502, 4, 63, 430}) parts->run_steps(steps);
    REQUIRE(parts->current_step() == 1000);
    check_identical(*once, *parts, false);
}

namespace {
// A spike generator whose only spike comes after every run here: it adds nothing, but a population
// that a generator targets takes its input straight into the ring instead of through
// per-arrival-step lists (arrival_lists.hpp), so the two schemes can be compared.
void add_silent_generator(network& net, const std::string& pop) {
    spike_generator_spec g;
    g.name = "silent_" + pop;
    g.target = pop;
    g.times_ms = {1.0e6};
    g.weight = 1.0;
    g.delay_ms = 0.5;
    net.add_spike_generator(g);
}
} // namespace

TEST_CASE("input delivered per arrival step has bitwise the sums of delivery straight into the ring",
          "[sim][delivery]") {
    for (int threads : {1, 3}) {
        INFO("threads " << threads);
        auto lists = random_network(threads);
        auto straight = random_network(threads);
        add_silent_generator(*straight, "e");
        add_silent_generator(*straight, "i");
        lists->build();
        straight->build();
        // "e" has projections with per-synapse delays: it gets lists; "i"'s input has constant
        // delays and stays straight in both.
        CHECK(lists->statistics().arrival_list_populations == 1);
        CHECK(straight->statistics().arrival_list_populations == 0);
        lists->run(100.0);
        straight->run(100.0);
        REQUIRE(lists->spike_counts()[0] > 200);
        check_identical(*lists, *straight);
    }
}

TEST_CASE("input delivered per arrival step keeps the order of the terms of every input cell", "[sim][delivery]") {
    // Dense input: 120 sources spiking every 3-4 steps onto 40 targets, all to all, with delays of
    // 1-8 steps, so that each (step, target) cell sums some 35 weights whose magnitudes span more
    // than a double's 53 bits: a change of the order of the terms changes some cell's rounding
    // (summing the two projections in the other order does; so does listing a step backwards).
    auto make = [](bool straight) {
        auto net = make_net(2, 99);
        probe::parameters sp;
        sp.spike_every = 3;
        net->add_population<probe>("src", 60, sp);
        sp.spike_every = 4;
        sp.spike_phase = 1;
        net->add_population<probe>("src2", 60, sp);
        net->add_population<probe>("t", 40);
        for (const char* source : {"src", "src2"}) {
            projection_spec p;
            p.source = source;
            p.target = "t";
            p.rule = connection_rule::all_to_all();
            p.weight = distribution::lognormal(0.0, 6.0);  // float weights over some 70 binary orders
            p.delay_ms = distribution::uniform(0.1, 0.8);
            net->connect(p);
        }
        if (straight) add_silent_generator(*net, "t");
        net->record_state({"in_t", "t", {"ex"}, {}, dt});
        return net;
    };
    auto lists = make(false);
    auto straight = make(true);
    lists->run(30.0);
    straight->run(30.0);
    CHECK(lists->statistics().arrival_list_populations == 1);
    CHECK(straight->statistics().arrival_list_populations == 0);
    const auto& a = lists->states(0);
    REQUIRE(a.values.size() == 300 * 40);
    CHECK(same_bits(a.values, straight->states(0).values));
    // The sums are not trivially exact: adding the same terms in another order changes some.
    const auto t = lists->synapses(0), t2 = lists->synapses(1);
    std::vector<std::vector<double>> forward(40, std::vector<double>(300, 0.0)), backward = forward;
    std::vector<std::vector<std::int64_t>> s1(60), s2(60);
    for (std::int64_t n = 0; n < 300; ++n)
        for (std::size_t i = 0; i < 60; ++i) {
            if (n % 3 == 0) s1[i].push_back(n);
            if (n % 4 == 1) s2[i].push_back(n);
        }
    add_expected(forward, t, s1);
    add_expected(forward, t2, s2);
    add_expected(backward, t2, s2);
    add_expected(backward, t, s1);
    std::size_t differ = 0;
    for (std::size_t j = 0; j < 40; ++j)
        for (std::size_t n = 0; n < 300; ++n) differ += forward[j][n] != backward[j][n];
    CHECK(differ > 0);
}

TEST_CASE("a spike generator added mid-run moves a population from arrival lists to the ring, same sums",
          "[sim][delivery]") {
    auto lists = random_network(2);
    auto straight = random_network(2);
    add_silent_generator(*straight, "e");
    lists->run_steps(433);  // events of later steps wait in the lists
    straight->run_steps(433);
    add_silent_generator(*lists, "e");
    lists->run_steps(567);
    straight->run_steps(567);
    check_identical(*lists, *straight);
}
