#pragma once
// plastic_rule<Rule, ShortTerm>: the engine-side loops of a plastic projection, generic over a
// long-term rule and a short-term (presynaptic efficacy) model. See plasticity.hpp for timing.
//
// A long-term Rule provides
//   name, parameters, parameter_fields, constants, lower(params, dt, object)
//   pre_traces(c), post_traces(c): std::array<trace_spec, N> of per-neuron traces
//   synapse_vars: std::array<std::string_view, K> of per-synapse float variables (may be empty)
//   on_pre(c, w, vars, pre_before, post) -> new weight      (at a presynaptic arrival)
//   on_post(c, w, vars, pre, post_before) -> new weight     (at a postsynaptic spike)
// Hooks compute in double; weights are stored as float.
// and optionally dynamics_interval(c) > 0 with advance(c, w, vars, steps_since_last, modulator)
// for continuous synapse dynamics, and modulation (a global signal, e.g. dopamine).
// Optional extensions (each detected from the rule's signatures; rules without them are unchanged):
//   modulator_tau(c): decay time constant (ms) of the modulator; without it the modulator is 0.
//   advance(c, w, vars, steps, modulator, post): the post traces of the synapse's target at the
//     update are passed as a trailing argument (e.g. a rate sensor for homeostatic scaling).
//   event_context(c, const modulator_history&) -> X: rules that need the exact course of the
//     modulator and the time of each event within the dynamics interval (reward-modulated STDP
//     integrating eligibility x dopamine exactly). X is computed once per event batch from the
//     history below, and the rule's hooks receive it in place of / after the usual arguments:
//     on_pre(c, w, vars, pre, post, X), on_post(c, w, vars, pre, post, X),
//     advance(c, w, vars, steps, X [, post]).
// A ShortTerm model provides parameters, constants, a per-source state and
//   efficacy(c, state, steps_since_previous_spike_or_-1) -> factor applied to the weight sent.
#include "lamina/sim/connection.hpp"
#include "lamina/sim/plasticity.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <span>
#include <tuple>
#include <utility>
#include <vector>

namespace lamina::sim {

// No short-term plasticity: every spike transmits the full weight.
struct no_short_term {
    static constexpr std::string_view name = "none";
    struct parameters {};
    static constexpr std::array<parameter_field<parameters>, 0> parameter_fields{};
    struct constants {};
    struct state {};
    static constants lower(const parameters&, double, const std::string&) { return {}; }
    static double efficacy(const constants&, state&, std::int64_t) { return 1.0; }
};

// Rules opt into continuous dynamics by defining dynamics_interval(c); the default has none.
template <class R>
concept has_dynamics = requires(const typename R::constants& c) { R::dynamics_interval(c); };
template <class R>
concept has_modulator = requires(const typename R::constants& c) { R::modulator_tau(c); };

// A jump of a projection's modulator: network::modulate(k, amount) at step `step` (time step*dt,
// the start of that step).
struct modulator_jump {
    std::int64_t step;
    double amount;
};

// The modulator of a projection since the last dynamics update, as an event context sees it: it
// was `start` at step `since` (the last update, or 0), decays with the rule's modulator_tau and
// jumped by `jumps` (steps in [since, now], ascending). `now` is the time of the events, in steps:
// arrivals and post spikes of step n happen at the end of it (now = n + 1), the dynamics update
// that the engine makes during step t - 1 has now = t (after that step's arrivals, before its post
// spikes, which therefore belong to the next interval).
struct modulator_history {
    double dt_ms;
    std::int64_t since;
    std::int64_t now;
    double start;
    std::span<const modulator_jump> jumps;
};

template <class R>
concept has_event_context = has_dynamics<R> && has_modulator<R> &&
                            requires(const typename R::constants& c, const modulator_history& h) { R::event_context(c, h); };

template <class Rule, class ShortTerm = no_short_term>
class plastic_rule final : public plasticity {
public:
    static constexpr std::size_t n_pre =
        std::tuple_size_v<decltype(Rule::pre_traces(std::declval<const typename Rule::constants&>()))>;
    static constexpr std::size_t n_post =
        std::tuple_size_v<decltype(Rule::post_traces(std::declval<const typename Rule::constants&>()))>;
    static constexpr std::size_t n_vars = Rule::synapse_vars.size();
    // Rules without continuous dynamics apply postsynaptic spikes lazily, NEST-style: a synapse
    // applies the spikes of its target since its last presynaptic arrival at the next arrival (or
    // at a flush), in time order, before on_pre. Each synapse sees the same sequence of hook calls
    // as if every post spike were applied at once, so the weights are identical, but no reverse
    // index is needed (8 bytes per plastic synapse) and post spikes cost no scattered traversal.
    static constexpr bool deferred = !has_dynamics<Rule>;
    bool deferred_post() const override { return deferred; }

