#include "lamina/models/eeg/proxies.hpp"

#include "lamina/sim/error.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <fmt/format.h>
#include <set>
#include <stdexcept>

namespace lamina::models::eeg {

namespace {

constexpr std::array<std::string_view, 4> type_names{"mean_v", "sum_abs_currents", "lrws", "conductance_current"};

bool has_state(const sim::population& pop, std::string_view v) { return pop.state_index(v).has_value(); }

bool has_parameter(const sim::population& pop, std::string_view p) {
    const auto names = pop.parameter_names();
    return std::find(names.begin(), names.end(), p) != names.end();
}

std::string state_list(const sim::population& pop) {
    std::string s;
    for (auto n : pop.state_names()) s += " " + std::string(n);
    return s;
}

} // namespace

std::span<const std::string_view> proxy_type_names() { return type_names; }

std::string_view proxy_type_name(proxy_type t) { return type_names[static_cast<std::size_t>(t)]; }

std::optional<proxy_type> parse_proxy_type(std::string_view name) {
    for (std::size_t i = 0; i < type_names.size(); ++i)
        if (type_names[i] == name) return static_cast<proxy_type>(i);
    return std::nullopt;
}

synaptic_current_terms synaptic_currents(const sim::population& pop, const std::string& object) {
    synaptic_current_terms t;
    if (has_state(pop, "g_ex") && has_state(pop, "g_in") && has_state(pop, "V_m") && has_parameter(pop, "E_ex") &&
        has_parameter(pop, "E_in")) {
        t.conductance_based = true;
        t.ampa = {"g_ex", "V_m", pop.parameter("E_ex"), 1.0, false, 0.0};
        t.gaba = {"g_in", "V_m", pop.parameter("E_in"), 1.0, false, 0.0};
        return t;
    }
    if (has_state(pop, "I_syn_ex") && has_state(pop, "I_syn_in")) {
        t.ampa = {"I_syn_ex", "", 0.0, 1.0, false, 0.0};
        t.gaba = {"I_syn_in", "", 0.0, 1.0, false, 0.0};
        return t;
    }
    throw sim::parameter_error(object, "type",
                               fmt::format("population '{}' (model {}) has no synaptic currents to build the proxy "
                                           "from: needs g_ex, g_in, V_m and E_ex, E_in (conductance-based) or "
                                           "I_syn_ex, I_syn_in (current-based); state variables:{}",
                                           pop.name(), pop.model_name(), state_list(pop)));
}

double delay_on_grid(double delay_ms, double interval_ms) {
    if (!(delay_ms > 0.0)) return 0.0;
    return std::round(delay_ms / interval_ms) * interval_ms;
}

sim::signal_recorder_spec make_proxy(proxy_type type, const std::string& name, const sim::population& pop,
                                     const proxy_options& o) {
    const std::string object = "proxy '" + name + "'";
    if (!(o.interval_ms > 0.0) || !std::isfinite(o.interval_ms))
        throw sim::parameter_error(object, "interval", fmt::format("must be > 0 ms, got {}", o.interval_ms));
    sim::signal_recorder_spec s;
    s.name = name;
    s.population = pop.name();
    s.interval_ms = o.interval_ms;
    switch (type) {
    case proxy_type::mean_v:
        if (!has_state(pop, "V_m"))
            throw sim::parameter_error(object, "type",
                                       fmt::format("population '{}' (model {}) has no state variable V_m; state "
                                                   "variables:{}",
                                                   pop.name(), pop.model_name(), state_list(pop)));
        s.terms = {{"V_m", "", 0.0, 1.0, false, 0.0}};
        s.mean = true;
        break;
    case proxy_type::sum_abs_currents: {
        auto c = synaptic_currents(pop, object);
        c.ampa.absolute = c.gaba.absolute = true;
        s.terms = {c.ampa, c.gaba};
        break;
    }
    case proxy_type::lrws: {
        if (!std::isfinite(o.lrws_alpha))
            throw sim::parameter_error(object, "alpha", "must be finite");
        if (!(o.lrws_ampa_delay_ms >= 0.0) || !(o.lrws_gaba_delay_ms >= 0.0))
            throw sim::parameter_error(object, "delay", "delays must be >= 0 ms");
        auto c = synaptic_currents(pop, object);
        c.ampa.absolute = c.gaba.absolute = true;
        c.ampa.delay_ms = delay_on_grid(o.lrws_ampa_delay_ms, o.interval_ms);
        c.gaba.delay_ms = delay_on_grid(o.lrws_gaba_delay_ms, o.interval_ms);
        c.gaba.coefficient = -o.lrws_alpha;
        s.terms = {c.ampa, c.gaba};
        break;
    }
    case proxy_type::conductance_current: {
        auto c = synaptic_currents(pop, object);
        if (!c.conductance_based)
            throw sim::parameter_error(object, "type",
                                       fmt::format("conductance_current needs a conductance-based model (g_ex, g_in, "
                                                   "E_ex, E_in); population '{}' is {} (use sum_abs_currents or lrws)",
                                                   pop.name(), pop.model_name()));
        c.gaba.coefficient = -1.0;
        s.terms = {c.ampa, c.gaba};
        s.mean = true;
        break;
    }
    }
    // Units of the proxies (table above): nS x mV and the current models' pA are both pA.
    s.unit = type == proxy_type::mean_v ? "mV" : "pA";
    return s;
}

// Lead field ---------------------------------------------------------------------------------------

void lead_field::check() const {
    if (electrodes.empty() || sources.empty())
        throw std::invalid_argument("lead field: needs at least one electrode and one source");
    if (gain.size() != electrodes.size() * sources.size())
        throw std::invalid_argument(fmt::format("lead field: {} gains for {} electrodes x {} sources", gain.size(),
                                                electrodes.size(), sources.size()));
    for (double g : gain)
        if (!std::isfinite(g)) throw std::invalid_argument("lead field: gains must be finite");
    std::set<std::string> seen;
    for (const auto* names : {&electrodes, &sources})
        for (const auto& n : *names) {
            if (n.empty()) throw std::invalid_argument("lead field: empty electrode or source name");
            if (!seen.insert(n).second)
                throw std::invalid_argument("lead field: name '" + n + "' appears twice among electrodes and sources");
        }
}

std::vector<std::vector<double>> apply_lead_field(const lead_field& field,
                                                  std::span<const std::vector<double>> sources) {
    field.check();
    if (sources.size() != field.sources.size())
        throw std::invalid_argument(fmt::format("apply_lead_field: {} source signals for a lead field of {} sources",
                                                sources.size(), field.sources.size()));
    const std::size_t n = sources.empty() ? 0 : sources[0].size();
    for (const auto& s : sources)
        if (s.size() != n) throw std::invalid_argument("apply_lead_field: source signals differ in length");
    std::vector<std::vector<double>> out(field.electrodes.size(), std::vector<double>(n, 0.0));
    for (std::size_t e = 0; e < field.electrodes.size(); ++e)
        for (std::size_t s = 0; s < field.sources.size(); ++s) {
            const double g = field.at(e, s);
            for (std::size_t t = 0; t < n; ++t) out[e][t] += g * sources[s][t];
        }
    return out;
}

lead_field_sink::lead_field_sink(lead_field field, sim::recording_sink& inner)
    : field_(std::move(field)), inner_(inner) {
    field_.check();
    for (std::size_t s = 0; s < field_.sources.size(); ++s) column_[field_.sources[s]] = s;
    pending_values_.resize(field_.sources.size());
    pending_times_.resize(field_.sources.size());
}

void lead_field_sink::spikes(const std::string& r, std::span<const double> t, std::span<const std::uint32_t> n) {
    inner_.spikes(r, t, n);
}
void lead_field_sink::samples(const std::string& r, std::span<const double> t, std::span<const double> v) {
    inner_.samples(r, t, v);
}
void lead_field_sink::rates(const std::string& r, std::span<const double> b, std::span<const double> v) {
    inner_.rates(r, b, v);
}
void lead_field_sink::weights(const std::string& r, double t, std::span<const float> v) { inner_.weights(r, t, v); }

void lead_field_sink::signals(const std::string& recorder, std::span<const double> times_ms,
                              std::span<const double> values) {
    inner_.signals(recorder, times_ms, values);
    const auto it = column_.find(recorder);
    if (it == column_.end()) return;
    const std::size_t col = it->second;
    pending_times_[col].insert(pending_times_[col].end(), times_ms.begin(), times_ms.end());
    pending_values_[col].insert(pending_values_[col].end(), values.begin(), values.end());
    std::size_t ready = pending_values_[0].size();
    for (const auto& p : pending_values_) ready = std::min(ready, p.size());
    if (ready == 0) return;
    const auto& times = pending_times_[0];
    for (std::size_t s = 1; s < pending_times_.size(); ++s)
        for (std::size_t k = 0; k < ready; ++k)
            if (std::abs(pending_times_[s][k] - times[k]) > 1e-9 * std::max(1.0, std::abs(times[k])))
                throw sim::error(fmt::format("lead field: source '{}' is sampled at {} ms where '{}' is sampled at {} "
                                             "ms; the sources of a lead field need the same interval",
                                             field_.sources[s], pending_times_[s][k], field_.sources[0], times[k]));
    std::vector<double> out(ready);
    for (std::size_t e = 0; e < field_.electrodes.size(); ++e) {
        std::fill(out.begin(), out.end(), 0.0);
        for (std::size_t s = 0; s < field_.sources.size(); ++s) {
            const double g = field_.at(e, s);
            for (std::size_t k = 0; k < ready; ++k) out[k] += g * pending_values_[s][k];
        }
        inner_.signals(field_.electrodes[e], std::span<const double>(times.data(), ready), out);
    }
    for (std::size_t s = 0; s < field_.sources.size(); ++s) {
        pending_times_[s].erase(pending_times_[s].begin(), pending_times_[s].begin() + std::ptrdiff_t(ready));
        pending_values_[s].erase(pending_values_[s].begin(), pending_values_[s].begin() + std::ptrdiff_t(ready));
    }
}

} // namespace lamina::models::eeg
