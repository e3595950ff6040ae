// Data-parallel training over a Communicator: the pieces GanTrainer uses when TrainConfig::comm
// has more than one rank.
//
// The convention, PyTorch DDP's: every rank holds a shard of the global batch, computes its
// losses as means over its own rows, and the parameter gradients are AVERAGED over ranks, so with
// equal shards they are the gradients of the global batch's mean loss. Two terms couple rows
// across ranks, and both keep that convention exactly:
//  - gather_rows (the entropy of the global batch): forward all-gathers the generated rows,
//    backward reduce-scatters (sums) the gradient of every rank's loss into the rows each rank
//    owns. Each rank computes the same global H, so each rank's own rows receive world-size
//    times dH/dx, and the average over ranks brings it back to dH/dx: the factor that gathered
//    losses are known to lose or double (OpenCLIP, SimCLR) is accounted for by the adjoint itself.
//  - SyncBatchNorm: batch statistics (and their backward sums) over every rank's rows.
#pragma once
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "entropic/autograd/var.hpp"
#include "entropic/dist/communicator.hpp"
#include "entropic/nn/batchnorm.hpp"

namespace entropic::dist {

// The rows of every rank's `local` stacked in rank order, differentiable: the gradient reaching
// the stack is summed over ranks and each rank keeps its own rows of it.
template <class T>
Var<T> gather_rows(Communicator& comm, const Var<T>& local, std::vector<int64_t> row_counts) {
  Tensor<T> all = all_gather_rows(comm, local.value(), row_counts);
  Communicator* c = &comm;
  return make_result<T>(std::move(all), "gather_rows", {local},
                        [local, c, counts = std::move(row_counts)](const Tensor<T>& dall) {
    Var<T>::accumulate_grad(*local.state(), reduce_scatter_rows(*c, dall, counts));
  });
}

// Every parameter's gradient <- its average over ranks. Small gradients travel together in
// buckets of up to bucket_elems elements (one collective per bucket, not per tensor); a gradient
// no backward reached counts as zeros, so every rank posts the same collectives.
template <class T>
void average_gradients(Communicator& comm, const std::vector<Var<T>>& params, int64_t bucket_elems = int64_t(1) << 20) {
  if (!comm.is_distributed() || params.empty()) return;
  check(bucket_elems > 0, "dist::average_gradients: bucket_elems must be positive, got ", bucket_elems);
  std::vector<Tensor<T>*> grads;
  for (const Var<T>& p : params) {
    Var<T> h = p;  // a handle: the gradient lives in the shared state
    Tensor<T>& g = h.grad();
    if (!g.defined()) g = Tensor<T>::zeros(p.value().shape(), p.value().device());
    detail::check_on(comm, g, "average_gradients");
    grads.push_back(&g);
  }
  const Device dev = comm.device();
  auto copy = [dev](T* dst, const T* src, int64_t n) { copy_on(dev, dst, src, size_t(n) * sizeof(T)); };
  Tensor<T> bucket;
  size_t k = 0;
  while (k < grads.size()) {
    if (grads[k]->numel() >= bucket_elems) {  // big enough to travel alone, in place
      comm.all_reduce(grads[k]->data(), grads[k]->numel(), Reduce::average);
      ++k;
      continue;
    }
    if (!bucket.defined()) bucket = Tensor<T>({bucket_elems}, dev);
    size_t end = k;
    int64_t used = 0;
    while (end < grads.size() && used + grads[end]->numel() <= bucket_elems) used += grads[end++]->numel();
    int64_t off = 0;
    for (size_t j = k; j < end; ++j) {
      copy(bucket.data() + off, grads[j]->data(), grads[j]->numel());
      off += grads[j]->numel();
    }
    comm.all_reduce(bucket.data(), used, Reduce::average);
    off = 0;
    for (size_t j = k; j < end; ++j) {
      copy(grads[j]->data(), bucket.data() + off, grads[j]->numel());
      off += grads[j]->numel();
    }
    k = end;
  }
}

// BatchNorm1d's training mode with statistics over the rows of every rank (host tensors).
// Forward: two all-reduces (the sums, then the centred squares: the same two-pass arithmetic as
// one process's kernel, which cancels nothing when |mean| >> std). Backward: one all-reduce of
// sum(dy) and sum(dy * xhat) for dx; the weight's and bias's gradients stay this rank's own sums,
// which average_gradients turns into the global batch's.
template <class T>
class SyncBatchNorm final : public nn::detail::BatchNormSync<T> {
 public:
  explicit SyncBatchNorm(Communicator& comm) : comm_(comm) {}

