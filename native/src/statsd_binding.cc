// Node-API face of the StatsD receive path (net/dgram_receiver.h over
// statsd/aggregator.h). The TS side (agent/native/statsd-receiver.ts)
// validates every option; this file only converts.
//
//   const r = new StatsdReceiver({listeners: [{unix, host, port, family, path, mode}],
//                                 receiveBuffer, maxPacket, threads, maxKeys, ringBytes})
//   r.open()      -> [{unix, address, port, family, path, receiveBuffer, sockets}]
//                    throws Error {code: 'EADDRINUSE' | ..., listener: index}
//                    whose message is the reason alone
//   r.start()     starts the receiver and aggregator threads
//   r.drain()     -> stats: takes the interval's aggregates (one call per flush)
//   r.next(max)   -> chunk: up to `max` entries, columnar, empty (n.length 0)
//                    when all were taken; chunks keep a 100k-series flush's
//                    garbage short-lived
//   r.processed() -> packets fully parsed so far
//   r.stop()      joins the threads, closes the sockets (also on env teardown)
//
// A chunk is {t: Uint8Array (statsd::MetricType: 0 c, 1 g, 2 ms, 3 h, 4 s,
// 5 d), r: Uint8Array (gauge relative), v: Float64Array (value), ts:
// Float64Array (unix seconds | 0), n: names, g: canonical tags, sk: [{i, n, s,
// min, max, z, po, pc, no, nc}]} where entry k of the chunk is column[k], `i`
// is the entry a sketch belongs to and pc/nc are Float64Arrays of dense bucket
// counts starting at index po/no.
#include <napi.h>

#include <malloc.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "net/dgram_receiver.h"
#include "registry.h"
#include "thread_job.h"

