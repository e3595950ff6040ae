// NCCL: the collectives between GPUs, one process per GPU, launched by mpirun. MPI starts the
// job and carries NCCL's unique id from rank 0 to the others; each rank takes the GPU whose
// index is its rank among the ranks on its node. Needs <nccl.h> (it ships with the CUDA
// toolkit) and <mpi.h>; link nccl, cudart and MPI.
//
// Ordering: the entropic backend's stream is synchronised before a collective reads the
// buffers, and the collective is waited for on its own stream before it returns, with the
// same deadline as MPI (ENTROPIC_DIST_TIMEOUT, default 300 s): a stalled collective aborts
// the communicator and fails with a message naming it, it does not hang. (Running the
// collectives on the backend's own stream would save those waits; a step captured in a CUDA
// graph will want that.)
#pragma once
#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "entropic/core/backend.hpp"
#include "entropic/dist/communicator.hpp"

namespace entropic::dist {

class NcclCommunicator final : public Communicator {
 public:
  // MPI must be initialised (an MpiSession in main). timeout_s <= 0: ENTROPIC_DIST_TIMEOUT or 300.
  explicit NcclCommunicator(MPI_Comm world = MPI_COMM_WORLD, double timeout_s = 0) {
    int init = 0;
    MPI_Initialized(&init);
    check(init, "dist: NCCL's ranks start under MPI; create an entropic::dist::MpiSession in main first");
    MPI_Comm_rank(world, &rank_);
    MPI_Comm_size(world, &size_);
    MPI_Comm node;
    MPI_Comm_split_type(world, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &local_rank_);
    MPI_Comm_free(&node);
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess) devices = 0;
    check(local_rank_ < devices, "dist: rank ", rank_, " is number ", local_rank_, " on its node, which has ",
          devices, " GPU(s); start at most one rank per GPU (NCCL refuses two ranks on one GPU)");
    cuda_ok(cudaSetDevice(local_rank_), "cudaSetDevice");
    timeout_s_ = detail::timeout_seconds(timeout_s);
    ncclUniqueId id;
    if (rank_ == 0) nccl_ok(ncclGetUniqueId(&id), "ncclGetUniqueId");
    MPI_Bcast(&id, int(sizeof id), MPI_BYTE, 0, world);
    cuda_ok(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    // Non-blocking, so the initialisation too gives up at the deadline when a rank is missing.
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    const ncclResult_t r = ncclCommInitRankConfig(&comm_, size_, id, rank_, &config);
    check(r == ncclSuccess || r == ncclInProgress, "dist: ncclCommInitRank failed: ", ncclGetErrorString(r));
    wait_init();
  }
  ~NcclCommunicator() override {
    if (comm_) ncclCommDestroy(comm_);
    if (stream_) cudaStreamDestroy(stream_);
  }
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const { return local_rank_; }
  Device device() const override { return Device::cuda; }
  std::string name() const override { return "NCCL"; }

  void all_reduce(float* d, int64_t n, Reduce op) override { reduce_impl(d, n, op, ncclFloat32); }
  void all_reduce(double* d, int64_t n, Reduce op) override { reduce_impl(d, n, op, ncclFloat64); }
  void all_gather(const float* in, float* out, const std::vector<int64_t>& c) override { gather_impl(in, out, c, ncclFloat32); }
  void all_gather(const double* in, double* out, const std::vector<int64_t>& c) override { gather_impl(in, out, c, ncclFloat64); }
  void reduce_scatter(const float* in, float* out, const std::vector<int64_t>& c) override { scatter_impl(in, out, c, ncclFloat32); }
  void reduce_scatter(const double* in, double* out, const std::vector<int64_t>& c) override { scatter_impl(in, out, c, ncclFloat64); }

 private:
  static void cuda_ok(cudaError_t e, const char* what) {
    check(e == cudaSuccess, "dist: ", what, " failed: ", cudaGetErrorString(e));
  }
  void nccl_ok(ncclResult_t r, const char* what) {
    check(r == ncclSuccess || r == ncclInProgress, "dist: ", what, " failed on rank ", rank_, ": ",
          ncclGetErrorString(r));
  }
  static bool equal(const std::vector<int64_t>& c) {
    for (int64_t x : c)
      if (x != c[0]) return false;
    return true;
  }
  // The backend's kernels that wrote the inputs have finished before NCCL's stream reads them.
  void before() { cuda_runtime().synchronize(); }

