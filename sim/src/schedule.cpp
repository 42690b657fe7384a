// The schedule: a run is a sequence of min-delay windows, each the same four phases (delivery and
// update in parallel per shard, then exchange and recording). Windows lie on a fixed grid of
// multiples of the window length from step 0, so a run split anywhere only cuts a window in two;
// nothing a window computes depends on where it starts, and chained runs give bitwise the
// results of one run.
#include "event_update.hpp"

#include <chrono>
#include <cmath>
#include <utility>
#include <fmt/format.h>

namespace lamina::sim {

void network::flush_plasticity() const {
    auto& I = *state_;
    bool any = false;
    for (const auto& P : projections_) any = any || (P.rule && P.rule->deferred_post());
    if (!any) return;
    I.parallel_shards(shards_, [&](std::size_t s) {
        for (auto& P : projections_)
            if (P.rule && P.rule->deferred_post()) P.rule->flush(s, step_);
    });
    I.next_flush = step_ + I.flush_interval;
}

network::thread_usage network::thread_statistics() const noexcept {
    const auto& I = *state_;
    thread_usage u;
    if (!I.team) return u;
    u.team_threads = I.team->size();
    u.windows_on_all = I.width.wide_windows();
    u.windows_on_one = I.width.narrow_windows();
    u.switches = I.width.switches();
    const auto c = I.team->statistics();
    u.regions = c.regions;
    u.worker_sleeps = c.worker_sleeps;
    u.caller_sleeps = c.caller_sleeps;
    u.withdrawn = c.withdrawn;
    u.preemptions = c.preemptions;
    u.caller_wait_ns = c.caller_wait_ns;
    u.worker_wait_ns = c.worker_wait_ns;
    return u;
}

void network::run(double duration_ms) {
    if (!(duration_ms >= 0.0) || !std::isfinite(duration_ms))
        throw parameter_error("run", "duration", fmt::format("must be a finite time >= 0 ms, got {}", duration_ms));
    run_steps(std::llround(duration_ms / config_.dt_ms));
}

void network::run_steps(std::int64_t steps) {
    if (steps < 0) throw parameter_error("run", "duration", "must be >= 0 steps");
    if (load_failed_) throw error(half_loaded_message);
    if (!built_) build();
    auto& I = *state_;
    const std::int64_t end = step_ + steps;
    stop_requested_ = 0;
    stopped_early_ = false;
    detail::engine e{config_, populations_, projections_, I, shards_};
    I.flush_interval = std::max<std::int64_t>(1, std::llround(1000.0 / config_.dt_ms));
    if (I.next_flush == 0) I.next_flush = I.flush_interval;
    detail::begin_run(e, step_);
    // The shards count their deliveries; the network's total takes them at the end of the run,
    // also when a window throws.
    struct collect_events {
        detail::network_state& I;
        std::uint64_t& total;
        ~collect_events() {
            for (auto& sc : I.scratch) total += std::exchange(sc.events, 0);
        }
    } collect{I, synaptic_events_};

    // Each window runs on as many of the team's threads as the width chooser says, which learns
    // from the wall time of whole windows (the serial exchange and recording included).
    // Made once per run: the window's first step and length reach the workers in the team's
    // offer line, so the body itself stays in every core's cache.
    auto phases = [&e, &I](std::size_t s, std::int64_t t0, std::int64_t W) {
        I.scratch[s].events += detail::deliver_window(e, s);
        detail::update_window(e, s, t0, W);
    };
    using clock = std::chrono::steady_clock;
    auto last = clock::now();
    while (step_ < end) {
        if (stop_requested_) {
            stopped_early_ = true;
            break;
        }
        const std::int64_t t0 = step_;
        const std::int64_t W = std::min(I.window - t0 % I.window, end - t0);
        const int width = config_.adaptive_threads ? I.width.next() : I.team->size();
        I.recorders.begin_window(t0, W);
        if (shards_ == 1) phases(0, t0, W);
        else I.team->run(shards_, width, phases, t0, W);
        detail::exchange_window(e, t0, W, spike_counts_);
        step_ += W;
        for (auto& p : populations_) (p->event_driven() ? p->steps_event_driven : p->steps_clock_driven) += W;
        detail::choose_update_modes(e, step_, spike_counts_);
        detail::record_window(e, *this, sink_, step_, config_.recording_memory_limit, [this] { flush_plasticity(); });
        const auto now = clock::now();
        if (config_.adaptive_threads) {
            I.width.record(width, std::chrono::duration_cast<std::chrono::nanoseconds>(now - last).count(), W);
            // A probe of all threads is over and one thread stays: the workers sleep until the
            // next probe instead of spinning (on a busy machine, CPU taken from the caller).
            if (width > 1 && I.width.next() == 1 && I.width.current() == 1) I.team->rest();
        } else {
            I.width.count(width);
        }
        last = now;
    }
    detail::end_run(e, step_ - 1);
    // Deferred plastic rules are not flushed here: weights() and synapses(), weight recorders,
    // checkpoints and set_weights() flush before they read, and a full spike history flushes its
    // shard (plastic_rule.hpp); next_flush is kept only for the checkpoint format. A flush scans
    // every synapse of the projection, which short runs (an agent's 100 ms observations) would
    // otherwise pay each time.
}

} // namespace lamina::sim
