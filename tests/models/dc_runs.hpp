#pragma once
// Runs one neuron of model M per constant current (DC from t = 0 through current devices) and
// returns each neuron's spike times and V_m at the end of every step: the engine side of the
// AdEx and Izhikevich comparisons with high-accuracy reference integrations.
#include "lamina/sim/network.hpp"

#include <string>
#include <vector>

namespace lamina::test {

struct engine_result {
    std::vector<std::vector<double>> spikes;  // per neuron
    std::vector<std::vector<double>> V;       // per neuron, V_m at the end of every step
};

template <class M>
engine_result run_dc(const typename M::parameters& p, const std::vector<double>& currents, double T, double dt) {
    sim::network net({dt, 1, 1});
    net.add_population<M>("n", currents.size(), p);
    for (std::size_t k = 0; k < currents.size(); ++k) {
        auto s = sim::current_input_spec::dc("I" + std::to_string(k), "n", currents[k]);
        s.neurons = {static_cast<std::uint32_t>(k)};
        net.add_current_input(s);
    }
    net.record_spikes({"spikes", "n", {}});
    net.record_state({"V", "n", {"V_m"}, {}, dt});
    net.run(T);
    engine_result out;
    out.spikes.resize(currents.size());
    out.V.resize(currents.size());
    const auto& rec = net.spikes(0);
    for (std::size_t j = 0; j < rec.times_ms.size(); ++j) out.spikes[rec.neurons[j]].push_back(rec.times_ms[j]);
    const auto& st = net.states(0);
    for (std::size_t row = 0; row < st.times_ms.size(); ++row)
        for (std::size_t k = 0; k < currents.size(); ++k) out.V[k].push_back(st.values[row * currents.size() + k]);
    return out;
}

} // namespace lamina::test
