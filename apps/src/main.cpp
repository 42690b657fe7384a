#include "lamina/app/cli.hpp"

#include "distributed.hpp"

int main(int argc, char** argv) {
    // MPI when launched by mpirun/srun (docs/distributed.md); finalised when main returns.
    lamina::app::distributed::process mpi(argc, argv);
    return lamina::app::run_cli(argc, argv);
}
