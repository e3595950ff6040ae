// The seam between data-parallel training and the engine that moves the bytes: three
// collectives (all-reduce, all-gather, reduce-scatter) over every rank of a job. MPI carries host
// tensors (dist/mpi.hpp), NCCL device tensors (dist/nccl.hpp); Solo is the one-process job, so
// code written against a Communicator runs unchanged without either.
//
// All ranks must call the same collectives in the same order with matching counts, as with MPI
// and NCCL themselves. An implementation fails (or aborts the job) with a message naming the
// collective when one does not complete in time, so a dead rank cannot leave the others hanging.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "entropic/core/error.hpp"
#include "entropic/core/tensor.hpp"

namespace entropic::dist {

enum class Reduce { sum, average };

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Where the buffers handed to the collectives live: cpu for MPI, cuda for NCCL.
  virtual Device device() const = 0;
  virtual std::string name() const = 0;

  // data[count] <- the sum (or average) over ranks of every rank's data, in place.
  virtual void all_reduce(float* data, int64_t count, Reduce op) = 0;
  virtual void all_reduce(double* data, int64_t count, Reduce op) = 0;
  // out[sum(counts)] <- every rank's in[counts[rank]], in rank order.
  virtual void all_gather(const float* in, float* out, const std::vector<int64_t>& counts) = 0;
  virtual void all_gather(const double* in, double* out, const std::vector<int64_t>& counts) = 0;
  // out[counts[rank]] <- the sum over ranks of their in[sum(counts)] at this rank's offset: the
  // adjoint of all_gather.
  virtual void reduce_scatter(const float* in, float* out, const std::vector<int64_t>& counts) = 0;
  virtual void reduce_scatter(const double* in, double* out, const std::vector<int64_t>& counts) = 0;

  bool is_distributed() const { return size() > 1; }
};

// The job of one process: every collective is the identity.
class Solo final : public Communicator {
 public:
  explicit Solo(Device device = Device::cpu) : device_(device) {}
  int rank() const override { return 0; }
  int size() const override { return 1; }
  Device device() const override { return device_; }
  std::string name() const override { return "solo"; }
  void all_reduce(float*, int64_t, Reduce) override {}
  void all_reduce(double*, int64_t, Reduce) override {}
  void all_gather(const float* in, float* out, const std::vector<int64_t>& c) override { copy(in, out, c); }
  void all_gather(const double* in, double* out, const std::vector<int64_t>& c) override { copy(in, out, c); }
  void reduce_scatter(const float* in, float* out, const std::vector<int64_t>& c) override { copy(in, out, c); }
  void reduce_scatter(const double* in, double* out, const std::vector<int64_t>& c) override { copy(in, out, c); }

 private:
  template <class T>
  void copy(const T* in, T* out, const std::vector<int64_t>& counts) {
    check(counts.size() == 1, "dist: a one-process job has one count, got ", counts.size());
    copy_on(device_, out, in, size_t(counts[0]) * sizeof(T));
  }
  Device device_;
};

// The rows [begin, begin + count) of a global batch of n rows that rank r of `size` holds: the
// first n % size ranks hold one row more, so the counts differ by one at most.
struct Shard {
  int64_t begin = 0, count = 0;
};
inline Shard shard_of(int64_t n, int rank, int size) {
  check(size >= 1 && rank >= 0 && rank < size, "dist: rank ", rank, " of ", size, " is not a rank");
  const int64_t base = n / size, extra = n % size;
  return {rank * base + std::min<int64_t>(rank, extra), base + (rank < extra ? 1 : 0)};
}
inline std::vector<int64_t> shard_counts(int64_t n, int size, int64_t row_length = 1) {
  std::vector<int64_t> c(size_t(size), 0);
  for (int r = 0; r < size; ++r) c[size_t(r)] = shard_of(n, r, size).count * row_length;
  return c;
}