    explicit plastic_rule(typename Rule::parameters p = {}, typename ShortTerm::parameters stp = {})
        : params_(p), stp_params_(stp) {}

    std::string_view rule_name() const override { return Rule::name; }

    void set_parameter(std::string_view n, double v, const std::string& object) override {
        for (const auto& f : ShortTerm::parameter_fields)
            if (f.name == n) {
                stp_params_.*(f.member) = v;
                return;
            }
        sim::set_parameter(params_, Rule::parameter_fields, n, v, object);
    }

    void lower(double dt, const std::string& object) override {
        dt_ = dt;
        c_ = Rule::lower(params_, dt, object);
        stp_ = ShortTerm::lower(stp_params_, dt, object);
        pre_spec_ = Rule::pre_traces(c_);
        post_spec_ = Rule::post_traces(c_);
        for (std::size_t k = 0; k < n_pre; ++k) fill_decay(pre_decay_[k], pre_spec_[k].tau_ms);
        for (std::size_t k = 0; k < n_post; ++k) fill_decay(post_decay_[k], post_spec_[k].tau_ms);
    }

    void bind(projection& p, std::size_t source_size, std::size_t target_size,
              const std::vector<std::size_t>& bounds) override {
        proj_ = &p;
        n_source_ = source_size;
        (void)target_size;
        shards_.assign(p.shards.size(), {});
        for (std::size_t s = 0; s < shards_.size(); ++s) {
            auto& st = shards_[s];
            const auto& sh = p.shards[s];
            st.begin = bounds[s];
            const std::size_t n_local = bounds[s + 1] - bounds[s];
            const std::size_t nsyn = sh.size();
            st.pre_value.assign(source_size * n_pre, 0.0);
            st.pre_last.assign(source_size, -1);
            st.post_value.assign(n_local * n_post, 0.0);
            st.post_last.assign(n_local, -1);
            st.post_now.assign(n_local * n_post, 0.0);
            st.post_now_step = -1;
            for (auto& v : st.vars) v.assign(nsyn, 0.0f);
            if constexpr (deferred) {
                // Deferred mode keeps each target's recent spikes instead of a reverse index.
                st.history.assign(n_local * history_capacity, {});
                st.history_count.assign(n_local, 0);
                st.last_post.assign(n_local, -1);
                st.processed_from.assign(source_size, 0);
            }
            if constexpr (!deferred) {
            // Reverse index: incoming synapses of each local target, in source order.
            st.in_begin.assign(n_local + 1, 0);
            for (std::size_t x = 0; x < nsyn; ++x) ++st.in_begin[target_of(sh.target[x]) - st.begin + 1];
            for (std::size_t j = 0; j < n_local; ++j) st.in_begin[j + 1] += st.in_begin[j];
            st.in_syn.resize(nsyn);
            std::vector<std::uint32_t> cursor(st.in_begin.begin(), st.in_begin.end() - 1);
            for (std::size_t x = 0; x < nsyn; ++x)
                st.in_syn[cursor[target_of(sh.target[x]) - st.begin]++] = static_cast<std::uint32_t>(x);
            // Source of every 256th synapse position: finding the source of a position takes a
            // short forward scan instead of a binary search over all rows.
            st.block_source.assign((nsyn >> block_shift) + 1, 0);
            for (std::size_t b = 0; b < st.block_source.size(); ++b) {
                const auto pos = static_cast<std::uint32_t>(b << block_shift);
                st.block_source[b] = static_cast<std::uint32_t>(
                    std::upper_bound(sh.row_begin.begin(), sh.row_begin.end(), pos) - sh.row_begin.begin() - 1);
            }
            }
            st.stp_state.assign(source_size, typename ShortTerm::state{});
            st.stp_last.assign(source_size, -1);
            st.dynamics_last = 0;
            st.modulator_start = 0.0;
            st.jumps = pending_jumps_;
        }
    }

