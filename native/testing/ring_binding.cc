// Testing addon: Node-API face of the SPSC ring (ring/spsc_ring.h) for the
// ring tests and benchmarks; not part of the production addon, whose only
// ring traffic is inside the StatsD receiver. The ring itself lives in
// a SharedArrayBuffer created and validated by test/native/ring/ring.ts; these
// functions attach native threads to it through a Uint8Array view, keeping a
// reference to the view so the memory outlives the thread.
//
// Exports:
//   ringWake(view, which)      futex-wake native sleepers (0: data, 1: space)
//   ringProduce(view, opts, doorbell?) -> Promise<Summary>   native producer
//   ringConsume(view, opts, doorbell?) -> Promise<Summary>   native consumer
//   ringBenchNative(opts) -> Promise<Summary>                native -> native
// Producers and consumers here generate / check the deterministic test
// pattern shared with the TS tests (RecordPattern below).
#include <napi.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "registry.h"
#include "ring/spsc_ring.h"
#include "thread_job.h"

namespace outrider {
namespace {

using ring::Consumer;
using ring::Producer;
using ring::WaitResult;

// Deterministic records: record i has length min + Mix(i ^ seed) % span and
// byte j equals (i * 131 + j + seed) & 0xFF. Mirrored in test/native/ring/ring-pattern.ts.
struct RecordPattern {
  uint32_t seed;
  uint32_t min_len;
  uint32_t max_len;

  static uint32_t Mix(uint32_t x) {
    x *= 0x9E3779B1u;
    x ^= x >> 15;
    x *= 0x85EBCA77u;
    x ^= x >> 13;
    return x;
  }
  uint32_t Length(uint32_t i) const { return min_len + Mix(i ^ seed) % (max_len - min_len + 1); }
  void Fill(uint32_t i, uint8_t* out, uint32_t len) const {
    uint32_t base = i * 131u + seed;
    for (uint32_t j = 0; j < len; ++j) out[j] = static_cast<uint8_t>(base + j);
  }
};

// Order-sensitive FNV-1a over each record's length (4 bytes LE) and payload.
struct Fnv {
  uint32_t h = 0x811C9DC5u;
  void Add(const uint8_t* p, uint32_t n) {
    for (uint32_t k = 0; k < n; ++k) h = (h ^ p[k]) * 0x01000193u;
  }
  void AddRecord(const uint8_t* p, uint32_t len) {
    uint8_t l[4];
    std::memcpy(l, &len, 4);
    Add(l, 4);
    Add(p, len);
  }
};

uint64_t NowNs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

// A JS function a native side calls (coalesced) to run Atomics.notify on the
// JS thread for JS sleepers, which futex(2) cannot reach.
class Doorbell {
 public:
  Doorbell(Napi::Env env, Napi::Value fn) {
    if (!fn.IsFunction()) return;
    napi_value name = Napi::String::New(env, "outrider.ring.doorbell");
    if (napi_create_threadsafe_function(env, fn, nullptr, name, 0, 1, nullptr, nullptr, this, CallJs, &tsfn_) !=
        napi_ok) {
      tsfn_ = nullptr;
      return;
    }
    // Don't keep the loop alive for the doorbell alone; the job's own
    // completion does that.
    napi_unref_threadsafe_function(env, tsfn_);
  }
  ~Doorbell() {
    if (tsfn_ != nullptr) napi_release_threadsafe_function(tsfn_, napi_tsfn_release);
  }
  Doorbell(const Doorbell&) = delete;
  Doorbell& operator=(const Doorbell&) = delete;

  void Ring() {
    if (tsfn_ == nullptr) return;
    if (pending_.exchange(true, std::memory_order_acq_rel)) return;
    napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking);
  }

 private:
  static void CallJs(napi_env env, napi_value js_cb, void* context, void* /*data*/) {
    if (env == nullptr || js_cb == nullptr) return;
    static_cast<Doorbell*>(context)->pending_.store(false, std::memory_order_release);
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_value result;
    napi_call_function(env, undefined, js_cb, 0, nullptr, &result);
  }

