// libFuzzer target: the codecs that decode bytes from the network or the
// spool (codec/snappy.h, codec/zlib_codec.h). The first input byte picks the
// decoder; decoding must refuse bad input with an error, never read or write
// out of bounds, and never exceed its output cap. Whatever decodes is
// compressed again and must round-trip; the raw input must round-trip
// through the snappy compressor too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "codec/snappy.h"
#include "codec/zlib_codec.h"

namespace {

constexpr size_t kMaxOutput = 1u << 20;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_codec: invariant failed: %s\n", what);
    std::abort();
  }
}

void SnappyRoundTrip(const uint8_t* data, size_t size) {
  std::vector<uint8_t> packed;
  outrider::codec::SnappyCompress(data, size, &packed);
  std::vector<uint8_t> back;
  std::string error;
  Check(outrider::codec::SnappyUncompress(packed.data(), packed.size(), size, &back, &error), "snappy round trip");
  Check(back.size() == size && (size == 0 || std::memcmp(back.data(), data, size) == 0), "snappy round-trip bytes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using outrider::codec::ZFormat;
  if (size == 0) return 0;
  uint8_t which = data[0] % 3;
  ++data;
  --size;
  std::vector<uint8_t> out;
  std::string error;
  if (which == 0) {
    if (outrider::codec::SnappyUncompress(data, size, kMaxOutput, &out, &error)) {
      Check(out.size() <= kMaxOutput, "snappy output cap");
      SnappyRoundTrip(out.data(), out.size());
    } else {
      Check(!error.empty(), "snappy failure without a message");
    }
    SnappyRoundTrip(data, size);
    return 0;
  }
  ZFormat format = which == 1 ? ZFormat::kGzip : ZFormat::kZlib;
  if (outrider::codec::ZDecompress(format, data, size, kMaxOutput, &out, &error)) {
    Check(out.size() <= kMaxOutput, "inflate output cap");
    std::vector<uint8_t> packed;
    std::vector<uint8_t> back;
    Check(outrider::codec::ZCompress(format, out.data(), out.size(), 1, &packed, &error), "deflate");
    Check(outrider::codec::ZDecompress(format, packed.data(), packed.size(), kMaxOutput, &back, &error) && back == out,
          "zlib round trip");
  } else {
    Check(!error.empty(), "inflate failure without a message");
  }
  return 0;
}
