#include "lamina/sim/population.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fmt/format.h>

namespace lamina::sim {

std::optional<std::size_t> population::state_index(std::string_view var) const {
    auto names = state_names();
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == var) return i;
    return std::nullopt;
}

std::optional<std::size_t> population::port_index(std::string_view port) const {
    auto p = ports();
    for (std::size_t i = 0; i < p.size(); ++i)
        if (p[i].name == port) return i;
    return std::nullopt;
}

void population::set_initial(std::string_view var, const distribution& d) {
    auto idx = state_index(var);
    const std::string object = "population '" + name_ + "'";
    if (!idx) {
        std::string msg = "unknown state variable";
        if (auto near = nearest_name(var, state_names()); !near.empty()) msg += " (did you mean '" + near + "'?)";
        msg += "; state variables:";
        for (auto n : state_names()) msg += " " + std::string(n);
        throw parameter_error(object, "initial." + std::string(var), msg);
    }
    d.validate(object, "initial." + std::string(var));
    initial_.resize(state_names().size());
    initial_[*idx] = d;
}

void population::define_variable(std::string_view name, const distribution& d) {
    const std::string object = "population '" + name_ + "'";
    const std::string key = "variables." + std::string(name);
    auto valid_name = [](std::string_view n) {
        if (n.empty() || !(std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_')) return false;
        return std::all_of(n.begin(), n.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
    };
    if (!valid_name(name))
        throw parameter_error(object, key, "a variable name is a letter or '_' followed by letters, digits or '_'");
    for (auto f : {"exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "min", "max", "pow"})
        if (name == f) throw parameter_error(object, key, "is the name of a function");
    d.validate(object, key);
    std::erase_if(variables_, [&](const auto& v) { return v.name == name; });
    variables_.push_back({std::string(name), d});
    // Streams are keyed by the variable's rank among the names, so declaration order does not
    // change the draws.
    std::sort(variables_.begin(), variables_.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    resolved_.clear();
}

void population::set_parameter_per_neuron(std::string_view name, per_neuron_value v) {
    const std::string object = "population '" + name_ + "'";
    const auto names = parameter_names();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
        std::string msg = "unknown parameter";
        if (auto near = nearest_name(name, names); !near.empty()) msg += " (did you mean '" + near + "'?)";
        msg += "; allowed:";
        for (auto n : names) msg += " " + std::string(n);
        throw parameter_error(object, std::string(name), msg);
    }
    switch (v.type) {
    case per_neuron_value::kind::values:
        if (v.values.size() != size_)
            throw parameter_error(object, std::string(name),
                                  fmt::format("needs one value per neuron ({}), got {}", size_, v.values.size()));
        for (std::size_t i = 0; i < v.values.size(); ++i)
            if (!std::isfinite(v.values[i]))
                throw parameter_error(object, std::string(name), fmt::format("neuron {}: value is not finite", i));
        break;
    case per_neuron_value::kind::distribution: v.dist.validate(object, std::string(name)); break;
    case per_neuron_value::kind::expression: {
        std::vector<std::string> vars;
        for (const auto& x : variables_) vars.push_back(x.name);
        expression::parse(v.text, vars, object, std::string(name));
        break;
    }
    }
    std::erase_if(per_neuron_, [&](const auto& x) { return x.first == name; });
    per_neuron_.emplace_back(std::string(name), std::move(v));
    resolved_.clear();
}

std::string population::bare_message(const parameter_error& e) {
    const std::string prefix = e.object() + ": parameter '" + e.parameter() + "': ";
    const std::string w = e.what();
    return w.rfind(prefix, 0) == 0 ? w.substr(prefix.size()) : w;
}

const std::vector<std::vector<double>>& population::resolved_parameters() const {
    if (resolved_.size() == per_neuron_.size()) return resolved_;
    const std::string object = "population '" + name_ + "'";
    std::vector<std::string> var_names;
    for (const auto& x : variables_) var_names.push_back(x.name);
    // Variables are drawn only when an expression reads them.
    std::vector<bool> needed(variables_.size(), false);
    std::vector<expression> programs(per_neuron_.size());
    for (std::size_t k = 0; k < per_neuron_.size(); ++k) {
        const auto& [n, v] = per_neuron_[k];
        if (v.type != per_neuron_value::kind::expression) continue;
        programs[k] = expression::parse(v.text, var_names, object, n);
        for (auto j : programs[k].variables_used()) needed[j] = true;
    }
    std::vector<std::vector<double>> var_values(variables_.size());
    for (std::size_t j = 0; j < variables_.size(); ++j) {
        if (!needed[j]) continue;
        var_values[j].resize(size_);
        for (std::size_t i = 0; i < size_; ++i) {
            random_stream rng(seed_, stream_purpose::neuron_parameter, id_, i, 0x100u + static_cast<std::uint32_t>(j));
            var_values[j][i] = variables_[j].dist.draw(rng);
        }
    }
    const auto names = parameter_names();
    std::vector<std::vector<double>> out(per_neuron_.size());
    std::vector<double> at(variables_.size());
    for (std::size_t k = 0; k < per_neuron_.size(); ++k) {
        const auto& [n, v] = per_neuron_[k];
        auto& o = out[k];
        switch (v.type) {
        case per_neuron_value::kind::values: o = v.values; break;
        case per_neuron_value::kind::distribution: {
            const auto field = static_cast<std::uint32_t>(std::find(names.begin(), names.end(), n) - names.begin());
            o.resize(size_);
            for (std::size_t i = 0; i < size_; ++i) {
                random_stream rng(seed_, stream_purpose::neuron_parameter, id_, i, field);
                o[i] = v.dist.draw(rng);
            }
            break;
        }
        case per_neuron_value::kind::expression:
            o.resize(size_);
            for (std::size_t i = 0; i < size_; ++i) {
                for (std::size_t j = 0; j < variables_.size(); ++j) at[j] = needed[j] ? var_values[j][i] : 0.0;
                o[i] = programs[k].evaluate(at);
                if (!std::isfinite(o[i]))
                    throw parameter_error(object, n,
                                          fmt::format("neuron {} of {}: expression \"{}\" gives {}, not a finite number", i, size_, v.text, std::isnan(o[i]) ? std::string("NaN") : fmt::format("{}", o[i])));
            }
            break;
        }
    }
    resolved_ = std::move(out);
    return resolved_;
}

std::vector<double> population::parameter_values(std::string_view name) const {
    for (std::size_t k = 0; k < per_neuron_.size(); ++k)
        if (per_neuron_[k].first == name) return resolved_parameters()[k];
    return std::vector<double>(size_, parameter(name));
}

std::vector<std::string> population::per_neuron_parameters() const {
    std::vector<std::string> out;
    for (const auto& [n, v] : per_neuron_) out.push_back(n);
    return out;
}

void population::allocate(std::size_t ring_slots, std::uint64_t seed, std::uint32_t population_id, std::size_t first,
                          std::size_t last) {
    first_ = first;
    last_ = last;
    const std::size_t nvar = state_names().size();
    state_.assign(nvar, std::vector<double>(size_));
    initial_.resize(nvar);
    for (std::size_t v = 0; v < nvar; ++v) {
        if (!initial_[v]) {
            default_initial_values(v, state_[v]);
            continue;
        }
        if (initial_[v]->is_constant()) {
            std::fill(state_[v].begin(), state_[v].end(), initial_[v]->a);
            continue;
        }
        for (std::size_t i = 0; i < size_; ++i) {
            random_stream rng(seed, stream_purpose::initial_state, population_id, i, static_cast<std::uint32_t>(v));
            state_[v][i] = initial_[v]->draw(rng);
        }
    }
    refractory_.assign(size_, 0);
    current_.assign(size_, 0.0);
    ring_slots_ = ring_slots;
    ring_ = zero_page_array(ring_slots * ports().size() * size_);
    // This process's part is written now, as it is read and written every step: its pages
    // become resident at the build rather than by two faults each (read, then write) in the
    // first steps of the run. The rest of the rings is never touched here.
    for (std::size_t c = 0; c < ring_slots * ports().size(); ++c)
        std::fill(ring_.data() + c * size_ + first, ring_.data() + c * size_ + last, 0.0);
}

void population::save_state(state_block& out, std::size_t begin, std::size_t end) const {
    for (auto n : parameter_names()) out.f64["parameter." + std::string(n)] = {parameter(n)};
    const auto b = static_cast<std::ptrdiff_t>(begin), e = static_cast<std::ptrdiff_t>(end);
    // Per-neuron values are saved as drawn, so a checkpoint restores them without the seed.
    const auto& values = resolved_parameters();
    for (std::size_t k = 0; k < per_neuron_.size(); ++k)
        out.f64["per_neuron." + per_neuron_[k].first].assign(values[k].begin() + b, values[k].begin() + e);
    const auto names = state_names();
    for (std::size_t v = 0; v < names.size(); ++v)
        out.f64["state." + std::string(names[v])].assign(state_[v].begin() + b, state_[v].begin() + e);
    out.i64["refractory"].assign(refractory_.begin() + b, refractory_.begin() + e);
    auto& ring = out.f64["ring"];
    ring.clear();
    for (std::size_t c = 0; c < ring_slots_ * ports().size(); ++c) {
        const double* at = ring_.data() + c * size_;
        ring.insert(ring.end(), at + b, at + e);
    }
}

std::size_t population::checkpoint_chunks(std::string_view array) const {
    if (array.starts_with("parameter.")) return 0;
    if (array == "ring") return ring_slots_ * ports().size();
    return 1;
}

void population::check_state(const state_block& in) const {
    const std::string owner = "population '" + name_ + "'";
    for (auto n : parameter_names()) in.doubles(owner, "parameter." + std::string(n), 1);
    const auto names = parameter_names();
    for (const auto& [key, values] : in.f64) {
        if (key.rfind("per_neuron.", 0) != 0) continue;
        const std::string n = key.substr(11);
        if (std::find(names.begin(), names.end(), n) == names.end())
            throw checkpoint_error(owner + ": '" + key + "' names no parameter of model " + std::string(model_name()));
        in.doubles(owner, key, size_);
        for (double x : values)
            if (!std::isfinite(x)) throw checkpoint_error(owner + ": '" + key + "' holds a value that is not finite");
    }
    for (auto v : state_names()) in.doubles(owner, "state." + std::string(v), size_);
    in.integers(owner, "refractory", size_);
    in.doubles(owner, "ring", ring_.size());
}

void population::load_state(const state_block& in, double dt) {
    check_state(in);
    const std::string owner = "population '" + name_ + "'";
    for (auto n : parameter_names()) set_parameter(n, in.doubles(owner, "parameter." + std::string(n), 1)[0]);
    for (const auto& [key, values] : in.f64)
        if (key.rfind("per_neuron.", 0) == 0) set_parameter_per_neuron(key.substr(11), per_neuron_value::of_values(values));
    lower(dt);
    const auto names = state_names();
    for (std::size_t v = 0; v < names.size(); ++v) state_[v] = in.doubles(owner, "state." + std::string(names[v]), size_);
    const auto& refractory = in.integers(owner, "refractory", size_);
    std::copy(refractory.begin(), refractory.end(), refractory_.begin());
    // Only this process's neurons: the rest of the rings stays untouched zero pages.
    const auto& ring = in.doubles(owner, "ring", ring_.size());
    for (std::size_t c = 0; c < ring_slots_ * ports().size(); ++c)
        std::copy(ring.begin() + static_cast<std::ptrdiff_t>(c * size_ + first_),
                  ring.begin() + static_cast<std::ptrdiff_t>(c * size_ + last_), ring_.data() + c * size_ + first_);
}

std::size_t population::memory_bytes() const noexcept {
    std::size_t b = 0;
    for (const auto& s : state_) b += s.capacity() * sizeof(double);
    for (const auto& r : resolved_) b += r.capacity() * sizeof(double);
    return b + refractory_.capacity() * sizeof(std::int32_t) + current_.capacity() * sizeof(double) +
           ring_slots_ * ports().size() * (last_ - first_) * sizeof(double);
}

} // namespace lamina::sim

namespace lamina::sim {

std::string_view update_mode_name(update_mode m) noexcept {
    switch (m) {
    case update_mode::clock: return "clock";
    case update_mode::event: return "event";
    case update_mode::automatic: return "auto";
    }
    return "clock";
}

} // namespace lamina::sim
