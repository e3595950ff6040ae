// Links entropic::entropic alone: the include path, C++20 and the thread library come with it.
#include <entropic/entropic.hpp>

#include <cstdio>

int main() {
  entropic::Rng rng(7);
  auto x = entropic::TensorF::randn({4, 3}, rng);
  std::printf("consumer ok: %s\n", x.shape().str().c_str());
  return x.numel() == 12 ? 0 : 1;
}
