#pragma once
// What the event-mode tests compare between two runs (clock against event mode, one thread count
// against another): every recorded spike, the state variables and the refractory counters of every
// population.
#include "lamina/models/neuron/lif_psc_delta.hpp"
#include "lamina/sim/network.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace lamina::test {

struct event_outcome {
    std::vector<double> times;
    std::vector<std::uint32_t> neurons;
    std::vector<std::vector<double>> state;  // the first `variables` state arrays of each population
    std::vector<std::int32_t> refractory;
    bool operator==(const event_outcome&) const = default;
};

constexpr std::size_t all_variables = std::numeric_limits<std::size_t>::max();

inline event_outcome collect(sim::network& net, std::size_t variables = all_variables) {
    event_outcome o;
    for (std::size_t r = 0; r < net.spike_recorder_count(); ++r) {
        const auto& s = net.spikes(r);
        o.times.insert(o.times.end(), s.times_ms.begin(), s.times_ms.end());
        o.neurons.insert(o.neurons.end(), s.neurons.begin(), s.neurons.end());
    }
    for (std::size_t q = 0; q < net.population_count(); ++q) {
        auto& p = net.population_at(q);
        const std::size_t n = variables < p.state_names().size() ? variables : p.state_names().size();
        for (std::size_t v = 0; v < n; ++v) o.state.emplace_back(p.state(v), p.state(v) + p.size());
        o.refractory.insert(o.refractory.end(), p.refractory(), p.refractory() + p.size());
    }
    return o;
}

// The 800 E + 200 I Brunel-like lif_psc_delta populations of the event tests (V_m uniform in
// [0, 18] mV), every event step lazy (`event_dense_path` off): the lazy update is what is compared.
inline void add_brunel_populations(sim::network& net, sim::update_mode mode, const models::lif_psc_delta::parameters& p) {
    for (const char* name : {"E", "I"}) {
        auto& pop = net.add_population<models::lif_psc_delta>(name, name[0] == 'E' ? 800 : 200, p);
        pop.requested_update = mode;
        pop.event_dense_path = false;
        pop.set_initial("V_m", sim::distribution::uniform(0.0, 18.0));
    }
}

// Builds a network with `build(net, mode)`, runs it for `ms` and collects it.
template <class Build>
event_outcome run_network(Build build, sim::update_mode mode, int threads, double ms, std::uint64_t seed,
                          std::size_t variables = all_variables) {
    sim::run_config cfg;
    cfg.threads = threads;
    cfg.seed = seed;
    sim::network net(cfg);
    build(net, mode);
    net.run(ms);
    return collect(net, variables);
}

} // namespace lamina::test
