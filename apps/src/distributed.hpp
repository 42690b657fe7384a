#pragma once
// The command line's side of distributed runs (docs/distributed.md): MPI is started when lamina
// was launched by mpirun, mpiexec or srun (and built with lamina_mpi); `lamina run` then runs one
// network over all ranks. Without MPI, or launched alone, everything here is one process.
#include "lamina/sim/communicator.hpp"

#include <memory>
#include <string>
#include <vector>

namespace lamina::app::distributed {

// MPI for the lifetime of the process (main.cpp), when launched by an MPI launcher.
class process {
public:
    process(int& argc, char**& argv);
    ~process();
    process(const process&) = delete;
    process& operator=(const process&) = delete;
};

int rank();
int size();
inline bool active() { return size() > 1; }

// The communicator of a run over every rank (null when one process).
std::shared_ptr<sim::communicator> communicator();

// Whether any rank says `failed`: a collective every rank calls at the same point, so that an
// error found before the build (on some ranks or all) ends every rank instead of leaving the
// others waiting in the build's collectives.
bool any_failed(bool failed);

// One value per rank, at rank 0 (empty elsewhere).
std::vector<double> gather(double value);

// Prints the message (with the rank) and stops every rank (MPI_Abort): for errors after the
// build began, when the other ranks may be inside a collective.
[[noreturn]] void abort_all(const std::string& message, int code);

} // namespace lamina::app::distributed
