// Event-driven against clock-driven neuron updates (issue 12): what a model second costs as the
// activity of a large lif_psc_delta network falls, and what event mode costs in the dense case (W3).
//
// The sparse network: 100,000 lif_psc_delta neurons (80,000 E, 20,000 I; Brunel's neuron: tau_m
// 20 ms, V_th 20 mV, V_reset 10 mV, t_ref 2 ms), fixed in-degree 80 E (0.1 mV) and 20 I (-0.4 mV),
// delay 1.5 ms, driven by independent Poisson input of 5 mV per spike (a few coincident inputs
// fire a neuron). The input rate per neuron is set for mean output rates of about 0.1, 1, 10 and
// 50 Hz (the counter rate_hz states the measured one).
// Modes: 0 clock (Poisson counts drawn per neuron and step, the clock default), 1 clock with the
// Poisson input drawn in blocks (as event mode draws it: separates the gain of lazy updates from
// that of cheaper input), 2 event, 3 auto, 4 event without the dense path (every step lazy: the
// cost of the lazy update itself where the dense path would take the clock kernel).
// sparse_exp: the same network of lif_psc_exp neurons (tau_syn 0.5 ms; each weight is the
// current whose charge gives the jump above: w mV -> w C_m / tau_syn pA), clock (0) and event (2).
// Run: build/bench/bench_event_update [--benchmark_filter=...]; bench/plot_event_update.py draws
// the cost against rate from its JSON output (docs/performance.md, "Event-driven updates").
#include "lamina/models/neuron/lif_psc_delta.hpp"
#include "lamina/models/neuron/lif_psc_exp.hpp"
#include "lamina/models/reference_networks.hpp"
#include "lamina/sim/network.hpp"

#include <benchmark/benchmark.h>
#include <memory>

using namespace lamina;

namespace {

// Poisson input rate per neuron (Hz) for each target rate (set by trial runs; rate_hz reports
// the rate reached).
// Levels 4-6 sit where auto's switch between the lazy and the clock kernel lies (about 20 % of the
// neurons touched per step), the rates at which a wrong choice would cost most.
constexpr double drive_hz[] = {37.5, 62.0, 117.0, 252.0, 150.0, 160.0, 170.0};
constexpr double target_hz[] = {0.1, 1.0, 10.0, 50.0, 18.7, 21.6, 24.6};

sim::update_mode mode_of(int m) {
    return m == 3 ? sim::update_mode::automatic : m >= 2 ? sim::update_mode::event : sim::update_mode::clock;
}

template <class M>
std::unique_ptr<sim::network> sparse_network(double drive, int mode) {
    sim::run_config cfg;
    cfg.threads = 1;
    cfg.seed = 3;
    auto net = std::make_unique<sim::network>(cfg);
    typename M::parameters p;
    p.tau_m = 20.0;
    p.E_L = 0.0;
    p.V_th = 20.0;
    p.V_reset = 10.0;
    p.t_ref = 2.0;
    double to_weight = 1.0;  // mV of jump -> the port's unit
    if constexpr (requires { p.tau_syn_ex; }) {
        p.tau_syn_ex = p.tau_syn_in = 0.5;
        to_weight = p.C_m / p.tau_syn_ex;
    }
    for (const char* name : {"E", "I"}) {
        auto& pop = net->template add_population<M>(name, name[0] == 'E' ? 80000 : 20000, p);
        pop.requested_update = mode_of(mode);
        pop.event_dense_path = mode != 4;
        pop.set_initial("V_m", sim::distribution::uniform(0.0, 15.0));
    }
    for (const char* tgt : {"E", "I"}) {
        net->connect({"", "E", tgt, sim::connection_rule::fixed_indegree(80), sim::distribution::constant(0.1 * to_weight),
                      sim::distribution::constant(1.5), "excitatory"});
        net->connect({"", "I", tgt, sim::connection_rule::fixed_indegree(20), sim::distribution::constant(-0.4 * to_weight),
                      sim::distribution::constant(1.5), "inhibitory"});
        sim::poisson_input_spec in;
        in.name = std::string("drive_") + tgt;
        in.target = tgt;
        in.rate_hz = drive;
        in.weight = 5.0 * to_weight;
        in.draw_in_blocks = mode == 1;
        net->add_poisson_input(in);
    }
    return net;
}

template <class M>
void sparse_of(benchmark::State& state) {
    const int level = static_cast<int>(state.range(0)), mode = static_cast<int>(state.range(1));
    auto net = sparse_network<M>(drive_hz[level], mode);
    net->run(200.0);  // leave the initial transient
    std::uint64_t spikes0 = 0;
    for (auto c : net->spike_counts()) spikes0 += c;
    double model_s = 0.0;
    for (auto _ : state) {
        net->run(1000.0);
        model_s += 1.0;
    }
    std::uint64_t spikes = 0;
    for (auto c : net->spike_counts()) spikes += c;
    state.counters["target_hz"] = target_hz[level];
    state.counters["rate_hz"] = double(spikes - spikes0) / (100000.0 * model_s);
    state.counters["mode"] = mode;
    state.counters["event_share"] = double(net->population_at(0).steps_event_driven) /
                                    double(net->population_at(0).steps_event_driven + net->population_at(0).steps_clock_driven);
    state.counters["wall_s_per_model_s"] =
        benchmark::Counter(model_s, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void sparse(benchmark::State& state) { sparse_of<models::lif_psc_delta>(state); }
void sparse_exp(benchmark::State& state) { sparse_of<models::lif_psc_exp>(state); }

// W3 (reference_networks.cpp) with both populations in the given mode (0 clock, 2 event, 3 auto,
// 4 event without the dense path);
// W3's Poisson drive is drawn per step in clock mode and in blocks otherwise.
void w3(benchmark::State& state) {
    const int mode = static_cast<int>(state.range(0));
    sim::run_config cfg;
    cfg.threads = 1;
    cfg.seed = 1;
    sim::network net(cfg);
    models::build_w3_brunel(net, {1.0, false});
    for (std::size_t q = 0; q < net.population_count(); ++q) {
        net.population_at(q).requested_update = mode_of(mode);
        net.population_at(q).event_dense_path = mode != 4;
    }
    net.run(100.0);
    double model_s = 0.0;
    for (auto _ : state) {
        net.run(1000.0);
        model_s += 1.0;
    }
    std::uint64_t spikes = 0;
    for (auto c : net.spike_counts()) spikes += c;
    state.counters["rate_hz"] = double(spikes) / (12500.0 * net.current_time_ms() * 1e-3);
    state.counters["mode"] = mode;
    state.counters["wall_s_per_model_s"] =
        benchmark::Counter(model_s, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

} // namespace

BENCHMARK(sparse)
    ->ArgsProduct({{0, 1, 2, 3}, {0, 1, 2, 3, 4}})
    ->ArgNames({"rate", "mode"})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(sparse)
    ->ArgsProduct({{4, 5, 6}, {0, 1, 2, 3}})
    ->ArgNames({"rate", "mode"})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(sparse_exp)
    ->ArgsProduct({{0, 1, 2, 3}, {0, 2}})
    ->ArgNames({"rate", "mode"})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(w3)->Arg(0)->Arg(2)->Arg(3)->Arg(4)->ArgName("mode")->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
