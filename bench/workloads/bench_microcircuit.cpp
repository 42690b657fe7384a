// The Potjans & Diesmann (2014) microcircuit (examples/potjans_diesmann_2014.toml and its DC-drive
// variant) downscaled in neuron numbers with every in-degree kept (synapse totals scaled with the
// neurons): per neuron the same synaptic, Poisson and update work as at full scale, in a network
// small enough to benchmark. Reported: model seconds per wall second (the inverse of the real-time
// factor), synaptic events per second, bytes per synapse and build time, on 1 and 2 threads.
// The full-scale figures come from `lamina run --json` on the example files (docs/performance.md).
#include "lamina/compose/model_file.hpp"
#include "scaled_model_text.hpp"

#include <benchmark/benchmark.h>
#include <memory>
#include <string>

using namespace lamina;

namespace {

constexpr double scale = 0.1;

void microcircuit(benchmark::State& state, const char* file) {
    const auto d = compose::parse_model_text(bench::scaled_model_text(std::string(LAMINA_SOURCE_DIR) + "/examples/" + file, scale), file);
    compose::run_overrides o;
    o.threads = static_cast<int>(state.range(0));
    auto net = compose::instantiate(d, o);
    net->build();
    net->run(200.0);  // past the initial transient
    const auto events0 = net->synaptic_events();
    std::int64_t runs = 0;
    for (auto _ : state) {
        net->run(200.0);
        ++runs;
    }
    const auto& s = net->statistics();
    state.counters["model_s_per_s"] = benchmark::Counter(0.2 * double(runs), benchmark::Counter::kIsRate);
    state.counters["events_per_s"] =
        benchmark::Counter(double(net->synaptic_events() - events0), benchmark::Counter::kIsRate);
    state.counters["bytes_per_synapse"] = double(s.synapse_bytes) / double(s.synapses);
    state.counters["build_s"] = s.build_seconds;
    state.counters["synapses"] = double(s.synapses);
}

} // namespace

BENCHMARK_CAPTURE(microcircuit, poisson, "potjans_diesmann_2014.toml")
    ->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK_CAPTURE(microcircuit, dc, "potjans_diesmann_2014_dc.toml")
    ->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

BENCHMARK_MAIN();