    void on_arrivals(std::size_t s, std::int64_t step, std::span<const std::uint32_t> sources,
                     double* input) override {
        auto& st = shards_[s];
        auto& sh = proj_->shards[s];
        float* w = sh.weight.data();
        std::array<double, n_pre> pre{};
        std::array<double, n_post> post{};
        std::array<float*, n_vars> vars{};
        const auto ctx = context_at(st, step + 1);
        // Post traces of every local target at this step, once per step rather than per synapse,
        // when this step's arrivals touch more synapses than there are targets (dense activity);
        // otherwise each synapse computes its target's trace itself.
        std::size_t touched = 0;
        for (std::uint32_t src : sources) touched += sh.row_begin[src + 1] - sh.row_begin[src];
        const bool per_step = touched >= st.post_last.size();
        if (per_step && st.post_now_step != step) {
            const std::size_t n_local = st.post_last.size();
            for (std::size_t local = 0; local < n_local; ++local) {
                post_traces_at(st, local, step, post);
                for (std::size_t q = 0; q < n_post; ++q) st.post_now[local * n_post + q] = post[q];
            }
            st.post_now_step = step;
        }
        for (std::uint32_t src : sources) {
            const std::int64_t since = st.pre_last[src] < 0 ? -1 : step - st.pre_last[src];
            for (std::size_t k = 0; k < n_pre; ++k) pre[k] = st.pre_value[src * n_pre + k] * decay(pre_decay_[k], since);
            const double efficacy = ShortTerm::efficacy(stp_, st.stp_state[src],
                                                        st.stp_last[src] < 0 ? -1 : step - st.stp_last[src]);
            st.stp_last[src] = step;
            const std::uint32_t row_end = sh.row_begin[src + 1];
            for (std::uint32_t x = sh.row_begin[src]; x < row_end; ++x) {
                const std::size_t j = target_of(sh.target[x]);
                for (std::size_t v = 0; v < n_vars; ++v) vars[v] = st.vars[v].data() + x;
                if constexpr (deferred) {
                    // The history of a target a few synapses ahead is usually not in cache yet.
                    if (x + prefetch_distance < row_end) {
                        const std::size_t ahead = target_of(sh.target[x + prefetch_distance]) - st.begin;
                        __builtin_prefetch(st.history.data() + ahead * history_capacity +
                                           (st.history_count[ahead] ? st.history_count[ahead] - 1 : 0));
                    }
                    apply_post_events(st, src, j - st.begin, w[x], vars);
                }
                if (per_step) {
                    const double* post_now = st.post_now.data() + (j - st.begin) * n_post;
                    for (std::size_t q = 0; q < n_post; ++q) post[q] = post_now[q];
                } else {
                    post_traces_at(st, j - st.begin, step, post);
                }
                w[x] = static_cast<float>(call_on_pre(static_cast<double>(w[x]), vars, pre, post, ctx));
                input[j] += efficacy * static_cast<double>(w[x]);
            }
            for (std::size_t k = 0; k < n_pre; ++k)
                st.pre_value[src * n_pre + k] = pre_spec_[k].nearest ? 1.0 : pre[k] + 1.0;
            st.pre_last[src] = step;
            if constexpr (deferred) st.processed_from[src] = step;
        }
    }

