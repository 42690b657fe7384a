#pragma once
// sim::communicator over MPI (Debian's OpenMPI): the exchange of a distributed run.
//
// Once per min-delay window every rank hands over the spikes of the neurons it owns, merged in
// canonical order (step, population, neuron). The ranks' lists are gathered to every rank with
// MPI_Allgatherv (NEST's gather of min-delay slices): every rank needs every spike, because each
// holds synapses from all sources onto its own targets, and the spike and rate recorders of rank
// 0 read them. Ranks own ascending neuron ranges of every population, so merging is, key by key
// (step, population), rank 0's neurons, then rank 1's, ...: the list a single process would have.
//
// The collectives of the build and of the recorders (sums of counters, gathers to rank 0) go over
// the same duplicated communicator, in the same order on every rank.
#include "lamina/sim/communicator.hpp"

#include <mpi.h>
#include <string>

namespace lamina::mpi {

class mpi_communicator final : public sim::communicator {
public:
    // Uses a duplicate of `comm` (MPI_Init must have been called).
    explicit mpi_communicator(MPI_Comm comm = MPI_COMM_WORLD);
    ~mpi_communicator() override;
    mpi_communicator(const mpi_communicator&) = delete;
    mpi_communicator& operator=(const mpi_communicator&) = delete;

    void exchange(sim::window_spikes& spikes) override;
    int rank() const noexcept override { return rank_; }
    int size() const noexcept override { return size_; }
    void sum(std::span<std::uint64_t> values) override;
    // Any sizes (gathers above 2 GiB at rank 0 go in several rounds: MPI counts are ints).
    std::vector<std::vector<char>> gather(std::span<const char> mine) override;
    std::vector<std::vector<char>> all_gather(std::span<const char> mine) override;
    void broadcast(std::vector<char>& bytes) override;

private:
    std::vector<std::vector<char>> gather_rounds(std::span<const char> mine, bool everywhere);
    MPI_Comm comm_ = MPI_COMM_NULL;
    int rank_ = 0, size_ = 1;
    // Buffers kept between windows, so a window allocates nothing once they have grown.
    std::vector<std::uint32_t> send_, receive_;
    std::vector<int> counts_, displacements_;
    struct key {
        std::int64_t step;
        std::uint32_t population, rank, begin, count;
        std::uint32_t offsets;  // precise spike times: where the segment's offsets begin
    };
    std::vector<key> keys_;
};

// Encodes a window's spikes as 32-bit words (segment count, then per segment: step low and high
// word, population, spike count; then the neurons; then, in a network with precise spike times,
// every spike's offset as two words) and back; the exchange's wire format.
void encode_window(const sim::window_spikes& spikes, std::vector<std::uint32_t>& out);

// Whether this process was started by an MPI launcher (mpirun, mpiexec, Slurm's srun with PMI or
// PMIx): only then does lamina initialise MPI, so a plain `lamina run` never touches it.
bool launched_by_mpi();

// MPI for the lifetime of a process: initialised (threads funnelled: only the thread that runs
// the schedule calls MPI) when launched by an MPI launcher, finalised at the end.
class session {
public:
    session(int& argc, char**& argv);
    ~session();
    session(const session&) = delete;
    session& operator=(const session&) = delete;
    bool active() const noexcept { return active_; }

private:
    bool active_ = false;
};

// Prints `message` on stderr (prefixed with this rank) and stops every rank of the job
// (MPI_Abort): an error on one rank never leaves the others waiting in a collective.
[[noreturn]] void abort_all(const std::string& message, int code);

} // namespace lamina::mpi
