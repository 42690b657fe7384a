#include "lamina/bridges/substrate_config.hpp"

#include "lamina/sim/error.hpp"

#include <cmath>
#include <fmt/format.h>

namespace lamina::bridges {

std::size_t substrate_config::sensory_neurons() const {
    return code == "zscore" ? 2 * zscore_groups * zscore_group_size : 2 * sensory_per_pool;
}

substrate_config substrate_config::small() {
    substrate_config c;
    c.sensory_per_pool = 1024;
    c.zscore_groups = 256;
    c.concept_layer = {64, 24, 6};
    c.category = {16, 24, 6};
    c.meta = {4, 24, 6};
    c.sensory_to_concept_indegree = 32;
    c.lateral_indegree = 128;  // 2 synapses per neuron from each assembly, as in the default
    c.forward_indegree = 32;
    c.feedback_indegree = 16;
    return c;
}

std::vector<std::string> substrate_config::problems() const {
    std::vector<std::string> p;
    auto positive = [&](double v, const char* key) {
        if (!(v > 0.0) || !std::isfinite(v)) p.push_back(fmt::format("{}: must be a positive number (got {})", key, v));
    };
    auto nonnegative = [&](double v, const char* key) {
        if (!(v >= 0.0) || !std::isfinite(v)) p.push_back(fmt::format("{}: must be >= 0 (got {})", key, v));
    };
    if (dimensions < 2) p.push_back("dimensions: must be >= 2");
    if (code != "sparse" && code != "zscore") p.push_back("code: must be \"sparse\" or \"zscore\" (got \"" + code + "\")");
    if (code == "sparse") {
        if (sensory_per_pool < 20) p.push_back("sensory_per_pool: must be >= 20");
        if (!(sensory_active_fraction > 0.0 && sensory_active_fraction <= 0.5))
            p.push_back("sensory_active_fraction: must be in (0, 0.5]");
        else if (std::size_t(sensory_active_fraction * double(sensory_per_pool)) < 1)
            p.push_back("sensory_active_fraction: activates no neuron of a pool");
    } else {
        if (zscore_groups < 1 || zscore_group_size < 1) p.push_back("zscore_groups, zscore_group_size: must be >= 1");
        if (zscore_k < 1 || zscore_k > zscore_groups || 2 * zscore_k > dimensions)
            p.push_back("zscore_k: must be in 1..min(zscore_groups, dimensions / 2)");
    }
    positive(sensory_rate_hz, "sensory_rate_hz");
    for (auto [l, name] : {std::pair{&concept_layer, "concept"}, {&category, "category"}, {&meta, "meta"}}) {
        if (l->assemblies < 1) p.push_back(fmt::format("{}.assemblies: must be >= 1", name));
        if (l->excitatory < 1) p.push_back(fmt::format("{}.excitatory: must be >= 1", name));
        if (l->inhibitory < 1) p.push_back(fmt::format("{}.inhibitory: must be >= 1", name));
        if (!(l->inhibition_mV <= 0.0)) p.push_back(fmt::format("{}.inhibition_mV: must be <= 0", name));
        if (!(l->inhibition_probability >= 0.0 && l->inhibition_probability <= 1.0))
            p.push_back(fmt::format("{}.inhibition_probability: must be in [0, 1]", name));
        if (!(l->recurrent_probability >= 0.0 && l->recurrent_probability <= 1.0))
            p.push_back(fmt::format("{}.recurrent_probability: must be in [0, 1]", name));
        if (!std::isfinite(l->excitation_to_pool_mV) || !std::isfinite(l->recurrent_mV))
            p.push_back(fmt::format("{}: weights must be finite", name));
    }
    if (concept_layer.assemblies < 2) p.push_back("concept_layer.assemblies: must be >= 2 (associations need two labels)");
    if (lateral_indegree < 1 || lateral_indegree >= concept_layer.excitatory_neurons())
        p.push_back(fmt::format("lateral_indegree: must be in 1..{}", concept_layer.excitatory_neurons() - 1));
    if (sensory_to_concept_indegree < 1) p.push_back("sensory_to_concept_indegree: must be >= 1");
    if (forward_indegree < 1) p.push_back("forward_indegree: must be >= 1");
    if (feedback_indegree < 1) p.push_back("feedback_indegree: must be >= 1");
    nonnegative(sensory_to_concept_mV, "sensory_to_concept_mV");
    nonnegative(forward_mV, "forward_mV");
    nonnegative(feedback_mV, "feedback_mV");
    positive(dt_ms, "dt_ms");
    if (!(delay_ms >= dt_ms)) p.push_back("delay_ms: must be >= dt_ms");
    const auto& L = learning;
    for (auto [v, n] : {std::pair{L.tau_plus, "learning.tau_plus"}, {L.tau_minus, "learning.tau_minus"},
                        {L.tau_c, "learning.tau_c"}, {L.tau_d, "learning.tau_d"},
                        {L.lateral_W_max, "learning.lateral_W_max"}, {L.forward_W_max, "learning.forward_W_max"}})
        positive(v, n);
    for (auto [v, n] : {std::pair{L.A_plus, "learning.A_plus"}, {L.A_minus, "learning.A_minus"},
                        {L.baseline, "learning.baseline"}, {L.reward_gain, "learning.reward_gain"},
                        {L.istdp_rho0, "learning.istdp_rho0"}, {L.istdp_eta, "learning.istdp_eta"}})
        nonnegative(v, n);
    if (!(L.istdp_W_max < 0.0) || !std::isfinite(L.istdp_W_max)) p.push_back("learning.istdp_W_max: must be < 0 (inhibitory)");
    if (!(L.update_interval_ms >= dt_ms && L.update_interval_ms <= 20.0 * L.tau_c))
        p.push_back(fmt::format("learning.update_interval_ms: must be in [dt_ms, 20 tau_c] (got {})", L.update_interval_ms));
    positive(label_rate_hz, "label_rate_hz");
    nonnegative(background_rate_hz, "background_rate_hz");
    nonnegative(background_mV, "background_mV");
    nonnegative(replay_rate_hz, "replay_rate_hz");
    positive(replay_ms, "replay_ms");
    positive(replay_rate_at_pulse_hz, "replay_rate_at_pulse_hz");
    if (!(replay_window_ms >= replay_ms) || !std::isfinite(replay_window_ms))
        p.push_back("replay_window_ms: must be >= replay_ms");
    if (!(trigger_fraction > 0.0 && trigger_fraction <= 1.0)) p.push_back("trigger_fraction: must be in (0, 1]");
    const double max_rate = 1000.0 / std::max(neuron.t_ref, dt_ms);
    for (auto [v, n] : {std::pair{sensory_rate_hz, "sensory_rate_hz"}, {label_rate_hz * 1.25, "label_rate_hz"},
                        {replay_rate_at_pulse_hz * 1.25, "replay_rate_at_pulse_hz"}})
        if (v >= 0.5 * max_rate) p.push_back(fmt::format("{}: must be below {} Hz (half the refractory limit, with the 1.25 drive spread)", n, 0.5 * max_rate / (v == sensory_rate_hz ? 1.0 : 1.25)));
    if (!(neuron.V_th > neuron.V_reset) || !(neuron.tau_m > 0.0) || !(neuron.C_m > 0.0))
        p.push_back("neuron: needs V_th > V_reset, tau_m > 0, C_m > 0");
    if (neurons() > (std::size_t(1) << 31)) p.push_back("the substrate has more than 2^31 neurons");
    return p;
}

void substrate_config::validate() const {
    const auto p = problems();
    if (!p.empty()) {
        const auto colon = p.front().find(':');
        throw sim::parameter_error("substrate", p.front().substr(0, colon), p.front().substr(colon + 2));
    }
}

} // namespace lamina::bridges
