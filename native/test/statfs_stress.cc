// Stress test of the statfs pool (built under OUTRIDER_STRESS, run under
// ThreadSanitizer by scripts/native-stress.sh). A fake statfs blocks on paths
// starting with 'h' until the round opens a gate (a hung NFS mount); the
// driver abandons those calls at their "deadline", and now and then abandons
// calls that are queued or about to return, racing the threads. Every call
// accepted must get exactly one outcome (answered, refused, or late after
// being abandoned), the threads never pass threads + max_blocked, and a
// round that closes the pool with calls still blocked must not wait on them.
//   statfs_stress [calls_per_round] [rounds]
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "statfs/statfs_pool.h"

using outrider::statfs::FsStats;
using outrider::statfs::Outcome;
using outrider::statfs::PoolOptions;
using outrider::statfs::PoolStats;
using outrider::statfs::Sink;
using outrider::statfs::StatfsPool;

namespace {

struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int waiting = 0;
};
Gate g_gate;

int FakeCall(const std::string& path, FsStats* out) {
  if (!path.empty() && path[0] == 'h') {
    std::unique_lock<std::mutex> lock(g_gate.mu);
    g_gate.waiting++;
    g_gate.cv.wait(lock, []() { return g_gate.open; });
    g_gate.waiting--;
  }
  out->bsize = 4096;
  out->blocks = path.size();
  return !path.empty() && path[0] == 'e' ? ENOENT : 0;
}

class CountSink : public Sink {
 public:
  void Deliver(Outcome o) override {
    std::lock_guard<std::mutex> lock(mu);
    outcomes[o.id]++;
    if (o.late) late++;
    if (o.status == Outcome::kRefused) refused++;
    if (o.status == Outcome::kOk && o.stats.blocks != o.path.size()) wrong++;
  }
  size_t Seen(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = outcomes.find(id);
    return it == outcomes.end() ? 0 : it->second;
  }
  std::mutex mu;
  std::unordered_map<uint64_t, size_t> outcomes;
  uint64_t late = 0;
  uint64_t refused = 0;
  uint64_t wrong = 0;
};

int failures = 0;
uint64_t g_abandoned = 0, g_late = 0, g_refused = 0;
void Check(bool ok, const char* what, int round) {
  if (!ok) {
    std::fprintf(stderr, "statfs_stress: round %d: %s\n", round, what);
    failures++;
  }
}

bool LateDelivered(CountSink& sink, const StatfsPool& pool) {
  uint64_t counted = pool.Stats().late;
  std::lock_guard<std::mutex> lock(sink.mu);
  return sink.late == counted;
}

void Round(int round, int calls, bool close_while_blocked) {
  {
    std::lock_guard<std::mutex> lock(g_gate.mu);
    g_gate.open = false;
  }
  auto sink = std::make_shared<CountSink>();
  PoolOptions opts;
  opts.threads = 2;
  opts.max_blocked = 3;
  opts.max_queue = static_cast<size_t>(calls);
  opts.call = FakeCall;
  auto pool = std::make_unique<StatfsPool>(opts, sink);
  const int cap = opts.threads + opts.max_blocked;

  std::vector<uint64_t> accepted;
  std::unordered_map<uint64_t, bool> hangs;
  std::unordered_map<uint64_t, bool> abandoned;
  // Deadlines: abandon every hung call a thread is inside. Returns how many
  // accepted calls are neither answered nor abandoned.
  auto deadlines = [&]() {
    size_t open = 0;
    for (uint64_t id : accepted) {
      if (abandoned[id] || sink->Seen(id) > 0) continue;
      open++;
      if (hangs[id] && pool->Abandon(id) == StatfsPool::kAbandoned) abandoned[id] = true;
    }
    PoolStats s = pool->Stats();
    Check(s.active + s.blocked <= cap, "more threads than threads + max_blocked", round);
    return open;
  };
  for (int i = 1; i <= calls; ++i) {
    std::string path = (i % 397 == 0 ? "h/" : (i % 7 == 0 ? "e/" : "ok/")) + std::to_string(i);
    uint64_t id = static_cast<uint64_t>(round) * 1000000u + static_cast<uint64_t>(i);
    if (pool->Submit(id, path) == StatfsPool::kQueued) {
      accepted.push_back(id);
      hangs[id] = path[0] == 'h';
    }
    // Race: queued, running or done. A call abandoned here that hangs is set
    // aside like one abandoned at its deadline: its outcome comes late.
    if (i % 13 == 0 && pool->Abandon(id - 5) == StatfsPool::kAbandoned) abandoned[id - 5] = true;
    if (i % 50 == 0) deadlines();
  }

  // Every accepted call answered or abandoned.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    size_t open = deadlines();
    if (open == 0 || std::chrono::steady_clock::now() > until) break;
    if (close_while_blocked && pool->Stats().blocked > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  if (close_while_blocked) {
    auto t0 = std::chrono::steady_clock::now();
    pool->Close();
    Check(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5), "Close waited on a blocked call", round);
    pool.reset();
  }
  {
    std::lock_guard<std::mutex> lock(g_gate.mu);
    g_gate.open = true;
  }
  g_gate.cv.notify_all();
  // Every blocked thread leaves the gate (and, for a late outcome, delivers it).
  for (int i = 0; i < 60000; ++i) {
    bool done;
    {
      std::lock_guard<std::mutex> lock(g_gate.mu);
      done = g_gate.waiting == 0;
    }
    // A late thread leaves the blocked count and bumps the late counter
    // before it delivers: wait for the deliveries too.
    if (done && (pool == nullptr || (pool->Stats().blocked == 0 && LateDelivered(*sink, *pool)))) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (pool != nullptr) {
    size_t n_abandoned = 0;
    for (auto& kv : abandoned) n_abandoned += kv.second ? 1 : 0;
    PoolStats s = pool->Stats();
    Check(s.blocked == 0, "threads still counted as blocked after every call returned", round);
    std::lock_guard<std::mutex> lock(sink->mu);
    for (uint64_t id : accepted) Check(sink->outcomes[id] == 1, "a call without exactly one outcome", round);
    Check(sink->late == s.late, "late outcomes and the late counter disagree", round);
    Check(s.late >= n_abandoned, "an abandoned call's late outcome is missing", round);
    Check(sink->wrong == 0, "an outcome carried another call's stats", round);
    g_abandoned += n_abandoned;
    g_late += sink->late;
    g_refused += s.refused;
    pool->Close();
  }
  // Detached threads end right after their call: give them a moment so the
  // next round's gate starts closed with nobody inside.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

}  // namespace

int main(int argc, char** argv) {
  const int calls = argc > 1 ? std::atoi(argv[1]) : 5000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 6;
  for (int r = 1; r <= rounds; ++r) Round(r, calls, r % 3 == 0);
  if (failures > 0) {
    std::fprintf(stderr, "statfs_stress: %d failures\n", failures);
    return 1;
  }
  std::printf("statfs_stress: %d rounds of %d calls: ok (%llu abandoned, %llu late outcomes, %llu refused)\n", rounds,
              calls, static_cast<unsigned long long>(g_abandoned), static_cast<unsigned long long>(g_late),
              static_cast<unsigned long long>(g_refused));
  return 0;
}
