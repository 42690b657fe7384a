// The thread team: one offer line from the caller to each worker and one state line back,
// spin-then-sleep waiting with a budget set by evidence of preemption, and a process-wide cap on
// the number of threads spinning for long.
#include "lamina/sim/thread_team.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <utility>
#include <tbb/info.h>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace lamina::sim {

int usable_cores() noexcept {
    // oneTBB reads the affinity mask and cgroup limits; threads = 0 means the same number.
    return std::max(1, tbb::info::default_concurrency());
}

namespace {

std::int64_t now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

void sleep_while_equal(std::atomic<std::uint32_t>& word, std::uint32_t value) noexcept {
#if defined(__linux__)
    static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, value, nullptr, nullptr, 0);
#else
    word.wait(value);
#endif
}

void wake(std::atomic<std::uint32_t>& word) noexcept {
#if defined(__linux__)
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
#else
    word.notify_all();
#endif
}

// Threads of this process in the long phase of a spin right now, against the cores it may use.
// Only the long phase counts: the short waits of a busy team then touch no shared counter.
alignas(64) std::atomic<int> spinning{0};

// True if region sequence a comes after b (30-bit sequences that wrap).
bool later(std::uint32_t a, std::uint32_t b) noexcept {
    const std::uint32_t d = (a - b) & 0x3fffffffu;
    return d != 0 && d < 0x20000000u;
}

void add(std::atomic<std::uint64_t>& counter, std::uint64_t v) noexcept {
    // Only its owner writes it; others only read (statistics).
    counter.store(counter.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
}

} // namespace

template <class Ready>
bool thread_team::spin_until(Ready&& ready, std::int64_t& waited_ns, bool& preempted) noexcept {
    preempted = false;
    if (ready()) return true;
    static const int cores = usable_cores();
    const std::int64_t start = now_ns();
    const std::int64_t budget = spin_ns_.load(std::memory_order_relaxed);
    std::int64_t last = start;
    bool counted = false, ok = false;
    for (unsigned i = 1;; ++i) {
        if (ready()) {
            ok = true;
            break;
        }
        cpu_relax();
        if ((i & 15) != 0) continue;
        const std::int64_t t = now_ns();
        if (t - last > preemption_gap_ns) {
            // Descheduled while spinning: somebody else wants this core.
            preempted = true;
            ok = ready();
            break;
        }
        last = t;
        if (t - start > budget) break;
        if (!counted && t - start > quick_spin_ns) {
            if (spinning.fetch_add(1, std::memory_order_relaxed) >= cores) {
                spinning.fetch_sub(1, std::memory_order_relaxed);
                ok = ready();
                break;
            }
            counted = true;
        }
    }
    if (counted) spinning.fetch_sub(1, std::memory_order_relaxed);
    waited_ns = now_ns() - start;
    // The budget (next_spin_budget), written only when it changes: both sides read it every region.
    const std::int64_t next = next_spin_budget(budget, preempted);
    if (next != budget) spin_ns_.store(next, std::memory_order_relaxed);
    return ok;
}

thread_team::thread_team(int threads)
    : size_(std::clamp(threads, 1, usable_cores())), slots_(std::make_unique<worker_slot[]>(std::size_t(size_))) {
    for (int w = 1; w < size_; ++w) slots_[w].thread = std::thread([this, w] { worker_main(w); });
}

thread_team::~thread_team() {
    stopping_.store(true, std::memory_order_seq_cst);
    ++seq_;
    for (int w = 1; w < size_; ++w) {
        auto& s = slots_[w];
        s.offer.seq.store(seq_, std::memory_order_seq_cst);
        wake(s.offer.seq);
        s.thread.join();
    }
}

thread_team::counters thread_team::statistics() const noexcept {
    counters c;
    c.regions = regions_;
    c.caller_sleeps = caller_sleeps_;
    c.withdrawn = withdrawn_;
    c.preemptions = caller_preemptions_;
    c.caller_wait_ns = caller_wait_ns_;
    c.window_regions = window_regions_;
    c.barrier_windows = barrier_windows_;
    for (int w = 1; w < size_; ++w) {
        c.worker_sleeps += slots_[w].own.sleeps.load(std::memory_order_relaxed);
        c.preemptions += slots_[w].own.preemptions.load(std::memory_order_relaxed);
        c.rested += slots_[w].own.rested.load(std::memory_order_relaxed);
        c.worker_wait_ns += slots_[w].own.wait_ns.load(std::memory_order_relaxed);
    }
    return c;
}

