// Implementation of direct_file.h.
#include "io/direct_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "codec/crc32c.h"

namespace outrider {
namespace io {
namespace {

constexpr size_t kInitialStaging = 1u << 20;
// Largest written buffer kept for reuse (see WriteStaged).
constexpr uint64_t kMaxSpare = 16u << 20;

// Test-only fault injection, so the fallback below runs on machines whose
// filesystems all accept O_DIRECT. OUTRIDER_TEST_DIO_REFUSE_DIRECT=open makes
// open(O_DIRECT) fail with EINVAL; =write makes the first O_DIRECT write of
// each file fail with EINVAL (nothing written). Read once, when the addon is
// loaded; any other value (or unset) changes nothing. The reason text then
// names the variable, so a stray setting is visible on /healthz.
enum class Refuse { kNone, kOpen, kWrite };
constexpr const char* kRefuseEnv = "OUTRIDER_TEST_DIO_REFUSE_DIRECT";
Refuse ReadRefuse() {
  const char* v = std::getenv(kRefuseEnv);
  if (v == nullptr) return Refuse::kNone;
  if (std::strcmp(v, "open") == 0) return Refuse::kOpen;
  if (std::strcmp(v, "write") == 0) return Refuse::kWrite;
  return Refuse::kNone;
}
const Refuse kRefuse = ReadRefuse();
std::string Injected() { return std::string(" [injected by ") + kRefuseEnv + "]"; }

uint64_t RoundUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }
uint64_t RoundDown(uint64_t v, uint64_t a) { return v / a * a; }

bool ReadSmallFile(const std::string& path, uint64_t* value) {
  std::ifstream in(path);
  uint64_t v = 0;
  if (!(in >> v)) return false;
  *value = v;
  return true;
}

// Logical block size of the block device behind `fd` from sysfs (works for
// partitions through the parent's queue/). 0 when unknown (tmpfs, overlay).
uint32_t LogicalBlockSize(int fd, std::string* source) {
  struct stat st;
  if (fstat(fd, &st) != 0) return 0;
  std::string base = "/sys/dev/block/" + std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev));
  uint64_t v = 0;
  if (ReadSmallFile(base + "/queue/logical_block_size", &v) ||
      ReadSmallFile(base + "/../queue/logical_block_size", &v)) {
    if (v >= 512 && v <= 65536 && (v & (v - 1)) == 0) {
      *source = base;
      return static_cast<uint32_t>(v);
    }
  }
  return 0;
}

int PwriteAll(int fd, const uint8_t* p, size_t len, uint64_t off) {
  while (len > 0) {
    ssize_t n = pwrite(fd, p, len, static_cast<off_t>(off));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += n;
    len -= static_cast<size_t>(n);
    off += static_cast<uint64_t>(n);
  }
  return 0;
}

int PreadAll(int fd, uint8_t* p, size_t len, uint64_t off, size_t* got) {
  *got = 0;
  while (len > 0) {
    ssize_t n = pread(fd, p, len, static_cast<off_t>(off));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) break;
    p += n;
    len -= static_cast<size_t>(n);
    off += static_cast<uint64_t>(n);
    *got += static_cast<size_t>(n);
  }
  return 0;
}

}  // namespace

void PutTrailer(uint8_t* p, uint64_t length) {
  std::memcpy(p, &length, 8);
  uint32_t magic = kTrailerMagic;
  std::memcpy(p + 8, &magic, 4);
  uint32_t crc = codec::Crc32c(0, p, 12);
  std::memcpy(p + 12, &crc, 4);
}

bool ParseTrailer(const uint8_t* p, uint64_t* length) {
  uint32_t magic;
  uint32_t crc;
  std::memcpy(&magic, p + 8, 4);
  std::memcpy(&crc, p + 12, 4);
  if (magic != kTrailerMagic || crc != codec::Crc32c(0, p, 12)) return false;
  std::memcpy(length, p, 8);
  return true;
}


