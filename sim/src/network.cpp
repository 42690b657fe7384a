// The network's construction interface and accessors. Checking, building, the schedule, live
// control and checkpoints live in files of their own (network_check.cpp, network_build.cpp,
// schedule.cpp, live_control.cpp, checkpoint.cpp).
#include "network_state.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <numeric>
#include <tbb/info.h>

namespace lamina::sim {

network::network(run_config config) : config_(config), state_(std::make_unique<detail::network_state>()) {
    if (!(config_.dt_ms > 0.0) || !std::isfinite(config_.dt_ms))
        throw parameter_error("run", "dt", fmt::format("must be > 0 ms, got {}", config_.dt_ms));
    if (config_.threads < 0) throw parameter_error("run", "threads", "must be >= 1 (or 0 for all cores)");
    threads_ = config_.threads > 0 ? config_.threads : std::max(1, tbb::info::default_concurrency());
    shards_ = static_cast<std::size_t>(threads_);
    state_->devices.seed = config_.seed;
}

network::~network() = default;

void network::check_new_population(const std::string& name, std::size_t size) const {
    if (built_) throw error("cannot add population '" + name + "' after the network was built");
    if (name.empty()) throw parameter_error("population", "name", "must not be empty");
    for (const auto& p : populations_)
        if (p->name() == name) throw parameter_error("population '" + name + "'", "name", "is already used");
    if (size == 0) throw parameter_error("population '" + name + "'", "size", "must be >= 1");
    if (size > (std::size_t(1) << 31))
        throw parameter_error("population '" + name + "'", "size", "must be at most 2^31 neurons");
}

population& network::add_population(std::unique_ptr<population> p) {
    check_new_population(p->name(), p->size());
    p->bind(config_.seed, static_cast<std::uint32_t>(populations_.size()));
    populations_.push_back(std::move(p));
    return *populations_.back();
}

population& network::find_population(const std::string& name) {
    for (auto& p : populations_)
        if (p->name() == name) return *p;
    throw error("no population named '" + name + "'");
}

std::size_t network::connect(projection_spec spec) {
    if (built_) throw error("cannot add projections after the network was built");
    projection p;
    p.spec = std::move(spec);
    if (p.spec.name.empty()) p.spec.name = p.spec.source + "->" + p.spec.target;
    for (const auto& other : projections_)
        if (other.spec.name == p.spec.name) p.spec.name += "#" + std::to_string(projections_.size() + 1);
    projections_.push_back(std::move(p));
    return projections_.size() - 1;
}

std::size_t network::add_poisson_input(poisson_input_spec spec) {
    auto& D = state_->devices;
    D.poisson_specs.push_back(std::move(spec));
    const std::size_t k = D.poisson_specs.size() - 1;
    if (built_) admit_device([&] { D.poisson_specs.pop_back(); }, [&] { D.make_poisson(k, populations_, state_->bounds, config_.dt_ms); });
    return k;
}
std::size_t network::add_spike_generator(spike_generator_spec spec) {
    auto& D = state_->devices;
    if (built_) check_live_generator(spec, spec.times_ms);
    D.generator_specs.push_back(std::move(spec));
    const std::size_t k = D.generator_specs.size() - 1;
    if (built_) admit_device([&] { D.generator_specs.pop_back(); }, [&] { D.make_generator(k, populations_, state_->bounds, config_.dt_ms); });
    return k;
}
std::size_t network::add_current_input(current_input_spec spec) {
    auto& D = state_->devices;
    D.current_specs.push_back(std::move(spec));
    const std::size_t k = D.current_specs.size() - 1;
    if (built_) admit_device([&] { D.current_specs.pop_back(); }, [&] { D.make_current(k, populations_, state_->bounds, config_.dt_ms); });
    return k;
}
std::size_t network::add_noise_current(noise_current_spec spec) {
    auto& D = state_->devices;
    D.noise_specs.push_back(std::move(spec));
    const std::size_t k = D.noise_specs.size() - 1;
    if (built_) admit_device([&] { D.noise_specs.pop_back(); }, [&] { D.make_noise(k, populations_, state_->bounds, config_.dt_ms); });
    return k;
}
std::size_t network::record_spikes(spike_recorder_spec spec) {
    if (built_) throw error("cannot add recorders after the network was built");
    if (spec.name.empty()) spec.name = "spikes_" + spec.population;
    state_->recorders.spike_specs.push_back(std::move(spec));
    return state_->recorders.spike_specs.size() - 1;
}
std::size_t network::record_state(state_recorder_spec spec) {
    if (built_) throw error("cannot add recorders after the network was built");
    if (spec.name.empty()) spec.name = "state_" + spec.population;
    state_->recorders.state_specs.push_back(std::move(spec));
    return state_->recorders.state_specs.size() - 1;
}
std::size_t network::record_weights(weight_recorder_spec spec) {
    if (built_) throw error("cannot add recorders after the network was built");
    if (spec.name.empty()) spec.name = "weights_" + spec.projection;
    state_->recorders.weight_specs.push_back(std::move(spec));
    return state_->recorders.weight_specs.size() - 1;
}

std::size_t network::record_signal(signal_recorder_spec spec) {
    if (built_) throw error("cannot add recorders after the network was built");
    if (spec.name.empty()) spec.name = "signal_" + spec.population;
    state_->recorders.signal_specs.push_back(std::move(spec));
    return state_->recorders.signal_specs.size() - 1;
}

std::size_t network::record_rate(rate_recorder_spec spec) {
    if (built_) throw error("cannot add recorders after the network was built");
    if (spec.name.empty()) spec.name = "rate_" + spec.population;
    state_->recorders.rate_specs.push_back(std::move(spec));
    return state_->recorders.rate_specs.size() - 1;
}



// Access ----------------------------------------------------------------------------------------------

const spike_record& network::spikes(std::size_t r) const { return state_->recorders.spikes.at(r).data; }
const state_record& network::states(std::size_t r) const { return state_->recorders.states.at(r).data; }
const rate_record& network::rates(std::size_t r) const { return state_->recorders.rates.at(r).data; }
const std::string& network::spike_recorder_name(std::size_t r) const { return state_->recorders.spike_specs.at(r).name; }
const std::string& network::state_recorder_name(std::size_t r) const { return state_->recorders.state_specs.at(r).name; }
const std::string& network::rate_recorder_name(std::size_t r) const { return state_->recorders.rate_specs.at(r).name; }
std::size_t network::spike_recorder_count() const { return state_->recorders.spike_specs.size(); }
std::size_t network::state_recorder_count() const { return state_->recorders.state_specs.size(); }
std::size_t network::rate_recorder_count() const { return state_->recorders.rate_specs.size(); }
std::size_t network::recording_memory_bytes() const { return state_->recorders.recording_bytes; }
const weight_record& network::weight_samples(std::size_t r) const { return state_->recorders.weights.at(r).data; }
const signal_record& network::signal(std::size_t r) const { return state_->recorders.signals.at(r).data; }
const std::string& network::signal_recorder_name(std::size_t r) const { return state_->recorders.signal_specs.at(r).name; }
const std::string& network::signal_recorder_population(std::size_t r) const {
    return state_->recorders.signal_specs.at(r).population;
}
const std::string& network::signal_recorder_unit(std::size_t r) const {
    return state_->recorders.signal_specs.at(r).unit;
}
std::size_t network::signal_recorder_count() const { return state_->recorders.signal_specs.size(); }
bool network::recording_truncated() const noexcept { return state_->recorders.truncated; }
const std::string& network::weight_recorder_name(std::size_t r) const { return state_->recorders.weight_specs.at(r).name; }
std::size_t network::weight_recorder_count() const { return state_->recorders.weight_specs.size(); }

std::size_t network::projection_index(const std::string& name) const {
    for (std::size_t k = 0; k < projections_.size(); ++k)
        if (projections_[k].spec.name == name) return k;
    throw error("no projection named '" + name + "'");
}

std::vector<float> network::weights(std::size_t k) const {
    const auto& P = projections_.at(k);
    if (built_ && P.rule && P.rule->deferred_post()) flush_plasticity();
    using K = connection_rule::kind;
    if (P.spec.rule.type == K::fixed_outdegree || P.spec.rule.type == K::explicit_list) return synapses(k).weight;
    // Rules drawn per target keep each shard's rows in ascending target order, and shards hold
    // ascending target ranges: concatenating rows source by source gives the canonical order.
    std::vector<float> out;
    out.reserve(P.synapse_count());
    const std::size_t ns = populations_[P.source]->size();
    for (std::size_t i = 0; i < ns; ++i)
        for (const auto& sh : P.shards)
            for (std::uint32_t x = sh.row_begin[i]; x < sh.row_begin[i + 1]; ++x)
                out.push_back(P.homogeneous_weight ? P.weight_value : sh.weight[x]);
    return out;
}

spike_statistics network::population_statistics(std::size_t q) const {
    spike_statistics out;
    const auto& pop = *populations_.at(q);
    out.spikes = spike_counts_.empty() ? 0 : spike_counts_[q];
    const double seconds = double(step_) * config_.dt_ms * 1e-3;
    out.rate_hz = seconds > 0.0 ? double(out.spikes) / (double(pop.size()) * seconds) : 0.0;
    if (!built_) return out;
    const auto& st = state_->isi[q];
    double cv_sum = 0.0;
    for (std::size_t i = 0; i < pop.size(); ++i) {
        if (st.count[i] < 2) continue;
        const double m = st.sum[i] / st.count[i];
        const double var = std::max(0.0, st.sum_sq[i] / st.count[i] - m * m);
        cv_sum += std::sqrt(var) / m;
        ++out.cv_neurons;
    }
    out.mean_cv_isi = out.cv_neurons ? cv_sum / double(out.cv_neurons) : std::nan("");
    return out;
}

network::synapse_table network::synapses(std::size_t k) const {
    if (!built_) throw error("synapses(): the network is not built yet");
    const auto& P = projections_.at(k);
    if (P.rule && P.rule->deferred_post()) flush_plasticity();
    synapse_table t;
    const std::size_t ns = populations_[P.source]->size();
    const std::uint32_t mask = P.target_bits == 32 ? 0xFFFFFFFFu : (1u << P.target_bits) - 1u;
    const std::size_t count = P.synapse_count();
    t.source.reserve(count);
    t.target.reserve(count);
    t.weight.reserve(count);
    t.delay_ms.reserve(count);
    for (std::size_t i = 0; i < ns; ++i)
        for (const auto& sh : P.shards)
            for (std::uint64_t x = sh.row_begin[i]; x < sh.row_begin[i + 1]; ++x) {
                t.source.push_back(static_cast<std::uint32_t>(i));
                t.target.push_back(sh.target[x] & mask);
                t.weight.push_back(P.homogeneous_weight ? P.weight_value : sh.weight[x]);
                const std::int64_t d =
                    P.target_bits == 32 ? P.delay_min : P.delay_min + std::int64_t(sh.target[x] >> P.target_bits);
                t.delay_ms.push_back(double(d) * config_.dt_ms);
            }
    // Canonical order: by source, then target, keeping the drawn order of multapses. Rules drawn
    // per target are in it already (rows list their targets ascending, in drawn order for
    // multapses, and shards hold ascending target ranges; see weights()).
    using K = connection_rule::kind;
    if (P.spec.rule.type != K::fixed_outdegree && P.spec.rule.type != K::explicit_list) return t;
    std::vector<std::size_t> order(t.source.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return t.source[a] != t.source[b] ? t.source[a] < t.source[b] : t.target[a] < t.target[b];
    });
    synapse_table out;
    out.source.reserve(order.size());
    out.target.reserve(order.size());
    out.weight.reserve(order.size());
    out.delay_ms.reserve(order.size());
    for (auto o : order) {
        out.source.push_back(t.source[o]);
        out.target.push_back(t.target[o]);
        out.weight.push_back(t.weight[o]);
        out.delay_ms.push_back(t.delay_ms[o]);
    }
    return out;
}



const sim::plasticity& network::plasticity_of(std::size_t k) const {
    const auto& P = projections_.at(k);
    if (!P.spec.plasticity) throw error("projection '" + P.spec.name + "' is not plastic");
    if (!P.rule) throw error("projection '" + P.spec.name + "': its plasticity exists once the network is built");
    return *P.rule;
}

void network::set_communicator(std::shared_ptr<communicator> c) {
    if (built_) throw error("the communicator must be set before the network is built");
    if (!c) throw error("set_communicator: no communicator");
    state_->comm = std::move(c);
}

int network::rank() const noexcept { return state_->comm->rank(); }
int network::ranks() const noexcept { return state_->comm->size(); }

std::uint64_t network::projection_synapse_count(std::size_t k) const {
    if (!built_) throw error("projection_synapse_count(): the network is not built yet");
    return state_->projection_synapses.at(k);
}

} // namespace lamina::sim