namespace detail {
// A collective's deadline: `seconds` when positive, else ENTROPIC_DIST_TIMEOUT, else 300 s.
inline double timeout_seconds(double seconds) {
  if (seconds > 0) return seconds;
  const char* e = std::getenv("ENTROPIC_DIST_TIMEOUT");
  if (!e) return 300.0;
  char* end = nullptr;
  const double v = std::strtod(e, &end);
  check(end != e && *end == '\0' && v > 0 && std::isfinite(v),
        "dist: ENTROPIC_DIST_TIMEOUT must be a positive number of seconds, got '", e, "'");
  return v;
}

template <class T>
void check_on(const Communicator& comm, const Tensor<T>& t, const char* op) {
  check(t.defined(), "dist::", op, ": the tensor is undefined");
  check(t.device() == comm.device(), "dist::", op, ": the tensor is on ", to_string(t.device()),
        " but the ", comm.name(), " communicator moves ", to_string(comm.device()),
        " tensors; move it with .to(", to_string(comm.device()), ") or use the communicator for its device");
}
}  // namespace detail

// t <- the sum (or average) of t over ranks.
template <class T>
void all_reduce(Communicator& comm, Tensor<T>& t, Reduce op) {
  detail::check_on(comm, t, "all_reduce");
  comm.all_reduce(t.data(), t.numel(), op);
}

// The rows of every rank's `local` [rows_r, ...] stacked in rank order; row_counts[r] = rows_r.
template <class T>
Tensor<T> all_gather_rows(Communicator& comm, const Tensor<T>& local, const std::vector<int64_t>& row_counts) {
  detail::check_on(comm, local, "all_gather_rows");
  check(int64_t(row_counts.size()) == comm.size(), "dist::all_gather_rows: ", row_counts.size(),
        " row counts for ", comm.size(), " ranks");
  check(local.rank() >= 1 && local.size(0) == row_counts[size_t(comm.rank())], "dist::all_gather_rows: rank ",
        comm.rank(), " holds ", local.rank() >= 1 ? local.size(0) : 0, " rows but its count says ",
        row_counts[size_t(comm.rank())]);
  int64_t row = 1;  // elements per row
  for (int k = 1; k < local.rank(); ++k) row *= local.size(k);
  std::vector<int64_t> counts(row_counts.size());
  for (size_t r = 0; r < counts.size(); ++r) counts[r] = row_counts[r] * row;
  std::vector<int64_t> dims = local.shape().dims();
  dims[0] = std::accumulate(row_counts.begin(), row_counts.end(), int64_t(0));
  Tensor<T> out(Shape(dims), local.device());
  comm.all_gather(local.data(), out.data(), counts);
  return out;
}

// The sum over ranks of every rank's `all` [sum rows, ...], this rank's rows of it.
template <class T>
Tensor<T> reduce_scatter_rows(Communicator& comm, const Tensor<T>& all, const std::vector<int64_t>& row_counts) {
  detail::check_on(comm, all, "reduce_scatter_rows");
  check(int64_t(row_counts.size()) == comm.size(), "dist::reduce_scatter_rows: ", row_counts.size(),
        " row counts for ", comm.size(), " ranks");
  const int64_t total = std::accumulate(row_counts.begin(), row_counts.end(), int64_t(0));
  check(all.rank() >= 1 && all.size(0) == total, "dist::reduce_scatter_rows: the tensor has ",
        all.rank() >= 1 ? all.size(0) : 0, " rows, the counts add up to ", total);
  int64_t row = 1;
  for (int k = 1; k < all.rank(); ++k) row *= all.size(k);
  std::vector<int64_t> counts(row_counts.size());
  for (size_t r = 0; r < counts.size(); ++r) counts[r] = row_counts[r] * row;
  std::vector<int64_t> dims = all.shape().dims();
  dims[0] = row_counts[size_t(comm.rank())];
  Tensor<T> out(Shape(dims), all.device());
  comm.reduce_scatter(all.data(), out.data(), counts);
  return out;
}

}  // namespace entropic::dist
