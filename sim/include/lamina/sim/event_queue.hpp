#pragma once
// A calendar queue of neuron wake-ups keyed by step (Brown 1988's calendar queue, one bucket per
// step): the predicted threshold crossings of event-driven neurons in one shard. Entries due
// within `horizon` steps sit in the bucket of their step; later ones in a binary heap. Pushing and
// taking cost O(1) for near entries; storage grows to the largest number of entries ever held and
// is then reused, so a run in steady state does not allocate. Entries are not removed when a
// prediction changes: the owner keeps the valid step per neuron and skips stale entries.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace lamina::sim {

class step_calendar {
public:
    static constexpr std::int64_t horizon = 256;

    step_calendar() : buckets_(static_cast<std::size_t>(horizon)) {}

    // Wake neuron i at `step`; `now` is the step being processed (step > now).
    void push(std::int64_t step, std::uint32_t i, std::int64_t now) {
        if (step - now < horizon)
            buckets_[slot(step)].push_back(i);
        else {
            far_.emplace_back(step, i);
            std::push_heap(far_.begin(), far_.end(), std::greater<>{});
        }
        ++size_;
    }
    // Calls f(i) for every entry of `step` and removes them. Steps must be taken in increasing
    // order, each at most once, with no step skipped while entries were due in it.
    template <class F>
    void take(std::int64_t step, F&& f) {
        auto& b = buckets_[slot(step)];
        for (std::uint32_t i : b) f(i);
        size_ -= b.size();
        b.clear();
        while (!far_.empty() && far_.front().first <= step) {
            std::pop_heap(far_.begin(), far_.end(), std::greater<>{});
            const auto [st, i] = far_.back();
            far_.pop_back();
            --size_;
            if (st == step) f(i);
        }
    }
    void clear() {
        for (auto& b : buckets_) b.clear();
        far_.clear();
        size_ = 0;
    }
    std::size_t size() const noexcept { return size_; }

private:
    static std::size_t slot(std::int64_t step) noexcept { return static_cast<std::size_t>(step % horizon); }
    std::vector<std::vector<std::uint32_t>> buckets_;
    std::vector<std::pair<std::int64_t, std::uint32_t>> far_;
    std::size_t size_ = 0;
};

} // namespace lamina::sim
