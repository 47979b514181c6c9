// Node-API face of the synchronous codecs (codec/). The asynchronous variants
// run on the thread pool (pool_binding.cc).
//
// Exports:
//   crc32c(bytes, seed) -> number     synchronous, on the calling thread
//   inflateSync(bytes, format, maxOutput) -> Buffer
//                                     format 0 raw deflate, 1 gzip, 2 zlib; one reused zlib state per thread;
//                                     throws ERR_BUFFER_TOO_LARGE past maxOutput, EINVAL on bad input
//   snappyUncompressSync(bytes, maxOutput) -> Buffer
//                                     a snappy block; throws EINVAL on corrupt input or a declared length over
//                                     maxOutput
#include <napi.h>

#include <string>
#include <vector>

#include "codec/crc32c.h"
#include "codec/snappy.h"
#include "codec/zlib_codec.h"
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

Napi::Value InflateSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* data = nullptr;
  size_t len = 0;
  if (!GetBytes(info[0], &data, &len)) return ThrowCoded(env, "EINVAL", "bytes expected");
  if (!info[1].IsNumber() || !info[2].IsNumber()) return ThrowCoded(env, "EINVAL", "format and maxOutput must be numbers");
  int32_t f = info[1].As<Napi::Number>().Int32Value();
  double max = info[2].As<Napi::Number>().DoubleValue();
  if (f < 0 || f > 2) return ThrowCoded(env, "EINVAL", "format must be 0 (raw), 1 (gzip) or 2 (zlib)");
  if (!(max >= 1 && max <= 4294967296.0)) return ThrowCoded(env, "EINVAL", "maxOutput must be in [1, 2^32]");
  codec::ZFormat format = f == 0 ? codec::ZFormat::kRaw : f == 1 ? codec::ZFormat::kGzip : codec::ZFormat::kZlib;
  // One per JS thread (the main thread and each worker): the zlib state is reset, not rebuilt, per call.
  thread_local codec::Inflater inflater;
  size_t n = 0;
  std::string error;
  bool too_large = false;
  if (!inflater.Decompress(format, data, len, static_cast<size_t>(max), &n, &error, &too_large)) {
    return ThrowCoded(env, too_large ? "ERR_BUFFER_TOO_LARGE" : "EINVAL", error);
  }
  return Napi::Buffer<uint8_t>::Copy(env, inflater.output(), n);
}

Napi::Value SnappyUncompressSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* data = nullptr;
  size_t len = 0;
  if (!GetBytes(info[0], &data, &len)) return ThrowCoded(env, "EINVAL", "bytes expected");
  if (!info[1].IsNumber()) return ThrowCoded(env, "EINVAL", "maxOutput must be a number");
  double max = info[1].As<Napi::Number>().DoubleValue();
  if (!(max >= 0 && max <= 4294967296.0)) return ThrowCoded(env, "EINVAL", "maxOutput must be in [0, 2^32]");
  std::vector<uint8_t> out;
  std::string error;
  if (!codec::SnappyUncompress(data, len, static_cast<size_t>(max), &out, &error)) return ThrowCoded(env, "EINVAL", error);
  if (out.empty()) return Napi::Buffer<uint8_t>::New(env, 0);
  return Napi::Buffer<uint8_t>::Copy(env, out.data(), out.size());
}

void InitCodec(Napi::Env env, Napi::Object exports) {
  exports.Set("inflateSync", Napi::Function::New(env, InflateSync, "inflateSync"));
  exports.Set("snappyUncompressSync", Napi::Function::New(env, SnappyUncompressSync, "snappyUncompressSync"));
  exports.Set("crc32c", Napi::Function::New(env, Crc32c, "crc32c"));
}

}  // namespace

OUTRIDER_REGISTER_BINDING(codec, InitCodec);

}  // namespace outrider
