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

#include "lamina/sim/error.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <memory>
#include <type_traits>
#include <limits>
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

// The event context a rule's hooks receive (empty for rules without one).
struct no_event_context {};
template <class R>
struct event_context_of {
    using type = no_event_context;
};
template <class R>
    requires has_event_context<R>
struct event_context_of<R> {
    using type = decltype(R::event_context(std::declval<const typename R::constants&>(),
                                           std::declval<const modulator_history&>()));
};

// Whether a rule's postsynaptic spikes are applied lazily (see plastic_rule::deferred). Rules
// without continuous dynamics, and rules whose dynamics enter only through an event context
// (reward STDP), defer; a rule may say otherwise with `static constexpr bool defer_post_spikes`.
template <class R>
constexpr bool defers_post_spikes() {
    if constexpr (requires { R::defer_post_spikes; })
        return bool(R::defer_post_spikes);
    else
        return !has_dynamics<R> || has_event_context<R>;
}

template <class Rule, class ShortTerm = no_short_term>
class plastic_rule final : public plasticity {
public:
    static constexpr std::size_t n_pre =
        std::tuple_size_v<decltype(Rule::pre_traces(std::declval<const typename Rule::constants&>()))>;
    static constexpr std::size_t n_post =
        std::tuple_size_v<decltype(Rule::post_traces(std::declval<const typename Rule::constants&>()))>;
    static constexpr std::size_t n_vars = Rule::synapse_vars.size();
    // Postsynaptic spikes are applied lazily, NEST-style (Morrison, Diesmann & Gerstner 2008;
    // NEST's stdp_synapse and stdp_dopamine_synapse, Potjans et al. 2010): each target keeps the
    // steps of its recent spikes, and a synapse applies the spikes of its target since its last
    // presynaptic arrival at the next arrival (or at a flush), in time order, before on_pre. Each
    // synapse sees the same sequence of hook calls as if every post spike were applied at once, so
    // the weights are identical, but no reverse index is needed (8 bytes per plastic synapse) and
    // post spikes cost no scattered traversal. Rules with an event context (reward STDP) keep the
    // context of every step with a post spike since the last flush, and flush before each dynamics
    // update (which re-references their synapse variables), so on_post sees the context it would
    // have seen at the spike. Rules with other continuous dynamics stay eager.
    static constexpr bool deferred = defers_post_spikes<Rule>();
    static_assert(!deferred || !has_dynamics<Rule> || has_event_context<Rule>,
                  "deferred post spikes need a rule without dynamics or with an event context");
    // A deferred rule may still keep the reverse index (8 bytes per synapse): a target whose
    // history is full then applies its own kept spikes to its incoming synapses (one scattered
    // walk per history_capacity spikes instead of one per spike) instead of making the whole
    // shard apply every pending spike. Worth it where some targets fire far more often than a
    // flush comes (the agent substrate's assemblies during observations). Rules with an event
    // context keep it; others may ask for it with `static constexpr bool targeted_flush = true`.
    static constexpr bool reverse_index = [] {
        if constexpr (!deferred)
            return true;
        else if constexpr (requires { Rule::targeted_flush; })
            return bool(Rule::targeted_flush);
        else
            return has_event_context<Rule>;
    }();
    // Post spikes kept per target in deferred mode; a target whose history is full makes the
    // projection's shard apply every pending spike first (a flush). 32 keeps flushes rare in
    // W3 and W4 (16 flushed W4 several times a second) at 128 bytes per target.
    static constexpr std::uint32_t history_capacity = 32;
    bool deferred_post() const override { return deferred; }

    explicit plastic_rule(typename Rule::parameters p = {}, typename ShortTerm::parameters stp = {})
        : params_(p), stp_params_(stp) {}

    std::string_view rule_name() const override { return Rule::name; }
    std::unique_ptr<plasticity> clone() const override { return std::make_unique<plastic_rule>(params_, stp_params_); }

