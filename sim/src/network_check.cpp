// Checking a network before it is built: every object's parameters, names, ports and delays,
// each refusal naming its object and parameter, and the memory estimate that refuses networks too
// large for the machine.
#include "network_state.hpp"
#include "precise_delivery.hpp"

#include "lamina/sim/system_memory.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <functional>
#include <limits>

namespace lamina::sim {

namespace detail {

std::string projection_label(const projection_spec& s, std::size_t index) {
    if (!s.name.empty()) return "projection '" + s.name + "'";
    return fmt::format("projection #{} '{}->{}'", index, s.source, s.target);
}

std::size_t resolve_population(const std::vector<std::unique_ptr<population>>& pops, const std::string& name,
                               const std::string& object, const std::string& parameter) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < pops.size(); ++i) {
        if (pops[i]->name() == name) return i;
        names.push_back(pops[i]->name());
    }
    std::string msg = "no population named '" + name + "'";
    if (auto near = nearest_name(name, names); !near.empty()) msg += " (did you mean '" + near + "'?)";
    if (!names.empty()) {
        msg += "; populations:";
        for (auto& n : names) msg += " " + n;
    }
    throw parameter_error(object, parameter, msg);
}

std::size_t resolve_port(const population& pop, const std::string& port, const std::string& object) {
    if (auto i = pop.port_index(port)) return *i;
    std::string msg = "population '" + pop.name() + "' (" + std::string(pop.model_name()) +
                      ") has no receptor port '" + port + "'";
    if (auto near = nearest_name(port, [&] {
            std::vector<std::string> v;
            for (auto& p : pop.ports()) v.emplace_back(p.name);
            return v;
        }());
        !near.empty())
        msg += " (did you mean '" + near + "'?)";
    msg += "; ports:";
    for (auto& p : pop.ports()) msg += " " + std::string(p.name);
    throw parameter_error(object, "port", msg);
}

void check_neurons(const std::vector<std::uint32_t>& neurons, const population& pop, const std::string& object) {
    for (auto i : neurons)
        if (i >= pop.size())
            throw parameter_error(object, "neurons",
                                  fmt::format("index {} is outside population '{}' (size {})", i, pop.name(),
                                              pop.size()));
}

} // namespace detail

