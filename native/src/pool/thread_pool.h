// NUMA-aware thread pool: workers are grouped by node and pinned to their
// node's CPUs (pthread_setaffinity_np; a refusal is recorded, not fatal).
// Each node has its own queue; an idle worker takes from its node's queue
// first, then steals from the other nodes in order.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pool/topology.h"

namespace outrider {
namespace pool {

// A unit of work. Ownership passes to the pool on Submit(). The pool then
// either calls Run() and Done() on a worker, or Cancel() at shutdown for a
// task still queued; Done() and Cancel() receive ownership back and must
// eventually delete the task (typically after handing the result to JS).
class Task {
 public:
  virtual ~Task() = default;
  // The work itself; `worker` is the id of the executing worker.
  virtual void Run(int worker) = 0;
  // Called after Run() and after the worker's stats were updated.
  virtual void Done() = 0;
  virtual void Cancel() = 0;
};

struct WorkerStats {
  int id = 0;
  int node = 0;
  int cpu = -1;  // first CPU of the affinity set, -1 when not pinned
  bool pinned = false;
  std::string pin_error;
  uint64_t executed = 0;
  uint64_t stolen = 0;
};

class ThreadPool {
 public:
  // `workers` 0 means one per CPU of the topology.
  ThreadPool(Topology topology, int workers, bool pin);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues `task` on `node` (an index into topology().nodes; -1: round
  // robin). Returns false, leaving `task` with the caller, after Shutdown().
  bool Submit(std::unique_ptr<Task>& task, int node);

  // Stops taking tasks, cancels the queued ones, waits for running ones and
  // joins the workers. Idempotent.
  void Shutdown();

  std::vector<WorkerStats> Stats() const;
  size_t Pending() const { return pending_.load(std::memory_order_relaxed); }
  bool closed() const { return stopping_.load(std::memory_order_acquire); }
  const Topology& topology() const { return topology_; }

 private:
  struct NodeQueue {
    std::mutex mu;
    std::deque<std::unique_ptr<Task>> tasks;
  };
  struct Worker {
    int id = 0;
    int node = 0;
    int cpu = -1;
    bool pinned = false;
    std::string pin_error;
    std::atomic<uint64_t> executed{0};
    std::atomic<uint64_t> stolen{0};
    std::thread thread;
  };

  void WorkerLoop(Worker* self);
  std::unique_ptr<Task> PopFrom(size_t node);

  Topology topology_;
  std::vector<std::unique_ptr<NodeQueue>> queues_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  std::atomic<size_t> pending_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<uint32_t> next_node_{0};
  std::mutex shutdown_mu_;
  bool joined_ = false;
};

}  // namespace pool
}  // namespace outrider
