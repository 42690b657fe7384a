// The thread team runs every task of a region exactly once, on as many threads as asked and never
// more than cores, survives workers falling asleep between regions, and hands a task's exception
// to the caller. The width chooser settles on the cheaper width, follows a change of cost, and
// bounds what probing a pathological width costs.
#include "lamina/sim/thread_team.hpp"
#include "lamina/sim/width_chooser.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using lamina::sim::thread_team;
using lamina::sim::usable_cores;
using lamina::sim::width_chooser;

TEST_CASE("a thread team runs every task of a region exactly once, at every width", "[thread_team]") {
    thread_team team(4);
    REQUIRE(team.size() == std::min(4, usable_cores()));
    for (std::size_t tasks = 0; tasks <= 9; ++tasks)
        for (int width = 0; width <= 5; ++width) {
            std::vector<std::atomic<int>> hits(tasks);
            team.run(tasks, width, [&](std::size_t t) { hits[t].fetch_add(1); });
            for (std::size_t t = 0; t < tasks; ++t) CHECK(hits[t].load() == 1);
        }
}

TEST_CASE("a thread team never has more threads than cores", "[thread_team]") {
    thread_team team(1024);
    CHECK(team.size() == usable_cores());
    thread_team one(1);
    CHECK(one.size() == 1);
    thread_team none(0);
    CHECK(none.size() == 1);
}

