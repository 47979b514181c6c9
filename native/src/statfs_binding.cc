// Node-API face of statfs/: a pool of statfs threads whose calls can be
// abandoned at a deadline (see statfs/statfs_pool.h). The deadline itself is a
// timer on the JS side (agent/native/statfs.ts), which calls abandon(id).
//
// Exports:
//   new StatfsPool({ threads, maxBlocked, maxQueue, testOpenFirst }, onOutcome)
//     onOutcome(id, code, stats, late): code '' (ok; stats a Float64Array of
//     bsize, blocks, bfree, bavail, files, ffree), an errno name, or
//     'REFUSED' (every thread the pool may have is blocked). late: the call
//     had been abandoned. Called on the JS thread; the function is unref'd.
//     testOpenFirst (tests only): open() each path before statfs, so a FIFO
//     plays a mount that hangs until its writer end is opened.
//   submit(id, path)  0 queued, 1 busy (every thread blocked), 2 queue full,
//                     3 closed
//   abandon(id)       0 not running (outcome on the way), 1 abandoned,
//                     2 not started (still queued)
//   stats()           { active, blocked, created, timeouts, refused, late, queued }
//   close()           idempotent; busy threads are left to end on their own
#include <napi.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "registry.h"
#include "statfs/statfs_pool.h"
#include "sys/errno_name.h"
#include "thread_job.h"  // ThrowCoded

namespace outrider {
namespace {

// Hands outcomes to the JS thread; drops them once released. A detached
// thread blocked in the kernel may hold this past the pool's life, and so does
// the thread-safe function (its context, freed by its finalizer).
class TsfnSink : public statfs::Sink {
 public:
  void Attach(napi_threadsafe_function tsfn) {
    std::lock_guard<std::mutex> lock(mu_);
    tsfn_ = tsfn;
  }

  void Deliver(statfs::Outcome outcome) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (tsfn_ == nullptr) return;
    auto data = std::make_unique<statfs::Outcome>(std::move(outcome));
    if (napi_call_threadsafe_function(tsfn_, data.get(), napi_tsfn_nonblocking) == napi_ok) data.release();
  }

  // No outcome is delivered, or handed to JS, after this returns.
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_.store(true, std::memory_order_release);
    if (tsfn_ == nullptr) return;
    napi_release_threadsafe_function(tsfn_, napi_tsfn_release);
    tsfn_ = nullptr;
  }

  bool released() const { return released_.load(std::memory_order_acquire); }

 private:
  std::mutex mu_;
  napi_threadsafe_function tsfn_ = nullptr;
  std::atomic<bool> released_{false};
};

using SinkRef = std::shared_ptr<TsfnSink>;

void FinalizeSinkRef(napi_env /*env*/, void* data, void* /*hint*/) { delete static_cast<SinkRef*>(data); }

// On the JS thread. Also reached while the environment tears down, when no JS
// can run: every Node-API status is checked and a failure drops the outcome.
void CallOutcome(napi_env env, napi_value js_cb, void* context, void* data) {
  std::unique_ptr<statfs::Outcome> out(static_cast<statfs::Outcome*>(data));
  if (env == nullptr || js_cb == nullptr || context == nullptr) return;
  if ((*static_cast<SinkRef*>(context))->released()) return;
  std::string code;
  if (out->status == statfs::Outcome::kRefused) {
    code = "REFUSED";
  } else if (out->status == statfs::Outcome::kErrno) {
    code = sys::ErrnoName(out->err);
  }
  napi_value args[4];
  if (napi_create_double(env, static_cast<double>(out->id), &args[0]) != napi_ok) return;
  if (napi_create_string_utf8(env, code.data(), code.size(), &args[1]) != napi_ok) return;
  if (out->status == statfs::Outcome::kOk) {
    const double values[6] = {static_cast<double>(out->stats.bsize),  static_cast<double>(out->stats.blocks),
                              static_cast<double>(out->stats.bfree),  static_cast<double>(out->stats.bavail),
                              static_cast<double>(out->stats.files),  static_cast<double>(out->stats.ffree)};
    void* bytes = nullptr;
    napi_value buffer;
    if (napi_create_arraybuffer(env, sizeof(values), &bytes, &buffer) != napi_ok || bytes == nullptr) return;
    std::memcpy(bytes, values, sizeof(values));
    if (napi_create_typedarray(env, napi_float64_array, 6, buffer, 0, &args[2]) != napi_ok) return;
  } else if (napi_get_undefined(env, &args[2]) != napi_ok) {
    return;
  }
  if (napi_get_boolean(env, out->late, &args[3]) != napi_ok) return;
  napi_value recv;
  if (napi_get_undefined(env, &recv) != napi_ok) return;
  napi_value ignored;
  napi_call_function(env, recv, js_cb, 4, args, &ignored);
}

