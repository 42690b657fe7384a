#pragma once
// A population: a fixed number of neurons of one model. The engine holds each population behind
// this interface (one virtual call per population, shard and step); population_of<M> stores the
// model's state as structure-of-arrays and runs M::advance over index ranges.
#include "lamina/sim/distribution.hpp"
#include "lamina/sim/event_model.hpp"
#include "lamina/sim/event_queue.hpp"
#include "lamina/sim/expression.hpp"
#include "lamina/sim/neuron_model.hpp"
#include "lamina/sim/precise_model.hpp"
#include "lamina/sim/spatial.hpp"
#include "lamina/sim/state_block.hpp"
#include "lamina/sim/zero_pages.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace lamina::sim {

// How a population's neurons are advanced: every step (clock), only when something reaches them
// or a spike is due (event; models with a closed-form subthreshold solution), or chosen by the
// engine from the model and the measured activity (automatic). docs/engine.md, "Event-driven update".
enum class update_mode : std::uint8_t { clock, event, automatic };
std::string_view update_mode_name(update_mode m) noexcept;

// One input to an event-driven neuron, in the order it was added (delivery, then devices): the
// lazy update sums a neuron's inputs of a step per port in this order, as the clock kernel's
// input ring does, so both modes see bitwise the same sums.
struct event_input {
    std::uint32_t neuron;
    std::uint32_t port;
    double weight;
};

// What an event-driven population works on in one shard and step.
struct event_view {
    std::span<const event_input> inputs;   // this step's inputs, in arrival order
    std::vector<std::uint32_t>* touched;   // scratch: neurons with input this step, first arrival first
    step_calendar* calendar;               // the shard's predicted spikes
    bool driven = false;                   // some neurons have external current (event_drive)
    std::uint64_t updates = 0;             // neurons advanced (touched or due), for the activity measure
};

// How one parameter varies over the neurons of a population: given values (inline, or read from
// a file by the front end), a distribution drawn per neuron, or an expression of the population's
// named per-neuron variables.
struct per_neuron_value {
    enum class kind { values, distribution, expression };
    kind type = kind::values;
    std::vector<double> values;
    sim::distribution dist;
    std::string text;  // the expression

    static per_neuron_value of_values(std::vector<double> v) { return {kind::values, std::move(v), {}, {}}; }
    static per_neuron_value of_distribution(const sim::distribution& d) { return {kind::distribution, {}, d, {}}; }
    static per_neuron_value of_expression(std::string e) { return {kind::expression, {}, {}, std::move(e)}; }
};

class population {
public:
    population(std::string name, std::size_t size) : name_(std::move(name)), size_(size) {}
    virtual ~population() = default;
    population(const population&) = delete;
    population& operator=(const population&) = delete;

    const std::string& name() const noexcept { return name_; }
    std::size_t size() const noexcept { return size_; }

    virtual std::string_view model_name() const = 0;
    virtual std::span<const std::string_view> state_names() const = 0;
    virtual std::span<const port_info> ports() const = 0;
    // Sets a model parameter by name (throws parameter_error naming this population).
    virtual void set_parameter(std::string_view name, double value) = 0;
    virtual double parameter(std::string_view name) const = 0;
    virtual std::vector<std::string_view> parameter_names() const = 0;

    std::optional<std::size_t> state_index(std::string_view var) const;
    std::optional<std::size_t> port_index(std::string_view port) const;

    // Heterogeneous parameters ------------------------------------------------------------------
    // A named per-neuron random variable for expressions (Izhikevich's r). Each neuron draws it
    // once from a stream keyed by (seed, population, neuron, variable), so every parameter that
    // names it sees the same value for that neuron.
    void define_variable(std::string_view name, const distribution& d);
    // Gives parameter `name` a value per neuron; set_parameter(name, x) makes it uniform again.
    // Values are checked against the population size here, expressions parsed here; the model's
    // own checks run per neuron in lower() (parameter_error "neuron i: ...").
    void set_parameter_per_neuron(std::string_view name, per_neuron_value v);
    // True if any parameter differs between neurons (then advance() runs the model kernel over
    // runs of neurons with equal constants, and event-driven updates do not apply).
    bool heterogeneous() const noexcept { return !per_neuron_.empty(); }
    // The value of parameter `name` for every neuron (drawn/evaluated with the network's seed).
    std::vector<double> parameter_values(std::string_view name) const;
    // Names of the parameters given per neuron.
    std::vector<std::string> per_neuron_parameters() const;
    // The seed and index of this population in its network: the key of its per-neuron draws.
    void bind(std::uint64_t seed, std::uint32_t population_id) {
        if (seed != seed_ || population_id != id_) resolved_.clear();
        seed_ = seed;
        id_ = population_id;
    }

