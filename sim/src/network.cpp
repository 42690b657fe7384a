#include "lamina/sim/network.hpp"

#include "signal_block_sums.hpp"

#include "lamina/sim/system_memory.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <functional>
#include <numeric>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

namespace lamina::sim {

namespace {

constexpr std::int64_t max_window_steps = 64;

std::string projection_label(const projection_spec& s, std::size_t index) {
    if (!s.name.empty()) return "projection '" + s.name + "'";
    return fmt::format("projection #{} '{}->{}'", index, s.source, s.target);
}

std::int64_t delay_steps(double delay_ms, double dt) { return std::llround(delay_ms / dt); }

// Poisson counts by inversion of a tabulated CDF, compared against one raw 32-bit random word:
// thresholds[k] = P(X <= k) * 2^32, and the count is the first k whose threshold exceeds the word.
struct poisson_table {
    std::vector<std::uint64_t> thresholds;
    bool linear = true;
    void init(double lambda) {
        thresholds.clear();
        if (lambda <= 0.0) return;
        const double kmax = lambda + 14.0 * std::sqrt(lambda) + 30.0;
        double acc = 0.0;
        for (int k = 0; k <= kmax; ++k) {
            acc += std::exp(-lambda + k * std::log(lambda) - std::lgamma(k + 1.0));
            thresholds.push_back(static_cast<std::uint64_t>(std::min(acc, 1.0) * 0x1.0p32));
            if (1.0 - acc < 1e-17 && k > lambda) break;
        }
        thresholds.back() = std::uint64_t(1) << 32;  // every word stops here
        linear = lambda < 16.0;
    }
    bool empty() const noexcept { return thresholds.empty(); }
    unsigned draw(std::uint32_t word) const noexcept {
        const std::uint64_t* t = thresholds.data();
        if (linear) {
            unsigned k = 0;
            while (word >= t[k]) ++k;
            return k;
        }
        return static_cast<unsigned>(std::upper_bound(thresholds.begin(), thresholds.end(), std::uint64_t(word)) -
                                     thresholds.begin());
    }
};

} // namespace

// Runtime state of devices and recorders, and per-shard scratch space.
struct network::impl {
    std::vector<poisson_input_spec> poisson_specs;
    std::vector<spike_generator_spec> generator_specs;
    std::vector<current_input_spec> current_specs;
    std::vector<spike_recorder_spec> spike_specs;
    std::vector<state_recorder_spec> state_specs;
    std::vector<rate_recorder_spec> rate_specs;
    std::vector<weight_recorder_spec> weight_specs;
    std::vector<signal_recorder_spec> signal_specs;

    // Neurons of population q in shard s: [bounds[q][s], bounds[q][s+1]).
    std::vector<std::vector<std::size_t>> bounds;
    std::vector<std::vector<std::size_t>> outgoing;  // projections by source population
    std::int64_t window = 1;
    std::size_t ring_slots = 2;

    // A device's targets in one shard: either a contiguous range or a list of indices.
    struct target_set {
        std::size_t begin = 0, end = 0;
        std::vector<std::uint32_t> list;
        bool is_range = true;
    };
    static std::vector<target_set> split_targets(const std::vector<std::uint32_t>& neurons, std::size_t size,
                                                 const std::vector<std::size_t>& b) {
        std::vector<target_set> out(b.size() - 1);
        for (std::size_t s = 0; s + 1 < b.size(); ++s) {
            if (neurons.empty()) {
                out[s].begin = b[s];
                out[s].end = b[s + 1];
                continue;
            }
            out[s].is_range = false;
            for (auto i : neurons)
                if (i >= b[s] && i < b[s + 1]) out[s].list.push_back(i);
        }
        (void)size;
        return out;
    }

    struct poisson_rt {
        std::size_t pop, port;
        std::uint32_t id;
        bool independent;
        double weight;
        std::int64_t start, stop;
        poisson_table table;
        std::vector<target_set> targets;
    };
    struct generator_rt {
        std::size_t pop, port;
        double weight;
        std::int64_t delay;
        std::vector<std::int64_t> steps;  // emission steps, sorted, with repeats
        std::vector<target_set> targets;
    };
    struct current_rt {
        std::size_t pop;
        std::vector<std::int64_t> steps;
        std::vector<double> amplitudes;
        std::vector<target_set> targets;
    };
    std::vector<poisson_rt> poisson;
    std::vector<generator_rt> generators;
    std::vector<current_rt> currents;
    std::vector<std::vector<std::size_t>> poisson_by_pop, generators_by_pop, currents_by_pop;

    struct spike_rec_rt {
        std::size_t pop;
        std::vector<std::uint8_t> selected;  // empty: all
        spike_record data;
    };
    struct state_rec_rt {
        std::size_t pop;
        std::vector<std::size_t> vars;
        std::int64_t interval;
        // Per shard: (column, neuron) pairs of the recorded neurons it owns.
        std::vector<std::vector<std::pair<std::size_t, std::uint32_t>>> columns;
        std::vector<double> window_values;  // rows of this window
        std::int64_t first_row_step = 0;    // step whose sample is row 0 of this window
        std::size_t window_rows = 0;
        state_record data;
    };
    struct rate_rec_rt {
        std::size_t pop;
        std::int64_t bin;
        std::int64_t next_bin = 0;             // first bin not yet emitted
        std::vector<std::uint64_t> counts;     // counts of bins next_bin, next_bin+1, ...
        rate_record data;
    };
    struct weight_rec_rt {
        std::size_t projection;
        std::int64_t interval;
        std::int64_t next;  // step at which the next sample is due
        weight_record data;
    };
    std::vector<weight_rec_rt> weight_recs;
    struct signal_rec_rt {
        std::size_t pop;
        std::int64_t interval;
        struct term {
            std::size_t a;
            std::ptrdiff_t b;  // -1: none
            double offset, coefficient;
            bool absolute;
            std::size_t delay;  // in samples
        };
        std::vector<term> terms;
        std::size_t blocks = 0;
        // partial[(row * terms + k) * blocks + block] for the rows of this window
        std::vector<double> partial;
        std::int64_t first_row_step = 0;
        std::size_t window_rows = 0;
        std::vector<std::vector<double>> history;  // per term: recent sums (for delays)
        double scale = 1.0;
        signal_record data;
    };
    std::vector<signal_rec_rt> signal_recs;
    std::vector<std::vector<std::size_t>> signal_recs_by_pop;
    std::vector<spike_rec_rt> spike_recs;
    std::vector<state_rec_rt> state_recs;
    std::vector<rate_rec_rt> rate_recs;
    std::vector<std::vector<std::size_t>> state_recs_by_pop;

    struct shard_scratch {
        std::vector<std::uint32_t> spikes;   // local indices, in (step, population, index) order
        std::vector<std::uint32_t> counts;   // spikes per (step in window, population)
        std::uint64_t events = 0;
    };
    std::vector<shard_scratch> scratch;

    struct segment {
        std::int64_t step;
        std::uint32_t pop;
        std::uint32_t begin, end;
    };
    std::vector<std::uint32_t> merged;
    std::vector<segment> segments;

    // pending[projection][shard][arrival step % ring slots]: sources whose spikes reach the
    // synapses of a plastic projection in that step.
    std::vector<std::vector<std::vector<std::vector<std::uint32_t>>>> pending;
    std::vector<std::vector<std::size_t>> plastic_by_target;  // plastic projections by target population

    // Online inter-spike-interval statistics per neuron (steps), for summaries without recording.
    struct isi_stats {
        std::vector<std::int64_t> last;
        std::vector<std::uint32_t> count;
        std::vector<double> sum, sum_sq;
    };
    std::vector<isi_stats> isi;

