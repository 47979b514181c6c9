// libFuzzer target: the codecs that decode bytes from the network or the
// spool (codec/snappy.h, codec/zlib_codec.h). The first input byte picks the
// decoder; decoding must refuse bad input with an error, never read or write
// out of bounds, and never exceed its output cap. Whatever decodes is
// compressed again and must round-trip; the raw input must round-trip
// through the snappy compressor too. The CRC-32C of the input must be the
// same from the hardware (three-stream) path and the table path, from every
// starting offset.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "codec/crc32c.h"
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
  for (size_t skip = 0; skip < 8 && skip < size; ++skip) {
    Check(outrider::codec::Crc32c(0x12345678u, data + skip, size - skip) ==
              outrider::codec::Crc32cTable(0x12345678u, data + skip, size - skip),
          "crc32c hardware and table paths differ");
  }
  uint8_t which = data[0] % 6;
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
  if (which >= 3) {
    // The reused inflater (one per thread, reset per call): same contract, and it must agree with a fresh one.
    static outrider::codec::Inflater inflater;
    ZFormat f = which == 3 ? ZFormat::kRaw : which == 4 ? ZFormat::kGzip : ZFormat::kZlib;
    size_t n = 0;
    bool too_large = false;
    size_t cap = 1 + (size % kMaxOutput);
    if (inflater.Decompress(f, data, size, cap, &n, &error, &too_large)) {
      Check(n <= cap, "inflater output cap");
      std::vector<uint8_t> packed;
      std::vector<uint8_t> copy(inflater.output(), inflater.output() + n);
      Check(outrider::codec::ZCompress(f == ZFormat::kRaw ? ZFormat::kZlib : f, copy.data(), copy.size(), 1, &packed, &error), "deflate");
      if (f != ZFormat::kRaw) {
        size_t m = 0;
        Check(inflater.Decompress(f, packed.data(), packed.size(), kMaxOutput, &m, &error, &too_large) && m == copy.size() &&
                  (m == 0 || std::memcmp(inflater.output(), copy.data(), m) == 0),
              "inflater round trip");
      }
    } else {
      Check(!error.empty(), "inflater failure without a message");
    }
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
