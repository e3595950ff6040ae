// The NCCL communicator on a GPU machine, one rank per GPU (mpirun -np 1 on a one-GPU machine):
// every collective on device buffers against the values each rank computes alone. Exits 77
// (skipped) where there is no GPU; CI compiles it with nvcc, a GPU machine runs it.
#include <cstdio>
#include <vector>

#include "entropic/dist/mpi.hpp"
#include "entropic/dist/nccl.hpp"

namespace {
double value(int rank, int64_t i) { return double((i * 7 + rank * 13) % 101) - 50.0 + 0.25 * rank; }

template <class T>
int check_collectives(entropic::dist::NcclCommunicator& comm) {
  const int n = comm.size();
  int bad = 0;
  auto expect = [&](const std::vector<T>& got, const std::vector<double>& want, const char* what) {
    for (size_t i = 0; i < want.size(); ++i)
      if (double(got[i]) != want[i]) {
        if (bad++ < 5) std::fprintf(stderr, "rank %d: %s[%zu] = %g, expected %g\n", comm.rank(), what, i, double(got[i]), want[i]);
      }
  };
  const int64_t count = 1000003;
  std::vector<T> host(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) host[size_t(i)] = T(value(comm.rank(), i));
  T* d = nullptr;
  T* out = nullptr;
  cudaMalloc(&d, size_t(count) * sizeof(T));
  cudaMalloc(&out, size_t(count) * n * sizeof(T));
  cudaMemcpy(d, host.data(), size_t(count) * sizeof(T), cudaMemcpyHostToDevice);
  comm.all_reduce(d, count, entropic::dist::Reduce::sum);
  std::vector<T> got(static_cast<size_t>(count));
  cudaMemcpy(got.data(), d, size_t(count) * sizeof(T), cudaMemcpyDeviceToHost);
  std::vector<double> want(size_t(count), 0.0);
  for (int64_t i = 0; i < count; ++i)
    for (int r = 0; r < n; ++r) want[size_t(i)] += value(r, i);
  expect(got, want, "all_reduce");

  cudaMemcpy(d, host.data(), size_t(count) * sizeof(T), cudaMemcpyHostToDevice);
  comm.all_gather(d, out, std::vector<int64_t>(size_t(n), count));
  std::vector<T> all(size_t(count) * n);
  cudaMemcpy(all.data(), out, all.size() * sizeof(T), cudaMemcpyDeviceToHost);
  std::vector<double> gathered;
  for (int r = 0; r < n; ++r)
    for (int64_t i = 0; i < count; ++i) gathered.push_back(value(r, i));
  expect(all, gathered, "all_gather");

  comm.reduce_scatter(out, d, std::vector<int64_t>(size_t(n), count));
  cudaMemcpy(got.data(), d, size_t(count) * sizeof(T), cudaMemcpyDeviceToHost);
  for (int64_t i = 0; i < count; ++i) want[size_t(i)] = double(n) * gathered[size_t(comm.rank() * count + i)];
  expect(got, want, "reduce_scatter");
  cudaFree(d);
  cudaFree(out);
  return bad;
}
}  // namespace

int main(int argc, char** argv) {
  entropic::dist::MpiSession mpi(&argc, &argv);
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("no GPU: the NCCL test is skipped\n");
    return 77;
  }
  entropic::dist::NcclCommunicator comm;
  const int bad = check_collectives<float>(comm) + check_collectives<double>(comm);
  std::printf("rank %d of %d on GPU %d: NCCL collectives %s\n", comm.rank(), comm.size(), comm.local_rank(),
              bad ? "FAILED" : "match the reference");
  return bad ? 1 : 0;
}