  template <class T>
  void reduce_impl(T* d, int64_t n, Reduce op, ncclDataType_t type) {
    if (n == 0) return;
    before();
    nccl_ok(ncclAllReduce(d, d, size_t(n), type, op == Reduce::sum ? ncclSum : ncclAvg, comm_, stream_), "ncclAllReduce");
    wait("all_reduce");
  }
  template <class T>
  void gather_impl(const T* in, T* out, const std::vector<int64_t>& c, ncclDataType_t type) {
    check(int64_t(c.size()) == size_, "dist::all_gather: ", c.size(), " counts for ", size_, " ranks");
    before();
    if (equal(c)) {
      if (c[0] > 0) nccl_ok(ncclAllGather(in, out, size_t(c[0]), type, comm_, stream_), "ncclAllGather");
    } else {  // unequal shares: one broadcast per rank, fused into one launch by the group
      nccl_ok(ncclGroupStart(), "ncclGroupStart");
      int64_t off = 0;
      for (int r = 0; r < size_; ++r) {
        if (c[size_t(r)] > 0)
          nccl_ok(ncclBroadcast(r == rank_ ? in : out + off, out + off, size_t(c[size_t(r)]), type, r, comm_, stream_),
                  "ncclBroadcast");
        off += c[size_t(r)];
      }
      nccl_ok(ncclGroupEnd(), "ncclGroupEnd");
    }
    wait("all_gather");
  }
  template <class T>
  void scatter_impl(const T* in, T* out, const std::vector<int64_t>& c, ncclDataType_t type) {
    check(int64_t(c.size()) == size_, "dist::reduce_scatter: ", c.size(), " counts for ", size_, " ranks");
    before();
    if (equal(c)) {
      if (c[0] > 0) nccl_ok(ncclReduceScatter(in, out, size_t(c[0]), type, ncclSum, comm_, stream_), "ncclReduceScatter");
    } else {  // unequal shares: one reduce to each rank, grouped
      nccl_ok(ncclGroupStart(), "ncclGroupStart");
      int64_t off = 0;
      for (int r = 0; r < size_; ++r) {
        if (c[size_t(r)] > 0)
          nccl_ok(ncclReduce(in + off, r == rank_ ? out : nullptr, size_t(c[size_t(r)]), type, ncclSum, r, comm_, stream_),
                  "ncclReduce");
        off += c[size_t(r)];
      }
      nccl_ok(ncclGroupEnd(), "ncclGroupEnd");
    }
    wait("reduce_scatter");
  }

  void stall(const char* op) {
    ncclCommAbort(comm_);
    comm_ = nullptr;
    fail("dist: rank ", rank_, " of ", size_, ": NCCL ", op, " did not complete within ", timeout_s_,
         " s: another rank has died or stopped calling the collectives (ENTROPIC_DIST_TIMEOUT sets the wait)");
  }
  void wait_init() {
    const auto t0 = std::chrono::steady_clock::now();
    for (;;) {
      ncclResult_t state = ncclSuccess;
      ncclCommGetAsyncError(comm_, &state);
      if (state == ncclSuccess) return;
      if (state != ncclInProgress) fail("dist: NCCL initialisation failed on rank ", rank_, ": ", ncclGetErrorString(state));
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > timeout_s_) stall("initialisation");
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  void wait(const char* op) {
    const auto t0 = std::chrono::steady_clock::now();
    for (long polls = 0;; ++polls) {
      const cudaError_t e = cudaStreamQuery(stream_);
      if (e == cudaSuccess) return;
      cuda_ok(e == cudaErrorNotReady ? cudaSuccess : e, op);
      ncclResult_t state = ncclSuccess;
      ncclCommGetAsyncError(comm_, &state);
      if (state != ncclSuccess && state != ncclInProgress) {
        ncclCommAbort(comm_);
        comm_ = nullptr;
        fail("dist: NCCL ", op, " failed on rank ", rank_, ": ", ncclGetErrorString(state));
      }
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > timeout_s_) stall(op);
      if (polls > 1000) std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  }

  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  int rank_ = 0, size_ = 1, local_rank_ = 0;
  double timeout_s_ = 300;
};

}  // namespace entropic::dist
