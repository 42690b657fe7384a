#include "lamina/app/model_file.hpp"

#include "lamina/models/register.hpp"
#include "lamina/plasticity/register.hpp"
#include "lamina/sim/hdf5_file.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <thread>
#include <toml++/toml.h>

namespace lamina::app {

std::string diagnostic::text() const {
    std::string s = file;
    if (where.line > 0) s += fmt::format(":{}:{}", where.line, where.column);
    s += ": ";
    if (!key.empty()) s += key + ": ";
    return s + message;
}

namespace {
std::string join_diagnostics(const std::vector<diagnostic>& d) {
    std::string s;
    for (const auto& x : d) s += x.text() + "\n";
    if (!s.empty()) s.pop_back();
    return s;
}
} // namespace

model_file_error::model_file_error(std::vector<diagnostic> d)
    : std::runtime_error(join_diagnostics(d)), diagnostics_(std::move(d)) {}

namespace {

source_location location_of(const toml::source_region& r) {
    return {static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)};
}

const char* type_name(const toml::node& n) {
    switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    default: return "a date or time";
    }
}

// Reads typed values out of toml tables and records every problem with its place in the file.
class reader {
public:
    reader(std::string file, model_description& d) : file_(std::move(file)), d_(d) {}

    std::vector<diagnostic> problems;

    void error(source_location where, const std::string& key, const std::string& message) {
        problems.push_back({file_, where, key, message});
    }
    void error(const toml::node& n, const std::string& key, const std::string& message) {
        error(location_of(n.source()), key, message);
    }

    // Every key of `t` must be in `allowed`; unknown ones are errors with a suggestion.
    void check_keys(const toml::table& t, const std::string& path, std::initializer_list<std::string_view> allowed) {
        std::vector<std::string_view> names(allowed);
        for (auto&& [k, v] : t) {
            if (std::find(names.begin(), names.end(), k.str()) != names.end()) continue;
            std::string msg = "unknown key";
            if (auto near = sim::nearest_name(k.str(), names); !near.empty()) msg += " (did you mean '" + near + "'?)";
            msg += "; allowed:";
            for (auto n : names) msg += " " + std::string(n);
            error(location_of(k.source()), join(path, k.str()), msg);
        }
    }

    static std::string join(const std::string& path, std::string_view key) {
        return path.empty() ? std::string(key) : path + "." + std::string(key);
    }

    const toml::node* get(const toml::table& t, std::string_view key, const std::string& path, bool required,
                          source_location table_where) {
        const toml::node* n = t.get(key);
        if (!n && required) error(table_where, join(path, key), "missing required key");
        return n;
    }

    std::optional<double> number(const toml::table& t, std::string_view key, const std::string& path, bool required,
                                 source_location where) {
        const toml::node* n = get(t, key, path, required, where);
        if (!n) return std::nullopt;
        if (auto v = n->value<double>(); v && (n->is_floating_point() || n->is_integer())) {
            if (!std::isfinite(*v)) {
                error(*n, join(path, key), "must be a finite number");
                return std::nullopt;
            }
            return *v;
        }
        error(*n, join(path, key), std::string("must be a number, got ") + type_name(*n));
        return std::nullopt;
    }

    std::optional<std::int64_t> integer(const toml::table& t, std::string_view key, const std::string& path,
                                        bool required, source_location where, std::int64_t min_value) {
        const toml::node* n = get(t, key, path, required, where);
        if (!n) return std::nullopt;
        if (!n->is_integer()) {
            error(*n, join(path, key), std::string("must be an integer, got ") + type_name(*n));
            return std::nullopt;
        }
        const auto v = *n->value<std::int64_t>();
        if (v < min_value) {
            error(*n, join(path, key), fmt::format("must be >= {}, got {}", min_value, v));
            return std::nullopt;
        }
        return v;
    }

    std::optional<bool> boolean(const toml::table& t, std::string_view key, const std::string& path,
                                source_location where) {
        const toml::node* n = get(t, key, path, false, where);
        if (!n) return std::nullopt;
        if (!n->is_boolean()) {
            error(*n, join(path, key), std::string("must be true or false, got ") + type_name(*n));
            return std::nullopt;
        }
        return *n->value<bool>();
    }

    std::optional<std::string> string(const toml::table& t, std::string_view key, const std::string& path,
                                      bool required, source_location where) {
        const toml::node* n = get(t, key, path, required, where);
        if (!n) return std::nullopt;
        if (!n->is_string()) {
            error(*n, join(path, key), std::string("must be a string, got ") + type_name(*n));
            return std::nullopt;
        }
        return *n->value<std::string>();
    }

    // One of `choices`, with a suggestion for a near miss.
    std::optional<std::string> choice(const toml::table& t, std::string_view key, const std::string& path,
                                      bool required, source_location where,
                                      std::initializer_list<std::string_view> choices) {
        auto s = string(t, key, path, required, where);
        if (!s) return std::nullopt;
        std::vector<std::string_view> names(choices);
        if (std::find(names.begin(), names.end(), *s) != names.end()) return s;
        std::string msg = "unknown value '" + *s + "'";
        if (auto near = sim::nearest_name(*s, names); !near.empty()) msg += " (did you mean '" + near + "'?)";
        msg += "; allowed:";
        for (auto n : names) msg += " " + std::string(n);
        error(*t.get(key), join(path, key), msg);
        return std::nullopt;
    }

    std::optional<std::vector<double>> numbers(const toml::table& t, std::string_view key, const std::string& path,
                                               bool required, source_location where) {
        const toml::node* n = get(t, key, path, required, where);
        if (!n) return std::nullopt;
        const toml::array* a = n->as_array();
        if (!a) {
            error(*n, join(path, key), std::string("must be an array of numbers, got ") + type_name(*n));
            return std::nullopt;
        }
        std::vector<double> out;
        for (std::size_t i = 0; i < a->size(); ++i) {
            const auto& e = *a->get(i);
            auto v = e.value<double>();
            if (!v || !(e.is_integer() || e.is_floating_point()) || !std::isfinite(*v)) {
                error(e, fmt::format("{}[{}]", join(path, key), i), std::string("must be a finite number, got ") +
                                                                         type_name(e));
                return std::nullopt;
            }
            out.push_back(*v);
        }
        return out;
    }

    std::optional<std::vector<std::uint32_t>> indices(const toml::table& t, std::string_view key,
                                                      const std::string& path, bool required, source_location where) {
        const toml::node* n = get(t, key, path, required, where);
        if (!n) return std::nullopt;
        const toml::array* a = n->as_array();
        if (!a) {
            error(*n, join(path, key), std::string("must be an array of neuron indices, got ") + type_name(*n));
            return std::nullopt;
        }
        std::vector<std::uint32_t> out;
        for (std::size_t i = 0; i < a->size(); ++i) {
            const auto& e = *a->get(i);
            if (!e.is_integer() || *e.value<std::int64_t>() < 0 ||
                *e.value<std::int64_t>() > std::numeric_limits<std::uint32_t>::max()) {
                error(e, fmt::format("{}[{}]", join(path, key), i), "must be a neuron index (integer >= 0)");
                return std::nullopt;
            }
            out.push_back(static_cast<std::uint32_t>(*e.value<std::int64_t>()));
        }
        return out;
    }

