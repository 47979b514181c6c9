// libFuzzer target: the native ring consumer reading a ring whose bytes it
// does not control. The ring lives in a SharedArrayBuffer that any JS code
// holding it can write, so Consumer::Drain must stay inside the data area
// whatever the record lengths and counters say: it stops and reports
// corrupt() instead. Input: u32 read counter, u32 write counter, u8 capacity
// exponent (6..12), then the data area (zero-filled if short). The ring is
// allocated to its exact size so ASan catches any read past it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "ring/spsc_ring.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ring = outrider::ring;
  if (size < 9) return 0;
  uint32_t read;
  uint32_t write;
  std::memcpy(&read, data, 4);
  std::memcpy(&write, data + 4, 4);
  uint32_t capacity = 1u << (6 + data[8] % 7);
  data += 9;
  size -= 9;
  size_t total = ring::kHeaderBytes + capacity;
  std::unique_ptr<uint8_t[]> mem(new uint8_t[total]);
  ring::Initialise(mem.get(), capacity);
  std::memset(mem.get() + ring::kHeaderBytes, 0, capacity);
  std::memcpy(mem.get() + ring::kHeaderBytes, data, size < capacity ? size : capacity);
  ring::StoreRelease(mem.get(), ring::kOffRead, read);
  ring::StoreRelease(mem.get(), ring::kOffWrite, write);
  ring::Consumer consumer(mem.get());
  uint32_t sum = 0;
  uint64_t bytes = 0;
  for (int round = 0; round < 4; ++round) {
    uint32_t n = consumer.Drain(
        [&](const uint8_t* p, uint32_t len) {
          for (uint32_t i = 0; i < len; ++i) sum += p[i];  // touch every byte
          bytes += len;
        },
        UINT32_MAX);
    if (n == 0) break;
  }
  // What was consumed never exceeds what was published.
  if (bytes > capacity) std::abort();
  if (sum == 0xFFFFFFFFu) std::fprintf(stderr, " ");  // keep `sum` alive
  return 0;
}
