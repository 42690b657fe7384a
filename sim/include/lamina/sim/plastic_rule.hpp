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
// A ShortTerm model provides parameters, constants, a per-source state and
//   efficacy(c, state, steps_since_previous_spike_or_-1) -> factor applied to the weight sent.
#include "lamina/sim/connection.hpp"
#include "lamina/sim/plasticity.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <tuple>
#include <utility>

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

template <class Rule, class ShortTerm = no_short_term>
class plastic_rule final : public plasticity {
public:
    static constexpr std::size_t n_pre =
        std::tuple_size_v<decltype(Rule::pre_traces(std::declval<const typename Rule::constants&>()))>;
    static constexpr std::size_t n_post =
        std::tuple_size_v<decltype(Rule::post_traces(std::declval<const typename Rule::constants&>()))>;
    static constexpr std::size_t n_vars = Rule::synapse_vars.size();

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
            for (auto& v : st.vars) v.assign(nsyn, 0.0f);
            st.pre_value.assign(source_size * n_pre, 0.0);
            st.pre_last.assign(source_size, -1);
            st.post_value.assign(n_local * n_post, 0.0);
            st.post_last.assign(n_local, -1);
            st.stp_state.assign(source_size, typename ShortTerm::state{});
            st.stp_last.assign(source_size, -1);
            st.dynamics_last = 0;
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
        for (std::uint32_t src : sources) {
            const std::int64_t since = st.pre_last[src] < 0 ? -1 : step - st.pre_last[src];
            for (std::size_t k = 0; k < n_pre; ++k) pre[k] = st.pre_value[src * n_pre + k] * decay(pre_decay_[k], since);
            const double efficacy = ShortTerm::efficacy(stp_, st.stp_state[src],
                                                        st.stp_last[src] < 0 ? -1 : step - st.stp_last[src]);
            st.stp_last[src] = step;
            for (std::uint32_t x = sh.row_begin[src]; x < sh.row_begin[src + 1]; ++x) {
                const std::size_t j = target_of(sh.target[x]);
                post_traces_at(st, j - st.begin, step, post);
                for (std::size_t v = 0; v < n_vars; ++v) vars[v] = st.vars[v].data() + x;
                w[x] = static_cast<float>(Rule::on_pre(c_, static_cast<double>(w[x]), vars, pre, post));
                input[j] += efficacy * static_cast<double>(w[x]);
            }
            for (std::size_t k = 0; k < n_pre; ++k)
                st.pre_value[src * n_pre + k] = pre_spec_[k].nearest ? 1.0 : pre[k] + 1.0;
            st.pre_last[src] = step;
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
        for (std::uint32_t j : targets) {
            const std::size_t local = j - st.begin;
            post_traces_at(st, local, step, post);
            for (std::uint32_t k = st.in_begin[local]; k < st.in_begin[local + 1]; ++k) {
                const std::uint32_t x = st.in_syn[k];
                // The source of synapse x: the row that contains it.
                std::uint32_t src = st.block_source[x >> block_shift];
                while (rows[src + 1] <= x) ++src;
                const std::int64_t since = st.pre_last[src] < 0 ? -1 : step - st.pre_last[src];
                for (std::size_t q = 0; q < n_pre; ++q)
                    pre[q] = st.pre_value[src * n_pre + q] * decay(pre_decay_[q], since);
                for (std::size_t v = 0; v < n_vars; ++v) vars[v] = st.vars[v].data() + x;
                w[x] = static_cast<float>(Rule::on_post(c_, static_cast<double>(w[x]), vars, pre, post));
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
            st.dynamics_last = step;
            std::array<float*, n_vars> vars{};
            const double modulator = modulator_at(step);
            for (std::size_t x = 0; x < sh.size(); ++x) {
                for (std::size_t v = 0; v < n_vars; ++v) vars[v] = st.vars[v].data() + x;
                sh.weight[x] = static_cast<float>(Rule::advance(c_, static_cast<double>(sh.weight[x]), vars, steps, modulator));
            }
        }
    }

    void modulate(std::int64_t step, double amount) override {
        modulator_ = modulator_at(step) + amount;
        modulator_step_ = step;
    }

    std::size_t memory_bytes() const override {
        std::size_t b = 0;
        for (const auto& st : shards_) {
            b += st.in_begin.capacity() * 4 + st.in_syn.capacity() * 4 + st.block_source.capacity() * 4;
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
    struct shard_state {
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
    };

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
        if constexpr (has_dynamics<Rule>)
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
};

} // namespace lamina::sim
