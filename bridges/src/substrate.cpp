#include "lamina/bridges/substrate.hpp"

#include "lamina/bridges/sensory.hpp"
#include "lamina/sim/checkpoint.hpp"
#include "lamina/sim/error.hpp"
#include "lamina/sim/rng.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <numeric>
#include <set>

namespace lamina::bridges {

namespace {

constexpr std::uint32_t replay_stream = 0x5250;  // "RP"
constexpr std::string_view state_marker = "\n#@substrate-state 1\n";
constexpr double max_observe_ms = 3.6e6;          // 1 h
constexpr double max_idle_ms = 8.64e7;            // 24 h

void check_duration(double ms, double max, const char* what) {
    if (!(ms > 0.0) || !(ms <= max))
        throw sim::error(fmt::format("{}: duration_ms must be in (0, {}] (got {})", what, max, ms));
}

std::vector<association> top_k(const std::vector<double>& score, const label_memory& labels, std::size_t exclude,
                               std::size_t k) {
    std::vector<std::size_t> order;
    for (std::size_t a = 0; a < labels.size(); ++a)
        if (a != exclude) order.push_back(a);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return score[x] > score[y]; });
    if (order.size() > k) order.resize(k);
    std::vector<association> out;
    for (std::size_t a : order) out.push_back({labels.label_of(a), score[a]});
    return out;
}

} // namespace

substrate::substrate(substrate_config config, std::string description)
    : cfg_(std::move(config)), model_text_(std::move(description)) {
    cfg_.validate();
    if (model_text_.find(state_marker) != std::string::npos)
        model_text_.resize(model_text_.find(state_marker));
    labels_ = label_memory(cfg_.concept_layer.assemblies);
    build();
}

substrate::~substrate() = default;

void substrate::run_ms(double ms) {
    const auto steps = std::llround(ms / cfg_.dt_ms);
    if (steps > 0) net_->run_steps(steps);
}

void substrate::drive_labels(const std::vector<std::size_t>& assemblies, double rate_hz, bool on) {
    const std::size_t m = cfg_.concept_layer.excitatory;
    std::vector<double> amp(cfg_.concept_layer.excitatory_neurons(), 0.0);
    if (on)
        for (std::size_t a : assemblies)
            for (std::size_t i = a * m; i < (a + 1) * m; ++i) amp[i] = lif_current_for_rate(cfg_.neuron, rate_hz * label_gain_[i]);
    net_->set_neuron_currents(concept_currents_, amp);
}

void substrate::observe(std::span<const double> embedding, const std::vector<std::string>& labels, double duration_ms) {
    check_duration(duration_ms, max_observe_ms, "observe");
    if (!embedding.empty() && embedding.size() != cfg_.dimensions)
        throw sim::error(fmt::format("observe: the embedding has {} dimensions, the substrate takes {}", embedding.size(),
                                     cfg_.dimensions));
    for (double x : embedding)
        if (!std::isfinite(x)) throw sim::error("observe: the embedding has a value that is not finite");
    if (embedding.empty() && labels.empty()) throw sim::error("observe: give an embedding, a text or labels");
    std::set<std::string> fresh;
    for (const auto& l : labels) {
        if (l.empty()) throw sim::error("observe: a label must not be empty");
        if (!labels_.find(l)) fresh.insert(l);
    }
    if (labels_.size() + fresh.size() > labels_.capacity())
        throw sim::error(fmt::format("observe: {} new labels but only {} of {} concept assemblies are free", fresh.size(),
                                     labels_.capacity() - labels_.size(), labels_.capacity()));
    bool any_nonzero = embedding.empty();
    for (double x : embedding) any_nonzero |= x != 0.0;
    if (!any_nonzero) throw sim::error("observe: the embedding is all zeros");

    std::vector<std::size_t> assemblies;
    for (const auto& l : labels) assemblies.push_back(labels_.assign(l));

    std::vector<double> sensory(code_->population_size(), 0.0);
    if (!embedding.empty()) {
        const auto act = code_->encode(embedding);
        for (std::size_t j = 0; j < act.neurons.size(); ++j)
            sensory[act.neurons[j]] = lif_current_for_rate(cfg_.neuron, act.intensity[j] * cfg_.sensory_rate_hz);
    }
    net_->set_neuron_currents(sensory_currents_, sensory);
    drive_labels(assemblies, cfg_.label_rate_hz, true);
    run_ms(duration_ms);
    std::fill(sensory.begin(), sensory.end(), 0.0);
    net_->set_neuron_currents(sensory_currents_, sensory);
    drive_labels({}, 0.0, false);
    net_->take_spikes(concept_recorder_);
    labels_.observed(assemblies);
    ++observations_;
}

void substrate::observe_text(std::string_view text, const std::vector<std::string>& labels, double duration_ms) {
    if (!embedder_) throw sim::error("observe: text needs a word-vector table (none is loaded)");
    if (embedder_->dimensions() != cfg_.dimensions)
        throw sim::error(fmt::format("observe: the word vectors have {} dimensions, the substrate takes {}",
                                     embedder_->dimensions(), cfg_.dimensions));
    const auto e = embedder_->embed(text);
    observe(e, labels, duration_ms);
}

