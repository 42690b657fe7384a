#pragma once
// Chooses how many threads run the shards of the next window: all the team's threads or only the
// caller. Results never depend on it (the shard layout is fixed at build; a shard gives the same
// bits on any thread), so the choice can follow measured cost alone.
//
// Why: a window of a small network (W1, W2: one 0.1 ms step, a few microseconds of work) can cost
// less on one thread than the hand-offs of two, and on a loaded machine a window that needs two
// threads on a CPU at once can wait milliseconds for the second. Measuring beats predicting both.
//
// How (explore, then exploit with doubling periods): the chooser runs a block of windows at the
// current width, then a probe block at the other width, and compares the cost per step of the two
// adjacent blocks (the same network activity, the same machine load). It switches when the probe
// was cheaper by more than `switch_margin`; each confirmation doubles the time until the next
// probe (from min_periods to max_periods blocks). It probes at once when the current width's last
// block cost more per step than the other width did when last measured; a block ends early when
// it costs twice the one before, so a load that appears is noticed within about two blocks.
// Blocks hold enough windows for about `block_ns` of work (min_block to max_block windows), so
// cheap windows are compared over many. Costly ones are still compared over at least 64: the
// microcircuit's windows (about 0.7 ms) swing 0.6-1.5x with network activity from one to the next,
// and on a shared machine a wide window now and then waits milliseconds for a preempted worker;
// over blocks of 4 windows such noise, not the width, decided, and the chooser ran 11-78 % of the
// microcircuit's windows on one thread although two were cheaper on average (a synthetic version
// of it is in test_thread_team: 150 switches and 1.07x the cost of always wide with blocks of 4,
// 4 switches and 1.03x with 64).
//
// What probing may cost: a probe stops once it has cost `probe_abort` blocks more than the current
// width would have, but one window of a pathological width can cost milliseconds (two threads on a
// loaded machine: a worker preempted inside its share). So probes draw on a budget: what a probe
// cost beyond the current width is debited, `probe_budget` of all time run is credited, and a
// probe starts only when the balance is not negative. Probing thus costs at most about
// probe_budget of the run time, plus one probe, whatever the load.
#include <algorithm>
#include <cstdint>

namespace lamina::sim {

class width_chooser {
public:
    static constexpr std::int64_t block_ns = 500'000;
    static constexpr std::int64_t min_block = 64, max_block = 256;
    static constexpr std::int64_t min_periods = 4, max_periods = 256;
    static constexpr double switch_margin = 0.03;
    static constexpr double probe_abort = 0.5;
    static constexpr double probe_budget = 0.02;

    // widest: the team's size (>= 1). start: the width of the first windows.
    explicit width_chooser(int widest = 1) : widest_(std::max(1, widest)), current_(widest_) {}

    int widest() const noexcept { return widest_; }
    // Width for the next window.
    int next() const noexcept { return probing_ ? other() : current_; }
    // The cost of a window just run at width `width` (the value next() returned): wall time in ns
    // and its number of steps.
    void record(int width, std::int64_t ns, std::int64_t steps) noexcept {
        count(width);
        if (widest_ == 1) return;
        ns = std::max<std::int64_t>(ns, 0);
        steps = std::max<std::int64_t>(steps, 1);
        if (!probing_) {
            credit_ = std::min(credit_ + probe_budget * double(ns), double(block_ns));
            // The last block of the current width is the baseline a probe is compared with. A
            // block ends after block_ windows, or early once it has cost twice the block before
            // (load appeared).
            block_ns_sum_ += ns;
            block_steps_ += steps;
            ++block_windows_;
            const bool surge = base_ns_ > 0 && block_ns_sum_ > 2 * base_ns_;
            if (block_windows_ < block_ && !surge) return;
            base_ns_ = block_ns_sum_;
            base_steps_ = block_steps_;
            block_ = std::clamp<std::int64_t>(block_ns * block_windows_ / std::max<std::int64_t>(block_ns_sum_, 1),
                                              min_block, max_block);
            block_ns_sum_ = block_steps_ = block_windows_ = 0;
            // Probe when the period is over, or at once when the current width now costs more
            // than the other did when last measured.
            const double per_step = double(base_ns_) / double(base_steps_);
            const bool due = ++blocks_ >= period_ || (other_per_step_ > 0.0 && per_step > (1.0 + switch_margin) * other_per_step_);
            if (due && credit_ >= 0.0) {
                blocks_ = 0;
                probing_ = true;
            }
            return;
        }
        probe_ns_ += ns;
        probe_steps_ += steps;
        ++probe_windows_;
        const double base_per_step = double(base_ns_) / double(std::max<std::int64_t>(base_steps_, 1));
        const bool too_costly = double(probe_ns_) - base_per_step * double(probe_steps_) > probe_abort * double(base_ns_);
        if (probe_windows_ < block_ && !too_costly) return;
        const double probe_per_step = double(probe_ns_) / double(probe_steps_);
        credit_ -= std::max(0.0, double(probe_ns_) - base_per_step * double(probe_steps_));
        if (probe_per_step < (1.0 - switch_margin) * base_per_step) {
            current_ = other();
            other_per_step_ = base_per_step;
            period_ = min_periods;
            ++switches_;
        } else {
            other_per_step_ = probe_per_step;
            period_ = std::min(period_ * 2, max_periods);
        }
        probing_ = false;
        probe_ns_ = probe_steps_ = probe_windows_ = 0;
    }

    // Counts a window without learning from it (a width chosen elsewhere).
    void count(int width) noexcept {
        if (width <= 1) ++narrow_windows_;
        else ++wide_windows_;
    }

    int current() const noexcept { return current_; }
    std::uint64_t narrow_windows() const noexcept { return narrow_windows_; }
    std::uint64_t wide_windows() const noexcept { return wide_windows_; }
    std::uint64_t switches() const noexcept { return switches_; }

private:
    int other() const noexcept { return current_ == 1 ? widest_ : 1; }

    int widest_;
    int current_;
    bool probing_ = false;
    std::int64_t block_ = 16;  // windows per block; adapted to the measured cost
    std::int64_t period_ = 1;  // blocks of the current width before the next probe (first probe early)
    std::int64_t blocks_ = 0;
    std::int64_t block_ns_sum_ = 0, block_steps_ = 0, block_windows_ = 0;
    std::int64_t base_ns_ = 0, base_steps_ = 0;
    std::int64_t probe_ns_ = 0, probe_steps_ = 0, probe_windows_ = 0;
    double credit_ = 0.0;          // ns of probing excess still affordable (see probe_budget)
    double other_per_step_ = 0.0;  // the other width's cost per step when last measured (0: never)
    std::uint64_t narrow_windows_ = 0, wide_windows_ = 0, switches_ = 0;
};

} // namespace lamina::sim
