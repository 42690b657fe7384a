#include "lamina/compose/substrate_file.hpp"

#include <toml++/toml.h>

#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

namespace lamina::compose {

namespace {

using bridges::substrate_config;
using bridges::substrate_layer_config;

struct reader {
    std::string path;
    std::vector<diagnostic> problems;

    void problem(const toml::node* n, const std::string& key, const std::string& message) {
        diagnostic d;
        d.file = path;
        if (n) d.where = {int(n->source().begin.line), int(n->source().begin.column)};
        d.key = key;
        d.message = message;
        problems.push_back(std::move(d));
    }

    // A table's keys against their setters; unknown keys are problems.
    using setter = std::function<void(const toml::node&, const std::string& key)>;
    void table(const toml::table& t, const std::string& prefix, const std::map<std::string, setter>& keys,
               const std::map<std::string, const toml::table**>& subtables = {}) {
        for (const auto& [k, v] : t) {
            const std::string key = prefix + std::string(k.str());
            if (auto s = subtables.find(std::string(k.str())); s != subtables.end()) {
                if (!v.is_table()) problem(&v, key, "must be a table");
                else *s->second = v.as_table();
                continue;
            }
            auto it = keys.find(std::string(k.str()));
            if (it == keys.end()) {
                std::string allowed;
                for (const auto& [n, _] : keys) allowed += (allowed.empty() ? "" : ", ") + n;
                for (const auto& [n, _] : subtables) allowed += ", [" + prefix + n + "]";
                problem(&v, key, "unknown key; allowed: " + allowed);
                continue;
            }
            it->second(v, key);
        }
    }

    setter number(double& x) {
        return [this, &x](const toml::node& n, const std::string& key) {
            if (auto v = n.value<double>()) x = *v;
            else problem(&n, key, "must be a number");
        };
    }
    setter count(std::size_t& x) {
        return [this, &x](const toml::node& n, const std::string& key) {
            auto v = n.value<std::int64_t>();
            if (!n.is_integer() || !v || *v < 0) problem(&n, key, "must be a non-negative integer");
            else x = std::size_t(*v);
        };
    }
    setter seed(std::uint64_t& x) {
        return [this, &x](const toml::node& n, const std::string& key) {
            auto v = n.value<std::int64_t>();
            if (!n.is_integer() || !v || *v < 0) problem(&n, key, "must be a non-negative integer");
            else x = std::uint64_t(*v);
        };
    }
    setter flag(bool& x) {
        return [this, &x](const toml::node& n, const std::string& key) {
            if (auto v = n.value<bool>(); v && n.is_boolean()) x = *v;
            else problem(&n, key, "must be true or false");
        };
    }
    setter text(std::string& x) {
        return [this, &x](const toml::node& n, const std::string& key) {
            if (auto v = n.value<std::string>()) x = *v;
            else problem(&n, key, "must be a string");
        };
    }

