#include <doctest/doctest.h>

#include <atomic>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "entropic/core/parallel.hpp"

using namespace entropic;

TEST_CASE("parallel_for: covers every index exactly once, nested calls run serially") {
  for (int64_t n : {0, 1, 7, 1000, 100003}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    parallel_for(n, 3, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) hits[size_t(i)]++;
    });
    for (auto& h : hits) REQUIRE(h.load() == 1);
  }
  std::atomic<int64_t> total{0};
  parallel_for(8, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      parallel_for(100, 1, [&](int64_t b2, int64_t e2) { total += e2 - b2; });
  });
  CHECK(total.load() == 800);
}

TEST_CASE("parallel_for: many small jobs in a row (no lost wake-ups)") {
  int64_t sum = 0;
  for (int rep = 0; rep < 2000; ++rep) {
    std::atomic<int64_t> s{0};
    parallel_for(64, 1, [&](int64_t b, int64_t e) { s += e - b; });
    sum += s.load();
  }
  CHECK(sum == 2000 * 64);
}

TEST_CASE("ThreadPool: an exception thrown on a worker thread reaches the caller, and the pool works after") {
  ThreadPool pool(3);
  const std::thread::id caller = std::this_thread::get_id();
  // Throw only from a chunk that a worker runs: the caller's own chunks always returned their
  // exceptions, so only this path used to call std::terminate. Chunks block until a worker has
  // taken one, so the caller cannot run them all before the workers wake.
  for (int rep = 0; rep < 50; ++rep) {
    std::atomic<bool> worker_started{false};
    std::atomic<int> ran{0};
    bool caught = false;
    try {
      pool.run(16, [&](int64_t) {
        ++ran;
        if (std::this_thread::get_id() != caller) {
          worker_started = true;
          throw std::bad_alloc();
        }
        while (!worker_started.load()) std::this_thread::yield();
      });
    } catch (const std::bad_alloc&) {
      caught = true;
    }
    REQUIRE(caught);
    CHECK(ran.load() >= 1);
    CHECK(ran.load() <= 16);
    // The next job runs every chunk: the failure left no stale state behind.
    std::vector<std::atomic<int>> hits(100);
    pool.run(100, [&](int64_t c) { hits[size_t(c)]++; });
    for (auto& h : hits) REQUIRE(h.load() == 1);
  }
  // The first exception wins and keeps its type and message; the caller's own chunk may throw too.
  try {
    pool.run(8, [&](int64_t c) { throw std::runtime_error("chunk " + std::to_string(c)); });
    FAIL("run() returned although every chunk threw");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).rfind("chunk ", 0) == 0);
  }
  // Through parallel_for on the global pool as kernels use it.
  CHECK_THROWS_AS(parallel_for(1000, 1, [](int64_t b, int64_t) {
                    if (b > 0) throw std::bad_alloc();
                  }),
                  std::bad_alloc);
  std::atomic<int64_t> n{0};
  parallel_for(1000, 1, [&](int64_t b, int64_t e) { n += e - b; });
  CHECK(n.load() == 1000);
}
