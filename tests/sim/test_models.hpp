#pragma once
// Test-only neuron models for the engine tests. The engine knows no particular model, so the tests
// of sim/ define their own.
//
// probe: records, in its state, what the engine hands it in each step, so that delivery timing and
// sums are observable through a state recorder or the population's state arrays:
//   ex, in, g   summed input of the step on ports excitatory, inhibitory, conductance
//   I           the external current (pA) of the step
//   total       cumulative excitatory input since the start
//   v           a leaky accumulator: v <- decay * v + ex + in + g (decay = exp(-dt/tau)); v >= v_th spikes
//               and resets v to 0
//   step        the number of steps advanced so far (equals the global step index n + 1 after
//               step n when the run started at step 0)
// It spikes in step n when any of these holds: ex >= input_threshold; v >= v_th; n == spike_at;
// spike_every > 0 and n % spike_every == spike_phase.
#include "lamina/sim/network.hpp"
#include "lamina/sim/neuron_model.hpp"

#include <array>
#include <cmath>
#include <limits>

namespace lamina::sim::test {

struct probe {
    static constexpr std::string_view name = "probe";

    struct parameters {
        double tau = 10.0;                                              // ms
        double v_th = std::numeric_limits<double>::infinity();          // accumulator threshold
        double input_threshold = std::numeric_limits<double>::infinity(); // on ex of one step
        double spike_at = -1.0;                                         // step
        double spike_every = 0.0;                                       // steps, 0: never
        double spike_phase = 0.0;                                       // steps
    };
    static constexpr std::array<parameter_field<parameters>, 6> parameter_fields{{
        {"tau", "ms", &parameters::tau, "accumulator time constant"},
        {"v_th", "1", &parameters::v_th, "accumulator threshold"},
        {"input_threshold", "1", &parameters::input_threshold, "spike when one step's ex input reaches this"},
        {"spike_at", "steps", &parameters::spike_at, "spike in this step"},
        {"spike_every", "steps", &parameters::spike_every, "spike period, 0 for none"},
        {"spike_phase", "steps", &parameters::spike_phase, "phase of the periodic spikes"},
    }};
    static constexpr std::array<std::string_view, 7> state_names{"ex", "in", "g", "I", "total", "v", "step"};
    enum : std::size_t { EX, IN, G, CUR, TOTAL, V, STEP };
    static constexpr std::array<port_info, 3> ports{
        {{"excitatory", "1", false}, {"inhibitory", "1", false}, {"conductance", "nS", true}}};

    struct constants {
        double decay, v_th, input_threshold;
        std::int64_t spike_at, spike_every, spike_phase;
    };

    static constants lower(const parameters& p, double dt, const std::string& object) {
        require_positive(p.tau, object, "tau", "ms");
        require_nonnegative(p.spike_every, object, "spike_every", "steps");
        return {std::exp(-dt / p.tau), p.v_th, p.input_threshold, std::llround(p.spike_at),
                std::llround(p.spike_every), std::llround(p.spike_phase)};
    }

    static double initial_value(const parameters&, std::size_t) { return 0.0; }

    static void advance(const constants& c, const kernel_args<7, 3>& a, spike_sink& sink) {
        for (std::size_t i = a.begin; i < a.end; ++i) {
            const double ex = a.input[0][i], in = a.input[1][i], g = a.input[2][i];
            a.state[EX][i] = ex;
            a.state[IN][i] = in;
            a.state[G][i] = g;
            a.state[CUR][i] = a.current[i];
            a.state[TOTAL][i] += ex;
            double v = c.decay * a.state[V][i] + ex + in + g;
            const auto n = static_cast<std::int64_t>(a.state[STEP][i]);
            a.state[STEP][i] += 1.0;
            bool fire = ex >= c.input_threshold || n == c.spike_at ||
                        (c.spike_every > 0 && n % c.spike_every == c.spike_phase);
            if (v >= c.v_th) {
                fire = true;
                v = 0.0;
            }
            a.state[V][i] = v;
            if (fire) sink.push(static_cast<std::uint32_t>(i));
        }
    }
};
static_assert(neuron_model<probe>);

// Index of the recorded value of (sample, neuron column, variable) in a state_record.
inline double sample(const state_record& r, std::size_t s, std::size_t col, std::size_t var = 0) {
    return r.values.at((s * r.neurons.size() + col) * r.variables.size() + var);
}

// Recorded values of one neuron column and variable, one per sample.
inline std::vector<double> trace(const state_record& r, std::size_t col, std::size_t var = 0) {
    std::vector<double> out(r.times_ms.size());
    for (std::size_t s = 0; s < out.size(); ++s) out[s] = sample(r, s, col, var);
    return out;
}

} // namespace lamina::sim::test