    // Deferred mode: applies every postsynaptic spike of every synapse that is still pending, so the
    // weights are current (called by the engine at the end of each run and every second).
    void flush(std::size_t s, std::int64_t step) override {
        if constexpr (deferred) {
            auto& st = shards_[s];
            auto& sh = proj_->shards[s];
            float* w = sh.weight.data();
            std::array<float*, n_vars> vars{};
            for (std::uint32_t src = 0; src < n_source_; ++src) {
                for (std::uint32_t x = sh.row_begin[src]; x < sh.row_begin[src + 1]; ++x) {
                    for (std::size_t v = 0; v < n_vars; ++v) vars[v] = st.vars[v].data() + x;
                    apply_post_events(st, src, target_of(sh.target[x]) - st.begin, w[x], vars);
                }
                st.processed_from[src] = step;
            }
            std::fill(st.history_count.begin(), st.history_count.end(), 0);
        }
    }

    void on_post_spikes(std::size_t s, std::int64_t step, std::span<const std::uint32_t> targets) override {
        auto& st = shards_[s];
        auto& sh = proj_->shards[s];
        float* w = sh.weight.data();
        std::array<double, n_pre> pre{};
        std::array<double, n_post> post{};
        std::array<float*, n_vars> vars{};
        const std::uint32_t* rows = sh.row_begin.data();
        const auto ctx = context_at(st, step + 1);
        for (std::uint32_t j : targets) {
            const std::size_t local = j - st.begin;
            post_traces_at(st, local, step, post);
            if constexpr (deferred) {
                // A full history is emptied by applying it to every synapse now (same result).
                if (st.history_count[local] == history_capacity) flush(s, step);
                st.history[local * history_capacity + st.history_count[local]++] = {step, post};
                st.last_post[local] = step;
            }
            if constexpr (!deferred)
            for (std::uint32_t k = st.in_begin[local]; k < st.in_begin[local + 1]; ++k) {
                const std::uint32_t x = st.in_syn[k];
                // The source of synapse x: the row that contains it.
                std::uint32_t src = st.block_source[x >> block_shift];
                while (rows[src + 1] <= x) ++src;
                const std::int64_t since = st.pre_last[src] < 0 ? -1 : step - st.pre_last[src];
                for (std::size_t q = 0; q < n_pre; ++q)
                    pre[q] = st.pre_value[src * n_pre + q] * decay(pre_decay_[q], since);
                for (std::size_t v = 0; v < n_vars; ++v) vars[v] = st.vars[v].data() + x;
                w[x] = static_cast<float>(call_on_post(static_cast<double>(w[x]), vars, pre, post, ctx));
            }
            for (std::size_t q = 0; q < n_post; ++q)
                st.post_value[local * n_post + q] = post_spec_[q].nearest ? 1.0 : post[q] + 1.0;
            st.post_last[local] = step;
        }
    }

    std::int64_t dynamics_interval() const override {
        if constexpr (has_dynamics<Rule>)
            return Rule::dynamics_interval(c_);
        else
            return 0;
    }

    void advance_dynamics(std::size_t s, std::int64_t step) override {
        if constexpr (has_dynamics<Rule>) {
            auto& st = shards_[s];
            auto& sh = proj_->shards[s];
            const std::int64_t steps = step - st.dynamics_last;
            std::array<float*, n_vars> vars{};
            std::array<double, n_post> post{};
            const auto modulator = [&] {
                if constexpr (has_event_context<Rule>)
                    return context_at(st, step);
                else
                    return modulator_at(step);
            }();
            for (std::size_t x = 0; x < sh.size(); ++x) {
                for (std::size_t v = 0; v < n_vars; ++v) vars[v] = st.vars[v].data() + x;
                const double w = static_cast<double>(sh.weight[x]);
                if constexpr (requires { Rule::advance(c_, w, vars, steps, modulator, post); }) {
                    // Traces at the update time `step`: spikes of step - 1 are not processed yet.
                    post_traces_at(st, target_of(sh.target[x]) - st.begin, step - 1, post);
                    sh.weight[x] = static_cast<float>(Rule::advance(c_, w, vars, steps, modulator, post));
                } else {
                    sh.weight[x] = static_cast<float>(Rule::advance(c_, w, vars, steps, modulator));
                }
            }
            if constexpr (has_event_context<Rule>) {
                // Fold the jumps of the interval into the modulator's value at this update.
                double m = st.modulator_start * decay_modulator(step - st.dynamics_last);
                for (const auto& j : st.jumps) m += j.amount * decay_modulator(step - j.step);
                st.modulator_start = m;
                st.jumps.clear();
            }
            st.dynamics_last = step;
        }
    }

