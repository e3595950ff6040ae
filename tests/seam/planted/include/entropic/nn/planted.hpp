// Fixture for the device-seam check (tests/seam/CMakeLists.txt): a layer that branches on the
// device itself, which the check must report. Never compiled.
template <class T>
void planted_step(Tensor<T>& w) {
  if (w.device() == Device::cuda) return ops::cuda_kernels<T>().axpby(T(1), w.data(), T(0), w.data(), w.data(), 1);
}