    void layer(const toml::table* t, const std::string& name, substrate_layer_config& l) {
        if (!t) return;
        table(*t, "substrate." + name + ".",
              {{"assemblies", count(l.assemblies)},
               {"excitatory", count(l.excitatory)},
               {"inhibitory", count(l.inhibitory)},
               {"excitation_to_pool_mV", number(l.excitation_to_pool_mV)},
               {"inhibition_mV", number(l.inhibition_mV)},
               {"inhibition_probability", number(l.inhibition_probability)},
               {"recurrent_mV", number(l.recurrent_mV)},
               {"recurrent_probability", number(l.recurrent_probability)}});
    }
};

} // namespace

bridges::substrate_config parse_substrate_text(const std::string& text, const std::string& path) {
    reader r{path, {}};
    toml::table doc;
    try {
        doc = toml::parse(text, path);
    } catch (const toml::parse_error& e) {
        diagnostic d;
        d.file = path;
        d.where = {int(e.source().begin.line), int(e.source().begin.column)};
        d.message = std::string(e.description());
        throw model_file_error({d});
    }
    const toml::node* section = doc.get("substrate");
    for (const auto& [k, v] : doc)
        if (k.str() != "substrate") r.problem(&v, std::string(k.str()), "unknown section in a substrate file; allowed: [substrate]");
    if (!section || !section->is_table()) {
        r.problem(section, "substrate", "a substrate file needs a [substrate] table");
        throw model_file_error(r.problems);
    }
    const auto& s = *section->as_table();
    substrate_config c;
    if (auto p = s.get("preset")) {
        auto v = p->value<std::string>();
        if (v && *v == "small") c = substrate_config::small();
        else if (!v || *v != "default") r.problem(p, "substrate.preset", "must be \"default\" or \"small\"");
    }
    const toml::table *concept_t = nullptr, *category_t = nullptr, *meta_t = nullptr, *learning_t = nullptr,
                      *neuron_t = nullptr;
    std::string preset;
    r.table(s, "substrate.",
            {{"preset", r.text(preset)},
             {"dimensions", r.count(c.dimensions)},
             {"code", r.text(c.code)},
             {"sensory_per_pool", r.count(c.sensory_per_pool)},
             {"sensory_active_fraction", r.number(c.sensory_active_fraction)},
             {"zscore_groups", r.count(c.zscore_groups)},
             {"zscore_group_size", r.count(c.zscore_group_size)},
             {"zscore_k", r.count(c.zscore_k)},
             {"sensory_rate_hz", r.number(c.sensory_rate_hz)},
             {"sensory_to_concept_indegree", r.count(c.sensory_to_concept_indegree)},
             {"sensory_to_concept_mV", r.number(c.sensory_to_concept_mV)},
             {"lateral_indegree", r.count(c.lateral_indegree)},
             {"forward_indegree", r.count(c.forward_indegree)},
             {"forward_mV", r.number(c.forward_mV)},
             {"feedback_indegree", r.count(c.feedback_indegree)},
             {"feedback_mV", r.number(c.feedback_mV)},
             {"delay_ms", r.number(c.delay_ms)},
             {"label_rate_hz", r.number(c.label_rate_hz)},
             {"background_rate_hz", r.number(c.background_rate_hz)},
             {"background_mV", r.number(c.background_mV)},
             {"replay_rate_hz", r.number(c.replay_rate_hz)},
             {"replay_ms", r.number(c.replay_ms)},
             {"replay_window_ms", r.number(c.replay_window_ms)},
             {"replay_rate_at_pulse_hz", r.number(c.replay_rate_at_pulse_hz)},
             {"trigger_fraction", r.number(c.trigger_fraction)},
             {"learn_while_idle", r.flag(c.learn_while_idle)},
             {"dt_ms", r.number(c.dt_ms)},
             {"seed", r.seed(c.seed)}},
            {{"concept", &concept_t}, {"category", &category_t}, {"meta", &meta_t}, {"learning", &learning_t},
             {"neuron", &neuron_t}});
    r.layer(concept_t, "concept", c.concept_layer);
    r.layer(category_t, "category", c.category);
    r.layer(meta_t, "meta", c.meta);
    if (learning_t) {
        auto& L = c.learning;
        r.table(*learning_t, "substrate.learning.",
                {{"tau_plus", r.number(L.tau_plus)},       {"tau_minus", r.number(L.tau_minus)},
                 {"A_plus", r.number(L.A_plus)},           {"A_minus", r.number(L.A_minus)},
                 {"tau_c", r.number(L.tau_c)},             {"tau_d", r.number(L.tau_d)},
                 {"baseline", r.number(L.baseline)},       {"reward_gain", r.number(L.reward_gain)},
                 {"lateral_W_max", r.number(L.lateral_W_max)}, {"forward_W_max", r.number(L.forward_W_max)},
                 {"istdp_rho0", r.number(L.istdp_rho0)},   {"istdp_eta", r.number(L.istdp_eta)},
                 {"istdp_W_max", r.number(L.istdp_W_max)}, {"update_interval_ms", r.number(L.update_interval_ms)}});
    }
    if (neuron_t) {
        auto& n = c.neuron;
        r.table(*neuron_t, "substrate.neuron.",
                {{"tau_m", r.number(n.tau_m)}, {"C_m", r.number(n.C_m)}, {"E_L", r.number(n.E_L)},
                 {"V_th", r.number(n.V_th)}, {"V_reset", r.number(n.V_reset)}, {"t_ref", r.number(n.t_ref)}});
    }
    if (r.problems.empty()) {
        // Semantic checks name the key; the place is the [substrate] table's.
        for (const auto& p : c.problems()) {
            const auto colon = p.find(':');
            const std::string key = "substrate." + p.substr(0, colon);
            r.problem(&s, key, p.substr(colon + 2));
        }
    }
    if (!r.problems.empty()) throw model_file_error(r.problems);
    return c;
}

bridges::substrate_config load_substrate_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        diagnostic d;
        d.file = path;
        d.message = "cannot read the file";
        throw model_file_error({d});
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse_substrate_text(ss.str(), path);
}

} // namespace lamina::compose
