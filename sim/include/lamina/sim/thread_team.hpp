#pragma once
// A persistent team of threads for the engine's fork-join regions: the caller and up to
// `size() - 1` workers run a region's tasks, task t on participant t % width (static, so a shard's
// data stays on one core). A network makes one team and keeps it for its lifetime.
//
// Why not a oneTBB parallel_for per region: W1 and W2 have a window of one 0.1 ms step, 3-5 us of
// work, and a task_arena::execute + parallel_for costs more than that. Here a region costs what
// the hardware cannot avoid: one cache line from the caller to each worker (the offer, which
// carries the whole region: function, context, task count and two arguments) and one line back
// (the worker's state word). Nothing else is written by both sides in a region; counters each
// side keeps live on lines the other never reads.
//
// A region never waits for a thread that has not started: the caller offers each worker its
// share, runs its own, then withdraws every offer not yet taken and runs that share itself. So a
// worker that sleeps, or waits for a CPU on a loaded machine, costs the region nothing but the
// offer; the caller waits only for shares in progress.
//
// Waiting is spin-then-sleep (Karlin, Li, Manasse & Owicki 1991, "Empirical studies of competitive
// spinning"), with the spin budget set by the machine's load rather than by wake-up latency: on a
// core nobody else wants, spinning costs nothing, while falling asleep costs the region a whole
// share (the caller withdraws it) and a futex wake; on a core somebody else wants, every spun
// microsecond is taken from them. A spinner reads the clock every few pauses, and a gap of more
// than `preemption_gap_ns` between two readings means it was descheduled: someone else wanted
// the core. Then it sleeps at once and the team's budget drops to min_spin; each wait that ends
// without such a gap lets the budget grow back by an eighth, up to max_spin. Sleeping is a futex
// wait (Linux; std::atomic wait elsewhere). Threads of all teams of the process that spin beyond
// the first `quick_spin_ns` never outnumber the cores this process may use: a waiter that would
// exceed it sleeps at once (four spinning threads on two cores made a step 30x slower).
//
// Workers beyond the cores the process may use are never started: a team asked for more threads
// than cores has size() = cores and runs the extra tasks on the participants it has.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <thread>
#include <type_traits>

namespace lamina::sim {

// Cores this process may run on (its affinity mask, else hardware_concurrency), at least 1.
int usable_cores() noexcept;

class thread_team {
public:
    static constexpr std::int64_t min_spin_ns = 5'000;
    static constexpr std::int64_t max_spin_ns = 200'000;
    static constexpr std::int64_t quick_spin_ns = 2'000;
    static constexpr std::int64_t preemption_gap_ns = 30'000;

    // `threads` participants wanted, caller included (>= 1); the team has min(threads, cores).
    explicit thread_team(int threads);
    ~thread_team();
    thread_team(const thread_team&) = delete;
    thread_team& operator=(const thread_team&) = delete;

    int size() const noexcept { return size_; }

    // Runs body(t) for every t in [0, tasks) on at most min(width, size(), tasks) participants
    // (participant p's share is p, p + width, ...; the caller runs the shares of workers that had
    // not taken them when it finished its own) and returns when all are done. An exception thrown
    // by a task is rethrown here (the first participant's, in participant order) after every
    // participant has finished.
    template <class Body>
    void run(std::size_t tasks, int width, Body&& body) {
        using B = std::remove_reference_t<Body>;
        run_erased(tasks, width, [](void* ctx, std::size_t t, std::int64_t, std::int64_t) { (*static_cast<B*>(ctx))(t); },
                   const_cast<void*>(static_cast<const void*>(&body)), 0, 0);
    }
    // The same with body(t, a, b): the two arguments travel in the offer's cache line, so a body
    // made once and run region after region with changing arguments (the schedule's windows:
    // first step and length) costs the workers no other line written by the caller.
    template <class Body>
    void run(std::size_t tasks, int width, Body& body, std::int64_t a, std::int64_t b) {
        run_erased(tasks, width,
                   [](void* ctx, std::size_t t, std::int64_t x, std::int64_t y) { (*static_cast<Body*>(ctx))(t, x, y); },
                   const_cast<void*>(static_cast<const void*>(&body)), a, b);
    }

