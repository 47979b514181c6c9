// gzip / zlib-format deflate and inflate through the system zlib.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace outrider {
namespace codec {

enum class ZFormat { kGzip, kZlib };

// Compresses `data` at `level` (0-9, -1 default). Returns false with `error`.
bool ZCompress(ZFormat format, const uint8_t* data, size_t len, int level, std::vector<uint8_t>* out,
               std::string* error);

// Decompresses; refuses to produce more than `max_output` bytes (zip bombs).
bool ZDecompress(ZFormat format, const uint8_t* data, size_t len, size_t max_output, std::vector<uint8_t>* out,
                 std::string* error);

}  // namespace codec
}  // namespace outrider