TEST_CASE("a region at full width runs its tasks on distinct threads", "[thread_team]") {
    thread_team team(2);
    if (team.size() < 2) SUCCEED("one core: nothing to check");
    else {
        std::mutex m;
        std::set<std::thread::id> ids;
        // The caller's task lasts long enough for the worker to take its share (a worker that has
        // not started when the caller is done loses its share to the caller).
        for (int attempt = 0; attempt < 20 && ids.size() < 2; ++attempt) {
            ids.clear();
            team.run(2, 2, [&](std::size_t t) {
                if (t == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
                std::lock_guard lock(m);
                ids.insert(std::this_thread::get_id());
            });
        }
        CHECK(ids.size() == 2);
        CHECK(ids.count(std::this_thread::get_id()) == 1);  // the caller takes part
        ids.clear();
        team.run(2, 1, [&](std::size_t) {
            std::lock_guard lock(m);
            ids.insert(std::this_thread::get_id());
        });
        CHECK(ids == std::set<std::thread::id>{std::this_thread::get_id()});
    }
}

TEST_CASE("a thread team completes many short regions, with workers asleep in between", "[thread_team]") {
    thread_team team(2);
    std::atomic<std::uint64_t> sum{0};
    std::uint64_t expected = 0;
    for (int r = 0; r < 2000; ++r) {
        team.run(2, 2, [&](std::size_t t) { sum.fetch_add(t + 1, std::memory_order_relaxed); });
        expected += 3;
        // Pauses longer than any spin budget send the workers to sleep; the next region must wake them.
        if (r % 200 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    CHECK(sum.load() == expected);
    if (team.size() > 1) {
        const auto c = team.statistics();
        CHECK(c.regions == 2000);
        // It did fall asleep and was woken (not necessarily at every pause: on a loaded machine a
        // worker may not get a CPU between two pauses).
        CHECK(c.worker_sleeps >= 1);
        INFO("shares withdrawn from a worker that had not started: " << c.withdrawn);
        CHECK(c.caller_wait_ns + c.worker_wait_ns > 0);  // waits are measured
        CHECK(team.spin_budget_ns() >= thread_team::min_spin_ns);
        CHECK(team.spin_budget_ns() <= thread_team::max_spin_ns);
    }
}

TEST_CASE("a spin budget cut by a preemption grows back to the maximum over waits that outlast it", "[thread_team]") {
    // Long windows (the microcircuit's: waits of some 10-50 us between regions) never end a wait
    // within the minimum budget; the budget must still grow back after a preemption, or the
    // workers sleep and are woken in every region from then on.
    std::int64_t b = thread_team::next_spin_budget(thread_team::max_spin_ns, true);
    CHECK(b == thread_team::min_spin_ns);
    int waits = 0;
    while (b < thread_team::max_spin_ns && waits < 1000) {
        const std::int64_t next = thread_team::next_spin_budget(b, false);
        REQUIRE(next > b);
        b = next;
        ++waits;
    }
    CHECK(b == thread_team::max_spin_ns);
    CHECK(waits <= 40);  // 5 us to 200 us by an eighth at a time: 32 waits
    CHECK(thread_team::next_spin_budget(thread_team::max_spin_ns, false) == thread_team::max_spin_ns);
    CHECK(thread_team::next_spin_budget(b, true) == thread_team::min_spin_ns);
}

TEST_CASE("a region's two arguments reach every task of that region", "[thread_team]") {
    thread_team team(2);
    std::vector<std::int64_t> seen(2);
    auto body = [&](std::size_t t, std::int64_t a, std::int64_t b) { seen[t] = a * 1000 + b; };
    for (std::int64_t r = 0; r < 3000; ++r) {
        team.run(2, 2, body, r, r % 7);
        REQUIRE(seen[0] == r * 1000 + r % 7);
        REQUIRE(seen[1] == r * 1000 + r % 7);
    }
}

TEST_CASE("every share of many very short regions runs once, with its own region's arguments", "[thread_team]") {
    // Regions far shorter than a hand-off, on a team whose worker is often asleep or late, so
    // that the caller withdraws many shares: each must run exactly once, whoever runs it. (A
    // worker that read an offer and was descheduled before taking it must not take it after the
    // caller withdrew it and moved on; that interleaving is rare, so this checks the common ones.)
    thread_team team(2);
    std::vector<std::atomic<int>> runs(2 * 5000);
    auto body = [&](std::size_t t, std::int64_t region, std::int64_t) { runs[std::size_t(region) * 2 + t].fetch_add(1); };
    for (std::int64_t r = 0; r < 5000; ++r) {
        team.run(2, 2, body, r, 0);
        if (r % 500 == 0) std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    for (std::size_t k = 0; k < runs.size(); ++k) REQUIRE(runs[k].load() == 1);
    const auto c = team.statistics();
    if (team.size() > 1) {
        CHECK(c.regions == 5000);
        INFO("withdrawn " << c.withdrawn << ", worker sleeps " << c.worker_sleeps);
        CHECK(c.withdrawn <= c.regions);
    }
}

TEST_CASE("workers told to rest sleep at once, and the next region wakes them", "[thread_team]") {
    thread_team team(2);
    std::atomic<int> ran{0};
    for (int round = 0; round < 21; ++round) {
        team.run(2, 2, [&](std::size_t) { ran.fetch_add(1); });
        team.rest();
        // Longer than any spin budget: a worker that ignored rest() would spin its budget out
        // (200 us unless a preemption was seen), then sleep.
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    CHECK(ran.load() == 42);
    if (team.size() > 1) {
        const auto c = team.statistics();
        // Spins the worker ended on seeing rest() (not every round has one: the worker may be
        // asleep already, or on a loaded machine spin its budget out while the caller waits for a
        // CPU between the region and rest()); a worker that ignored rest() has none.
        INFO("spins ended by rest(): " << c.rested << " of 21 rounds; worker sleeps " << c.worker_sleeps);
        CHECK(c.rested >= 1);
        CHECK(c.worker_sleeps >= 1);
    }
}

TEST_CASE("an exception in a task reaches the caller and the team stays usable", "[thread_team]") {
    thread_team team(2);
    for (std::size_t bad : {0u, 1u}) {
        std::atomic<int> ran{0};
        CHECK_THROWS_WITH(team.run(2, 2,
                                   [&](std::size_t t) {
                                       ran.fetch_add(1);
                                       if (t == bad) throw std::runtime_error("task failed");
                                   }),
                          "task failed");
        CHECK(ran.load() == 2);  // the other task still ran
        std::atomic<int> after{0};
        team.run(2, 2, [&](std::size_t) { after.fetch_add(1); });
        CHECK(after.load() == 2);
    }
}

namespace {

// A run_windows region over `tasks` tasks: window i's tasks check that every task of window i - 1
// had finished (double buffers of window numbers), the caller's after(i) that every task of
// window i had, and that the after() calls come in order. Stops after window `last`.
struct window_sequence {
    std::size_t tasks;
    std::int64_t last;
    std::vector<std::atomic<std::int64_t>> done[2];
    std::vector<std::atomic<int>> runs;  // [window * tasks + task]
    std::atomic<int> stale{0};
    std::vector<std::int64_t> afters;
    int after_mismatch = 0;
    window_sequence(std::size_t n, std::int64_t windows)
        : tasks(n), last(windows - 1), runs(static_cast<std::size_t>(windows) * n) {
        for (auto& d : done) {
            d = std::vector<std::atomic<std::int64_t>>(n);
            for (auto& x : d) x.store(-1);
        }
    }
    void body(std::size_t t, std::int64_t i, int width) {
        // Window 0 of the caller waits (at most 50 ms) until the workers have started theirs, else
        // a share not started when the caller is done is withdrawn and the region ends there.
        if (i == 0 && t == 0)
            for (auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
                 std::chrono::steady_clock::now() < until;) {
                bool all = true;
                for (std::size_t u = 1; u < std::min<std::size_t>(tasks, std::size_t(width)); ++u)
                    all = all && runs[u].load() > 0;
                if (all) break;
            }
        if (i > 0)
            for (std::size_t u = 0; u < tasks; ++u)
                if (done[(i - 1) & 1][u].load() != i - 1) stale.fetch_add(1);
        runs[static_cast<std::size_t>(i) * tasks + t].fetch_add(1);
        done[i & 1][t].store(i);
    }
    void after(std::int64_t i) {
        afters.push_back(i);
        for (std::size_t u = 0; u < tasks; ++u)
            if (done[i & 1][u].load() != i) ++after_mismatch;
    }
};

} // namespace

TEST_CASE("a window sequence runs every task of every window once, a barrier apart", "[thread_team][windows]") {
    thread_team team(3);
    for (std::size_t tasks : {1u, 2u, 3u, 5u}) {
        for (std::int64_t windows : {1, 2, 7, 3000}) {
            window_sequence w(tasks, windows);
            auto body = [&](std::size_t t, std::int64_t i, std::int64_t) { w.body(t, i, team.size()); };
            auto more = [&](std::int64_t i) { return i < w.last; };
            auto after = [&](std::int64_t i) { w.after(i); };
            INFO(tasks << " tasks, " << windows << " windows");
            const auto withdrawn = team.statistics().withdrawn;
            const std::int64_t ran = team.run_windows(tasks, 3, body, more, after);
            // All windows, unless a worker had not started by the end of window 0 (on a loaded
            // machine, despite the caller's wait): then window 0 alone.
            if (ran != windows) {
                CHECK(ran == 1);
                CHECK(team.statistics().withdrawn > withdrawn);
            }
            for (std::size_t k = 0; k < w.runs.size(); ++k) REQUIRE(w.runs[k].load() == (k < std::size_t(ran) * tasks ? 1 : 0));
            CHECK(w.stale.load() == 0);
            CHECK(w.after_mismatch == 0);
            REQUIRE(w.afters.size() == static_cast<std::size_t>(ran));
            for (std::int64_t i = 0; i < ran; ++i) CHECK(w.afters[static_cast<std::size_t>(i)] == i);
        }
    }
    if (team.size() > 1) {
        const auto c = team.statistics();
        INFO("window regions " << c.window_regions << ", withdrawn " << c.withdrawn);
        CHECK(c.window_regions > 0);
        CHECK(c.barrier_windows > c.window_regions);  // regions of several windows did run
    }
}

TEST_CASE("a window sequence whose worker sleeps or is late still runs every task once", "[thread_team][windows]") {
    // Workers sent to rest before each region: window 0 often ends before the worker wakes, the
    // caller then withdraws its share and the region ends after that window.
    thread_team team(2);
    std::int64_t total = 0;
    for (int round = 0; round < 300; ++round) {
        window_sequence w(2, 4);
        auto body = [&](std::size_t t, std::int64_t i, std::int64_t) {
            if (i == 0 && t == 0) std::this_thread::sleep_for(std::chrono::microseconds(round % 3 == 0 ? 200 : 0));
            w.body(t, i, 1);  // (no waiting in window 0: withdrawals wanted)
        };
        auto more = [&](std::int64_t i) { return i < w.last; };
        auto after = [&](std::int64_t i) { w.after(i); };
        const std::int64_t ran = team.run_windows(2, 2, body, more, after);
        REQUIRE(ran >= 1);
        REQUIRE(ran <= 4);
        for (std::size_t k = 0; k < static_cast<std::size_t>(ran) * 2; ++k) REQUIRE(w.runs[k].load() == 1);
        for (std::size_t k = static_cast<std::size_t>(ran) * 2; k < w.runs.size(); ++k) REQUIRE(w.runs[k].load() == 0);
        REQUIRE(w.stale.load() == 0);
        REQUIRE(w.after_mismatch == 0);
        REQUIRE(w.afters.size() == static_cast<std::size_t>(ran));
        total += ran;
        team.rest();
        if (round % 10 == 0) std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    const auto c = team.statistics();
    INFO("windows " << total << ", withdrawn " << c.withdrawn << ", worker sleeps " << c.worker_sleeps);
    // A withdrawn share ends its region after window 0; a region whose worker took part ran all 4.
    if (team.size() > 1) CHECK(total == 4 * 300 - 3 * std::int64_t(c.withdrawn));
}

TEST_CASE("an exception in a window ends the sequence and reaches the caller", "[thread_team][windows]") {
    // (A worker that had not started by the end of window 0 loses its share and the region ends
    // there, before anything throws: such attempts are repeated.)
    thread_team team(2);
    for (int bad : {0, 1, -1}) {  // the task of window 5 that throws; -1: after(3) throws
        DYNAMIC_SECTION("thrower " << bad) {
            bool seen = false;
            for (int attempt = 0; attempt < 50 && !seen; ++attempt) {
                std::vector<std::atomic<int>> runs(2 * 10);
                std::vector<std::int64_t> afters;
                auto body = [&](std::size_t t, std::int64_t i, std::int64_t) {
                    if (i == 0 && t == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
                    runs[static_cast<std::size_t>(i) * 2 + t].fetch_add(1);
                    if (i == 5 && static_cast<int>(t) == bad) throw std::runtime_error("task failed");
                };
                auto more = [](std::int64_t i) { return i < 9; };
                auto after = [&](std::int64_t i) {
                    afters.push_back(i);
                    if (bad < 0 && i == 3) throw std::runtime_error("after failed");
                };
                std::string message;
                try {
                    team.run_windows(2, 2, body, more, after);
                } catch (const std::runtime_error& e) {
                    message = e.what();
                }
                if (team.size() > 1 && runs[2].load() == 0) continue;  // ended after window 0
                seen = true;
                if (bad >= 0) {
                    // Window 5 ran (both tasks) without its after(); nothing later ran.
                    CHECK(message == "task failed");
                    for (std::size_t k = 0; k < 12; ++k) CHECK(runs[k].load() == 1);
                    for (std::size_t k = 12; k < runs.size(); ++k) CHECK(runs[k].load() == 0);
                    CHECK(afters == std::vector<std::int64_t>{0, 1, 2, 3, 4});
                } else {
                    // The workers were already in window 4, which completes; nothing later runs.
                    CHECK(message == "after failed");
                    for (std::size_t k = 0; k < 10; ++k) CHECK(runs[k].load() == 1);
                    for (std::size_t k = 10; k < runs.size(); ++k) CHECK(runs[k].load() == 0);
                    CHECK(afters == std::vector<std::int64_t>{0, 1, 2, 3});
                }
            }
            CHECK(seen);
            std::atomic<int> ran{0};
            team.run(2, 2, [&](std::size_t) { ran.fetch_add(1); });
            CHECK(ran.load() == 2);  // the team stays usable
        }
    }
}

TEST_CASE("two teams in one process share the cores without losing regions", "[thread_team]") {
    thread_team a(2), b(2);
    std::atomic<std::uint64_t> na{0}, nb{0};
    std::thread other([&] {
        for (int r = 0; r < 500; ++r) b.run(2, 2, [&](std::size_t) { nb.fetch_add(1); });
    });
    for (int r = 0; r < 500; ++r) a.run(2, 2, [&](std::size_t) { na.fetch_add(1); });
    other.join();
    CHECK(na.load() == 1000);
    CHECK(nb.load() == 1000);
}

namespace {

// Drives a chooser with a cost model (ns per step of width 1 and of the widest width, as a function
// of the window index) for `windows` one-step windows; returns the total cost.
template <class Cost>
double drive(width_chooser& c, int windows, Cost&& cost) {
    double total = 0.0;
    for (int k = 0; k < windows; ++k) {
        const int w = c.next();
        const double ns = cost(k, w);
        total += ns;
        c.record(w, static_cast<std::int64_t>(ns), 1);
    }
    return total;
}

} // namespace

TEST_CASE("the width chooser settles on the cheaper width and probes the other rarely", "[thread_team][width]") {
    SECTION("two threads cheaper (W3-like)") {
        width_chooser c(2);
        const double total = drive(c, 100000, [](int, int w) { return w == 2 ? 2000.0 : 3400.0; });
        CHECK(c.current() == 2);
        CHECK(double(c.narrow_windows()) < 0.02 * 100000);
        CHECK(total < 1.01 * 2000.0 * 100000);
    }
    SECTION("one thread cheaper (a small network)") {
        width_chooser c(2);
        const double total = drive(c, 100000, [](int, int w) { return w == 2 ? 4000.0 : 3000.0; });
        CHECK(c.current() == 1);
        CHECK(double(c.wide_windows()) < 0.02 * 100000);
        CHECK(total < 1.01 * 3000.0 * 100000);
    }
    SECTION("a pathological width (a loaded core: 100x) costs little to probe") {
        width_chooser c(2);
        const double total = drive(c, 200000, [](int, int w) { return w == 2 ? 300000.0 : 3000.0; });
        CHECK(c.current() == 1);
        CHECK(total < 1.05 * 3000.0 * 200000);
    }
}

TEST_CASE("the width chooser follows a change of load", "[thread_team][width]") {
    width_chooser c(2);
    // Two threads pay off, then a competing process makes them 20x costlier, then it leaves.
    auto cost = [](int k, int w) {
        const bool loaded = k >= 50000 && k < 100000;
        if (w == 1) return 3000.0;
        return loaded ? 40000.0 : 2000.0;
    };
    drive(c, 50000, cost);
    CHECK(c.current() == 2);
    width_chooser copy = c;
    double loaded_total = 0.0;
    for (int k = 50000; k < 100000; ++k) {
        const int w = c.next();
        const double ns = cost(k, w);
        loaded_total += ns;
        c.record(w, static_cast<std::int64_t>(ns), 1);
    }
    CHECK(c.current() == 1);
    CHECK(loaded_total < 1.1 * 3000.0 * 50000);
    // Back to quiet: two threads again within the longest probe period.
    for (int k = 100000; k < 300000; ++k) {
        const int w = c.next();
        c.record(w, static_cast<std::int64_t>(cost(k, w)), 1);
    }
    CHECK(c.current() == 2);
    CHECK(copy.switches() <= 1);
}

TEST_CASE("a width chooser of one thread always says one", "[thread_team][width]") {
    width_chooser c(1);
    for (int k = 0; k < 1000; ++k) {
        REQUIRE(c.next() == 1);
        c.record(1, 1000, 1);
    }
    CHECK(c.narrow_windows() == 1000);
}