  napi_threadsafe_function tsfn_ = nullptr;
  std::atomic<bool> pending_{false};
};

struct Summary {
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint32_t checksum = 0;
  uint64_t nanos = 0;
  bool closed = false;
  bool stopped = false;
  bool corrupt = false;
};

Napi::Object SummaryToJs(Napi::Env env, const Summary& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("records", Napi::Number::New(env, static_cast<double>(s.records)));
  o.Set("bytes", Napi::Number::New(env, static_cast<double>(s.bytes)));
  o.Set("checksum", Napi::Number::New(env, s.checksum));
  o.Set("nanos", Napi::Number::New(env, static_cast<double>(s.nanos)));
  o.Set("closed", Napi::Boolean::New(env, s.closed));
  o.Set("stopped", Napi::Boolean::New(env, s.stopped));
  o.Set("corrupt", Napi::Boolean::New(env, s.corrupt));
  return o;
}

uint32_t GetU32(Napi::Object o, const char* key, uint32_t fallback) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) return fallback;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 4294967295.0) return fallback;
  return static_cast<uint32_t>(d);
}

// Resolves a ring view argument; throws and returns nullptr when invalid.
uint8_t* RingBase(Napi::Env env, Napi::Value view) {
  uint8_t* data = nullptr;
  size_t len = 0;
  if (!GetBytes(view, &data, &len) || !ring::Validate(data, len)) {
    ThrowCoded(env, "EINVAL", "not a ring: expected a Uint8Array over an initialised ring buffer");
    return nullptr;
  }
  return data;
}

class ProduceJob : public ThreadJob {
 public:
  ProduceJob(Napi::Env env, Napi::Value view, uint8_t* base, RecordPattern pattern, uint32_t count, uint32_t batch,
             bool close_at_end, uint32_t fixed_len, Napi::Value doorbell)
      : view_ref_(Napi::Persistent(view.As<Napi::Object>())),
        base_(base),
        pattern_(pattern),
        fixed_len_(fixed_len),
        count_(count),
        batch_(batch == 0 ? 1 : batch),
        close_at_end_(close_at_end),
        doorbell_(env, doorbell) {}

  void Execute() override {
    Producer producer(base_);
    std::vector<uint8_t> scratch(pattern_.max_len);
    Fnv fnv;
    uint64_t start = NowNs();
    uint32_t i = 0;
    uint32_t staged = 0;
    if (fixed_len_ != 0) scratch.assign(fixed_len_, 0xA5);
    while (i < count_ && !stop_requested()) {
      // Fixed-length mode (benchmarks): constant payload stamped with the
      // index, no per-byte pattern or checksum work.
      uint32_t len = fixed_len_ != 0 ? fixed_len_ : pattern_.Length(i);
      if (fixed_len_ != 0) {
        if (len >= 4) std::memcpy(scratch.data(), &i, 4);
      } else {
        pattern_.Fill(i, scratch.data(), len);
      }
      if (producer.TryStage(scratch.data(), len)) {
        if (fixed_len_ == 0) fnv.AddRecord(scratch.data(), len);
        summary_.bytes += len;
        ++i;
        if (++staged < batch_ && i < count_) continue;
      }
      if (staged != 0) {
        if (producer.Publish() != 0) doorbell_.Ring();
        staged = 0;
        continue;
      }
      // Full: sleep until the consumer frees room, in slices so a stop request
      // is honoured.
      WaitResult r = producer.WaitForSpace(len, 100);
      if (r == WaitResult::kClosed) {
        summary_.closed = true;
        break;
      }
    }
    if (staged != 0 && producer.Publish() != 0) doorbell_.Ring();
    if (close_at_end_) {
      producer.Close();
      doorbell_.Ring();
    }
    summary_.stopped = stop_requested();
    summary_.records = i;
    summary_.checksum = fnv.h;
    summary_.nanos = NowNs() - start;
  }

  Napi::Value Settle(Napi::Env env, bool* /*reject*/) override { return SummaryToJs(env, summary_); }

 private:
  Napi::ObjectReference view_ref_;
  uint8_t* base_;
  RecordPattern pattern_;
  uint32_t fixed_len_;
  uint32_t count_;
  uint32_t batch_;
  bool close_at_end_;
  Doorbell doorbell_;
  Summary summary_;
};

