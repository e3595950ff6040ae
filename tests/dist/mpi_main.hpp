// The main of a test program run by mpirun: every rank runs the cases, and the job fails when
// any rank's cases fail. Include once, in the program's one source file.
#pragma once
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "entropic/dist/mpi.hpp"

int main(int argc, char** argv) {
  entropic::dist::MpiSession mpi(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  doctest::Context ctx(argc, argv);
  if (rank != 0) ctx.setOption("minimal", true);  // one report, rank 0's; others speak on failure
  const int mine = ctx.run();
  int any = mine;
  MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (mine) std::fprintf(stderr, "rank %d: test cases failed\n", rank);
  return any;
}
