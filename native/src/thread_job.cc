// Implementation of thread_job.h.
#include "thread_job.h"

#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "sys/errno_name.h"

namespace outrider {
namespace {

struct JobEntry {
  uint64_t id = 0;
  napi_env env = nullptr;
  std::unique_ptr<ThreadJob> job;
  std::thread thread;
  napi_deferred deferred = nullptr;
  napi_threadsafe_function tsfn = nullptr;
};

// Live jobs by id. The thread-safe function carries only the id, so a late
// call after teardown finds nothing and touches no freed memory.
std::mutex g_mu;
std::unordered_map<uint64_t, JobEntry*> g_jobs;
std::atomic<uint64_t> g_next_id{1};

JobEntry* Take(uint64_t id) {
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_jobs.find(id);
  if (it == g_jobs.end()) return nullptr;
  JobEntry* entry = it->second;
  g_jobs.erase(it);
  return entry;
}

void Cleanup(void* arg) {
  uint64_t id = reinterpret_cast<uintptr_t>(arg);
  JobEntry* entry = Take(id);
  if (entry == nullptr) return;
  entry->job->RequestStop();
  if (entry->thread.joinable()) entry->thread.join();
  delete entry;
}

void OnDone(napi_env env, napi_value /*js_cb*/, void* /*context*/, void* data) {
  uint64_t id = reinterpret_cast<uintptr_t>(data);
  if (env == nullptr) return;
  JobEntry* entry = Take(id);
  if (entry == nullptr) return;
  napi_remove_env_cleanup_hook(env, Cleanup, reinterpret_cast<void*>(static_cast<uintptr_t>(id)));
  if (entry->thread.joinable()) entry->thread.join();
  Napi::Env napi_env(env);
  Napi::HandleScope scope(napi_env);
  bool reject = false;
  Napi::Value value = entry->job->Settle(napi_env, &reject);
  if (napi_env.IsExceptionPending()) {
    reject = true;
    value = napi_env.GetAndClearPendingException().Value();
  }
  if (value.IsEmpty()) value = napi_env.Undefined();
  if (reject) {
    napi_reject_deferred(env, entry->deferred, value);
  } else {
    napi_resolve_deferred(env, entry->deferred, value);
  }
  napi_release_threadsafe_function(entry->tsfn, napi_tsfn_release);
  delete entry;
}

}  // namespace

Napi::Value StartThreadJob(Napi::Env env, std::unique_ptr<ThreadJob> job) {
  auto entry = std::make_unique<JobEntry>();
  entry->id = g_next_id.fetch_add(1);
  entry->env = env;
  entry->job = std::move(job);
  napi_value promise;
  if (napi_create_promise(env, &entry->deferred, &promise) != napi_ok) return env.Undefined();
  napi_value name = Napi::String::New(env, "outrider.thread_job");
  if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, nullptr, OnDone,
                                      &entry->tsfn) != napi_ok) {
    return ThrowCoded(env, "ENOMEM", "cannot create a thread-safe function");
  }
  uint64_t id = entry->id;
  void* id_ptr = reinterpret_cast<void*>(static_cast<uintptr_t>(id));
  napi_add_env_cleanup_hook(env, Cleanup, id_ptr);
  JobEntry* raw = entry.get();
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_jobs.emplace(id, entry.release());
  }
  napi_threadsafe_function tsfn = raw->tsfn;
  ThreadJob* work = raw->job.get();
  raw->thread = std::thread([tsfn, work, id_ptr]() {
    work->Execute();
    napi_call_threadsafe_function(tsfn, id_ptr, napi_tsfn_nonblocking);
  });
  return Napi::Value(env, promise);
}

bool GetBytes(Napi::Value value, uint8_t** data, size_t* len) {
  if (value.IsTypedArray()) {
    Napi::TypedArray ta = value.As<Napi::TypedArray>();
    void* ptr = nullptr;
    size_t length = 0;
    napi_typedarray_type type;
    napi_value ab;
    size_t byte_offset = 0;
    if (napi_get_typedarray_info(value.Env(), ta, &type, &length, &ptr, &ab, &byte_offset) != napi_ok) return false;
    *data = static_cast<uint8_t*>(ptr);
    *len = ta.ByteLength();
    return true;
  }
  if (value.IsDataView()) {
    Napi::DataView dv = value.As<Napi::DataView>();
    void* ptr = nullptr;
    size_t length = 0;
    napi_value ab;
    size_t byte_offset = 0;
    if (napi_get_dataview_info(value.Env(), dv, &length, &ptr, &ab, &byte_offset) != napi_ok) return false;
    *data = static_cast<uint8_t*>(ptr);
    *len = length;
    return true;
  }
  return false;
}

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& what) {
  Napi::Error e = Napi::Error::New(env, what + ": " + std::string(strerror(err)) + " (" + syscall + ")");
  e.Set("code", Napi::String::New(env, sys::ErrnoName(err)));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

Napi::Value ThrowCoded(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  err.ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace outrider
