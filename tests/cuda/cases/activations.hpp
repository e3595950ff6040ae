// Elementwise activations against the CPU backend (under the shim) and a double reference.
#include <cmath>

#include "cuda_test.hpp"
#include "entropic/cuda/activations.cuh"
#if defined(ENTROPIC_CUDA_EMU)
#include "entropic/cpu/activations.hpp"
#endif

namespace {
using entropic::Act;
using namespace entropic::test;

double fwd_ref(Act a, double x, double slope) {
  switch (a) {
    case Act::relu: return x > 0 ? x : 0;
    case Act::leaky_relu: return x > 0 ? x : slope * x;
    case Act::tanh: return std::tanh(x);
    case Act::sigmoid: return 1 / (1 + std::exp(-x));
    case Act::none: break;
  }
  return x;
}
// s: y, or x for leaky_relu
double bwd_ref(Act a, double dy, double s, double slope) {
  switch (a) {
    case Act::relu: return s > 0 ? dy : 0;
    case Act::leaky_relu: return s > 0 ? dy : slope * dy;
    case Act::tanh: return dy * (1 - s * s);
    case Act::sigmoid: return dy * s * (1 - s);
    case Act::none: break;
  }
  return dy;
}

#if defined(ENTROPIC_CUDA_EMU)
template <class T>
void cpu_forward(Act a, const T* x, T* y, int64_t n, T slope) {
  namespace c = entropic::cpu;
  if (a == Act::relu) c::relu_forward(x, y, n);
  if (a == Act::leaky_relu) c::leaky_relu_forward(x, y, n, slope);
  if (a == Act::tanh) c::tanh_forward(x, y, n);
  if (a == Act::sigmoid) c::sigmoid_forward(x, y, n);
}
template <class T>
void cpu_backward(Act a, const T* dy, const T* s, T* dx, int64_t n, T slope) {
  namespace c = entropic::cpu;
  if (a == Act::relu) c::relu_backward(dy, s, dx, n);
  if (a == Act::leaky_relu) c::leaky_relu_backward(dy, s, dx, n, slope);
  if (a == Act::tanh) c::tanh_backward(dy, s, dx, n);
  if (a == Act::sigmoid) c::sigmoid_backward(dy, s, dx, n);
}
#endif

template <class T>
void check(Act a, int64_t n, double tol) {
  const T slope = T(0.1);
  std::vector<T> x = random_values<T>(n, 11, -6, 6), dy = random_values<T>(n, 12);
  x[0] = T(0);  // the kink
  if (n > 1) x[1] = T(-40);  // sigmoid's far tail
  DeviceBuffer<T> dx_(x), ddy(dy), dout(static_cast<size_t>(n), T(NAN)), dgrad(static_cast<size_t>(n), T(NAN));
  entropic::cuda::act_forward(a, dx_.get(), dout.get(), n, slope, kStream);
  const std::vector<T> y = dout.host();
  const std::vector<T>& saved = a == Act::leaky_relu ? x : y;
  DeviceBuffer<T> dsaved(saved);
  entropic::cuda::act_backward(a, ddy.get(), dsaved.get(), dgrad.get(), n, slope, kStream);
  std::vector<double> ry(static_cast<size_t>(n)), rdx(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    ry[size_t(i)] = fwd_ref(a, double(x[i]), double(slope));
    rdx[size_t(i)] = bwd_ref(a, double(dy[i]), double(saved[i]), double(slope));
  }
  const std::string name = shape_name("activation", {int(a), n});
  CHECK(all_close(y, ry, tol, tol, name + " forward vs double"));
  CHECK(all_close(dgrad.host(), rdx, tol, tol, name + " backward vs double"));
#if defined(ENTROPIC_CUDA_EMU)
  std::vector<T> cy(static_cast<size_t>(n)), cdx(static_cast<size_t>(n));
  cpu_forward(a, x.data(), cy.data(), n, slope);
  cpu_backward(a, dy.data(), saved.data(), cdx.data(), n, slope);
  CHECK(all_close(y, cy, tol, tol, name + " forward vs cpu"));
  CHECK(all_close(dgrad.host(), cdx, tol, tol, name + " backward vs cpu"));
#endif
}
}  // namespace

TEST_CASE("activations forward and backward, float and double") {
  const std::vector<int64_t> sizes = kTsan ? std::vector<int64_t>{1, 300} : std::vector<int64_t>{1, 255, 257, 3000};
  for (Act a : {Act::relu, Act::leaky_relu, Act::tanh, Act::sigmoid})
    for (int64_t n : sizes) {
      check<float>(a, n, 2e-6);
      check<double>(a, n, 1e-14);
    }
}
