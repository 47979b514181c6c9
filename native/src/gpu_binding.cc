// Node-API face of gpu/: an NVML session whose calls run on their own thread.
//
// Exports:
//   new NvmlSession(libraryPath)
//     .collect() -> Promise<Snapshot>   rejects at once with code EBUSY while a
//                                       collection is still running (a wedged
//                                       driver), ECLOSED after close()
//     .close(waitMs) -> boolean         true: NVML shut down and unloaded
//   nvmlFieldNames: string[]            the per-device value names
//
// Snapshot: { error?, status, driverVersion, xidStatus, xids: [{index, xid}],
//   devices: [{ index, minor, name, uuid, pciBusId, handleStatus,
//               values: {field: number}, codes: {field: nvmlReturn},
//               processesStatus, processes: [{pid, usedBytes, graphics}] }] }
// `values` holds the fields NVML answered; `codes` the NVML return code of
// every other field (3: not supported, 13: not in this driver, ...).
//
// The thread-safe function that brings results back is unref'd: an idle
// session never keeps the process alive (the TS layer holds a timer while a
// collection is in flight). At environment teardown the session is closed
// with a short wait, so a wedged driver never holds up exit.
#include <napi.h>

#include <memory>
#include <string>

#include "gpu/nvml_worker.h"
#include "registry.h"
#include "thread_job.h"

namespace outrider {
namespace {

constexpr int kTeardownWaitMs = 250;

Napi::Object SnapshotToJs(Napi::Env env, const gpu::GpuSnapshot& s) {
  Napi::Object out = Napi::Object::New(env);
  if (!s.error.empty()) out.Set("error", s.error);
  out.Set("status", s.status);
  out.Set("driverVersion", s.driver_version);
  out.Set("xidStatus", s.xid_status);
  Napi::Array xids = Napi::Array::New(env, s.xids.size());
  for (size_t i = 0; i < s.xids.size(); i++) {
    Napi::Object x = Napi::Object::New(env);
    x.Set("index", s.xids[i].index);
    x.Set("xid", static_cast<double>(s.xids[i].xid));
    xids.Set(static_cast<uint32_t>(i), x);
  }
  out.Set("xids", xids);
  Napi::Array devices = Napi::Array::New(env, s.devices.size());
  for (size_t i = 0; i < s.devices.size(); i++) {
    const gpu::GpuDevice& d = s.devices[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("index", d.index);
    o.Set("minor", d.minor);
    o.Set("name", d.name);
    o.Set("uuid", d.uuid);
    o.Set("pciBusId", d.pci_bus_id);
    o.Set("handleStatus", d.handle_status);
    Napi::Object values = Napi::Object::New(env);
    Napi::Object codes = Napi::Object::New(env);
    for (int f = 0; f < gpu::kFieldCount; f++) {
      if (d.status[f] == gpu::kNvmlSuccess) {
        values.Set(gpu::kFieldNames[f], d.values[f]);
      } else {
        codes.Set(gpu::kFieldNames[f], d.status[f]);
      }
    }
    o.Set("values", values);
    o.Set("codes", codes);
    o.Set("processesStatus", d.processes_status);
    Napi::Array procs = Napi::Array::New(env, d.processes.size());
    for (size_t p = 0; p < d.processes.size(); p++) {
      Napi::Object po = Napi::Object::New(env);
      po.Set("pid", d.processes[p].pid);
      po.Set("usedBytes", static_cast<double>(d.processes[p].used_bytes));
      po.Set("graphics", d.processes[p].graphics);
      procs.Set(static_cast<uint32_t>(p), po);
    }
    o.Set("processes", procs);
    devices.Set(static_cast<uint32_t>(i), o);
  }
  out.Set("devices", devices);
  return out;
}

class NvmlSession;

// The thread-safe function's context. It outlives the session when snapshots
// are still queued as the session goes away; the function's finalizer frees it.
struct Inbox {
  NvmlSession* owner = nullptr;
};

class NvmlSession : public Napi::ObjectWrap<NvmlSession> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NvmlSession",
                       {InstanceMethod<&NvmlSession::Collect>("collect"), InstanceMethod<&NvmlSession::Close>("close")});
  }