class ConsumeJob : public ThreadJob {
 public:
  ConsumeJob(Napi::Env env, Napi::Value view, uint8_t* base, uint32_t count, int64_t idle_timeout_ms,
             Napi::Value doorbell)
      : view_ref_(Napi::Persistent(view.As<Napi::Object>())),
        base_(base),
        count_(count),
        idle_timeout_ms_(idle_timeout_ms),
        doorbell_(env, doorbell) {}

  void Execute() override {
    Consumer consumer(base_);
    Fnv fnv;
    uint64_t start = NowNs();
    int64_t idle_ms = 0;
    while (summary_.records < count_ && !stop_requested()) {
      uint32_t n = consumer.Drain(
          [&](const uint8_t* p, uint32_t len) {
            fnv.AddRecord(p, len);
            summary_.bytes += len;
          },
          count_ - static_cast<uint32_t>(summary_.records));
      // A JS producer asleep in Atomics.wait for the space just released
      // needs the doorbell.
      if (consumer.TakeUnserved() != 0) doorbell_.Ring();
      if (consumer.corrupt()) {
        summary_.corrupt = true;
        summary_.records += n;
        break;
      }
      if (n != 0) {
        summary_.records += n;
        idle_ms = 0;
        continue;
      }
      WaitResult r = consumer.WaitForData(100);
      if (r == WaitResult::kClosed) {
        summary_.closed = true;
        break;
      }
      if (r == WaitResult::kTimedOut) {
        idle_ms += 100;
        if (idle_timeout_ms_ >= 0 && idle_ms >= idle_timeout_ms_) break;
      }
    }
    summary_.stopped = stop_requested();
    summary_.checksum = fnv.h;
    summary_.nanos = NowNs() - start;
  }

  Napi::Value Settle(Napi::Env env, bool* /*reject*/) override { return SummaryToJs(env, summary_); }

 private:
  Napi::ObjectReference view_ref_;
  uint8_t* base_;
  uint32_t count_;
  int64_t idle_timeout_ms_;
  Doorbell doorbell_;
  Summary summary_;
};

// native -> native throughput: two threads over a private ring, fixed-size
// records, batch publish. Returns the consumer's view of the run.
class BenchJob : public ThreadJob {
 public:
  BenchJob(uint32_t capacity, uint32_t count, uint32_t record_len, uint32_t batch)
      : capacity_(capacity), count_(count), record_len_(record_len), batch_(batch == 0 ? 1 : batch) {}

  void Execute() override {
    std::unique_ptr<uint8_t[]> mem(new (std::align_val_t(64)) uint8_t[ring::kHeaderBytes + capacity_]);
    ring::Initialise(mem.get(), capacity_);
    uint8_t* base = mem.get();
    uint64_t start = NowNs();
    std::thread producer_thread([this, base]() {
      Producer producer(base);
      std::vector<uint8_t> rec(record_len_, 0xAB);
      uint32_t i = 0;
      uint32_t staged = 0;
      while (i < count_) {
        if (record_len_ >= 4) std::memcpy(rec.data(), &i, 4);
        if (producer.TryStage(rec.data(), record_len_)) {
          ++i;
          if (++staged < batch_ && i < count_) continue;
        }
        if (staged != 0) {
          producer.Publish();
          staged = 0;
          continue;
        }
        producer.WaitForSpace(record_len_, 100);
      }
      producer.Close();
    });
    Consumer consumer(base);
    uint64_t records = 0;
    uint64_t bytes = 0;
    uint32_t sum = 0;
    while (records < count_) {
      uint32_t n = consumer.Drain(
          [&](const uint8_t* p, uint32_t len) {
            uint32_t v = 0;
            if (len >= 4) std::memcpy(&v, p, 4);
            sum += v;
            bytes += len;
          },
          UINT32_MAX);
      records += n;
      if (consumer.corrupt()) break;  // cannot happen with this producer
      if (n == 0) consumer.WaitForData(100);
    }
    producer_thread.join();
    summary_.nanos = NowNs() - start;
    summary_.records = records;
    summary_.bytes = bytes;
    summary_.checksum = sum;
  }