void substrate::reward(double value) {
    if (!std::isfinite(value)) throw sim::error("reward: the value must be a finite number");
    for (std::size_t k : reward_projections_) net_->modulate(k, value * cfg_.learning.reward_gain);
    ++rewards_;
}

void substrate::draw_next_replay(double from_ms) {
    const double total_hz = cfg_.replay_rate_hz * double(labels_.size());
    if (!(total_hz > 0.0)) {
        next_replay_ms_ = -1.0;
        return;
    }
    sim::random_stream r(cfg_.seed, sim::stream_purpose::user, replay_stream, replays_);
    next_replay_ms_ = from_ms + -std::log(r.uniform()) / total_hz * 1000.0;
}

std::vector<trigger_event> substrate::idle(double duration_ms) {
    check_duration(duration_ms, max_idle_ms, "idle");
    const double dt = cfg_.dt_ms;
    const std::int64_t end = net_->current_step() + std::llround(duration_ms / dt);
    const bool restore_learning = learning_ && !cfg_.learn_while_idle;
    if (restore_learning) set_learning(false);
    std::vector<trigger_event> out;
    const std::size_t m = cfg_.concept_layer.excitatory;
    const auto window_steps = std::max<std::int64_t>(1, std::llround(cfg_.replay_window_ms / dt));
    const auto pulse_steps = std::max<std::int64_t>(1, std::llround(cfg_.replay_ms / dt));
    while (net_->current_step() < end) {
        if (next_replay_ms_ < 0.0) draw_next_replay(net_->current_time_ms());
        if (next_replay_ms_ < 0.0) {
            net_->run_steps(end - net_->current_step());
            break;
        }
        const auto at = std::max(net_->current_step(), std::int64_t(std::ceil(next_replay_ms_ / dt - 1e-9)));
        if (at + window_steps > end) {
            net_->run_steps(end - net_->current_step());
            break;
        }
        net_->run_steps(at - net_->current_step());
        net_->take_spikes(concept_recorder_);
        sim::random_stream r(cfg_.seed, sim::stream_purpose::user, replay_stream, replays_, 1);
        const std::size_t a = std::size_t(r.below(labels_.size()));
        const double t0 = net_->current_time_ms();
        drive_labels({a}, cfg_.replay_rate_at_pulse_hz, true);
        net_->run_steps(pulse_steps);
        drive_labels({}, 0.0, false);
        net_->run_steps(window_steps - pulse_steps);
        const auto spikes = net_->take_spikes(concept_recorder_);
        // Fraction of each labelled assembly's neurons that spiked in the window.
        std::vector<std::uint8_t> fired(cfg_.concept_layer.excitatory_neurons(), 0);
        for (auto n : spikes.neurons) fired[n] = 1;
        std::vector<std::pair<double, std::size_t>> reached;
        for (std::size_t b = 0; b < labels_.size(); ++b) {
            if (b == a) continue;
            const double f = double(std::accumulate(fired.begin() + b * m, fired.begin() + (b + 1) * m, 0)) / double(m);
            if (f >= cfg_.trigger_fraction) reached.push_back({f, b});
        }
        ++replays_;
        draw_next_replay(t0);
        if (reached.empty()) continue;
        std::stable_sort(reached.begin(), reached.end(), [](auto& x, auto& y) { return x.first > y.first; });
        trigger_event ev;
        ev.time_ms = t0;
        ev.strength = reached.front().first;
        ev.labels.push_back(labels_.label_of(a));
        ev.strengths.push_back(double(std::accumulate(fired.begin() + a * m, fired.begin() + (a + 1) * m, 0)) / double(m));
        for (auto [f, b] : reached) {
            ev.labels.push_back(labels_.label_of(b));
            ev.strengths.push_back(f);
        }
        ++triggers_;
        if (callback_) callback_(ev);
        out.push_back(std::move(ev));
    }
    net_->take_spikes(concept_recorder_);
    if (restore_learning) set_learning(true);
    return out;
}

std::vector<association> substrate::associations(const std::string& label, std::size_t k) const {
    const auto a = labels_.find(label);
    if (!a) throw sim::error("associations: unknown label '" + label + "'");
    const auto w = net_->weights(lateral_);
    std::vector<double> score(labels_.size(), 0.0);
    const std::size_t n = labels_.size();
    for (std::size_t s = 0; s < w.size(); ++s)
        if (lateral_source_[s] == *a && lateral_target_[s] < n) score[lateral_target_[s]] += double(w[s]);
    for (double& x : score) x /= double(cfg_.concept_layer.excitatory);
    return top_k(score, labels_, *a, k);
}