  explicit NvmlSession(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NvmlSession>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString()) {
      ThrowCoded(env, "EINVAL", "NvmlSession(libraryPath) expected");
      return;
    }
    napi_value name = Napi::String::New(env, "outrider.nvml");
    inbox_ = new Inbox{this};
    if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, inbox_, FreeInbox, inbox_, OnSnapshot,
                                        &tsfn_) != napi_ok) {
      delete inbox_;
      inbox_ = nullptr;
      ThrowCoded(env, "ENOMEM", "cannot create a thread-safe function");
      return;
    }
    napi_unref_threadsafe_function(env, tsfn_);
    napi_threadsafe_function tsfn = tsfn_;
    worker_ = std::make_unique<gpu::NvmlWorker>(info[0].As<Napi::String>().Utf8Value(),
                                                [tsfn](std::unique_ptr<gpu::GpuSnapshot> snap) {
                                                  gpu::GpuSnapshot* raw = snap.release();
                                                  if (napi_call_threadsafe_function(tsfn, raw, napi_tsfn_nonblocking) != napi_ok) {
                                                    delete raw;
                                                  }
                                                });
    env_ = env;
    napi_add_env_cleanup_hook(env, Teardown, this);
    hooked_ = true;
  }

  ~NvmlSession() override {
    if (hooked_) napi_remove_env_cleanup_hook(env_, Teardown, this);
    hooked_ = false;
    Shutdown(kTeardownWaitMs);
  }

 private:
  Napi::Value Collect(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto deferred = Napi::Promise::Deferred::New(env);
    auto reject = [&](const char* code, const char* msg) {
      Napi::Error e = Napi::Error::New(env, msg);
      e.Set("code", Napi::String::New(env, code));
      deferred.Reject(e.Value());
      return deferred.Promise();
    };
    if (!worker_) return reject("ECLOSED", "NVML session is closed");
    // Busy until the previous snapshot has reached JS, not only until the thread is done with it: a late
    // snapshot still queued must settle its own promise, never a newer one.
    if (pending_) return reject("EBUSY", "the previous NVML collection has not returned");
    gpu::NvmlWorker::SubmitResult r = worker_->Submit();
    if (r == gpu::NvmlWorker::kBusy) return reject("EBUSY", "the previous NVML collection has not returned");
    if (r == gpu::NvmlWorker::kClosed) return reject("ECLOSED", "NVML session is closed");
    pending_ = std::make_unique<Napi::Promise::Deferred>(deferred);
    return deferred.Promise();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    int wait_ms = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : gpu::NvmlWorker::kDefaultCloseWaitMs;
    if (wait_ms < 0) wait_ms = 0;
    return Napi::Boolean::New(info.Env(), Shutdown(wait_ms));
  }

  bool Shutdown(int wait_ms) {
    if (!worker_) return closed_clean_;
    closed_clean_ = worker_->Close(wait_ms);
    worker_.reset();
    if (inbox_ != nullptr) inbox_->owner = nullptr;  // queued snapshots are dropped from now on
    inbox_ = nullptr;
    if (tsfn_ != nullptr) napi_release_threadsafe_function(tsfn_, napi_tsfn_release);
    tsfn_ = nullptr;
    return closed_clean_;
  }

  static void Teardown(void* arg) {
    auto* self = static_cast<NvmlSession*>(arg);
    self->hooked_ = false;
    self->Shutdown(kTeardownWaitMs);
  }

  static void OnSnapshot(napi_env env, napi_value /*js_cb*/, void* context, void* data) {
    std::unique_ptr<gpu::GpuSnapshot> snap(static_cast<gpu::GpuSnapshot*>(data));
    auto* self = static_cast<Inbox*>(context)->owner;
    if (env == nullptr || self == nullptr) return;
    std::unique_ptr<Napi::Promise::Deferred> deferred = std::move(self->pending_);
    if (!deferred) return;
    Napi::Env e(env);
    Napi::HandleScope scope(e);
    deferred->Resolve(SnapshotToJs(e, *snap));
  }

  static void FreeInbox(napi_env /*env*/, void* data, void* /*hint*/) { delete static_cast<Inbox*>(data); }

  napi_env env_ = nullptr;
  Inbox* inbox_ = nullptr;  // owned by the thread-safe function
  napi_threadsafe_function tsfn_ = nullptr;
  std::unique_ptr<gpu::NvmlWorker> worker_;
  std::unique_ptr<Napi::Promise::Deferred> pending_;
  bool hooked_ = false;
  bool closed_clean_ = false;
};

void InitGpu(Napi::Env env, Napi::Object exports) {
  exports.Set("NvmlSession", NvmlSession::Define(env));
  Napi::Array names = Napi::Array::New(env, gpu::kFieldCount);
  for (int f = 0; f < gpu::kFieldCount; f++) names.Set(static_cast<uint32_t>(f), gpu::kFieldNames[f]);
  exports.Set("nvmlFieldNames", names);
}

}  // namespace

OUTRIDER_REGISTER_BINDING(gpu, InitGpu);

}  // namespace outrider
