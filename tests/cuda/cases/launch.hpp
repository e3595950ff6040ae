// launch(): a bad configuration throws entropic::Error naming the launch site and the
// configuration; ENTROPIC_CUDA_CHECK names the call.
#include "cuda_test.hpp"

namespace {
__global__ void fill_kernel(float* p, int n, float v) {
  const int i = int(blockIdx.x * blockDim.x + threadIdx.x);
  if (i < n) p[i] = v;
}
}  // namespace

TEST_CASE("launch runs a kernel") {
  entropic::test::DeviceBuffer<float> p(300);
  entropic::cuda::launch(fill_kernel, dim3(2), dim3(256), 0, entropic::test::kStream, p.get(), 300, 2.5f);
  const std::vector<float> h = p.host();
  CHECK(h.front() == 2.5f);
  CHECK(h.back() == 2.5f);
}

TEST_CASE("launch with more than 1024 threads a block throws Error naming the site") {
  entropic::test::DeviceBuffer<float> p(4);
  const int line = __LINE__ + 2;
  auto bad = [&] {
    entropic::cuda::launch(fill_kernel, dim3(1), dim3(2048), 0, entropic::test::kStream, p.get(), 4, 1.f);
  };
  CHECK_THROWS_AS(bad(), entropic::Error);
  try {
    bad();
  } catch (const entropic::Error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find("launch.hpp:" + std::to_string(line)) != std::string::npos);
    CHECK(msg.find("block (2048,1,1)") != std::string::npos);
    // CUDA 13 says InvalidValue, older toolkits InvalidConfiguration: either names the cause.
    CHECK((msg.find("cudaErrorInvalidValue") != std::string::npos ||
           msg.find("cudaErrorInvalidConfiguration") != std::string::npos));
  }
}

TEST_CASE("launch with too much dynamic shared memory throws Error") {
  entropic::test::DeviceBuffer<float> p(4);
  CHECK_THROWS_AS(entropic::cuda::launch(fill_kernel, dim3(1), dim3(32), 1 << 20, entropic::test::kStream, p.get(), 4,
                                         1.f),
                  entropic::Error);
}

TEST_CASE("ENTROPIC_CUDA_CHECK throws Error with the call text, file and line") {
  try {
    ENTROPIC_CUDA_CHECK(cudaErrorInvalidValue);
    FAIL("no throw");
  } catch (const entropic::Error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find("cudaErrorInvalidValue") != std::string::npos);
    CHECK(msg.find("launch.hpp:") != std::string::npos);
  }
}