    std::unique_ptr<tbb::task_arena> arena;
    std::int64_t flush_interval = 1;
    std::int64_t next_flush = 0;
    // Lets an arena use more threads than cores when asked to (results never depend on it).
    std::unique_ptr<tbb::global_control> allow_threads;
    std::size_t recording_bytes = 0;
};

network::network(run_config config) : config_(config), impl_(std::make_unique<impl>()) {
    if (!(config_.dt_ms > 0.0) || !std::isfinite(config_.dt_ms))
        throw parameter_error("run", "dt", fmt::format("must be > 0 ms, got {}", config_.dt_ms));
    if (config_.threads < 0) throw parameter_error("run", "threads", "must be >= 1 (or 0 for all cores)");
    threads_ = config_.threads > 0 ? config_.threads : std::max(1, tbb::info::default_concurrency());
    shards_ = static_cast<std::size_t>(threads_);
}

network::~network() = default;

void network::check_new_population(const std::string& name, std::size_t size) const {
    if (built_) throw error("cannot add population '" + name + "' after the network was built");
    if (name.empty()) throw parameter_error("population", "name", "must not be empty");
    for (const auto& p : populations_)
        if (p->name() == name) throw parameter_error("population '" + name + "'", "name", "is already used");
    if (size == 0) throw parameter_error("population '" + name + "'", "size", "must be >= 1");
    if (size > (std::size_t(1) << 31))
        throw parameter_error("population '" + name + "'", "size", "must be at most 2^31 neurons");
}

population& network::add_population(std::unique_ptr<population> p) {
    check_new_population(p->name(), p->size());
    populations_.push_back(std::move(p));
    return *populations_.back();
}

population& network::find_population(const std::string& name) {
    for (auto& p : populations_)
        if (p->name() == name) return *p;
    throw error("no population named '" + name + "'");
}

std::size_t network::connect(projection_spec spec) {
    if (built_) throw error("cannot add projections after the network was built");
    projection p;
    p.spec = std::move(spec);
    if (p.spec.name.empty()) p.spec.name = p.spec.source + "->" + p.spec.target;
    for (const auto& other : projections_)
        if (other.spec.name == p.spec.name) p.spec.name += "#" + std::to_string(projections_.size() + 1);
    projections_.push_back(std::move(p));
    return projections_.size() - 1;
}

std::size_t network::add_poisson_input(poisson_input_spec spec) {
    if (built_) throw error("cannot add devices after the network was built");
    impl_->poisson_specs.push_back(std::move(spec));
    return impl_->poisson_specs.size() - 1;
}
std::size_t network::add_spike_generator(spike_generator_spec spec) {
    if (built_) throw error("cannot add devices after the network was built");
    impl_->generator_specs.push_back(std::move(spec));
    return impl_->generator_specs.size() - 1;
}
std::size_t network::add_current_input(current_input_spec spec) {
    if (built_) throw error("cannot add devices after the network was built");
    impl_->current_specs.push_back(std::move(spec));
    return impl_->current_specs.size() - 1;
}
std::size_t network::record_spikes(spike_recorder_spec spec) {
    if (built_) throw error("cannot add recorders after the network was built");
    if (spec.name.empty()) spec.name = "spikes_" + spec.population;
    impl_->spike_specs.push_back(std::move(spec));
    return impl_->spike_specs.size() - 1;
}
std::size_t network::record_state(state_recorder_spec spec) {
    if (built_) throw error("cannot add recorders after the network was built");
    if (spec.name.empty()) spec.name = "state_" + spec.population;
    impl_->state_specs.push_back(std::move(spec));
    return impl_->state_specs.size() - 1;
}
std::size_t network::record_weights(weight_recorder_spec spec) {
    if (built_) throw error("cannot add recorders after the network was built");
    if (spec.name.empty()) spec.name = "weights_" + spec.projection;
    impl_->weight_specs.push_back(std::move(spec));
    return impl_->weight_specs.size() - 1;
}

std::size_t network::record_signal(signal_recorder_spec spec) {
    if (built_) throw error("cannot add recorders after the network was built");
    if (spec.name.empty()) spec.name = "signal_" + spec.population;
    impl_->signal_specs.push_back(std::move(spec));
    return impl_->signal_specs.size() - 1;
}

std::size_t network::record_rate(rate_recorder_spec spec) {
    if (built_) throw error("cannot add recorders after the network was built");
    if (spec.name.empty()) spec.name = "rate_" + spec.population;
    impl_->rate_specs.push_back(std::move(spec));
    return impl_->rate_specs.size() - 1;
}

// Validation ---------------------------------------------------------------------------------------

namespace {

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
double expected_synapses(const connection_rule& r, std::uint64_t ns, std::uint64_t nt) {
    switch (r.type) {
    case connection_rule::kind::one_to_one: return double(nt);
    case connection_rule::kind::all_to_all: return double(ns) * double(nt);
    case connection_rule::kind::pairwise_bernoulli: return r.probability * double(ns) * double(nt);
    case connection_rule::kind::fixed_indegree: return double(r.degree) * double(nt);
    case connection_rule::kind::fixed_outdegree: return double(r.degree) * double(ns);
    case connection_rule::kind::explicit_list: return double(r.sources.size());
    }
    return 0.0;
}

std::size_t saturate(double bytes) {
    return bytes >= double(std::numeric_limits<std::size_t>::max()) ? std::numeric_limits<std::size_t>::max()
                                                                      : static_cast<std::size_t>(bytes);
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
            s.plasticity->lower(dt, obj);
        }
    });

    for (const auto& d : impl_->poisson_specs) checked([&] {
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
    });
    for (const auto& d : impl_->generator_specs) checked([&] {
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
    for (const auto& d : impl_->current_specs) checked([&] {
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
    for (const auto& r : impl_->spike_specs) checked([&] {
        const std::string obj = "spike recorder '" + r.name + "'";
        const auto q = resolve_population(populations_, r.population, obj, "population");
        check_neurons(r.neurons, *populations_[q], obj);
    });
    for (const auto& r : impl_->state_specs) checked([&] {
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
    for (const auto& r : impl_->weight_specs) checked([&] {
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
    for (const auto& r : impl_->signal_specs) checked([&] {
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
    for (const auto& r : impl_->rate_specs) checked([&] {
        const std::string obj = "rate recorder '" + r.name + "'";
        resolve_population(populations_, r.population, obj, "population");
        if (!(r.bin_ms >= dt * (1.0 - 1e-9)))
            throw parameter_error(obj, "bin", fmt::format("must be at least one step ({} ms)", dt));
    });
    return problems;
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
    double bytes = 0.0;
    std::int64_t dmax = 1;
    for (const auto& pr : projections_) {
        const auto [ns, nt] = endpoint_sizes(pr.spec);
        // 8 bytes stored plus 4 bytes of build scratch per synapse, row offsets per shard.
        bytes += expected_synapses(pr.spec.rule, ns, nt) * 12.0 + double(ns + 1) * 4.0 * double(shards_);
        const double dmax_ms = pr.spec.delay_ms.max_value();
        if (std::isfinite(dmax_ms) && dmax_ms < 1e9 * config_.dt_ms)
            dmax = std::max(dmax, delay_steps(dmax_ms, config_.dt_ms));
    }
    const double slots = double(dmax + max_window_steps + 1);
    for (const auto& p : populations_)
        bytes += double(p->size()) * (double(p->state_names().size()) * 8.0 + 4.0 + 8.0 +
                                      slots * double(p->ports().size()) * 8.0);
    return saturate(bytes);
}

std::uint64_t network::expected_synapse_count() const {
    double n = 0.0;
    for (const auto& pr : projections_) {
        const auto [ns, nt] = endpoint_sizes(pr.spec);
        n += expected_synapses(pr.spec.rule, ns, nt);
    }
    return n >= 1.8e19 ? std::numeric_limits<std::uint64_t>::max() : static_cast<std::uint64_t>(n);
}

// Building -------------------------------------------------------------------------------------------

namespace {

// Calls emit(source) for every synapse onto target j, for the rules that are drawn per target.
template <class Emit>
void sources_of_target(const connection_rule& r, std::uint32_t j, std::uint64_t ns, bool same, random_stream& rng,
                       std::vector<std::uint32_t>& scratch, Emit&& emit) {
    using K = connection_rule::kind;
    const bool skip_self = same && !r.allow_autapses;
    switch (r.type) {
    case K::one_to_one: emit(j); break;
    case K::all_to_all:
        for (std::uint32_t i = 0; i < ns; ++i)
            if (!(skip_self && i == j)) emit(i);
        break;
    case K::pairwise_bernoulli: {
        const double p = r.probability;
        if (p <= 0.0) break;
        if (p >= 1.0) {
            for (std::uint32_t i = 0; i < ns; ++i)
                if (!(skip_self && i == j)) emit(i);
            break;
        }
        // Geometric skipping: the gap to the next partner is geometric with parameter p.
        const double log_q = std::log1p(-p);
        std::int64_t i = -1;
        for (;;) {
            i += 1 + static_cast<std::int64_t>(std::floor(std::log(rng.uniform()) / log_q));
            if (i >= static_cast<std::int64_t>(ns)) break;
            if (skip_self && i == j) continue;
            emit(static_cast<std::uint32_t>(i));
        }
        break;
    }
    case K::fixed_indegree: {
        const std::uint64_t pool = ns - (skip_self ? 1 : 0);
        auto pick = [&](std::uint64_t x) -> std::uint32_t {
            return static_cast<std::uint32_t>((skip_self && x >= j) ? x + 1 : x);
        };
        if (r.allow_multapses) {
            for (std::uint64_t k = 0; k < r.degree; ++k) emit(pick(rng.below(pool)));
        } else {
            // Floyd's algorithm: k distinct values from [0, pool), emitted in ascending order.
            scratch.clear();
            for (std::uint64_t m = pool - r.degree; m < pool; ++m) {
                const std::uint64_t t = rng.below(m + 1);
                const auto tt = static_cast<std::uint32_t>(t);
                if (std::find(scratch.begin(), scratch.end(), tt) == scratch.end())
                    scratch.push_back(tt);
                else
                    scratch.push_back(static_cast<std::uint32_t>(m));
            }
            std::sort(scratch.begin(), scratch.end());
            for (auto x : scratch) emit(pick(x));
        }
        break;
    }
    default: break;
    }
}

// Targets of source i for fixed_outdegree, in drawn order.
void targets_of_source(const connection_rule& r, std::uint32_t i, std::uint64_t nt, bool same, random_stream& rng,
                       std::vector<std::uint32_t>& out) {
    out.clear();
    const bool skip_self = same && !r.allow_autapses;
    const std::uint64_t pool = nt - (skip_self ? 1 : 0);
    auto pick = [&](std::uint64_t x) { return static_cast<std::uint32_t>((skip_self && x >= i) ? x + 1 : x); };
    if (r.allow_multapses) {
        for (std::uint64_t k = 0; k < r.degree; ++k) out.push_back(pick(rng.below(pool)));
        return;
    }
    for (std::uint64_t m = pool - r.degree; m < pool; ++m) {
        const auto t = static_cast<std::uint32_t>(rng.below(m + 1));
        if (std::find(out.begin(), out.end(), t) == out.end())
            out.push_back(t);
        else
            out.push_back(static_cast<std::uint32_t>(m));
    }
    std::sort(out.begin(), out.end());
    for (auto& x : out) x = pick(x);
}

} // namespace

void network::build() {
    if (built_) return;
    const auto t_start = std::chrono::steady_clock::now();
    validate();
    auto& I = *impl_;
    const double dt = config_.dt_ms;
    const std::size_t S = shards_;
    const std::size_t npop = populations_.size();

    // Shard boundaries, aligned to 64 neurons so that Poisson blocks (4 neurons), cache lines and
    // the 64-neuron blocks of signal sums never straddle two shards.
    I.bounds.assign(npop, std::vector<std::size_t>(S + 1));
    for (std::size_t q = 0; q < npop; ++q) {
        const std::size_t n = populations_[q]->size();
        for (std::size_t s = 0; s <= S; ++s) I.bounds[q][s] = s == S ? n : (n * s / S) / 64 * 64;
    }

    // Delays and window.
    std::int64_t dmin_all = std::numeric_limits<std::int64_t>::max(), dmax_all = 1;
    for (std::size_t k = 0; k < projections_.size(); ++k) {
        auto& P = projections_[k];
        const auto& s = P.spec;
        P.source = resolve_population(populations_, s.source, "", "");
        P.target = resolve_population(populations_, s.target, "", "");
        P.port = *populations_[P.target]->port_index(s.port);
        if (s.rule.type == connection_rule::kind::explicit_list && !s.rule.delays_ms.empty()) {
            auto [lo, hi] = std::minmax_element(s.rule.delays_ms.begin(), s.rule.delays_ms.end());
            P.delay_min = s.rule.delays_ms.empty() ? 1 : delay_steps(*lo, dt);
            P.delay_max = s.rule.delays_ms.empty() ? 1 : delay_steps(*hi, dt);
        } else {
            P.delay_min = std::max<std::int64_t>(1, delay_steps(s.delay_ms.min_value(), dt));
            P.delay_max = std::max<std::int64_t>(P.delay_min, delay_steps(s.delay_ms.max_value(), dt));
        }
        const std::uint64_t nt = populations_[P.target]->size();
        P.target_bits = nt <= 1 ? 1u : static_cast<unsigned>(std::bit_width(nt - 1));
        if (P.delay_max > P.delay_min) {
            const unsigned delay_bits = 32 - P.target_bits;
            if (delay_bits < 1 || std::uint64_t(P.delay_max - P.delay_min) >= (std::uint64_t(1) << delay_bits))
                throw parameter_error(projection_label(s, k), "delay",
                                      fmt::format("the delay range {}..{} steps does not fit beside {} target bits",
                                                  P.delay_min, P.delay_max, P.target_bits));
        } else {
            P.target_bits = 32;
        }
        dmin_all = std::min(dmin_all, P.delay_min);
        dmax_all = std::max(dmax_all, P.delay_max);
    }
    std::int64_t dmax_devices = 1;
    for (const auto& g : I.generator_specs) dmax_devices = std::max(dmax_devices, delay_steps(g.delay_ms, dt));
    I.window = std::clamp<std::int64_t>(projections_.empty() ? max_window_steps : dmin_all, 1, max_window_steps);
    I.ring_slots = static_cast<std::size_t>(std::max(dmax_all, dmax_devices) + I.window + 1);

    for (std::size_t q = 0; q < npop; ++q)
        populations_[q]->allocate(I.ring_slots, config_.seed, static_cast<std::uint32_t>(q));

    if (threads_ > tbb::info::default_concurrency())
        I.allow_threads =
            std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, threads_);
    I.arena = std::make_unique<tbb::task_arena>(threads_);
    auto parallel_shards = [&](auto&& body) {
        if (S == 1) {
            body(std::size_t{0});
            return;
        }
        I.arena->execute([&] {
            tbb::parallel_for(std::size_t{0}, S, [&](std::size_t s) { body(s); }, tbb::static_partitioner());
        });
    };

    // Connectivity: each shard builds the rows of its own targets.
    for (std::size_t k = 0; k < projections_.size(); ++k) {
        auto& P = projections_[k];
        const auto& r = P.spec.rule;
        const std::uint64_t ns = populations_[P.source]->size();
        const std::uint64_t nt = populations_[P.target]->size();
        const bool same = P.source == P.target;
        const std::uint32_t pid = static_cast<std::uint32_t>(k);
        P.shards.assign(S, {});
        const auto& wdist = P.spec.weight;
        P.homogeneous_weight = wdist.is_constant() && r.weights.empty() && !P.spec.plasticity;
        P.weight_value = static_cast<float>(wdist.a);
        const bool store_weights = !P.homogeneous_weight;
        auto check_capacity = [&](std::size_t n) {
            if (n >= (std::size_t(1) << 32))
                throw capacity_error(projection_label(P.spec, k) +
                                     ": more than 2^32 synapses onto one thread's neurons; split the projection");
        };
        const auto& ddist = P.spec.delay_ms;
        auto encode = [&](std::uint32_t target, std::int64_t d) -> std::uint32_t {
            if (P.target_bits == 32) return target;
            return target | static_cast<std::uint32_t>((d - P.delay_min) << P.target_bits);
        };
        auto draw_delay = [&](random_stream& rng) -> std::int64_t {
            return ddist.is_constant() ? P.delay_min : delay_steps(ddist.draw(rng), dt);
        };
        parallel_shards([&](std::size_t s) {
            auto& sh = P.shards[s];
            const std::size_t b = I.bounds[P.target][s], e = I.bounds[P.target][s + 1];
            sh.row_begin.assign(ns + 1, 0);
            using K = connection_rule::kind;
            if (r.type == K::fixed_outdegree || r.type == K::explicit_list) {
                // Source-keyed rules: rows in source order, partners in drawn (or listed) order.
                struct entry {
                    std::uint32_t src, tgt;
                    float w;
                    std::int64_t d;
                };
                std::vector<entry> entries;
                if (r.type == K::fixed_outdegree) {
                    std::vector<std::uint32_t> tg;
                    for (std::uint32_t i = 0; i < ns; ++i) {
                        random_stream crng(config_.seed, stream_purpose::connectivity, pid, i);
                        targets_of_source(r, i, nt, same, crng, tg);
                        random_stream wrng(config_.seed, stream_purpose::synapse_weight, pid, i);
                        random_stream drng(config_.seed, stream_purpose::synapse_delay, pid, i);
                        for (auto t : tg) {
                            const float w = static_cast<float>(wdist.draw(wrng));
                            const std::int64_t d = draw_delay(drng);
                            if (t >= b && t < e) entries.push_back({i, t, w, d});
                        }
                    }
                } else {
                    for (std::size_t m = 0; m < r.sources.size(); ++m) {
                        const auto t = r.targets[m];
                        if (t < b || t >= e) continue;
                        float w;
                        if (!r.weights.empty()) {
                            w = r.weights[m];
                        } else {
                            random_stream wrng(config_.seed, stream_purpose::synapse_weight, pid, m);
                            w = static_cast<float>(wdist.draw(wrng));
                        }
                        std::int64_t d;
                        if (!r.delays_ms.empty()) {
                            d = delay_steps(r.delays_ms[m], dt);
                        } else {
                            random_stream drng(config_.seed, stream_purpose::synapse_delay, pid, m);
                            d = draw_delay(drng);
                        }
                        entries.push_back({r.sources[m], t, w, d});
                    }
                    std::stable_sort(entries.begin(), entries.end(),
                                     [](const entry& x, const entry& y) { return x.src < y.src; });
                }
                check_capacity(entries.size());
                for (auto& en : entries) ++sh.row_begin[en.src + 1];
                std::partial_sum(sh.row_begin.begin(), sh.row_begin.end(), sh.row_begin.begin());
                sh.target.resize(entries.size());
                if (store_weights) sh.weight.resize(entries.size());
                for (std::size_t m = 0; m < entries.size(); ++m) {
                    sh.target[m] = encode(entries[m].tgt, entries[m].d);
                    if (store_weights) sh.weight[m] = entries[m].w;
                }
                return;
            }
            // Target-keyed rules: pass 1 draws the sources of each target and counts rows,
            // pass 2 fills rows in target order so every row lists its targets ascending.
            std::vector<std::uint32_t> srcs;
            std::vector<std::uint32_t> per_target(e - b);
            std::vector<std::uint32_t> scratch;
            if (r.type == K::fixed_indegree) srcs.reserve((e - b) * r.degree);
            if (r.type == K::pairwise_bernoulli)
                srcs.reserve(static_cast<std::size_t>(double(e - b) * double(ns) * r.probability * 1.05) + 16);
            for (std::size_t j = b; j < e; ++j) {
                random_stream crng(config_.seed, stream_purpose::connectivity, pid, j);
                const std::size_t before = srcs.size();
                sources_of_target(r, static_cast<std::uint32_t>(j), ns, same, crng, scratch,
                                  [&](std::uint32_t i) { srcs.push_back(i); });
                per_target[j - b] = static_cast<std::uint32_t>(srcs.size() - before);
            }
            check_capacity(srcs.size());
            for (auto i : srcs) ++sh.row_begin[i + 1];
            std::partial_sum(sh.row_begin.begin(), sh.row_begin.end(), sh.row_begin.begin());
            sh.target.resize(srcs.size());
            if (store_weights) sh.weight.resize(srcs.size());
            std::vector<std::uint32_t> cursor(sh.row_begin.begin(), sh.row_begin.end() - 1);
            std::size_t pos = 0;
            for (std::size_t j = b; j < e; ++j) {
                random_stream wrng(config_.seed, stream_purpose::synapse_weight, pid, j);
                random_stream drng(config_.seed, stream_purpose::synapse_delay, pid, j);
                for (std::uint32_t m = 0; m < per_target[j - b]; ++m) {
                    const auto i = srcs[pos++];
                    const auto slot = cursor[i]++;
                    if (store_weights) sh.weight[slot] = static_cast<float>(wdist.draw(wrng));
                    sh.target[slot] = encode(static_cast<std::uint32_t>(j), draw_delay(drng));
                }
            }
        });
    }

    // Plasticity: bind rules to their rows, and give each plastic projection per-shard queues of
    // arrivals by step (plastic spikes are held until they reach the synapse).
    I.pending.assign(projections_.size(), {});
    I.plastic_by_target.assign(npop, {});
    for (std::size_t k = 0; k < projections_.size(); ++k) {
        auto& P = projections_[k];
        if (!P.spec.plasticity) continue;
        P.spec.plasticity->bind(P, populations_[P.source]->size(), populations_[P.target]->size(),
                                I.bounds[P.target]);
        I.pending[k].assign(S, std::vector<std::vector<std::uint32_t>>(I.ring_slots));
        I.plastic_by_target[P.target].push_back(k);
    }

    // Devices.
    I.poisson_by_pop.assign(npop, {});
    I.generators_by_pop.assign(npop, {});
    I.currents_by_pop.assign(npop, {});
    for (std::size_t k = 0; k < I.poisson_specs.size(); ++k) {
        const auto& d = I.poisson_specs[k];
        impl::poisson_rt rt;
        rt.pop = resolve_population(populations_, d.target, "", "");
        rt.port = *populations_[rt.pop]->port_index(d.port);
        rt.id = static_cast<std::uint32_t>(k);
        rt.independent = d.independent;
        rt.weight = d.weight;
        rt.start = std::llround(d.start_ms / dt);
        rt.stop = std::isfinite(d.stop_ms) ? std::llround(d.stop_ms / dt) : INT64_MAX;
        rt.table.init(d.rate_hz * dt * 1e-3);
        rt.targets = impl::split_targets(d.neurons, populations_[rt.pop]->size(), I.bounds[rt.pop]);
        I.poisson_by_pop[rt.pop].push_back(I.poisson.size());
        I.poisson.push_back(std::move(rt));
    }
    for (const auto& d : I.generator_specs) {
        impl::generator_rt rt;
        rt.pop = resolve_population(populations_, d.target, "", "");
        rt.port = *populations_[rt.pop]->port_index(d.port);
        rt.weight = d.weight;
        rt.delay = delay_steps(d.delay_ms, dt);
        for (double t : d.times_ms) rt.steps.push_back(std::llround(t / dt) - 1);
        std::sort(rt.steps.begin(), rt.steps.end());
        rt.targets = impl::split_targets(d.neurons, populations_[rt.pop]->size(), I.bounds[rt.pop]);
        I.generators_by_pop[rt.pop].push_back(I.generators.size());
        I.generators.push_back(std::move(rt));
    }
    for (const auto& d : I.current_specs) {
        impl::current_rt rt;
        rt.pop = resolve_population(populations_, d.target, "", "");
        for (double t : d.times_ms) rt.steps.push_back(std::llround(t / dt));
        rt.amplitudes = d.amplitudes_pA;
        rt.targets = impl::split_targets(d.neurons, populations_[rt.pop]->size(), I.bounds[rt.pop]);
        I.currents_by_pop[rt.pop].push_back(I.currents.size());
        populations_[rt.pop]->uses_external_current = true;
        I.currents.push_back(std::move(rt));
    }

    // Recorders.
    I.state_recs_by_pop.assign(npop, {});
    for (const auto& r : I.spike_specs) {
        impl::spike_rec_rt rt;
        rt.pop = resolve_population(populations_, r.population, "", "");
        if (!r.neurons.empty()) {
            rt.selected.assign(populations_[rt.pop]->size(), 0);
            for (auto i : r.neurons) rt.selected[i] = 1;
        }
        I.spike_recs.push_back(std::move(rt));
    }
    for (const auto& r : I.state_specs) {
        impl::state_rec_rt rt;
        rt.pop = resolve_population(populations_, r.population, "", "");
        for (const auto& v : r.variables) rt.vars.push_back(*populations_[rt.pop]->state_index(v));
        rt.interval = std::max<std::int64_t>(1, std::llround(r.interval_ms / dt));
        rt.columns.assign(S, {});
        std::vector<std::uint32_t> neurons = r.neurons;
        if (neurons.empty()) {
            neurons.resize(populations_[rt.pop]->size());
            std::iota(neurons.begin(), neurons.end(), 0u);
        }
        for (std::size_t c = 0; c < neurons.size(); ++c)
            for (std::size_t s = 0; s < S; ++s)
                if (neurons[c] >= I.bounds[rt.pop][s] && neurons[c] < I.bounds[rt.pop][s + 1])
                    rt.columns[s].push_back({c, neurons[c]});
        rt.data.neurons = neurons;
        rt.data.variables = r.variables;
        I.state_recs_by_pop[rt.pop].push_back(I.state_recs.size());
        I.state_recs.push_back(std::move(rt));
    }
    for (const auto& r : I.weight_specs) {
        impl::weight_rec_rt rt;
        rt.projection = projection_index(r.projection);
        rt.interval = std::max<std::int64_t>(1, std::llround(r.interval_ms / dt));
        rt.next = rt.interval;
        I.weight_recs.push_back(std::move(rt));
    }
    I.signal_recs_by_pop.assign(npop, {});
    for (const auto& r : I.signal_specs) {
        impl::signal_rec_rt rt;
        rt.pop = resolve_population(populations_, r.population, "", "");
        const auto& pop = *populations_[rt.pop];
        rt.interval = std::max<std::int64_t>(1, std::llround(r.interval_ms / dt));
        for (const auto& t : r.terms)
            rt.terms.push_back({*pop.state_index(t.variable),
                                t.times.empty() ? std::ptrdiff_t(-1) : std::ptrdiff_t(*pop.state_index(t.times)),
                                t.offset, t.coefficient, t.absolute,
                                static_cast<std::size_t>(std::llround(t.delay_ms / (double(rt.interval) * dt)))});
        rt.blocks = (pop.size() + 63) / 64;
        rt.history.assign(rt.terms.size(), {});
        rt.scale = r.mean ? 1.0 / double(pop.size()) : 1.0;
        I.signal_recs_by_pop[rt.pop].push_back(I.signal_recs.size());
        I.signal_recs.push_back(std::move(rt));
    }
    for (const auto& r : I.rate_specs) {
        impl::rate_rec_rt rt;
        rt.pop = resolve_population(populations_, r.population, "", "");
        rt.bin = std::max<std::int64_t>(1, std::llround(r.bin_ms / dt));
        rt.data.bin_ms = double(rt.bin) * dt;
        I.rate_recs.push_back(std::move(rt));
    }

    I.outgoing.assign(npop, {});
    for (std::size_t k = 0; k < projections_.size(); ++k) I.outgoing[projections_[k].source].push_back(k);

    I.scratch.assign(S, {});
    for (std::size_t s = 0; s < S; ++s) {
        std::size_t owned = 0;
        for (std::size_t q = 0; q < npop; ++q) owned += I.bounds[q][s + 1] - I.bounds[q][s];
        I.scratch[s].spikes.resize(owned * static_cast<std::size_t>(I.window));
        I.scratch[s].counts.resize(static_cast<std::size_t>(I.window) * npop);
    }
    spike_counts_.assign(npop, 0);
    I.isi.assign(npop, {});
    for (std::size_t q = 0; q < npop; ++q) {
        const std::size_t n = populations_[q]->size();
        I.isi[q].last.assign(n, -1);
        I.isi[q].count.assign(n, 0);
        I.isi[q].sum.assign(n, 0.0);
        I.isi[q].sum_sq.assign(n, 0.0);
    }

    stats_ = {};
    for (auto& p : populations_) {
        stats_.neurons += p->size();
        stats_.state_bytes += p->memory_bytes();
    }
    for (auto& P : projections_) {
        stats_.synapses += P.synapse_count();
        stats_.synapse_bytes += P.memory_bytes();
        if (P.spec.plasticity) stats_.plasticity_bytes += P.spec.plasticity->memory_bytes();
    }
    stats_.min_delay_steps = projections_.empty() ? 0 : dmin_all;
    stats_.max_delay_steps = projections_.empty() ? 0 : dmax_all;
    built_ = true;
    stats_.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
}

// Running --------------------------------------------------------------------------------------------

void network::run(double duration_ms) {
    if (!(duration_ms >= 0.0) || !std::isfinite(duration_ms))
        throw parameter_error("run", "duration", fmt::format("must be a finite time >= 0 ms, got {}", duration_ms));
    run_steps(std::llround(duration_ms / config_.dt_ms));
}

void network::run_steps(std::int64_t steps) {
    if (!built_) build();
    auto& I = *impl_;
    const std::size_t S = shards_;
    const std::size_t npop = populations_.size();
    const double dt = config_.dt_ms;
    const std::uint64_t seed = config_.seed;
    const std::int64_t end = step_ + steps;
    stop_requested_ = 0;
    stopped_early_ = false;

    auto deliver = [&](std::size_t s) {
        std::uint64_t events = 0;
        for (const auto& seg : I.segments) {
            for (std::size_t k : I.outgoing[seg.pop]) {
                const auto& P = projections_[k];
                const auto& sh = P.shards[s];
                if (sh.target.empty()) continue;
                auto& tp = *populations_[P.target];
                const std::size_t n = tp.size();
                const std::size_t stride = tp.ports().size() * n;
                const std::size_t R = tp.ring_slots();
                double* ring = tp.ring_data();
                const std::uint32_t* rows = sh.row_begin.data();
                const std::uint32_t* tgt = sh.target.data();
                const float* w = P.homogeneous_weight ? nullptr : sh.weight.data();
                const std::size_t base_slot = static_cast<std::size_t>(seg.step + P.delay_min) % R;
                if (P.spec.plasticity) {
                    auto& queue = I.pending[k][s][base_slot];
                    for (std::uint32_t m = seg.begin; m < seg.end; ++m) {
                        const std::uint32_t src = I.merged[m];
                        const std::uint32_t len = rows[src + 1] - rows[src];
                        if (len == 0) continue;
                        events += len;
                        queue.push_back(src);
                    }
                } else if (P.constant_delay() && P.homogeneous_weight) {
                    double* dst = ring + base_slot * stride + P.port * n;
                    const double wv = P.weight_value;
                    for (std::uint32_t m = seg.begin; m < seg.end; ++m) {
                        const std::uint32_t src = I.merged[m];
                        const std::uint32_t rb = rows[src], re = rows[src + 1];
                        events += re - rb;
                        for (std::uint32_t x = rb; x < re; ++x) dst[tgt[x]] += wv;
                    }
                } else if (P.constant_delay()) {
                    double* dst = ring + base_slot * stride + P.port * n;
                    for (std::uint32_t m = seg.begin; m < seg.end; ++m) {
                        const std::uint32_t src = I.merged[m];
                        const std::uint32_t rb = rows[src], re = rows[src + 1];
                        events += re - rb;
                        for (std::uint32_t x = rb; x < re; ++x) dst[tgt[x]] += static_cast<double>(w[x]);
                    }
                } else {
                    const std::uint32_t mask = (1u << P.target_bits) - 1u;
                    const unsigned shift = P.target_bits;
                    double* port_base = ring + P.port * n;
                    for (std::uint32_t m = seg.begin; m < seg.end; ++m) {
                        const std::uint32_t src = I.merged[m];
                        const std::uint32_t rb = rows[src], re = rows[src + 1];
                        events += re - rb;
                        for (std::uint32_t x = rb; x < re; ++x) {
                            std::size_t slot = base_slot + (tgt[x] >> shift);
                            if (slot >= R) slot -= R;
                            const double wx = w ? static_cast<double>(w[x]) : static_cast<double>(P.weight_value);
                            port_base[slot * stride + (tgt[x] & mask)] += wx;
                        }
                    }
                }
            }
        }
        I.scratch[s].events = events;
    };

    auto apply_devices = [&](std::size_t q, std::size_t s, std::int64_t n) {
        auto& pop = *populations_[q];
        for (std::size_t d : I.poisson_by_pop[q]) {
            const auto& D = I.poisson[d];
            if (n < D.start || n >= D.stop || D.table.empty()) continue;
            double* in = pop.input(n, D.port);
            const auto& T = D.targets[s];
            if (!D.independent) {
                const auto blk = philox_block(seed, stream_purpose::device, D.id, 0xFFFFFFFFu, static_cast<std::uint64_t>(n));
                const double add = D.weight * D.table.draw(blk.v[0]);
                if (add == 0.0) continue;
                if (T.is_range)
                    for (std::size_t i = T.begin; i < T.end; ++i) in[i] += add;
                else
                    for (auto i : T.list) in[i] += add;
                continue;
            }
            // Independent trains: one Philox block serves four consecutive neurons.
            if (T.is_range) {
                std::size_t i = T.begin;
                while (i < T.end) {
                    const std::size_t group = i >> 2;
                    const auto blk = philox_block(seed, stream_purpose::device, D.id, static_cast<std::uint32_t>(group),
                                                  static_cast<std::uint64_t>(n));
                    const std::size_t stop = std::min(T.end, (group + 1) << 2);
                    for (; i < stop; ++i) in[i] += D.weight * D.table.draw(blk.v[i & 3]);
                }
            } else {
                for (auto i : T.list) {
                    const auto blk = philox_block(seed, stream_purpose::device, D.id, i >> 2, static_cast<std::uint64_t>(n));
                    in[i] += D.weight * D.table.draw(blk.v[i & 3]);
                }
            }
        }
        for (std::size_t g : I.generators_by_pop[q]) {
            const auto& G = I.generators[g];
            auto [lo, hi] = std::equal_range(G.steps.begin(), G.steps.end(), n);
            if (lo == hi) continue;
            const double add = G.weight * double(hi - lo);
            double* in = pop.input(n + G.delay, G.port);
            const auto& T = G.targets[s];
            if (T.is_range)
                for (std::size_t i = T.begin; i < T.end; ++i) in[i] += add;
            else
                for (auto i : T.list) in[i] += add;
        }
        if (pop.uses_external_current) {
            double* cur = pop.external_current();
            std::fill(cur + I.bounds[q][s], cur + I.bounds[q][s + 1], 0.0);
            for (std::size_t c : I.currents_by_pop[q]) {
                const auto& C = I.currents[c];
                auto it = std::upper_bound(C.steps.begin(), C.steps.end(), n);
                if (it == C.steps.begin()) continue;
                const double amp = C.amplitudes[static_cast<std::size_t>(it - C.steps.begin() - 1)];
                if (amp == 0.0) continue;
                const auto& T = C.targets[s];
                if (T.is_range)
                    for (std::size_t i = T.begin; i < T.end; ++i) cur[i] += amp;
                else
                    for (auto i : T.list) cur[i] += amp;
            }
        }
    };

    auto shard_window = [&](std::size_t s, std::int64_t t0, std::int64_t W) {
        deliver(s);
        auto& sc = I.scratch[s];
        std::size_t count = 0;
        for (std::int64_t k = 0; k < W; ++k) {
            const std::int64_t n = t0 + k;
            for (std::size_t q = 0; q < npop; ++q) {
                const std::size_t b = I.bounds[q][s], e = I.bounds[q][s + 1];
                auto& pop = *populations_[q];
                if (b == e) {
                    sc.counts[static_cast<std::size_t>(k) * npop + q] = 0;
                    continue;
                }
                apply_devices(q, s, n);
                for (std::size_t k : I.plastic_by_target[q]) {
                    auto& P = projections_[k];
                    auto& queue = I.pending[k][s][static_cast<std::size_t>(n) % pop.ring_slots()];
                    if (!queue.empty()) {
                        P.spec.plasticity->on_arrivals(s, n, queue, pop.input(n, P.port));
                        queue.clear();
                    }
                    const std::int64_t every = P.spec.plasticity->dynamics_interval();
                    if (every > 0 && (n + 1) % every == 0) P.spec.plasticity->advance_dynamics(s, n + 1);
                }
                spike_sink sink{sc.spikes.data() + count, 0};
                pop.advance(n, b, e, sink);
                if (sink.count > 0)
                    for (std::size_t k : I.plastic_by_target[q])
                        projections_[k].spec.plasticity->on_post_spikes(s, n, {sink.data, sink.count});
                sc.counts[static_cast<std::size_t>(k) * npop + q] = static_cast<std::uint32_t>(sink.count);
                count += sink.count;
                if (!pop.clears_input())
                    for (std::size_t p = 0; p < pop.ports().size(); ++p) {
                        double* in = pop.input(n, p);
                        std::fill(in + b, in + e, 0.0);
                    }
                for (std::size_t r : I.signal_recs_by_pop[q]) {
                    auto& R = I.signal_recs[r];
                    if ((n + 1) % R.interval != 0) continue;
                    const std::size_t row = static_cast<std::size_t>((n + 1 - R.first_row_step) / R.interval);
                    const std::size_t nt = R.terms.size();
                    for (std::size_t k = 0; k < nt; ++k) {
                        const auto& T = R.terms[k];
                        const double* a = pop.state(T.a);
                        const double* bv = T.b >= 0 ? pop.state(static_cast<std::size_t>(T.b)) : nullptr;
                        double* out = R.partial.data() + (row * nt + k) * R.blocks;
                        detail::signal_block_sums(a, bv, T.offset, T.absolute, b, e, out);
                    }
                }
                for (std::size_t r : I.state_recs_by_pop[q]) {
                    auto& R = I.state_recs[r];
                    if ((n + 1) % R.interval != 0) continue;
                    const std::size_t row = static_cast<std::size_t>((n + 1 - R.first_row_step) / R.interval);
                    const std::size_t width = R.data.neurons.size() * R.vars.size();
                    double* out = R.window_values.data() + row * width;
                    for (const auto& [col, i] : R.columns[s])
                        for (std::size_t v = 0; v < R.vars.size(); ++v)
                            out[col * R.vars.size() + v] = pop.state(R.vars[v])[i];
                }
            }
        }
    };

    // Deferred plasticity: bring weights up to date (each shard its own synapses).
    auto flush_plasticity = [&] {
        bool any = false;
        for (const auto& P : projections_) any = any || (P.spec.plasticity && P.spec.plasticity->deferred_post());
        if (!any) return;
        auto body = [&](std::size_t s) {
            for (auto& P : projections_)
                if (P.spec.plasticity && P.spec.plasticity->deferred_post()) P.spec.plasticity->flush(s, step_);
        };
        if (S == 1) {
            body(0);
        } else {
            I.arena->execute([&] {
                tbb::parallel_for(std::size_t{0}, S, [&](std::size_t s) { body(s); }, tbb::static_partitioner());
            });
        }
        I.next_flush = step_ + I.flush_interval;
    };
    I.flush_interval = std::max<std::int64_t>(1, std::llround(1000.0 / dt));
    if (I.next_flush == 0) I.next_flush = I.flush_interval;

    while (step_ < end) {
        if (stop_requested_) {
            stopped_early_ = true;
            break;
        }
        const std::int64_t t0 = step_;
        const std::int64_t W = std::min(I.window, end - step_);
        for (auto& R : I.state_recs) {
            // Samples are taken at the end of steps n with (n + 1) % interval == 0.
            const std::int64_t first = ((t0 + 1 + R.interval - 1) / R.interval) * R.interval;
            R.first_row_step = first;
            R.window_rows = first <= t0 + W ? static_cast<std::size_t>((t0 + W - first) / R.interval + 1) : 0;
            R.window_values.assign(R.window_rows * R.data.neurons.size() * R.vars.size(), 0.0);
        }
        for (auto& R : I.signal_recs) {
            const std::int64_t first = ((t0 + 1 + R.interval - 1) / R.interval) * R.interval;
            R.first_row_step = first;
            R.window_rows = first <= t0 + W ? static_cast<std::size_t>((t0 + W - first) / R.interval + 1) : 0;
            R.partial.assign(R.window_rows * R.terms.size() * R.blocks, 0.0);
        }
        if (S == 1) {
            shard_window(0, t0, W);
        } else {
            I.arena->execute([&] {
                tbb::parallel_for(std::size_t{0}, S, [&](std::size_t s) { shard_window(s, t0, W); },
                                  tbb::static_partitioner());
            });
        }
        for (auto& sc : I.scratch) synaptic_events_ += sc.events;

        // Exchange: merge shards in canonical (step, population, neuron) order.
        I.merged.clear();
        I.segments.clear();
        std::vector<std::size_t> offset(S, 0);
        for (std::int64_t k = 0; k < W; ++k) {
            for (std::size_t q = 0; q < npop; ++q) {
                const auto begin = static_cast<std::uint32_t>(I.merged.size());
                for (std::size_t s = 0; s < S; ++s) {
                    const std::uint32_t c = I.scratch[s].counts[static_cast<std::size_t>(k) * npop + q];
                    const std::uint32_t* src = I.scratch[s].spikes.data() + offset[s];
                    I.merged.insert(I.merged.end(), src, src + c);
                    offset[s] += c;
                }
                const auto stop = static_cast<std::uint32_t>(I.merged.size());
                if (stop > begin) {
                    I.segments.push_back({t0 + k, static_cast<std::uint32_t>(q), begin, stop});
                    spike_counts_[q] += stop - begin;
                    auto& st = I.isi[q];
                    for (std::uint32_t m = begin; m < stop; ++m) {
                        const auto i = I.merged[m];
                        if (st.last[i] >= 0) {
                            const double d = double(t0 + k - st.last[i]);
                            ++st.count[i];
                            st.sum[i] += d;
                            st.sum_sq[i] += d * d;
                        }
                        st.last[i] = t0 + k;
                    }
                }
            }
        }
        step_ += W;

        // Recorders.
        const std::size_t limit = config_.recording_memory_limit;
        // Once the budget is exhausted, recording stops for good, so what was kept is a prefix.
        auto budget = [&](std::size_t bytes) {
            if (sink_) return true;
            if (truncated_ || I.recording_bytes + bytes > limit) {
                truncated_ = true;
                return false;
            }
            I.recording_bytes += bytes;
            return true;
        };
        for (std::size_t r = 0; r < I.spike_recs.size(); ++r) {
            auto& R = I.spike_recs[r];
            spike_record chunk;
            for (const auto& seg : I.segments) {
                if (seg.pop != R.pop) continue;
                const double t = double(seg.step + 1) * dt;
                for (std::uint32_t m = seg.begin; m < seg.end; ++m) {
                    const auto i = I.merged[m];
                    if (!R.selected.empty() && !R.selected[i]) continue;
                    chunk.times_ms.push_back(t);
                    chunk.neurons.push_back(i);
                }
            }
            if (chunk.times_ms.empty()) continue;
            if (sink_) {
                sink_->spikes(I.spike_specs[r].name, chunk.times_ms, chunk.neurons);
            } else if (budget(chunk.times_ms.size() * 12)) {
                R.data.times_ms.insert(R.data.times_ms.end(), chunk.times_ms.begin(), chunk.times_ms.end());
                R.data.neurons.insert(R.data.neurons.end(), chunk.neurons.begin(), chunk.neurons.end());
            }
        }
        for (std::size_t r = 0; r < I.state_recs.size(); ++r) {
            auto& R = I.state_recs[r];
            if (R.window_rows == 0) continue;
            std::vector<double> times(R.window_rows);
            for (std::size_t row = 0; row < R.window_rows; ++row)
                times[row] = double(R.first_row_step + std::int64_t(row) * R.interval) * dt;
            if (sink_) {
                sink_->samples(I.state_specs[r].name, times, R.window_values);
            } else if (budget(R.window_values.size() * 8 + times.size() * 8)) {
                R.data.times_ms.insert(R.data.times_ms.end(), times.begin(), times.end());
                R.data.values.insert(R.data.values.end(), R.window_values.begin(), R.window_values.end());
            }
        }
        for (std::size_t r = 0; r < I.signal_recs.size(); ++r) {
            auto& R = I.signal_recs[r];
            if (R.window_rows == 0) continue;
            std::vector<double> times(R.window_rows), values(R.window_rows);
            const std::size_t nt = R.terms.size();
            for (std::size_t row = 0; row < R.window_rows; ++row) {
                times[row] = double(R.first_row_step + std::int64_t(row) * R.interval) * dt;
                double v = 0.0;
                for (std::size_t k = 0; k < nt; ++k) {
                    const double* part = R.partial.data() + (row * nt + k) * R.blocks;
                    double sum = 0.0;
                    for (std::size_t blk = 0; blk < R.blocks; ++blk) sum += part[blk];
                    // A delayed term enters with its sum of `delay` samples ago (0 before that).
                    auto& h = R.history[k];
                    const auto& T = R.terms[k];
                    h.push_back(sum);
                    const double delayed = h.size() > T.delay ? h[h.size() - 1 - T.delay] : 0.0;
                    if (h.size() > T.delay + 1) h.erase(h.begin());
                    v += T.coefficient * delayed;
                }
                values[row] = v * R.scale;
            }
            if (sink_) {
                sink_->signals(I.signal_specs[r].name, times, values);
            } else if (budget(values.size() * 16)) {
                R.data.times_ms.insert(R.data.times_ms.end(), times.begin(), times.end());
                R.data.values.insert(R.data.values.end(), values.begin(), values.end());
            }
        }
        bool sample_due = step_ >= I.next_flush;
        for (const auto& R : I.weight_recs) sample_due = sample_due || step_ >= R.next;
        if (sample_due) flush_plasticity();
        for (std::size_t r = 0; r < I.weight_recs.size(); ++r) {
            auto& R = I.weight_recs[r];
            if (step_ < R.next) continue;
            R.next = (step_ / R.interval + 1) * R.interval;
            const auto w = weights(R.projection);
            const double t = double(step_) * dt;
            if (sink_) {
                sink_->weights(I.weight_specs[r].name, t, w);
            } else if (budget(w.size() * 4 + 8)) {
                R.data.synapses = w.size();
                R.data.times_ms.push_back(t);
                R.data.values.insert(R.data.values.end(), w.begin(), w.end());
            }
        }
        for (std::size_t r = 0; r < I.rate_recs.size(); ++r) {
            auto& R = I.rate_recs[r];
            for (const auto& seg : I.segments) {
                if (seg.pop != R.pop) continue;
                const std::size_t idx = static_cast<std::size_t>(seg.step / R.bin - R.next_bin);
                if (R.counts.size() <= idx) R.counts.resize(idx + 1, 0);
                R.counts[idx] += seg.end - seg.begin;
            }
            const std::int64_t complete = step_ / R.bin;  // bins [0, complete) have ended
            if (complete <= R.next_bin) continue;
            const auto nb = static_cast<std::size_t>(complete - R.next_bin);
            if (R.counts.size() < nb) R.counts.resize(nb, 0);
            const double norm = 1000.0 / (double(populations_[R.pop]->size()) * double(R.bin) * dt);
            std::vector<double> starts(nb), rates(nb);
            for (std::size_t b = 0; b < nb; ++b) {
                starts[b] = double(R.next_bin + std::int64_t(b)) * double(R.bin) * dt;
                rates[b] = double(R.counts[b]) * norm;
            }
            R.counts.erase(R.counts.begin(), R.counts.begin() + static_cast<std::ptrdiff_t>(nb));
            R.next_bin = complete;
            if (sink_) {
                sink_->rates(I.rate_specs[r].name, starts, rates);
            } else if (budget(nb * 16)) {
                R.data.bin_start_ms.insert(R.data.bin_start_ms.end(), starts.begin(), starts.end());
                R.data.rate_hz.insert(R.data.rate_hz.end(), rates.begin(), rates.end());
            }
        }
    }
    flush_plasticity();
}

void network::modulate(std::size_t k, double amount) {
    auto& P = projections_.at(k);
    if (!P.spec.plasticity) throw error("modulate(): projection " + std::to_string(k) + " is not plastic");
    P.spec.plasticity->modulate(step_, amount);
}

// Access ----------------------------------------------------------------------------------------------

const spike_record& network::spikes(std::size_t r) const { return impl_->spike_recs.at(r).data; }
const state_record& network::states(std::size_t r) const { return impl_->state_recs.at(r).data; }
const rate_record& network::rates(std::size_t r) const { return impl_->rate_recs.at(r).data; }
const std::string& network::spike_recorder_name(std::size_t r) const { return impl_->spike_specs.at(r).name; }
const std::string& network::state_recorder_name(std::size_t r) const { return impl_->state_specs.at(r).name; }
const std::string& network::rate_recorder_name(std::size_t r) const { return impl_->rate_specs.at(r).name; }
std::size_t network::spike_recorder_count() const { return impl_->spike_specs.size(); }
std::size_t network::state_recorder_count() const { return impl_->state_specs.size(); }
std::size_t network::rate_recorder_count() const { return impl_->rate_specs.size(); }
std::size_t network::recording_memory_bytes() const { return impl_->recording_bytes; }
const weight_record& network::weight_samples(std::size_t r) const { return impl_->weight_recs.at(r).data; }
const signal_record& network::signal(std::size_t r) const { return impl_->signal_recs.at(r).data; }
const std::string& network::signal_recorder_name(std::size_t r) const { return impl_->signal_specs.at(r).name; }
const std::string& network::signal_recorder_population(std::size_t r) const {
    return impl_->signal_specs.at(r).population;
}
std::size_t network::signal_recorder_count() const { return impl_->signal_specs.size(); }
const std::string& network::weight_recorder_name(std::size_t r) const { return impl_->weight_specs.at(r).name; }
std::size_t network::weight_recorder_count() const { return impl_->weight_specs.size(); }

std::size_t network::projection_index(const std::string& name) const {
    for (std::size_t k = 0; k < projections_.size(); ++k)
        if (projections_[k].spec.name == name) return k;
    throw error("no projection named '" + name + "'");
}

std::vector<float> network::weights(std::size_t k) const {
    const auto& P = projections_.at(k);
    using K = connection_rule::kind;
    if (P.spec.rule.type == K::fixed_outdegree || P.spec.rule.type == K::explicit_list) return synapses(k).weight;
    // Rules drawn per target keep each shard's rows in ascending target order, and shards hold
    // ascending target ranges: concatenating rows source by source gives the canonical order.
    std::vector<float> out;
    out.reserve(P.synapse_count());
    const std::size_t ns = populations_[P.source]->size();
    for (std::size_t i = 0; i < ns; ++i)
        for (const auto& sh : P.shards)
            for (std::uint32_t x = sh.row_begin[i]; x < sh.row_begin[i + 1]; ++x)
                out.push_back(P.homogeneous_weight ? P.weight_value : sh.weight[x]);
    return out;
}

spike_statistics network::population_statistics(std::size_t q) const {
    spike_statistics out;
    const auto& pop = *populations_.at(q);
    out.spikes = spike_counts_.empty() ? 0 : spike_counts_[q];
    const double seconds = double(step_) * config_.dt_ms * 1e-3;
    out.rate_hz = seconds > 0.0 ? double(out.spikes) / (double(pop.size()) * seconds) : 0.0;
    if (!built_) return out;
    const auto& st = impl_->isi[q];
    double cv_sum = 0.0;
    for (std::size_t i = 0; i < pop.size(); ++i) {
        if (st.count[i] < 2) continue;
        const double m = st.sum[i] / st.count[i];
        const double var = std::max(0.0, st.sum_sq[i] / st.count[i] - m * m);
        cv_sum += std::sqrt(var) / m;
        ++out.cv_neurons;
    }
    out.mean_cv_isi = out.cv_neurons ? cv_sum / double(out.cv_neurons) : std::nan("");
    return out;
}

network::synapse_table network::synapses(std::size_t k) const {
    if (!built_) throw error("synapses(): the network is not built yet");
    const auto& P = projections_.at(k);
    synapse_table t;
    const std::size_t ns = populations_[P.source]->size();
    const std::uint32_t mask = P.target_bits == 32 ? 0xFFFFFFFFu : (1u << P.target_bits) - 1u;
    for (std::size_t i = 0; i < ns; ++i)
        for (const auto& sh : P.shards)
            for (std::uint64_t x = sh.row_begin[i]; x < sh.row_begin[i + 1]; ++x) {
                t.source.push_back(static_cast<std::uint32_t>(i));
                t.target.push_back(sh.target[x] & mask);
                t.weight.push_back(P.homogeneous_weight ? P.weight_value : sh.weight[x]);
                const std::int64_t d =
                    P.target_bits == 32 ? P.delay_min : P.delay_min + std::int64_t(sh.target[x] >> P.target_bits);
                t.delay_ms.push_back(double(d) * config_.dt_ms);
            }
    // Canonical order: by source, then target, keeping the drawn order of multapses.
    std::vector<std::size_t> order(t.source.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return t.source[a] != t.source[b] ? t.source[a] < t.source[b] : t.target[a] < t.target[b];
    });
    synapse_table out;
    for (auto o : order) {
        out.source.push_back(t.source[o]);
        out.target.push_back(t.target[o]);
        out.weight.push_back(t.weight[o]);
        out.delay_ms.push_back(t.delay_ms[o]);
    }
    return out;
}

} // namespace lamina::sim
