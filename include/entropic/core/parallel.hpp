// A small fixed thread pool and parallel_for over index ranges.
//
// Why our own pool rather than OpenMP: the library is header-only and must not impose a
// compiler flag on its users, and ThreadSanitizer understands std::thread but not libgomp.
#pragma once
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#ifndef ENTROPIC_POOL_SPIN_US
#define ENTROPIC_POOL_SPIN_US 200  // how long a pool thread polls before it sleeps; 0: never
#endif

namespace entropic {

class ThreadPool {
 public:
  // ENTROPIC_NUM_THREADS overrides the core count (1 = run everything on the caller).
  static ThreadPool& global() {
    static ThreadPool pool(default_threads());
    return pool;
  }

  explicit ThreadPool(int threads) : n_threads_(std::max(1, threads)) {
    for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
      stopping_.store(true);
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Runs fn(chunk) for chunk in [0, n_chunks) on all threads, the caller included, and
  // returns when all are done. Nested calls (from inside fn) run serially on the caller,
  // which keeps the pool deadlock-free without work stealing. The first exception a chunk
  // throws, on any thread, is rethrown here once every thread has left the job; chunks not
  // yet started are skipped, since their results would be thrown away with the job.
  void run(int64_t n_chunks, const std::function<void(int64_t)>& fn) {
    if (n_chunks <= 0) return;
    if (n_chunks == 1 || n_threads_ == 1 || inside_pool()) {
      for (int64_t c = 0; c < n_chunks; ++c) fn(c);
      return;
    }
    std::unique_lock submit(submit_mutex_);  // one job at a time from different callers
    {
      std::lock_guard lock(mutex_);
      job_ = &fn;
      n_chunks_ = n_chunks;
      next_.store(0);
      pending_ = n_chunks;
      error_ = nullptr;
      failed_.store(false);
      ++generation_;
      outstanding_.store(n_chunks, std::memory_order_relaxed);
      published_.store(generation_, std::memory_order_release);
    }
    wake_.notify_all();
    inside_pool() = true;
    drain(fn, n_chunks);
    inside_pool() = false;
    // Waiting for active_ too keeps a late worker from touching the next job's counter.
    spin_while([&] { return outstanding_.load(std::memory_order_acquire) != 0; });
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0 && active_ == 0; });
    job_ = nullptr;
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  static int default_threads() {
    if (const char* s = std::getenv("ENTROPIC_NUM_THREADS")) {
      int v = std::atoi(s);
      if (v > 0) return v;
    }
    return std::max(1u, std::thread::hardware_concurrency());
  }
  static bool& inside_pool() {
    thread_local bool inside = false;
    return inside;
  }
  void drain(const std::function<void(int64_t)>& job, int64_t n_chunks) {
    int64_t finished = 0;
    for (int64_t c; (c = next_.fetch_add(1)) < n_chunks;) {
      ++finished;
      if (failed_.load(std::memory_order_relaxed)) continue;
      // An exception escaping a worker thread would call std::terminate; it is kept for the
      // caller instead, and the chunk still counts as finished so run() does not wait forever.
      try {
        job(c);
      } catch (...) {
        std::lock_guard lock(mutex_);
        if (!error_) error_ = std::current_exception();
        failed_.store(true, std::memory_order_relaxed);
      }
    }
    if (finished) {
      std::lock_guard lock(mutex_);
      pending_ -= finished;
      outstanding_.store(pending_ + active_, std::memory_order_release);
      if (pending_ == 0) done_.notify_all();
    }
  }
  // A training step submits a few hundred short jobs back to back (each matrix product and
  // elementwise pass is one), tens to hundreds of microseconds each, and a futex wake-up on a
  // virtual machine was measured at ~75 us: long enough that with two chunks the caller often
  // ran both before the worker woke. So both sides first poll for a while after a job, and
  // sleep on the condition variables only when nothing came. The condition variables stay the
  // source of truth; the poll only decides when to take the lock.
  template <class Busy>
  static void spin_while(Busy busy) {
    if (kSpinMicroseconds <= 0) return;
    using clock = std::chrono::steady_clock;
    const auto until = clock::now() + std::chrono::microseconds(kSpinMicroseconds);
    for (int i = 0; busy(); ++i) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      if ((i & 63) == 63 && clock::now() > until) return;
    }
  }

  void worker_loop() {
    inside_pool() = true;
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(int64_t)>* job;
      int64_t n_chunks;
      spin_while([&] { return published_.load(std::memory_order_acquire) == seen && !stopping_.load(); });
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || (generation_ != seen && job_ != nullptr); });
        if (stop_) return;
        seen = generation_;
        job = job_;
        n_chunks = n_chunks_;
        ++active_;
        outstanding_.store(pending_ + active_, std::memory_order_release);
      }
      drain(*job, n_chunks);
      std::lock_guard lock(mutex_);
      --active_;
      outstanding_.store(pending_ + active_, std::memory_order_release);
      if (active_ == 0) done_.notify_all();
    }
  }

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex submit_mutex_, mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t)>* job_ = nullptr;
  int64_t n_chunks_ = 0, pending_ = 0, active_ = 0;
  std::atomic<int64_t> next_{0};
  std::exception_ptr error_;       // the job's first exception, guarded by mutex_
  std::atomic<bool> failed_{false};
  uint64_t generation_ = 0;
  bool stop_ = false;
  // Lock-free mirrors for the polls: the last job's generation, the chunks and workers it
  // still has (pending_ + active_), and stop_.
  std::atomic<uint64_t> published_{0};
  std::atomic<int64_t> outstanding_{0};
  std::atomic<bool> stopping_{false};
  static constexpr int kSpinMicroseconds = ENTROPIC_POOL_SPIN_US;
};

inline int num_threads() { return ThreadPool::global().size(); }

// fn(begin, end) over [0, n) in chunks of at least `grain` items, on all cores.
template <class F>
void parallel_for(int64_t n, int64_t grain, F&& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int64_t max_chunks = (n + grain - 1) / grain;
  const int64_t chunks = std::min<int64_t>(max_chunks, int64_t(num_threads()) * 4);
  if (chunks <= 1) {
    fn(int64_t(0), n);
    return;
  }
  const int64_t step = (n + chunks - 1) / chunks;
  ThreadPool::global().run(chunks, [&](int64_t c) {
    const int64_t b = c * step, e = std::min(n, b + step);
    if (b < e) fn(b, e);
  });
}

}  // namespace entropic
