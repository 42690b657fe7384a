// The model-file reader: typed reads with diagnostics, the [run] section, and the whole file
// (syntax, top-level keys, the sections in order, the problems sorted by line).
#include "reader.hpp"

#include "lamina/compose/model_file.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <limits>
#include <sstream>

namespace lamina::compose {

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

model_description::place model_description::place_of(const std::string& object, const std::string& parameter) const {
    if (auto it = parameters.find({object, parameter}); it != parameters.end()) return it->second;
    if (auto it = objects.find(object); it != objects.end()) return it->second;
    return {};
}

namespace detail {

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

void reader::error(source_location where, const std::string& key, const std::string& message) {
    problems.push_back({file_, where, key, message});
}
void reader::error(const toml::node& n, const std::string& key, const std::string& message) {
    error(location_of(n.source()), key, message);
}

void reader::check_keys(const toml::table& t, const std::string& path, std::initializer_list<std::string_view> allowed) {
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

std::string reader::join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::optional<double> reader::finite_value(const toml::node& n) {
    auto v = n.value<double>();
    if (!v || !(n.is_integer() || n.is_floating_point()) || !std::isfinite(*v)) return std::nullopt;
    return *v;
}

const toml::node* reader::get(const toml::table& t, std::string_view key, const std::string& path, bool required,
                              source_location table_where) {
    const toml::node* n = t.get(key);
    if (!n && required) error(table_where, join(path, key), "missing required key");
    return n;
}

std::optional<double> reader::number(const toml::table& t, std::string_view key, const std::string& path,
                                     bool required, source_location where) {
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

std::optional<std::int64_t> reader::integer(const toml::table& t, std::string_view key, const std::string& path,
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

std::optional<bool> reader::boolean(const toml::table& t, std::string_view key, const std::string& path,
                                    source_location where) {
    const toml::node* n = get(t, key, path, false, where);
    if (!n) return std::nullopt;
    if (!n->is_boolean()) {
        error(*n, join(path, key), std::string("must be true or false, got ") + type_name(*n));
        return std::nullopt;
    }
    return *n->value<bool>();
}

std::optional<std::string> reader::string(const toml::table& t, std::string_view key, const std::string& path,
                                          bool required, source_location where) {
    const toml::node* n = get(t, key, path, required, where);
    if (!n) return std::nullopt;
    if (!n->is_string()) {
        error(*n, join(path, key), std::string("must be a string, got ") + type_name(*n));
        return std::nullopt;
    }
    return *n->value<std::string>();
}

std::optional<std::string> reader::choice(const toml::table& t, std::string_view key, const std::string& path,
                                          bool required, source_location where,
                                          std::initializer_list<std::string_view> choices) {
    return choice(t, key, path, required, where, std::vector<std::string_view>(choices));
}

std::optional<std::string> reader::choice(const toml::table& t, std::string_view key, const std::string& path,
                                          bool required, source_location where,
                                          const std::vector<std::string_view>& choices) {
    auto s = string(t, key, path, required, where);
    if (!s) return std::nullopt;
    if (std::find(choices.begin(), choices.end(), *s) != choices.end()) return s;
    std::string msg = "unknown value '" + *s + "'";
    if (auto near = sim::nearest_name(*s, choices); !near.empty()) msg += " (did you mean '" + near + "'?)";
    msg += "; allowed:";
    for (auto n : choices) msg += " " + std::string(n);
    error(*t.get(key), join(path, key), msg);
    return std::nullopt;
}

const toml::array* reader::array(const toml::table& t, std::string_view key, const std::string& path, bool required,
                                source_location where, std::string_view elements) {
    const toml::node* n = get(t, key, path, required, where);
    if (!n) return nullptr;
    const toml::array* a = n->as_array();
    if (!a) error(*n, join(path, key), "must be an array of " + std::string(elements) + ", got " + type_name(*n));
    return a;
}

std::optional<std::vector<double>> reader::numbers(const toml::table& t, std::string_view key, const std::string& path,
                                                   bool required, source_location where) {
    const toml::array* a = array(t, key, path, required, where, "numbers");
    if (!a) return std::nullopt;
    std::vector<double> out;
    for (std::size_t i = 0; i < a->size(); ++i) {
        const auto& e = *a->get(i);
        auto v = finite_value(e);
        if (!v) {
            error(e, fmt::format("{}[{}]", join(path, key), i), std::string("must be a finite number, got ") +
                                                                     type_name(e));
            return std::nullopt;
        }
        out.push_back(*v);
    }
    return out;
}

std::optional<std::vector<std::uint32_t>> reader::indices(const toml::table& t, std::string_view key,
                                                          const std::string& path, bool required,
                                                          source_location where) {
    const toml::array* a = array(t, key, path, required, where, "neuron indices");
    if (!a) return std::nullopt;
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

std::optional<std::vector<std::string>> reader::strings(const toml::table& t, std::string_view key,
                                                        const std::string& path, bool required,
                                                        source_location where) {
    const toml::array* a = array(t, key, path, required, where, "strings");
    if (!a) return std::nullopt;
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

std::optional<sim::distribution> reader::distribution(const toml::node& n, const std::string& key) {
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

void reader::named_numbers(const toml::table& t, const std::string& path, const std::string& object,
                           std::vector<std::pair<std::string, double>>& out,
                           std::initializer_list<std::string_view> skip) {
    for (auto&& [k, v] : t) {
        if (std::find(skip.begin(), skip.end(), k.str()) != skip.end()) continue;
        const std::string key = join(path, k.str());
        if (auto x = finite_value(v))
            out.emplace_back(std::string(k.str()), *x);
        else
            error(v, key, std::string("must be a finite number, got ") + type_name(v));
        d_.parameters[{object, std::string(k.str())}] = {location_of(k.source()), key};
    }
}

void reader::remember_object(const std::string& label, source_location where, const std::string& key) {
    d_.objects[label] = {where, key};
}
void reader::remember_key(const std::string& label, const std::string& parameter, const toml::table& t,
                          std::string_view key, const std::string& path) {
    if (const toml::node* n = t.get(key)) d_.parameters[{label, parameter}] = {location_of(n->source()), join(path, key)};
}

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

} // namespace detail

model_description parse_model_text(const std::string& text, const std::string& path, const registries& registries) {
    using namespace detail;
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
    read_lattice(r, root, d, registries.masses);
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

model_description load_model_file(const std::string& path, const registries& registries) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw model_file_error({{path, {}, "", "cannot open the model file"}});
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_model_text(ss.str(), path, registries);
}

} // namespace lamina::compose
