#include "lamina/mpi/mpi_communicator.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace lamina::mpi {

namespace {

void check(int rc, const char* what) {
    if (rc == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    throw std::runtime_error(std::string(what) + ": " + std::string(text, static_cast<std::size_t>(len)));
}

} // namespace

mpi_communicator::mpi_communicator(MPI_Comm comm) {
    check(MPI_Comm_dup(comm, &comm_), "MPI_Comm_dup");
    // Errors come back as codes (and become exceptions, then MPI_Abort in the command line)
    // instead of each MPI implementation's own way of dying.
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    counts_.resize(static_cast<std::size_t>(size_));
    displacements_.resize(static_cast<std::size_t>(size_));
}

mpi_communicator::~mpi_communicator() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

void encode_window(const sim::window_spikes& spikes, std::vector<std::uint32_t>& out) {
    out.clear();
    out.reserve(1 + 4 * spikes.segments.size() + spikes.neurons.size());
    out.push_back(static_cast<std::uint32_t>(spikes.segments.size()));
    for (const auto& s : spikes.segments) {
        const auto step = static_cast<std::uint64_t>(s.step);
        out.insert(out.end(), {static_cast<std::uint32_t>(step), static_cast<std::uint32_t>(step >> 32), s.population,
                               s.end - s.begin});
    }
    for (const auto& s : spikes.segments)
        out.insert(out.end(), spikes.neurons.begin() + s.begin, spikes.neurons.begin() + s.end);
    // Precise spike times: then every spike's offset as two words (low, high) of its double.
    if (spikes.precise)
        for (const auto& s : spikes.segments)
            for (std::uint32_t m = s.begin; m < s.end; ++m) {
                const auto bits = std::bit_cast<std::uint64_t>(spikes.offsets[m]);
                out.insert(out.end(), {static_cast<std::uint32_t>(bits), static_cast<std::uint32_t>(bits >> 32)});
            }
}

void mpi_communicator::exchange(sim::window_spikes& spikes) {
    encode_window(spikes, send_);
    const int mine = static_cast<int>(send_.size());
    check(MPI_Allgather(&mine, 1, MPI_INT, counts_.data(), 1, MPI_INT, comm_), "MPI_Allgather (exchange sizes)");
    std::size_t total = 0;
    for (int r = 0; r < size_; ++r) {
        displacements_[r] = static_cast<int>(total);
        total += static_cast<std::size_t>(counts_[r]);
    }
    if (total > std::size_t(INT32_MAX)) throw std::runtime_error("a window's spikes exceed 2^31 words; shorten the window");
    receive_.resize(total);
    check(MPI_Allgatherv(send_.data(), mine, MPI_UINT32_T, receive_.data(), counts_.data(), displacements_.data(),
                         MPI_UINT32_T, comm_),
          "MPI_Allgatherv (exchange)");
    // Every rank's segments as keys, rank-major; a stable sort by (step, population) puts equal
    // keys in rank order, which is ascending neuron order.
    keys_.clear();
    for (int r = 0; r < size_; ++r) {
        const std::uint32_t* w = receive_.data() + displacements_[r];
        const std::uint32_t nseg = w[0];
        std::uint32_t spikes_of_rank = 0;
        for (std::uint32_t k = 0; k < nseg; ++k) spikes_of_rank += w[1 + 4 * k + 3];
        std::uint32_t at = static_cast<std::uint32_t>(displacements_[r]) + 1 + 4 * nseg;
        std::uint32_t offsets_at = at + spikes_of_rank;
        for (std::uint32_t k = 0; k < nseg; ++k) {
            const std::uint32_t* s = w + 1 + 4 * k;
            const auto step = static_cast<std::int64_t>(std::uint64_t(s[0]) | (std::uint64_t(s[1]) << 32));
            keys_.push_back({step, s[2], static_cast<std::uint32_t>(r), at, s[3], offsets_at});
            at += s[3];
            offsets_at += 2 * s[3];
        }
    }
    std::stable_sort(keys_.begin(), keys_.end(), [](const key& a, const key& b) {
        return a.step != b.step ? a.step < b.step : a.population < b.population;
    });
    spikes.clear();
    for (std::size_t m = 0; m < keys_.size();) {
        const auto begin = static_cast<std::uint32_t>(spikes.neurons.size());
        std::size_t n = m;
        for (; n < keys_.size() && keys_[n].step == keys_[m].step && keys_[n].population == keys_[m].population; ++n) {
            spikes.neurons.insert(spikes.neurons.end(), receive_.begin() + keys_[n].begin,
                                  receive_.begin() + keys_[n].begin + keys_[n].count);
            if (spikes.precise)
                for (std::uint32_t j = 0; j < keys_[n].count; ++j) {
                    const std::uint32_t* o = receive_.data() + keys_[n].offsets + 2 * j;
                    spikes.offsets.push_back(std::bit_cast<double>(std::uint64_t(o[0]) | (std::uint64_t(o[1]) << 32)));
                }
        }
        spikes.segments.push_back({keys_[m].step, keys_[m].population, begin, static_cast<std::uint32_t>(spikes.neurons.size())});
        m = n;
    }
}

void mpi_communicator::sum(std::span<std::uint64_t> values) {
    check(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_UINT64_T, MPI_SUM, comm_),
          "MPI_Allreduce (sum)");
}

