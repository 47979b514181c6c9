// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI,
// ext4, Kafka and the spool's record checksums. Crc32c(0, "123456789") is
// 0xE3069283.
#pragma once

#include <cstddef>
#include <cstdint>

namespace outrider {
namespace codec {

// Continues a CRC: pass the previous result as `crc` (0 to start).
uint32_t Crc32c(uint32_t crc, const void* data, size_t len);

// Table-driven implementation, used where SSE4.2 is missing; exposed so tests
// can check it against the hardware path.
uint32_t Crc32cTable(uint32_t crc, const void* data, size_t len);

// True when Crc32c uses the SSE4.2 crc32 instruction on this CPU.
bool Crc32cHardware();

}  // namespace codec
}  // namespace outrider
