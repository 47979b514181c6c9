// Node-API face of the NUMA-aware thread pool (pool/) and of the codecs that
// run on it. Each submission copies its input (so JS may reuse or transfer
// the buffer at once) and resolves a Promise through the pool's thread-safe
// function.
//
// Exports:
//   readTopology(sysfsRoot) -> { nodes: [{id, cpus}], source }
//   new Pool({workers, sysfsRoot, pin})
//     .submit(kind, bytes, arg, node) -> Promise<Buffer | number>
//     .stats() -> { nodes, workers: [...], pending, closed }
//     .close()  cancel queued tasks (rejected), wait for running ones
//
// Teardown (process exit, worker termination): the env cleanup hook is
// registered after the thread-safe function is created, so it runs first
// (hooks run last-in first-out). It shuts the pool down (joining workers, so
// no thread can call the function any more) and then releases the function,
// while it is still valid. From then on nothing touches the function: Node
// finalizes it itself, and the object's finalizer may run inside that very
// finalization (Node 24 deletes the napi_env, and with it runs our
// finalizers, from the function's close callback while it holds the
// function's lock), so a release there would deadlock or touch freed memory.
#include <napi.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "codec/crc32c.h"
#include "codec/snappy.h"
#include "codec/zlib_codec.h"
#include "pool/thread_pool.h"
#include "pool/topology.h"
#include "registry.h"
#include "thread_job.h"

namespace outrider {
namespace {

constexpr size_t kMaxOutput = size_t{1} << 30;

enum TaskKind : uint32_t {
  kCrc32c = 0,
  kGzip = 1,
  kGunzip = 2,
  kDeflate = 3,
  kInflate = 4,
  kSnappy = 5,
  kUnsnappy = 6,
  kSpin = 7,  // busy-loops `arg` microseconds; returns the worker id (tests, benchmarks)
  kKindCount = 8,
};

// Input copies are recycled: allocating a fresh 64 KiB buffer on the JS
// thread and freeing it on a worker cost more than the copy itself (glibc
// hands the freed top of the heap back to the kernel, so the next copy
// page-faults): ~15 µs of a 64 KiB CRC task's ~20 µs. Buffers of 4 KiB to
// 1 MiB are kept, at most kMaxBytes of them per pool.
class InputCache {
 public:
  static constexpr size_t kMin = 4096;
  static constexpr size_t kMax = size_t{1} << 20;
  static constexpr size_t kMaxBytes = size_t{8} << 20;

  // A copy of [data, data + len), in a recycled buffer when one fits.
  std::vector<uint8_t> Copy(const uint8_t* data, size_t len) {
    std::vector<uint8_t> v;
    if (len >= kMin && len <= kMax) {
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i = 0; i < free_.size(); ++i) {
        if (free_[i].capacity() >= len) {
          v = std::move(free_[i]);
          bytes_ -= v.capacity();
          free_[i] = std::move(free_.back());
          free_.pop_back();
          break;
        }
      }
    }
    v.assign(data, data + len);
    return v;
  }

  // Takes a finished task's input back (any thread).
  void Recycle(std::vector<uint8_t>* v) {
    if (v->capacity() >= kMin && v->capacity() <= kMax) {
      std::lock_guard<std::mutex> lock(mu_);
      if (bytes_ + v->capacity() <= kMaxBytes) {
        bytes_ += v->capacity();
        free_.push_back(std::move(*v));
        return;
      }
    }
    std::vector<uint8_t>().swap(*v);
  }

 private:
  std::mutex mu_;
  std::vector<std::vector<uint8_t>> free_;
  size_t bytes_ = 0;  // capacity held in free_
};

// State shared by the JS object and its in-flight tasks.
struct PoolShared {
  InputCache inputs;
  napi_threadsafe_function tsfn = nullptr;
  std::atomic<bool> tearing_down{false};
  // JS-thread only: tasks whose Promise is pending.
  uint64_t outstanding = 0;
};

class CodecTask : public pool::Task {
 public:
  CodecTask(std::shared_ptr<PoolShared> shared, uint32_t kind, std::vector<uint8_t> input, double arg,
            napi_deferred deferred)
      : shared_(std::move(shared)), kind_(kind), input_(std::move(input)), arg_(arg), deferred_(deferred) {}

  void Run(int worker) override { Execute(worker); }
  void Done() override { Post(); }

  void Cancel() override {
    cancelled_ = true;
    Post();
  }