namespace {

using detail::check_neurons;
using detail::delay_steps;
using detail::projection_label;
using detail::resolve_population;
using detail::resolve_port;

void check_delay(const distribution& d, double dt, const std::string& object) {
    d.validate(object, "delay");
    if (d.min_value() < dt * (1.0 - 1e-9))
        throw parameter_error(object, "delay",
                              fmt::format("delays must be at least one step ({} ms); {} allows {} ms", dt, describe(d),
                                          d.min_value()));
    if (!std::isfinite(d.max_value()))
        throw parameter_error(object, "delay", "a random delay distribution needs a finite upper bound");
}

// In double precision: products of sizes and degrees may exceed 64 bits, and an estimate that
// wrapped around would let an impossible network through.
double expected_synapses(const connection_rule& r, std::uint64_t ns, std::uint64_t nt,
                         const spatial_layout* source_layout = nullptr) {
    switch (r.type) {
    case connection_rule::kind::distance_dependent: {
        // p0 times the kernel's share of the sheet: an upper bound, since the kernel's integral over
        // the plane exceeds that over the sheet (the memory estimate must not be low).
        const double area = source_layout ? source_layout->extent_x * source_layout->extent_y : 0.0;
        const double share = area > 0.0 ? std::min(1.0, r.kernel.plane_integral() / area) : 1.0;
        return std::clamp(r.kernel.p0, 0.0, 1.0) * share * double(ns) * double(nt);
    }
    case connection_rule::kind::one_to_one: return double(nt);
    case connection_rule::kind::all_to_all: return double(ns) * double(nt);
    case connection_rule::kind::pairwise_bernoulli: return r.probability * double(ns) * double(nt);
    case connection_rule::kind::fixed_indegree: return double(r.degree) * double(nt);
    case connection_rule::kind::fixed_outdegree: return double(r.degree) * double(ns);
    case connection_rule::kind::explicit_list: return double(r.sources.size());
    case connection_rule::kind::fixed_total_number: return double(r.total);
    }
    return 0.0;
}

std::size_t saturate(double bytes) {
    return bytes >= double(std::numeric_limits<std::size_t>::max()) ? std::numeric_limits<std::size_t>::max()
                                                                      : static_cast<std::size_t>(bytes);
}

// A population's positions (spatial.hpp): a grid that holds exactly its neurons, a positive extent.
void check_layout(const population& p) {
    const auto& L = p.layout;
    if (!L.has_positions()) return;
    const std::string obj = "population '" + p.name() + "'";
    if (!(L.extent_x > 0.0) || !(L.extent_y > 0.0) || !std::isfinite(L.extent_x) || !std::isfinite(L.extent_y))
        throw parameter_error(obj, "positions.extent",
                              fmt::format("must be finite and > 0, got [{}, {}]", L.extent_x, L.extent_y));
    if (!std::isfinite(L.center_x) || !std::isfinite(L.center_y))
        throw parameter_error(obj, "positions.center", "must be finite");
    if (L.type == spatial_layout::kind::grid && L.columns * L.rows != p.size())
        throw parameter_error(obj, "positions.shape",
                              fmt::format("a grid of {} x {} holds {} neurons; the population has {}", L.columns,
                                          L.rows, L.columns * L.rows, p.size()));
}

// A distance-dependent projection: positions on both sides, a kernel that is a probability, the
// same sheet on both sides when periodic, and a constant base delay when delays grow with distance.
void check_distance_rule(const projection_spec& s, const population& src, const population& tgt,
                         const std::string& obj, double dt) {
    const auto& k = s.rule.kernel;
    for (const population* p : {&src, &tgt})
        if (!p->layout.has_positions())
            throw parameter_error(obj, "rule",
                                  "distance_dependent needs positions for population '" + p->name() +
                                      "' (positions = { layout = \"grid\" | \"random\", ... })");
    if (!(k.p0 >= 0.0 && k.p0 <= 1.0)) throw parameter_error(obj, "p0", fmt::format("must be in [0, 1], got {}", k.p0));
    if (k.type != spatial_kernel::kind::constant && (!(k.width > 0.0) || !std::isfinite(k.width)))
        throw parameter_error(obj, "width", fmt::format("must be finite and > 0, got {}", k.width));
    if (!(k.mask_radius > 0.0))
        throw parameter_error(obj, "mask_radius", fmt::format("must be > 0, got {}", k.mask_radius));
    if (k.type == spatial_kernel::kind::constant && !std::isfinite(k.mask_radius) && k.p0 > 0.0)
        throw parameter_error(obj, "mask_radius", "a constant kernel needs a finite mask radius (else use pairwise_bernoulli)");
    if (!(k.velocity >= 0.0) || !std::isfinite(k.velocity))
        throw parameter_error(obj, "velocity", fmt::format("must be finite and >= 0, got {}", k.velocity));
    if (k.velocity > 0.0) {
        if (!s.delay_ms.is_constant())
            throw parameter_error(obj, "delay",
                                  "with a velocity the delay is delay + distance / velocity: give one constant delay");
        if (!(s.delay_ms.a >= dt * (1.0 - 1e-9)))
            throw parameter_error(obj, "delay", fmt::format("must be at least one step ({} ms), got {}", dt, s.delay_ms.a));
    }
    const auto& a = src.layout;
    const auto& b = tgt.layout;
    if ((a.periodic || b.periodic) &&
        (a.periodic != b.periodic || a.extent_x != b.extent_x || a.extent_y != b.extent_y || a.center_x != b.center_x ||
         a.center_y != b.center_y))
        throw parameter_error(obj, "rule",
                              "periodic boundaries need both populations on the same sheet (equal extent, center "
                              "and periodic)");
}

// The rate shapes of a Poisson device (poisson_input_spec): one shape at a time, rates >= 0
// everywhere, at most 1e4 expected events per step (500 per neuron for per-neuron rates, which
// are drawn by a search whose cost grows with the mean).
void check_rate_shape(const poisson_input_spec& d, const population& pop, const std::string& obj, double dt,
                      std::uint64_t seed, std::uint32_t device) {
    const int shapes = int(d.time_series()) + int(d.sinusoidal()) + int(d.per_neuron());
    if (shapes > 1)
        throw parameter_error(obj, d.time_series() ? "rate_times" : "amplitude",
                              "a Poisson input takes one rate shape: a time series (rate_times, rate_values), a "
                              "sinusoid (amplitude, frequency, phase) or a rate per neuron, not several");
    if (!d.constant_shared_rate()) {
        if (d.draw_in_blocks)
            throw parameter_error(obj, "draw_in_blocks", "block draws need a constant rate shared by all targets");
        if (pop.requested_update == update_mode::event)
            throw parameter_error(obj, "target",
                                  "population '" + pop.name() + "' runs event-driven (update = \"event\"), which takes "
                                  "only Poisson input of a constant rate shared by all targets");
    }
    const double max_per_step = 1e4;
    if (d.time_series()) {
        const auto& T = d.rate_times_ms;
        const auto& V = d.rate_values_hz;
        if (T.size() != V.size())
            throw parameter_error(obj, "rate_values",
                                  fmt::format("needs one rate per time: {} times, {} rates", T.size(), V.size()));
        for (std::size_t k = 0; k < T.size(); ++k) {
            if (!std::isfinite(T[k]) || T[k] < 0.0)
                throw parameter_error(obj, "rate_times", fmt::format("time {} ({} ms) must be finite and >= 0", k, T[k]));
            if (k > 0 && !(T[k] > T[k - 1]))
                throw parameter_error(obj, "rate_times",
                                      fmt::format("times must increase strictly: time {} is {} ms after {} ms", k,
                                                  T[k], T[k - 1]));
            if (!std::isfinite(V[k]) || V[k] < 0.0)
                throw parameter_error(obj, "rate_values",
                                      fmt::format("rate {} (from {} ms) is {} Hz; rates must be finite and >= 0", k,
                                                  T[k], V[k]));
            if (V[k] * dt * 1e-3 > max_per_step)
                throw parameter_error(obj, "rate_values", "more than 1e4 expected spikes per step; use a current instead");
        }
    }
    if (d.sinusoidal()) {
        if (!std::isfinite(d.frequency_hz) || d.frequency_hz < 0.0)
            throw parameter_error(obj, "frequency", fmt::format("must be finite and >= 0 Hz, got {}", d.frequency_hz));
        if (!std::isfinite(d.phase_deg)) throw parameter_error(obj, "phase", "must be finite (degrees)");
        if (!std::isfinite(d.amplitude_hz) || d.amplitude_hz < 0.0)
            throw parameter_error(obj, "amplitude", fmt::format("must be finite and >= 0 Hz, got {}", d.amplitude_hz));
        if (d.amplitude_hz > d.rate_hz)
            throw parameter_error(obj, "amplitude",
                                  fmt::format("{} Hz exceeds the mean rate {} Hz: the rate rate + amplitude sin(...) "
                                              "would go negative; needs amplitude <= rate",
                                              d.amplitude_hz, d.rate_hz));
        if ((d.rate_hz + d.amplitude_hz) * dt * 1e-3 > max_per_step)
            throw parameter_error(obj, "rate", "more than 1e4 expected spikes per step; use a current instead");
    }
    if (d.per_neuron()) {
        if (!d.independent)
            throw parameter_error(obj, "independent", "a rate per neuron needs independent trains (independent = true)");
        const std::size_t targets = d.neurons.empty() ? pop.size() : d.neurons.size();
        if (d.rate_distribution) {
            if (!d.neuron_rates_hz.empty())
                throw parameter_error(obj, "rate", "give the per-neuron rates as values or as a distribution, not both");
            d.rate_distribution->validate(obj, "rate");
        } else if (d.neuron_rates_hz.size() != targets) {
            throw parameter_error(obj, "rate",
                                  fmt::format("needs one rate per target neuron ({}), got {}", targets,
                                              d.neuron_rates_hz.size()));
        }
        const auto rates = detail::resolve_neuron_rates(d, targets, seed, device);
        for (std::size_t m = 0; m < rates.size(); ++m) {
            const std::size_t neuron = d.neurons.empty() ? m : d.neurons[m];
            if (!std::isfinite(rates[m]) || rates[m] < 0.0)
                throw parameter_error(obj, "rate",
                                      fmt::format("neuron {} of {}: rate {} Hz; rates must be finite and >= 0", neuron,
                                                  pop.size(), rates[m]));
            if (rates[m] * dt * 1e-3 > 500.0)
                throw parameter_error(obj, "rate",
                                      fmt::format("neuron {}: {} Hz is more than 500 expected spikes per step, the "
                                                  "limit for per-neuron rates",
                                                  neuron, rates[m]));
        }
    }
}

} // namespace

