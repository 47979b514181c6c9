// Runs NvmlLibrary on a thread of its own, one request at a time.
//
// Every NVML call can block inside the driver (a GPU that fell off the bus, a
// wedged kernel module). The caller never waits for one: Submit() hands the
// request to the thread and returns; the result comes back through the
// callback. The caller enforces its own deadline; while a request is still
// running, Submit() refuses new ones at once (kBusy), so a wedged driver holds
// exactly one thread and never a queue.
//
// Close(wait_ms) asks the thread to shut NVML down (nvmlShutdown, dlclose)
// and waits at most wait_ms for it. A thread stuck in the driver is detached
// instead: the library stays loaded and the process exits without waiting.
// After Close() the callback is never called again, even by a late request.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "gpu/nvml_library.h"

namespace outrider {
namespace gpu {

class NvmlWorker {
 public:
  using Done = std::function<void(std::unique_ptr<GpuSnapshot>)>;
  enum SubmitResult { kAccepted, kBusy, kClosed };

  // `path` is dlopen'ed by the thread on the first request; `done` runs on the
  // worker thread (it must only hand the snapshot over, e.g. to a
  // thread-safe function).
  NvmlWorker(std::string path, Done done);
  ~NvmlWorker();  // Close(kDefaultCloseWaitMs)
  NvmlWorker(const NvmlWorker&) = delete;
  NvmlWorker& operator=(const NvmlWorker&) = delete;

  SubmitResult Submit();
  // True when the thread ended (NVML shut down and unloaded) within wait_ms.
  bool Close(int wait_ms);

  static constexpr int kDefaultCloseWaitMs = 1000;

  struct State;  // shared with the thread (defined in nvml_worker.cc)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace gpu
}  // namespace outrider