std::vector<association> substrate::associations(std::span<const double> embedding, std::size_t k) const {
    if (embedding.size() != cfg_.dimensions)
        throw sim::error(fmt::format("associations: the embedding has {} dimensions, the substrate takes {}",
                                     embedding.size(), cfg_.dimensions));
    for (double x : embedding)
        if (!std::isfinite(x)) throw sim::error("associations: the embedding has a value that is not finite");
    const auto act = code_->encode(embedding);
    std::vector<double> drive(code_->population_size(), 0.0);
    for (std::size_t j = 0; j < act.neurons.size(); ++j) drive[act.neurons[j]] = act.intensity[j];
    const auto w = net_->weights(sensory_to_concept_);
    std::vector<double> score(labels_.size(), 0.0);
    const std::size_t n = labels_.size();
    for (std::size_t s = 0; s < w.size(); ++s)
        if (sensory_target_[s] < n) score[sensory_target_[s]] += double(w[s]) * drive[sensory_source_[s]];
    for (double& x : score) x /= double(cfg_.concept_layer.excitatory);
    return top_k(score, labels_, std::size_t(-1), k);
}

std::vector<association> substrate::associations_text(std::string_view text, std::size_t k) const {
    if (!embedder_) throw sim::error("associations: text needs a word-vector table (none is loaded)");
    const auto e = embedder_->embed(text);
    return associations(e, k);
}

void substrate::set_learning(bool on) {
    for (std::size_t k : learning_projections_) net_->set_plasticity_enabled(k, on);
    learning_ = on;
}

substrate_stats substrate::stats() const {
    substrate_stats s;
    s.time_ms = net_->current_time_ms();
    s.neurons = cfg_.neurons();
    s.synapses = net_->statistics().synapses;
    s.labels = labels_.size();
    s.observations = observations_;
    s.rewards = rewards_;
    s.replays = replays_;
    s.triggers = triggers_;
    s.learning = learning_;
    const double T = net_->current_time_ms() * 1e-3;
    for (std::size_t p = 0; p < net_->population_count(); ++p) {
        const auto& pop = net_->population_at(p);
        const double n = double(pop.size());
        s.rates.push_back({pop.name(), T > 0 && n > 0 ? double(net_->spike_counts()[p]) / n / T : 0.0});
    }
    const auto w = net_->weights(lateral_);
    double sum = 0.0, mx = 0.0;
    for (float x : w) {
        sum += x;
        mx = std::max(mx, double(x));
    }
    s.mean_lateral_mV = w.empty() ? 0.0 : sum / double(w.size());
    s.max_lateral_mV = mx;
    const auto& b = net_->statistics();
    s.memory_bytes = b.synapse_bytes + b.state_bytes + b.plasticity_bytes;
    return s;
}

std::string substrate::state_text() const {
    std::string t(state_marker);
    t += fmt::format("#@counters {} {} {} {}\n", observations_, rewards_, replays_, triggers_);
    t += fmt::format("#@next_replay {}\n", next_replay_ms_);
    t += fmt::format("#@learning {}\n", learning_ ? 1 : 0);
    t += labels_.to_text();
    return t;
}

void substrate::save(const std::string& path) {
    net_->set_description(model_text_ + state_text(), "lamina substrate");
    net_->save_checkpoint(path);
}

std::string substrate::saved_model_text(const std::string& path) {
    auto h = sim::read_checkpoint_header(path);
    const auto at = h.description.find(state_marker);
    if (at == std::string::npos) throw sim::checkpoint_error(path + ": not a substrate checkpoint (no substrate state)");
    return h.description.substr(0, at);
}

void substrate::load(const std::string& path) {
    auto h = sim::read_checkpoint_header(path);
    const auto at = h.description.find(state_marker);
    if (at == std::string::npos) throw sim::checkpoint_error(path + ": not a substrate checkpoint (no substrate state)");
    if (h.description.substr(0, at) != model_text_)
        throw sim::checkpoint_error(path + ": written by a substrate of another configuration");
    const std::string state = h.description.substr(at);
    // Parse everything before changing anything.
    auto labels = label_memory::from_text(state, cfg_.concept_layer.assemblies);
    std::uint64_t obs = 0, rew = 0, rep = 0, trig = 0;
    double next = -1.0;
    int learning = 1;
    bool have_counters = false, have_next = false;
    std::size_t pos = 0;
    while (pos < state.size()) {
        auto end = state.find('\n', pos);
        if (end == std::string::npos) end = state.size();
        const std::string line = state.substr(pos, end - pos);
        pos = end + 1;
        if (line.rfind("#@counters ", 0) == 0)
            have_counters = std::sscanf(line.c_str() + 11, "%lu %lu %lu %lu", &obs, &rew, &rep, &trig) == 4;
        else if (line.rfind("#@next_replay ", 0) == 0) {
            char* e = nullptr;
            next = std::strtod(line.c_str() + 14, &e);
            have_next = e && *e == '\0';
        } else if (line.rfind("#@learning ", 0) == 0)
            learning = line.substr(11) == "0" ? 0 : 1;
    }
    if (!have_counters || !have_next) throw sim::checkpoint_error(path + ": damaged substrate state");
    // The engine loads into a network that has run by remaking its runtime state on the same
    // connectivity; a checkpoint that fails its checks leaves the network as it was.
    net_->load_checkpoint(path);
    labels_ = std::move(labels);
    observations_ = obs;
    rewards_ = rew;
    replays_ = rep;
    triggers_ = trig;
    next_replay_ms_ = next;
    learning_ = learning != 0;
}

} // namespace lamina::bridges
