// statvfs(3) on threads of its own, with calls that can be abandoned.
//
// A statvfs on a dead NFS server blocks in the kernel for as long as the server
// is gone, and no signal or flag gets the thread out. So calls run on a few
// dedicated threads; when the caller gives up on a call (Abandon, at its
// deadline) the thread making it is detached and set aside as "blocked", and a
// fresh thread takes its place. The pool holds at most threads + max_blocked
// threads: with every one of them blocked, calls are refused at once
// (Outcome::kRefused) instead of creating threads. When a blocked call finally
// returns, its outcome is delivered with `late` set and its thread ends.
//
// Outcomes go to a Sink from the pool's threads, never under the pool's lock.
// A detached thread holds the pool's state (shared_ptr) and the sink, so both
// outlive the StatfsPool object as long as a blocked call does; the sink must
// drop what arrives after its owner is gone.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace outrider {
namespace statfs {

struct FsStats {
  uint64_t bsize = 0;  // f_frsize (f_bsize when the kernel reports no fragment size)
  uint64_t blocks = 0;
  uint64_t bfree = 0;
  uint64_t bavail = 0;
  uint64_t files = 0;
  uint64_t ffree = 0;
};

struct Outcome {
  enum Status { kOk, kErrno, kRefused };
  uint64_t id = 0;
  Status status = kOk;
  int err = 0;  // errno for kErrno
  bool late = false;  // the call had been abandoned
  std::string path;
  FsStats stats;
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Called on a pool thread (or inside Abandon/Close for refused calls); must
  // not call back into the pool.
  virtual void Deliver(Outcome outcome) = 0;
};

// The call each thread makes: 0, or an errno. Replaceable for tests.
using StatfsCall = int (*)(const std::string& path, FsStats* out);
int Statvfs(const std::string& path, FsStats* out);
// Test seam: open()s the path first (and closes it). On a FIFO, open blocks
// until a writer opens the other end: a call that hangs in the kernel until
// the test lets it go, as a dead NFS server does.
int OpenThenStatfs(const std::string& path, FsStats* out);

struct PoolOptions {
  int threads = 1;
  int max_blocked = 4;
  size_t max_queue = 4096;
  StatfsCall call = Statvfs;
};

struct PoolStats {
  int active = 0;  // threads serving calls, idle or busy
  int blocked = 0;  // threads stuck in an abandoned call
  uint64_t created = 0;
  uint64_t timeouts = 0;  // calls abandoned
  uint64_t refused = 0;  // calls refused: every thread blocked, or the queue full
  uint64_t late = 0;  // abandoned calls that returned
  size_t queued = 0;
};

class StatfsPool {
 public:
  StatfsPool(PoolOptions options, std::shared_ptr<Sink> sink);
  ~StatfsPool();
  StatfsPool(const StatfsPool&) = delete;
  StatfsPool& operator=(const StatfsPool&) = delete;

  enum SubmitResult { kQueued, kBusy, kFull, kClosed };
  // Queues a call; its outcome comes through the sink. On anything but
  // kQueued nothing is delivered.
  SubmitResult Submit(uint64_t id, std::string path);

  // Gives up on call `id`. kAbandoned: a thread was inside it; that thread is
  // detached, counted as blocked and replaced (within the cap), and the
  // outcome comes later with `late` set. kNotStarted: the call is still queued
  // (behind a slow one) and stays queued. kNotRunning: it already returned and
  // its outcome is on the way (or unknown id).
  enum AbandonResult { kNotRunning, kAbandoned, kNotStarted };
  AbandonResult Abandon(uint64_t id);

  PoolStats Stats() const;

  // Refuses what is queued (no outcome), joins the idle threads and detaches
  // the busy ones: never waits on the kernel. Idempotent.
  void Close();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace statfs
}  // namespace outrider