  Napi::Value Settle(Napi::Env env, bool* /*reject*/) override { return SummaryToJs(env, summary_); }

 private:
  uint32_t capacity_;
  uint32_t count_;
  uint32_t record_len_;
  uint32_t batch_;
  Summary summary_;
};

Napi::Value RingWake(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* base = RingBase(env, info[0]);
  if (base == nullptr) return env.Undefined();
  uint32_t which = info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 0;
  ring::FutexWake(base, which == 0 ? ring::kOffWrite : ring::kOffRead);
  return env.Undefined();
}

Napi::Value RingProduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* base = RingBase(env, info[0]);
  if (base == nullptr) return env.Undefined();
  if (!info[1].IsObject()) return ThrowCoded(env, "EINVAL", "options object expected");
  Napi::Object o = info[1].As<Napi::Object>();
  uint32_t capacity = ring::LoadAcquire(base, ring::kOffCapacity);
  RecordPattern pattern{GetU32(o, "seed", 1), GetU32(o, "minLen", 0), GetU32(o, "maxLen", 64)};
  if (pattern.min_len > pattern.max_len || pattern.max_len > ring::MaxRecordLength(capacity))
    return ThrowCoded(env, "EINVAL", "record lengths out of range for this ring");
  bool close_at_end = o.Get("close").ToBoolean().Value();
  uint32_t fixed_len = GetU32(o, "fixedLen", 0);
  if (fixed_len > ring::MaxRecordLength(capacity)) return ThrowCoded(env, "EINVAL", "fixedLen too large for this ring");
  if (fixed_len > pattern.max_len) pattern.max_len = fixed_len;
  return StartThreadJob(env, std::make_unique<ProduceJob>(env, info[0], base, pattern, GetU32(o, "count", 0),
                                                          GetU32(o, "batch", 1), close_at_end, fixed_len, info[2]));
}

Napi::Value RingConsume(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* base = RingBase(env, info[0]);
  if (base == nullptr) return env.Undefined();
  if (!info[1].IsObject()) return ThrowCoded(env, "EINVAL", "options object expected");
  Napi::Object o = info[1].As<Napi::Object>();
  Napi::Value idle = o.Get("idleTimeoutMs");
  int64_t idle_ms = idle.IsNumber() ? idle.As<Napi::Number>().Int64Value() : 10000;
  return StartThreadJob(env,
                        std::make_unique<ConsumeJob>(env, info[0], base, GetU32(o, "count", 0), idle_ms, info[2]));
}

Napi::Value RingBenchNative(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) return ThrowCoded(env, "EINVAL", "options object expected");
  Napi::Object o = info[0].As<Napi::Object>();
  uint32_t capacity = GetU32(o, "capacity", 1u << 20);
  uint32_t record_len = GetU32(o, "recordLen", 64);
  if (!ring::IsValidCapacity(capacity) || record_len > ring::MaxRecordLength(capacity))
    return ThrowCoded(env, "EINVAL", "bad capacity or record length");
  return StartThreadJob(env, std::make_unique<BenchJob>(capacity, GetU32(o, "count", 1000000), record_len,
                                                        GetU32(o, "batch", 64)));
}

void InitRing(Napi::Env env, Napi::Object exports) {
  exports.Set("ringWake", Napi::Function::New(env, RingWake, "ringWake"));
  exports.Set("ringProduce", Napi::Function::New(env, RingProduce, "ringProduce"));
  exports.Set("ringConsume", Napi::Function::New(env, RingConsume, "ringConsume"));
  exports.Set("ringBenchNative", Napi::Function::New(env, RingBenchNative, "ringBenchNative"));
  Napi::Object layout = Napi::Object::New(env);
  layout.Set("headerBytes", ring::kHeaderBytes);
  layout.Set("offWrite", ring::kOffWrite);
  layout.Set("offRead", ring::kOffRead);
  layout.Set("offWaiters", ring::kOffWaiters);
  layout.Set("offClosed", ring::kOffClosed);
  layout.Set("magic", ring::kMagic);
  exports.Set("ringLayout", layout);
}

}  // namespace

OUTRIDER_REGISTER_BINDING(ring, InitRing);

}  // namespace outrider
