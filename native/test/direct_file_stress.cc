// Stress test of the direct-I/O file's write-behind (built under
// OUTRIDER_STRESS, run under ThreadSanitizer by scripts/native-stress.sh):
// one thread appends numbered records while another flushes now and then and
// the file's writer thread writes behind; Close races the writer. Every
// flush must report a durable length that only grows, and reopening must
// read back exactly the records appended, in order. The appender also waits
// for the disk now and then (WriteDown), as the spool does.
//   direct_file_stress [records] [dir]
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "io/direct_file.h"

using outrider::io::DirectFile;
using outrider::io::DirectFileOptions;

namespace {

constexpr size_t kRecord = 3000;  // not a block multiple: tails are rewritten

void Fill(uint8_t* p, uint64_t n) {
  for (size_t i = 0; i < kRecord; i++) p[i] = static_cast<uint8_t>((n * 131 + i) & 0xff);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t records = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 20000;
  std::string dir = argc > 2 ? argv[2] : "/tmp";
  std::string path = dir + "/outrider-dio-stress-" + std::to_string(getpid());
  unlink(path.c_str());
  int err = 0;
  std::string what;
  DirectFileOptions options;
  options.write_behind_bytes = 64 * 1024;
  std::unique_ptr<DirectFile> f = DirectFile::Open(path, options, &err, &what);
  if (!f) {
    std::fprintf(stderr, "open: %s (%d)\n", what.c_str(), err);
    return 1;
  }
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::thread flusher([&] {
    uint64_t last = 0;
    while (!done.load(std::memory_order_acquire)) {
      uint64_t durable = 0;
      const char* syscall = "";
      int rc = f->Flush(&durable, &syscall);
      if (rc != 0 || durable < last) {
        std::fprintf(stderr, "flush: rc %d (%s), durable %llu after %llu\n", rc, syscall,
                     static_cast<unsigned long long>(durable), static_cast<unsigned long long>(last));
        failures++;
        return;
      }
      last = durable;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  std::vector<uint8_t> rec(kRecord);
  for (uint64_t n = 0; n < records; n++) {
    Fill(rec.data(), n);
    if (!f->Append(rec.data(), rec.size())) {
      std::fprintf(stderr, "append failed\n");
      failures++;
      break;
    }
    // Now and then wait for the disk as the spool does, racing the writer
    // thread and the flusher for the writes.
    if (n % 97 == 0) {
      uint64_t d = 0;
      const char* sc = "";
      if (f->WriteDown(256 * 1024, &d, &sc) != 0 || f->Length() - f->WrittenLength() > 256 * 1024) {
        std::fprintf(stderr, "write down: %s\n", sc);
        failures++;
        break;
      }
    }
  }
  done.store(true, std::memory_order_release);
  flusher.join();
  uint64_t durable = 0;
  const char* syscall = "";
  if (f->Flush(&durable, &syscall) != 0 || durable != records * kRecord) {
    std::fprintf(stderr, "final flush: durable %llu, want %llu\n", static_cast<unsigned long long>(durable),
                 static_cast<unsigned long long>(records * kRecord));
    failures++;
  }
  f->Close();
  f = DirectFile::Open(path, DirectFileOptions(), &err, &what);
  if (!f || f->DurableLength() != records * kRecord) {
    std::fprintf(stderr, "reopen: wrong length\n");
    failures++;
  } else {
    std::vector<uint8_t> got;
    std::vector<uint8_t> want(kRecord);
    if (f->Read(0, records * kRecord, &got, &syscall) != 0 || got.size() != records * kRecord) {
      std::fprintf(stderr, "read back failed\n");
      failures++;
    }
    for (uint64_t n = 0; failures == 0 && n < records; n++) {
      Fill(want.data(), n);
      if (std::memcmp(got.data() + n * kRecord, want.data(), kRecord) != 0) {
        std::fprintf(stderr, "record %llu differs\n", static_cast<unsigned long long>(n));
        failures++;
      }
    }
    f->Close();
  }
  // Close racing a writer thread that is still writing behind.
  for (int i = 0; i < 20; i++) {
    std::unique_ptr<DirectFile> g = DirectFile::Open(path + ".race", options, &err, &what);
    if (!g) break;
    for (int k = 0; k < 100; k++) g->Append(rec.data(), rec.size());
    g->Close();
    unlink((path + ".race").c_str());
  }
  unlink(path.c_str());
  std::printf("direct_file_stress: %llu records, %s\n", static_cast<unsigned long long>(records),
              failures == 0 ? "ok" : "FAILED");
  return failures == 0 ? 0 : 1;
}
