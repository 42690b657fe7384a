// The schedule: a run is a sequence of min-delay windows, each the same four phases (delivery and
// update in parallel per shard, then exchange and recording). Windows lie on a fixed grid of
// multiples of the window length from step 0, so a run split anywhere only cuts a window in two;
// nothing a window computes depends on where it starts, and chained runs give bitwise the
// results of one run.
#include "event_update.hpp"

#include <chrono>
#include <cmath>
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

    // Each window runs on as many of the team's threads as the width chooser says, which learns
    // from the wall time of whole windows (the serial exchange and recording included).
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
        auto phases = [&](std::size_t s) {
            I.scratch[s].events = detail::deliver_window(e, s);
            detail::update_window(e, s, t0, W);
        };
        if (shards_ == 1) phases(0);
        else I.team->run(shards_, width, phases);
        for (auto& sc : I.scratch) synaptic_events_ += sc.events;
        detail::exchange_window(e, t0, W, spike_counts_);
        step_ += W;
        for (auto& p : populations_) (p->event_driven() ? p->steps_event_driven : p->steps_clock_driven) += W;
        detail::choose_update_modes(e, step_, spike_counts_);
        detail::record_window(e, *this, sink_, step_, config_.recording_memory_limit, [this] { flush_plasticity(); });
        const auto now = clock::now();
        if (config_.adaptive_threads)
            I.width.record(width, std::chrono::duration_cast<std::chrono::nanoseconds>(now - last).count(), W);
        else
            I.width.count(width);
        last = now;
    }
    detail::end_run(e, step_ - 1);
    // Deferred plastic rules are not flushed here: weights() and synapses(), weight recorders,
    // checkpoints and set_weights() flush before they read, and the periodic flush (every model
    // second) bounds the kept histories. A flush scans every synapse of the projection, which
    // short runs (an agent's 100 ms observations) would otherwise pay each time.
}

} // namespace lamina::sim
