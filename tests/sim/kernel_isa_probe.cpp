// One program, compiled once per kernel ISA (tests/CMakeLists.txt: kernel_isa_probe_baseline,
// _v3, _v4), that runs a network of every neuron model and writes every spike and every final
// state variable, as raw bytes, to the file named by its argument. tests/sim/test_kernel_isa.cpp
// runs the three and compares the files bit for bit: "results do not depend on the CPU"
// (docs/engine.md).
//
// How one ISA is forced: LAMINA_KERNEL (neuron_model.hpp) normally asks GCC for three clones of
// each model's advance() kernel (default, arch=x86-64-v3, arch=x86-64-v4) and the loader picks one
// for the CPU. Here, after neuron_model.hpp has defined it, LAMINA_KERNEL is redefined to
// target(LAMINA_PROBE_TARGET): every model header included below then compiles its kernel for that
// ISA alone, exactly as GCC compiles that clone, and the kernels are instantiated in this
// translation unit (population_of<M> through add_population<M>), so this program runs that clone's
// code whatever the CPU would pick. Kernels compiled inside the libraries' .cpp files (the
// lattice's noise, the EEG block sums) are not covered by this hook.
#include "lamina/sim/neuron_model.hpp"

#if !defined(LAMINA_PROBE_TARGET)
#error "compile with -DLAMINA_PROBE_TARGET=\"arch=...\""
#endif
#undef LAMINA_KERNEL
#define LAMINA_KERNEL __attribute__((target(LAMINA_PROBE_TARGET)))

#include "lamina/models/neuron/adex.hpp"
#include "lamina/models/neuron/izhikevich.hpp"
#include "lamina/models/neuron/lif_cond_exp.hpp"
#include "lamina/models/neuron/lif_psc_delta.hpp"
#include "lamina/models/neuron/lif_psc_exp.hpp"
#include "lamina/sim/network.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

using namespace lamina;
using sim::connection_rule;
using sim::distribution;

namespace {

// A recurrent E/I pair of populations of model M (sizes 800 + 200, fixed in-degree, Poisson
// drive), with every spike recorded.
template <class M>
void add_ei(sim::network& net, const std::string& tag, const typename M::parameters& p, double w_exc, double w_inh,
            const char* exc_port, const char* inh_port, double drive_rate, double drive_weight, double delay) {
    const std::string E = tag + "_E", I = tag + "_I";
    net.add_population<M>(E, 800, p);
    net.add_population<M>(I, 200, p);
    for (const std::string& tgt : {E, I}) {
        net.connect({"", E, tgt, connection_rule::fixed_indegree(80), distribution::uniform(0.5 * w_exc, 1.5 * w_exc),
                     distribution::constant(delay), exc_port});
        net.connect({"", I, tgt, connection_rule::fixed_indegree(20),
                     distribution::uniform(std::min(0.5 * w_inh, 1.5 * w_inh), std::max(0.5 * w_inh, 1.5 * w_inh)),
                     distribution::constant(delay), inh_port});
        net.add_poisson_input({"drive_" + tgt, tgt, {}, drive_rate, drive_weight, exc_port});
    }
    net.record_spikes({"spikes_" + E, E, {}});
    net.record_spikes({"spikes_" + I, I, {}});
}

template <class T>
void put(std::ofstream& out, const T* data, std::size_t n) {
    out.write(reinterpret_cast<const char*>(data), std::streamsize(n * sizeof(T)));
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUT.bin\n", argv[0]);
        return 2;
    }
    sim::run_config cfg;
    cfg.threads = 1;
    cfg.seed = 2024;
    sim::network net(cfg);

    models::lif_psc_delta::parameters delta;  // Brunel's model A (W3)
    delta.tau_m = 20.0;
    delta.E_L = 0.0;
    delta.V_th = 20.0;
    delta.V_reset = 10.0;
    delta.t_ref = 2.0;
    add_ei<models::lif_psc_delta>(net, "delta", delta, 0.2, -1.0, "excitatory", "inhibitory", 20000.0, 0.1, 1.5);

    models::lif_psc_exp::parameters cuba;  // W2
    cuba.tau_m = 20.0;
    cuba.C_m = 20.0;
    cuba.E_L = -49.0;
    cuba.V_th = -50.0;
    cuba.V_reset = -60.0;
    cuba.t_ref = 5.0;
    cuba.tau_syn_ex = 5.0;
    cuba.tau_syn_in = 10.0;
    add_ei<models::lif_psc_exp>(net, "cuba", cuba, 1.62, -9.0, "excitatory", "inhibitory", 500.0, 1.0, 0.1);

    models::lif_cond_exp::parameters coba;  // W1
    coba.C_m = 200.0;
    coba.g_L = 10.0;
    coba.E_L = -60.0;
    coba.E_ex = 0.0;
    coba.E_in = -80.0;
    coba.V_th = -50.0;
    coba.V_reset = -60.0;
    coba.t_ref = 5.0;
    coba.tau_syn_ex = 5.0;
    coba.tau_syn_in = 10.0;
    add_ei<models::lif_cond_exp>(net, "coba", coba, 6.0, 67.0, "excitatory", "inhibitory", 3000.0, 3.0, 0.1);

    models::adex::parameters adex;  // Brette & Gerstner 2005 defaults, slower synaptic currents
    adex.tau_syn_ex = 5.0;
    adex.tau_syn_in = 10.0;
    add_ei<models::adex>(net, "adex", adex, 100.0, -300.0, "excitatory", "inhibitory", 1500.0, 100.0, 1.0);
    add_ei<models::izhikevich>(net, "izh", models::izhikevich::parameters{}, 2.0, -4.0, "excitatory", "inhibitory",
                               4000.0, 3.0, 1.0);
    net.run(300.0);

    std::ofstream out(argv[1], std::ios::binary);
    for (std::size_t r = 0; r < net.spike_recorder_count(); ++r) {
        const auto& s = net.spikes(r);
        const std::uint64_t n = s.times_ms.size();
        put(out, &n, 1);
        put(out, s.times_ms.data(), s.times_ms.size());
        put(out, s.neurons.data(), s.neurons.size());
        std::printf("%s: %llu spikes\n", net.spike_recorder_name(r).c_str(), static_cast<unsigned long long>(n));
    }
    for (std::size_t p = 0; p < net.population_count(); ++p) {
        const auto& pop = net.population_at(p);
        for (std::size_t v = 0; v < pop.state_names().size(); ++v) put(out, pop.state(v), pop.size());
    }
    return out ? 0 : 1;
}
