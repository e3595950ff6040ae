#include <doctest/doctest.h>

#include "entropic/autograd/functions.hpp"

using namespace entropic;

TEST_CASE("var: gradients accumulate over uses and over backward calls, zero_grad clears") {
  VarD a(TensorD::from({3}, {1, 2, 3}), true);
  // s = sum(2a + 3a) uses a twice: ds/da = 5.
  VarD s = fn::sum(fn::add(fn::scale(a, 2.0), fn::scale(a, 3.0)));
  CHECK(s.item() == doctest::Approx(30));
  s.backward();
  for (double g : a.grad()) CHECK(g == 5.0);
  VarD s2 = fn::mean(a);
  s2.backward();
  for (double g : a.grad()) CHECK(g == doctest::Approx(5.0 + 1.0 / 3));
  a.zero_grad();
  CHECK_FALSE(a.grad().defined());
}

TEST_CASE("var: NoGrad and detach stop gradients, errors name the fix") {
  VarD a(TensorD::from({2}, {1, 2}), true);
  {
    NoGrad ng;
    VarD s = fn::sum(a);
    CHECK_FALSE(s.requires_grad());
    CHECK_THROWS_WITH_AS(s.backward(), doctest::Contains("does not depend on anything"), Error);
  }
  VarD d = fn::sum(a.detach());
  CHECK_FALSE(d.requires_grad());
  VarD v = fn::scale(a, 2.0);
  CHECK_THROWS_WITH_AS(v.backward(), doctest::Contains("needs a scalar output"), Error);
}

TEST_CASE("var: backward frees the graph, intermediate gradients are not kept") {
  VarD a(TensorD::from({2}, {1, 2}), true);
  VarD mid = fn::scale(a, 3.0);
  VarD s = fn::sum(mid);
  s.backward();
  CHECK_FALSE(mid.grad().defined());
  CHECK(mid.state()->creator == nullptr);
  CHECK(a.grad()[0] == 3.0);
}

TEST_CASE("var: a deep chain does not overflow the stack") {
  VarD a(TensorD::from({1}, {1}), true);
  VarD h = a;
  for (int i = 0; i < 100000; ++i) h = fn::scale(h, 1.0);
  fn::sum(h).backward();
  CHECK(a.grad()[0] == 1.0);
}