void thread_team::run_share(int participant, std::size_t tasks, int width, task_fn fn, void* ctx, std::int64_t a,
                            std::int64_t b, std::exception_ptr& error) noexcept {
    try {
        for (std::size_t t = static_cast<std::size_t>(participant); t < tasks; t += static_cast<std::size_t>(width))
            fn(ctx, t, a, b);
    } catch (...) {
        error = std::current_exception();
    }
}

void thread_team::worker_main(int index) {
    auto& s = slots_[index];
    std::uint32_t seen = 0;  // the last region this worker looked at
    for (;;) {
        std::uint32_t seq = s.offer.seq.load(std::memory_order_acquire);
        if (seq == seen) {
            std::int64_t waited = 0;
            bool preempted = false;
            // Ends on an offer, or at once when the caller said none follows soon (then sleep).
            const bool got = spin_until(
                [&] {
                    seq = s.offer.seq.load(std::memory_order_acquire);
                    return seq != seen || s.offer.rest.load(std::memory_order_relaxed) == seen;
                },
                waited, preempted);
            add(s.own.wait_ns, static_cast<std::uint64_t>(waited));
            if (preempted) add(s.own.preemptions, 1);
            if (got && seq == seen && seen != 0) add(s.own.rested, 1);  // (before the first region it is the start)
            if (!got || seq == seen) {
                // Announce the sleep before the last look, so an offer either is seen here or
                // sees the announcement (both sides are sequentially consistent).
                s.rare.worker_sleeping.store(1, std::memory_order_seq_cst);
                while ((seq = s.offer.seq.load(std::memory_order_seq_cst)) == seen) sleep_while_equal(s.offer.seq, seq);
                s.rare.worker_sleeping.store(0, std::memory_order_relaxed);
                add(s.own.sleeps, 1);
            }
        }
        seen = seq;
        if (stopping_.load(std::memory_order_acquire)) return;
        // Take the share unless the caller withdrew it (or a later one) meanwhile; then wait for
        // the next offer.
        std::uint32_t st = s.state.state.load(std::memory_order_relaxed);
        if (!later(seq, st >> 2)) continue;
        if (!s.state.state.compare_exchange_strong(st, (seq << 2) | taken, std::memory_order_acq_rel)) continue;
        std::exception_ptr error;
        if (s.offer.windowed.load(std::memory_order_relaxed))
            worker_windows(index, s.offer.tasks.load(std::memory_order_relaxed), s.offer.width.load(std::memory_order_relaxed),
                           s.offer.window_base.load(std::memory_order_relaxed),
                           *static_cast<const window_calls*>(s.offer.ctx.load(std::memory_order_relaxed)), error);
        else
            run_share(index, s.offer.tasks.load(std::memory_order_relaxed), s.offer.width.load(std::memory_order_relaxed),
                      s.offer.fn.load(std::memory_order_relaxed), s.offer.ctx.load(std::memory_order_relaxed),
                      s.offer.a.load(std::memory_order_relaxed), s.offer.b.load(std::memory_order_relaxed), error);
        if (error) s.rare.error = error;
        s.state.state.store((seq << 2) | done, std::memory_order_seq_cst);
        if (s.rare.caller_sleeping.load(std::memory_order_seq_cst)) wake(s.state.state);
    }
}

void thread_team::rest() noexcept {
    for (int p = 1; p < size_; ++p) slots_[p].offer.rest.store(seq_, std::memory_order_relaxed);
}

void thread_team::run_erased(std::size_t tasks, int width, task_fn fn, void* ctx, std::int64_t a, std::int64_t b) {
    const int w = static_cast<int>(std::min<std::size_t>({static_cast<std::size_t>(std::max(width, 1)),
                                                         static_cast<std::size_t>(size_), std::max<std::size_t>(tasks, 1)}));
    if (w <= 1) {
        for (std::size_t t = 0; t < tasks; ++t) fn(ctx, t, a, b);
        return;
    }
    ++regions_;
    // Sequences live in 30 bits of the state word; 0 is never a region's.
    seq_ = (seq_ + 1) & 0x3fffffffu;
    if (seq_ == 0) seq_ = 1;
    const std::uint32_t seq = seq_;
    for (int p = 1; p < w; ++p) {
        auto& o = slots_[p].offer;
        o.fn.store(fn, std::memory_order_relaxed);
        o.ctx.store(ctx, std::memory_order_relaxed);
        o.tasks.store(tasks, std::memory_order_relaxed);
        o.width.store(w, std::memory_order_relaxed);
        o.a.store(a, std::memory_order_relaxed);
        o.b.store(b, std::memory_order_relaxed);
        o.windowed.store(0, std::memory_order_relaxed);
        o.seq.store(seq, std::memory_order_seq_cst);
        if (slots_[p].rare.worker_sleeping.load(std::memory_order_seq_cst)) wake(o.seq);
    }
    std::exception_ptr first;
    run_share(0, tasks, w, fn, ctx, a, b, first);
    for (int p = 1; p < w; ++p) {
        auto& s = slots_[p];
        std::uint32_t st = s.state.state.load(std::memory_order_acquire);
        if ((st >> 2) != seq && s.state.state.compare_exchange_strong(st, (seq << 2) | withdrawn, std::memory_order_acq_rel)) {
            // The worker had not started: its share runs here.
            ++withdrawn_;
            std::exception_ptr error;
            run_share(p, tasks, w, fn, ctx, a, b, error);
            if (error && !first) first = error;
            continue;
        }
        join_worker(s, (seq << 2) | done, first);
    }
    if (first) std::rethrow_exception(first);
}

