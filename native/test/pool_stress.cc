// Stress test of the thread pool (built under OUTRIDER_STRESS, run under
// ThreadSanitizer by scripts/native-stress.sh): several submitting threads,
// an unbalanced load on a described two-node topology so stealing happens,
// and shutdowns racing submissions. Every task must end exactly once, by
// Done() or Cancel().
//   pool_stress [tasks_per_round] [rounds]
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include "pool/thread_pool.h"

using outrider::pool::Task;
using outrider::pool::ThreadPool;
using outrider::pool::Topology;

namespace {

struct Counters {
  std::atomic<uint64_t> ran{0};
  std::atomic<uint64_t> done{0};
  std::atomic<uint64_t> cancelled{0};
  std::atomic<uint64_t> refused{0};
  std::atomic<uint64_t> sum{0};
};

class CountTask : public Task {
 public:
  CountTask(Counters* c, uint64_t v) : c_(c), v_(v) {}
  void Run(int /*worker*/) override {
    uint64_t x = v_;
    for (int i = 0; i < 200; ++i) x = x * 6364136223846793005u + 1442695040888963407u;
    sink_ = x;
    c_->ran.fetch_add(1, std::memory_order_relaxed);
  }
  void Done() override {
    c_->done.fetch_add(1, std::memory_order_relaxed);
    c_->sum.fetch_add(v_, std::memory_order_relaxed);
    delete this;
  }
  void Cancel() override {
    c_->cancelled.fetch_add(1, std::memory_order_relaxed);
    delete this;
  }

 private:
  Counters* c_;
  uint64_t v_;
  uint64_t sink_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const int per_round = argc > 1 ? std::atoi(argv[1]) : 20000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 6;
  Topology topo;
  topo.nodes = {{0, {0}}, {1, {1}}};
  topo.source = "test";
  uint64_t total_stolen = 0;
  for (int round = 0; round < rounds; ++round) {
    Counters c;
    auto pool = std::make_unique<ThreadPool>(topo, 4, false);
    const int submitters = 3;
    std::vector<std::thread> threads;
    for (int s = 0; s < submitters; ++s) {
      threads.emplace_back([&, s]() {
        for (int i = 0; i < per_round / submitters; ++i) {
          std::unique_ptr<Task> t = std::make_unique<CountTask>(&c, static_cast<uint64_t>(i) + 1);
          // Unbalanced: almost everything on node 0.
          if (!pool->Submit(t, i % 10 == 0 ? 1 : 0)) {
            c.refused.fetch_add(1, std::memory_order_relaxed);
          }
        }
      });
    }
    // Odd rounds shut down while submissions are still arriving.
    if (round % 2 == 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      pool->Shutdown();
    }
    for (auto& t : threads) t.join();
    if (round % 2 == 0) {
      while (pool->Pending() != 0) std::this_thread::yield();
    }
    pool->Shutdown();
    for (const auto& w : pool->Stats()) total_stolen += w.stolen;
    uint64_t submitted = static_cast<uint64_t>(per_round / submitters) * submitters;
    uint64_t ended = c.done + c.cancelled + c.refused;
    if (ended != submitted || c.ran != c.done) {
      std::fprintf(stderr, "round %d: submitted %llu, done %llu, cancelled %llu, refused %llu, ran %llu\n", round,
                   static_cast<unsigned long long>(submitted), static_cast<unsigned long long>(c.done.load()),
                   static_cast<unsigned long long>(c.cancelled.load()),
                   static_cast<unsigned long long>(c.refused.load()), static_cast<unsigned long long>(c.ran.load()));
      return 1;
    }
  }
  if (total_stolen == 0) {
    std::fprintf(stderr, "pool_stress: no stealing observed under an unbalanced load\n");
    return 1;
  }
  std::printf("pool_stress: %d rounds of %d tasks, every task ended exactly once, %llu stolen\n", rounds, per_round,
              static_cast<unsigned long long>(total_stolen));
  return 0;
}
