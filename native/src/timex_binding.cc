// Node-API face of adjtimex(2), read-only: the kernel's clock discipline state
// (NTP offset, frequency, error bounds, PPS counters) that node_exporter's
// timex collector reports. Node.js has no way to make this call.
//
// Exports:
//   adjtimex()   synchronous; returns the clock state (below); throws errno
//                errors (EPERM where a seccomp policy forbids the call)
//
// The call is made with modes = 0, which only reads: it needs no privilege and
// changes nothing. The returned object carries struct timex's fields as the
// kernel filled them (units as adjtimex(2) documents: offset and jitter in µs,
// or ns when STA_NANO is set in status; freq, ppsfreq and stabil in ppm with a
// 16-bit fraction; maxerror, esterror and tick in µs) plus `state`, the call's
// return value (TIME_OK .. TIME_ERROR). Scaling is the TS layer's job.
#include <napi.h>
#include <sys/timex.h>

#include <cerrno>

#include "registry.h"
#include "thread_job.h"  // ErrnoError

namespace outrider {
namespace {

Napi::Value AdjtimexJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct timex tx {};
  tx.modes = 0;  // read only
  int state = adjtimex(&tx);
  if (state == -1) {
    int err = errno;
    ErrnoError(env, err, "adjtimex", "reading the kernel clock state").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  auto set = [&](const char* name, double value) { out.Set(name, Napi::Number::New(env, value)); };
  set("state", state);
  set("offset", static_cast<double>(tx.offset));
  set("freq", static_cast<double>(tx.freq));
  set("maxerror", static_cast<double>(tx.maxerror));
  set("esterror", static_cast<double>(tx.esterror));
  set("status", static_cast<double>(tx.status));
  set("constant", static_cast<double>(tx.constant));
  set("precision", static_cast<double>(tx.precision));
  set("tolerance", static_cast<double>(tx.tolerance));
  set("tick", static_cast<double>(tx.tick));
  set("ppsfreq", static_cast<double>(tx.ppsfreq));
  set("jitter", static_cast<double>(tx.jitter));
  set("shift", static_cast<double>(tx.shift));
  set("stabil", static_cast<double>(tx.stabil));
  set("jitcnt", static_cast<double>(tx.jitcnt));
  set("calcnt", static_cast<double>(tx.calcnt));
  set("errcnt", static_cast<double>(tx.errcnt));
  set("stbcnt", static_cast<double>(tx.stbcnt));
  set("tai", static_cast<double>(tx.tai));
  return out;
}

void InitTimex(Napi::Env env, Napi::Object exports) {
  exports.Set("adjtimex", Napi::Function::New(env, AdjtimexJs, "adjtimex"));
}

}  // namespace

OUTRIDER_REGISTER_BINDING(timex, InitTimex);

}  // namespace outrider
