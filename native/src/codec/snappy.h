// Snappy block format (the framing-less format Prometheus remote write uses
// for its request bodies): a varint of the uncompressed length, then literal
// and copy elements. The compressor is deterministic and mirrored byte for
// byte by the TS twin (agent/native/snappy.ts): 64 KiB blocks, a 2^14-entry
// hash table of the 4-byte word at each position (hash = word * 0x1E35A7BD
// >> 18), greedy matches of at least 4 bytes, copy-1 elements for lengths
// 4..11 at offsets < 2048, copy-2 otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace outrider {
namespace codec {

void SnappyCompress(const uint8_t* data, size_t len, std::vector<uint8_t>* out);

// Refuses inputs declaring more than `max_output` bytes.
bool SnappyUncompress(const uint8_t* data, size_t len, size_t max_output, std::vector<uint8_t>* out,
                      std::string* error);

}  // namespace codec
}  // namespace outrider