    // Initial values: a distribution per state variable, drawn per neuron from a stream keyed by
    // (seed, population, neuron), so they do not depend on the thread count.
    void set_initial(std::string_view var, const distribution& d);

    // Engine side -------------------------------------------------------------------------------
    // Validates parameters and computes step constants; throws parameter_error.
    virtual void lower(double dt) = 0;
    // Allocates state and input rings (ring_slots steps deep) and draws initial values.
    void allocate(std::size_t ring_slots, std::uint64_t seed, std::uint32_t population_id) {
        allocate(ring_slots, seed, population_id, 0, size_);
    }
    // The same in a process that advances only neurons [first, last) (its own, in a distributed
    // run): the rings are zero pages that become resident only where written, so only that
    // range of them takes memory; a checkpoint restores only that range.
    void allocate(std::size_t ring_slots, std::uint64_t seed, std::uint32_t population_id, std::size_t first,
                  std::size_t last);
    // Advances neurons [begin, end) over step `step`, reading the input slot of that step.
    virtual void advance(std::int64_t step, std::size_t begin, std::size_t end, spike_sink& sink) = 0;

    double* state(std::size_t var) noexcept { return state_[var].data(); }
    const double* state(std::size_t var) const noexcept { return state_[var].data(); }
    std::int32_t* refractory() noexcept { return refractory_.data(); }
    double* external_current() noexcept { return current_.data(); }
    std::size_t ring_slots() const noexcept { return ring_slots_; }
    // Input of port p for arrival step `step`.
    double* input(std::int64_t step, std::size_t port) noexcept {
        return ring_.data() + ((static_cast<std::size_t>(step) % ring_slots_) * ports().size() + port) * size_;
    }
    double* ring_data() noexcept { return ring_.data(); }
    std::size_t memory_bytes() const noexcept;
    bool uses_external_current = false;
    // Checkpoints: parameters, state variables, refractory counters and input rings (already in
    // neuron order, independent of shards). load_state re-lowers the parameters.
    void save_state(state_block& out) const { save_state(out, 0, size_); }
    // The same for neurons [begin, end) only (a process's own neurons in a distributed run): every
    // per-neuron array holds checkpoint_chunks(name) runs of end - begin values.
    void save_state(state_block& out, std::size_t begin, std::size_t end) const;
    // How a saved array is laid out: 0 for one value of the whole population (a parameter), else
    // the number of runs of one value per neuron (the input ring: a run per slot and port).
    std::size_t checkpoint_chunks(std::string_view array) const;
    // Throws checkpoint_error for a missing array or one of another size; changes nothing.
    void check_state(const state_block& in) const;
    void load_state(const state_block& in, double dt);
    // True if the model's kernel sets the input slots it read back to zero itself.
    virtual bool clears_input() const noexcept { return false; }

