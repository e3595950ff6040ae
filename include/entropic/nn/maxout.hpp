// Maxout(in, units, pieces): a Linear layer to units * pieces outputs, then the maximum over
// each unit's pieces (Goodfellow et al. 2013), as in the PacGAN discriminator.
#pragma once
#include "entropic/nn/linear.hpp"

namespace entropic::nn {

template <class T = float>
class Maxout : public Module<T> {
 public:
  Maxout(int64_t in, int64_t units, int64_t pieces, Rng& rng, LinearInit init = {})
      : linear_(in, units * pieces, rng, init), pieces_(pieces) {
    check(units > 0 && pieces > 0, "maxout: units and pieces must be positive, got ", units,
          " and ", pieces);
  }
  Var<T> forward(const Var<T>& x) override { return fn::maxout(linear_.forward(x), pieces_); }
  void collect_parameters(const std::string& prefix,
                          std::vector<std::pair<std::string, Var<T>>>& out) override {
    linear_.collect_parameters(prefix, out);
  }

 private:
  Linear<T> linear_;
  int64_t pieces_;
};

}  // namespace entropic::nn
