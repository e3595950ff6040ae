// Built against the installed package: proves the exported target carries the include path,
// the C++ standard and the thread library.
#include <entropic/entropic.hpp>

#include <cstdio>

int main() {
  entropic::Rng rng(7);
  auto x = entropic::TensorF::randn({4, 3}, rng);
  std::printf("consumer ok: %s\n", x.shape().str().c_str());
  return x.numel() == 12 ? 0 : 1;
}
