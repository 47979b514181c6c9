// Node-API face of notify/: sd_notify. The Unix datagram receiver the tests
// use to play systemd lives in the testing addon (native/testing/).
//
// Exports:
//   sdNotify(socketPath, state)            synchronous; throws errno errors
#include <napi.h>
#include <string>

#include "notify/sd_notify.h"
#include "registry.h"
#include "thread_job.h"  // ThrowCoded, ErrnoError

namespace outrider {
namespace {

Napi::Value SdNotifyJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString() || !info[1].IsString()) return ThrowCoded(env, "EINVAL", "sdNotify(path, state) expected");
  int err = notify::SdNotify(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::String>().Utf8Value());
  if (err != 0) ErrnoError(env, err, "sendto", "sd_notify").ThrowAsJavaScriptException();
  return env.Undefined();
}

void InitNotify(Napi::Env env, Napi::Object exports) {
  exports.Set("sdNotify", Napi::Function::New(env, SdNotifyJs, "sdNotify"));
}

}  // namespace

OUTRIDER_REGISTER_BINDING(notify, InitNotify);

}  // namespace outrider
