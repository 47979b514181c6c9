// Runs a piece of blocking work on its own thread and settles a Promise on the
// JS thread when it is done. Used for long waits (sendfile on a slow peer, the
// ring test producers) that must not occupy libuv's small thread pool.
//
// Teardown: each job registers an env cleanup hook *after* creating its
// thread-safe function, so the hook runs first (hooks run last-in first-out):
// it sets stop_requested and joins the thread while the thread-safe function
// is still valid. The Promise of a job cut short by teardown never settles;
// there is no JS left to observe it.
#pragma once

#include <napi.h>

#include <atomic>
#include <memory>

namespace outrider {

class ThreadJob {
 public:
  virtual ~ThreadJob() = default;
  // Runs on the job's thread. Must return soon after stop_requested() turns
  // true.
  virtual void Execute() = 0;
  // Runs on the JS thread after Execute(); returns the value the Promise
  // resolves with, or sets *reject and returns the rejection reason.
  virtual Napi::Value Settle(Napi::Env env, bool* reject) = 0;

  bool stop_requested() const { return stop_.load(std::memory_order_acquire); }
  void RequestStop() { stop_.store(true, std::memory_order_release); }
  const std::atomic<bool>* stop_flag() const { return &stop_; }

 private:
  std::atomic<bool> stop_{false};
};

// Starts `job` on a new thread and returns its Promise.
Napi::Value StartThreadJob(Napi::Env env, std::unique_ptr<ThreadJob> job);

// Reads the bytes of a TypedArray/Buffer/DataView argument (SharedArrayBuffer
// backed or not). Returns false (and leaves outputs alone) for anything else.
bool GetBytes(Napi::Value value, uint8_t** data, size_t* len);

// A JS Error for a failed system call: code = errno name, errno = the number,
// syscall = `syscall`.
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& what);

// Throws a JS Error whose `code` is set (errno-style data for the TS layer to
// map to an OutriderError) and returns undefined.
Napi::Value ThrowCoded(Napi::Env env, const char* code, const std::string& message);

}  // namespace outrider
