// Implementation of nvml_worker.h.
#include "gpu/nvml_worker.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace outrider {
namespace gpu {

// Shared by the owner and the thread: a detached thread keeps it alive.
struct NvmlWorker::State {
  std::mutex mu;
  std::condition_variable cv;
  bool pending = false;  // a request waits for the thread
  bool running = false;  // the thread is inside a request
  bool stop = false;
  bool exited = false;
  Done done;  // cleared by Close(): a late result goes nowhere
  std::string path;
  std::thread thread;
};

namespace {

void Run(std::shared_ptr<NvmlWorker::State> s);

}  // namespace

NvmlWorker::NvmlWorker(std::string path, Done done) : state_(std::make_shared<State>()) {
  state_->path = std::move(path);
  state_->done = std::move(done);
  state_->thread = std::thread(Run, state_);
}

NvmlWorker::~NvmlWorker() { Close(kDefaultCloseWaitMs); }

NvmlWorker::SubmitResult NvmlWorker::Submit() {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->stop) return kClosed;
  if (state_->pending || state_->running) return kBusy;
  state_->pending = true;
  state_->cv.notify_all();
  return kAccepted;
}

bool NvmlWorker::Close(int wait_ms) {
  std::unique_lock<std::mutex> lock(state_->mu);
  if (!state_->thread.joinable()) return state_->exited;
  state_->stop = true;
  state_->done = nullptr;
  state_->cv.notify_all();
  bool exited = state_->cv.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return state_->exited; });
  std::thread t = std::move(state_->thread);
  lock.unlock();
  if (exited) {
    t.join();
  } else {
    t.detach();  // stuck in the driver: never wait for it
  }
  return exited;
}

namespace {

void Run(std::shared_ptr<NvmlWorker::State> s) {
  std::unique_ptr<NvmlLibrary> lib;
  std::string open_error;
  bool tried = false;
  std::unique_lock<std::mutex> lock(s->mu);
  for (;;) {
    s->cv.wait(lock, [&s] { return s->pending || s->stop; });
    if (s->stop) break;
    s->pending = false;
    s->running = true;
    lock.unlock();

    auto snap = std::make_unique<GpuSnapshot>();
    if (!tried) {
      tried = true;
      lib = NvmlLibrary::Open(s->path, &open_error);
    }
    if (lib) {
      lib->Collect(snap.get());
    } else {
      snap->error = open_error;
    }

    lock.lock();
    s->running = false;
    if (s->done) s->done(std::move(snap));
  }
  lock.unlock();
  lib.reset();  // nvmlShutdown + dlclose, on the thread that used the library
  lock.lock();
  s->exited = true;
  s->cv.notify_all();
}

}  // namespace
}  // namespace gpu
}  // namespace outrider