    // Runs a sequence of windows as one region with one barrier per window instead of a hand-off
    // there and back: body(t, i, p) runs task t of window i (i = 0, 1, ...) on participant p
    // (= t % width, as in run()). Between windows every participant waits only until all have
    // finished the window (each writes its own arrival line and reads the others'); then the
    // workers go straight on with window i + 1 while the caller runs after(i) (the schedule's
    // serial part) and then its own tasks of window i + 1. So after(i) must touch nothing that
    // window i + 1's tasks read or write, and window i + 1's tasks must not read window i's
    // results that window i + 2 overwrites (double buffers).
    // more(i), called by the caller after its tasks of window i and before the barrier, says
    // whether window i + 1 follows. A worker that had not taken its share by the end of window 0
    // has it withdrawn: the caller runs it, and the region ends after window 0. An exception in
    // a task ends the region after its window (after(i) is skipped) and is rethrown here; one in
    // after(i) ends it after window i + 1. Returns the number of windows run.
    template <class Body, class More, class After>
    std::int64_t run_windows(std::size_t tasks, int width, Body& body, More& more, After& after) {
        window_calls c;
        c.body = [](void* ctx, std::size_t t, std::int64_t i, std::int64_t p) { (*static_cast<Body*>(ctx))(t, i, p); };
        c.body_ctx = &body;
        c.more = [](void* ctx, std::int64_t i) { return static_cast<bool>((*static_cast<More*>(ctx))(i)); };
        c.more_ctx = &more;
        c.after = [](void* ctx, std::int64_t i) { (*static_cast<After*>(ctx))(i); };
        c.after_ctx = &after;
        return run_windows_erased(tasks, width, c);
    }

    // Tells the workers that no region follows soon (the schedule settled on one thread): they
    // sleep now instead of spinning out their budget, which on a busy machine is CPU taken from
    // the caller and from everyone else. The next region wakes them.
    void rest() noexcept;

    // What the team has done (for statistics, benchmarks and tests).
    struct counters {
        std::uint64_t regions = 0;          // regions run with more than one participant
        std::uint64_t worker_sleeps = 0;    // times a worker slept waiting for work
        std::uint64_t caller_sleeps = 0;    // times the caller slept waiting for a worker
        std::uint64_t withdrawn = 0;        // shares the caller ran itself: their worker had not started
        std::uint64_t preemptions = 0;      // spins cut short by a clock gap (a descheduled spinner)
        std::uint64_t rested = 0;           // worker spins ended by rest()
        std::uint64_t caller_wait_ns = 0;   // the caller's wall time waiting for shares in progress
        std::uint64_t worker_wait_ns = 0;   // the workers' wall time spinning for the next offer
        std::uint64_t window_regions = 0;   // run_windows regions with more than one participant
        std::uint64_t barrier_windows = 0;  // windows those regions ran (one barrier each)
    };
    counters statistics() const noexcept;
    // The spin budget after a wait that started with `budget`: the minimum after evidence of
    // preemption, else an eighth more, up to the maximum. Whether the wait ended within the budget
    // does not matter: a wait that outlasted it without a gap is no evidence of load, and counting
    // only waits that ended in time would keep a team whose waits all exceed the minimum (the
    // microcircuit's windows: imbalance and serial phase of some 10-50 us) at the minimum after a
    // single preemption, its workers asleep and woken in every region.
    static constexpr std::int64_t next_spin_budget(std::int64_t budget, bool preempted) noexcept {
        return preempted ? min_spin_ns : std::min(max_spin_ns, budget + budget / 8);
    }
    // The current spin budget in ns (shared by the team's waiters).
    std::int64_t spin_budget_ns() const noexcept { return spin_ns_.load(std::memory_order_relaxed); }

private:
    using task_fn = void (*)(void*, std::size_t, std::int64_t, std::int64_t);
    // A worker's state word: (region sequence << 2) | what happened to that region's share. The
    // worker takes a share and the caller withdraws it by compare-and-swap from the previous
    // region's word, so exactly one of the two runs it.
    static constexpr std::uint32_t taken = 1, done = 2, withdrawn = 3;
    struct alignas(64) offer_line {  // written by the caller only
        std::atomic<std::uint32_t> seq{0};
        std::atomic<task_fn> fn{nullptr};
        std::atomic<void*> ctx{nullptr};
        std::atomic<std::size_t> tasks{0};
        std::atomic<std::int64_t> a{0}, b{0};
        std::atomic<int> width{1};
        std::atomic<std::uint32_t> rest{0};  // the last region before the caller called rest()
        std::atomic<std::uint32_t> windowed{0};  // 1: the region is a run_windows sequence
        std::atomic<std::uint32_t> window_base{0};  // its first window's barrier number
    };
    // A participant's barrier word in run_windows, (barrier number << 2) | flags, written by
    // that participant only (the caller's is slots_[0]'s).
    static constexpr std::uint32_t arrival_more = 1, arrival_failed = 2;
    struct alignas(64) arrival_line {
        std::atomic<std::uint32_t> word{0};
        std::atomic<std::uint32_t> sleepers{0};  // participants asleep on `word`
    };
    struct alignas(64) state_line {  // written by the worker (and by the caller to withdraw)
        std::atomic<std::uint32_t> state{0};
    };
    struct alignas(64) rare_line {  // written only when someone sleeps or a task throws
        std::atomic<std::uint32_t> worker_sleeping{0};  // 1 while the worker sleeps on `seq`
        std::atomic<std::uint32_t> caller_sleeping{0};  // 1 while the caller sleeps on `state`
        std::exception_ptr error;
    };
    struct alignas(64) worker_counters {  // the worker's own
        std::atomic<std::uint64_t> sleeps{0}, preemptions{0}, rested{0}, wait_ns{0};
    };
    struct worker_slot {
        offer_line offer;
        state_line state;
        rare_line rare;
        worker_counters own;
        arrival_line arrival;
        bool withdrawn_from_windows = false;  // the caller's note: this region's share was withdrawn
        std::thread thread;
    };