    // Event-driven update ------------------------------------------------------------------------
    // Requested by the model file or the caller; resolved at build (event_driven()).
    update_mode requested_update = update_mode::clock;
    // With `event`, whether the engine may take the clock kernel while most neurons are touched
    // every step (only for models whose lazy update is bitwise the clock kernel's); false keeps
    // every step lazy (benchmarks and tests of the lazy update itself).
    bool event_dense_path = true;
    // Positions on a 2D sheet, for distance-dependent connectivity (spatial.hpp); none by default.
    spatial_layout layout;
    bool event_driven() const noexcept { return event_driven_; }
    // Steps this population was advanced in each mode by this process (for run summaries).
    std::int64_t steps_event_driven = 0, steps_clock_driven = 0;
    void set_event_driven(bool on) noexcept { event_driven_ = on; }
    // Why the model cannot be advanced lazily with its current parameters (empty: it can; a
    // model needs a closed-form subthreshold solution).
    virtual std::string event_support() const { return "model '" + std::string(model_name()) + "' has no event-driven update (lif_psc_delta and lif_psc_exp have)"; }
    // Derives auxiliary state from what was set from outside between runs (every run start).
    virtual void reconcile(std::size_t, std::size_t) {}
    // Event mode, shard range [begin, end): prepare the lazy bookkeeping before step `first`
    // from the state arrays; gather step n's inputs (v.inputs) into the touched neurons' sums;
    // advance step n (touched neurons and predicted spikes); bring every neuron's state arrays up
    // to the end of step `last`.
    virtual void event_allocate() {}  // before the first event_prepare (not per shard)
    virtual void event_prepare(std::int64_t, std::size_t, std::size_t, event_view&) {}
    virtual void event_gather(std::int64_t, event_view&) {}
    virtual void event_advance(std::int64_t, std::size_t, std::size_t, event_view&, spike_sink&) {}
    virtual void event_sync(std::int64_t, std::size_t, std::size_t, event_view&) {}
    // Plastic input in event mode (the rules add into a dense slot): event_stage writes the step-n
    // sums of `port` of the listed neurons into `slot` (touching them); event_unstage reads them
    // back after the rule has added its arrivals and zeroes the slot there.
    virtual void event_stage(std::int64_t, std::size_t, std::span<const std::uint32_t>, double*, event_view&) {}
    virtual void event_unstage(std::size_t, std::span<const std::uint32_t>, double*) {}
    // External current in event mode: whether the model takes a constant per-neuron current
    // (external_current(), fixed for the run); event_drive touches the neurons whose current is
    // not 0, which are then advanced every step (the others cost nothing).
    virtual bool event_takes_current() const noexcept { return false; }
    virtual void event_drive(std::int64_t, std::span<const std::uint32_t>, event_view&) {}
    // True if the event-driven update gives bitwise the clock kernel's results, so the engine may
    // run the clock kernel instead when most neurons are touched (the dense path).
    virtual bool event_matches_clock() const noexcept { return false; }

    // Precise spike times (precise_model.hpp, docs/engine.md "Precise spike times") ------------
    // Requested by the model file (`precise = true`) or the caller; checked at build.
    bool precise = false;
    // Why the model cannot run with precise spike times (empty: it can).
    virtual std::string precise_support() const {
        return "model '" + std::string(model_name()) + "' has no precise spike times (lif_psc_exp and lif_psc_delta have)";
    }
    // One step of neurons [begin, end): `inputs` are the step's inputs to them, sorted by (neuron,
    // time); `release` the per-neuron end of refractoriness inside a step. Spikes go to `sink` with
    // their offsets.
    virtual void precise_advance(std::int64_t, std::size_t, std::size_t, const precise_input*, std::size_t, double*,
                                 spike_sink&) {}

protected:
    virtual double default_initial_value(std::size_t var) const = 0;
    // The model's default initial value of `var` for every neuron (from its own parameters when
    // they differ, e.g. Izhikevich's u = b v).
    virtual void default_initial_values(std::size_t var, std::vector<double>& out) const = 0;
    // Per-neuron values of every parameter in per_neuron_ (same order), resolved once per seed
    // and specification and cached.
    const std::vector<std::vector<double>>& resolved_parameters() const;
    // The message of a model's refusal without the "object: parameter 'x': " prefix.
    static std::string bare_message(const parameter_error& e);

    struct neuron_variable {
        std::string name;
        distribution dist;
    };
    std::vector<neuron_variable> variables_;
    std::vector<std::pair<std::string, per_neuron_value>> per_neuron_;
    mutable std::vector<std::vector<double>> resolved_;
    std::uint64_t seed_ = 0;
    std::uint32_t id_ = 0;

    std::string name_;
    std::size_t size_;
    std::vector<std::vector<double>> state_;
    std::vector<std::int32_t> refractory_;
    std::vector<double> current_;
    zero_page_array ring_;
    std::size_t first_ = 0, last_ = 0;  // the neurons this process advances
    std::size_t ring_slots_ = 0;
    std::vector<std::optional<distribution>> initial_;
    bool event_driven_ = false;
};

template <neuron_model M>
class population_of final : public population {
public:
    static constexpr std::size_t n_state = M::state_names.size();
    static constexpr std::size_t n_ports = M::ports.size();

    population_of(std::string name, std::size_t size, typename M::parameters params = {})
        : population(std::move(name), size), params_(params) {
        initial_.resize(n_state);
    }

