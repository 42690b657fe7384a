#include "lamina/sim/population.hpp"

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

void population::allocate(std::size_t ring_slots, std::uint64_t seed, std::uint32_t population_id) {
    const std::size_t nvar = state_names().size();
    state_.assign(nvar, std::vector<double>(size_));
    initial_.resize(nvar);
    for (std::size_t v = 0; v < nvar; ++v) {
        const double dflt = default_initial_value(v);
        if (!initial_[v] || initial_[v]->is_constant()) {
            std::fill(state_[v].begin(), state_[v].end(), initial_[v] ? initial_[v]->a : dflt);
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
    ring_.assign(ring_slots * ports().size() * size_, 0.0);
}

void population::save_state(state_block& out) const {
    for (auto n : parameter_names()) out.f64["parameter." + std::string(n)] = {parameter(n)};
    const auto names = state_names();
    for (std::size_t v = 0; v < names.size(); ++v) out.f64["state." + std::string(names[v])] = state_[v];
    out.i64["refractory"] = std::vector<std::int64_t>(refractory_.begin(), refractory_.end());
    out.f64["ring"] = ring_;
}

void population::check_state(const state_block& in) const {
    const std::string owner = "population '" + name_ + "'";
    for (auto n : parameter_names()) in.doubles(owner, "parameter." + std::string(n), 1);
    for (auto v : state_names()) in.doubles(owner, "state." + std::string(v), size_);
    in.integers(owner, "refractory", size_);
    in.doubles(owner, "ring", ring_.size());
}

void population::load_state(const state_block& in, double dt) {
    check_state(in);
    const std::string owner = "population '" + name_ + "'";
    for (auto n : parameter_names()) set_parameter(n, in.doubles(owner, "parameter." + std::string(n), 1)[0]);
    lower(dt);
    const auto names = state_names();
    for (std::size_t v = 0; v < names.size(); ++v) state_[v] = in.doubles(owner, "state." + std::string(names[v]), size_);
    const auto& refractory = in.integers(owner, "refractory", size_);
    std::copy(refractory.begin(), refractory.end(), refractory_.begin());
    ring_ = in.doubles(owner, "ring", ring_.size());
}

std::size_t population::memory_bytes() const noexcept {
    std::size_t b = 0;
    for (const auto& s : state_) b += s.capacity() * sizeof(double);
    return b + refractory_.capacity() * sizeof(std::int32_t) + current_.capacity() * sizeof(double) +
           ring_.capacity() * sizeof(double);
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