    std::optional<std::vector<std::string>> strings(const toml::table& t, std::string_view key,
                                                    const std::string& path, bool required, source_location where) {
        const toml::node* n = get(t, key, path, required, where);
        if (!n) return std::nullopt;
        const toml::array* a = n->as_array();
        if (!a) {
            error(*n, join(path, key), std::string("must be an array of strings, got ") + type_name(*n));
            return std::nullopt;
        }
        std::vector<std::string> out;
        for (std::size_t i = 0; i < a->size(); ++i) {
            const auto& e = *a->get(i);
            if (!e.is_string()) {
                error(e, fmt::format("{}[{}]", join(path, key), i), "must be a string");
                return std::nullopt;
            }
            out.push_back(*e.value<std::string>());
        }
        return out;
    }

    // A number (constant) or a table { dist = "...", ... }.
    std::optional<sim::distribution> distribution(const toml::node& n, const std::string& key) {
        if (n.is_integer() || n.is_floating_point()) {
            const double v = *n.value<double>();
            if (!std::isfinite(v)) {
                error(n, key, "must be a finite number");
                return std::nullopt;
            }
            return sim::distribution::constant(v);
        }
        const toml::table* t = n.as_table();
        if (!t) {
            error(n, key, std::string("must be a number or a distribution table {dist = ...}, got ") + type_name(n));
            return std::nullopt;
        }
        const auto where = location_of(t->source());
        auto kind = choice(*t, "dist", key, true, where, {"constant", "uniform", "normal", "lognormal"});
        if (!kind) return std::nullopt;
        sim::distribution d;
        bool ok = true;
        auto need = [&](std::string_view k) {
            auto v = number(*t, k, key, true, where);
            ok = ok && v.has_value();
            return v.value_or(0.0);
        };
        if (*kind == "constant") {
            check_keys(*t, key, {"dist", "value", "min", "max"});
            d = sim::distribution::constant(need("value"));
        } else if (*kind == "uniform") {
            check_keys(*t, key, {"dist", "low", "high", "min", "max"});
            const double lo = need("low"), hi = need("high");
            d = sim::distribution::uniform(lo, hi);
        } else if (*kind == "normal") {
            check_keys(*t, key, {"dist", "mean", "sd", "min", "max"});
            const double m = need("mean"), sd = need("sd");
            d = sim::distribution::normal(m, sd);
        } else {
            check_keys(*t, key, {"dist", "mu", "sigma", "min", "max"});
            const double mu = need("mu"), sigma = need("sigma");
            d = sim::distribution::lognormal(mu, sigma);
        }
        if (auto v = number(*t, "min", key, false, where)) d.lower = *v;
        if (auto v = number(*t, "max", key, false, where)) d.upper = *v;
        if (!ok) return std::nullopt;
        return d;
    }

    void remember_object(const std::string& label, source_location where, const std::string& key) {
        d_.objects[label] = {where, key};
    }
    void remember_key(const std::string& label, const std::string& parameter, const toml::table& t,
                      std::string_view key, const std::string& path) {
        if (const toml::node* n = t.get(key)) d_.parameters[{label, parameter}] = {location_of(n->source()), join(path, key)};
    }

private:
    std::string file_;
    model_description& d_;
};

const toml::table* as_table(reader& r, const toml::node* n, const std::string& key) {
    if (!n) return nullptr;
    if (auto t = n->as_table()) return t;
    r.error(*n, key, std::string("must be a table, got ") + type_name(*n));
    return nullptr;
}

void read_run(reader& r, const toml::table& root, model_description& d) {
    const toml::table* t = as_table(r, root.get("run"), "run");
    if (!t) return;
    const auto where = location_of(t->source());
    r.check_keys(*t, "run", {"duration", "dt", "seed", "threads", "output"});
    if (auto v = r.number(*t, "duration", "run", false, where)) {
        if (*v < 0) r.error(*t->get("duration"), "run.duration", "must be >= 0 ms");
        d.run.duration_ms = *v;
    }
    if (auto v = r.number(*t, "dt", "run", false, where)) {
        if (!(*v > 0)) r.error(*t->get("dt"), "run.dt", fmt::format("must be > 0 ms, got {}", *v));
        d.run.dt_ms = *v;
    }
    if (auto v = r.integer(*t, "seed", "run", false, where, 0)) d.run.seed = static_cast<std::uint64_t>(*v);
    if (auto v = r.integer(*t, "threads", "run", false, where, 0)) d.run.threads = static_cast<int>(*v);
    if (auto v = r.string(*t, "output", "run", false, where)) d.run.output = *v;
}

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
        if (const toml::table* params = as_table(r, t->get("params"), path + ".params")) {
            for (auto&& [k, v] : *params) {
                const std::string key = path + ".params." + std::string(k.str());
                if (auto x = v.value<double>(); x && (v.is_integer() || v.is_floating_point()) && std::isfinite(*x))
                    p.parameters.emplace_back(std::string(k.str()), *x);
                else
                    r.error(v, key, std::string("must be a finite number, got ") + type_name(v));
                d.parameters[{label, std::string(k.str())}] = {location_of(k.source()), key};
            }
        }
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

// The array-of-tables `key`, each element with its path "key[i]" (1-based, as a reader counts).
template <class F>
void for_each_entry(reader& r, const toml::table& root, std::string_view key, F&& f) {
    const toml::node* n = root.get(key);
    if (!n) return;
    const toml::array* a = n->as_array();
    if (!a) {
        r.error(*n, std::string(key), std::string("must be an array of tables [[") + std::string(key) + "]], got " +
                                          type_name(*n));
        return;
    }
    for (std::size_t i = 0; i < a->size(); ++i) {
        const std::string path = fmt::format("{}[{}]", key, i + 1);
        const toml::table* t = a->get(i)->as_table();
        if (!t) {
            r.error(*a->get(i), path, "must be a table");
            continue;
        }
        f(*t, path, i);
    }
}