  Var<T> forward(const Var<T>& x, nn::BatchNorm1d<T>& bn) override {
    const Tensor<T>& xv = x.value();
    check(xv.device() == Device::cpu, "SyncBatchNorm: synchronised batch statistics run on host tensors only; ",
          "on GPUs use per-rank BatchNorm (TrainConfig::batchnorm = BatchNormMode::per_rank)");
    check(xv.rank() == 2 && xv.size(1) == bn.weight.value().numel(), "SyncBatchNorm: input of shape ",
          xv.shape().str(), " for ", bn.weight.value().numel(), " features");
    const int64_t b = xv.size(0), f = xv.size(1);
    const T* xp = xv.data();
    std::vector<double> sums(size_t(f) + 1, 0.0);  // the column sums, then the row count
    for (int64_t i = 0; i < b; ++i)
      for (int64_t c = 0; c < f; ++c) sums[size_t(c)] += double(xp[i * f + c]);
    sums[size_t(f)] = double(b);
    comm_.all_reduce(sums.data(), f + 1, Reduce::sum);
    const double m = sums[size_t(f)];
    check(m >= 2, "SyncBatchNorm: training mode needs at least 2 rows over all ranks, got ", m);
    auto saved = std::make_shared<Saved>();
    saved->count = m;
    saved->mean.resize(size_t(f));
    saved->rstd.resize(size_t(f));
    std::vector<double> q(size_t(f), 0.0);
    for (int64_t c = 0; c < f; ++c) saved->mean[size_t(c)] = T(sums[size_t(c)] / m);
    for (int64_t i = 0; i < b; ++i)
      for (int64_t c = 0; c < f; ++c) {
        const double d = double(xp[i * f + c]) - sums[size_t(c)] / m;
        q[size_t(c)] += d * d;
      }
    comm_.all_reduce(q.data(), f, Reduce::sum);
    const T* gamma = bn.weight.value().data();
    const T* beta = bn.bias.value().data();
    T* rm = bn.running_mean.data();
    T* rv = bn.running_var.data();
    const double mom = bn.momentum();
    Tensor<T> y(xv.shape());
    T* yp = y.data();
    for (int64_t c = 0; c < f; ++c) {
      const double var = q[size_t(c)] / m;
      saved->rstd[size_t(c)] = T(1.0 / std::sqrt(var + bn.eps()));
      rm[c] = T((1.0 - mom) * double(rm[c]) + mom * (sums[size_t(c)] / m));
      rv[c] = T((1.0 - mom) * double(rv[c]) + mom * var * m / (m - 1));
    }
    for (int64_t i = 0; i < b; ++i)
      for (int64_t c = 0; c < f; ++c) {
        const T xhat = (xp[i * f + c] - saved->mean[size_t(c)]) * saved->rstd[size_t(c)];
        yp[i * f + c] = xhat * gamma[c] + beta[c];
      }
    Var<T> w = bn.weight, bias = bn.bias;
    Communicator* comm = &comm_;
    return make_result<T>(std::move(y), "sync_batchnorm1d", {x, w, bias},
                          [x, w, bias, saved, comm](const Tensor<T>& dy) {
      const Tensor<T>& xv = x.value();
      const int64_t b = xv.size(0), f = xv.size(1);
      const T* xp = xv.data();
      const T* g = dy.data();
      std::vector<double> s(size_t(2 * f), 0.0);  // sum dy, then sum dy * xhat
      for (int64_t i = 0; i < b; ++i)
        for (int64_t c = 0; c < f; ++c) {
          const double xhat = double(xp[i * f + c] - saved->mean[size_t(c)]) * double(saved->rstd[size_t(c)]);
          s[size_t(c)] += double(g[i * f + c]);
          s[size_t(f + c)] += double(g[i * f + c]) * xhat;
        }
      Tensor<T> dgamma({f}), dbeta({f});
      for (int64_t c = 0; c < f; ++c) {
        dbeta.data()[c] = T(s[size_t(c)]);
        dgamma.data()[c] = T(s[size_t(f + c)]);
      }
      comm->all_reduce(s.data(), 2 * f, Reduce::sum);
      Tensor<T> dx(xv.shape());
      const T* gm = w.value().data();
      const double m = saved->count;
      for (int64_t i = 0; i < b; ++i)
        for (int64_t c = 0; c < f; ++c) {
          const double rs = double(saved->rstd[size_t(c)]);
          const double xhat = double(xp[i * f + c] - saved->mean[size_t(c)]) * rs;
          dx.data()[i * f + c] =
              T(double(gm[c]) * rs / m * (m * double(g[i * f + c]) - s[size_t(c)] - xhat * s[size_t(f + c)]));
        }
      Var<T>::accumulate_grad(*x.state(), std::move(dx));
      Var<T>::accumulate_grad(*w.state(), std::move(dgamma));
      Var<T>::accumulate_grad(*bias.state(), std::move(dbeta));
    });
  }

 private:
  struct Saved {
    double count = 0;
    std::vector<T> mean, rstd;
  };
  Communicator& comm_;
};

// Installs SyncBatchNorm for the scope's lifetime on this thread (and puts back what was there).
template <class T>
class SyncBatchNormScope {
 public:
  explicit SyncBatchNormScope(Communicator& comm, bool on = true) : sync_(comm) {
    prev_ = nn::detail::batchnorm_sync<T>;
    if (on && comm.is_distributed()) nn::detail::batchnorm_sync<T> = &sync_;
  }
  ~SyncBatchNormScope() { nn::detail::batchnorm_sync<T> = prev_; }
  SyncBatchNormScope(const SyncBatchNormScope&) = delete;
  SyncBatchNormScope& operator=(const SyncBatchNormScope&) = delete;

 private:
  SyncBatchNorm<T> sync_;
  nn::detail::BatchNormSync<T>* prev_ = nullptr;
};

}  // namespace entropic::dist