void thread_team::join_worker(worker_slot& s, std::uint32_t finished, std::exception_ptr& error) noexcept {
    if (s.state.state.load(std::memory_order_acquire) != finished) {
        std::int64_t waited = 0;
        bool preempted = false;
        const bool ok =
            spin_until([&] { return s.state.state.load(std::memory_order_acquire) == finished; }, waited, preempted);
        caller_wait_ns_ += static_cast<std::uint64_t>(waited);
        caller_preemptions_ += preempted;
        if (!ok) {
            s.rare.caller_sleeping.store(1, std::memory_order_seq_cst);
            for (std::uint32_t d; (d = s.state.state.load(std::memory_order_seq_cst)) != finished;)
                sleep_while_equal(s.state.state, d);
            s.rare.caller_sleeping.store(0, std::memory_order_relaxed);
            ++caller_sleeps_;
        }
    }
    if (s.rare.error) {
        auto e = std::exchange(s.rare.error, nullptr);
        if (!error) error = e;
    }
}

std::uint32_t thread_team::barrier(int self, int width, std::uint32_t number, std::uint32_t flags, std::int64_t& waited_ns,
                                   bool& preempted) noexcept {
    number &= 0x3fffffffu;
    auto& mine = slots_[self].arrival;
    mine.word.store((number << 2) | flags, std::memory_order_seq_cst);
    if (mine.sleepers.load(std::memory_order_seq_cst)) wake(mine.word);
    std::uint32_t all = flags;
    for (int p = 0; p < width; ++p) {
        if (p == self) continue;
        auto& other = slots_[p].arrival;
        // The other may already have passed this barrier and arrived at the next one (it saw this
        // participant's arrival), never further: arrived means at this barrier or the next.
        auto ahead = [&](std::uint32_t word) { return ((word >> 2) - number) & 0x3fffffffu; };
        auto arrived = [&] { return ahead(other.word.load(std::memory_order_acquire)) <= 1; };
        if (!arrived()) {
            std::int64_t waited = 0;
            bool pre = false;
            const bool ok = spin_until(arrived, waited, pre);
            waited_ns += waited;
            preempted = preempted || pre;
            if (!ok) {
                // Announce the sleep before the last look (both sides sequentially consistent).
                other.sleepers.fetch_add(1, std::memory_order_seq_cst);
                for (std::uint32_t d; ahead(d = other.word.load(std::memory_order_seq_cst)) > 1;)
                    sleep_while_equal(other.word, d);
                other.sleepers.fetch_sub(1, std::memory_order_relaxed);
            }
        }
        // Its flags at this barrier; one that went on to the next had none but the caller's
        // `more` (without it there is no next window, and a participant that failed stops).
        const std::uint32_t word = other.word.load(std::memory_order_acquire);
        all |= ahead(word) == 0 ? (word & 3u) : (p == 0 ? arrival_more : 0u);
    }
    return all;
}

void thread_team::worker_windows(int index, std::size_t tasks, int width, std::uint32_t base, const window_calls& c,
                                 std::exception_ptr& error) noexcept {
    auto& s = slots_[index];
    for (std::int64_t i = 0;; ++i) {
        if (!error) {
            try {
                for (std::size_t t = static_cast<std::size_t>(index); t < tasks; t += static_cast<std::size_t>(width))
                    c.body(c.body_ctx, t, i, index);
            } catch (...) {
                error = std::current_exception();
            }
        }
        std::int64_t waited = 0;
        bool preempted = false;
        const std::uint32_t all =
            barrier(index, width, base + static_cast<std::uint32_t>(i), error ? arrival_failed : 0u, waited, preempted);
        add(s.own.wait_ns, static_cast<std::uint64_t>(waited));
        if (preempted) add(s.own.preemptions, 1);
        if (!(all & arrival_more) || (all & arrival_failed)) return;
    }
}