    void modulate(std::int64_t step, double amount) override {
        modulator_ = modulator_at(step) + amount;
        modulator_step_ = step;
        if constexpr (has_event_context<Rule>) {
            if (shards_.empty()) pending_jumps_.push_back({step, amount});
            for (auto& st : shards_) st.jumps.push_back({step, amount});
        }
    }

    std::size_t memory_bytes() const override {
        std::size_t b = 0;
        for (const auto& st : shards_) {
            b += st.in_begin.capacity() * 4 + st.in_syn.capacity() * 4 + st.block_source.capacity() * 4 +
                 st.processed_from.capacity() * 8;
            b += st.history.capacity() * sizeof(post_event) + st.history_count.capacity() * 4 + st.last_post.capacity() * 8;
            for (const auto& v : st.vars) b += v.capacity() * sizeof(float);
            b += st.pre_value.capacity() * 8 + st.pre_last.capacity() * 8 + st.post_value.capacity() * 8 +
                 st.post_last.capacity() * 8 + st.stp_state.capacity() * sizeof(typename ShortTerm::state) +
                 st.stp_last.capacity() * 8;
        }
        return b;
    }

    const typename Rule::constants& constants() const noexcept { return c_; }
    // Per-synapse variable v of shard s (for inspection and tests).
    const std::vector<float>& synapse_variable(std::size_t s, std::size_t v) const { return shards_[s].vars[v]; }

private:
    static constexpr unsigned block_shift = 8;
    struct post_event {
        std::int64_t step;
        std::array<double, n_post> before;  // post traces just before the spike
    };
    static constexpr std::uint32_t history_capacity = 16;
    static constexpr std::uint32_t prefetch_distance = 8;
    struct shard_state {
        // Deferred mode, per local target: its spikes since the last flush (history_capacity slots
        // each, flat), their count and the step of the last one; per source: the first post step
        // its synapses have not applied yet.
        std::vector<post_event> history;
        std::vector<std::uint32_t> history_count;
        std::vector<std::int64_t> last_post;
        std::vector<std::int64_t> processed_from;
        std::vector<double> post_now;     // post traces of each local target at post_now_step
        std::int64_t post_now_step = -1;
        std::size_t begin = 0;
        std::vector<std::uint32_t> in_begin, in_syn, block_source;
        std::array<std::vector<float>, n_vars> vars;
        std::vector<double> pre_value;
        std::vector<std::int64_t> pre_last;
        std::vector<double> post_value;
        std::vector<std::int64_t> post_last;
        std::vector<typename ShortTerm::state> stp_state;
        std::vector<std::int64_t> stp_last;
        std::int64_t dynamics_last = 0;
        // Modulator at dynamics_last and its jumps since (rules with an event context only).
        double modulator_start = 0.0;
        std::vector<modulator_jump> jumps;
    };

    // Applies the pending post spikes of local target `local` to synapse weight w (from source src).
    template <class Vars>
    void apply_post_events(const shard_state& st, std::uint32_t src, std::size_t local, float& w, const Vars& vars) const {
        const std::int64_t from = st.processed_from[src];
        if (st.last_post[local] < from) return;  // the common case: nothing pending
        const post_event* h = st.history.data() + local * history_capacity;
        const std::size_t count = st.history_count[local];
        std::size_t first = count;
        while (first > 0 && h[first - 1].step >= from) --first;
        std::array<double, n_pre> pre{};
        for (std::size_t e = first; e < count; ++e) {
            const std::int64_t since = st.pre_last[src] < 0 ? -1 : h[e].step - st.pre_last[src];
            for (std::size_t q = 0; q < n_pre; ++q) pre[q] = st.pre_value[src * n_pre + q] * decay(pre_decay_[q], since);
            w = static_cast<float>(Rule::on_post(c_, static_cast<double>(w), vars, pre, h[e].before));
        }
    }