namespace {

// Bytes per rank and round of the gathers: MPI counts and displacements are ints, so a gather of
// more than 2 GiB in all (a checkpoint of a large plastic network) goes in rounds.
std::size_t round_bytes(int ranks) {
    return std::max<std::size_t>(1, std::min<std::size_t>(std::size_t(1) << 30, std::size_t(INT32_MAX) / std::size_t(ranks)));
}

} // namespace

std::vector<std::vector<char>> mpi_communicator::gather(std::span<const char> mine) {
    return gather_rounds(mine, false);
}

std::vector<std::vector<char>> mpi_communicator::all_gather(std::span<const char> mine) {
    return gather_rounds(mine, true);
}

std::vector<std::vector<char>> mpi_communicator::gather_rounds(std::span<const char> mine, bool everywhere) {
    const long long n = static_cast<long long>(mine.size());
    std::vector<long long> sizes(static_cast<std::size_t>(size_));
    check(MPI_Allgather(&n, 1, MPI_LONG_LONG, sizes.data(), 1, MPI_LONG_LONG, comm_), "MPI_Allgather (sizes)");
    const bool receives = everywhere || rank_ == 0;
    std::vector<std::vector<char>> out;
    if (receives)
        for (int r = 0; r < size_; ++r) out.emplace_back(static_cast<std::size_t>(sizes[r]));
    const std::size_t chunk = round_bytes(size_);
    const long long largest = *std::max_element(sizes.begin(), sizes.end());
    const std::size_t rounds = std::max<std::size_t>(1, (static_cast<std::size_t>(largest) + chunk - 1) / chunk);
    std::vector<char> all;
    for (std::size_t k = 0; k < rounds; ++k) {
        const std::size_t from = k * chunk;
        auto part = [&](long long size) {
            return static_cast<int>(std::min<std::size_t>(chunk, static_cast<std::size_t>(size) > from ? static_cast<std::size_t>(size) - from : 0));
        };
        std::size_t total = 0;
        for (int r = 0; r < size_; ++r) {
            counts_[r] = part(sizes[r]);
            displacements_[r] = static_cast<int>(total);
            total += static_cast<std::size_t>(counts_[r]);
        }
        if (receives) all.resize(total);
        const int mine_now = part(n);
        const char* send = mine.data() + std::min<std::size_t>(from, mine.size());
        if (everywhere)
            check(MPI_Allgatherv(send, mine_now, MPI_BYTE, all.data(), counts_.data(), displacements_.data(), MPI_BYTE, comm_),
                  "MPI_Allgatherv");
        else
            check(MPI_Gatherv(send, mine_now, MPI_BYTE, all.data(), counts_.data(), displacements_.data(), MPI_BYTE, 0, comm_),
                  "MPI_Gatherv");
        if (receives)
            for (int r = 0; r < size_; ++r)
                std::copy_n(all.data() + displacements_[r], counts_[r], out[static_cast<std::size_t>(r)].data() + from);
    }
    return out;
}

void mpi_communicator::broadcast(std::vector<char>& bytes) {
    long long n = static_cast<long long>(bytes.size());
    check(MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, comm_), "MPI_Bcast (size)");
    bytes.resize(static_cast<std::size_t>(n));
    const std::size_t chunk = std::size_t(1) << 30;
    for (std::size_t from = 0; from < bytes.size(); from += chunk)
        check(MPI_Bcast(bytes.data() + from, static_cast<int>(std::min(chunk, bytes.size() - from)), MPI_BYTE, 0, comm_),
              "MPI_Bcast");
}

bool launched_by_mpi() {
    for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "MPI_LOCALNRANKS"})
        if (std::getenv(v)) return true;
    return false;
}

session::session(int& argc, char**& argv) {
    if (!launched_by_mpi()) return;
    int provided = 0;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        std::fprintf(stderr, "error: MPI_Init_thread failed\n");
        std::exit(1);
    }
    active_ = true;
}

session::~session() {
    if (active_) MPI_Finalize();
}

void abort_all(const std::string& message, int code) {
    int rank = 0, initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    std::fprintf(stderr, "error (rank %d): %s\n", rank, message.c_str());
    std::fflush(stderr);
    if (initialized) MPI_Abort(MPI_COMM_WORLD, code);
    std::exit(code);
}

} // namespace lamina::mpi
