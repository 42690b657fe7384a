#pragma once
// Exact spike times for plasticity tests: a relay neuron fires exactly one step after each spike
// of its own spike generator (a 100 mV jump), so a test can place pre- and postsynaptic spikes on
// any grid time. The threshold (50 mV) is far above what a plastic synapse adds.
#include "lamina/models/neuron/lif_psc_delta.hpp"
#include "lamina/sim/network.hpp"

#include <string>
#include <vector>

namespace lamina::test {

constexpr double relay_dt = 0.1;

inline models::lif_psc_delta::parameters relay() {
    models::lif_psc_delta::parameters p;
    p.tau_m = 10.0;
    p.E_L = 0.0;
    p.V_th = 50.0;
    p.V_reset = 0.0;
    p.t_ref = 0.5;
    return p;
}

// Makes neuron i of population `pop` fire with stamps exactly at `stamps` (ms).
inline void drive(sim::network& net, const std::string& pop, std::uint32_t i, const std::vector<double>& stamps) {
    std::vector<double> t;
    for (double s : stamps) t.push_back(s - relay_dt);  // generator stamp + one step = relay stamp
    net.add_spike_generator({pop + std::to_string(i), pop, {i}, t, 100.0, relay_dt, "excitatory"});
}

} // namespace lamina::test
