// Node-API face of the synchronous codecs (codec/). The asynchronous variants
// run on the thread pool (pool_binding.cc).
//
// Exports:
//   crc32c(bytes, seed) -> number     synchronous, on the calling thread
//   crc32cHardware: boolean           SSE4.2 path in use
#include <napi.h>

#include "codec/crc32c.h"
#include "registry.h"
#include "thread_job.h"

namespace outrider {
namespace {

Napi::Value Crc32c(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* data = nullptr;
  size_t len = 0;
  if (!GetBytes(info[0], &data, &len)) return ThrowCoded(env, "EINVAL", "bytes expected");
  uint32_t seed = info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 0;
  return Napi::Number::New(env, codec::Crc32c(seed, data, len));
}

Napi::Value Crc32cTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* data = nullptr;
  size_t len = 0;
  if (!GetBytes(info[0], &data, &len)) return ThrowCoded(env, "EINVAL", "bytes expected");
  uint32_t seed = info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 0;
  return Napi::Number::New(env, codec::Crc32cTable(seed, data, len));
}

void InitCodec(Napi::Env env, Napi::Object exports) {
  exports.Set("crc32c", Napi::Function::New(env, Crc32c, "crc32c"));
  exports.Set("crc32cTable", Napi::Function::New(env, Crc32cTable, "crc32cTable"));
  exports.Set("crc32cHardware", Napi::Boolean::New(env, codec::Crc32cHardware()));
}

}  // namespace

OUTRIDER_REGISTER_BINDING(codec, InitCodec);

}  // namespace outrider
