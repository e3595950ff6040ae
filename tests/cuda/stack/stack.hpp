// Device::cuda through the whole library: tensors, every autograd op, Adam, module moves, the
// GAN trainer with its checkpoints, and the caching allocator. Each case runs the same program
// on cpu and on cuda and compares. Built twice, as the kernel cases are: against the CPU shim
// (label cuda-emu, in CI: the backend of entropic/cuda/backend.cuh with every kernel executed
// on CPU threads) and with nvcc on a real GPU (label gpu).
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "entropic/autograd/functions.hpp"
#include "entropic/entropy/functions.hpp"
#include "entropic/gan/mixture.hpp"
#include "entropic/gan/networks.hpp"
#include "entropic/gan/trainer.hpp"
#include "entropic/nn/adam.hpp"
#include "entropic/ops/bandwidth.hpp"
#include "entropic/ops/ema.hpp"
#include "support.hpp"

namespace {
using namespace entropic;
using entropic::test::all_close;

template <class T>
Tensor<T> random_tensor(Shape s, uint64_t seed, double lo = -1, double hi = 1) {
  Rng r(seed);
  return Tensor<T>::rand(std::move(s), r, lo, hi);
}

template <class T>
std::vector<double> host_values(const Tensor<T>& t) {
  const std::vector<T> v = t.vec();
  return std::vector<double>(v.begin(), v.end());
}

TEST_CASE("stack: tensors move between cpu and cuda and keep their values") {
  const TensorF h = random_tensor<float>({5, 3}, 1);
  const TensorF d = h.to(Device::cuda);
  CHECK(d.device() == Device::cuda);
  CHECK(d.shape() == h.shape());
  CHECK(d.vec() == h.vec());
  CHECK(d.to(Device::cuda).shares_storage(d));  // no copy when already there
  const TensorF c = d.clone();
  CHECK_FALSE(c.shares_storage(d));
  CHECK(c.to(Device::cpu).vec() == h.vec());
  CHECK(TensorF::full({4}, 2.5f, Device::cuda).vec() == std::vector<float>(4, 2.5f));
  CHECK(TensorF::zeros({3}, Device::cuda).vec() == std::vector<float>(3, 0.f));
  CHECK(TensorF::full({}, -7.f, Device::cuda).item() == -7.f);
  TensorF back = TensorF::zeros({15});
  back.copy_from(d);
  CHECK(back.vec() == h.vec());
  const TensorF rows = d.slice_rows(1, 3);  // a view keeps its offset on the device too
  const std::vector<float> hv = h.vec();
  CHECK(rows.vec() == std::vector<float>(hv.begin() + 3, hv.begin() + 9));
  const TensorD asd = d.to<double>();
  CHECK(asd.device() == Device::cuda);
  CHECK(asd.vec()[4] == double(h[4]));
}

TEST_CASE("stack: an op given tensors on two devices says which and how to fix it") {
  const TensorD x = random_tensor<double>({4, 3}, 2), w = random_tensor<double>({2, 3}, 3);
  CHECK_THROWS_WITH_AS(ops::linear(x.to(Device::cuda), w, static_cast<const TensorD*>(nullptr)),
                       doctest::Contains("linear: weight is on device cpu but the input is on cuda; move it with "
                                         ".to(Device::cuda)"),
                       Error);
  CHECK_THROWS_WITH_AS(ops::lincomb(1.0, x, 1.0, x.to(Device::cuda)), doctest::Contains("b is on device cuda"), Error);
}

// A graph that uses every differentiable op, on `dev`; returns the loss and the gradients of
// every leaf, on the host.
template <class T>
std::vector<std::vector<double>> every_op(Device dev, bool training, double* loss_out) {
  auto leaf = [&](Shape s, uint64_t seed, double lo = -1, double hi = 1) {
    return Var<T>(random_tensor<T>(std::move(s), seed, lo, hi).to(dev), true);
  };
  Var<T> x = leaf({9, 5}, 10), w1 = leaf({12, 5}, 11), b1 = leaf({12}, 12), g = leaf({12}, 13, 0.5, 1.5),
         be = leaf({12}, 14), w2 = leaf({6, 6}, 15), b2 = leaf({6}, 16);
  Tensor<T> rm = random_tensor<T>({12}, 17).to(dev), rv = random_tensor<T>({12}, 18, 0.5, 2).to(dev);
  Var<T> h = fn::linear(x, w1, b1);
  h = fn::batchnorm1d(h, g, be, rm, rv, training, 1e-5, 0.1);
  h = fn::leaky_relu(h, 0.2);
  h = fn::maxout(h, 2);                  // [9, 6]
  h = fn::linear(h, w2, b2);             // [9, 6]
  const Var<T> a = fn::tanh(h), s = fn::sigmoid(h), r = fn::relu(h);
  const Var<T> t = fn::add(fn::scale(a, T(0.7)), fn::sub(s, r));
  const Tensor<T> target = random_tensor<T>({9, 6}, 19, 0, 1).to(dev);
  const Var<T> losses = fn::add(fn::bce_with_logits(t, target), fn::mse(t, target));
  Var<T> loss = fn::lincomb(T(1), losses, T(0.5), fn::mean(fn::scale(t, T(0.3))));
  loss = fn::add(loss, fn::scale(fn::sum(r), T(0.01)));
  // The maps and products losses are written with, through the operators; p lies in (0, 1), so
  // log and the quotient stay finite.
  const Var<T> p = fn::sigmoid(t);
  loss = loss + fn::mean(fn::clamp(1.0 - t * s, 0.0, 0.9)) + 0.1 * fn::mean(fn::exp(-fn::square(a)) / (p + 0.5)) -
         fn::mean(fn::log(p)) * 0.2 + fn::sum(2.0 / (p + 1.0)) / 50.0;
  const Var<T> emb = fn::linear(t, leaf({3, 6}, 20));  // [9, 3] samples for the entropies
  loss = fn::sub(loss, fn::kde_entropy(emb, {.bandwidth = entropy::Bandwidth::fixed, .sigma = 0.8}).H);
  const Var<T> h_loo = fn::kde_entropy(emb, {.bandwidth = entropy::Bandwidth::scott, .leave_one_out = true}).H;
  loss = fn::sub(loss, fn::scale(h_loo, T(0.5)));
  loss = fn::sub(loss, fn::scale(fn::knn_entropy(emb, {.k = 2}).H, T(0.25)));
  *loss_out = double(loss.item());
  loss.backward();
  std::vector<std::vector<double>> grads;
  for (const Var<T>* v : {&x, &w1, &b1, &g, &be, &w2, &b2}) grads.push_back(host_values(v->grad()));
  grads.push_back(host_values(rm));  // training mode updates the running statistics in place
  grads.push_back(host_values(rv));
  return grads;
}

TEST_CASE("stack: every autograd op on cuda gives the cpu's value and gradients (double)") {
  for (bool training : {true, false}) {
    CAPTURE(training);
    double lc = 0, ld = 0;
    const auto gc = every_op<double>(Device::cpu, training, &lc);
    const auto gd = every_op<double>(Device::cuda, training, &ld);
    CHECK(std::isfinite(lc));
    CHECK(ld == doctest::Approx(lc).epsilon(1e-11));
    REQUIRE(gc.size() == gd.size());
    for (size_t i = 0; i < gc.size(); ++i) {
      CAPTURE(i);
      CHECK(all_close(gd[i], gc[i], 1e-11, 1e-10, "gradient"));
    }
  }
}

// fn::linear(x, W, b, act) on cuda: the activation in the tiled GEMM kernel's epilogue (the only
// GEMM of the shim), the backward from the saved output. 70 x 67 outputs span two 64 x 64 tiles
// each way, with ragged edges; K = 20 is one full and one partial k-slice.
template <class T>
std::vector<std::vector<double>> fused_linear_run(Device dev, Act act, double slope, bool with_bias) {
  Var<T> x(random_tensor<T>({70, 20}, 41).to(dev), true), w(random_tensor<T>({67, 20}, 42).to(dev), true), b;
  if (with_bias) b = Var<T>(random_tensor<T>({67}, 43).to(dev), true);
  const Tensor<T> t = random_tensor<T>({70, 67}, 44, 0, 1).to(dev);
  const Var<T> y = fn::linear(x, w, b, act, slope);
  CHECK(y.value().device() == dev);
  fn::mse(y, t).backward();
  std::vector<std::vector<double>> r{host_values(y.value()), host_values(x.grad()), host_values(w.grad())};
  if (with_bias) r.push_back(host_values(b.grad()));
  return r;
}

TEST_CASE("stack: fn::linear with a fused activation on cuda gives the cpu's values and gradients for every Act") {
  struct Case {
    Act act;
    double slope;
  };
  for (const Case c : {Case{Act::none, 0.0}, Case{Act::relu, 0.0}, Case{Act::leaky_relu, 0.2},
                       Case{Act::leaky_relu, 0.0}, Case{Act::tanh, 0.0}, Case{Act::sigmoid, 0.0}}) {
    for (bool with_bias : {true, false}) {
      CAPTURE(std::string(act_name(c.act)));
      CAPTURE(c.slope);
      CAPTURE(with_bias);
      const auto ref = fused_linear_run<double>(Device::cpu, c.act, c.slope, with_bias);
      const auto dd = fused_linear_run<double>(Device::cuda, c.act, c.slope, with_bias);
      const auto df = fused_linear_run<float>(Device::cuda, c.act, c.slope, with_bias);
      REQUIRE(dd.size() == ref.size());
      REQUIRE(df.size() == ref.size());
      for (size_t i = 0; i < ref.size(); ++i) {
        CAPTURE(i);  // 0: y, 1: dx, 2: dW, 3: db
        CHECK(all_close(dd[i], ref[i], 1e-12, 1e-11, "double"));
        CHECK(all_close(df[i], ref[i], 1e-5, 1e-4, "float"));
      }
    }
  }
}

TEST_CASE("stack: a module moved to cuda trains with Adam as it does on the cpu") {
  auto build = [] {
    Rng r(7);
    nn::Sequential<double> m;
    m.emplace<nn::Linear<double>>(4, 10, r).emplace<nn::BatchNorm1d<double>>(10).emplace<nn::ReLU<double>>()
        .emplace<nn::Maxout<double>>(10, 3, 2, r).emplace<nn::Linear<double>>(3, 5, r).emplace<nn::Tanh<double>>()
        .emplace<nn::Linear<double>>(5, 1, r);  // 4-5 fused: the activation in the kernel
    return m;
  };
  nn::Sequential<double> mc = build(), md = build();
  md.to(Device::cuda);
  CHECK(md.device() == Device::cuda);
  nn::Adam<double> oc(mc.parameters(), {.lr = 1e-2, .weight_decay = 1e-3}), od(md.parameters(), {.lr = 1e-2, .weight_decay = 1e-3});
  const TensorD x = random_tensor<double>({8, 4}, 30), y = random_tensor<double>({8, 1}, 31);
  for (int step = 0; step < 5; ++step) {
    for (auto* p : {&oc, &od}) p->zero_grad();
    fn::mse(mc(Var<double>(x)), y).backward();
    fn::mse(md(Var<double>(x.to(Device::cuda))), y.to(Device::cuda)).backward();
    oc.step();
    od.step();
  }
  auto pc = mc.named_parameters(), pd = md.named_parameters();
  for (size_t i = 0; i < pc.size(); ++i) {
    CAPTURE(pc[i].first);
    CHECK(pd[i].second.value().device() == Device::cuda);
    CHECK(all_close(host_values(pd[i].second.value()), host_values(pc[i].second.value()), 1e-12, 1e-10, pc[i].first));
  }
  auto bc = mc.named_buffers(), bd = md.named_buffers();
  for (size_t i = 0; i < bc.size(); ++i) CHECK(all_close(host_values(*bd[i].second), host_values(*bc[i].second), 1e-12, 1e-10, bc[i].first));
}

// The 2D GAN with small networks, in double so that the two devices' different summation
// orders stay at rounding level (in float, Adam turns rounding noise in near-zero gradients into
// steps of lr, and the runs drift apart at 1e-3 after a few steps).
struct SmallGan {
  gan::Mixture mix = gan::mixture_by_name("ring");
  nn::Sequential<double> G, D;
  SmallGan(Device dev) {
    Rng r(5);
    G = gan::mixture_generator<double>(r, 2, 16, 2);
    D = gan::mixture_discriminator<double>(r, 8, 3);
    G.to(dev);
    D.to(dev);
  }
  gan::GanTrainer<double> trainer(int64_t iters, const std::string& out) {
    gan::TrainConfig c;
    c.iters = iters;
    c.batch = 24;
    c.lambda.value = 0.5;
    c.ema = 0.9;
    c.seed = 11;
    c.adam_g = c.adam_d = {.lr = 1e-3, .beta1 = 0.5};
    c.out_dir = out;
    c.checkpoint_every = 2;
    c.quiet = true;
    auto real = [m = mix](int64_t n, Rng& rng) { return m.sample<double>(n, rng); };
    auto H = [](const Var<double>& x) {
      return fn::kde_entropy(x, {.bandwidth = entropy::Bandwidth::fixed, .sigma = 0.25});
    };
    return gan::GanTrainer<double>(G, D, c, real, H);
  }
};

std::vector<double> flat_parameters(nn::Module<double>& m) {
  std::vector<double> out;
  for (auto& p : m.parameters())
    for (double v : host_values(p.value())) out.push_back(v);
  return out;
}

TEST_CASE("stack: the GAN trainer on cuda follows the cpu, resumes from its checkpoints, and stops allocating") {
  const int64_t iters = 4;
  const std::string dir = (std::filesystem::temp_directory_path() / "entropic-stack-gan").string();
  std::filesystem::remove_all(dir);
  SmallGan cpu(Device::cpu), gpu(Device::cuda);
  auto tc = cpu.trainer(iters, "");
  auto tg = gpu.trainer(iters, "");
  AllocatorStats warm;
  for (int64_t i = 0; i < iters; ++i) {
    const gan::TrainStats<double> sc = tc.step(), sg = tg.step();
    CAPTURE(i);
    CHECK(sg.d_loss == doctest::Approx(sc.d_loss).epsilon(1e-10));
    CHECK(sg.g_adv == doctest::Approx(sc.g_adv).epsilon(1e-10));
    CHECK(sg.entropy == doctest::Approx(sc.entropy).epsilon(1e-10));
    if (i == 1) warm = cuda_runtime().allocator_stats();
  }
  // Every tensor of a step has a shape the first steps already used: the cache serves them all.
  const AllocatorStats st = cuda_runtime().allocator_stats();
  CHECK(st.requests > warm.requests);
  CHECK(st.device_mallocs == warm.device_mallocs);
  // atol: the biases feeding BatchNorm have a zero gradient, so Adam moves them by rounding noise
  // (~lr * 1e-17 / eps a step), differently on each device.
  CHECK(all_close(flat_parameters(gpu.G), flat_parameters(cpu.G), 1e-9, 1e-8, "G"));
  CHECK(all_close(flat_parameters(gpu.D), flat_parameters(cpu.D), 1e-9, 1e-8, "D"));

  // Interrupted after 2 iterations and resumed from the checkpoint: the same parameters as an
  // uninterrupted run, both on cuda (bit for bit: the same kernels in the same order).
  SmallGan whole(Device::cuda), first(Device::cuda), second(Device::cuda);
  whole.trainer(3, dir + "/whole").run();
  first.trainer(2, dir + "/split").run();
  auto resumed = second.trainer(3, dir + "/split");
  resumed.run();
  CHECK(resumed.iteration() == 3);
  CHECK(flat_parameters(second.G) == flat_parameters(whole.G));
  CHECK(flat_parameters(second.D) == flat_parameters(whole.D));
  std::filesystem::remove_all(dir);
}

TEST_CASE("stack: kde entropy of samples on cuda that hold a NaN is refused with the reason") {
  std::vector<float> v(20, 0.5f);
  v[7] = NAN;
  const TensorF x = TensorF::from({10, 2}, v).to(Device::cuda);
  // One reduction finds it on the device; only then are the samples read on the host, to name it.
  CHECK_THROWS_WITH_AS(entropy::kde_entropy(x, {.bandwidth = entropy::Bandwidth::fixed, .sigma = 1.0}),
                       "kde_entropy: sample 3 has a non-finite value (nan) in dimension 1", Error);
}

TEST_CASE("stack: the seam's ops (Adam, EMA, finiteness, identity, bandwidth statistics) on cuda follow the cpu") {
  const int64_t n = 1000;
  TensorF w = random_tensor<float>({n}, 40), m = random_tensor<float>({n}, 41), v = random_tensor<float>({n}, 42, 0, 1);
  const TensorF g = random_tensor<float>({n}, 43);
  TensorF wd = w.to(Device::cuda), md = m.to(Device::cuda), vd = v.to(Device::cuda);
  ops::adam_update(w, g, m, v, 0.05f, 1.1f, 0.8f, 0.99f, 1e-8f, 0.1f);
  ops::adam_update(wd, g.to(Device::cuda), md, vd, 0.05f, 1.1f, 0.8f, 0.99f, 1e-8f, 0.1f);
  CHECK(all_close(host_values(wd), host_values(w), 1e-6, 1e-6, "adam w"));
  CHECK(all_close(host_values(md), host_values(m), 1e-6, 1e-6, "adam m"));
  CHECK(all_close(host_values(vd), host_values(v), 1e-6, 1e-6, "adam v"));

  TensorD avg = random_tensor<double>({7, 3}, 44), avg_d = avg.to(Device::cuda);
  const TensorD x = random_tensor<double>({7, 3}, 45);
  ops::ema_update(avg, x, 0.9);
  ops::ema_update(avg_d, x.to(Device::cuda), 0.9);
  CHECK(avg_d.device() == Device::cuda);
  CHECK(all_close(host_values(avg_d), host_values(avg), 1e-15, 1e-15, "ema"));

  TensorF finite = random_tensor<float>({50}, 46);
  CHECK(ops::all_finite(finite.to(Device::cuda)));
  for (float bad : {NAN, INFINITY, -INFINITY}) {
    TensorF y = finite.clone();
    y[49] = bad;
    CHECK_FALSE(ops::all_finite(y.to(Device::cuda)));
  }

  const TensorF a = random_tensor<float>({6, 2}, 47);
  CHECK(ops::activation(a.to(Device::cuda), Act::none).vec() == a.vec());
  CHECK(ops::activation_backward(a.to(Device::cuda), a.to(Device::cuda), a.to(Device::cuda), Act::none).vec() ==
        a.vec());

  const TensorD s = random_tensor<double>({30, 4}, 48);
  CHECK(ops::mean_std(s.to(Device::cuda)) == ops::mean_std(s));
  CHECK(ops::median_pair_sq_distance(s.to(Device::cuda)) == ops::median_pair_sq_distance(s));
}

template <class T>
void check_knn_on_cuda(int64_t n, int64_t d, int k, double tol) {
  Tensor<T> x = random_tensor<T>({n, d}, 90 + uint64_t(d));
  const entropy::KnnOptions opt{.k = k};
  const auto cpu = entropy::knn_entropy(x, opt);
  const Tensor<T> xc = x.to(Device::cuda);
  const auto dev = entropy::knn_entropy(xc, opt);
  CHECK(dev.rho.device() == Device::cuda);  // the search ran there: rho was written on the device
  CHECK(dev.nn_index == cpu.nn_index);
  CHECK(all_close(host_values(dev.rho), host_values(cpu.rho), tol, tol, "knn rho"));
  CHECK(double(dev.entropy) == doctest::Approx(double(cpu.entropy)).epsilon(tol));
  const Tensor<T> g_cpu = entropy::knn_entropy_backward(x, cpu, opt, T(1.3));
  const Tensor<T> g_dev = entropy::knn_entropy_backward(xc, dev, opt, T(1.3));
  CHECK(g_dev.device() == Device::cuda);
  CHECK(all_close(host_values(g_dev), host_values(g_cpu), tol, tol, "knn gradient"));
}

TEST_CASE("stack: knn entropy on cuda searches on the device and gives the cpu's H and gradient") {
  check_knn_on_cuda<double>(150, 2, 5, 1e-12);
  check_knn_on_cuda<double>(70, 10, 1, 1e-12);
  check_knn_on_cuda<float>(129, 3, 16, 1e-5);
  const TensorF x = random_tensor<float>({40, 2}, 5).to(Device::cuda);
  CHECK_THROWS_WITH_AS(entropy::knn_entropy(x, {.k = 17}), doctest::Contains("k <= 16"), Error);
  const auto res = entropy::knn_entropy(random_tensor<float>({40, 2}, 5), {.k = 3});
  CHECK_THROWS_WITH_AS(entropy::knn_entropy_backward(x, res, {.k = 3}, 1.0f),
                       doctest::Contains("result.rho is on cpu, x on cuda"), Error);
}

}  // namespace

