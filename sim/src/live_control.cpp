// Live control: what an experiment changes between runs (parameters, state, stimuli, weights,
// plasticity, neuromodulation) and what it reads back (spikes since the last read). Every change
// takes effect from the current step; nothing here depends on the shard layout.
#include "network_state.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace lamina::sim {

namespace {
std::size_t state_variable(const population& pop, std::string_view variable) {
    if (auto v = pop.state_index(variable)) return *v;
    std::string msg = "population '" + pop.name() + "' has no state variable '" + std::string(variable) + "'";
    if (auto near = nearest_name(variable, pop.state_names()); !near.empty()) msg += " (did you mean '" + near + "'?)";
    msg += "; state variables:";
    for (auto n : pop.state_names()) msg += " " + std::string(n);
    throw parameter_error("population '" + pop.name() + "'", std::string(variable), msg);
}
} // namespace

void network::admit_device(const std::function<void()>& rollback, const std::function<void()>& make) {
    auto problems = check();
    if (!problems.empty()) {
        rollback();
        throw problems.front();
    }
    make();
}

void network::check_live_generator(const spike_generator_spec& spec, std::span<const double> times_ms) const {
    const std::string obj = "spike generator '" + spec.name + "'";
    const double now = current_time_ms();
    for (double t : times_ms)
        if (!std::isfinite(t) || std::llround(t / config_.dt_ms) - 1 < step_)
            throw parameter_error(obj, "times",
                                  fmt::format("spikes added at {} ms must come after it (>= {} ms), got {}", now,
                                              now + config_.dt_ms, t));
    const auto d = detail::delay_steps(spec.delay_ms, config_.dt_ms);
    if (d + state_->window + 1 > static_cast<std::int64_t>(state_->ring_slots))
        throw parameter_error(obj, "delay",
                              fmt::format("{} ms exceeds the longest delay the built network can hold ({} ms)",
                                          spec.delay_ms, double(std::int64_t(state_->ring_slots) - state_->window - 1) *
                                                             config_.dt_ms));
}

void network::set_parameter(std::size_t q, std::string_view name, double value) {
    auto& pop = *populations_.at(q);
    const double old = pop.parameter(name);  // refuses unknown names
    // A per-neuron parameter becomes uniform; a refused value gives it its per-neuron values back.
    const auto per_neuron = pop.per_neuron_parameters();
    std::vector<double> old_values;
    if (std::find(per_neuron.begin(), per_neuron.end(), name) != per_neuron.end()) old_values = pop.parameter_values(name);
    pop.set_parameter(name, value);
    try {
        pop.lower(config_.dt_ms);
    } catch (...) {
        pop.set_parameter(name, old);
        if (!old_values.empty()) pop.set_parameter_per_neuron(name, per_neuron_value::of_values(std::move(old_values)));
        pop.lower(config_.dt_ms);
        throw;
    }
}

std::span<double> network::state_values(std::size_t q, std::string_view variable) {
    if (!built_) build();
    auto& pop = *populations_.at(q);
    return {pop.state(state_variable(pop, variable)), pop.size()};
}

void network::set_state(std::size_t q, std::string_view variable, std::span<const std::uint32_t> neurons,
                        std::span<const double> values) {
    auto target = state_values(q, variable);
    const auto& pop = *populations_.at(q);
    const std::string obj = "population '" + pop.name() + "'";
    const std::size_t n = neurons.empty() ? pop.size() : neurons.size();
    if (values.size() != 1 && values.size() != n)
        throw parameter_error(obj, std::string(variable),
                              fmt::format("needs one value or one per neuron ({}), got {}", n, values.size()));
    for (double v : values)
        if (!std::isfinite(v)) throw parameter_error(obj, std::string(variable), "values must be finite");
    for (auto i : neurons)
        if (i >= pop.size())
            throw parameter_error(obj, "neurons", fmt::format("index {} is outside the population (size {})", i, pop.size()));
    for (std::size_t m = 0; m < n; ++m) target[neurons.empty() ? m : neurons[m]] = values[values.size() == 1 ? 0 : m];
}

void network::set_poisson_rate(std::size_t k, double rate_hz) {
    auto& D = state_->devices;
    auto& spec = D.poisson_specs.at(k);
    const std::string obj = "poisson input '" + spec.name + "'";
    if (!(rate_hz >= 0.0) || !std::isfinite(rate_hz))
        throw parameter_error(obj, "rate", fmt::format("must be a finite rate >= 0 Hz, got {}", rate_hz));
    if (rate_hz * config_.dt_ms * 1e-3 > 1e4)
        throw parameter_error(obj, "rate", "more than 1e4 expected spikes per step; use a current instead");
    spec.rate_hz = rate_hz;
    // A constant rate shared by all targets from now on: a time series, sinusoid or per-neuron
    // rates the device had are replaced.
    spec.rate_times_ms.clear();
    spec.rate_values_hz.clear();
    spec.amplitude_hz = spec.frequency_hz = spec.phase_deg = 0.0;
    spec.neuron_rates_hz.clear();
    spec.rate_distribution.reset();
    if (built_) D.make_poisson(k, populations_, state_->bounds, config_.dt_ms);
}