void network::validate() const {
    auto problems = check();
    if (!problems.empty()) throw problems.front();
    const std::size_t need = estimate_memory();
    const std::size_t have = available_memory_bytes();
    if (have > 0 && need > have)
        throw capacity_error(fmt::format("the network needs an estimated {:.2f} GiB but only {:.2f} GiB of memory are "
                                         "available; reduce its size or connectivity",
                                         double(need) / (1 << 30), double(have) / (1 << 30)));
}

std::vector<parameter_error> network::check() const {
    const double dt = config_.dt_ms;
    std::vector<parameter_error> problems;
    // Runs one object's checks; a refusal is recorded and the next object is checked.
    auto checked = [&](auto&& body) {
        try {
            body();
        } catch (const parameter_error& e) {
            problems.push_back(e);
        }
    };
    for (auto& p : populations_) checked([&] { p->lower(dt); });
    for (auto& p : populations_) checked([&] { check_layout(*p); });
    for (auto& p : populations_) checked([&] { detail::check_precise(*p, projections_); });

    for (std::size_t k = 0; k < projections_.size(); ++k) checked([&] {
        const auto& s = projections_[k].spec;
        const std::string obj = projection_label(s, k);
        const std::size_t src = resolve_population(populations_, s.source, obj, "source");
        const std::size_t tgt = resolve_population(populations_, s.target, obj, "target");
        const auto& tp = *populations_[tgt];
        const std::size_t port = resolve_port(tp, s.port, obj);
        const std::uint64_t ns = populations_[src]->size(), nt = tp.size();
        const auto& r = s.rule;
        const bool same = src == tgt;
        using K = connection_rule::kind;
        switch (r.type) {
        case K::one_to_one:
            if (ns != nt)
                throw parameter_error(obj, "rule", fmt::format("one_to_one needs equal sizes, got {} and {}", ns, nt));
            break;
        case K::all_to_all: break;
        case K::distance_dependent: check_distance_rule(s, *populations_[src], tp, obj, dt); break;
        case K::pairwise_bernoulli:
            if (!(r.probability >= 0.0 && r.probability <= 1.0))
                throw parameter_error(obj, "probability", fmt::format("must be in [0, 1], got {}", r.probability));
            break;
        case K::fixed_indegree:
        case K::fixed_outdegree: {
            const bool in = r.type == K::fixed_indegree;
            const std::uint64_t pool = (in ? ns : nt) - ((same && !r.allow_autapses) ? 1 : 0);
            if (r.degree > 0 && pool == 0)
                throw parameter_error(obj, in ? "indegree" : "outdegree", "no candidate partner exists");
            if (!r.allow_multapses && r.degree > pool)
                throw parameter_error(obj, in ? "indegree" : "outdegree",
                                      fmt::format("{} exceeds the {} available {} neurons without multapses",
                                                  r.degree, pool, in ? "source" : "target"));
            break;
        }
        case K::fixed_total_number: {
            const std::uint64_t pool = ns - ((same && !r.allow_autapses) ? 1 : 0);
            // In double: pool * nt may not fit in 64 bits.
            const double pairs = double(pool) * double(nt);
            if (r.total > 0 && pairs == 0.0)
                throw parameter_error(obj, "total", "no candidate (source, target) pair exists");
            if (!r.allow_multapses && double(r.total) > pairs)
                throw parameter_error(obj, "total",
                                      fmt::format("{} exceeds the {} available (source, target) pairs without "
                                                  "multapses",
                                                  r.total, pool * nt));
            if (double(r.total) / double(nt) > 1e9)
                throw parameter_error(obj, "total", fmt::format("{} synapses onto {} targets: the mean in-degree "
                                                                "exceeds 10^9",
                                                                r.total, nt));
            break;
        }
        case K::explicit_list:
            if (r.sources.size() != r.targets.size())
                throw parameter_error(obj, "targets", "sources and targets must have the same length");
            if (!r.weights.empty() && r.weights.size() != r.sources.size())
                throw parameter_error(obj, "weights", "must have one entry per synapse");
            if (!r.delays_ms.empty() && r.delays_ms.size() != r.sources.size())
                throw parameter_error(obj, "delays", "must have one entry per synapse");
            for (std::size_t i = 0; i < r.sources.size(); ++i) {
                if (r.sources[i] >= ns)
                    throw parameter_error(obj, "sources", fmt::format("index {} outside source population (size {})",
                                                                      r.sources[i], ns));
                if (r.targets[i] >= nt)
                    throw parameter_error(obj, "targets", fmt::format("index {} outside target population (size {})",
                                                                      r.targets[i], nt));
            }
            for (double d : r.delays_ms)
                if (!(d >= dt * (1.0 - 1e-9)) || !std::isfinite(d))
                    throw parameter_error(obj, "delays",
                                          fmt::format("delays must be at least one step ({} ms), got {}", dt, d));
            for (float w : r.weights)
                if (!std::isfinite(w)) throw parameter_error(obj, "weights", "must be finite");
            break;
        }
        s.weight.validate(obj, "weight");
        const bool nonneg = tp.ports()[port].nonnegative_weights;
        if (nonneg) {
            const bool bad = r.type == K::explicit_list && !r.weights.empty()
                                 ? std::any_of(r.weights.begin(), r.weights.end(), [](float w) { return w < 0.0f; })
                                 : s.weight.min_value() < 0.0;
            if (bad)
                throw parameter_error(obj, "weight",
                                      fmt::format("port '{}' of {} is a conductance and takes only weights >= 0 {}",
                                                  s.port, tp.model_name(), tp.ports()[port].weight_unit));
        }
        if (!(r.type == K::explicit_list && !r.delays_ms.empty())) check_delay(s.delay_ms, dt, obj);
        if (s.plasticity) {
            const bool varying = r.type == K::explicit_list && !r.delays_ms.empty()
                                     ? std::adjacent_find(r.delays_ms.begin(), r.delays_ms.end(),
                                                          std::not_equal_to<>()) != r.delays_ms.end()
                                     : !s.delay_ms.is_constant();
            if (varying)
                throw parameter_error(obj, "delay", "a plastic projection needs one constant delay");
            s.plasticity->clone()->lower(dt, obj);
        }
    });

    for (const auto& d : state_->devices.poisson_specs) checked([&] {
        const std::string obj = "poisson input '" + d.name + "'";
        const auto q = resolve_population(populations_, d.target, obj, "target");
        const auto port = resolve_port(*populations_[q], d.port, obj);
        check_neurons(d.neurons, *populations_[q], obj);
        if (!(d.rate_hz >= 0.0) || !std::isfinite(d.rate_hz))
            throw parameter_error(obj, "rate", fmt::format("must be a finite rate >= 0 Hz, got {}", d.rate_hz));
        if (d.rate_hz * dt * 1e-3 > 1e4)
            throw parameter_error(obj, "rate", "more than 1e4 expected spikes per step; use a current instead");
        if (!std::isfinite(d.weight)) throw parameter_error(obj, "weight", "must be finite");
        if (populations_[q]->ports()[port].nonnegative_weights && d.weight < 0.0)
            throw parameter_error(obj, "weight", "conductance ports take only weights >= 0");
        if (!(d.start_ms >= 0.0) || !(d.stop_ms >= d.start_ms))
            throw parameter_error(obj, "start", "needs 0 <= start <= stop");
        check_rate_shape(d, *populations_[q], obj, dt, config_.seed,
                         static_cast<std::uint32_t>(&d - state_->devices.poisson_specs.data()));
    });
    for (const auto& d : state_->devices.generator_specs) checked([&] {
        const std::string obj = "spike generator '" + d.name + "'";
        const auto q = resolve_population(populations_, d.target, obj, "target");
        const auto port = resolve_port(*populations_[q], d.port, obj);
        check_neurons(d.neurons, *populations_[q], obj);
        check_delay(distribution::constant(d.delay_ms), dt, obj);
        for (double t : d.times_ms)
            if (!(t >= dt * (1.0 - 1e-9)) || !std::isfinite(t))
                throw parameter_error(obj, "times", fmt::format("spike times must be >= one step ({} ms), got {}", dt, t));
        if (populations_[q]->ports()[port].nonnegative_weights && d.weight < 0.0)
            throw parameter_error(obj, "weight", "conductance ports take only weights >= 0");
    });
    for (const auto& d : state_->devices.current_specs) checked([&] {
        const std::string obj = "current input '" + d.name + "'";
        const auto q = resolve_population(populations_, d.target, obj, "target");
        check_neurons(d.neurons, *populations_[q], obj);
        if (d.times_ms.size() != d.amplitudes_pA.size())
            throw parameter_error(obj, "amplitudes", "needs one amplitude per time");
        for (std::size_t i = 0; i < d.times_ms.size(); ++i) {
            if (!(d.times_ms[i] >= 0.0) || !std::isfinite(d.times_ms[i]))
                throw parameter_error(obj, "times", "must be finite and >= 0");
            if (i > 0 && d.times_ms[i] < d.times_ms[i - 1])
                throw parameter_error(obj, "times", "must be in increasing order");
            if (!std::isfinite(d.amplitudes_pA[i])) throw parameter_error(obj, "amplitudes", "must be finite");
        }
    });
    for (const auto& d : state_->devices.noise_specs) checked([&] {
        const std::string obj = "noise current '" + d.name + "'";
        const auto q = resolve_population(populations_, d.target, obj, "target");
        check_neurons(d.neurons, *populations_[q], obj);
        if (!std::isfinite(d.mean_pA)) throw parameter_error(obj, "mean", "must be finite");
        if (!(d.sd_pA >= 0.0) || !std::isfinite(d.sd_pA))
            throw parameter_error(obj, "sd", fmt::format("must be finite and >= 0 pA, got {}", d.sd_pA));
        if (!(d.interval_ms >= 0.0) || !std::isfinite(d.interval_ms))
            throw parameter_error(obj, "dt_noise", fmt::format("must be >= 0 ms, got {}", d.interval_ms));
        const double ratio = d.interval_ms / dt;
        if (d.interval_ms > 0.0 && (ratio < 1.0 - 1e-9 || std::abs(ratio - std::round(ratio)) > 1e-9 * ratio))
            throw parameter_error(obj, "dt_noise",
                                  fmt::format("must be a multiple of the step ({} ms), got {}", dt, d.interval_ms));
        if (!(d.start_ms >= 0.0) || !(d.stop_ms >= d.start_ms))
            throw parameter_error(obj, "start", "needs 0 <= start <= stop");
    });
    for (const auto& r : state_->recorders.spike_specs) checked([&] {
        const std::string obj = "spike recorder '" + r.name + "'";
        const auto q = resolve_population(populations_, r.population, obj, "population");
        check_neurons(r.neurons, *populations_[q], obj);
    });
    for (const auto& r : state_->recorders.state_specs) checked([&] {
        const std::string obj = "state recorder '" + r.name + "'";
        const auto q = resolve_population(populations_, r.population, obj, "population");
        const auto& pop = *populations_[q];
        check_neurons(r.neurons, pop, obj);
        if (r.variables.empty()) throw parameter_error(obj, "variables", "name at least one state variable");
        for (const auto& v : r.variables)
            if (!pop.state_index(v)) {
                std::string msg = "population '" + pop.name() + "' has no state variable '" + v + "'";
                if (auto near = nearest_name(v, pop.state_names()); !near.empty())
                    msg += " (did you mean '" + near + "'?)";
                msg += "; state variables:";
                for (auto n : pop.state_names()) msg += " " + std::string(n);
                throw parameter_error(obj, "variables", msg);
            }
        if (!(r.interval_ms >= dt * (1.0 - 1e-9)))
            throw parameter_error(obj, "interval", fmt::format("must be at least one step ({} ms)", dt));
    });
    for (const auto& r : state_->recorders.weight_specs) checked([&] {
        const std::string obj = "weight recorder '" + r.name + "'";
        auto it = std::find_if(projections_.begin(), projections_.end(),
                               [&](const projection& p) { return p.spec.name == r.projection; });
        if (it == projections_.end()) {
            std::vector<std::string> names;
            for (const auto& p : projections_) names.push_back(p.spec.name);
            std::string msg = "no projection named '" + r.projection + "'";
            if (auto near = nearest_name(r.projection, names); !near.empty()) msg += " (did you mean '" + near + "'?)";
            throw parameter_error(obj, "projection", msg);
        }
        if (!(r.interval_ms >= dt * (1.0 - 1e-9)))
            throw parameter_error(obj, "interval", fmt::format("must be at least one step ({} ms)", dt));
    });
    for (const auto& r : state_->recorders.signal_specs) checked([&] {
        const std::string obj = "signal recorder '" + r.name + "'";
        const auto q = resolve_population(populations_, r.population, obj, "population");
        const auto& pop = *populations_[q];
        if (r.terms.empty()) throw parameter_error(obj, "terms", "needs at least one term");
        if (!(r.interval_ms >= dt * (1.0 - 1e-9)))
            throw parameter_error(obj, "interval", fmt::format("must be at least one step ({} ms)", dt));
        auto known = [&](const std::string& v) {
            if (pop.state_index(v)) return;
            std::string msg = "population '" + pop.name() + "' has no state variable '" + v + "'";
            if (auto near = nearest_name(v, pop.state_names()); !near.empty()) msg += " (did you mean '" + near + "'?)";
            msg += "; state variables:";
            for (auto n : pop.state_names()) msg += " " + std::string(n);
            throw parameter_error(obj, "variable", msg);
        };
        const double interval = double(std::max<std::int64_t>(1, std::llround(r.interval_ms / dt))) * dt;
        for (const auto& t : r.terms) {
            known(t.variable);
            if (!t.times.empty()) known(t.times);
            if (!std::isfinite(t.coefficient) || !std::isfinite(t.offset))
                throw parameter_error(obj, "coefficient", "coefficients and offsets must be finite");
            const double k = t.delay_ms / interval;
            if (!(t.delay_ms >= 0.0) || std::abs(k - std::round(k)) > 1e-6)
                throw parameter_error(obj, "delay", fmt::format("must be a multiple of the sampling interval ({} ms) "
                                                                "and >= 0, got {}", interval, t.delay_ms));
        }
    });
    for (const auto& r : state_->recorders.rate_specs) checked([&] {
        const std::string obj = "rate recorder '" + r.name + "'";
        resolve_population(populations_, r.population, obj, "population");
        if (!(r.bin_ms >= dt * (1.0 - 1e-9)))
            throw parameter_error(obj, "bin", fmt::format("must be at least one step ({} ms)", dt));
    });
    return problems;
}

