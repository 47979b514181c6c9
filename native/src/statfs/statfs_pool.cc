// Implementation of statfs_pool.h.
#include "statfs/statfs_pool.h"

#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "sys/unique_fd.h"

namespace outrider {
namespace statfs {

int Statvfs(const std::string& path, FsStats* out) {
  struct ::statfs s;
  int r;
  do {
    r = ::statfs(path.c_str(), &s);
  } while (r != 0 && errno == EINTR);
  if (r != 0) return errno;
  // statfs(2) as node_exporter and libuv read it: counts in f_bsize units.
  out->bsize = static_cast<uint64_t>(s.f_bsize);
  out->blocks = static_cast<uint64_t>(s.f_blocks);
  out->bfree = static_cast<uint64_t>(s.f_bfree);
  out->bavail = static_cast<uint64_t>(s.f_bavail);
  out->files = static_cast<uint64_t>(s.f_files);
  out->ffree = static_cast<uint64_t>(s.f_ffree);
  return 0;
}

int OpenThenStatfs(const std::string& path, FsStats* out) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno;
  sys::UniqueFd hold(fd);
  return Statvfs(path, out);
}

namespace {

struct Worker {
  std::thread thread;
  uint64_t job = 0;  // id of the call in progress, 0 when idle
  bool abandoned = false;
};

struct Job {
  uint64_t id;
  std::string path;
};

}  // namespace

struct StatfsPool::State {
  PoolOptions opts;
  std::shared_ptr<Sink> sink;
  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<Job> queue;
  // Threads serving calls; an abandoned one leaves this list (its thread keeps
  // its own reference to the Worker and the State).
  std::vector<std::shared_ptr<Worker>> workers;
  int blocked = 0;
  bool closed = false;
  uint64_t created = 0;
  uint64_t timeouts = 0;
  uint64_t refused = 0;
  uint64_t late = 0;

  int Cap() const { return opts.threads + opts.max_blocked; }

  size_t Idle() const {
    return static_cast<size_t>(
        std::count_if(workers.begin(), workers.end(), [](const std::shared_ptr<Worker>& w) { return w->job == 0; }));
  }

  bool CanSpawn() const {
    return static_cast<int>(workers.size()) < opts.threads && static_cast<int>(workers.size()) + blocked < Cap();
  }

  // Under mu: one more thread when the queue has more calls than idle threads.
  void SpawnIfNeeded(const std::shared_ptr<State>& self) {
    if (queue.size() <= Idle() || !CanSpawn()) return;
    auto w = std::make_shared<Worker>();
    workers.push_back(w);
    created++;
    w->thread = std::thread([self, w]() { Serve(self, w); });
  }

  static void Serve(const std::shared_ptr<State>& st, const std::shared_ptr<Worker>& w) {
    std::unique_lock<std::mutex> lock(st->mu);
    for (;;) {
      st->cv.wait(lock, [&]() { return st->closed || !st->queue.empty(); });
      if (st->closed) return;
      Job job = std::move(st->queue.front());
      st->queue.pop_front();
      w->job = job.id;
      lock.unlock();

      Outcome out;
      out.id = job.id;
      out.path = std::move(job.path);
      int err = st->opts.call(out.path, &out.stats);
      if (err != 0) {
        out.status = Outcome::kErrno;
        out.err = err;
      }

      lock.lock();
      w->job = 0;
      out.late = w->abandoned;
      if (out.late) {
        st->blocked--;
        st->late++;
      }
      bool late = out.late;
      lock.unlock();
      st->sink->Deliver(std::move(out));
      // A thread set aside ends: another took its place when it was abandoned.
      if (late) return;
      lock.lock();
    }
  }
};

StatfsPool::StatfsPool(PoolOptions options, std::shared_ptr<Sink> sink) : state_(std::make_shared<State>()) {
  if (options.threads < 1) options.threads = 1;
  if (options.max_blocked < 0) options.max_blocked = 0;
  if (options.max_queue < 1) options.max_queue = 1;
  if (options.call == nullptr) options.call = Statvfs;
  state_->opts = options;
  state_->sink = std::move(sink);
}

StatfsPool::~StatfsPool() { Close(); }

StatfsPool::SubmitResult StatfsPool::Submit(uint64_t id, std::string path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  State& st = *state_;
  if (st.closed) return kClosed;
  if (st.workers.empty() && !st.CanSpawn()) {
    st.refused++;
    return kBusy;
  }
  if (st.queue.size() >= st.opts.max_queue) {
    st.refused++;
    return kFull;
  }
  st.queue.push_back(Job{id, std::move(path)});
  st.SpawnIfNeeded(state_);
  st.cv.notify_one();
  return kQueued;
}

StatfsPool::AbandonResult StatfsPool::Abandon(uint64_t id) {
  std::vector<Outcome> refused;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    State& st = *state_;
    auto it = std::find_if(st.workers.begin(), st.workers.end(),
                           [id](const std::shared_ptr<Worker>& w) { return w->job == id; });
    if (it == st.workers.end()) {
      bool queued = std::any_of(st.queue.begin(), st.queue.end(), [id](const Job& j) { return j.id == id; });
      return queued ? kNotStarted : kNotRunning;
    }
    std::shared_ptr<Worker> w = *it;
    st.workers.erase(it);
    w->abandoned = true;
    w->thread.detach();
    st.blocked++;
    st.timeouts++;
    st.SpawnIfNeeded(state_);
    if (st.workers.empty()) {
      // Every thread the pool may have is blocked: what waits is refused now
      // rather than waiting without end.
      for (Job& job : st.queue) {
        Outcome out;
        out.id = job.id;
        out.status = Outcome::kRefused;
        out.path = std::move(job.path);
        refused.push_back(std::move(out));
      }
      st.refused += st.queue.size();
      st.queue.clear();
    }
  }
  for (Outcome& out : refused) state_->sink->Deliver(std::move(out));
  return kAbandoned;
}

PoolStats StatfsPool::Stats() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  const State& st = *state_;
  PoolStats s;
  s.active = static_cast<int>(st.workers.size());
  s.blocked = st.blocked;
  s.created = st.created;
  s.timeouts = st.timeouts;
  s.refused = st.refused;
  s.late = st.late;
  s.queued = st.queue.size();
  return s;
}

void StatfsPool::Close() {
  std::vector<std::thread> idle;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    State& st = *state_;
    if (st.closed) return;
    st.closed = true;
    st.queue.clear();
    for (const std::shared_ptr<Worker>& w : st.workers) {
      if (w->job == 0) {
        idle.push_back(std::move(w->thread));
      } else {
        // Inside a call that may never return: it ends on its own after it.
        w->thread.detach();
      }
    }
    st.workers.clear();
    st.cv.notify_all();
  }
  for (std::thread& t : idle) t.join();
}

}  // namespace statfs
}  // namespace outrider