std::unique_ptr<DirectFile> DirectFile::Open(const std::string& path, const DirectFileOptions& options, int* err,
                                             std::string* what) {
  std::unique_ptr<DirectFile> f(new DirectFile());
  f->path_ = path;
  f->options_ = options;
  // Recovery reads the trailer with a plain buffered descriptor.
  sys::UniqueFd rfd_owner(open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644));
  int rfd = rfd_owner.get();
  if (rfd < 0) {
    *err = errno;
    *what = "open";
    return nullptr;
  }
  struct stat st;
  if (fstat(rfd, &st) != 0) {
    *err = errno;
    *what = "fstat";
    return nullptr;
  }
  if (!S_ISREG(st.st_mode)) {
    *err = EINVAL;
    *what = "not a regular file";
    return nullptr;
  }
  uint32_t bs = LogicalBlockSize(rfd, &f->block_source_);
  if (bs == 0) {
    bs = kDefaultBlockSize;
    f->block_source_ = "default (no block device behind the file)";
  }
  // Never write part of a filesystem block either: ext4 serialises and
  // zero-fills sub-block direct writes, which costs more than the bytes saved.
  if (st.st_blksize > bs && st.st_blksize <= 65536 && (st.st_blksize & (st.st_blksize - 1)) == 0) {
    f->block_source_ += ", raised to the filesystem block size " + std::to_string(st.st_blksize);
    bs = static_cast<uint32_t>(st.st_blksize);
  }
  f->block_size_ = bs;
  uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t length = 0;
  if (size != 0) {
    uint8_t trailer[kTrailerBytes];
    size_t got = 0;
    if (size < kTrailerBytes || PreadAll(rfd, trailer, kTrailerBytes, size - kTrailerBytes, &got) != 0 ||
        got != kTrailerBytes || !ParseTrailer(trailer, &length) || length > size - kTrailerBytes) {
      *err = EILSEQ;
      *what = "trailer missing or corrupt";
      return nullptr;
    }
  }
  f->durable_ = length;
  f->written_ = length;
  f->file_end_ = size;
  f->staging_off_ = RoundDown(length, bs);
  f->staged_len_ = length - f->staging_off_;
  if (!f->staging_.Reset(4096, kInitialStaging)) {
    *err = ENOMEM;
    *what = "staging buffer";
    return nullptr;
  }
  if (f->staged_len_ != 0) {
    size_t got = 0;
    int rc = PreadAll(rfd, f->staging_.data(), f->staged_len_, f->staging_off_, &got);
    if (rc != 0 || got != f->staged_len_) {
      *err = rc != 0 ? rc : EILSEQ;
      *what = "read tail block";
      return nullptr;
    }
  }
  rfd_owner.Reset();
  int rc = f->Reopen(options.try_direct);
  if (rc != 0) {
    *err = rc;
    *what = "open";
    return nullptr;
  }
  return f;
}

int DirectFile::Reopen(bool direct) {
  int flags = O_RDWR | O_CLOEXEC | (options_.dsync ? O_DSYNC : 0);
  int fd = -1;
  std::string reason;
  if (direct) {
    if (kRefuse == Refuse::kOpen) {
      errno = EINVAL;
    } else {
      fd = open(path_.c_str(), flags | O_DIRECT);
    }
    if (fd < 0 && errno != EINVAL) return errno;
    if (fd < 0) {
      reason = "the filesystem refused O_DIRECT (open: EINVAL); buffered writes + fdatasync";
      if (kRefuse == Refuse::kOpen) reason += Injected();
    }
  } else {
    reason = "direct I/O disabled by option; buffered writes + fdatasync";
  }
  if (fd < 0) {
    fd = open(path_.c_str(), flags);
    if (fd < 0) return errno;
  }
  std::lock_guard<std::mutex> lock(mu_);
  fd_.Reset(fd);
  direct_ = reason.empty();
  reason_ = direct_ ? "O_DIRECT, block size " + std::to_string(block_size_) + " (" + block_source_ + ")" +
                          (options_.dsync ? ", O_DSYNC" : ", fdatasync")
                    : reason;
  return 0;
}

