#include "distributed.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#ifdef LAMINA_WITH_MPI
#include "lamina/mpi/mpi_communicator.hpp"
#endif

namespace lamina::app::distributed {

namespace {
#ifdef LAMINA_WITH_MPI
std::unique_ptr<mpi::session> session;
std::shared_ptr<mpi::mpi_communicator> world;
#endif
} // namespace

process::process([[maybe_unused]] int& argc, [[maybe_unused]] char**& argv) {
#ifdef LAMINA_WITH_MPI
    session = std::make_unique<mpi::session>(argc, argv);
    if (session->active()) {
        world = std::make_shared<mpi::mpi_communicator>();
        // Only rank 0 talks: the others' stdout (progress, summaries of commands other than
        // run, which every rank would repeat) is dropped; errors still reach stderr.
        if (world->rank() != 0 && !std::freopen("/dev/null", "w", stdout)) std::fprintf(stderr, "lamina: cannot silence stdout\n");
    }
#else
    // Launched on several processes by a build without MPI: each would run the whole network
    // and write the same result file; refuse instead.
    for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
        if (const char* n = std::getenv(v); n && std::atoi(n) > 1) {
            std::fprintf(stderr, "error: lamina was built without MPI (libopenmpi-dev was missing when it was "
                                 "configured); it cannot run on several processes\n");
            std::exit(2);
        }
#endif
}

process::~process() {
#ifdef LAMINA_WITH_MPI
    world.reset();
    session.reset();
#endif
}

int rank() {
#ifdef LAMINA_WITH_MPI
    return world ? world->rank() : 0;
#else
    return 0;
#endif
}

int size() {
#ifdef LAMINA_WITH_MPI
    return world ? world->size() : 1;
#else
    return 1;
#endif
}

std::shared_ptr<sim::communicator> communicator() {
#ifdef LAMINA_WITH_MPI
    if (world && world->size() > 1) return world;
#endif
    return nullptr;
}

bool any_failed(bool failed) {
    auto c = communicator();
    if (!c) return failed;
    std::uint64_t flag = failed ? 1 : 0;
    c->sum(std::span<std::uint64_t>(&flag, 1));
    return flag != 0;
}

std::vector<double> gather(double value) {
    auto c = communicator();
    if (!c) return {value};
    auto all = c->gather(std::span<const char>(reinterpret_cast<const char*>(&value), sizeof value));
    std::vector<double> out;
    for (const auto& b : all) {
        double v = 0.0;
        std::memcpy(&v, b.data(), sizeof v);
        out.push_back(v);
    }
    return out;
}

void abort_all(const std::string& message, int code) {
#ifdef LAMINA_WITH_MPI
    if (world) mpi::abort_all(message, code);
#endif
    std::fprintf(stderr, "error: %s\n", message.c_str());
    std::exit(code);
}

} // namespace lamina::app::distributed
