// The [lattice] section of a model file: a sheet of neural masses, its coupling (none, Laplacian,
// distance kernel, or a matrix given inline, in an HDF5 file or as a connectivity prior) and what
// it records.
#include "reader.hpp"

#include "lamina/sim/hdf5_file.hpp"

#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace lamina::compose {
namespace detail {
namespace {

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
            auto v = reader::finite_value(e);
            if (!v) {
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
                auto val = reader::finite_value(v);
                if (!val) {
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

} // namespace

void read_lattice(reader& r, const toml::table& root, model_description& d, const models::mass::mass_registry& masses) {
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
    l.model = r.choice(*t, "model", path, true, where, {masses.names().begin(), masses.names().end()}).value_or("");
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
    if (const toml::table* params = as_table(r, t->get("params"), "lattice.params"))
        r.named_numbers(*params, "lattice.params", "lattice", l.parameters);
    if (const toml::table* c = as_table(r, t->get("coupling"), "lattice.coupling")) {
        const std::string cpath = "lattice.coupling";
        const auto cwhere = location_of(c->source());
        l.coupling =
            r.choice(*c, "type", cpath, true, cwhere, {"none", "laplacian", "kernel", "matrix"}).value_or("none");
        if (l.coupling == "none") {
            r.check_keys(*c, cpath, {"type"});
        } else if (l.coupling == "laplacian") {
            r.check_keys(*c, cpath, {"type", "kappa", "diffusion"});
            l.kappa = r.number(*c, "kappa", cpath, true, cwhere).value_or(0.0);
            l.diffusion = r.numbers(*c, "diffusion", cpath, false, cwhere).value_or(std::vector<double>{});
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
        for (const char* k : {"kappa", "strength", "length", "radius", "velocity", "diffusion"})
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

} // namespace detail

std::vector<std::string> lattice_description::signal_names() const {
    std::vector<std::string> out{name};
    for (auto n : nodes) out.push_back(fmt::format("{}_node{}", name, n));
    return out;
}

} // namespace lamina::compose
