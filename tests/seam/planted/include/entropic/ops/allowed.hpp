// Fixture for the device-seam check: the op layer may branch on the device. Never compiled.
template <class T>
bool on_device(const Tensor<T>& t) { return t.device() == Device::cuda; }