namespace outrider {
namespace {

using net::DgramReceiver;
using statsd::Reason;
using statsd::Slot;
using statsd::Slots;
using statsd::Stats;

Napi::Float64Array DenseCounts(Napi::Env env, const std::vector<double>& counts) {
  Napi::Float64Array a = Napi::Float64Array::New(env, counts.size());
  for (size_t i = 0; i < counts.size(); ++i) a[i] = counts[i];
  return a;
}

class StatsdReceiver : public Napi::ObjectWrap<StatsdReceiver> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "StatsdReceiver",
                       {InstanceMethod("open", &StatsdReceiver::Open), InstanceMethod("start", &StatsdReceiver::Start),
                        InstanceMethod("drain", &StatsdReceiver::Drain), InstanceMethod("next", &StatsdReceiver::Next),
                        InstanceMethod("processed", &StatsdReceiver::Processed),
                        InstanceMethod("stop", &StatsdReceiver::Stop)});
  }

  explicit StatsdReceiver(const Napi::CallbackInfo& info) : Napi::ObjectWrap<StatsdReceiver>(info) {
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Array ls = o.Get("listeners").As<Napi::Array>();
    for (uint32_t i = 0; i < ls.Length(); ++i) {
      Napi::Object l = ls.Get(i).As<Napi::Object>();
      net::ListenerSpec s;
      s.unix_socket = l.Get("unix").ToBoolean();
      if (s.unix_socket) {
        s.path = l.Get("path").ToString();
        s.mode = l.Get("mode").ToNumber().Int32Value();
      } else {
        s.host = l.Get("host").ToString();
        s.port = l.Get("port").ToNumber().Int32Value();
        s.family = l.Get("family").ToNumber().Int32Value();
      }
      opts_.listeners.push_back(s);
    }
    opts_.receive_buffer = o.Get("receiveBuffer").ToNumber().Int32Value();
    opts_.max_packet = o.Get("maxPacket").ToNumber().Uint32Value();
    opts_.threads_per_udp = o.Get("threads").ToNumber().Int32Value();
    opts_.max_keys = static_cast<size_t>(o.Get("maxKeys").ToNumber().Int64Value());
    opts_.ring_bytes = o.Get("ringBytes").ToNumber().Uint32Value();
    env_ = info.Env();
    napi_add_env_cleanup_hook(env_, &StatsdReceiver::OnEnvTeardown, this);
  }

  ~StatsdReceiver() override {
    if (!torn_down_) napi_remove_env_cleanup_hook(env_, &StatsdReceiver::OnEnvTeardown, this);
    if (receiver_) receiver_->Stop();
  }

 private:
  Napi::Value Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<net::BoundListener> bound;
    std::string code, message;
    size_t listener = 0;
    receiver_ = DgramReceiver::Open(opts_, &bound, &code, &message, &listener);
    if (!receiver_) {
      Napi::Error err = Napi::Error::New(env, message);
      err.Set("code", Napi::String::New(env, code));
      err.Set("listener", Napi::Number::New(env, static_cast<double>(listener)));
      err.ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Array out = Napi::Array::New(env, bound.size());
    for (size_t i = 0; i < bound.size(); ++i) {
      const net::BoundListener& b = bound[i];
      Napi::Object o = Napi::Object::New(env);
      o.Set("unix", b.unix_socket);
      o.Set("address", b.address);
      o.Set("port", b.port);
      o.Set("family", b.family);
      o.Set("path", b.path);
      o.Set("receiveBuffer", b.receive_buffer);
      o.Set("sockets", b.sockets);
      out.Set(static_cast<uint32_t>(i), o);
    }
    return out;
  }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    if (receiver_) receiver_->Start();
    return info.Env().Undefined();
  }

  Napi::Value Drain(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    pending_.clear();
    Stats stats;
    if (receiver_) receiver_->Drain(&pending_, &stats);
    Napi::Object st = Napi::Object::New(env);
    st.Set("packets", static_cast<double>(stats.packets));
    st.Set("bytes", static_cast<double>(stats.bytes));
    st.Set("lines", static_cast<double>(stats.lines));
    st.Set("tooLarge", static_cast<double>(stats.too_large));
    st.Set("events", static_cast<double>(stats.events));
    st.Set("overflow", static_cast<double>(stats.overflow));
    Napi::Array checks = Napi::Array::New(env, 4);
    for (uint32_t i = 0; i < 4; ++i) checks.Set(i, static_cast<double>(stats.service_checks[i]));
    st.Set("serviceChecks", checks);
    Napi::Object invalid = Napi::Object::New(env);
    for (size_t r = 1; r < static_cast<size_t>(Reason::kCount); ++r) {
      if (stats.invalid[r]) invalid.Set(statsd::ReasonName(static_cast<Reason>(r)), static_cast<double>(stats.invalid[r]));
    }
    st.Set("invalid", invalid);
    Napi::Object skipped = Napi::Object::New(env);
    for (size_t k = 0; k < static_cast<size_t>(statsd::Skip::kCount); ++k) {
      if (stats.skipped[k]) skipped.Set(statsd::SkipName(static_cast<statsd::Skip>(k)), static_cast<double>(stats.skipped[k]));
    }
    st.Set("skipped", skipped);
    Napi::Array samples = Napi::Array::New(env, stats.samples.size());
    for (size_t i = 0; i < stats.samples.size(); ++i) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("reason", statsd::ReasonName(stats.samples[i].first));
      o.Set("line", stats.samples[i].second);
      samples.Set(static_cast<uint32_t>(i), o);
    }
    st.Set("samples", samples);
    return st;
  }

  Napi::Value Next(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t max = static_cast<size_t>(info[0].ToNumber().Int64Value());
    size_t count = std::min(pending_.size(), max);
    // Columnar: a few arrays per chunk instead of an object (and boxed numbers) per entry, so a 100k-series flush
    // leaves only the name and tag strings behind as garbage.
    Napi::Uint8Array types = Napi::Uint8Array::New(env, count);
    Napi::Uint8Array relative = Napi::Uint8Array::New(env, count);
    Napi::Float64Array values = Napi::Float64Array::New(env, count);
    Napi::Float64Array stamps = Napi::Float64Array::New(env, count);
    Napi::Array names = Napi::Array::New(env, count);
    Napi::Array tag_list = Napi::Array::New(env, count);
    Napi::Array sketches = Napi::Array::New(env);
    for (size_t i = 0; i < count; ++i) {
      const Slot& s = pending_[i];
      uint32_t j = static_cast<uint32_t>(i);
      std::string_view name = s.Name(), tags = s.Tags();
      types[j] = static_cast<uint8_t>(s.type);
      relative[j] = s.relative ? 1 : 0;
      values[j] = s.value;
      stamps[j] = static_cast<double>(s.timestamp);
      names.Set(j, Napi::String::New(env, name.data(), name.size()));
      tag_list.Set(j, Napi::String::New(env, tags.data(), tags.size()));
      if (s.sketch) {
        const statsd::DDSketch& k = *s.sketch;
        Napi::Object sk = Napi::Object::New(env);
        sk.Set("i", j);
        sk.Set("n", k.count());
        sk.Set("s", k.sum());
        sk.Set("min", k.min());
        sk.Set("max", k.max());
        sk.Set("z", k.zero());
        sk.Set("po", k.positive().offset());
        sk.Set("pc", DenseCounts(env, k.positive().counts()));
        sk.Set("no", k.negative().offset());
        sk.Set("nc", DenseCounts(env, k.negative().counts()));
        sketches.Set(sketches.Length(), sk);
      }
    }
    Napi::Object chunk = Napi::Object::New(env);
    chunk.Set("t", types);
    chunk.Set("r", relative);
    chunk.Set("v", values);
    chunk.Set("ts", stamps);
    chunk.Set("n", names);
    chunk.Set("g", tag_list);
    chunk.Set("sk", sketches);
    // What JS took is freed now, not at the end of the flush: the aggregator
    // thread reuses it for the interval it is filling.
    pending_.PopFront(count);
    if (pending_.empty()) {
      pending_.clear();
      // The interval's keys and sketches were allocated on the aggregator
      // threads and freed here; hand the freed pages back once per flush so a
      // burst of series does not stay resident.
      malloc_trim(0);
    }
    return chunk;
  }

  Napi::Value Processed(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), receiver_ ? static_cast<double>(receiver_->Processed()) : 0.0);
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    if (receiver_) receiver_->Stop();
    return info.Env().Undefined();
  }

  // Worker threads and process exit: stop the native threads before the env goes.
  static void OnEnvTeardown(void* arg) {
    auto* self = static_cast<StatsdReceiver*>(arg);
    self->torn_down_ = true;
    if (self->receiver_) self->receiver_->Stop();
  }

  net::ReceiverOptions opts_;
  std::unique_ptr<DgramReceiver> receiver_;
  Slots pending_;
  napi_env env_ = nullptr;
  bool torn_down_ = false;
};

void Init(Napi::Env env, Napi::Object exports) { exports.Set("StatsdReceiver", StatsdReceiver::Define(env)); }

}  // namespace
}  // namespace outrider

OUTRIDER_REGISTER_BINDING(statsd, outrider::Init);
