// libFuzzer target: the direct-I/O append file's recovery of a file read
// from disk (io/direct_file.h). The input is the whole file: Open() must
// either refuse it (corrupt trailer) or recover a length it can read back,
// and appending after recovery must extend it by exactly what was appended
// and stay readable by a second Open(). Also cross-checks the trailer
// parser against a reference written from the documented layout.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "codec/crc32c.h"
#include "io/direct_file.h"

namespace {

std::string FilePath() {
  static std::string path = [] {
    const char* dir = std::getenv("FUZZ_DIO_DIR");
    std::string p = std::string(dir != nullptr ? dir : "/tmp") + "/outrider-fuzz-dio-" + std::to_string(getpid());
    return p;
  }();
  return path;
}

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_dio: invariant failed: %s\n", what);
    std::abort();
  }
}

// The documented trailer layout, independently of direct_file.cc.
bool ReferenceTrailer(const uint8_t* p, uint64_t* length) {
  uint32_t magic = static_cast<uint32_t>(p[8]) | static_cast<uint32_t>(p[9]) << 8 |
                   static_cast<uint32_t>(p[10]) << 16 | static_cast<uint32_t>(p[11]) << 24;
  uint32_t crc = static_cast<uint32_t>(p[12]) | static_cast<uint32_t>(p[13]) << 8 |
                 static_cast<uint32_t>(p[14]) << 16 | static_cast<uint32_t>(p[15]) << 24;
  if (magic != outrider::io::kTrailerMagic || crc != outrider::codec::Crc32cTable(0, p, 12)) return false;
  uint64_t l = 0;
  for (int i = 7; i >= 0; --i) l = l << 8 | p[i];
  *length = l;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using outrider::io::DirectFile;
  using outrider::io::kTrailerBytes;
  if (size > (1u << 20)) return 0;
  if (size >= kTrailerBytes) {
    uint64_t a = 0;
    uint64_t b = 0;
    Check(outrider::io::ParseTrailer(data + size - kTrailerBytes, &a) ==
              ReferenceTrailer(data + size - kTrailerBytes, &b),
          "ParseTrailer disagrees with the documented layout");
    Check(a == b, "ParseTrailer length differs");
  }
  const std::string path = FilePath();
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) std::abort();
  Check(write(fd, data, size) == static_cast<ssize_t>(size), "write input");
  close(fd);

  outrider::io::DirectFileOptions options;
  options.try_direct = false;  // the parser is the target, not the page cache
  int err = 0;
  std::string what;
  std::unique_ptr<DirectFile> f = DirectFile::Open(path, options, &err, &what);
  if (!f) {
    unlink(path.c_str());
    return 0;
  }
  uint64_t durable = f->DurableLength();
  Check(size == 0 ? durable == 0 : durable + kTrailerBytes <= size, "recovered length beyond the file");
  std::vector<uint8_t> out;
  const char* syscall = nullptr;
  Check(f->Read(0, durable + 100, &out, &syscall) == 0, "read recovered data");
  Check(out.size() == durable && (durable == 0 || std::memcmp(out.data(), data, durable) == 0),
        "recovered bytes differ from the file");
  const uint8_t extra[5] = {1, 2, 3, 4, 5};
  Check(f->Append(extra, sizeof extra), "append");
  uint64_t flushed = 0;
  Check(f->Flush(&flushed, &syscall) == 0, "flush");
  Check(flushed == durable + sizeof extra, "flush length");
  f.reset();
  f = DirectFile::Open(path, options, &err, &what);
  Check(f != nullptr, "reopen after flush");
  Check(f->DurableLength() == durable + sizeof extra, "reopened length");
  Check(f->Read(0, durable + sizeof extra, &out, &syscall) == 0, "read after reopen");
  Check(out.size() == durable + sizeof extra && (durable == 0 || std::memcmp(out.data(), data, durable) == 0) &&
            std::memcmp(out.data() + durable, extra, sizeof extra) == 0,
        "data after reopen");
  f.reset();
  unlink(path.c_str());
  return 0;
}