// The KDE through autograd on cuda at shapes for which the backend's table
// (cuda/kde_dispatch.cuh) picks different kernels: float n 64 d 2 (tiles), float n 64 d 40 (the
// Gram path, its workspace from the caching allocator), double (tiles, always); H and dH/dx
// against the cpu's, with and without leave-one-out.
TEST_CASE("stack: the KDE on cuda, through whichever kernel the backend chooses, gives the cpu's H and gradient") {
  struct Case {
    int64_t n, d;
    bool dbl;
    double tol;
  };
  for (const Case& c : {Case{64, 2, false, 2e-4}, Case{64, 40, false, 2e-4}, Case{64, 40, true, 1e-10}})
    for (bool loo : {false, true}) {
      CAPTURE(c.n);
      CAPTURE(c.d);
      CAPTURE(c.dbl);
      CAPTURE(loo);
#if defined(ENTROPIC_CUDA_EMU)  // the gpu build compiles this file with g++, the backend apart
      CHECK((cuda::kde_choose(c.n, c.d, c.dbl ? 8 : 4, cuda::KdePass::backward, cuda::kKdeGramCapBytes).kernel ==
             (c.d == 40 && !c.dbl ? cuda::KdeKernel::gram : cuda::KdeKernel::tiles)));
#endif
      auto run = [&]<class T>(T, Device dev, std::vector<double>& grad) {
        Var<T> x(random_tensor<T>({c.n, c.d}, 31).to(dev), true);
        const Var<T> H = fn::kde_entropy(x, {.bandwidth = entropy::Bandwidth::fixed, .sigma = 0.4 * std::sqrt(double(c.d)),
                                             .leave_one_out = loo}).H;
        const double h = double(H.item());
        fn::scale(H, T(1.5)).backward();
        grad = host_values(x.grad());
        return h;
      };
      std::vector<double> gc, gd;
      const double hc = c.dbl ? run(0.0, Device::cpu, gc) : run(0.0f, Device::cpu, gc);
      const double hd = c.dbl ? run(0.0, Device::cuda, gd) : run(0.0f, Device::cuda, gd);
      CHECK(hd == doctest::Approx(hc).epsilon(c.tol));
      double gmax = 0;
      for (double v : gc) gmax = std::max(gmax, std::fabs(v));
      CHECK(all_close(gd, gc, c.tol * gmax, c.tol, "kde gradient"));
    }
}

TEST_CASE("stack: entropic-entropy --device cuda, the exact KDE of double samples, equals the cpu's") {
  for (bool loo : {false, true}) {
    TensorD x({700, 2});
    Rng(11).fill_normal(x.data(), 700 * 2);
    entropy::KdeOptions o;  // Scott's bandwidth, as the program's default
    o.leave_one_out = loo;
    const auto cpu = entropy::kde_entropy(x, o);
    int64_t calls = 0;
    o.progress = [&](int64_t, int64_t) { ++calls; };
    const auto gpu = entropy::kde_entropy(x.to(Device::cuda), o);
    CAPTURE(loo);
    CHECK(gpu.sigma == cpu.sigma);
    CHECK(std::fabs(double(gpu.entropy) - double(cpu.entropy)) <= 1e-9 * std::fabs(double(cpu.entropy)));
    CHECK(calls == 0);  // progress is the cpu's streaming forward's only
  }
}
