// Testing addon: the codec paths the tests compare against each other and
// against the TS twins, which the agent itself never calls synchronously.
//
// Exports:
//   crc32cTable(bytes, seed) -> number       the slicing-by-8 fallback
//   crc32cHardware: boolean                  the SSE4.2 path is in use
//   snappyCompress(bytes) / snappyUncompress(bytes) -> Buffer   synchronous
#include <napi.h>

#include <string>
#include <vector>

#include "codec/crc32c.h"
#include "codec/snappy.h"
#include "registry.h"
#include "thread_job.h"

namespace outrider {
namespace {

constexpr size_t kMaxOutput = size_t{1} << 30;

Napi::Value Crc32cTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* data = nullptr;
  size_t len = 0;
  if (!GetBytes(info[0], &data, &len)) return ThrowCoded(env, "EINVAL", "bytes expected");
  uint32_t seed = info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 0;
  return Napi::Number::New(env, codec::Crc32cTable(seed, data, len));
}

Napi::Value SnappyCompressJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* data = nullptr;
  size_t len = 0;
  if (!GetBytes(info[0], &data, &len)) return ThrowCoded(env, "EINVAL", "bytes expected");
  std::vector<uint8_t> out;
  codec::SnappyCompress(data, len, &out);
  return Napi::Buffer<uint8_t>::Copy(env, out.data(), out.size());
}

Napi::Value SnappyUncompressJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* data = nullptr;
  size_t len = 0;
  if (!GetBytes(info[0], &data, &len)) return ThrowCoded(env, "EINVAL", "bytes expected");
  std::vector<uint8_t> out;
  std::string error;
  if (!codec::SnappyUncompress(data, len, kMaxOutput, &out, &error)) return ThrowCoded(env, "EINVAL", error);
  return Napi::Buffer<uint8_t>::Copy(env, out.data(), out.size());
}

void InitCodecTesting(Napi::Env env, Napi::Object exports) {
  exports.Set("crc32cTable", Napi::Function::New(env, Crc32cTable, "crc32cTable"));
  exports.Set("crc32cHardware", Napi::Boolean::New(env, codec::Crc32cHardware()));
  exports.Set("snappyCompress", Napi::Function::New(env, SnappyCompressJs, "snappyCompress"));
  exports.Set("snappyUncompress", Napi::Function::New(env, SnappyUncompressJs, "snappyUncompress"));
}

}  // namespace

OUTRIDER_REGISTER_BINDING(codec_testing, InitCodecTesting);

}  // namespace outrider