DirectFile::~DirectFile() { Close(); }

void DirectFile::StopWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    writer_stop_ = true;
  }
  writer_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

void DirectFile::Close() {
  StopWriter();
  std::lock_guard<std::mutex> flush_lock(flush_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  fd_.Reset();
}

bool DirectFile::direct_io() const {
  std::lock_guard<std::mutex> lock(mu_);
  return direct_;
}

std::string DirectFile::reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reason_;
}

uint64_t DirectFile::Length() const {
  std::lock_guard<std::mutex> lock(mu_);
  return staging_off_ + staged_len_;
}

uint64_t DirectFile::DurableLength() const {
  std::lock_guard<std::mutex> lock(mu_);
  return durable_;
}

uint64_t DirectFile::WrittenLength() const {
  std::lock_guard<std::mutex> lock(mu_);
  return written_;
}

uint64_t DirectFile::StagedBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return staging_off_ + staged_len_ - durable_;
}

bool DirectFile::WriteBehindDue() const {
  return options_.write_behind_bytes != 0 && error_ == 0 && fd_.get() >= 0 &&
         staging_off_ + staged_len_ - written_ >= options_.write_behind_bytes;
}

bool DirectFile::Append(const uint8_t* data, size_t len) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Room for the data plus the padding and trailer a flush adds.
    size_t need = RoundUp(staged_len_ + len + kTrailerBytes, block_size_);
    if (!staging_.Grow(need, staged_len_)) return false;
    if (len != 0) std::memcpy(staging_.data() + staged_len_, data, len);
    staged_len_ += len;
    if (WriteBehindDue() && !writer_stop_) {
      // The thread is started here, under mu_, so Close (which sets
      // writer_stop_ under mu_ before joining) never misses it.
      if (!writer_.joinable()) writer_ = std::thread([this] { WriterLoop(); });
      wake = true;
    }
  }
  if (wake) writer_cv_.notify_one();
  return true;
}

void DirectFile::WriterLoop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      writer_cv_.wait(lock, [this] { return writer_stop_ || WriteBehindDue(); });
      if (writer_stop_) return;
    }
    uint64_t durable = 0;
    const char* syscall = "pwrite";
    // A failure is kept in error_ and reported by the next Flush.
    WriteStaged(false, &durable, &syscall);
  }
}

int DirectFile::Flush(uint64_t* durable, const char** syscall) { return WriteStaged(true, durable, syscall); }