const spatial_layout* network::source_layout(const projection_spec& s) const {
    for (const auto& p : populations_)
        if (p->name() == s.source) return &p->layout;
    return nullptr;
}

std::pair<std::uint64_t, std::uint64_t> network::endpoint_sizes(const projection_spec& s) const {
    std::uint64_t ns = 0, nt = 0;
    for (const auto& p : populations_) {
        if (p->name() == s.source) ns = p->size();
        if (p->name() == s.target) nt = p->size();
    }
    return {ns, nt};
}

std::size_t network::estimate_memory() const {
    // The peak of the build, which is the peak of a run: projections are drawn one after the
    // other, and while one is drawn its sources are held as 4-byte scratch per synapse (24-byte
    // entries for the rules drawn per source) beside its stored rows. Stored per synapse: a
    // 4-byte target word, a 4-byte weight unless all share one, and the reverse index and
    // variables of plastic rules. A process of a distributed run holds its share of the synapses
    // and of the input rings (and every neuron's state).
    const double share = 1.0 / double(state_->comm->size());
    using K = connection_rule::kind;
    double stored = 0.0, peak = 0.0;
    std::int64_t dmax = 1, dmin = detail::max_window_steps;
    for (const auto& pr : projections_) {
        const auto [ns, nt] = endpoint_sizes(pr.spec);
        const auto& r = pr.spec.rule;
        const double syn = expected_synapses(r, ns, nt, source_layout(pr.spec)) * share;
        const bool one_weight = pr.spec.weight.is_constant() && r.weights.empty() && !pr.spec.plasticity;
        const double per_synapse = 4.0 + (one_weight ? 0.0 : 4.0) + (pr.spec.plasticity ? 8.0 : 0.0);
        const double scratch = (r.type == K::fixed_outdegree || r.type == K::explicit_list) ? 24.0
                               : r.type == K::pairwise_bernoulli                            ? 4.2
                                                                                            : 4.0;
        const double rows = double(ns + 1) * 4.0 * double(shards_) * (pr.spec.plasticity ? 9.0 : 1.0);
        peak = std::max(peak, stored + syn * (per_synapse + scratch) + rows);
        stored += syn * per_synapse + rows;
        const double dmax_ms = pr.spec.delay_ms.max_value();
        if (std::isfinite(dmax_ms) && dmax_ms < 1e9 * config_.dt_ms)
            dmax = std::max(dmax, delay_steps(dmax_ms, config_.dt_ms));
        const double dmin_ms = pr.spec.delay_ms.min_value();
        if (std::isfinite(dmin_ms) && dmin_ms >= 0.0 && dmin_ms < 1e9 * config_.dt_ms)
            dmin = std::clamp<std::int64_t>(delay_steps(dmin_ms, config_.dt_ms), 1, dmin);
    }
    double bytes = std::max(peak, stored);
    // Neuron state, refractory counters, input currents, input rings (max delay + window + 1
    // slots per port) and interval statistics.
    const double slots = double(dmax + dmin + 1);
    for (const auto& p : populations_)
        bytes += double(p->size()) * (double(p->state_names().size()) * 8.0 + 4.0 + 8.0 + 28.0 +
                                      share * slots * double(p->ports().size()) * 8.0);
    // The process itself (code, libraries, thread stacks).
    bytes += 24.0 * 1024 * 1024;
    return saturate(bytes);
}

std::uint64_t network::expected_synapse_count() const {
    double n = 0.0;
    for (const auto& pr : projections_) {
        const auto [ns, nt] = endpoint_sizes(pr.spec);
        n += expected_synapses(pr.spec.rule, ns, nt, source_layout(pr.spec));
    }
    return n >= 1.8e19 ? std::numeric_limits<std::uint64_t>::max() : static_cast<std::uint64_t>(n);
}

} // namespace lamina::sim