  // JS thread.
  void Settle(napi_env env) {
    Napi::Env e(env);
    Napi::HandleScope scope(e);
    if (cancelled_) {
      Napi::Error err = Napi::Error::New(e, "pool closed before the task ran");
      err.Set("code", Napi::String::New(e, "ECANCELED"));
      napi_reject_deferred(env, deferred_, err.Value());
    } else if (!error_.empty()) {
      Napi::Error err = Napi::Error::New(e, error_);
      err.Set("code", Napi::String::New(e, "EINVAL"));
      napi_reject_deferred(env, deferred_, err.Value());
    } else if (kind_ == kCrc32c || kind_ == kSpin) {
      napi_resolve_deferred(env, deferred_, Napi::Number::New(e, number_));
    } else {
      auto* vec = new std::vector<uint8_t>(std::move(output_));
      Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::New(
          e, vec->data(), vec->size(), [](Napi::Env, uint8_t*, std::vector<uint8_t>* v) { delete v; }, vec);
      napi_resolve_deferred(env, deferred_, buf);
    }
  }

  PoolShared* shared() const { return shared_.get(); }

 private:
  void Execute(int worker) {
    const uint8_t* p = input_.data();
    size_t n = input_.size();
    switch (kind_) {
      case kCrc32c:
        number_ = codec::Crc32c(static_cast<uint32_t>(arg_), p, n);
        break;
      case kGzip:
        codec::ZCompress(codec::ZFormat::kGzip, p, n, static_cast<int>(arg_), &output_, &error_);
        break;
      case kGunzip:
        codec::ZDecompress(codec::ZFormat::kGzip, p, n, kMaxOutput, &output_, &error_);
        break;
      case kDeflate:
        codec::ZCompress(codec::ZFormat::kZlib, p, n, static_cast<int>(arg_), &output_, &error_);
        break;
      case kInflate:
        codec::ZDecompress(codec::ZFormat::kZlib, p, n, kMaxOutput, &output_, &error_);
        break;
      case kSnappy:
        codec::SnappyCompress(p, n, &output_);
        break;
      case kUnsnappy:
        codec::SnappyUncompress(p, n, kMaxOutput, &output_, &error_);
        break;
      case kSpin: {
        auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<int64_t>(arg_));
        while (std::chrono::steady_clock::now() < until) {
        }
        number_ = worker;
        break;
      }
      default:
        error_ = "unknown task kind";
    }
    shared_->inputs.Recycle(&input_);
  }

  void Post() {
    // During env teardown nothing can be delivered: drop the task here.
    if (shared_->tearing_down.load(std::memory_order_acquire) ||
        napi_call_threadsafe_function(shared_->tsfn, this, napi_tsfn_nonblocking) != napi_ok) {
      delete this;
    }
  }

  std::shared_ptr<PoolShared> shared_;
  uint32_t kind_;
  std::vector<uint8_t> input_;
  double arg_;
  napi_deferred deferred_;
  std::vector<uint8_t> output_;
  double number_ = 0;
  std::string error_;
  bool cancelled_ = false;
};

void OnTaskDone(napi_env env, napi_value /*js_cb*/, void* /*context*/, void* data) {
  auto* task = static_cast<CodecTask*>(data);
  // During teardown (worker terminate, exit) there is no JS left to settle.
  if (env != nullptr && !task->shared()->tearing_down.load(std::memory_order_acquire)) {
    task->Settle(env);
    PoolShared* shared = task->shared();
    if (shared->outstanding > 0 && --shared->outstanding == 0 && shared->tsfn != nullptr) {
      // Idle pools do not keep the process alive.
      napi_unref_threadsafe_function(env, shared->tsfn);
    }
  }
  delete task;
}

Napi::Array CpuArray(Napi::Env env, const std::vector<int>& cpus) {
  Napi::Array a = Napi::Array::New(env, cpus.size());
  for (size_t i = 0; i < cpus.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, cpus[i]));
  return a;
}

Napi::Array NodesToJs(Napi::Env env, const pool::Topology& topo) {
  Napi::Array nodes = Napi::Array::New(env, topo.nodes.size());
  for (size_t i = 0; i < topo.nodes.size(); ++i) {
    Napi::Object n = Napi::Object::New(env);
    n.Set("id", Napi::Number::New(env, topo.nodes[i].id));
    n.Set("cpus", CpuArray(env, topo.nodes[i].cpus));
    nodes.Set(static_cast<uint32_t>(i), n);
  }
  return nodes;
}

