#pragma once
// A persistent team of threads for the engine's fork-join regions: the caller and up to
// `size() - 1` workers run a region's tasks, task t on participant t % width (static, so a shard's
// data stays on one core). A network makes one team and keeps it for its lifetime.
//
// Why not a oneTBB parallel_for per region: W1 and W2 have a window of one 0.1 ms step, 3-5 us of
// work, and a task_arena::execute + parallel_for costs more than that. Here a region costs two
// cache-line hand-offs when the workers are awake.
//
// A region never waits for a thread that has not started: the caller offers each worker its
// share, runs its own, then withdraws every offer not yet taken and runs that share itself. So a
// worker that sleeps, or waits for a CPU on a loaded machine, costs the region nothing but the
// offer; the caller waits only for shares in progress.
//
// Waiting is spin-then-sleep (Karlin, Li, Manasse & Owicki 1991, "Empirical studies of competitive
// spinning"): a waiter spins, with pause instructions, for about as long as a sleep and wake-up
// costs, then sleeps on a futex (Linux; std::atomic wait elsewhere). That bound makes waiting at
// most about twice as costly as the best choice made with hindsight, whatever the machine's load.
// The budget adapts: it is the moving average of the measured wake-up latency (release to
// resumption of a sleeping worker), clamped to [min_spin, max_spin]. Threads of all teams of the
// process that spin at the same time never outnumber the cores this process may use: a waiter that
// would exceed it sleeps at once (four spinning threads on two cores made a step 30x slower).
//
// Workers beyond the cores the process may use are never started: a team asked for more threads
// than cores has size() = cores and runs the extra tasks on the participants it has.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <thread>
#include <vector>

namespace lamina::sim {

// Cores this process may run on (its affinity mask, else hardware_concurrency), at least 1.
int usable_cores() noexcept;

class thread_team {
public:
    static constexpr std::int64_t min_spin_ns = 2'000;
    static constexpr std::int64_t max_spin_ns = 200'000;

    // `threads` participants wanted, caller included (>= 1); the team has min(threads, cores).
    explicit thread_team(int threads);
    ~thread_team();
    thread_team(const thread_team&) = delete;
    thread_team& operator=(const thread_team&) = delete;

    int size() const noexcept { return size_; }

    // Runs body(t) for every t in [0, tasks) on at most min(width, size(), tasks) participants
    // (participant p's share is p, p + width, ...; the caller runs the shares of workers that had
    // not taken them when it finished its own) and returns when all are done. An exception thrown by a task is rethrown here (the first
    // participant's, in participant order) after every participant has finished.
    template <class Body>
    void run(std::size_t tasks, int width, Body&& body) {
        using B = std::remove_reference_t<Body>;
        run_erased(tasks, width, [](void* ctx, std::size_t t) { (*static_cast<B*>(ctx))(t); },
                   const_cast<void*>(static_cast<const void*>(&body)));
    }

    // What the team has done (for statistics and tests).
    struct counters {
        std::uint64_t regions = 0;        // regions run with more than one participant
        std::uint64_t worker_sleeps = 0;  // times a worker slept waiting for work
        std::uint64_t caller_sleeps = 0;  // times the caller slept waiting for a worker
        std::uint64_t withdrawn = 0;      // shares the caller ran itself: their worker had not started
    };
    counters statistics() const noexcept;
    // The current spin budget in ns (shared by the team's waiters).
    std::int64_t spin_budget_ns() const noexcept { return spin_ns_.load(std::memory_order_relaxed); }

private:
    using task_fn = void (*)(void*, std::size_t);
    // A worker's offer word: (region sequence << 2) | state. Only the caller raises an offer;
    // the worker takes it, or the caller withdraws it, by compare-and-swap, so exactly one of the
    // two runs the worker's share.
    static constexpr std::uint32_t idle = 0, offered = 1, taken = 2;
    struct alignas(64) worker_slot {
        std::atomic<std::uint32_t> offer{0};
        std::atomic<std::uint32_t> worker_sleeps{0};  // 1 while the worker sleeps on `offer`
        alignas(64) std::atomic<std::uint32_t> done{0};  // sequence of the last share it finished
        std::atomic<std::uint32_t> caller_sleeps{0};     // 1 while the caller sleeps on `done`
        std::exception_ptr error;
        std::atomic<std::int64_t> released_at{0};  // steady-clock ns of the last offer
        std::uint64_t sleeps = 0;
        std::thread thread;
    };

    void run_erased(std::size_t tasks, int width, task_fn fn, void* ctx);
    void worker_main(int index);
    void run_share(int participant, std::exception_ptr& error) noexcept;
    void learn_wake_latency(std::int64_t ns) noexcept;

    int size_ = 1;
    std::unique_ptr<worker_slot[]> slots_;  // slots_[0] unused (the caller)
    // The current region, written by the caller before it raises `go`.
    std::size_t tasks_ = 0;
    int width_ = 1;
    task_fn fn_ = nullptr;
    void* ctx_ = nullptr;
    std::uint32_t region_ = 0;
    std::uint64_t regions_ = 0;
    std::uint64_t caller_sleeps_ = 0;
    std::uint64_t withdrawn_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<std::int64_t> spin_ns_{20'000};
};

} // namespace lamina::sim
