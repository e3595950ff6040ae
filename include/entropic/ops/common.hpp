// Checks shared by the op entry points: each op validates once, then calls a backend kernel
// that assumes valid input.
#pragma once
#include <cmath>
#include <string>

#include "entropic/core/error.hpp"
#include "entropic/core/tensor.hpp"
#include "entropic/ops/backend.hpp"

namespace entropic::ops {

template <class T>
void require_defined(const Tensor<T>& t, const char* op, const char* arg) {
  check(t.defined(), op, ": ", arg, " is an undefined (default-constructed) tensor");
}

// For the ops with no device implementation.
template <class T>
void require_cpu(const Tensor<T>& t, const char* op, const char* arg) {
  require_defined(t, op, arg);
  check(t.device() == Device::cpu, op, ": ", arg, " is on device ", to_string(t.device()),
        " but this op runs on cpu only; move it with .to(Device::cpu)");
}

// Every tensor of an op lives on the device of its first input.
template <class T>
void require_device(const Tensor<T>& t, Device d, const char* op, const char* arg) {
  require_defined(t, op, arg);
  check(t.device() == d, op, ": ", arg, " is on device ", to_string(t.device()), " but the input is on ",
        to_string(d), "; move it with .to(Device::", to_string(d), ")");
}

template <class T>
void require_matrix(const Tensor<T>& t, const char* op, const char* arg) {
  require_defined(t, op, arg);
  check(t.rank() == 2, op, ": ", arg, " must be a matrix [rows, cols], got shape ", t.shape());
  check(t.numel() > 0, op, ": ", arg, " is empty (shape ", t.shape(), ")");
}

template <class T>
void require_same_shape(const Tensor<T>& a, const Tensor<T>& b, const char* op, const char* an,
                        const char* bn) {
  check(a.shape() == b.shape(), op, ": ", an, " has shape ", a.shape(), " but ", bn,
        " has shape ", b.shape());
}

inline void require_positive(double v, const char* op, const char* arg) {
  check(std::isfinite(v) && v > 0, op, ": ", arg, " must be a positive finite number, got ", v);
}

}  // namespace entropic::ops
