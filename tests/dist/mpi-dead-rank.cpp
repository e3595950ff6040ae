// A rank that dies or stops calling collectives must not hang the others. Usage under mpirun:
//   mpi-dead-rank exit    rank 1 exits at once (without MPI_Finalize)
//   mpi-dead-rank hang    rank 1 sleeps instead of joining the collective
// Rank 0 waits in an all-reduce with ENTROPIC_DIST_TIMEOUT's deadline. tests/dist/dead-rank.cmake
// checks that the job fails, in time, and (hang) with the message naming the collective.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "entropic/dist/mpi.hpp"

int main(int argc, char** argv) {
  entropic::dist::MpiSession mpi(&argc, &argv);
  entropic::dist::MpiCommunicator comm;
  const bool hang = argc > 1 && std::strcmp(argv[1], "hang") == 0;
  if (comm.rank() == 1) {
    if (hang) std::this_thread::sleep_for(std::chrono::seconds(600));
    std::_Exit(7);
  }
  double x = 1;
  comm.all_reduce(&x, 1, entropic::dist::Reduce::sum);
  std::printf("rank %d: the all-reduce completed, which it must not\n", comm.rank());
  return 0;
}