class PoolWrap : public Napi::ObjectWrap<PoolWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Pool",
                       {InstanceMethod("submit", &PoolWrap::Submit), InstanceMethod("stats", &PoolWrap::Stats),
                        InstanceMethod("close", &PoolWrap::Close)});
  }

  explicit PoolWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PoolWrap>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) {
      ThrowCoded(env, "EINVAL", "options object expected");
      return;
    }
    Napi::Object o = info[0].As<Napi::Object>();
    std::string root = o.Get("sysfsRoot").IsString() ? o.Get("sysfsRoot").As<Napi::String>().Utf8Value() : "/sys";
    int workers = o.Get("workers").IsNumber() ? o.Get("workers").As<Napi::Number>().Int32Value() : 0;
    bool pin = o.Get("pin").IsBoolean() ? o.Get("pin").As<Napi::Boolean>().Value() : true;
    shared_ = std::make_shared<PoolShared>();
    napi_value name = Napi::String::New(env, "outrider.pool");
    if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, nullptr, OnTaskDone,
                                        &shared_->tsfn) != napi_ok) {
      ThrowCoded(env, "ENOMEM", "cannot create the pool's thread-safe function");
      return;
    }
    napi_unref_threadsafe_function(env, shared_->tsfn);
    pool_ = std::make_unique<pool::ThreadPool>(pool::ReadTopology(root), workers, pin);
    env_ = env;
    napi_add_env_cleanup_hook(env, &PoolWrap::Teardown, this);
    hook_ = true;
  }

  ~PoolWrap() override {
    if (hook_) napi_remove_env_cleanup_hook(env_, &PoolWrap::Teardown, this);
    Shutdown();
  }

 private:
  static void Teardown(void* arg) {
    auto* self = static_cast<PoolWrap*>(arg);
    self->hook_ = false;
    if (self->shared_) self->shared_->tearing_down.store(true, std::memory_order_release);
    // Join the workers first, then release: no thread calls the function after its release.
    self->Shutdown();
  }

  void Shutdown() {
    if (pool_) pool_->Shutdown();
    if (shared_ && shared_->tsfn != nullptr && !released_) {
      released_ = true;
      napi_release_threadsafe_function(shared_->tsfn, napi_tsfn_release);
    }
  }

  Napi::Value Submit(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!pool_ || released_ || pool_->closed()) return ThrowCoded(env, "ECANCELED", "pool is closed");
    uint32_t kind = info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : kKindCount;
    if (kind >= kKindCount) return ThrowCoded(env, "EINVAL", "unknown task kind");
    uint8_t* data = nullptr;
    size_t len = 0;
    if (!GetBytes(info[1], &data, &len)) return ThrowCoded(env, "EINVAL", "bytes expected");
    double arg = info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : 0;
    int node = info[3].IsNumber() ? info[3].As<Napi::Number>().Int32Value() : -1;
    napi_deferred deferred;
    napi_value promise;
    if (napi_create_promise(env, &deferred, &promise) != napi_ok) return env.Undefined();
    std::unique_ptr<pool::Task> task =
        std::make_unique<CodecTask>(shared_, kind, shared_->inputs.Copy(data, len), arg, deferred);
    if (shared_->outstanding++ == 0) napi_ref_threadsafe_function(env, shared_->tsfn);
    if (!pool_->Submit(task, node)) {
      // Closed meanwhile: the task is still ours; reject through the normal path.
      task.release()->Cancel();
    }
    return Napi::Value(env, promise);
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    if (!pool_) return o;
    o.Set("nodes", NodesToJs(env, pool_->topology()));
    std::vector<pool::WorkerStats> stats = pool_->Stats();
    Napi::Array workers = Napi::Array::New(env, stats.size());
    for (size_t i = 0; i < stats.size(); ++i) {
      const pool::WorkerStats& s = stats[i];
      Napi::Object w = Napi::Object::New(env);
      w.Set("id", s.id);
      w.Set("node", s.node);
      w.Set("cpu", s.cpu);
      w.Set("pinned", s.pinned);
      w.Set("pinError", s.pin_error);
      w.Set("executed", static_cast<double>(s.executed));
      w.Set("stolen", static_cast<double>(s.stolen));
      workers.Set(static_cast<uint32_t>(i), w);
    }
    o.Set("workers", workers);
    o.Set("pending", static_cast<double>(pool_->Pending()));
    o.Set("closed", pool_->closed());
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  std::shared_ptr<PoolShared> shared_;
  std::unique_ptr<pool::ThreadPool> pool_;
  napi_env env_ = nullptr;
  bool hook_ = false;
  bool released_ = false;
};

Napi::Value ReadTopologyJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string root = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "/sys";
  pool::Topology topo = pool::ReadTopology(root);
  Napi::Object o = Napi::Object::New(env);
  o.Set("nodes", NodesToJs(env, topo));
  o.Set("source", topo.source);
  return o;
}

void InitPool(Napi::Env env, Napi::Object exports) {
  exports.Set("Pool", PoolWrap::Define(env));
  exports.Set("readTopology", Napi::Function::New(env, ReadTopologyJs, "readTopology"));
}

}  // namespace

OUTRIDER_REGISTER_BINDING(pool, InitPool);

}  // namespace outrider