void read_projections(reader& r, const toml::table& root, model_description& d) {
    std::set<std::string> names;
    for_each_entry(r, root, "projections", [&](const toml::table& t, const std::string& path, std::size_t i) {
        const auto where = location_of(t.source());
        r.check_keys(t, path,
                     {"name", "source", "target", "rule", "probability", "indegree", "outdegree", "autapses",
                      "multapses", "weight", "delay", "port", "sources", "targets", "weights", "delays",
                      "plasticity"});
        sim::projection_spec s;
        s.source = r.string(t, "source", path, true, where).value_or("");
        s.target = r.string(t, "target", path, true, where).value_or("");
        s.name = r.string(t, "name", path, false, where).value_or(s.source + "->" + s.target);
        if (!names.insert(s.name).second) s.name += fmt::format("#{}", i + 1);
        const std::string label = "projection '" + s.name + "'";
        r.remember_object(label, where, path);
        for (const char* k : {"source", "target", "port", "probability", "indegree", "outdegree", "weight", "delay",
                              "sources", "targets", "weights", "delays"})
            r.remember_key(label, k, t, k, path);
        r.remember_key(label, "rule", t, "rule", path);
        const auto rule = r.choice(t, "rule", path, true, where,
                                   {"one_to_one", "all_to_all", "pairwise_bernoulli", "fixed_indegree",
                                    "fixed_outdegree", "explicit"});
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
                forbid({"probability", "indegree", "outdegree", "sources", "targets"}, "by rule one_to_one");
            } else if (*rule == "all_to_all") {
                s.rule = R::all_to_all(autapses);
                forbid({"probability", "indegree", "outdegree", "sources", "targets"}, "by rule all_to_all");
            } else if (*rule == "pairwise_bernoulli") {
                s.rule = R::pairwise_bernoulli(r.number(t, "probability", path, true, where).value_or(0.0), autapses);
                forbid({"indegree", "outdegree", "sources", "targets"}, "by rule pairwise_bernoulli");
            } else if (*rule == "fixed_indegree") {
                s.rule = R::fixed_indegree(
                    static_cast<std::uint64_t>(r.integer(t, "indegree", path, true, where, 0).value_or(0)), autapses,
                    multapses);
                forbid({"probability", "outdegree", "sources", "targets"}, "by rule fixed_indegree");
            } else if (*rule == "fixed_outdegree") {
                s.rule = R::fixed_outdegree(
                    static_cast<std::uint64_t>(r.integer(t, "outdegree", path, true, where, 0).value_or(0)), autapses,
                    multapses);
                forbid({"probability", "indegree", "sources", "targets"}, "by rule fixed_outdegree");
            } else {
                auto src = r.indices(t, "sources", path, true, where).value_or(std::vector<std::uint32_t>{});
                auto tgt = r.indices(t, "targets", path, true, where).value_or(std::vector<std::uint32_t>{});
                std::vector<float> w;
                if (auto ws = r.numbers(t, "weights", path, false, where))
                    for (double x : *ws) w.push_back(static_cast<float>(x));
                auto dl = r.numbers(t, "delays", path, false, where).value_or(std::vector<double>{});
                s.rule = R::explicit_list(std::move(src), std::move(tgt), std::move(w), std::move(dl));
                forbid({"probability", "indegree", "outdegree"}, "by rule explicit");
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
            for (auto&& [k, v] : *pl) {
                if (k.str() == "rule" || k.str() == "short_term") continue;
                const std::string key = reader::join(ppath, k.str());
                if (auto x = v.value<double>(); x && (v.is_integer() || v.is_floating_point()) && std::isfinite(*x))
                    pd.parameters.emplace_back(std::string(k.str()), *x);
                else
                    r.error(v, key, std::string("must be a finite number, got ") + type_name(v));
                d.parameters[{label, std::string(k.str())}] = {location_of(k.source()), key};
            }
            d.plasticity.push_back(std::move(pd));
        }
        d.projections.push_back(std::move(s));
    });
}

