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

namespace {

// Windows run as one team region with one barrier each (thread_team::run_windows) when nothing
// between two windows needs the shards to stand still: one process, every projection static and
// delivered by the plain loops (no event-driven, precise or per-arrival-step-list targets), every
// population in clock mode for good, and recorders that read only the merged spikes (spike and rate
// recorders; state, signal and weight recorders sample or read what the next window changes).
// Then the caller's exchange and recording of window i overlap the workers' window i + 1, and a
// window costs one barrier instead of a hand-off there and back: on W1 (one 0.1 ms step of a few
// microseconds per window) that hand-off was most of the cost of a second thread.
bool one_barrier_windows(const detail::engine& e) {
    const auto& I = e.state;
    if (e.shards < 2 || !I.team || I.team->size() < 2 || I.comm->size() != 1 || I.spikes.precise)
        return false;
    if (!I.recorders.states.empty() || !I.recorders.signals.empty() || !I.recorders.weights.empty()) return false;
    for (const auto& P : e.projections)
        if (P.rule) return false;
    for (const auto& p : e.populations)  // (modes that may change between windows, too)
        if (p->event_driven() || p->requested_update != update_mode::clock) return false;
    for (const auto& shard : I.arrivals)
        for (const auto& L : shard)
            if (L.active) return false;
    return true;
}

} // namespace

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
        I.scratch[s].events += detail::deliver_window(e, s, I.spikes);
        detail::update_window(e, s, t0, W);
    };
    using clock = std::chrono::steady_clock;
    auto last = clock::now();
    // After a window: the exchange, the step, recording and the width chooser's lesson.
    auto finish_window = [&](std::int64_t t0, std::int64_t W, int width, bool learn, int published) {
        detail::exchange_window(e, t0, W, spike_counts_, published);
        step_ += W;
        for (auto& p : populations_) (p->event_driven() ? p->steps_event_driven : p->steps_clock_driven) += W;
        detail::choose_update_modes(e, step_, spike_counts_);
        detail::record_window(e, *this, sink_, step_, config_.recording_memory_limit, [this] { flush_plasticity(); });
        const auto now = clock::now();
        if (learn) I.width.record(width, std::chrono::duration_cast<std::chrono::nanoseconds>(now - last).count(), W);
        else I.width.count(width);
        last = now;
    };
    // Runs windows from step_ on as one region while the width chooser keeps them wide (at most to
    // `end`). Window i of the region starts at t0(i): the first may be the rest of a window a run
    // cut, the others lie on the grid. Each shard publishes its window's spikes in a double buffer;
    // a worker merges the previous window's from them itself (the same list, in the same canonical
    // order, as the caller's exchange makes: results are bitwise those of any other schedule).
    auto run_one_barrier_windows = [&](int width) {
        const std::int64_t start = step_;
        const std::int64_t first = std::min(I.window - start % I.window, end - start);
        auto grid = [&](std::int64_t i) {
            if (i == 0) return std::pair<std::int64_t, std::int64_t>{start, first};
            const std::int64_t t0 = start + first + (i - 1) * I.window;
            return std::pair<std::int64_t, std::int64_t>{t0, std::min(I.window, end - t0)};
        };
        const std::size_t npop = populations_.size();
        auto body = [&](std::size_t s, std::int64_t i, std::int64_t participant) {
            const auto [t0, W] = grid(i);
            auto& sc = I.scratch[s];
            const window_spikes* in = &I.spikes;  // the caller's: made by after(i - 1) before window i
            if (participant != 0 && i > 0) {
                const auto [tp, Wp] = grid(i - 1);
                detail::merge_window(e, tp, Wp, static_cast<int>((i - 1) & 1), sc.merged);
                in = &sc.merged;
            }
            sc.events += detail::deliver_window(e, s, *in);
            detail::update_window(e, s, t0, W);
            auto& pub = sc.published[i & 1];
            const std::size_t cells = static_cast<std::size_t>(W) * npop;
            std::size_t spikes = 0;
            for (std::size_t c = 0; c < cells; ++c) spikes += sc.counts[c];
            pub.counts.assign(sc.counts.begin(), sc.counts.begin() + static_cast<std::ptrdiff_t>(cells));
            pub.spikes.assign(sc.spikes.begin(), sc.spikes.begin() + static_cast<std::ptrdiff_t>(spikes));
        };
        // Whether window i + 1 follows (decided before window i is finished: the chooser has learnt
        // from window i - 1), and whether window i was chosen wide (else it only counts).
        bool chosen = true, chosen_next = true;
        auto more = [&](std::int64_t i) {
            const auto [t0, W] = grid(i);
            chosen_next = !config_.adaptive_threads || I.width.next() > 1;
            return chosen_next && t0 + W < end && !stop_requested_;
        };
        auto after = [&](std::int64_t i) {
            const auto [t0, W] = grid(i);
            finish_window(t0, W, width, config_.adaptive_threads && chosen, static_cast<int>(i & 1));
            chosen = chosen_next;
        };
        I.team->run_windows(shards_, width, body, more, after);
    };
    const bool one_barrier = one_barrier_windows(e);
    while (step_ < end) {
        if (stop_requested_) {
            stopped_early_ = true;
            break;
        }
        const std::int64_t t0 = step_;
        const std::int64_t W = std::min(I.window - t0 % I.window, end - t0);
        const int width = config_.adaptive_threads ? I.width.next() : I.team->size();
        I.recorders.begin_window(t0, W);
        if (shards_ == 1) {
            phases(0, t0, W);
        } else if (width > 1 && one_barrier) {
            run_one_barrier_windows(width);
            if (config_.adaptive_threads && I.width.next() == 1 && I.width.current() == 1) I.team->rest();
            continue;
        } else {
            I.team->run(shards_, width, phases, t0, W);
        }
        finish_window(t0, W, width, config_.adaptive_threads, -1);
        // A probe of all threads is over and one thread stays: the workers sleep until the
        // next probe instead of spinning (on a busy machine, CPU taken from the caller).
        if (config_.adaptive_threads && width > 1 && I.width.next() == 1 && I.width.current() == 1) I.team->rest();
    }
    detail::end_run(e, step_ - 1);
    // Deferred plastic rules are not flushed here: weights() and synapses(), weight recorders,
    // checkpoints and set_weights() flush before they read, and a full spike history flushes its
    // shard (plastic_rule.hpp); next_flush is kept only for the checkpoint format. A flush scans
    // every synapse of the projection, which short runs (an agent's 100 ms observations) would
    // otherwise pay each time.
}

} // namespace lamina::sim
