// Implementation of thread_pool.h.
#include "pool/thread_pool.h"

#include <pthread.h>
#include <sched.h>

#include <cstring>

#include "sys/errno_name.h"

namespace outrider {
namespace pool {
namespace {

using sys::ErrnoName;

}  // namespace

ThreadPool::ThreadPool(Topology topology, int workers, bool pin) : topology_(std::move(topology)) {
  if (topology_.nodes.empty()) topology_.nodes.push_back(CpuNode{0, {0}});
  for (size_t i = 0; i < topology_.nodes.size(); ++i) queues_.push_back(std::make_unique<NodeQueue>());
  if (workers <= 0) {
    workers = 0;
    for (const CpuNode& n : topology_.nodes) workers += static_cast<int>(n.cpus.size());
    if (workers <= 0) workers = 1;
  }
  for (int i = 0; i < workers; ++i) {
    auto w = std::make_unique<Worker>();
    w->id = i;
    w->node = i % static_cast<int>(topology_.nodes.size());
    workers_.push_back(std::move(w));
  }
  for (auto& w : workers_) {
    Worker* raw = w.get();
    raw->thread = std::thread([this, raw]() { WorkerLoop(raw); });
    if (!pin) {
      raw->pin_error = "pinning disabled";
      continue;
    }
    const CpuNode& node = topology_.nodes[raw->node];
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : node.cpus) {
      if (c >= 0 && c < CPU_SETSIZE) CPU_SET(c, &set);
    }
    int rc = pthread_setaffinity_np(raw->thread.native_handle(), sizeof(set), &set);
    if (rc == 0) {
      raw->pinned = true;
      raw->cpu = node.cpus.front();
    } else {
      // Degrade: the worker runs unpinned; the reason shows in Stats().
      raw->pin_error = ErrnoName(rc);
    }
  }
}

ThreadPool::~ThreadPool() { Shutdown(); }

bool ThreadPool::Submit(std::unique_ptr<Task>& task, int node) {
  // Serialised with Shutdown() so no task slips in after the final drain.
  std::lock_guard<std::mutex> guard(shutdown_mu_);
  if (stopping_.load(std::memory_order_acquire)) return false;
  size_t n = queues_.size();
  size_t q = node >= 0 && static_cast<size_t>(node) < n ? static_cast<size_t>(node)
                                                        : next_node_.fetch_add(1, std::memory_order_relaxed) % n;
  {
    std::lock_guard<std::mutex> lock(queues_[q]->mu);
    queues_[q]->tasks.push_back(std::move(task));
  }
  {
    // Counted under wait_mu_ so a worker checking the predicate cannot miss it.
    std::lock_guard<std::mutex> lock(wait_mu_);
    pending_.fetch_add(1, std::memory_order_relaxed);
  }
  wait_cv_.notify_one();
  return true;
}

std::unique_ptr<Task> ThreadPool::PopFrom(size_t node) {
  NodeQueue& q = *queues_[node];
  std::lock_guard<std::mutex> lock(q.mu);
  if (q.tasks.empty()) return nullptr;
  std::unique_ptr<Task> t = std::move(q.tasks.front());
  q.tasks.pop_front();
  pending_.fetch_sub(1, std::memory_order_relaxed);
  return t;
}

void ThreadPool::WorkerLoop(Worker* self) {
  size_t n = queues_.size();
  size_t own = static_cast<size_t>(self->node);
  for (;;) {
    if (stopping_.load(std::memory_order_acquire)) return;
    std::unique_ptr<Task> task = PopFrom(own);
    bool stolen = false;
    for (size_t k = 1; !task && k < n; ++k) {
      task = PopFrom((own + k) % n);
      stolen = task != nullptr;
    }
    if (task) {
      task->Run(self->id);
      self->executed.fetch_add(1, std::memory_order_relaxed);
      if (stolen) self->stolen.fetch_add(1, std::memory_order_relaxed);
      task.release()->Done();
      continue;
    }
    std::unique_lock<std::mutex> lock(wait_mu_);
    wait_cv_.wait(lock, [this]() {
      return stopping_.load(std::memory_order_acquire) || pending_.load(std::memory_order_relaxed) > 0;
    });
  }
}

void ThreadPool::Shutdown() {
  std::lock_guard<std::mutex> guard(shutdown_mu_);
  if (joined_) return;
  {
    std::lock_guard<std::mutex> lock(wait_mu_);
    stopping_.store(true, std::memory_order_release);
  }
  wait_cv_.notify_all();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
  joined_ = true;
  for (size_t i = 0; i < queues_.size(); ++i) {
    while (std::unique_ptr<Task> t = PopFrom(i)) t.release()->Cancel();
  }
}

std::vector<WorkerStats> ThreadPool::Stats() const {
  std::vector<WorkerStats> out;
  for (const auto& w : workers_) {
    WorkerStats s;
    s.id = w->id;
    s.node = topology_.nodes[w->node].id;
    s.cpu = w->cpu;
    s.pinned = w->pinned;
    s.pin_error = w->pin_error;
    s.executed = w->executed.load(std::memory_order_relaxed);
    s.stolen = w->stolen.load(std::memory_order_relaxed);
    out.push_back(s);
  }
  return out;
}

}  // namespace pool
}  // namespace outrider