void read_stimuli(reader& r, const toml::table& root, model_description& d) {
    for_each_entry(r, root, "stimuli", [&](const toml::table& t, const std::string& path, std::size_t i) {
        const auto where = location_of(t.source());
        const auto type = r.choice(t, "type", path, true, where, {"poisson", "spike_generator", "dc", "step_current"});
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

void read_proxies(reader& r, const toml::table& root, model_description& d) {
    std::set<std::string> names;
    for_each_entry(r, root, "proxies", [&](const toml::table& t, const std::string& path, std::size_t) {
        const auto where = location_of(t.source());
        r.check_keys(t, path, {"name", "type", "population", "interval"});
        const auto type = r.choice(t, "type", path, true, where,
                                   {"mean_v", "sum_abs_currents", "lrws", "conductance_current"});
        proxy_description p;
        p.type = type.value_or("");
        p.population = r.string(t, "population", path, true, where).value_or("");
        p.name = r.string(t, "name", path, false, where).value_or(p.type + "_" + p.population);
        if (auto v = r.number(t, "interval", path, false, where)) {
            if (!(*v > 0)) r.error(*t.get("interval"), reader::join(path, "interval"), fmt::format("must be > 0 ms, got {}", *v));
            p.interval_ms = *v;
        }
        if (!names.insert(p.name).second) {
            const toml::node* n = t.get("name");
            r.error(n ? location_of(n->source()) : where, reader::join(path, "name"),
                    "proxy name '" + p.name + "' is used twice (names become /signals/<name> in the result file)");
        }
        for (const std::string& label : {"proxy '" + p.name + "'", "signal recorder '" + p.name + "'"}) {
            r.remember_object(label, where, path);
            for (const char* k : {"type", "population", "interval"}) r.remember_key(label, k, t, k, path);
            r.remember_key(label, "variable", t, "type", path);
        }
        if (type) d.proxies.push_back(std::move(p));
    });
}

// Delays of a matrix coupling: what lattice.cpp accepts (finite, at least one step up to a
// relative 1e-9, at most 10^7 steps), refused here with the place in the file. Empty if fine.
std::string matrix_delay_problem(double delay, double dt) {
    if (!std::isfinite(delay)) return "must be a finite number of ms";
    if (delay < 0)
        return fmt::format("is negative ({} ms); delays must be at least one step (dt = {} ms)", delay, dt);
    if (delay < dt * (1.0 - 1e-9))
        return fmt::format("is {} ms, below one step (dt = {} ms); delays must be >= dt (rounded to whole steps)",
                           delay, dt);
    if (std::round(delay / dt) > 1e7) return fmt::format("is {} ms, more than 10^7 steps of dt = {} ms", delay, dt);
    return {};
}

// An N x N matrix written as rows [[a, b, ...], ...], or (when `scalar_ok`) one number for every
// entry. Row = target, column = source.
std::optional<std::vector<double>> square_matrix(reader& r, const toml::node& n, const std::string& key,
                                                 std::size_t N, bool scalar_ok) {
    if (scalar_ok && (n.is_integer() || n.is_floating_point())) {
        const double v = *n.value<double>();
        if (!std::isfinite(v)) {
            r.error(n, key, "must be a finite number");
            return std::nullopt;
        }
        return std::vector<double>(N * N, v);
    }
    const std::string shape = fmt::format("{} rows of {} numbers (nodes x nodes: row = target, column = source)", N, N);
    const toml::array* a = n.as_array();
    if (!a || a->size() != N) {
        r.error(n, key,
                fmt::format("must be {}{}, got {}", scalar_ok ? "a number or " : "", shape,
                            a ? fmt::format("{} rows", a->size()) : std::string(type_name(n))));
        return std::nullopt;
    }
    std::vector<double> out;
    out.reserve(N * N);
    for (std::size_t i = 0; i < N; ++i) {
        const toml::node& rn = *a->get(i);
        const toml::array* row = rn.as_array();
        const std::string rkey = fmt::format("{}[{}]", key, i + 1);
        if (!row || row->size() != N) {
            r.error(rn, rkey,
                    fmt::format("must be a row of {} numbers, got {}", N,
                                row ? fmt::format("{} entries", row->size()) : std::string(type_name(rn))));
            return std::nullopt;
        }
        for (std::size_t j = 0; j < N; ++j) {
            const toml::node& e = *row->get(j);
            auto v = e.value<double>();
            if (!v || !(e.is_integer() || e.is_floating_point()) || !std::isfinite(*v)) {
                r.error(e, fmt::format("{}[{}]", rkey, j + 1), std::string("must be a finite number, got ") + type_name(e));
                return std::nullopt;
            }
            out.push_back(*v);
        }
    }
    return out;
}

// Reads the dense weights (and delays) of a matrix coupling's file; problems point at `file`.
void read_matrix_file(reader& r, const toml::node& fnode, const std::string& key, const model_description& d,
                      lattice_description& l) {
    const std::size_t N = l.rows * l.cols;
    const std::string given = *fnode.value<std::string>();
    std::filesystem::path p(given);
    if (p.is_relative()) p = std::filesystem::path(d.path).parent_path() / p;
    l.matrix_file = p.string();
    std::vector<double> w, dl;
    try {
        if (!std::filesystem::is_regular_file(p)) {
            r.error(fnode, key, "cannot read '" + p.string() + "': no such file (a relative path is taken from the "
                                "model file's directory)");
            return;
        }
        const auto f = sim::hdf5::file::open(p.string());
        auto read = [&](const char* name, std::vector<double>& out) {
            if (!f.is_dataset(name)) return false;
            const auto ds = f.open_dataset(name);
            const auto shape = ds.shape();
            if (shape.size() != 2 || shape[0] != N || shape[1] != N) {
                r.error(fnode, key,
                        fmt::format("'{}': dataset '{}' has shape ({}); it must be {} x {} (nodes x nodes: row = target, "
                                    "column = source)",
                                    p.string(), name, fmt::join(shape, ", "), N, N));
                return false;
            }
            out = ds.read<double>();
            return true;
        };
        if (!f.is_dataset("weights")) {
            auto members = f.members();
            r.error(fnode, key,
                    fmt::format("'{}' has no dataset 'weights' (an {} x {} matrix, row = target, column = source; "
                                "optional 'delays' in ms); it has: {}",
                                p.string(), N, N, members.empty() ? std::string("nothing") : fmt::format("{}", fmt::join(members, ", "))));
            return;
        }
        if (!read("weights", w)) return;
        const bool have_delays = f.is_dataset("delays");
        if (have_delays && !read("delays", dl)) return;
        if (!have_delays && f.exists("delays")) {
            r.error(fnode, key, "'" + p.string() + "': 'delays' must be a dataset");
            return;
        }
    } catch (const std::exception& e) {
        r.error(fnode, key, "cannot read '" + p.string() + "': " + e.what());
        return;
    }
    int shown = 0, bad = 0;
    for (std::size_t i = 0; i < N; ++i)
        for (std::size_t j = 0; j < N; ++j) {
            const std::size_t k = i * N + j;
            std::string problem;
            if (!std::isfinite(w[k]))
                problem = fmt::format("weights[{}][{}] (target {}, source {}) is not a finite number", i, j, i, j);
            else if (w[k] == 0.0)
                continue;
            else if (const double delay = dl.empty() ? d.run.dt_ms : dl[k];
                     !(problem = matrix_delay_problem(delay, d.run.dt_ms)).empty())
                problem = fmt::format("delays[{}][{}] (target {}, source {}) {}", i, j, i, j, problem);
            if (!problem.empty()) {
                ++bad;
                if (shown++ < 3) r.error(fnode, key, "'" + p.string() + "': " + problem);
                continue;
            }
            l.connections.push_back({i, j, w[k], dl.empty() ? d.run.dt_ms : dl[k]});
        }
    if (bad > 3) r.error(fnode, key, fmt::format("'{}': {} more bad entries", p.string(), bad - 3));
}

// type = "matrix": exactly one of connections (inline), file (HDF5) or prior.
void read_matrix_coupling(reader& r, const toml::table& c, const std::string& cpath, source_location cwhere,
                          const model_description& d, lattice_description& l) {
    const std::size_t N = l.rows * l.cols;
    const double dt = d.run.dt_ms;
    std::vector<std::string_view> given;
    for (std::string_view k : {"connections", "file", "prior"})
        if (c.get(k)) given.push_back(k);
    if (given.empty()) {
        r.error(cwhere, cpath, "a matrix coupling needs one of 'connections' (inline [[target, source, weight, "
                               "delay_ms], ...]), 'file' (HDF5 weights/delays) or 'prior' (a connectivity prior)");
        return;
    }
    if (given.size() > 1) {
        for (std::size_t i = 1; i < given.size(); ++i)
            r.error(*c.get(given[i]), reader::join(cpath, given[i]),
                    fmt::format("a matrix coupling takes exactly one of connections, file and prior; '{}' is given "
                                "already",
                                given[0]));
        return;
    }
    l.matrix_from = given[0] == "connections" ? "inline" : std::string(given[0]);
    const std::string key = reader::join(cpath, given[0]);
    const toml::node& n = *c.get(given[0]);
    auto node_problem = [&](std::int64_t v) -> std::string {
        if (v >= 0 && static_cast<std::uint64_t>(v) < N) return {};
        return fmt::format("node {} is outside the {} x {} sheet (nodes 0 to {}, index = row * cols + col)", v,
                           l.rows, l.cols, N - 1);
    };
    if (l.matrix_from == "inline") {
        const toml::array* a = n.as_array();
        if (!a) {
            r.error(n, key, std::string("must be an array of connections [[target, source, weight, delay_ms], ...], "
                                        "got ") + type_name(n));
            return;
        }
        for (std::size_t i = 0; i < a->size(); ++i) {
            const toml::node& e = *a->get(i);
            const std::string ekey = fmt::format("{}[{}]", key, i + 1);
            const toml::array* x = e.as_array();
            if (!x || x->size() != 4) {
                r.error(e, ekey,
                        fmt::format("must be [target, source, weight, delay_ms] (4 entries), got {}",
                                    x ? fmt::format("{} entries", x->size()) : std::string(type_name(e))));
                continue;
            }
            bool ok = true;
            std::int64_t idx[2] = {0, 0};
            for (int q = 0; q < 2; ++q) {
                const toml::node& v = *x->get(q);
                const char* what = q == 0 ? "target" : "source";
                if (!v.is_integer()) {
                    r.error(v, ekey, fmt::format("{} must be a node index (integer, row * cols + col), got {}", what,
                                                 type_name(v)));
                    ok = false;
                } else if (auto p = node_problem(*v.value<std::int64_t>()); !p.empty()) {
                    r.error(v, ekey, std::string(what) + ": " + p);
                    ok = false;
                } else {
                    idx[q] = *v.value<std::int64_t>();
                }
            }
            double num[2] = {0.0, 0.0};
            for (int q = 0; q < 2; ++q) {
                const toml::node& v = *x->get(2 + q);
                const char* what = q == 0 ? "weight" : "delay";
                auto val = v.value<double>();
                if (!val || !(v.is_integer() || v.is_floating_point()) || !std::isfinite(*val)) {
                    r.error(v, ekey, fmt::format("{} must be a finite number{}, got {}", what, q ? " (ms)" : "",
                                                 type_name(v)));
                    ok = false;
                    continue;
                }
                num[q] = *val;
            }
            if (ok)
                if (auto p = matrix_delay_problem(num[1], dt); !p.empty()) {
                    r.error(*x->get(3), ekey, "delay " + p);
                    ok = false;
                }
            if (ok)
                l.connections.push_back({static_cast<std::size_t>(idx[0]), static_cast<std::size_t>(idx[1]), num[0],
                                         num[1]});
        }
    } else if (l.matrix_from == "file") {
        if (!n.is_string() || n.value<std::string>()->empty()) {
            r.error(n, key, std::string("must be the path of an HDF5 file (datasets 'weights' and optional "
                                        "'delays'), got ") + (n.is_string() ? "an empty string" : type_name(n)));
            return;
        }
        read_matrix_file(r, n, key, d, l);
    } else {
        const toml::table* t = as_table(r, &n, key);
        if (!t) return;
        const auto where = location_of(t->source());
        r.check_keys(*t, key, {"regions", "mean", "log_sd", "delay", "seed"});
        models::mass::connectivity_prior p;
        p.regions = N;
        bool ok = true;
        if (auto v = r.integer(*t, "regions", key, false, where, 1); v && static_cast<std::uint64_t>(*v) != N) {
            r.error(*t->get("regions"), reader::join(key, "regions"),
                    fmt::format("is {}, but the {} x {} sheet has {} nodes (one region per node; regions may be left "
                                "out)",
                                *v, l.rows, l.cols, N));
            ok = false;
        }
        if (auto v = r.integer(*t, "seed", key, false, where, 0)) {
            p.seed = static_cast<std::uint64_t>(*v);
            l.prior_seed_given = true;
        }
        const toml::node* mean = r.get(*t, "mean", key, true, where);
        const toml::node* sd = t->get("log_sd");
        const toml::node* delay = r.get(*t, "delay", key, true, where);
        if (mean) {
            if (auto m = square_matrix(r, *mean, reader::join(key, "mean"), N, false)) p.mean = *m; else ok = false;
        }
        if (sd) {
            if (auto m = square_matrix(r, *sd, reader::join(key, "log_sd"), N, true)) p.log_sd = *m; else ok = false;
        }
        if (delay) {
            if (auto m = square_matrix(r, *delay, reader::join(key, "delay"), N, true)) p.delay = *m; else ok = false;
        }
        if (!ok || !mean || !delay) return;
        for (std::size_t k = 0; k < p.log_sd.size(); ++k)
            if (p.log_sd[k] < 0) {
                r.error(*sd, reader::join(key, "log_sd"),
                        fmt::format("entry [{}][{}] is {}; standard deviations of log w must be >= 0", k / N + 1,
                                    k % N + 1, p.log_sd[k]));
                ok = false;
                break;
            }
        for (std::size_t k = 0; k < N * N; ++k) {
            if (p.mean[k] == 0.0) continue;
            if (auto problem = matrix_delay_problem(p.delay[k], dt); !problem.empty()) {
                r.error(*delay, reader::join(key, "delay"),
                        fmt::format("entry [{}][{}] (target {}, source {}) {}", k / N + 1, k % N + 1, k / N, k % N,
                                    problem));
                ok = false;
                break;
            }
        }
        if (ok) l.prior = std::move(p);
    }
}

void read_lattice(reader& r, const toml::table& root, model_description& d) {
    const toml::table* t = as_table(r, root.get("lattice"), "lattice");
    if (!t) return;
    const auto where = location_of(t->source());
    const std::string path = "lattice";
    r.check_keys(*t, path, {"name", "model", "rows", "cols", "spacing", "boundary", "boundary_value", "scheme",
                            "params", "coupling", "interval", "nodes"});
    lattice_description l;
    l.name = r.string(*t, "name", path, false, where).value_or("lattice");
    if (l.name.empty() || l.name.find('/') != std::string::npos)
        r.error(*t->get("name"), "lattice.name", "must be non-empty without '/'");
    l.model = r.choice(*t, "model", path, true, where, {"jansen_rit", "wilson_cowan", "linear_oscillator"}).value_or("");
    l.rows = static_cast<std::size_t>(r.integer(*t, "rows", path, false, where, 1).value_or(1));
    l.cols = static_cast<std::size_t>(r.integer(*t, "cols", path, false, where, 1).value_or(1));
    l.spacing_mm = r.number(*t, "spacing", path, false, where).value_or(1.0);
    l.boundary = r.choice(*t, "boundary", path, false, where, {"periodic", "fixed"}).value_or("periodic");
    l.boundary_value = r.number(*t, "boundary_value", path, false, where).value_or(0.0);
    l.scheme = r.choice(*t, "scheme", path, false, where, {"heun", "euler_maruyama", "rk4"}).value_or("heun");
    if (auto v = r.number(*t, "interval", path, false, where)) {
        if (!(*v > 0)) r.error(*t->get("interval"), "lattice.interval", fmt::format("must be > 0 ms, got {}", *v));
        l.interval_ms = *v;
    }
    l.nodes = r.indices(*t, "nodes", path, false, where).value_or(std::vector<std::uint32_t>{});
    for (std::size_t i = 0; i < l.nodes.size(); ++i)
        if (l.nodes[i] >= l.rows * l.cols)
            r.error(*t->get("nodes")->as_array()->get(i), fmt::format("lattice.nodes[{}]", i + 1),
                    fmt::format("node {} is outside the {} x {} sheet (nodes 0 to {}, index = row * cols + col)",
                                l.nodes[i], l.rows, l.cols, l.rows * l.cols - 1));
    if (const toml::table* params = as_table(r, t->get("params"), "lattice.params")) {
        for (auto&& [k, v] : *params) {
            const std::string key = "lattice.params." + std::string(k.str());
            if (auto x = v.value<double>(); x && (v.is_integer() || v.is_floating_point()) && std::isfinite(*x))
                l.parameters.emplace_back(std::string(k.str()), *x);
            else
                r.error(v, key, std::string("must be a finite number, got ") + type_name(v));
            d.parameters[{"lattice", std::string(k.str())}] = {location_of(k.source()), key};
        }
    }
    if (const toml::table* c = as_table(r, t->get("coupling"), "lattice.coupling")) {
        const std::string cpath = "lattice.coupling";
        const auto cwhere = location_of(c->source());
        l.coupling =
            r.choice(*c, "type", cpath, true, cwhere, {"none", "laplacian", "kernel", "matrix"}).value_or("none");
        if (l.coupling == "none") {
            r.check_keys(*c, cpath, {"type"});
        } else if (l.coupling == "laplacian") {
            r.check_keys(*c, cpath, {"type", "kappa"});
            l.kappa = r.number(*c, "kappa", cpath, true, cwhere).value_or(0.0);
        } else if (l.coupling == "matrix") {
            r.check_keys(*c, cpath, {"type", "strength", "diffusive", "connections", "file", "prior"});
            l.strength = r.number(*c, "strength", cpath, false, cwhere).value_or(1.0);
            l.diffusive = r.boolean(*c, "diffusive", cpath, cwhere).value_or(false);
            read_matrix_coupling(r, *c, cpath, cwhere, d, l);
        } else {
            r.check_keys(*c, cpath, {"type", "strength", "shape", "length", "radius", "velocity", "normalise",
                                     "diffusive"});
            l.strength = r.number(*c, "strength", cpath, false, cwhere).value_or(1.0);
            l.shape = r.choice(*c, "shape", cpath, false, cwhere, {"gaussian", "exponential", "uniform"})
                          .value_or("gaussian");
            l.length_mm = r.number(*c, "length", cpath, false, cwhere).value_or(1.0);
            l.radius_mm = r.number(*c, "radius", cpath, false, cwhere).value_or(1.0);
            l.velocity = r.number(*c, "velocity", cpath, false, cwhere).value_or(1.0);
            l.normalise = r.boolean(*c, "normalise", cpath, cwhere).value_or(true);
            l.diffusive = r.boolean(*c, "diffusive", cpath, cwhere).value_or(false);
        }
        for (const char* k : {"kappa", "strength", "length", "radius", "velocity"})
            if (const toml::node* n = c->get(k))
                d.parameters[{"lattice", k}] = {location_of(n->source()), cpath + "." + k};
        for (const char* k : {"connections", "file", "prior"})  // where the engine's connection checks point
            if (const toml::node* n = c->get(k))
                for (const char* p : {"target", "source", "weight", "delay"})
                    d.parameters[{"lattice", p}] = {location_of(n->source()), cpath + "." + k};
        if (const toml::node* n = c->get("velocity"))
            d.parameters[{"lattice", "conduction_velocity"}] = {location_of(n->source()), cpath + ".velocity"};
    }
    for (const char* k : {"rows", "cols", "spacing", "boundary_value", "interval", "nodes", "scheme"})
        if (const toml::node* n = t->get(k)) d.parameters[{"lattice", k}] = {location_of(n->source()), path + "." + k};
    if (const toml::node* n = t->get("spacing"))
        d.parameters[{"lattice", "spacing"}] = {location_of(n->source()), "lattice.spacing"};
    d.objects["lattice"] = {where, path};
    d.lattice = std::move(l);
}

void read_eeg(reader& r, const toml::table& root, model_description& d) {
    const toml::table* t = as_table(r, root.get("eeg"), "eeg");
    if (!t) return;
    const auto where = location_of(t->source());
    r.check_keys(*t, "eeg", {"lead_field", "electrodes", "sources"});
    eeg_description e;
    bool ok = true;
    std::vector<std::vector<double>> rows;
    if (const toml::node* n = r.get(*t, "lead_field", "eeg", true, where)) {
        const toml::array* a = n->as_array();
        if (!a || a->empty()) {
            r.error(*n, "eeg.lead_field", "must be a non-empty array of rows [[g11, g12, ...], [g21, ...]] "
                                          "(electrodes x sources)");
            ok = false;
        } else {
            for (std::size_t i = 0; i < a->size() && ok; ++i) {
                const toml::array* row = a->get(i)->as_array();
                const std::string key = fmt::format("eeg.lead_field[{}]", i + 1);
                if (!row) {
                    r.error(*a->get(i), key, std::string("must be an array of numbers (one row per electrode), got ") +
                                                 type_name(*a->get(i)));
                    ok = false;
                    break;
                }
                std::vector<double> values;
                for (std::size_t j = 0; j < row->size(); ++j) {
                    const auto& x = *row->get(j);
                    auto v = x.value<double>();
                    if (!v || !(x.is_integer() || x.is_floating_point()) || !std::isfinite(*v)) {
                        r.error(x, fmt::format("{}[{}]", key, j + 1), std::string("must be a finite number, got ") +
                                                                          type_name(x));
                        ok = false;
                        break;
                    }
                    values.push_back(*v);
                }
                rows.push_back(std::move(values));
            }
        }
    } else {
        ok = false;
    }
    std::vector<std::string> proxy_names;  // the signals a lead field may mix
    for (const auto& p : d.proxies) proxy_names.push_back(p.name);
    if (d.lattice)
        for (const auto& n : d.lattice->signal_names()) proxy_names.push_back(n);
    const toml::node* sources_node = t->get("sources");
    if (auto s = r.strings(*t, "sources", "eeg", false, where)) {
        e.sources = *s;
        for (std::size_t j = 0; j < e.sources.size(); ++j) {
            if (std::find(proxy_names.begin(), proxy_names.end(), e.sources[j]) != proxy_names.end()) continue;
            std::string msg = "no proxy or lattice signal named '" + e.sources[j] + "'";
            if (auto near = sim::nearest_name(e.sources[j], proxy_names); !near.empty())
                msg += " (did you mean '" + near + "'?)";
            msg += "; signals:";
            for (const auto& n : proxy_names) msg += " " + n;
            r.error(*sources_node->as_array()->get(j), fmt::format("eeg.sources[{}]", j + 1), msg);
            ok = false;
        }
    } else if (sources_node) {
        ok = false;
    } else {
        e.sources = proxy_names;
        if (proxy_names.empty()) {
            r.error(where, "eeg", "a lead field needs [[proxies]] (or [lattice] signals) as its sources");
            ok = false;
        }
    }
    const toml::node* electrodes_node = t->get("electrodes");
    if (auto el = r.strings(*t, "electrodes", "eeg", false, where)) {
        e.electrodes = *el;
    } else if (electrodes_node) {
        ok = false;
    } else {
        for (std::size_t i = 0; i < rows.size(); ++i) e.electrodes.push_back(fmt::format("E{}", i + 1));
    }
    if (!ok) return;
    if (rows.size() != e.electrodes.size()) {
        r.error(electrodes_node ? location_of(electrodes_node->source()) : where, "eeg.electrodes",
                fmt::format("{} electrode names for {} rows of lead_field", e.electrodes.size(), rows.size()));
        return;
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (rows[i].size() != e.sources.size()) {
            r.error(*t->get("lead_field")->as_array()->get(i), fmt::format("eeg.lead_field[{}]", i + 1),
                    fmt::format("has {} gains; the lead field has {} sources ({}), one column each", rows[i].size(),
                                e.sources.size(), fmt::join(e.sources, ", ")));
            return;
        }
        e.lead_field.insert(e.lead_field.end(), rows[i].begin(), rows[i].end());
    }
    std::set<std::string> seen(proxy_names.begin(), proxy_names.end());
    for (std::size_t i = 0; i < e.electrodes.size(); ++i) {
        const std::string& n = e.electrodes[i];
        const auto loc = electrodes_node ? location_of(electrodes_node->as_array()->get(i)->source()) : where;
        if (n.empty() || n.find('/') != std::string::npos)
            r.error(loc, fmt::format("eeg.electrodes[{}]", i + 1), "electrode names must be non-empty without '/'");
        else if (!seen.insert(n).second)
            r.error(loc, fmt::format("eeg.electrodes[{}]", i + 1),
                    "name '" + n + "' is used twice among proxies and electrodes (each becomes /signals/<name>)");
    }
    std::set<std::string> used;
    double interval = -1.0;
    for (std::size_t j = 0; j < e.sources.size(); ++j) {
        const auto& src = e.sources[j];
        if (!used.insert(src).second) {
            r.error(sources_node ? location_of(sources_node->as_array()->get(j)->source()) : where,
                    fmt::format("eeg.sources[{}]", j + 1), "source '" + src + "' is listed twice");
            continue;
        }
        for (const auto& p : d.proxies)
            if (p.name == src) {
                if (interval < 0) interval = p.interval_ms;
                if (std::abs(p.interval_ms - interval) > 1e-9 * interval)
                    r.error(where, "eeg.sources",
                            fmt::format("the sources of a lead field need one sampling interval; '{}' has {} ms, "
                                        "'{}' {} ms",
                                        e.sources.front(), interval, src, p.interval_ms));
            }
    }
    d.eeg = std::move(e);
}

} // namespace

std::vector<std::string> lattice_description::signal_names() const {
    std::vector<std::string> out{name};
    for (auto n : nodes) out.push_back(fmt::format("{}_node{}", name, n));
    return out;
}

std::optional<models::eeg::lead_field> lead_field_of(const model_description& d) {
    if (!d.eeg) return std::nullopt;
    models::eeg::lead_field f;
    f.electrodes = d.eeg->electrodes;
    f.sources = d.eeg->sources;
    f.gain = d.eeg->lead_field;
    return f;
}

model_description parse_model_text(const std::string& text, const std::string& path) {
    model_description d;
    d.path = path;
    d.text = text;
    toml::table root;
    try {
        root = toml::parse(text, path);
    } catch (const toml::parse_error& e) {
        throw model_file_error({{path, location_of(e.source()), "", "TOML syntax error: " + std::string(e.description())}});
    }
    reader r(path, d);
    r.check_keys(root, "", {"run", "populations", "projections", "stimuli", "recorders", "proxies", "eeg", "lattice"});
    read_run(r, root, d);  // first: dt is the default delay
    read_lattice(r, root, d);
    if (d.lattice) {
        // A file describes a spiking network or a lattice of neural masses.
        for (const char* k : {"populations", "projections", "stimuli", "recorders", "proxies"})
            if (const toml::node* n = root.get(k))
                r.error(*n, k, "not used with [lattice]: a model file describes either a spiking network or a lattice "
                               "of neural masses");
    } else {
        read_populations(r, root, d);
    }
    read_projections(r, root, d);
    read_stimuli(r, root, d);
    read_recorders(r, root, d);
    read_proxies(r, root, d);
    read_eeg(r, root, d);  // after the proxies, its sources
    if (!r.problems.empty()) {
        std::stable_sort(r.problems.begin(), r.problems.end(), [](const diagnostic& a, const diagnostic& b) {
            return a.where.line < b.where.line;
        });
        throw model_file_error(std::move(r.problems));
    }
    return d;
}

model_description load_model_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw model_file_error({{path, {}, "", "cannot open the model file"}});
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_model_text(ss.str(), path);
}

const registries& builtin_registries() {
    static const registries r = [] {
        registries x;
        models::register_builtin(x.models);
        plasticity::register_builtin(x.plasticity);
        return x;
    }();
    return r;
}

std::unique_ptr<sim::network> instantiate(const model_description& d, const run_overrides& o,
                                          const registries& reg) {
    const auto& registry = reg.models;
    std::vector<diagnostic> problems;
    auto place_of = [&](const std::string& object, const std::string& parameter) -> model_description::place {
        if (auto it = d.parameters.find({object, parameter}); it != d.parameters.end()) return it->second;
        if (auto it = d.objects.find(object); it != d.objects.end()) return it->second;
        return {};
    };
    auto report = [&](const sim::parameter_error& e) {
        const auto p = place_of(e.object(), e.parameter());
        problems.push_back({d.path, p.where, p.key, e.what()});
    };

    sim::run_config cfg;
    cfg.dt_ms = d.run.dt_ms;
    cfg.seed = o.seed.value_or(d.run.seed);
    cfg.threads = o.threads.value_or(d.run.threads);
    std::unique_ptr<sim::network> net;
    try {
        net = std::make_unique<sim::network>(cfg);
    } catch (const sim::parameter_error& e) {
        problems.push_back({d.path, {}, "run." + e.parameter(), e.what()});
        throw model_file_error(problems);
    }
    for (const auto& p : d.populations) {
        try {
            auto pop = registry.create(p.model, p.name, p.size);
            for (const auto& [k, v] : p.parameters) {
                try {
                    pop->set_parameter(k, v);
                } catch (const sim::parameter_error& e) {
                    report(e);
                }
            }
            for (const auto& [k, dist] : p.initial) {
                try {
                    pop->set_initial(k, dist);
                } catch (const sim::parameter_error& e) {
                    report(e);
                }
            }
            net->add_population(std::move(pop));
        } catch (const sim::parameter_error& e) {
            report(e);
        }
    }
    std::vector<sim::projection_spec> projections = d.projections;
    for (const auto& pd : d.plasticity) {
        auto& spec = projections.at(pd.projection);
        const std::string object = "projection '" + spec.name + "'";
        try {
            auto rule = reg.plasticity.create(pd.rule, pd.short_term, object);
            for (const auto& [k, v] : pd.parameters) {
                try {
                    rule->set_parameter(k, v, object);
                } catch (const sim::parameter_error& e) {
                    report(e);
                }
            }
            spec.plasticity = std::move(rule);
        } catch (const sim::parameter_error& e) {
            report(e);
        }
    }
    if (!problems.empty()) throw model_file_error(problems);
    for (const auto& s : projections) net->connect(s);
    for (const auto& s : d.poisson_inputs) net->add_poisson_input(s);
    for (const auto& s : d.spike_generators) net->add_spike_generator(s);
    for (const auto& s : d.current_inputs) net->add_current_input(s);
    for (const auto& s : d.spike_recorders) net->record_spikes(s);
    for (const auto& s : d.state_recorders) net->record_state(s);
    for (const auto& s : d.rate_recorders) net->record_rate(s);
    for (const auto& s : d.weight_recorders) net->record_weights(s);
    for (const auto& p : d.proxies) {
        const std::string label = "proxy '" + p.name + "'";
        const sim::population* pop = nullptr;
        std::vector<std::string> names;
        for (std::size_t q = 0; q < net->population_count(); ++q) {
            names.push_back(net->population_at(q).name());
            if (net->population_at(q).name() == p.population) pop = &net->population_at(q);
        }
        if (!pop) {
            std::string msg = "no population '" + p.population + "'";
            if (auto near = sim::nearest_name(p.population, names); !near.empty()) msg += " (did you mean '" + near + "'?)";
            report(sim::parameter_error(label, "population", msg));
            continue;
        }
        try {
            models::eeg::proxy_options po;
            po.interval_ms = p.interval_ms;
            net->record_signal(models::eeg::make_proxy(*models::eeg::parse_proxy_type(p.type), p.name, *pop, po));
        } catch (const sim::parameter_error& e) {
            report(e);
        }
    }
    for (const auto& e : net->check()) report(e);
    if (!problems.empty()) {
        std::stable_sort(problems.begin(), problems.end(),
                         [](const diagnostic& a, const diagnostic& b) { return a.where.line < b.where.line; });
        throw model_file_error(problems);
    }
    return net;
}

namespace {

template <class Mass>
class lattice_run_of final : public lattice_run {
public:
    lattice_run_of(const models::mass::lattice_config& c, const typename Mass::parameters& p,
                   const models::mass::coupling& k, const models::mass::recording_config& r, const std::string& name)
        : lattice_(c, p, k, r, name) {}
    void step(std::uint64_t n) override { lattice_.step(n); }
    std::uint64_t steps_done() const override { return lattice_.steps_done(); }
    double time_ms() const override { return lattice_.time(); }
    std::size_t size() const override { return lattice_.size(); }
    models::mass::recording take_recording() override { return lattice_.take_recording(); }
    std::span<double> drive() override { return lattice_.drive(); }

private:
    models::mass::lattice<Mass> lattice_;
};

template <class Mass>
std::unique_ptr<lattice_run> make_lattice(const model_description& d, const lattice_description& l,
                                          const models::mass::lattice_config& c, const models::mass::coupling& k,
                                          const models::mass::recording_config& r,
                                          const std::function<void(const sim::parameter_error&)>& report) {
    typename Mass::parameters p{};
    bool ok = true;
    for (const auto& [name, value] : l.parameters) {
        try {
            sim::set_parameter(p, Mass::parameter_fields, name, value, "lattice");
        } catch (const sim::parameter_error& e) {
            report(e);
            ok = false;
        }
    }
    (void)d;
    if (!ok) return nullptr;
    return std::make_unique<lattice_run_of<Mass>>(c, p, k, r, "lattice");
}

} // namespace

models::mass::coupling lattice_coupling(const model_description& d, const run_overrides& o) {
    namespace mass = models::mass;
    if (!d.lattice) throw model_file_error({{d.path, {}, "lattice", "the model file has no [lattice] table"}});
    const auto& l = *d.lattice;
    if (l.coupling == "laplacian") return mass::laplacian_coupling{l.kappa};
    if (l.coupling == "kernel") {
        mass::kernel_coupling kc;
        kc.strength = l.strength;
        kc.shape = l.shape == "exponential" ? mass::kernel_shape::exponential
                   : l.shape == "uniform"   ? mass::kernel_shape::uniform
                                            : mass::kernel_shape::gaussian;
        kc.length = l.length_mm;
        kc.radius = l.radius_mm;
        kc.conduction_velocity = l.velocity;
        kc.normalise = l.normalise;
        kc.diffusive = l.diffusive;
        return kc;
    }
    if (l.coupling == "matrix") {
        mass::matrix_coupling mc;
        mc.strength = l.strength;
        mc.diffusive = l.diffusive;
        if (l.prior) {
            auto prior = *l.prior;
            if (!l.prior_seed_given) prior.seed = o.seed.value_or(d.run.seed);
            mc.connections = mass::sample_connectivity(prior, "lattice");
        } else {
            mc.connections = l.connections;
        }
        return mc;
    }
    return mass::no_coupling{};
}

std::unique_ptr<lattice_run> instantiate_lattice(const model_description& d, const run_overrides& o) {
    namespace mass = models::mass;
    if (!d.lattice) throw model_file_error({{d.path, {}, "lattice", "the model file has no [lattice] table"}});
    const auto& l = *d.lattice;
    std::vector<diagnostic> problems;
    auto report = [&](const sim::parameter_error& e) {
        model_description::place p;
        if (auto it = d.parameters.find({"lattice", e.parameter()}); it != d.parameters.end())
            p = it->second;
        else if (auto jt = d.objects.find("lattice"); jt != d.objects.end())
            p = jt->second;
        problems.push_back({d.path, p.where, p.key, e.what()});
    };
    mass::lattice_config c;
    c.rows = l.rows;
    c.cols = l.cols;
    c.dt = d.run.dt_ms;
    c.spacing = l.spacing_mm;
    c.edges = l.boundary == "fixed" ? mass::boundary::fixed : mass::boundary::periodic;
    c.boundary_value = l.boundary_value;
    c.method = l.scheme == "rk4" ? mass::scheme::rk4 : l.scheme == "euler_maruyama" ? mass::scheme::euler_maruyama
                                                                                      : mass::scheme::heun;
    c.seed = o.seed.value_or(d.run.seed);
    c.threads = o.threads.value_or(d.run.threads);
    if (c.threads <= 0) c.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    mass::coupling k = mass::no_coupling{};
    try {
        k = lattice_coupling(d, o);
    } catch (const sim::parameter_error& e) {
        report(e);
    }
    mass::recording_config r;
    r.nodes.assign(l.nodes.begin(), l.nodes.end());
    const double steps = l.interval_ms / d.run.dt_ms;
    if (!(std::abs(steps - std::round(steps)) <= 1e-6 * std::max(1.0, steps)) || std::round(steps) < 1.0)
        report(sim::parameter_error("lattice", "interval",
                                    fmt::format("must be a positive multiple of dt ({} ms), got {} ms", d.run.dt_ms,
                                                l.interval_ms)));
    r.interval = static_cast<std::size_t>(std::max(1.0, std::round(steps)));
    r.spatial_mean = true;
    r.capacity = 100000;
    std::unique_ptr<lattice_run> out;
    if (problems.empty()) {
        try {
            if (l.model == "jansen_rit")
                out = make_lattice<mass::jansen_rit>(d, l, c, k, r, report);
            else if (l.model == "wilson_cowan")
                out = make_lattice<mass::wilson_cowan>(d, l, c, k, r, report);
            else
                out = make_lattice<mass::linear_oscillator>(d, l, c, k, r, report);
        } catch (const sim::parameter_error& e) {
            report(e);
        }
    }
    if (!problems.empty() || !out) throw model_file_error(problems);
    return out;
}

} // namespace lamina::app
