// Stress test of the SPSC ring with two native threads (built under
// OUTRIDER_STRESS, run under ThreadSanitizer by scripts/native-stress.sh).
// A small ring forces constant wrap-around and full/empty transitions; both
// sides sleep in futex(2) rather than spin. Every record is checked byte for
// byte.
//   ring_stress [records] [capacity]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "ring/spsc_ring.h"

using outrider::ring::Consumer;
using outrider::ring::Producer;
using outrider::ring::WaitResult;

namespace {

uint32_t LengthOf(uint32_t i, uint32_t max_len) { return (i * 2654435761u >> 7) % (max_len + 1); }

void Fill(uint32_t i, uint8_t* p, uint32_t len) {
  for (uint32_t j = 0; j < len; ++j) p[j] = static_cast<uint8_t>(i * 31u + j);
}

}  // namespace

int main(int argc, char** argv) {
  const uint32_t count = argc > 1 ? static_cast<uint32_t>(std::strtoul(argv[1], nullptr, 10)) : 2000000;
  const uint32_t capacity = argc > 2 ? static_cast<uint32_t>(std::strtoul(argv[2], nullptr, 10)) : 256;
  if (!outrider::ring::IsValidCapacity(capacity)) {
    std::fprintf(stderr, "bad capacity\n");
    return 2;
  }
  const uint32_t max_len = outrider::ring::MaxRecordLength(capacity);
  std::unique_ptr<uint8_t[]> mem(new uint8_t[outrider::ring::kHeaderBytes + capacity + 64]);
  uint8_t* base = mem.get();
  outrider::ring::Initialise(base, capacity);

  std::thread producer_thread([&]() {
    Producer producer(base);
    std::vector<uint8_t> rec(max_len);
    uint32_t i = 0;
    uint32_t staged = 0;
    while (i < count) {
      uint32_t len = LengthOf(i, max_len);
      Fill(i, rec.data(), len);
      if (producer.TryStage(rec.data(), len)) {
        ++i;
        // Vary the batch size to exercise both paths.
        if (++staged < (i % 5) && i < count) continue;
      }
      if (staged != 0) {
        producer.Publish();
        staged = 0;
        continue;
      }
      if (producer.WaitForSpace(len, 1000) == WaitResult::kTimedOut) {
        std::fprintf(stderr, "producer starved at %u\n", i);
        std::exit(1);
      }
    }
    producer.Close();
  });

  Consumer consumer(base);
  uint32_t next = 0;
  std::vector<uint8_t> expect(max_len);
  bool bad = false;
  while (next < count && !bad) {
    uint32_t n = consumer.Drain(
        [&](const uint8_t* p, uint32_t len) {
          uint32_t want = LengthOf(next, max_len);
          Fill(next, expect.data(), want);
          if (len != want || std::memcmp(p, expect.data(), len) != 0) bad = true;
          ++next;
        },
        64);
    if (consumer.corrupt()) bad = true;
    if (n == 0 && consumer.WaitForData(1000) == WaitResult::kTimedOut) {
      std::fprintf(stderr, "consumer starved at %u\n", next);
      return 1;
    }
  }
  producer_thread.join();
  if (bad) {
    std::fprintf(stderr, "ring_stress: record %u corrupt\n", next - 1);
    return 1;
  }
  std::printf("ring_stress: %u records through a %u-byte ring, all intact\n", count, capacity);
  return 0;
}
