#pragma once
// The exchange phase's view of the other processes of a run.
//
// Once per min-delay window every process has the spikes its own neurons emitted, merged in
// canonical order (step, population, neuron). A communicator turns that list into the list of
// every process's spikes, in the same canonical order, which is what delivery reads next window
// (NEST's gather of min_delay slices, Arbor's epoch exchange). One process needs nothing: the
// local list is already complete (local_communicator). A distributed communicator (MPI) gathers
// the lists of all ranks and merges them; nothing else in the engine changes.
#include <cstdint>
#include <span>
#include <vector>

namespace lamina::sim {

// Spikes of one window: segments of one (step, population) each, in canonical order, indexing
// runs of `neurons` (indices within the population, ascending inside a segment).
struct window_spikes {
    struct segment {
        std::int64_t step;
        std::uint32_t population;
        std::uint32_t begin, end;  // [begin, end) in `neurons`
    };
    std::vector<std::uint32_t> neurons;
    std::vector<segment> segments;
    // Networks with precise populations (`precise` set at build): each spike's offset before the
    // end of its step (ms; 0 for populations on the grid), parallel to `neurons`; empty otherwise.
    std::vector<double> offsets;
    bool precise = false;
    void clear() {
        neurons.clear();
        segments.clear();
        offsets.clear();
    }
};

class communicator {
public:
    virtual ~communicator() = default;
    // Replaces this process's spikes of the window by every process's (called by one thread,
    // once per window, by every process in the same order).
    virtual void exchange(window_spikes& spikes) = 0;
    virtual int rank() const noexcept { return 0; }
    virtual int size() const noexcept { return 1; }

    // Collectives of a distributed run, called by every process in the same order (the build's
    // totals, the recorders' gathers at rank 0). One process: nothing to combine.
    //
    // Replaces `values` by their sums over all processes (integers: exact in any order).
    virtual void sum(std::span<std::uint64_t> values) { (void)values; }
    // Every process's bytes, indexed by rank, at rank 0 (empty on the others).
    virtual std::vector<std::vector<char>> gather(std::span<const char> mine) {
        return {std::vector<char>(mine.begin(), mine.end())};
    }
    // Every process's bytes, indexed by rank, on every process.
    virtual std::vector<std::vector<char>> all_gather(std::span<const char> mine) {
        return {std::vector<char>(mine.begin(), mine.end())};
    }
    // Rank 0's `bytes` on every process (the others' are replaced).
    virtual void broadcast(std::vector<char>& bytes) { (void)bytes; }
};

// A run in one process: the merged local spikes are all spikes.
class local_communicator final : public communicator {
public:
    void exchange(window_spikes&) override {}
};

} // namespace lamina::sim