    std::string_view model_name() const override { return M::name; }
    std::span<const std::string_view> state_names() const override { return M::state_names; }
    std::span<const port_info> ports() const override { return M::ports; }
    void set_parameter(std::string_view n, double v) override {
        sim::set_parameter(params_, M::parameter_fields, n, v, "population '" + name_ + "'");
        std::erase_if(per_neuron_, [&](const auto& x) { return x.first == n; });
        resolved_.clear();
    }
    double parameter(std::string_view n) const override {
        for (const auto& f : M::parameter_fields)
            if (f.name == n) return params_.*(f.member);
        throw parameter_error("population '" + name_ + "'", std::string(n), "unknown parameter");
    }
    std::vector<std::string_view> parameter_names() const override {
        std::vector<std::string_view> out;
        for (const auto& f : M::parameter_fields) out.push_back(f.name);
        return out;
    }
    const typename M::parameters& parameters() const noexcept { return params_; }
    bool clears_input() const noexcept override {
        if constexpr (requires { M::clears_input; })
            return M::clears_input;
        else
            return false;
    }
    const typename M::constants& constants() const noexcept { return constants_; }

    // Homogeneous: one set of constants. Heterogeneous: the model's own lower() per neuron (so its
    // checks refuse a bad drawn value with the neuron's index), then runs of neighbours whose
    // constants are bitwise equal share one kernel call.
    void lower(double dt) override {
        const std::string object = "population '" + name_ + "'";
        constants_ = M::lower(params_, dt, object);
        event_table_ready_ = false;
        if constexpr (precise_model<M>)
            if (precise) precise_constants_ = precise_dynamics<M>::lower(params_, dt, object);
        neuron_constants_.clear();
        run_starts_.clear();
        if (per_neuron_.empty()) return;
        const auto& values = resolved_parameters();
        std::vector<double M::parameters::*> members;
        for (const auto& [n, v] : per_neuron_)
            for (const auto& f : M::parameter_fields)
                if (f.name == n) members.push_back(f.member);
        std::vector<typename M::constants> nc(size_);
        for (std::size_t i = 0; i < size_; ++i) {
            typename M::parameters p = params_;
            for (std::size_t k = 0; k < members.size(); ++k) p.*(members[k]) = values[k][i];
            try {
                nc[i] = M::lower(p, dt, object);
            } catch (const parameter_error& e) {
                throw parameter_error(e.object(), e.parameter(),
                                      "neuron " + std::to_string(i) + " of " + std::to_string(size_) + ": " +
                                          bare_message(e));
            }
        }
        for (std::size_t i = 0; i < size_; ++i)
            if (i == 0 || std::memcmp(&nc[i], &nc[i - 1], sizeof(typename M::constants)) != 0) run_starts_.push_back(i);
        run_starts_.push_back(size_);
        neuron_constants_ = std::move(nc);
    }

    void advance(std::int64_t step, std::size_t begin, std::size_t end, spike_sink& sink) override {
        kernel_args<n_state, n_ports> args;
        for (std::size_t v = 0; v < n_state; ++v) args.state[v] = state_[v].data();
        for (std::size_t p = 0; p < n_ports; ++p) args.input[p] = input(step, p);
        args.refractory = refractory_.data();
        args.current = current_.data();
        args.drive_varies = uses_external_current;
        if (neuron_constants_.empty()) {
            args.begin = begin;
            args.end = end;
            M::advance(constants_, args, sink);
            return;
        }
        auto run = std::upper_bound(run_starts_.begin(), run_starts_.end(), begin) - 1;
        for (std::size_t b = begin; b < end; ++run) {
            const std::size_t e = std::min(end, *(run + 1));
            args.begin = b;
            args.end = e;
            M::advance(neuron_constants_[b], args, sink);
            b = e;
        }
    }
    // The constants of neuron i (those of the population when it is homogeneous).
    const typename M::constants& constants(std::size_t i) const noexcept {
        return neuron_constants_.empty() ? constants_ : neuron_constants_[i];
    }