    std::vector<std::pair<std::string, double>> parameter_values() const override {
        std::vector<std::pair<std::string, double>> out;
        for (const auto& f : Rule::parameter_fields) out.emplace_back(std::string(f.name), params_.*(f.member));
        for (const auto& f : ShortTerm::parameter_fields) out.emplace_back(std::string(f.name), stp_params_.*(f.member));
        return out;
    }

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
        n_target_ = target_size;
        target_mask_ = p.target_bits == 32 ? ~0u : (1u << p.target_bits) - 1u;
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
            st.targets.assign(n_local, target_record{});
            st.post_now_step = -1;
            for (auto& v : st.vars) v.assign(nsyn, 0.0f);
            if constexpr (deferred) {
                // Deferred mode keeps each target's recent spikes instead of a reverse index.
                st.history_steps.assign(n_local, step_slots{});
                if constexpr (keeps_post_before) st.history_before.assign(n_local * history_capacity, {});
                st.processed_from.assign(source_size, 0);
                st.has_history.assign(n_local, 0);
                st.kept_targets = 0;
                st.context_steps.clear();
                st.contexts.clear();
                st.epoch = 0;
                std::uint32_t longest_row = 0;
                for (std::size_t src = 0; src < source_size; ++src)
                    longest_row = std::max(longest_row, sh.row_begin[src + 1] - sh.row_begin[src]);
                for (auto* list : {&st.single, &st.single_local, &st.multiple, &st.multiple_local})
                    list->assign(longest_row, 0);
            }
            // Deferred rules build their reverse index when a full history first needs it: a
            // build or a checkpoint load does not pay for it, nor does a projection whose
            // histories never fill.
            st.index_built = false;
            if constexpr (!deferred) build_reverse_index(st, sh);
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
        const bool per_step = touched >= st.targets.size();
        if (per_step && st.post_now_step != step) {
            const std::size_t n_local = st.targets.size();
            for (std::size_t local = 0; local < n_local; ++local) {
                post_traces_at(st, local, step, post);
                st.targets[local].post_now = post;
            }
            st.post_now_step = step;
        }
        for (std::uint32_t src : sources) {
            const std::int64_t since = st.pre_last[src] < 0 ? -1 : step - st.pre_last[src];
            for (std::size_t k = 0; k < n_pre; ++k) pre[k] = st.pre_value[src * n_pre + k] * decay(pre_decay_[k], since);
            const double efficacy = ShortTerm::efficacy(stp_, st.stp_state[src],
                                                        st.stp_last[src] < 0 ? -1 : step - st.stp_last[src]);
            st.stp_last[src] = step;
            const std::uint32_t row_begin = sh.row_begin[src], row_end = sh.row_begin[src + 1];
            // Potentiation by the target spikes since src's last arrival, then this arrival's depression.
            if constexpr (deferred) apply_pending(st, sh, src);
            for (std::uint32_t x = row_begin; x < row_end; ++x) {
                const std::size_t j = target_of(sh.target[x]);
                for (std::size_t v = 0; v < n_vars; ++v) vars[v] = st.vars[v].data() + x;
                if (per_step) {
                    post = st.targets[j - st.begin].post_now;
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
    // weights are current. The engine calls it before weights are read (weights(), synapses(),
    // weight recorders, checkpoints, set_weights), a full spike history calls it, and rules with an
    // event context call it before each dynamics update. `step`: every post spike of earlier steps
    // has been kept. A row none of whose targets kept a spike is passed over after one look at a
    // byte per synapse (the flags of all local targets fit in the first-level cache).
    void flush(std::size_t s, std::int64_t step) override {
        if constexpr (deferred) {
            auto& st = shards_[s];
            auto& sh = proj_->shards[s];
            if (st.kept_targets != 0 && !flush_by_targets(st, sh)) {
                float* w = sh.weight.data();
                std::array<float*, n_vars> vars{};
                for (std::uint32_t src = 0; src < n_source_; ++src)
                    for (std::uint32_t x = sh.row_begin[src]; x < sh.row_begin[src + 1]; ++x) {
                        const std::uint32_t local = target_of(sh.target[x]) - static_cast<std::uint32_t>(st.begin);
                        if (!st.has_history[local]) continue;
                        for (std::size_t v = 0; v < n_vars; ++v) vars[v] = st.vars[v].data() + x;
                        apply_post_events(st, src, local, w[x], vars);
                    }
            }
            forget_history(st, step);
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
                // A full history (or one whose steps would overflow 32 bits) is emptied by applying
                // it to every synapse now (same result).
                if (step - st.epoch > max_relative_step)
                    flush(s, step);
                else if (st.targets[local].history_count == history_capacity) {
                    if constexpr (reverse_index) {
                        if (!st.index_built) build_reverse_index(st, sh);
                        flush_target(st, sh, local);
                    }
                    else
                        flush(s, step);
                }
                const std::uint32_t slot = st.targets[local].history_count++;
                st.history_steps[local].step[slot] = static_cast<std::int32_t>(step - st.epoch);
                st.kept_targets += st.has_history[local] == 0;
                st.has_history[local] = 1;
                if constexpr (has_event_context<Rule>)
                    if (st.context_steps.empty() || st.context_steps.back() != step) {
                        st.context_steps.push_back(step);
                        st.contexts.push_back(ctx);
                    }
                if constexpr (keeps_post_before) st.history_before[local * history_capacity + slot] = post;
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
                st.targets[local].post_value[q] = post_spec_[q].nearest ? 1.0 : post[q] + 1.0;
            auto& t = st.targets[local];
            t.previous_gap = t.post_last < 0 ? no_previous
                                             : static_cast<std::uint32_t>(std::min<std::int64_t>(step - t.post_last, no_previous));
            t.post_last = step;
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
            // The update re-references the synapse variables: pending post spikes go first, with
            // the contexts of their interval. The post spikes of step - 1 are not kept yet.
            auto& st = shards_[s];
            auto& sh = proj_->shards[s];
            // Synapses onto targets with kept spikes apply them in the same pass (a flush of its
            // own would read every row once more).
            bool apply_kept = false;
            if constexpr (deferred) apply_kept = st.kept_targets != 0 && !flush_by_targets(st, sh);
            const std::int64_t steps = step - st.dynamics_last;
            std::array<float*, n_vars> vars{};
            std::array<double, n_post> post{};
            const auto modulator = [&] {
                if constexpr (has_event_context<Rule>)
                    return context_at(st, step);
                else
                    return modulator_at(step);
            }();
            std::uint32_t src = 0;
            for (std::size_t x = 0; x < sh.size(); ++x) {
                for (std::size_t v = 0; v < n_vars; ++v) vars[v] = st.vars[v].data() + x;
                if constexpr (deferred)
                    if (apply_kept) {
                        while (sh.row_begin[src + 1] <= x) ++src;
                        const std::uint32_t local = target_of(sh.target[x]) - static_cast<std::uint32_t>(st.begin);
                        if (st.has_history[local]) apply_post_events(st, src, local, sh.weight[x], vars);
                    }
                const double w = static_cast<double>(sh.weight[x]);
                if constexpr (requires { Rule::advance(c_, w, vars, steps, modulator, post); }) {
                    // Traces at the update time `step`: spikes of step - 1 are not processed yet.
                    post_traces_at(st, target_of(sh.target[x]) - st.begin, step - 1, post);
                    sh.weight[x] = static_cast<float>(Rule::advance(c_, w, vars, steps, modulator, post));
                } else {
                    sh.weight[x] = static_cast<float>(Rule::advance(c_, w, vars, steps, modulator));
                }
            }
            if constexpr (deferred) forget_history(st, step - 1);
            restart_dynamics(st, step);
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

    void resume_dynamics(std::int64_t step) override {
        if constexpr (has_dynamics<Rule>)
            for (auto& st : shards_) restart_dynamics(st, step);
    }

    // Checkpoint form: synapse variables by canonical synapse, presynaptic traces and short-term
    // state by source (taken from a shard where the source has synapses: every such shard saw the
    // same arrivals), postsynaptic records by target, dynamics and modulator from a shard that
    // owns targets (every such shard advanced at the same steps).
    void save_state(state_block& out, const synapse_order& order) const override {
        for (std::size_t v = 0; v < n_vars; ++v) {
            std::vector<float> a(order.total);
            for (std::size_t s = 0; s < shards_.size(); ++s)
                for (std::size_t x = 0; x < shards_[s].vars[v].size(); ++x) a[order.position(s, x)] = shards_[s].vars[v][x];
            out.f32["synapse_" + std::string(Rule::synapse_vars[v])] = std::move(a);
        }
        std::vector<double> pre(n_source_ * n_pre), stp(n_source_ * stp_words);
        std::vector<std::int64_t> pre_last(n_source_), stp_last(n_source_);
        for (std::size_t src = 0; src < n_source_; ++src) {
            std::size_t from = 0;
            for (std::size_t s = 0; s < shards_.size(); ++s)
                if (proj_->shards[s].row_begin[src + 1] > proj_->shards[s].row_begin[src]) {
                    from = s;
                    break;
                }
            const auto& st = shards_[from];
            for (std::size_t k = 0; k < n_pre; ++k) pre[src * n_pre + k] = st.pre_value[src * n_pre + k];
            pre_last[src] = st.pre_last[src];
            stp_last[src] = st.stp_last[src];
            if constexpr (stp_words > 0) std::memcpy(&stp[src * stp_words], &st.stp_state[src], sizeof(typename ShortTerm::state));
        }
        out.f64["pre_value"] = std::move(pre);
        out.i64["pre_last"] = std::move(pre_last);
        out.f64["short_term_state"] = std::move(stp);
        out.i64["short_term_last"] = std::move(stp_last);
        std::vector<std::int64_t> post_last, previous_gap;
        std::vector<double> post_value;
        for (const auto& st : shards_)
            for (const auto& t : st.targets) {
                if constexpr (deferred)
                    if (t.history_count != 0)
                        throw internal_error("plastic_rule::save_state: a spike history was not flushed");
                post_last.push_back(t.post_last);
                previous_gap.push_back(t.previous_gap);
                post_value.insert(post_value.end(), t.post_value.begin(), t.post_value.end());
            }
        out.i64["post_last"] = std::move(post_last);
        out.i64["post_previous_gap"] = std::move(previous_gap);
        out.f64["post_value"] = std::move(post_value);
        const shard_state* dyn = shards_.empty() ? nullptr : &shards_[0];
        for (const auto& st : shards_)
            if (!st.targets.empty()) {
                dyn = &st;
                break;
            }
        std::vector<std::int64_t> jump_steps, pending_steps;
        std::vector<double> jump_amounts, pending_amounts;
        if (dyn)
            for (const auto& j : dyn->jumps) {
                jump_steps.push_back(j.step);
                jump_amounts.push_back(j.amount);
            }
        for (const auto& j : pending_jumps_) {
            pending_steps.push_back(j.step);
            pending_amounts.push_back(j.amount);
        }
        out.i64["dynamics_last"] = {dyn ? dyn->dynamics_last : 0};
        out.f64["modulator_start"] = {dyn ? dyn->modulator_start : 0.0};
        out.i64["jump_steps"] = std::move(jump_steps);
        out.f64["jump_amounts"] = std::move(jump_amounts);
        out.i64["pending_jump_steps"] = std::move(pending_steps);
        out.f64["pending_jump_amounts"] = std::move(pending_amounts);
        out.f64["modulator"] = {modulator_};
        out.i64["modulator_step"] = {modulator_step_};
    }

    void check_state(const state_block& in, const synapse_order& order, const std::string& owner) const override {
        (void)saved_view(in, order, owner);
    }

    void load_state(const state_block& in, const synapse_order& order, std::int64_t step,
                    const std::string& owner) override {
        const auto saved = saved_view(in, order, owner);
        const auto& [vars, pre, pre_last, stp, stp_last, post_last, previous_gap, post_value, jump_steps, jump_amounts,
                     pending_steps, pending_amounts, dynamics_last, modulator_start, modulator, modulator_step] = saved;
        for (std::size_t v = 0; v < n_vars; ++v)
            for (std::size_t s = 0; s < shards_.size(); ++s)
                for (std::size_t x = 0; x < shards_[s].vars[v].size(); ++x)
                    shards_[s].vars[v][x] = (*vars[v])[order.position(s, x)];
        for (auto& st : shards_) {
            std::copy(pre.begin(), pre.end(), st.pre_value.begin());
            std::copy(pre_last.begin(), pre_last.end(), st.pre_last.begin());
            std::copy(stp_last.begin(), stp_last.end(), st.stp_last.begin());
            if constexpr (stp_words > 0)
                for (std::size_t src = 0; src < n_source_; ++src)
                    std::memcpy(&st.stp_state[src], &stp[src * stp_words], sizeof(typename ShortTerm::state));
            for (std::size_t local = 0; local < st.targets.size(); ++local) {
                auto& t = st.targets[local];
                const std::size_t j = st.begin + local;
                t.post_last = post_last[j];
                t.previous_gap = static_cast<std::uint32_t>(previous_gap[j]);
                for (std::size_t q = 0; q < n_post; ++q) t.post_value[q] = post_value[j * n_post + q];
                t.history_count = 0;
            }
            st.post_now_step = -1;
            if constexpr (deferred) {
                std::fill(st.processed_from.begin(), st.processed_from.end(), step);
                std::fill(st.has_history.begin(), st.has_history.end(), std::uint8_t{0});
                st.kept_targets = 0;
                st.context_steps.clear();
                st.contexts.clear();
                st.epoch = step;
            }
            st.dynamics_last = dynamics_last;
            st.modulator_start = modulator_start;
            st.jumps.clear();
            for (std::size_t k = 0; k < jump_steps.size(); ++k) st.jumps.push_back({jump_steps[k], jump_amounts[k]});
        }
        pending_jumps_.clear();
        for (std::size_t k = 0; k < pending_steps.size(); ++k) pending_jumps_.push_back({pending_steps[k], pending_amounts[k]});
        modulator_ = modulator;
        modulator_step_ = modulator_step;
    }

    layout layout_of(std::string_view name) const override {
        if (name.starts_with("synapse_")) return layout::per_synapse;
        for (std::string_view n : {"pre_value", "pre_last", "short_term_state", "short_term_last"})
            if (name == n) return layout::per_source;
        for (std::string_view n : {"post_last", "post_previous_gap", "post_value"})
            if (name == n) return layout::per_target;
        for (std::string_view n : {"dynamics_last", "modulator_start", "jump_steps", "jump_amounts", "pending_jump_steps",
                                   "pending_jump_amounts", "modulator", "modulator_step"})
            if (name == n) return layout::shared;
        throw internal_error("plastic_rule::layout_of: save_state wrote '" + std::string(name) +
                             "' without saying how it is laid out");
    }

    std::size_t memory_bytes() const override {
        std::size_t b = 0;
        for (const auto& st : shards_) {
            b += st.in_begin.capacity() * 4 + st.in_syn.capacity() * 4 + st.block_source.capacity() * 4 +
                 st.processed_from.capacity() * 8 + st.has_history.capacity() +
                 st.context_steps.capacity() * 8 + st.contexts.capacity() * sizeof(context_type);
            b += st.history_steps.capacity() * sizeof(step_slots) +
                 st.history_before.capacity() * sizeof(std::array<double, n_post>) +
                 st.targets.capacity() * sizeof(target_record);
            for (const auto& v : st.vars) b += v.capacity() * sizeof(float);
            b += st.pre_value.capacity() * 8 + st.pre_last.capacity() * 8 + st.stp_state.capacity() * sizeof(typename ShortTerm::state) +
                 st.stp_last.capacity() * 8;
        }
        return b;
    }

    const typename Rule::constants& constants() const noexcept { return c_; }
    // Per-synapse variable v of shard s (for inspection and tests).
    const std::vector<float>& synapse_variable(std::size_t s, std::size_t v) const { return shards_[s].vars[v]; }

private:
    static constexpr unsigned block_shift = 8;
    using context_type = typename event_context_of<Rule>::type;
    // Doubles per short-term state (checkpoints copy it as such).
    static constexpr std::size_t stp_words =
        std::is_empty_v<typename ShortTerm::state> ? 0 : sizeof(typename ShortTerm::state) / sizeof(double);
    static_assert(std::is_empty_v<typename ShortTerm::state> ||
                      (std::is_trivially_copyable_v<typename ShortTerm::state> &&
                       sizeof(typename ShortTerm::state) % sizeof(double) == 0),
                  "a short-term state must be made of doubles");
    // The steps of a target's spikes since the last flush, relative to the flush (the shard's
    // epoch), in ascending order: one cache line per target.
    struct alignas(64) step_slots {
        std::int32_t step[history_capacity] = {};
    };
    static constexpr std::int64_t max_relative_step = std::int64_t{1} << 30;
    // The post traces just before each kept spike, kept only for rules whose on_post reads them
    // (triplet STDP does; pair STDP declares on_post_reads_post = false).
    static constexpr bool keeps_post_before = [] {
        if constexpr (requires { Rule::on_post_reads_post; })
            return bool(Rule::on_post_reads_post);
        else
            return true;
    }();
    // Everything the synapse loops read about one local target, together: a row of a plastic
    // projection visits its targets in random order, and separate arrays cost one miss each.
    struct alignas(n_post == 1 ? 32 : 16) target_record {
        std::int64_t post_last = -1;              // step of its last spike (-1: none yet)
        std::uint32_t history_count = 0;          // deferred mode: spikes kept since the last flush
        // Steps from its previous spike to its last (no_previous when there is none or it is
        // further back): whether a synapse has one pending spike or more is known from here.
        // Saturating is safe: pending spikes are never older than the last flush, and a history
        // whose steps reach max_relative_step (< 2^32) past the flush makes a flush.
        std::uint32_t previous_gap = no_previous;
        std::array<double, n_post> post_value{};  // traces just after its last spike
        std::array<double, n_post> post_now{};    // traces at the shard's post_now_step
    };
    static constexpr std::uint32_t prefetch_distance = 8;
    static constexpr std::uint32_t no_previous = std::numeric_limits<std::uint32_t>::max();
    struct shard_state {
        // Deferred mode, per local target: its spikes since the last flush at step `epoch` (the
        // count is in its target_record); per source: the first post step its synapses have not
        // applied yet.
        std::vector<step_slots> history_steps;
        std::vector<std::array<double, n_post>> history_before;  // [local * history_capacity + slot]
        std::int64_t epoch = 0;
        // Scratch: the synapses of a row with one and with several target spikes to apply, and
        // their local targets.
        std::vector<std::uint32_t> single, single_local, multiple, multiple_local;
        std::vector<std::int64_t> processed_from;
        // Per local target: whether it kept a spike since the last flush (lets a flush pass over
        // rows without pending spikes), and how many targets did.
        std::vector<std::uint8_t> has_history;
        std::size_t kept_targets = 0;
        // Rules with an event context: the context of each step (ascending) at which a local
        // target kept a spike since the last flush.
        std::vector<std::int64_t> context_steps;
        std::vector<context_type> contexts;
        std::vector<target_record> targets;
        std::int64_t post_now_step = -1;  // step of every target's post_now
        std::size_t begin = 0;
        std::vector<std::uint32_t> in_begin, in_syn, block_source;
        bool index_built = false;
        std::array<std::vector<float>, n_vars> vars;
        std::vector<double> pre_value;
        std::vector<std::int64_t> pre_last;
        std::vector<typename ShortTerm::state> stp_state;
        std::vector<std::int64_t> stp_last;
        std::int64_t dynamics_last = 0;
        // Modulator at dynamics_last and its jumps since (rules with an event context only).
        double modulator_start = 0.0;
        std::vector<modulator_jump> jumps;
    };

    // Reverse index: incoming synapses of each local target, in source order.
    void build_reverse_index(shard_state& st, const projection_shard& sh) const {
        const std::size_t n_local = st.targets.size(), nsyn = sh.size();
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
        st.index_built = true;
    }

    // Deferred mode: every kept spike has been applied; pending spikes start at `step`.
    void forget_history(shard_state& st, std::int64_t step) const {
        std::fill(st.processed_from.begin(), st.processed_from.end(), step);
        for (auto& t : st.targets) t.history_count = 0;
        std::fill(st.has_history.begin(), st.has_history.end(), std::uint8_t{0});
        st.kept_targets = 0;
        st.context_steps.clear();
        st.contexts.clear();
        st.epoch = step;
    }

    // With the reverse index, applies the kept spikes target by target when their incoming
    // synapses are few against the shard's (a few cache misses per synapse walked, against about
    // one byte per synapse for a pass over every row); returns whether it did.
    bool flush_by_targets(shard_state& st, projection_shard& sh) const {
        if constexpr (reverse_index) {
            if (!st.index_built) return false;
            std::size_t incoming = 0;
            for (std::size_t local = 0; local < st.has_history.size(); ++local)
                if (st.has_history[local]) incoming += st.in_begin[local + 1] - st.in_begin[local];
            if (incoming * 16 >= sh.size()) return false;
            for (std::size_t local = 0; local < st.has_history.size(); ++local)
                if (st.has_history[local]) flush_target(st, sh, local);
            return true;
        } else {
            (void)st;
            (void)sh;
            return false;
        }
    }

    // Deferred mode with the reverse index: applies the kept spikes of local target `local` to each
    // of its incoming synapses that has not applied them yet, and empties its history. The
    // synapses keep their sources' processed_from: a later arrival finds no kept spike to apply.
    void flush_target(shard_state& st, projection_shard& sh, std::size_t local) const {
        if constexpr (reverse_index && deferred) {
            const std::uint32_t* rows = sh.row_begin.data();
            float* w = sh.weight.data();
            std::array<float*, n_vars> vars{};
            for (std::uint32_t k = st.in_begin[local]; k < st.in_begin[local + 1]; ++k) {
                const std::uint32_t x = st.in_syn[k];
                std::uint32_t src = st.block_source[x >> block_shift];
                while (rows[src + 1] <= x) ++src;
                for (std::size_t v = 0; v < n_vars; ++v) vars[v] = st.vars[v].data() + x;
                apply_post_events(st, src, local, w[x], vars);
            }
            st.targets[local].history_count = 0;
            st.kept_targets -= st.has_history[local];
            st.has_history[local] = 0;
        }
    }

    // Deferred mode: applies to every synapse of row src the target spikes since src's last
    // arrival (processed_from), in time order, before that arrival's depression or at a flush.
    void apply_pending(shard_state& st, projection_shard& sh, std::uint32_t src) const {
        const std::uint32_t row_begin = sh.row_begin[src], row_end = sh.row_begin[src + 1];
        float* w = sh.weight.data();
        std::array<float*, n_vars> vars{};
        // Which synapses have pending spikes is random (about two in three in W3, most of them
        // exactly one), so the row is sorted without branches into synapses with one pending
        // spike (its step is the target's last; no history needed) and synapses with more, and
        // each list is then worked through.
        const std::int64_t from = st.processed_from[src];
        std::uint32_t* single = st.single.data();
        std::uint32_t* single_local = st.single_local.data();
        std::uint32_t* multiple = st.multiple.data();
        std::uint32_t* multiple_local = st.multiple_local.data();
        std::uint32_t n_single = 0, n_multiple = 0;
        for (std::uint32_t x = row_begin; x < row_end; ++x) {
            const std::uint32_t local = target_of(sh.target[x]) - static_cast<std::uint32_t>(st.begin);
            const target_record& t = st.targets[local];
            // A flush in the middle of a step's post spikes applies that step's earlier
            // spikes and empties their histories while their post_last stays at the step:
            // without a kept spike there is nothing to apply.
            const bool last_pending = (t.post_last >= from) & (t.history_count != 0);
            const bool previous_pending = t.post_last - std::int64_t{t.previous_gap} >= from;
            single[n_single] = x;
            single_local[n_single] = local;
            n_single += last_pending & !previous_pending;
            multiple[n_multiple] = x;
            multiple_local[n_multiple] = local;
            n_multiple += previous_pending;
        }
        const std::int64_t pre_last = st.pre_last[src];
        for (std::uint32_t k = 0; k < n_single; ++k) {
            const std::uint32_t x = single[k];
            const std::uint32_t local = single_local[k];
            for (std::size_t v = 0; v < n_vars; ++v) vars[v] = st.vars[v].data() + x;
            apply_post_event(st, src, pre_last, st.targets[local].post_last, local,
                             st.targets[local].history_count - 1, w[x], vars);
        }
        for (std::uint32_t k = 0; k < n_multiple; ++k) {
            const std::uint32_t x = multiple[k];
            // The spike history of a target a few synapses ahead is usually not in cache yet.
            if (k + prefetch_distance < n_multiple)
                __builtin_prefetch(&st.history_steps[multiple_local[k + prefetch_distance]]);
            for (std::size_t v = 0; v < n_vars; ++v) vars[v] = st.vars[v].data() + x;
            apply_post_events(st, src, multiple_local[k], w[x], vars);
        }
    }

    // Applies the pending post spikes of local target `local` to synapse weight w (from source src).
    template <class Vars>
    void apply_post_events(const shard_state& st, std::uint32_t src, std::size_t local, float& w, const Vars& vars) const {
        const std::int64_t from = st.processed_from[src];
        const target_record& t = st.targets[local];
        if (t.post_last < from) return;  // nothing pending
        const std::int32_t* steps = st.history_steps[local].step;
        const auto from_relative = static_cast<std::int32_t>(from - st.epoch);
        const std::uint32_t count = t.history_count;
        std::uint32_t first = count;
        while (first > 0 && steps[first - 1] >= from_relative) --first;
        for (std::uint32_t e = first; e < count; ++e)
            apply_post_event(st, src, st.pre_last[src], st.epoch + steps[e], local, e, w, vars);
    }

    // Applies target `local`'s spike of step `post_step` (history slot `slot`) to synapse weight w
    // from source src, whose last arrival was at pre_last.
    template <class Vars>
    void apply_post_event(const shard_state& st, std::uint32_t src, std::int64_t pre_last, std::int64_t post_step,
                          std::size_t local, std::uint32_t slot, float& w, const Vars& vars) const {
        std::array<double, n_pre> pre{};
        std::array<double, n_post> before{};
        const std::int64_t since = pre_last < 0 ? -1 : post_step - pre_last;
        for (std::size_t q = 0; q < n_pre; ++q) pre[q] = st.pre_value[src * n_pre + q] * decay(pre_decay_[q], since);
        if constexpr (keeps_post_before) before = st.history_before[local * history_capacity + slot];
        if constexpr (has_event_context<Rule>) {
            const auto at = std::lower_bound(st.context_steps.begin(), st.context_steps.end(), post_step);
            const auto& ctx = st.contexts[static_cast<std::size_t>(at - st.context_steps.begin())];
            w = static_cast<float>(Rule::on_post(c_, static_cast<double>(w), vars, pre, before, ctx));
        } else {
            w = static_cast<float>(Rule::on_post(c_, static_cast<double>(w), vars, pre, before));
        }
    }

    using no_context = no_event_context;
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
    // The arrays of a saved state, each checked for presence and size (checkpoint_error otherwise).
    struct saved_state {
        std::array<const std::vector<float>*, n_vars> vars;
        const std::vector<double>& pre;
        const std::vector<std::int64_t>& pre_last;
        const std::vector<double>& stp;
        const std::vector<std::int64_t>& stp_last;
        const std::vector<std::int64_t>& post_last;
        const std::vector<std::int64_t>& previous_gap;
        const std::vector<double>& post_value;
        const std::vector<std::int64_t>& jump_steps;
        const std::vector<double>& jump_amounts;
        const std::vector<std::int64_t>& pending_steps;
        const std::vector<double>& pending_amounts;
        std::int64_t dynamics_last;
        double modulator_start;
        double modulator;
        std::int64_t modulator_step;
    };
    saved_state saved_view(const state_block& in, const synapse_order& order, const std::string& owner) const {
        std::array<const std::vector<float>*, n_vars> vars{};
        for (std::size_t v = 0; v < n_vars; ++v)
            vars[v] = &in.floats(owner, "synapse_" + std::string(Rule::synapse_vars[v]), order.total);
        const auto& jump_steps = in.integers(owner, "jump_steps", state_block::any_size);
        const auto& pending_steps = in.integers(owner, "pending_jump_steps", state_block::any_size);
        return {vars,
                in.doubles(owner, "pre_value", n_source_ * n_pre),
                in.integers(owner, "pre_last", n_source_),
                in.doubles(owner, "short_term_state", n_source_ * stp_words),
                in.integers(owner, "short_term_last", n_source_),
                in.integers(owner, "post_last", n_target_),
                in.integers(owner, "post_previous_gap", n_target_),
                in.doubles(owner, "post_value", n_target_ * n_post),
                jump_steps,
                in.doubles(owner, "jump_amounts", jump_steps.size()),
                pending_steps,
                in.doubles(owner, "pending_jump_amounts", pending_steps.size()),
                in.integers(owner, "dynamics_last", 1)[0],
                in.doubles(owner, "modulator_start", 1)[0],
                in.doubles(owner, "modulator", 1)[0],
                in.integers(owner, "modulator_step", 1)[0]};
    }

    // The next dynamics interval starts at `step`: the jumps of the last one are folded into the
    // modulator's value there.
    void restart_dynamics(shard_state& st, std::int64_t step) const {
        if constexpr (has_event_context<Rule>) {
            double m = st.modulator_start * decay_modulator(step - st.dynamics_last);
            for (const auto& j : st.jumps) m += j.amount * decay_modulator(step - j.step);
            st.modulator_start = m;
            st.jumps.clear();
        }
        st.dynamics_last = step;
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

    std::uint32_t target_of(std::uint32_t packed) const noexcept { return packed & target_mask_; }

    void post_traces_at(const shard_state& st, std::size_t local, std::int64_t step,
                        std::array<double, n_post>& out) const {
        const target_record& t = st.targets[local];
        const std::int64_t since = t.post_last < 0 ? -1 : step - t.post_last;
        for (std::size_t q = 0; q < n_post; ++q) out[q] = t.post_value[q] * decay(post_decay_[q], since);
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
    std::uint32_t target_mask_ = ~0u;  // the target bits of a packed (target, delay) word
    std::size_t n_source_ = 0;
    std::size_t n_target_ = 0;
    std::vector<shard_state> shards_;
    double modulator_ = 0.0;
    std::int64_t modulator_step_ = 0;
    std::vector<modulator_jump> pending_jumps_;  // modulate() before bind
};

} // namespace lamina::sim
