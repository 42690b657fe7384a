// The spiking network's sections of a model file: [populations.NAME], [[projections]] (with their
// plasticity tables), [[stimuli]] and [[recorders]].
#include "reader.hpp"

#include <fmt/format.h>
#include <limits>
#include <set>

namespace lamina::compose::detail {

void read_populations(reader& r, const toml::table& root, model_description& d) {
    const toml::node* node = root.get("populations");
    if (!node) {
        r.error(source_location{1, 1}, "populations", "missing: a model needs at least one [populations.NAME] table");
        return;
    }
    const toml::table* pops = as_table(r, node, "populations");
    if (!pops) return;
    if (pops->empty()) r.error(*pops, "populations", "needs at least one population");
    for (auto&& [name, value] : *pops) {
        const std::string path = "populations." + std::string(name.str());
        const toml::table* t = as_table(r, &value, path);
        if (!t) continue;
        const auto where = location_of(t->source());
        r.check_keys(*t, path, {"model", "size", "params", "initial"});
        population_description p;
        p.name = std::string(name.str());
        const std::string label = "population '" + p.name + "'";
        r.remember_object(label, where, path);
        p.model = r.string(*t, "model", path, true, where).value_or("");
        r.remember_key(label, "model", *t, "model", path);
        p.size = static_cast<std::size_t>(r.integer(*t, "size", path, true, where, 1).value_or(0));
        r.remember_key(label, "size", *t, "size", path);
        if (const toml::table* params = as_table(r, t->get("params"), path + ".params"))
            r.named_numbers(*params, path + ".params", label, p.parameters);
        if (const toml::table* init = as_table(r, t->get("initial"), path + ".initial")) {
            for (auto&& [k, v] : *init) {
                const std::string key = path + ".initial." + std::string(k.str());
                if (auto dist = r.distribution(v, key)) p.initial.emplace_back(std::string(k.str()), *dist);
                d.parameters[{label, "initial." + std::string(k.str())}] = {location_of(k.source()), key};
            }
        }
        d.populations.push_back(std::move(p));
    }
}

void read_projections(reader& r, const toml::table& root, model_description& d) {
    std::set<std::string> names;
    for_each_entry(r, root, "projections", [&](const toml::table& t, const std::string& path, std::size_t i) {
        const auto where = location_of(t.source());
        r.check_keys(t, path,
                     {"name", "source", "target", "rule", "probability", "indegree", "outdegree", "total", "autapses",
                      "multapses", "weight", "delay", "port", "sources", "targets", "weights", "delays",
                      "plasticity"});
        sim::projection_spec s;
        s.source = r.string(t, "source", path, true, where).value_or("");
        s.target = r.string(t, "target", path, true, where).value_or("");
        s.name = r.string(t, "name", path, false, where).value_or(s.source + "->" + s.target);
        if (!names.insert(s.name).second) s.name += fmt::format("#{}", i + 1);
        const std::string label = "projection '" + s.name + "'";
        r.remember_object(label, where, path);
        for (const char* k : {"source", "target", "port", "probability", "indegree", "outdegree", "total", "weight", "delay",
                              "sources", "targets", "weights", "delays"})
            r.remember_key(label, k, t, k, path);
        r.remember_key(label, "rule", t, "rule", path);
        const auto rule = r.choice(t, "rule", path, true, where,
                                   {"one_to_one", "all_to_all", "pairwise_bernoulli", "fixed_indegree",
                                    "fixed_outdegree", "fixed_total_number", "explicit"});
        const bool autapses = r.boolean(t, "autapses", path, where).value_or(true);
        const bool multapses = r.boolean(t, "multapses", path, where).value_or(true);
        auto forbid = [&](std::initializer_list<std::string_view> keys, const std::string& why) {
            for (auto k : keys)
                if (const toml::node* n = t.get(k)) r.error(*n, reader::join(path, k), "not used " + why);
        };
        if (rule) {
            using R = sim::connection_rule;
            if (*rule == "one_to_one") {
                s.rule = R::one_to_one();
                forbid({"probability", "indegree", "outdegree", "sources", "targets", "total"}, "by rule one_to_one");
            } else if (*rule == "all_to_all") {
                s.rule = R::all_to_all(autapses);
                forbid({"probability", "indegree", "outdegree", "sources", "targets", "total"}, "by rule all_to_all");
            } else if (*rule == "pairwise_bernoulli") {
                s.rule = R::pairwise_bernoulli(r.number(t, "probability", path, true, where).value_or(0.0), autapses);
                forbid({"indegree", "outdegree", "sources", "targets", "total"}, "by rule pairwise_bernoulli");
            } else if (*rule == "fixed_indegree") {
                s.rule = R::fixed_indegree(
                    static_cast<std::uint64_t>(r.integer(t, "indegree", path, true, where, 0).value_or(0)), autapses,
                    multapses);
                forbid({"probability", "outdegree", "sources", "targets", "total"}, "by rule fixed_indegree");
            } else if (*rule == "fixed_outdegree") {
                s.rule = R::fixed_outdegree(
                    static_cast<std::uint64_t>(r.integer(t, "outdegree", path, true, where, 0).value_or(0)), autapses,
                    multapses);
                forbid({"probability", "indegree", "sources", "targets", "total"}, "by rule fixed_outdegree");
            } else if (*rule == "fixed_total_number") {
                s.rule = R::fixed_total_number(
                    static_cast<std::uint64_t>(r.integer(t, "total", path, true, where, 0).value_or(0)), autapses,
                    multapses);
                forbid({"probability", "indegree", "outdegree", "sources", "targets"}, "by rule fixed_total_number");
            } else {
                auto src = r.indices(t, "sources", path, true, where).value_or(std::vector<std::uint32_t>{});
                auto tgt = r.indices(t, "targets", path, true, where).value_or(std::vector<std::uint32_t>{});
                std::vector<float> w;
                if (auto ws = r.numbers(t, "weights", path, false, where))
                    for (double x : *ws) w.push_back(static_cast<float>(x));
                auto dl = r.numbers(t, "delays", path, false, where).value_or(std::vector<double>{});
                s.rule = R::explicit_list(std::move(src), std::move(tgt), std::move(w), std::move(dl));
                forbid({"probability", "indegree", "outdegree", "total"}, "by rule explicit");
            }
        }
        if (rule && *rule != "explicit") forbid({"weights", "delays"}, "unless rule = \"explicit\"");
        const bool explicit_weights = rule && *rule == "explicit" && t.get("weights");
        if (const toml::node* w = t.get("weight")) {
            if (auto dist = r.distribution(*w, reader::join(path, "weight"))) s.weight = *dist;
        } else if (!explicit_weights) {
            r.error(where, reader::join(path, "weight"), "missing required key");
        }
        s.delay_ms = sim::distribution::constant(d.run.dt_ms);
        if (const toml::node* dl = t.get("delay"))
            if (auto dist = r.distribution(*dl, reader::join(path, "delay"))) s.delay_ms = *dist;
        s.port = r.string(t, "port", path, false, where).value_or("excitatory");
        if (const toml::table* pl = as_table(r, t.get("plasticity"), reader::join(path, "plasticity"))) {
            const std::string ppath = reader::join(path, "plasticity");
            const auto pwhere = location_of(pl->source());
            plasticity_description pd;
            pd.projection = d.projections.size();
            pd.rule = r.string(*pl, "rule", ppath, true, pwhere).value_or("");
            pd.short_term = r.string(*pl, "short_term", ppath, false, pwhere).value_or("");
            d.parameters[{label, "plasticity.rule"}] = {pwhere, ppath + ".rule"};
            d.parameters[{label, "plasticity.short_term"}] = {pwhere, ppath + ".short_term"};
            r.named_numbers(*pl, ppath, label, pd.parameters, {"rule", "short_term"});
            d.plasticity.push_back(std::move(pd));
        }
        d.projections.push_back(std::move(s));
    });
}

void read_stimuli(reader& r, const toml::table& root, model_description& d) {
    for_each_entry(r, root, "stimuli", [&](const toml::table& t, const std::string& path, std::size_t i) {
        const auto where = location_of(t.source());
        const auto type = r.choice(t, "type", path, true, where, {"poisson", "spike_generator", "dc", "step_current", "neuron_currents"});
        if (!type) return;
        const std::string name = r.string(t, "name", path, false, where).value_or(fmt::format("{}_{}", *type, i + 1));
        const std::string target = r.string(t, "target", path, true, where).value_or("");
        const auto neurons = r.indices(t, "neurons", path, false, where).value_or(std::vector<std::uint32_t>{});
        std::string label;
        if (*type == "poisson") {
            r.check_keys(t, path, {"type", "name", "target", "neurons", "rate", "weight", "port", "independent",
                                   "start", "stop"});
            sim::poisson_input_spec s;
            s.name = name;
            s.target = target;
            s.neurons = neurons;
            s.rate_hz = r.number(t, "rate", path, true, where).value_or(0.0);
            s.weight = r.number(t, "weight", path, true, where).value_or(0.0);
            s.port = r.string(t, "port", path, false, where).value_or("excitatory");
            s.independent = r.boolean(t, "independent", path, where).value_or(true);
            s.start_ms = r.number(t, "start", path, false, where).value_or(0.0);
            s.stop_ms = r.number(t, "stop", path, false, where).value_or(std::numeric_limits<double>::infinity());
            d.poisson_inputs.push_back(s);
            label = "poisson input '" + name + "'";
        } else if (*type == "spike_generator") {
            r.check_keys(t, path, {"type", "name", "target", "neurons", "times", "weight", "delay", "port"});
            sim::spike_generator_spec s;
            s.name = name;
            s.target = target;
            s.neurons = neurons;
            s.times_ms = r.numbers(t, "times", path, true, where).value_or(std::vector<double>{});
            s.weight = r.number(t, "weight", path, true, where).value_or(0.0);
            s.delay_ms = r.number(t, "delay", path, false, where).value_or(d.run.dt_ms);
            s.port = r.string(t, "port", path, false, where).value_or("excitatory");
            d.spike_generators.push_back(s);
            label = "spike generator '" + name + "'";
        } else if (*type == "dc") {
            r.check_keys(t, path, {"type", "name", "target", "neurons", "amplitude", "start", "stop"});
            auto s = sim::current_input_spec::dc(
                name, target, r.number(t, "amplitude", path, true, where).value_or(0.0),
                r.number(t, "start", path, false, where).value_or(0.0),
                r.number(t, "stop", path, false, where).value_or(std::numeric_limits<double>::infinity()));
            s.neurons = neurons;
            d.current_inputs.push_back(s);
            label = "current input '" + name + "'";
        } else if (*type == "neuron_currents") {
            // A constant current per neuron (e.g. a population code), changed between runs.
            r.check_keys(t, path, {"type", "name", "target", "neurons", "amplitudes"});
            sim::neuron_currents_spec s;
            s.name = name;
            s.target = target;
            s.neurons = neurons;
            s.amplitudes_pA = r.numbers(t, "amplitudes", path, true, where).value_or(std::vector<double>{});
            d.neuron_currents.push_back(s);
            label = "neuron currents '" + name + "'";
        } else {
            r.check_keys(t, path, {"type", "name", "target", "neurons", "times", "amplitudes"});
            sim::current_input_spec s;
            s.name = name;
            s.target = target;
            s.neurons = neurons;
            s.times_ms = r.numbers(t, "times", path, true, where).value_or(std::vector<double>{});
            s.amplitudes_pA = r.numbers(t, "amplitudes", path, true, where).value_or(std::vector<double>{});
            d.current_inputs.push_back(s);
            label = "current input '" + name + "'";
        }
        r.remember_object(label, where, path);
        for (const char* k : {"target", "neurons", "rate", "weight", "port", "start", "stop", "times", "delay",
                              "amplitudes", "amplitude"})
            r.remember_key(label, k, t, k, path);
    });
}

void read_recorders(reader& r, const toml::table& root, model_description& d) {
    for_each_entry(r, root, "recorders", [&](const toml::table& t, const std::string& path, std::size_t) {
        const auto where = location_of(t.source());
        const auto type = r.choice(t, "type", path, true, where, {"spikes", "state", "rate", "weights"});
        if (!type) return;
        if (*type == "weights") {
            r.check_keys(t, path, {"type", "name", "projection", "interval"});
            sim::weight_recorder_spec w;
            w.projection = r.string(t, "projection", path, true, where).value_or("");
            w.name = r.string(t, "name", path, false, where).value_or("weights_" + w.projection);
            w.interval_ms = r.number(t, "interval", path, false, where).value_or(1000.0);
            const std::string label = "weight recorder '" + w.name + "'";
            r.remember_object(label, where, path);
            for (const char* k : {"projection", "interval"}) r.remember_key(label, k, t, k, path);
            d.weight_recorders.push_back(w);
            return;
        }
        const std::string pop = r.string(t, "population", path, true, where).value_or("");
        const std::string name = r.string(t, "name", path, false, where).value_or(*type + "_" + pop);
        std::string label;
        if (*type == "spikes") {
            r.check_keys(t, path, {"type", "name", "population", "neurons"});
            d.spike_recorders.push_back(
                {name, pop, r.indices(t, "neurons", path, false, where).value_or(std::vector<std::uint32_t>{})});
            label = "spike recorder '" + name + "'";
        } else if (*type == "state") {
            r.check_keys(t, path, {"type", "name", "population", "neurons", "variables", "interval"});
            sim::state_recorder_spec s;
            s.name = name;
            s.population = pop;
            s.neurons = r.indices(t, "neurons", path, true, where).value_or(std::vector<std::uint32_t>{});
            s.variables = r.strings(t, "variables", path, true, where).value_or(std::vector<std::string>{});
            s.interval_ms = r.number(t, "interval", path, false, where).value_or(1.0);
            d.state_recorders.push_back(s);
            label = "state recorder '" + name + "'";
        } else {
            r.check_keys(t, path, {"type", "name", "population", "bin"});
            d.rate_recorders.push_back({name, pop, r.number(t, "bin", path, false, where).value_or(1.0)});
            label = "rate recorder '" + name + "'";
        }
        r.remember_object(label, where, path);
        for (const char* k : {"population", "neurons", "variables", "interval", "bin"})
            r.remember_key(label, k, t, k, path);
    });
}

} // namespace lamina::compose::detail
