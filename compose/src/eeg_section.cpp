// The EEG sections of a model file: [[proxies]] (EEG/LFP proxies of populations) and [eeg] (a lead
// field mixing proxies or lattice signals into electrode traces).
#include "reader.hpp"

#include "lamina/compose/model_file.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <set>

namespace lamina::compose {
namespace detail {

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
                    auto v = reader::finite_value(x);
                    if (!v) {
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

} // namespace detail

std::optional<models::eeg::lead_field> lead_field_of(const model_description& d) {
    if (!d.eeg) return std::nullopt;
    models::eeg::lead_field f;
    f.electrodes = d.eeg->electrodes;
    f.sources = d.eeg->sources;
    f.gain = d.eeg->lead_field;
    return f;
}

} // namespace lamina::compose