    std::string event_support() const override {
        if (heterogeneous()) return "its parameters vary per neuron (event mode needs one set of constants)";
        if constexpr (event_model<M>)
            return M::event_limit(constants_);
        else
            return population::event_support();
    }
    std::string precise_support() const override {
        if constexpr (precise_model<M>) {
            if (heterogeneous()) return "its parameters vary per neuron (precise spike times need one set of constants)";
            return {};
        } else {
            return population::precise_support();
        }
    }
    void precise_advance(std::int64_t step, std::size_t begin, std::size_t end, const precise_input* inputs,
                         std::size_t count, double* release, spike_sink& sink) override {
        if constexpr (precise_model<M>) {
            const auto& c = precise_constants_;
            std::array<double*, n_state> s;
            for (std::size_t v = 0; v < n_state; ++v) s[v] = state_[v].data();
            std::array<double*, n_ports> in;
            for (std::size_t p = 0; p < n_ports; ++p) in[p] = input(step, p);
            std::size_t k = 0;
            std::array<double, n_ports> at_end;
            for (std::size_t i = begin; i < end; ++i) {
                const precise_input* first = inputs + k;
                while (k < count && inputs[k].neuron == i) ++k;
                for (std::size_t p = 0; p < n_ports; ++p) {
                    at_end[p] = in[p][i];
                    in[p][i] = 0.0;
                }
                const double t = precise_dynamics<M>::step(c, s.data(), refractory_[i], release[i], i, first,
                                                           inputs + k, at_end.data(), current_[i]);
                if (t >= 0.0) sink.push(static_cast<std::uint32_t>(i), c.h - t);
            }
        }
    }
    void reconcile(std::size_t begin, std::size_t end) override {
        // Precise populations keep V_m itself; the clock kernel's auxiliary state is not theirs.
        if (precise) return;
        if constexpr (requires { M::reconcile(constants_, std::declval<kernel_args<n_state, n_ports>&>()); }) {
            if (neuron_constants_.empty()) {
                M::reconcile(constants_, args_for(0, begin, end));
                return;
            }
            // Heterogeneous: each run of neurons with equal constants against its own constants.
            auto run = std::upper_bound(run_starts_.begin(), run_starts_.end(), begin) - 1;
            for (std::size_t b = begin; b < end; ++run) {
                const std::size_t e = std::min(end, *(run + 1));
                M::reconcile(neuron_constants_[b], args_for(0, b, e));
                b = e;
            }
        }
    }
    void event_allocate() override;
    void event_prepare(std::int64_t first, std::size_t begin, std::size_t end, event_view& v) override;
    void event_gather(std::int64_t n, event_view& v) override;
    void event_advance(std::int64_t n, std::size_t begin, std::size_t end, event_view& v, spike_sink& sink) override;
    void event_sync(std::int64_t last, std::size_t begin, std::size_t end, event_view& v) override;
    void event_stage(std::int64_t n, std::size_t port, std::span<const std::uint32_t> neurons, double* slot,
                     event_view& v) override;
    void event_unstage(std::size_t port, std::span<const std::uint32_t> neurons, double* slot) override;
    bool event_takes_current() const noexcept override {
        if constexpr (requires { M::event_takes_current; })
            return M::event_takes_current;
        else
            return false;
    }
    void event_drive(std::int64_t n, std::span<const std::uint32_t> neurons, event_view& v) override;
    bool event_matches_clock() const noexcept override {
        if constexpr (requires { M::event_bitwise_clock; })
            return M::event_bitwise_clock;
        else
            return false;
    }

private:
    double default_initial_value(std::size_t var) const override { return M::initial_value(params_, var); }
    kernel_args<n_state, n_ports> args_for(std::int64_t step, std::size_t begin, std::size_t end) {
        kernel_args<n_state, n_ports> args;
        for (std::size_t v = 0; v < n_state; ++v) args.state[v] = state_[v].data();
        for (std::size_t p = 0; p < n_ports; ++p) args.input[p] = input(step, p);
        args.refractory = refractory_.data();
        args.current = current_.data();
        args.begin = begin;
        args.end = end;
        args.drive_varies = uses_external_current;
        return args;
    }
    void default_initial_values(std::size_t var, std::vector<double>& out) const override {
        if (per_neuron_.empty()) {
            std::fill(out.begin(), out.end(), M::initial_value(params_, var));
            return;
        }
        const auto& values = resolved_parameters();
        std::vector<double M::parameters::*> members;
        for (const auto& [n, v] : per_neuron_)
            for (const auto& f : M::parameter_fields)
                if (f.name == n) members.push_back(f.member);
        for (std::size_t i = 0; i < out.size(); ++i) {
            typename M::parameters p = params_;
            for (std::size_t k = 0; k < members.size(); ++k) p.*(members[k]) = values[k][i];
            out[i] = M::initial_value(p, var);
        }
    }
    typename M::parameters params_;
    typename M::constants constants_{};
    typename event_table_of<M>::type event_table_{};  // event mode: the model's propagators
    bool event_table_ready_ = false;
    typename precise_constants_of<M>::type precise_constants_{};
    // Event mode: one record per neuron (lazy_update.hpp), so that a touched neuron is one or two
    // cache lines; allocated at the first event_prepare.
    std::vector<event_record<n_state, n_ports>> records_;
    std::vector<typename M::constants> neuron_constants_;  // empty unless heterogeneous
    std::vector<std::size_t> run_starts_;                 // first neuron of each run, then size
};

} // namespace lamina::sim

#include "lamina/sim/lazy_update.hpp"
