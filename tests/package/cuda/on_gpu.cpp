// Links entropic::cuda: Device::cuda must be registered even on a machine without a GPU (CI),
// where the first use of the device then raises entropic::Error. With a GPU it also runs the
// library and a kernel of our own (scale.cu) on one tensor.
#include <entropic/entropic.hpp>

#include <cstdint>
#include <cstdio>
#include <string>

bool scale_on_device(float* p, int64_t n, float a);

int main() {
  if (!entropic::cuda_backend_registered()) {
    std::printf("entropic::cuda was linked but Device::cuda is not registered\n");
    return 1;
  }
  try {
    auto x = entropic::TensorF::full({3}, 2.f, entropic::Device::cuda);
    if (!scale_on_device(x.data(), x.numel(), 1.5f)) return 1;
    for (float v : x.vec())
      if (v != 3.f) {
        std::printf("2 * 1.5 gave %g on the device\n", v);
        return 1;
      }
    std::printf("cuda consumer ok: ran on %s\n", entropic::cuda_runtime().device_name().c_str());
  } catch (const entropic::Error& e) {
    // Only the backend's own "no device" error means a machine without a GPU; anything else
    // (e.g. the backend missing) is a failure.
    if (std::string(e.what()).find("no CUDA device is visible") == std::string::npos) throw;
    std::printf("cuda consumer ok: Device::cuda registered; no GPU here (%s)\n", e.what());
  }
  return 0;
}