std::int64_t thread_team::run_windows_erased(std::size_t tasks, int width, const window_calls& c) {
    const int w = static_cast<int>(std::min<std::size_t>({static_cast<std::size_t>(std::max(width, 1)),
                                                         static_cast<std::size_t>(size_), std::max<std::size_t>(tasks, 1)}));
    if (w <= 1) {
        for (std::int64_t i = 0;; ++i) {
            for (std::size_t t = 0; t < tasks; ++t) c.body(c.body_ctx, t, i, 0);
            const bool more = c.more(c.more_ctx, i);
            c.after(c.after_ctx, i);
            if (!more) return i + 1;
        }
    }
    ++regions_;
    ++window_regions_;
    seq_ = (seq_ + 1) & 0x3fffffffu;
    if (seq_ == 0) seq_ = 1;
    const std::uint32_t seq = seq_;
    const std::uint32_t base = (barriers_ + 1) & 0x3fffffffu;
    for (int p = 1; p < w; ++p) {
        auto& o = slots_[p].offer;
        o.fn.store(nullptr, std::memory_order_relaxed);
        o.ctx.store(const_cast<void*>(static_cast<const void*>(&c)), std::memory_order_relaxed);
        o.tasks.store(tasks, std::memory_order_relaxed);
        o.width.store(w, std::memory_order_relaxed);
        o.windowed.store(1, std::memory_order_relaxed);
        o.window_base.store(base, std::memory_order_relaxed);
        o.seq.store(seq, std::memory_order_seq_cst);
        if (slots_[p].rare.worker_sleeping.load(std::memory_order_seq_cst)) wake(o.seq);
    }
    std::exception_ptr failed;  // a task's (ends the region after its window)
    std::exception_ptr later;   // more()'s or after()'s (ends it after the next window)
    for (int p = 1; p < w; ++p) slots_[p].withdrawn_from_windows = false;
    std::int64_t i = 0;
    for (;; ++i) {
        if (!failed) {
            try {
                for (std::size_t t = 0; t < tasks; t += static_cast<std::size_t>(w)) c.body(c.body_ctx, t, i, 0);
            } catch (...) {
                failed = std::current_exception();
            }
        }
        bool more = false;
        if (!failed && !later) {
            try {
                more = c.more(c.more_ctx, i);
            } catch (...) {
                later = std::current_exception();
            }
        }
        if (i == 0) {
            // Workers that have not started: their shares of window 0 run here, their arrivals
            // are written for them, and the region ends after this window.
            for (int p = 1; p < w; ++p) {
                auto& s = slots_[p];
                std::uint32_t st = s.state.state.load(std::memory_order_acquire);
                if ((st >> 2) == seq ||
                    !s.state.state.compare_exchange_strong(st, (seq << 2) | withdrawn, std::memory_order_acq_rel))
                    continue;
                s.withdrawn_from_windows = true;
                ++withdrawn_;
                more = false;
                if (!failed) {
                    try {
                        for (std::size_t t = static_cast<std::size_t>(p); t < tasks; t += static_cast<std::size_t>(w))
                            c.body(c.body_ctx, t, 0, p);
                    } catch (...) {
                        failed = std::current_exception();
                    }
                }
                s.arrival.word.store((base << 2) | (failed ? arrival_failed : 0u), std::memory_order_seq_cst);
                if (s.arrival.sleepers.load(std::memory_order_seq_cst)) wake(s.arrival.word);
            }
        }
        std::int64_t waited = 0;
        bool preempted = false;
        const std::uint32_t all = barrier(0, w, base + static_cast<std::uint32_t>(i),
                                          (more ? arrival_more : 0u) | (failed ? arrival_failed : 0u), waited, preempted);
        caller_wait_ns_ += static_cast<std::uint64_t>(waited);
        caller_preemptions_ += preempted;
        ++barrier_windows_;
        if (all & arrival_failed) break;
        if (!later) {
            try {
                c.after(c.after_ctx, i);
            } catch (...) {
                later = std::current_exception();
            }
        }
        if (!more) break;
    }
    barriers_ = (base + static_cast<std::uint32_t>(i)) & 0x3fffffffu;
    // The workers leave after the last barrier; wait until each has said so.
    for (int p = 1; p < w; ++p) {
        if (slots_[p].withdrawn_from_windows) continue;
        join_worker(slots_[p], (seq << 2) | done, failed);
    }
    if (failed) std::rethrow_exception(failed);
    if (later) std::rethrow_exception(later);
    return i + 1;
}

} // namespace lamina::sim
