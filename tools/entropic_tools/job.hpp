// A training program's place in its job: one process, or one rank of `mpirun -np N program ...`
// (MPI between CPU processes, NCCL between GPUs, one rank per GPU). Rank 0 is the leader: it
// alone prints and writes files; every rank trains.
#pragma once
#include <cstdlib>
#include <memory>

#include "entropic/core/device.hpp"
#include "entropic/core/error.hpp"
#include "entropic/dist/communicator.hpp"
#if ENTROPIC_WITH_MPI
#include "entropic/dist/mpi.hpp"
#endif
#if ENTROPIC_WITH_NCCL
#include "entropic/dist/nccl.hpp"
#endif

namespace entropic::tools {

// The variables Open MPI, MPICH and PMIx set in the processes they start.
inline bool started_by_mpirun() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

class Job {
 public:
  // Joins the job this process was started in; create it before anything uses the GPU, since
  // a GPU rank picks its device here.
  Job(int* argc, char*** argv, Device device, const char* program) {
    if (!started_by_mpirun()) return;
#if ENTROPIC_WITH_MPI
    mpi_ = std::make_unique<dist::MpiSession>(argc, argv);
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size == 1) return;
    if (device == Device::cpu) {
      comm_ = std::make_unique<dist::MpiCommunicator>();
      return;
    }
#if ENTROPIC_WITH_NCCL
    comm_ = std::make_unique<dist::NcclCommunicator>();
#else
    fail(program, ": started by mpirun on ", size, " GPU ranks, but this build has no NCCL (it comes with the ",
         "CUDA toolkit; configure with it on the include and library paths), or run with --device cpu");
#endif
#else
    (void)argc, (void)argv, (void)device;
    fail(program, ": started by mpirun, but this build has no MPI: install libopenmpi-dev and openmpi-bin ",
         "(scripts/deps.sh does) and rebuild, or run the program without mpirun");
#endif
  }
  // Null when this process trains alone.
  dist::Communicator* comm() const { return comm_.get(); }
  int rank() const { return comm_ ? comm_->rank() : 0; }
  int size() const { return comm_ ? comm_->size() : 1; }
  bool leader() const { return rank() == 0; }

 private:
#if ENTROPIC_WITH_MPI
  std::unique_ptr<dist::MpiSession> mpi_;  // declared first: finalised after the communicator
#endif
  std::unique_ptr<dist::Communicator> comm_;
};

}  // namespace entropic::tools
