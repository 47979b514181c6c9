// CRC-32C with the SSE4.2 crc32 instruction when the CPU has it (chosen once,
// at first use) and a slicing-by-8 table otherwise.
#include "codec/crc32c.h"

#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define OUTRIDER_CRC_X86 1
#endif

namespace outrider {
namespace codec {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;

struct Tables {
  uint32_t t[8][256];
  Tables() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    }
  }
};

const Tables& GetTables() {
  static const Tables tables;
  return tables;
}

#if OUTRIDER_CRC_X86
// The crc32 instruction has a latency of 3 cycles and a throughput of one
// per cycle, so one dependency chain runs at a third of its speed. Long
// inputs are cut into three adjacent streams computed together and joined
// with "append N zero bytes" operators (the method of Mark Adler's crc32c.c):
// crc(A || B) = Shift_|B|(crc(A)) ^ crc_0(B), by linearity.
constexpr size_t kLongStream = 8192;   // 3 x 8 KiB per round
constexpr size_t kShortStream = 256;   // 3 x 256 B per round

uint32_t Gf2MatrixTimes(const uint32_t* mat, uint32_t vec) {
  uint32_t sum = 0;
  while (vec != 0) {
    if ((vec & 1) != 0) sum ^= *mat;
    vec >>= 1;
    ++mat;
  }
  return sum;
}

void Gf2MatrixSquare(uint32_t* square, const uint32_t* mat) {
  for (int n = 0; n < 32; ++n) square[n] = Gf2MatrixTimes(mat, mat[n]);
}

// Operator that appends `len` zero bytes (len a power of two) to a CRC.
void ZerosOperator(uint32_t* even, size_t len) {
  uint32_t odd[32];
  odd[0] = kPoly;  // one zero bit
  uint32_t row = 1;
  for (int n = 1; n < 32; ++n) {
    odd[n] = row;
    row <<= 1;
  }
  Gf2MatrixSquare(even, odd);  // two zero bits
  Gf2MatrixSquare(odd, even);  // four zero bits
  // Each square doubles: the first gives one zero byte in even.
  for (;;) {
    Gf2MatrixSquare(even, odd);
    len >>= 1;
    if (len == 0) return;
    Gf2MatrixSquare(odd, even);
    len >>= 1;
    if (len == 0) break;
  }
  for (int n = 0; n < 32; ++n) even[n] = odd[n];
}

struct ShiftTable {
  uint32_t t[4][256];
  explicit ShiftTable(size_t len) {
    uint32_t op[32];
    ZerosOperator(op, len);
    for (uint32_t n = 0; n < 256; ++n) {
      t[0][n] = Gf2MatrixTimes(op, n);
      t[1][n] = Gf2MatrixTimes(op, n << 8);
      t[2][n] = Gf2MatrixTimes(op, n << 16);
      t[3][n] = Gf2MatrixTimes(op, n << 24);
    }
  }
  uint32_t Shift(uint32_t crc) const {
    return t[0][crc & 0xFF] ^ t[1][(crc >> 8) & 0xFF] ^ t[2][(crc >> 16) & 0xFF] ^ t[3][crc >> 24];
  }
};

const ShiftTable& LongShift() {
  static const ShiftTable table(kLongStream);
  return table;
}
const ShiftTable& ShortShift() {
  static const ShiftTable table(kShortStream);
  return table;
}

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

__attribute__((target("sse4.2"))) uint64_t ThreeStreams(uint64_t c0, const uint8_t** pp, size_t* lenp, size_t stream,
                                                        const ShiftTable& shift) {
  const uint8_t* p = *pp;
  size_t len = *lenp;
  while (len >= 3 * stream) {
    uint64_t c1 = 0;
    uint64_t c2 = 0;
    const uint8_t* end = p + stream;
    do {
      c0 = _mm_crc32_u64(c0, Load64(p));
      c1 = _mm_crc32_u64(c1, Load64(p + stream));
      c2 = _mm_crc32_u64(c2, Load64(p + 2 * stream));
      p += 8;
    } while (p < end);
    c0 = shift.Shift(static_cast<uint32_t>(c0)) ^ c1;
    c0 = shift.Shift(static_cast<uint32_t>(c0)) ^ c2;
    p += 2 * stream;
    len -= 3 * stream;
  }
  *pp = p;
  *lenp = len;
  return c0;
}

__attribute__((target("sse4.2"))) uint32_t Crc32cSse42(uint32_t crc, const uint8_t* p, size_t len) {
  uint64_t c = ~crc;
  while (len > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    c = _mm_crc32_u8(static_cast<uint32_t>(c), *p++);
    --len;
  }
  if (len >= 3 * kShortStream) {
    c = ThreeStreams(c, &p, &len, kLongStream, LongShift());
    c = ThreeStreams(c, &p, &len, kShortStream, ShortShift());
  }
  while (len >= 8) {
    c = _mm_crc32_u64(c, Load64(p));
    p += 8;
    len -= 8;
  }
  while (len > 0) {
    c = _mm_crc32_u8(static_cast<uint32_t>(c), *p++);
    --len;
  }
  return ~static_cast<uint32_t>(c);
}

bool DetectSse42() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}
#endif

}  // namespace

uint32_t Crc32cTable(uint32_t crc, const void* data, size_t len) {
  const Tables& tb = GetTables();
  const uint8_t* p = static_cast<const uint8_t*>(data);
  uint32_t c = ~crc;
  while (len >= 8) {
    uint32_t lo;
    uint32_t hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;  // little-endian hosts only; the addon builds for x86-64 and arm64 Linux
    c = tb.t[7][lo & 0xFF] ^ tb.t[6][(lo >> 8) & 0xFF] ^ tb.t[5][(lo >> 16) & 0xFF] ^ tb.t[4][lo >> 24] ^
        tb.t[3][hi & 0xFF] ^ tb.t[2][(hi >> 8) & 0xFF] ^ tb.t[1][(hi >> 16) & 0xFF] ^ tb.t[0][hi >> 24];
    p += 8;
    len -= 8;
  }
  while (len-- > 0) c = (c >> 8) ^ tb.t[0][(c ^ *p++) & 0xFF];
  return ~c;
}

bool Crc32cHardware() {
#if OUTRIDER_CRC_X86
  static const bool has = DetectSse42();
  return has;
#else
  return false;
#endif
}

uint32_t Crc32c(uint32_t crc, const void* data, size_t len) {
#if OUTRIDER_CRC_X86
  if (Crc32cHardware()) return Crc32cSse42(crc, static_cast<const uint8_t*>(data), len);
#endif
  return Crc32cTable(crc, data, len);
}

}  // namespace codec
}  // namespace outrider
