// gzip / zlib-format deflate and inflate through the system zlib.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

struct z_stream_s;

namespace outrider {
namespace codec {

enum class ZFormat { kGzip, kZlib, kRaw };

// Compresses `data` at `level` (0-9, -1 default). Returns false with `error`.
bool ZCompress(ZFormat format, const uint8_t* data, size_t len, int level, std::vector<uint8_t>* out,
               std::string* error);

// Decompresses; refuses to produce more than `max_output` bytes (zip bombs).
bool ZDecompress(ZFormat format, const uint8_t* data, size_t len, size_t max_output, std::vector<uint8_t>* out,
                 std::string* error);

// A decompressor whose zlib state is allocated once and reset per call (inflateReset2), for many small payloads:
// zlib's inflate state and 32 KiB window are not set up and torn down for each one. Not thread-safe: one per
// thread. `out` keeps its capacity between calls.
class Inflater {
 public:
  Inflater();
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Like ZDecompress, into the inflater's own buffer (output() for `*out_len` bytes, valid until the next call).
  // Input after the end of the compressed stream is an error (a payload is exactly one stream). `too_large` is set
  // when the output cap was the reason for failing.
  bool Decompress(ZFormat format, const uint8_t* data, size_t len, size_t max_output, size_t* out_len,
                  std::string* error, bool* too_large);
  const uint8_t* output() const { return buf_.data(); }

 private:
  z_stream_s* s_;
  bool ok_ = false;
  std::vector<uint8_t> buf_;
};

}  // namespace codec
}  // namespace outrider
