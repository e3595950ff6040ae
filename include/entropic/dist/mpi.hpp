// MPI: the job's launcher and the carrier of host tensors. Needs <mpi.h> and linking MPI
// (CMake: find_package(MPI) and MPI::MPI_CXX; Debian: libopenmpi-dev, mpirun from openmpi-bin).
//
// Every collective is posted non-blocking and waited for with a deadline (ENTROPIC_DIST_TIMEOUT
// seconds, default 300): a rank that has died or stopped calling collectives makes the others
// print which collective stalled and abort the job, instead of hanging it. The wait yields the
// core between polls, so ranks oversubscribing the cores (mpirun --oversubscribe) do not starve
// the rank they are waiting for.
#pragma once
#include <mpi.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "entropic/dist/communicator.hpp"

namespace entropic::dist {

// True when this process was started by an MPI launcher (mpirun, srun): the environment
// variables Open MPI, MPICH and PMIx set for their ranks.
inline bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(v)) return true;
  return false;
}

// MPI_Init on construction (unless MPI already is), MPI_Finalize on destruction if it did the
// init. One per process, in main, around everything that communicates.
class MpiSession {
 public:
  MpiSession(int* argc = nullptr, char*** argv = nullptr) {
    int done = 0;
    MPI_Initialized(&done);
    if (done) return;
    int provided = 0;
    // Worker threads (core/parallel.hpp) never call MPI: only the main thread does.
    check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) == MPI_SUCCESS, "dist: MPI_Init failed");
    owner_ = true;
  }
  ~MpiSession() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owner_ && !finalized) MPI_Finalize();
  }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

 private:
  bool owner_ = false;
};

class MpiCommunicator final : public Communicator {
 public:
  // timeout_s <= 0: ENTROPIC_DIST_TIMEOUT, or 300 s.
  explicit MpiCommunicator(MPI_Comm comm = MPI_COMM_WORLD, double timeout_s = 0) : comm_(comm) {
    int init = 0;
    MPI_Initialized(&init);
    check(init, "dist: MPI is not initialised; create an entropic::dist::MpiSession in main first");
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    timeout_s_ = detail::timeout_seconds(timeout_s);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  Device device() const override { return Device::cpu; }
  std::string name() const override { return "MPI"; }
  double timeout_seconds() const { return timeout_s_; }

  void all_reduce(float* d, int64_t n, Reduce op) override { reduce_impl(d, n, op, MPI_FLOAT); }
  void all_reduce(double* d, int64_t n, Reduce op) override { reduce_impl(d, n, op, MPI_DOUBLE); }
  void all_gather(const float* in, float* out, const std::vector<int64_t>& c) override { gather_impl(in, out, c, MPI_FLOAT); }
  void all_gather(const double* in, double* out, const std::vector<int64_t>& c) override { gather_impl(in, out, c, MPI_DOUBLE); }
  void reduce_scatter(const float* in, float* out, const std::vector<int64_t>& c) override { scatter_impl(in, out, c, MPI_FLOAT); }
  void reduce_scatter(const double* in, double* out, const std::vector<int64_t>& c) override { scatter_impl(in, out, c, MPI_DOUBLE); }

 private:
  static int as_int(int64_t n, const char* op) {
    check(n >= 0 && n <= INT_MAX, "dist::", op, ": ", n, " elements is more than one MPI call carries (",
          INT_MAX, "); split the tensor");
    return int(n);
  }
  void check_counts(const std::vector<int64_t>& c, const char* op) const {
    check(int64_t(c.size()) == size_, "dist::", op, ": ", c.size(), " counts for ", size_, " ranks");
  }
  template <class T>
  void reduce_impl(T* d, int64_t n, Reduce op, MPI_Datatype type) {
    MPI_Request req;
    check(MPI_Iallreduce(MPI_IN_PLACE, d, as_int(n, "all_reduce"), type, MPI_SUM, comm_, &req) == MPI_SUCCESS,
          "dist::all_reduce: MPI_Iallreduce failed");
    wait(req, "all_reduce");
    if (op == Reduce::average)
      for (int64_t i = 0; i < n; ++i) d[i] /= T(size_);
  }
  template <class T>
  void gather_impl(const T* in, T* out, const std::vector<int64_t>& c, MPI_Datatype type) {
    check_counts(c, "all_gather");
    std::vector<int> counts(c.size()), displs(c.size());
    int64_t off = 0;
    for (size_t r = 0; r < c.size(); ++r) {
      counts[r] = as_int(c[r], "all_gather");
      displs[r] = as_int(off, "all_gather");
      off += c[r];
    }
    MPI_Request req;
    check(MPI_Iallgatherv(in, counts[size_t(rank_)], type, out, counts.data(), displs.data(), type, comm_, &req) ==
              MPI_SUCCESS,
          "dist::all_gather: MPI_Iallgatherv failed");
    wait(req, "all_gather");
  }
  template <class T>
  void scatter_impl(const T* in, T* out, const std::vector<int64_t>& c, MPI_Datatype type) {
    check_counts(c, "reduce_scatter");
    std::vector<int> counts(c.size());
    int64_t total = 0;
    for (size_t r = 0; r < c.size(); ++r) {
      counts[r] = as_int(c[r], "reduce_scatter");
      total += c[r];
    }
    (void)as_int(total, "reduce_scatter");
    MPI_Request req;
    check(MPI_Ireduce_scatter(in, out, counts.data(), type, MPI_SUM, comm_, &req) == MPI_SUCCESS,
          "dist::reduce_scatter: MPI_Ireduce_scatter failed");
    wait(req, "reduce_scatter");
  }

  // MPI progresses a non-blocking collective only inside MPI calls, so the wait polls without
  // sleeping: a sleep between polls stalls every round of a large all-reduce (measured: a ring
  // step on 2 ranks went from ~20 to 68 ms with 20 us sleeps). Yielding instead lets a rank that
  // shares the core run. Only a wait past 100 ms, which no healthy step has, sleeps 1 ms a poll.
  void wait(MPI_Request& req, const char* op) {
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    bool patient = false;
    for (long polls = 0;; ++polls) {
      int done = 0;
      MPI_Test(&req, &done, MPI_STATUS_IGNORE);
      if (done) return;
      if (patient)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      else
        std::this_thread::yield();
      if ((polls & 63) != 0) continue;
      const double waited = std::chrono::duration<double>(clock::now() - t0).count();
      patient = waited > 0.1;
      if (waited > timeout_s_) {
        std::fprintf(stderr,
                     "entropic: rank %d of %d: %s did not complete within %g s: another rank has died or "
                     "stopped calling the collectives. Aborting the job (ENTROPIC_DIST_TIMEOUT sets the wait).\n",
                     rank_, size_, op, timeout_s_);
        std::fflush(stderr);
        MPI_Abort(comm_, 3);
      }
    }
  }

  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
  double timeout_s_ = 300;
};

}  // namespace entropic::dist
