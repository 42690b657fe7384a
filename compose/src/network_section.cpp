// The spiking network's sections of a model file: [populations.NAME], [[projections]] (with their
// plasticity tables), [[stimuli]] and [[recorders]].
#include "reader.hpp"

#include "array_file.hpp"

#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <limits>
#include <set>

namespace lamina::compose::detail {

namespace {

// Finite numbers given inline (an array) or in a file ({ file = "x.npy" } or { file = "x.h5",
// dataset = "/path" }, relative to the model file); `expected` values unless 0, where `what`
// names what they are one of ("neuron") and `whole` the whole in messages ("population has 6
// neurons"). nullopt after reporting a problem.
std::optional<std::vector<double>> read_number_list(reader& r, const toml::node& v, const std::string& key,
                                                    const model_description& d, std::size_t expected,
                                                    const char* what, const char* whole = "") {
    std::vector<double> values;
    if (const toml::array* a = v.as_array()) {
        for (const auto& e : *a) {
            if (auto x = reader::finite_value(e)) {
                values.push_back(*x);
            } else {
                r.error(e, key, std::string("an array of per-") + what + " values holds finite numbers, got " + type_name(e));
                return std::nullopt;
            }
        }
        if (expected != 0 && values.size() != expected) {
            r.error(v, key, fmt::format("needs one value per {} ({}), got {}", what, expected, values.size()));
            return std::nullopt;
        }
        return values;
    }
    const toml::table* t = v.as_table();
    const auto where = location_of(t->source());
    r.check_keys(*t, key, {"file", "dataset"});
    const auto given = r.string(*t, "file", key, true, where);
    if (!given) return std::nullopt;
    std::filesystem::path path(*given);
    if (path.is_relative()) path = std::filesystem::path(d.path).parent_path() / path;
    const bool npy = path.extension() == ".npy";
    const auto dataset = r.string(*t, "dataset", key, !npy, where);
    if (npy && dataset) r.error(*t->get("dataset"), reader::join(key, "dataset"), "not used with a .npy file");
    if (!npy && !dataset) return std::nullopt;
    try {
        if (!std::filesystem::is_regular_file(path)) {
            r.error(*t->get("file"), reader::join(key, "file"),
                    "cannot read '" + path.string() + "': no such file (a relative path is taken from the model "
                    "file's directory)");
            return std::nullopt;
        }
        values = npy ? read_npy(path.string()) : read_hdf5_array(path.string(), *dataset);
    } catch (const std::exception& e) {
        r.error(*t->get("file"), reader::join(key, "file"), e.what());
        return std::nullopt;
    }
    if (expected != 0 && values.size() != expected) {
        r.error(*t->get("file"), reader::join(key, "file"),
                fmt::format("'{}' holds {} values; the {} {}", path.string(), values.size(), whole, expected));
        return std::nullopt;
    }
    for (std::size_t i = 0; i < values.size(); ++i)
        if (!std::isfinite(values[i])) {
            r.error(*t->get("file"), reader::join(key, "file"),
                    fmt::format("'{}': value {} ({} {}) is not finite", path.string(), values[i], what, i));
            return std::nullopt;
        }
    return values;
}

// One entry of a population's params: a number (the same for every neuron), a string (an
// expression of the population's variables), a distribution table, an array with one value per
// neuron, or { file = "x.npy" } / { file = "x.h5", dataset = "/path" }.
void read_parameter(reader& r, const toml::node& v, const std::string& key, const std::string& name,
                    const model_description& d, population_description& p) {
    if (auto x = reader::finite_value(v)) {
        p.parameters.emplace_back(name, *x);
        return;
    }
    if (v.is_integer() || v.is_floating_point()) {
        r.error(v, key, "must be a finite number");
        return;
    }
    if (auto text = v.value<std::string>()) {
        p.per_neuron.emplace_back(name, sim::per_neuron_value::of_expression(*text));
        return;
    }
    const toml::table* t = v.as_table();
    if (!v.as_array() && !t) {
        r.error(v, key, std::string("must be a number, an expression string, a distribution table {dist = ...}, an "
                                    "array or {file = ...}, got ") + type_name(v));
        return;
    }
    if (t && !t->get("file")) {
        if (auto dist = r.distribution(v, key)) p.per_neuron.emplace_back(name, sim::per_neuron_value::of_distribution(*dist));
        return;
    }
    if (auto values = read_number_list(r, v, key, d, p.size, "neuron", "population has"))
        p.per_neuron.emplace_back(name, sim::per_neuron_value::of_values(std::move(*values)));
}

} // namespace

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
        r.check_keys(*t, path, {"model", "size", "params", "initial", "variables", "update", "positions", "precise"});
        population_description p;
        p.name = std::string(name.str());
        const std::string label = "population '" + p.name + "'";
        r.remember_object(label, where, path);
        p.model = r.string(*t, "model", path, true, where).value_or("");
        r.remember_key(label, "model", *t, "model", path);
        p.size = static_cast<std::size_t>(r.integer(*t, "size", path, true, where, 1).value_or(0));
        r.remember_key(label, "size", *t, "size", path);
        if (auto u = r.choice(*t, "update", path, false, where, {"clock", "event", "auto"})) {
            p.update = *u == "event" ? sim::update_mode::event
                     : *u == "auto"  ? sim::update_mode::automatic
                                     : sim::update_mode::clock;
            r.remember_key(label, "update", *t, "update", path);
        }
        // Precise (off-grid) spike times, docs/engine.md "Precise spike times"; also accepted in params.
        if (auto precise = r.boolean(*t, "precise", path, where)) {
            p.precise = *precise;
            r.remember_key(label, "precise", *t, "precise", path);
        }
        if (const toml::table* pos = as_table(r, t->get("positions"), path + ".positions")) {
            // positions = { layout = "grid", shape = [columns, rows] | "random", extent = [x, y],
            //               center = [x, y], periodic = false } (spatial.hpp)
            const std::string ppath = path + ".positions";
            const auto pwhere = location_of(pos->source());
            r.check_keys(*pos, ppath, {"layout", "shape", "extent", "center", "periodic"});
            auto& L = p.layout;
            if (auto kind = r.choice(*pos, "layout", ppath, true, pwhere, {"grid", "random"}))
                L.type = *kind == "grid" ? sim::spatial_layout::kind::grid : sim::spatial_layout::kind::random;
            auto pair_of = [&](const char* key, bool required, double& a, double& b) {
                if (auto v = r.numbers(*pos, key, ppath, required, pwhere)) {
                    if (v->size() != 2) {
                        r.error(*pos->get(key), reader::join(ppath, key), fmt::format("needs two numbers [x, y], got {}", v->size()));
                        return;
                    }
                    a = (*v)[0];
                    b = (*v)[1];
                }
                if (const toml::node* n = pos->get(key))
                    d.parameters[{label, std::string("positions.") + key}] = {location_of(n->source()), reader::join(ppath, key)};
            };
            pair_of("extent", true, L.extent_x, L.extent_y);
            pair_of("center", false, L.center_x, L.center_y);
            if (L.type == sim::spatial_layout::kind::grid) {
                if (auto v = r.indices(*pos, "shape", ppath, true, pwhere)) {
                    if (v->size() != 2)
                        r.error(*pos->get("shape"), reader::join(ppath, "shape"), "needs [columns, rows]");
                    else
                        L.columns = (*v)[0], L.rows = (*v)[1];
                }
                if (const toml::node* n = pos->get("shape"))
                    d.parameters[{label, "positions.shape"}] = {location_of(n->source()), reader::join(ppath, "shape")};
            } else if (const toml::node* n = pos->get("shape")) {
                r.error(*n, reader::join(ppath, "shape"), "not used by layout = \"random\"");
            }
            L.periodic = r.boolean(*pos, "periodic", ppath, pwhere).value_or(false);
        }
        if (const toml::table* vars = as_table(r, t->get("variables"), path + ".variables")) {
            for (auto&& [k, v] : *vars) {
                const std::string key = path + ".variables." + std::string(k.str());
                if (auto dist = r.distribution(v, key)) p.variables.emplace_back(std::string(k.str()), *dist);
                d.parameters[{label, "variables." + std::string(k.str())}] = {location_of(k.source()), key};
            }
        }
        if (const toml::table* params = as_table(r, t->get("params"), path + ".params")) {
            for (auto&& [k, v] : *params) {
                const std::string key = path + ".params." + std::string(k.str());
                if (k.str() == "precise") {  // a mode, not a model parameter: the same as the key beside update
                    if (auto precise = r.boolean(*params, "precise", path + ".params", where)) p.precise = *precise;
                } else {
                    read_parameter(r, v, key, std::string(k.str()), d, p);
                }
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

void read_projections(reader& r, const toml::table& root, model_description& d) {
    std::set<std::string> names;
    for_each_entry(r, root, "projections", [&](const toml::table& t, const std::string& path, std::size_t i) {
        const auto where = location_of(t.source());
        r.check_keys(t, path,
                     {"name", "source", "target", "rule", "probability", "indegree", "outdegree", "total", "autapses",
                      "multapses", "weight", "delay", "port", "sources", "targets", "weights", "delays",
                      "plasticity", "p0", "kernel", "width", "mask_radius", "velocity"});
        sim::projection_spec s;
        s.source = r.string(t, "source", path, true, where).value_or("");
        s.target = r.string(t, "target", path, true, where).value_or("");
        s.name = r.string(t, "name", path, false, where).value_or(s.source + "->" + s.target);
        if (!names.insert(s.name).second) s.name += fmt::format("#{}", i + 1);
        const std::string label = "projection '" + s.name + "'";
        r.remember_object(label, where, path);
        for (const char* k : {"source", "target", "port", "probability", "indegree", "outdegree", "total", "weight", "delay",
                              "sources", "targets", "weights", "delays", "p0", "kernel", "width", "mask_radius",
                              "velocity"})
            r.remember_key(label, k, t, k, path);
        r.remember_key(label, "rule", t, "rule", path);
        const auto rule = r.choice(t, "rule", path, true, where,
                                   {"one_to_one", "all_to_all", "pairwise_bernoulli", "fixed_indegree",
                                    "fixed_outdegree", "fixed_total_number", "explicit", "distance_dependent"});
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
            } else if (*rule == "distance_dependent") {
                // NEST's spatial pairwise_bernoulli (spatial.hpp): p0 k(distance) within mask_radius.
                sim::spatial_kernel k;
                k.p0 = r.number(t, "p0", path, true, where).value_or(0.0);
                const auto kind = r.choice(t, "kernel", path, true, where, {"gaussian", "exponential", "constant"});
                k.type = !kind || *kind == "gaussian" ? sim::spatial_kernel::kind::gaussian
                         : *kind == "exponential"     ? sim::spatial_kernel::kind::exponential
                                                      : sim::spatial_kernel::kind::constant;
                if (kind && *kind != "constant") k.width = r.number(t, "width", path, true, where).value_or(1.0);
                else forbid({"width"}, "by kernel = \"constant\"");
                k.mask_radius = r.number(t, "mask_radius", path, kind && *kind == "constant", where)
                                    .value_or(std::numeric_limits<double>::infinity());
                k.velocity = r.number(t, "velocity", path, false, where).value_or(0.0);
                s.rule = R::distance_dependent(k, autapses);
                forbid({"probability", "indegree", "outdegree", "sources", "targets", "total", "multapses"},
                       "by rule distance_dependent");
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
        if (rule && *rule != "distance_dependent")
            forbid({"p0", "kernel", "width", "mask_radius", "velocity"}, "unless rule = \"distance_dependent\"");
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
        const auto type = r.choice(t, "type", path, true, where,
                                   {"poisson", "spike_generator", "dc", "step_current", "neuron_currents", "noise",
                                    "inhomogeneous_poisson", "sinusoidal_poisson"});
        if (!type) return;
        const std::string name = r.string(t, "name", path, false, where).value_or(fmt::format("{}_{}", *type, i + 1));
        const std::string target = r.string(t, "target", path, true, where).value_or("");
        const auto neurons = r.indices(t, "neurons", path, false, where).value_or(std::vector<std::uint32_t>{});
        std::string label;
        if (*type == "poisson" || *type == "inhomogeneous_poisson" || *type == "sinusoidal_poisson") {
            // poisson: a constant rate, or one per target neuron (an array, {file = ...} or a
            // distribution); inhomogeneous_poisson: a piecewise-constant time series (NEST
            // inhomogeneous_poisson_generator); sinusoidal_poisson: rate + amplitude sin(2 pi
            // frequency t + phase) (NEST sinusoidal_poisson_generator).
            if (*type == "poisson")
                r.check_keys(t, path, {"type", "name", "target", "neurons", "rate", "weight", "port", "independent",
                                       "start", "stop"});
            else if (*type == "inhomogeneous_poisson")
                r.check_keys(t, path, {"type", "name", "target", "neurons", "rate_times", "rate_values", "weight",
                                       "port", "independent", "start", "stop"});
            else
                r.check_keys(t, path, {"type", "name", "target", "neurons", "rate", "amplitude", "frequency", "phase",
                                       "weight", "port", "independent", "start", "stop"});
            sim::poisson_input_spec s;
            s.name = name;
            s.target = target;
            s.neurons = neurons;
            if (*type == "inhomogeneous_poisson") {
                for (const char* key : {"rate_times", "rate_values"}) {
                    const toml::node* v = r.get(t, key, path, true, where);
                    if (!v) continue;
                    const std::string kpath = reader::join(path, key);
                    if (!v->as_array() && !(v->as_table() && v->as_table()->get("file"))) {
                        r.error(*v, kpath, std::string("must be an array of numbers or {file = ...}, got ") + type_name(*v));
                        continue;
                    }
                    auto values = read_number_list(r, *v, kpath, d, 0, "time");
                    if (!values) continue;
                    if (std::string_view(key) == "rate_times") {
                        s.rate_times_ms = std::move(*values);
                        continue;
                    }
                    for (std::size_t k = 0; k < values->size(); ++k)
                        if ((*values)[k] < 0.0) {
                            const toml::array* a = v->as_array();
                            r.error(a ? *a->get(k) : *v, kpath,
                                    fmt::format("rate {} is {} Hz; rates must be >= 0", k, (*values)[k]));
                            break;
                        }
                    s.rate_values_hz = std::move(*values);
                }
                if (s.rate_times_ms.empty() && s.rate_values_hz.empty() && t.get("rate_times") && t.get("rate_values"))
                    r.error(where, path + ".rate_times", "needs at least one (time, rate) pair");
            } else if (const toml::node* v = r.get(t, "rate", path, true, where)) {
                const std::string kpath = reader::join(path, "rate");
                if (auto x = reader::finite_value(*v)) {
                    s.rate_hz = *x;
                } else if (*type == "poisson" && v->as_array()) {
                    if (auto values = read_number_list(r, *v, kpath, d, 0, "target neuron")) s.neuron_rates_hz = std::move(*values);
                } else if (*type == "poisson" && v->as_table() && v->as_table()->get("file")) {
                    if (auto values = read_number_list(r, *v, kpath, d, 0, "target neuron")) s.neuron_rates_hz = std::move(*values);
                } else if (*type == "poisson" && v->as_table()) {
                    s.rate_distribution = r.distribution(*v, kpath);
                } else {
                    r.error(*v, kpath, *type == "poisson"
                                           ? std::string("must be a rate (Hz), an array with one rate per target neuron, "
                                                         "{file = ...} or a distribution table {dist = ...}, got ") + type_name(*v)
                                           : std::string("must be a finite rate (Hz), got ") + type_name(*v));
                }
            }
            if (*type == "sinusoidal_poisson") {
                s.amplitude_hz = r.number(t, "amplitude", path, true, where).value_or(0.0);
                s.frequency_hz = r.number(t, "frequency", path, true, where).value_or(0.0);
                s.phase_deg = r.number(t, "phase", path, false, where).value_or(0.0);
                if (s.amplitude_hz > s.rate_hz && t.get("amplitude"))
                    r.error(*t.get("amplitude"), reader::join(path, "amplitude"),
                            fmt::format("{} Hz exceeds the mean rate {} Hz, so the rate would go negative; needs "
                                        "0 <= amplitude <= rate", s.amplitude_hz, s.rate_hz));
            }
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
        } else if (*type == "noise") {
            // NEST noise_generator: a Gaussian current per neuron, redrawn every dt_noise.
            r.check_keys(t, path, {"type", "name", "target", "neurons", "mean", "sd", "dt_noise", "start", "stop"});
            sim::noise_current_spec s;
            s.name = name;
            s.target = target;
            s.neurons = neurons;
            s.mean_pA = r.number(t, "mean", path, false, where).value_or(0.0);
            s.sd_pA = r.number(t, "sd", path, true, where).value_or(0.0);
            s.interval_ms = r.number(t, "dt_noise", path, false, where).value_or(d.run.dt_ms);
            s.start_ms = r.number(t, "start", path, false, where).value_or(0.0);
            s.stop_ms = r.number(t, "stop", path, false, where).value_or(std::numeric_limits<double>::infinity());
            d.noise_currents.push_back(s);
            label = "noise current '" + name + "'";
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
                              "amplitudes", "amplitude", "mean", "sd", "dt_noise", "rate_times", "rate_values",
                              "frequency", "phase", "independent"})
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