void network::set_current_amplitude(std::size_t k, double amplitude_pA) {
    auto& D = state_->devices;
    auto& spec = D.current_specs.at(k);
    if (!std::isfinite(amplitude_pA))
        throw parameter_error("current input '" + spec.name + "'", "amplitude", "must be finite");
    std::size_t keep = 0;
    while (keep < spec.times_ms.size() && std::llround(spec.times_ms[keep] / config_.dt_ms) < step_) ++keep;
    spec.times_ms.resize(keep);
    spec.amplitudes_pA.resize(keep);
    spec.times_ms.push_back(current_time_ms());
    spec.amplitudes_pA.push_back(amplitude_pA);
    if (built_) D.make_current(k, populations_, state_->bounds, config_.dt_ms);
}

void network::set_noise(std::size_t k, double mean_pA, double sd_pA) {
    auto& D = state_->devices;
    auto& spec = D.noise_specs.at(k);
    const std::string obj = "noise current '" + spec.name + "'";
    if (!std::isfinite(mean_pA)) throw parameter_error(obj, "mean", "must be finite");
    if (!(sd_pA >= 0.0) || !std::isfinite(sd_pA))
        throw parameter_error(obj, "sd", fmt::format("must be finite and >= 0 pA, got {}", sd_pA));
    spec.mean_pA = mean_pA;
    spec.sd_pA = sd_pA;
    if (built_) D.make_noise(k, populations_, state_->bounds, config_.dt_ms);
}

void network::inject_spikes(std::size_t k, std::span<const double> times_ms) {
    auto& D = state_->devices;
    auto& spec = D.generator_specs.at(k);
    if (built_) {
        check_live_generator(spec, times_ms);
    } else {
        for (double t : times_ms)
            if (!(t >= config_.dt_ms * (1.0 - 1e-9)) || !std::isfinite(t))
                throw parameter_error("spike generator '" + spec.name + "'", "times",
                                      fmt::format("spike times must be >= one step ({} ms), got {}", config_.dt_ms, t));
    }
    spec.times_ms.insert(spec.times_ms.end(), times_ms.begin(), times_ms.end());
    if (built_) D.make_generator(k, populations_, state_->bounds, config_.dt_ms);
}

namespace {
void check_neuron_currents(const neuron_currents_spec& d, const population& pop) {
    const std::string obj = "neuron currents '" + d.name + "'";
    detail::check_neurons(d.neurons, pop, obj);
    const std::size_t n = d.neurons.empty() ? pop.size() : d.neurons.size();
    if (d.amplitudes_pA.size() != n)
        throw parameter_error(obj, "amplitudes",
                              fmt::format("needs one amplitude per neuron ({}), got {}", n, d.amplitudes_pA.size()));
    for (double a : d.amplitudes_pA)
        if (!std::isfinite(a)) throw parameter_error(obj, "amplitudes", "must be finite");
}
} // namespace

std::size_t network::add_neuron_currents(neuron_currents_spec spec) {
    const std::string obj = "neuron currents '" + spec.name + "'";
    const auto q = detail::resolve_population(populations_, spec.target, obj, "target");
    check_neuron_currents(spec, *populations_[q]);
    auto& D = state_->devices;
    D.neuron_current_specs.push_back(std::move(spec));
    const std::size_t k = D.neuron_current_specs.size() - 1;
    if (built_) D.make_neuron_currents(k, populations_);
    return k;
}

void network::set_neuron_currents(std::size_t k, std::span<const double> amplitudes_pA) {
    auto& D = state_->devices;
    auto spec = D.neuron_current_specs.at(k);
    spec.amplitudes_pA.assign(amplitudes_pA.begin(), amplitudes_pA.end());
    check_neuron_currents(spec, *populations_[detail::resolve_population(populations_, spec.target, "", "")]);
    D.neuron_current_specs[k] = std::move(spec);
    if (built_) D.make_neuron_currents(k, populations_);
}

void network::modulate(std::size_t k, double amount) {
    auto& P = projections_.at(k);
    if (!P.spec.plasticity) throw error("modulate(): projection '" + P.spec.name + "' is not plastic");
    if (!std::isfinite(amount)) throw parameter_error("projection '" + P.spec.name + "'", "modulator", "must be finite");
    if (!built_) {
        pending_modulation_.emplace_back(k, amount);
        return;
    }
    P.rule->modulate(step_, amount);
}