    struct no_context {};
    // The rule's event context for events at time `now` (steps), or nothing.
    auto context_at(const shard_state& st, std::int64_t now) const {
        if constexpr (has_event_context<Rule>) {
            auto end = st.jumps.begin();
            while (end != st.jumps.end() && end->step <= now) ++end;
            return Rule::event_context(
                c_, modulator_history{dt_, st.dynamics_last, now, st.modulator_start,
                                      std::span<const modulator_jump>(st.jumps.data(), std::size_t(end - st.jumps.begin()))});
        } else {
            return no_context{};
        }
    }
    template <class Vars, class Pre, class Post, class Ctx>
    double call_on_pre(double w, const Vars& vars, const Pre& pre, const Post& post, const Ctx& ctx) const {
        if constexpr (has_event_context<Rule>)
            return Rule::on_pre(c_, w, vars, pre, post, ctx);
        else
            return Rule::on_pre(c_, w, vars, pre, post);
    }
    template <class Vars, class Pre, class Post, class Ctx>
    double call_on_post(double w, const Vars& vars, const Pre& pre, const Post& post, const Ctx& ctx) const {
        if constexpr (has_event_context<Rule>)
            return Rule::on_post(c_, w, vars, pre, post, ctx);
        else
            return Rule::on_post(c_, w, vars, pre, post);
    }
    double decay_modulator(std::int64_t steps) const {
        if constexpr (has_modulator<Rule>)
            return std::exp(-double(steps) * dt_ / Rule::modulator_tau(c_));
        else
            return 0.0;
    }

    // Decay factors exp(-k dt / tau) for k steps, tabulated for the first 2^14 steps.
    static constexpr std::size_t table_size = 1 << 14;
    struct decay_table {
        std::vector<double> factor;
        double dt_over_tau = 0.0;
    };
    void fill_decay(decay_table& t, double tau_ms) const {
        t.dt_over_tau = dt_ / tau_ms;
        t.factor.resize(table_size);
        for (std::size_t k = 0; k < table_size; ++k) t.factor[k] = std::exp(-double(k) * t.dt_over_tau);
    }
    static double decay(const decay_table& t, std::int64_t steps) noexcept {
        if (steps < 0) return 0.0;  // no spike yet: the trace is zero
        return steps < std::int64_t(table_size) ? t.factor[static_cast<std::size_t>(steps)]
                                                : std::exp(-double(steps) * t.dt_over_tau);
    }

    std::uint32_t target_of(std::uint32_t packed) const noexcept {
        return proj_->target_bits == 32 ? packed : packed & ((1u << proj_->target_bits) - 1u);
    }

    void post_traces_at(const shard_state& st, std::size_t local, std::int64_t step,
                        std::array<double, n_post>& out) const {
        const std::int64_t since = st.post_last[local] < 0 ? -1 : step - st.post_last[local];
        for (std::size_t q = 0; q < n_post; ++q) out[q] = st.post_value[local * n_post + q] * decay(post_decay_[q], since);
    }

    double modulator_at(std::int64_t step) const {
        if constexpr (has_dynamics<Rule> && has_modulator<Rule>)
            return modulator_ * std::exp(-double(step - modulator_step_) * dt_ / Rule::modulator_tau(c_));
        else
            return 0.0;
    }

    typename Rule::parameters params_;
    typename ShortTerm::parameters stp_params_;
    typename Rule::constants c_{};
    typename ShortTerm::constants stp_{};
    double dt_ = 0.1;
    std::array<trace_spec, n_pre> pre_spec_{};
    std::array<trace_spec, n_post> post_spec_{};
    std::array<decay_table, n_pre> pre_decay_;
    std::array<decay_table, n_post> post_decay_;
    projection* proj_ = nullptr;
    std::size_t n_source_ = 0;
    std::vector<shard_state> shards_;
    double modulator_ = 0.0;
    std::int64_t modulator_step_ = 0;
    std::vector<modulator_jump> pending_jumps_;  // modulate() before bind
};

} // namespace lamina::sim