    struct window_calls {
        task_fn body = nullptr;
        void* body_ctx = nullptr;
        bool (*more)(void*, std::int64_t) = nullptr;
        void* more_ctx = nullptr;
        void (*after)(void*, std::int64_t) = nullptr;
        void* after_ctx = nullptr;
    };
    void run_erased(std::size_t tasks, int width, task_fn fn, void* ctx, std::int64_t a, std::int64_t b);
    std::int64_t run_windows_erased(std::size_t tasks, int width, const window_calls& c);
    // A worker's part of a run_windows region (its share of every window, and the barriers).
    void worker_windows(int index, std::size_t tasks, int width, std::uint32_t base, const window_calls& c,
                        std::exception_ptr& error) noexcept;
    // Publishes this participant's arrival at a barrier and waits for the others'; returns the
    // OR of every participant's flags at that barrier.
    std::uint32_t barrier(int self, int width, std::uint32_t number, std::uint32_t flags, std::int64_t& waited_ns,
                          bool& preempted) noexcept;
    void worker_main(int index);
    void run_share(int participant, std::size_t tasks, int width, task_fn fn, void* ctx, std::int64_t a,
                   std::int64_t b, std::exception_ptr& error) noexcept;
    // Spins until ready() or the budget is spent (true if ready() became true); adapts the budget.
    template <class Ready>
    bool spin_until(Ready&& ready, std::int64_t& waited_ns, bool& preempted) noexcept;
    // The caller waits (spinning, then asleep) until worker slot s says `finished`, and takes the
    // slot's exception into `error` if it has none yet.
    void join_worker(worker_slot& s, std::uint32_t finished, std::exception_ptr& error) noexcept;

    int size_ = 1;
    std::unique_ptr<worker_slot[]> slots_;  // slots_[0] unused (the caller)
    // Read by the workers after every offer, written once: a line of its own (it shared one with
    // the caller's counters, which cost the workers a cache miss per region).
    alignas(64) std::atomic<bool> stopping_{false};
    // The caller's own counters.
    alignas(64) std::uint32_t seq_ = 0;
    std::uint64_t regions_ = 0;
    std::uint64_t caller_sleeps_ = 0;
    std::uint64_t withdrawn_ = 0;
    std::uint64_t caller_preemptions_ = 0;
    std::uint64_t caller_wait_ns_ = 0;
    std::uint64_t window_regions_ = 0;
    std::uint64_t barrier_windows_ = 0;
    std::uint32_t barriers_ = 0;  // barrier numbers used so far (30 bits, wrapping)
    alignas(64) std::atomic<std::int64_t> spin_ns_{max_spin_ns};
};

} // namespace lamina::sim
