// The thread team: hand-off through one cache line per worker and direction, spin-then-sleep
// waiting with a budget learned from measured wake-up latencies, and a process-wide cap on the
// number of spinning threads.
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

// Threads of this process spinning right now, against the cores it may use.
std::atomic<int> spinning{0};

// Spins until ready() or the budget is spent; true if ready() became true. Spins not at all when
// as many threads of the process as it has cores already spin.
template <class Ready>
bool spin_until(Ready&& ready, std::int64_t budget_ns) noexcept {
    static const int cores = usable_cores();
    if (spinning.fetch_add(1, std::memory_order_relaxed) >= cores) {
        spinning.fetch_sub(1, std::memory_order_relaxed);
        return ready();
    }
    const std::int64_t start = now_ns();
    bool ok = false;
    for (unsigned i = 1;; ++i) {
        if (ready()) {
            ok = true;
            break;
        }
        cpu_relax();
        if ((i & 15) == 0 && now_ns() - start > budget_ns) break;
    }
    spinning.fetch_sub(1, std::memory_order_relaxed);
    return ok;
}

} // namespace

thread_team::thread_team(int threads)
    : size_(std::clamp(threads, 1, usable_cores())), slots_(std::make_unique<worker_slot[]>(std::size_t(size_))) {
    for (int w = 1; w < size_; ++w) slots_[w].thread = std::thread([this, w] { worker_main(w); });
}

thread_team::~thread_team() {
    stopping_.store(true, std::memory_order_seq_cst);
    for (int w = 1; w < size_; ++w) {
        auto& s = slots_[w];
        s.offer.store((((s.offer.load(std::memory_order_relaxed) >> 2) + 1) << 2) | offered, std::memory_order_seq_cst);
        wake(s.offer);
        s.thread.join();
    }
}

thread_team::counters thread_team::statistics() const noexcept {
    counters c;
    c.regions = regions_;
    c.caller_sleeps = caller_sleeps_;
    c.withdrawn = withdrawn_;
    for (int w = 1; w < size_; ++w) c.worker_sleeps += slots_[w].sleeps;
    return c;
}

void thread_team::learn_wake_latency(std::int64_t ns) noexcept {
    // A moving average over about eight wake-ups: spinning as long as a wake-up costs bounds the
    // waste of either choice.
    const std::int64_t old = spin_ns_.load(std::memory_order_relaxed);
    const std::int64_t next = std::clamp(old + (ns - old) / 8, min_spin_ns, max_spin_ns);
    spin_ns_.store(next, std::memory_order_relaxed);
}

void thread_team::run_share(int participant, std::exception_ptr& error) noexcept {
    try {
        for (std::size_t t = static_cast<std::size_t>(participant); t < tasks_; t += static_cast<std::size_t>(width_))
            fn_(ctx_, t);
    } catch (...) {
        error = std::current_exception();
    }
}

void thread_team::worker_main(int index) {
    auto& s = slots_[index];
    auto is_offer = [](std::uint32_t v) { return (v & 3u) == offered; };
    for (;;) {
        std::uint32_t v = s.offer.load(std::memory_order_acquire);
        if (!is_offer(v)) {
            const bool got = spin_until(
                [&] {
                    v = s.offer.load(std::memory_order_acquire);
                    return is_offer(v);
                },
                spin_ns_.load(std::memory_order_relaxed));
            if (!got) {
                // Announce the sleep before the last look, so an offer either is seen here or
                // sees the announcement (both sides are sequentially consistent).
                s.worker_sleeps.store(1, std::memory_order_seq_cst);
                bool slept = false;
                while (!is_offer(v = s.offer.load(std::memory_order_seq_cst))) {
                    sleep_while_equal(s.offer, v);
                    slept = true;
                }
                s.worker_sleeps.store(0, std::memory_order_relaxed);
                if (slept) {
                    ++s.sleeps;
                    learn_wake_latency(now_ns() - s.released_at.load(std::memory_order_relaxed));
                }
            }
        }
        if (stopping_.load(std::memory_order_acquire)) return;
        // Take the offer unless the caller withdrew it meanwhile (then wait for the next one).
        if (!s.offer.compare_exchange_strong(v, (v & ~3u) | taken, std::memory_order_acq_rel)) continue;
        std::exception_ptr error;
        run_share(index, error);
        s.error = error;
        s.done.store(v >> 2, std::memory_order_seq_cst);
        if (s.caller_sleeps.load(std::memory_order_seq_cst)) wake(s.done);
    }
}

void thread_team::run_erased(std::size_t tasks, int width, task_fn fn, void* ctx) {
    const int w = static_cast<int>(std::min<std::size_t>({static_cast<std::size_t>(std::max(width, 1)),
                                                         static_cast<std::size_t>(size_), std::max<std::size_t>(tasks, 1)}));
    if (w <= 1) {
        for (std::size_t t = 0; t < tasks; ++t) fn(ctx, t);
        return;
    }
    tasks_ = tasks;
    width_ = w;
    fn_ = fn;
    ctx_ = ctx;
    ++regions_;
    const std::int64_t released = now_ns();
    for (int p = 1; p < w; ++p) {
        auto& s = slots_[p];
        s.released_at.store(released, std::memory_order_relaxed);
        const std::uint32_t seq = (s.offer.load(std::memory_order_relaxed) >> 2) + 1;
        s.offer.store((seq << 2) | offered, std::memory_order_seq_cst);
        if (s.worker_sleeps.load(std::memory_order_seq_cst)) wake(s.offer);
    }
    std::exception_ptr first;
    run_share(0, first);
    for (int p = 1; p < w; ++p) {
        auto& s = slots_[p];
        const std::uint32_t seq = s.offer.load(std::memory_order_relaxed) >> 2;
        std::uint32_t expected = (seq << 2) | offered;
        if (s.offer.compare_exchange_strong(expected, (seq << 2) | idle, std::memory_order_acq_rel)) {
            // The worker had not started: its share runs here.
            ++withdrawn_;
            std::exception_ptr error;
            run_share(p, error);
            if (error && !first) first = error;
            continue;
        }
        auto finished = [&] { return s.done.load(std::memory_order_acquire) == seq; };
        if (!spin_until(finished, spin_ns_.load(std::memory_order_relaxed))) {
            s.caller_sleeps.store(1, std::memory_order_seq_cst);
            for (std::uint32_t d; (d = s.done.load(std::memory_order_seq_cst)) != seq;) sleep_while_equal(s.done, d);
            s.caller_sleeps.store(0, std::memory_order_relaxed);
            ++caller_sleeps_;
        }
        if (auto e = std::exchange(s.error, nullptr); e && !first) first = e;
    }
    if (first) std::rethrow_exception(first);
}

} // namespace lamina::sim
