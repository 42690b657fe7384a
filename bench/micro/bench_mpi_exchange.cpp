// The spike exchange of a distributed run, per min-delay window: lamina's MPI_Allgatherv of every
// rank's canonical list (lamina::mpi::mpi_communicator::exchange, the merge included) against
// MPI_Alltoallv carrying the same lists. In lamina every rank needs every spike (each holds the
// synapses from all sources onto its own targets, and rank 0's recorders read them all), so an
// all-to-all sends each rank the same bytes as the allgather; it would pay only if ranks could
// skip the sources without targets on them, which in random networks of in-degree K over R ranks
// is a fraction of about exp(-K N_target / (R N_source)) of them (none for K = 1000).
//
// Run under MPI: mpirun --oversubscribe -np R build/bench/bench_mpi_exchange. Every rank runs the
// same fixed number of iterations (collectives must match); only rank 0 prints.
#include "lamina/mpi/mpi_communicator.hpp"

#include <benchmark/benchmark.h>
#include <cstdio>
#include <mpi.h>
#include <random>

namespace {

// One window of a network of n neurons firing at rate_hz, window_ms long, this rank's share.
lamina::sim::window_spikes make_window(std::size_t n, double rate_hz, double window_ms, int rank, int ranks) {
    lamina::sim::window_spikes w;
    std::mt19937_64 rng(12345 + static_cast<unsigned>(rank));
    const std::size_t begin = n * rank / ranks, end = n * (rank + 1) / ranks;
    const int steps = static_cast<int>(window_ms / 0.1);
    std::bernoulli_distribution fires(rate_hz * 1e-4);
    for (int k = 0; k < steps; ++k) {
        const auto b = static_cast<std::uint32_t>(w.neurons.size());
        for (std::size_t i = begin; i < end; ++i)
            if (fires(rng)) w.neurons.push_back(static_cast<std::uint32_t>(i));
        if (w.neurons.size() > b) w.segments.push_back({k, 0, b, static_cast<std::uint32_t>(w.neurons.size())});
    }
    return w;
}

void args(benchmark::internal::Benchmark* b) {
    // W3 (12,500 neurons at 37.5 Hz, 1.5 ms windows) and 64 times W3 (the 10^9-synapse network).
    b->Args({12500})->Args({800000})->Iterations(2000)->Unit(benchmark::kMicrosecond);
}

void BM_exchange_allgatherv(benchmark::State& state) {
    static lamina::mpi::mpi_communicator comm;
    const auto mine = make_window(static_cast<std::size_t>(state.range(0)), 37.5, 1.5, comm.rank(), comm.size());
    lamina::sim::window_spikes w;
    std::size_t spikes = 0;
    for (auto _ : state) {
        w = mine;
        comm.exchange(w);
        spikes = w.neurons.size();
    }
    state.counters["ranks"] = comm.size();
    state.counters["spikes_per_window"] = double(spikes);
}
BENCHMARK(BM_exchange_allgatherv)->Apply(args);

// The collective alone (encode, sizes, MPI_Allgatherv), without the merge: the like-for-like
// counterpart of BM_exchange_alltoallv.
void BM_exchange_allgatherv_collective(benchmark::State& state) {
    int rank = 0, ranks = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    const auto mine = make_window(static_cast<std::size_t>(state.range(0)), 37.5, 1.5, rank, ranks);
    std::vector<std::uint32_t> send, receive;
    std::vector<int> counts(ranks), displ(ranks);
    for (auto _ : state) {
        lamina::mpi::encode_window(mine, send);
        const int n = static_cast<int>(send.size());
        MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
        int total = 0;
        for (int r = 0; r < ranks; ++r) {
            displ[r] = total;
            total += counts[r];
        }
        receive.resize(static_cast<std::size_t>(total));
        MPI_Allgatherv(send.data(), n, MPI_UINT32_T, receive.data(), counts.data(), displ.data(), MPI_UINT32_T,
                       MPI_COMM_WORLD);
        benchmark::DoNotOptimize(receive.data());
    }
    state.counters["ranks"] = ranks;
}
BENCHMARK(BM_exchange_allgatherv_collective)->Apply(args);

void BM_exchange_alltoallv(benchmark::State& state) {
    int rank = 0, ranks = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    const auto mine = make_window(static_cast<std::size_t>(state.range(0)), 37.5, 1.5, rank, ranks);
    std::vector<std::uint32_t> send, receive;
    std::vector<int> send_counts(ranks), send_displ(ranks, 0), counts(ranks), displ(ranks);
    for (auto _ : state) {
        lamina::mpi::encode_window(mine, send);
        std::fill(send_counts.begin(), send_counts.end(), static_cast<int>(send.size()));
        MPI_Alltoall(send_counts.data(), 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
        int total = 0;
        for (int r = 0; r < ranks; ++r) {
            displ[r] = total;
            total += counts[r];
        }
        receive.resize(static_cast<std::size_t>(total));
        MPI_Alltoallv(send.data(), send_counts.data(), send_displ.data(), MPI_UINT32_T, receive.data(), counts.data(),
                      displ.data(), MPI_UINT32_T, MPI_COMM_WORLD);
        benchmark::DoNotOptimize(receive.data());
    }
    state.counters["ranks"] = ranks;
}
BENCHMARK(BM_exchange_alltoallv)->Apply(args);

// An all-to-all that sends each rank only the spikes its targets need: `percent` of this rank's
// list to every other rank (its own spikes stay), the case of networks where a rank's neurons
// receive from a fraction of the sources (spatially local or area-structured connectivity over
// many ranks). The bytes, not which spikes, set the cost, so the first `percent` of the list
// stands for the needed ones. Measures when the all-to-all pays against the allgather above.
void BM_exchange_alltoallv_needed(benchmark::State& state) {
    int rank = 0, ranks = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    const auto mine = make_window(static_cast<std::size_t>(state.range(0)), 37.5, 1.5, rank, ranks);
    const double fraction = double(state.range(1)) / 100.0;
    std::vector<std::uint32_t> send, receive;
    std::vector<int> send_counts(ranks), send_displ(ranks, 0), counts(ranks), displ(ranks);
    for (auto _ : state) {
        lamina::mpi::encode_window(mine, send);
        for (int r = 0; r < ranks; ++r)
            send_counts[r] = r == rank ? 0 : static_cast<int>(double(send.size()) * fraction);
        MPI_Alltoall(send_counts.data(), 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
        int total = 0;
        for (int r = 0; r < ranks; ++r) {
            displ[r] = total;
            total += counts[r];
        }
        receive.resize(static_cast<std::size_t>(total) + 1);
        MPI_Alltoallv(send.data(), send_counts.data(), send_displ.data(), MPI_UINT32_T, receive.data(), counts.data(),
                      displ.data(), MPI_UINT32_T, MPI_COMM_WORLD);
        benchmark::DoNotOptimize(receive.data());
    }
    state.counters["ranks"] = ranks;
    state.counters["percent_needed"] = double(state.range(1));
}
BENCHMARK(BM_exchange_alltoallv_needed)
    ->ArgsProduct({{12500, 800000}, {100, 50, 10}})
    ->Iterations(2000)
    ->Unit(benchmark::kMicrosecond);

} // namespace

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank != 0 && !std::freopen("/dev/null", "w", stdout)) return 1;
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    MPI_Finalize();
    return 0;
}