void network::set_plasticity_enabled(std::size_t k, bool enabled) {
    auto& P = projections_.at(k);
    if (!P.spec.plasticity) throw error("projection '" + P.spec.name + "' is not plastic");
    if (P.plasticity_enabled == enabled) return;
    if (built_ && P.rule->dynamics_interval() > 0) {
        if (!enabled) {
            // Continuous dynamics are brought up to now, then rest while plasticity is off.
            state_->parallel_shards(shards_, [&](std::size_t s) { P.rule->advance_dynamics(s, step_); });
        } else {
            P.rule->resume_dynamics(step_);
        }
    }
    P.plasticity_enabled = enabled;
}

bool network::plasticity_enabled(std::size_t k) const { return projections_.at(k).plasticity_enabled; }

void network::set_weights(std::size_t k, std::span<const float> weights) {
    if (!built_) build();
    auto& P = projections_.at(k);
    const std::string obj = "projection '" + P.spec.name + "'";
    if (weights.size() != P.synapse_count())
        throw parameter_error(obj, "weights",
                              fmt::format("needs one weight per synapse ({}), got {}", P.synapse_count(), weights.size()));
    const bool nonneg = populations_[P.target]->ports()[P.port].nonnegative_weights;
    for (float w : weights) {
        if (!std::isfinite(w)) throw parameter_error(obj, "weights", "must be finite");
        if (nonneg && w < 0.0f)
            throw parameter_error(obj, "weights", "the target port is a conductance and takes only weights >= 0");
    }
    // Pending postsynaptic updates belong to the old weights.
    flush_plasticity();
    const auto order = detail::canonical_order(P, populations_[P.source]->size());
    for (std::size_t s = 0; s < P.shards.size(); ++s) {
        auto& sh = P.shards[s];
        if (P.homogeneous_weight) sh.weight.assign(sh.size(), P.weight_value);
        for (std::size_t x = 0; x < sh.size(); ++x) sh.weight[x] = weights[order.position(s, x)];
    }
    P.homogeneous_weight = false;
    P.weights_written = true;
}

spike_record network::take_spikes(std::size_t r) {
    auto& R = state_->recorders.spikes.at(r);
    spike_record out = std::move(R.data);
    R.data = {};
    auto& bytes = state_->recorders.recording_bytes;
    bytes -= std::min(bytes, out.times_ms.size() * 12);
    return out;
}

void network::set_description(std::string text, std::string origin) {
    description_ = std::move(text);
    description_origin_ = std::move(origin);
}

namespace detail {

synapse_order canonical_order(const projection& p, std::size_t source_size) {
    synapse_order out;
    const std::uint32_t mask = p.target_bits == 32 ? 0xFFFFFFFFu : (1u << p.target_bits) - 1u;
    if (p.shards.size() == 1) {
        const auto& sh = p.shards[0];
        bool sorted = true;
        for (std::size_t i = 0; i < source_size && sorted; ++i)
            for (std::uint32_t x = sh.row_begin[i] + 1; x < sh.row_begin[i + 1]; ++x)
                if ((sh.target[x] & mask) < (sh.target[x - 1] & mask)) {
                    sorted = false;
                    break;
                }
        if (sorted) {
            out.identity = true;
            out.total = sh.size();
            return out;
        }
    }
    out.index.resize(p.shards.size());
    for (std::size_t s = 0; s < p.shards.size(); ++s) out.index[s].resize(p.shards[s].size());
    struct entry {
        std::uint32_t target;
        std::uint32_t shard;
        std::uint32_t x;
    };
    std::vector<entry> row;
    std::uint64_t pos = 0;
    // Row by row: the synapses of source i in shard order, then stably by target (rules drawn per
    // target keep rows sorted already; multapses keep their drawn order).
    for (std::size_t i = 0; i < source_size; ++i) {
        row.clear();
        for (std::size_t s = 0; s < p.shards.size(); ++s) {
            const auto& sh = p.shards[s];
            for (std::uint32_t x = sh.row_begin[i]; x < sh.row_begin[i + 1]; ++x)
                row.push_back({sh.target[x] & mask, static_cast<std::uint32_t>(s), x});
        }
        if (!std::is_sorted(row.begin(), row.end(), [](const entry& a, const entry& b) { return a.target < b.target; }))
            std::stable_sort(row.begin(), row.end(), [](const entry& a, const entry& b) { return a.target < b.target; });
        for (const auto& en : row) out.index[en.shard][en.x] = pos++;
    }
    out.total = pos;
    return out;
}

} // namespace detail

} // namespace lamina::sim
