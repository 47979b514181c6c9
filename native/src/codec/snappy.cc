// Implementation of snappy.h.
#include "codec/snappy.h"

#include <cstring>

namespace outrider {
namespace codec {
namespace {

constexpr size_t kBlockSize = 1u << 16;
constexpr int kHashBits = 14;
constexpr size_t kMaxLen = 0xFFFFFFFFu;

inline uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline uint32_t Hash(uint32_t v) { return (v * 0x1E35A7BDu) >> (32 - kHashBits); }

void PutVarint(std::vector<uint8_t>* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<uint8_t>(v));
}

void EmitLiteral(std::vector<uint8_t>* out, const uint8_t* p, size_t len) {
  size_t n = len - 1;
  if (n < 60) {
    out->push_back(static_cast<uint8_t>(n << 2));
  } else {
    int bytes = n < (1u << 8) ? 1 : n < (1u << 16) ? 2 : n < (1u << 24) ? 3 : 4;
    out->push_back(static_cast<uint8_t>((59 + bytes) << 2));
    for (int i = 0; i < bytes; ++i) out->push_back(static_cast<uint8_t>(n >> (8 * i)));
  }
  out->insert(out->end(), p, p + len);
}

void EmitCopyUpTo64(std::vector<uint8_t>* out, size_t offset, size_t len) {
  if (len >= 4 && len <= 11 && offset < 2048) {
    out->push_back(static_cast<uint8_t>(1 | ((len - 4) << 2) | ((offset >> 8) << 5)));
    out->push_back(static_cast<uint8_t>(offset & 0xFF));
  } else {
    out->push_back(static_cast<uint8_t>(2 | ((len - 1) << 2)));
    out->push_back(static_cast<uint8_t>(offset & 0xFF));
    out->push_back(static_cast<uint8_t>(offset >> 8));
  }
}

void EmitCopy(std::vector<uint8_t>* out, size_t offset, size_t len) {
  // Keep every piece >= 4 bytes so copy-1 stays usable for the tail.
  while (len >= 68) {
    EmitCopyUpTo64(out, offset, 64);
    len -= 64;
  }
  if (len > 64) {
    EmitCopyUpTo64(out, offset, 60);
    len -= 60;
  }
  EmitCopyUpTo64(out, offset, len);
}

void CompressBlock(const uint8_t* block, size_t len, std::vector<uint8_t>* out, uint16_t* table) {
  std::memset(table, 0, sizeof(uint16_t) << kHashBits);
  size_t lit = 0;
  size_t i = 0;
  uint32_t skip = 32;
  while (i + 4 <= len) {
    uint32_t word = Load32(block + i);
    uint32_t h = Hash(word);
    size_t cand = table[h];
    table[h] = static_cast<uint16_t>(i);
    if (cand < i && Load32(block + cand) == word) {
      if (i > lit) EmitLiteral(out, block + lit, i - lit);
      size_t m = 4;
      while (i + m < len && block[cand + m] == block[i + m]) ++m;
      EmitCopy(out, i - cand, m);
      i += m;
      lit = i;
      skip = 32;
    } else {
      i += skip >> 5;
      ++skip;
    }
  }
  if (len > lit) EmitLiteral(out, block + lit, len - lit);
}

}  // namespace

void SnappyCompress(const uint8_t* data, size_t len, std::vector<uint8_t>* out) {
  out->clear();
  out->reserve(32 + len + len / 6);
  PutVarint(out, len);
  std::vector<uint16_t> table(size_t{1} << kHashBits);
  for (size_t pos = 0; pos < len; pos += kBlockSize) {
    size_t n = len - pos < kBlockSize ? len - pos : kBlockSize;
    CompressBlock(data + pos, n, out, table.data());
  }
}

bool SnappyUncompress(const uint8_t* data, size_t len, size_t max_output, std::vector<uint8_t>* out,
                      std::string* error) {
  size_t i = 0;
  uint64_t expect = 0;
  for (int shift = 0;; shift += 7) {
    if (i >= len || shift > 28) {
      *error = "bad length preamble";
      return false;
    }
    uint8_t b = data[i++];
    expect |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) break;
  }
  if (expect > max_output || expect > kMaxLen) {
    *error = "declared length exceeds the limit";
    return false;
  }
  out->resize(static_cast<size_t>(expect));
  uint8_t* dst = out->data();
  size_t o = 0;
  while (i < len) {
    uint8_t tag = data[i++];
    size_t n = 0;
    size_t offset = 0;
    switch (tag & 3) {
      case 0: {
        n = tag >> 2;
        if (n >= 60) {
          size_t bytes = n - 59;
          if (i + bytes > len) {
            *error = "truncated literal length";
            return false;
          }
          n = 0;
          for (size_t k = 0; k < bytes; ++k) n |= static_cast<size_t>(data[i + k]) << (8 * k);
          i += bytes;
        }
        n += 1;
        if (n > len - i || n > expect - o) {
          *error = "literal out of bounds";
          return false;
        }
        std::memcpy(dst + o, data + i, n);
        i += n;
        o += n;
        continue;
      }
      case 1:
        if (i + 1 > len) {
          *error = "truncated copy";
          return false;
        }
        n = 4 + ((tag >> 2) & 7);
        offset = (static_cast<size_t>(tag >> 5) << 8) | data[i];
        i += 1;
        break;
      case 2:
        if (i + 2 > len) {
          *error = "truncated copy";
          return false;
        }
        n = 1 + (tag >> 2);
        offset = data[i] | (static_cast<size_t>(data[i + 1]) << 8);
        i += 2;
        break;
      default:
        if (i + 4 > len) {
          *error = "truncated copy";
          return false;
        }
        n = 1 + (tag >> 2);
        offset = Load32(data + i);
        i += 4;
        break;
    }
    if (offset == 0 || offset > o || n > expect - o) {
      *error = "copy out of bounds";
      return false;
    }
    // Byte by byte: source and destination may overlap (run-length copies).
    for (size_t k = 0; k < n; ++k) dst[o + k] = dst[o - offset + k];
    o += n;
  }
  if (o != expect) {
    *error = "length mismatch";
    return false;
  }
  return true;
}

}  // namespace codec
}  // namespace outrider