int IntOption(Napi::Object o, const char* key, int fallback, int lo, int hi) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) return fallback;
  int n = v.As<Napi::Number>().Int32Value();
  return n < lo ? lo : (n > hi ? hi : n);
}

class StatfsPoolJs : public Napi::ObjectWrap<StatfsPoolJs> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "StatfsPool",
                       {InstanceMethod<&StatfsPoolJs::Submit>("submit"), InstanceMethod<&StatfsPoolJs::Abandon>("abandon"),
                        InstanceMethod<&StatfsPoolJs::Stats>("stats"), InstanceMethod<&StatfsPoolJs::Close>("close")});
  }

  explicit StatfsPoolJs(const Napi::CallbackInfo& info) : Napi::ObjectWrap<StatfsPoolJs>(info), env_(info.Env()) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject() || !info[1].IsFunction()) {
      ThrowCoded(env, "EINVAL", "new StatfsPool(options, onOutcome) expected");
      return;
    }
    Napi::Object o = info[0].As<Napi::Object>();
    statfs::PoolOptions opts;
    opts.threads = IntOption(o, "threads", 1, 1, 64);
    opts.max_blocked = IntOption(o, "maxBlocked", 4, 0, 256);
    opts.max_queue = static_cast<size_t>(IntOption(o, "maxQueue", 4096, 1, 1 << 20));
    Napi::Value test = o.Get("testOpenFirst");
    if (test.IsBoolean() && test.As<Napi::Boolean>().Value()) opts.call = statfs::OpenThenStatfs;

    sink_ = std::make_shared<TsfnSink>();
    auto context = std::make_unique<SinkRef>(sink_);
    napi_threadsafe_function tsfn = nullptr;
    napi_value name = Napi::String::New(env, "outrider.statfs");
    if (napi_create_threadsafe_function(env, info[1], nullptr, name, 0, 1, context.get(), FinalizeSinkRef, context.get(),
                                        CallOutcome, &tsfn) != napi_ok) {
      sink_.reset();
      ThrowCoded(env, "ENOMEM", "cannot create a thread-safe function");
      return;
    }
    context.release();  // the thread-safe function's finalizer frees it
    // Outcomes never keep the process alive (a blocked call may never return);
    // the deadline timers on the JS side do while a call is in flight.
    napi_unref_threadsafe_function(env, tsfn);
    sink_->Attach(tsfn);
    pool_ = std::make_unique<statfs::StatfsPool>(opts, sink_);
    // Registered after the thread-safe function, so it runs first at teardown.
    napi_add_env_cleanup_hook(env, Cleanup, this);
    hooked_ = true;
  }

  ~StatfsPoolJs() override {
    if (hooked_) napi_remove_env_cleanup_hook(env_, Cleanup, this);
    Shutdown();
  }

 private:
  static void Cleanup(void* arg) {
    auto* self = static_cast<StatfsPoolJs*>(arg);
    self->hooked_ = false;
    self->Shutdown();
  }

  void Shutdown() {
    if (pool_) pool_->Close();
    if (sink_) sink_->Release();
  }

  Napi::Value Submit(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsNumber() || !info[1].IsString()) return ThrowCoded(env, "EINVAL", "submit(id, path) expected");
    if (!pool_) return Napi::Number::New(env, 3);
    auto id = static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value());
    return Napi::Number::New(env, pool_->Submit(id, info[1].As<Napi::String>().Utf8Value()));
  }

  Napi::Value Abandon(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsNumber()) return ThrowCoded(env, "EINVAL", "abandon(id) expected");
    if (!pool_) return Napi::Number::New(env, 0);
    return Napi::Number::New(env, pool_->Abandon(static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value())));
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    if (!pool_) return o;
    statfs::PoolStats s = pool_->Stats();
    o.Set("active", Napi::Number::New(env, s.active));
    o.Set("blocked", Napi::Number::New(env, s.blocked));
    o.Set("created", Napi::Number::New(env, static_cast<double>(s.created)));
    o.Set("timeouts", Napi::Number::New(env, static_cast<double>(s.timeouts)));
    o.Set("refused", Napi::Number::New(env, static_cast<double>(s.refused)));
    o.Set("late", Napi::Number::New(env, static_cast<double>(s.late)));
    o.Set("queued", Napi::Number::New(env, static_cast<double>(s.queued)));
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  napi_env env_;
  std::shared_ptr<TsfnSink> sink_;
  std::unique_ptr<statfs::StatfsPool> pool_;
  bool hooked_ = false;
};

void InitStatfs(Napi::Env env, Napi::Object exports) { exports.Set("StatfsPool", StatfsPoolJs::Define(env)); }

}  // namespace

OUTRIDER_REGISTER_BINDING(statfs, InitStatfs);

}  // namespace outrider
