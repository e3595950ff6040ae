// The umbrella header: everything the library offers on the CPU.
#pragma once
#include "entropic/core/device.hpp"
#include "entropic/core/error.hpp"
#include "entropic/core/parallel.hpp"
#include "entropic/core/rng.hpp"
#include "entropic/core/shape.hpp"
#include "entropic/core/tensor.hpp"