int DirectFile::WriteStaged(bool sync, uint64_t* durable, const char** syscall) {
  std::lock_guard<std::mutex> flush_lock(flush_mu_);
  AlignedBuffer out;
  uint64_t out_off;
  uint64_t out_len;
  int fd;
  bool direct;
  bool write;
  {
    // Take the staged bytes; appends made while we write go to the spare
    // buffer, which starts with a copy of the partial tail block.
    std::lock_guard<std::mutex> lock(mu_);
    if (error_ != 0) {
      *syscall = error_syscall_;
      return error_;
    }
    if (fd_.get() < 0) {
      *syscall = "flush";
      return EBADF;
    }
    uint64_t logical = staging_off_ + staged_len_;
    // An empty file still gets its first trailer.
    write = logical != written_ || file_end_ == 0;
    if (!write && (!sync || durable_ == written_)) {
      *durable = durable_;
      return 0;
    }
    out_off = staging_off_;
    out_len = staged_len_;
    fd = fd_.get();
    direct = direct_;
    if (write) {
      uint64_t keep_from = RoundDown(out_len, block_size_);
      // The same capacity as the buffer being written: a steady append rate
      // neither regrows the staging buffer nor faults in fresh pages.
      size_t next_size = std::max<size_t>(staging_.size(), RoundUp(out_len - keep_from + kTrailerBytes, block_size_));
      AlignedBuffer next = std::move(spare_);
      if (next.size() < next_size && !next.Reset(4096, next_size)) {
        *syscall = "malloc";
        return ENOMEM;
      }
      std::memcpy(next.data(), staging_.data() + keep_from, out_len - keep_from);
      out = std::move(staging_);
      staging_ = std::move(next);
      staging_off_ += keep_from;
      staged_len_ -= keep_from;
    }
  }
  int rc = 0;
  const char* failed = "pwrite";
  size_t write_len = 0;
  if (write) {
    // Up to the file's current end at least: a trailer left beyond the new
    // one would win at the next open and hide this write.
    uint64_t to_end = file_end_ > out_off ? file_end_ - out_off : 0;
    write_len = RoundUp(std::max<uint64_t>(out_len + kTrailerBytes, to_end), block_size_);
    // Append() kept room for the usual case; a larger old file needs more.
    if (!out.Grow(write_len, out_len)) {
      rc = ENOMEM;
      failed = "malloc";
    }
    if (rc == 0) {
      // Zero the padding and stamp the trailer.
      std::memset(out.data() + out_len, 0, write_len - out_len);
      PutTrailer(out.data() + write_len - kTrailerBytes, out_off + out_len);
      rc = direct && kRefuse == Refuse::kWrite ? EINVAL : PwriteAll(fd, out.data(), write_len, out_off);
    }
    if (rc == EINVAL && direct) {
      // Some filesystems accept O_DIRECT at open and refuse the write.
      rc = Reopen(false);
      if (rc != 0) {
        failed = "open";
      } else {
        {
          std::lock_guard<std::mutex> lock(mu_);
          reason_ = "the filesystem refused an O_DIRECT write (EINVAL); buffered writes + fdatasync";
          if (kRefuse == Refuse::kWrite) reason_ += Injected();
          fd = fd_.get();
        }
        rc = PwriteAll(fd, out.data(), write_len, out_off);
      }
    }
  }
  if (rc == 0 && sync && !options_.dsync && fdatasync(fd) != 0) {
    rc = errno;
    failed = "fdatasync";
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (rc != 0) {
    error_ = rc;
    error_syscall_ = failed;
    *syscall = failed;
    return rc;
  }
  if (write) {
    file_end_ = std::max<uint64_t>(file_end_, out_off + write_len);
    written_ = out_off + out_len;
    // Keep the written buffer for the next swap unless it grew unusually
    // large (one big burst between flushes without write-behind).
    if (out.size() <= std::max<uint64_t>(kMaxSpare, 2 * options_.write_behind_bytes)) spare_ = std::move(out);
  }
  if (sync || options_.dsync) durable_ = written_;
  *durable = durable_;
  return 0;
}

int DirectFile::Read(uint64_t offset, uint64_t len, std::vector<uint8_t>* out, const char** syscall) {
  int fd;
  uint64_t durable;
  {
    std::lock_guard<std::mutex> lock(mu_);
    fd = fd_.get();
    durable = durable_;
  }
  out->clear();
  if (fd < 0) {
    *syscall = "read";
    return EBADF;
  }
  if (offset >= durable || len == 0) return 0;
  uint64_t end = std::min(durable, offset + len);
  uint64_t a_start = RoundDown(offset, block_size_);
  uint64_t a_end = RoundUp(end, block_size_);
  AlignedBuffer buf;
  if (!buf.Reset(4096, a_end - a_start)) {
    *syscall = "malloc";
    return ENOMEM;
  }
  size_t got = 0;
  int rc = PreadAll(fd, buf.data(), a_end - a_start, a_start, &got);
  if (rc != 0) {
    *syscall = "pread";
    return rc;
  }
  if (got < end - a_start) {
    *syscall = "pread";
    return EIO;
  }
  out->assign(buf.data() + (offset - a_start), buf.data() + (end - a_start));
  return 0;
}

}  // namespace io
}  // namespace outrider
