// native -> native ring throughput outside Node, for profiling (callgrind
// counts instructions where perf has no counters) and for comparing build
// options such as -DOUTRIDER_RING_SPIN_NS=0. Same loop as the addon's
// ringBenchNative. Not built by CMake; see bench/README.md for the command.
//   ring_profile [capacity] [records] [batch] [record length]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <thread>
#include <vector>

#include "ring/spsc_ring.h"

namespace {

using outrider::ring::Consumer;
using outrider::ring::Producer;

double ThreadCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

__attribute__((noinline)) void ProduceAll(uint8_t* base, uint32_t count, uint32_t record_len, uint32_t batch) {
  Producer producer(base);
  std::vector<uint8_t> rec(record_len, 0xAB);
  uint32_t i = 0;
  uint32_t staged = 0;
  while (i < count) {
    if (record_len >= 4) std::memcpy(rec.data(), &i, 4);
    if (producer.TryStage(rec.data(), record_len)) {
      ++i;
      if (++staged < batch && i < count) continue;
    }
    if (staged != 0) {
      producer.Publish();
      staged = 0;
      continue;
    }
    producer.WaitForSpace(record_len, 100);
  }
  producer.Close();
}

__attribute__((noinline)) uint32_t ConsumeAll(uint8_t* base, uint32_t count) {
  Consumer consumer(base);
  uint64_t records = 0;
  uint32_t sum = 0;
  while (records < count) {
    uint32_t n = consumer.Drain(
        [&](const uint8_t* p, uint32_t len) {
          uint32_t v = 0;
          if (len >= 4) std::memcpy(&v, p, 4);
          sum += v;
        },
        UINT32_MAX);
    records += n;
    if (consumer.corrupt()) std::abort();
    if (n == 0) consumer.WaitForData(100);
  }
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t capacity = argc > 1 ? static_cast<uint32_t>(std::atoi(argv[1])) : 1u << 20;
  uint32_t count = argc > 2 ? static_cast<uint32_t>(std::atoi(argv[2])) : 20000000u;
  uint32_t batch = argc > 3 ? static_cast<uint32_t>(std::atoi(argv[3])) : 64u;
  uint32_t len = argc > 4 ? static_cast<uint32_t>(std::atoi(argv[4])) : 64u;
  if (!outrider::ring::IsValidCapacity(capacity) || len > outrider::ring::MaxRecordLength(capacity)) return 2;
  std::unique_ptr<uint8_t[]> mem(new (std::align_val_t(64)) uint8_t[outrider::ring::kHeaderBytes + capacity]);
  outrider::ring::Initialise(mem.get(), capacity);
  auto t0 = std::chrono::steady_clock::now();
  double producer_cpu = 0;
  std::thread producer([&] {
    double c0 = ThreadCpuNs();
    ProduceAll(mem.get(), count, len, batch);
    producer_cpu = ThreadCpuNs() - c0;
  });
  double c0 = ThreadCpuNs();
  uint32_t sum = ConsumeAll(mem.get(), count);
  double consumer_cpu = ThreadCpuNs() - c0;
  producer.join();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%u KiB ring, batch %u, %u-byte records: %.1f M records/s; CPU per record: producer %.1f ns, consumer %.1f ns (sum %u)\n",
              capacity >> 10, batch, len, count / s / 1e6, producer_cpu / count, consumer_cpu / count, sum);
  return 0;
}
