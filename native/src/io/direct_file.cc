// Implementation of direct_file.h.
#include "io/direct_file.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "codec/crc32c.h"

namespace outrider {
namespace io {
namespace {

uint64_t NowNs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

// The process's totals (DirectIoTotals); relaxed: they are only summed.
struct Totals {
  std::atomic<uint64_t> writes{0};
  std::atomic<uint64_t> write_bytes{0};
  std::atomic<uint64_t> write_ns{0};
  std::atomic<uint64_t> syncs{0};
  std::atomic<uint64_t> sync_ns{0};
  std::atomic<uint64_t> writer_idle_ns{0};
  std::atomic<uint64_t> wait_ns{0};
};
Totals g_totals;
void Add(std::atomic<uint64_t>& counter, uint64_t v) { counter.fetch_add(v, std::memory_order_relaxed); }


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

// Writes every byte of iov[0..n) at `off`; advances the vector on short writes.
int PwritevAll(int fd, struct iovec* iov, int n, uint64_t off) {
  while (n > 0) {
    ssize_t w = pwritev(fd, iov, n, static_cast<off_t>(off));
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    off += static_cast<uint64_t>(w);
    size_t left = static_cast<size_t>(w);
    while (n > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      iov++;
      n--;
    }
    if (n > 0) {
      iov->iov_base = static_cast<uint8_t*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
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

DirectIoTotals ReadDirectIoTotals() {
  DirectIoTotals t;
  t.writes = g_totals.writes.load(std::memory_order_relaxed);
  t.write_bytes = g_totals.write_bytes.load(std::memory_order_relaxed);
  t.write_ns = g_totals.write_ns.load(std::memory_order_relaxed);
  t.syncs = g_totals.syncs.load(std::memory_order_relaxed);
  t.sync_ns = g_totals.sync_ns.load(std::memory_order_relaxed);
  t.writer_idle_ns = g_totals.writer_idle_ns.load(std::memory_order_relaxed);
  t.wait_ns = g_totals.wait_ns.load(std::memory_order_relaxed);
  return t;
}

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
  f->length_ = length;
  f->file_end_ = size;
  f->chunks_off_ = RoundDown(length, bs);
  uint64_t tail_len = length - f->chunks_off_;
  if (tail_len != 0) {
    // The partial tail block is rewritten by the next write: stage it.
    std::unique_ptr<StagingChunk> c = StagingChunk::New(kChunkBytes);
    if (!c) {
      *err = ENOMEM;
      *what = "staging buffer";
      return nullptr;
    }
    size_t got = 0;
    int rc = PreadAll(rfd, c->data(), tail_len, f->chunks_off_, &got);
    f->chunks_.push_back(std::move(c));
    if (rc != 0 || got != tail_len) {
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
  written_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

void DirectFile::Close() {
  StopWriter();
  std::lock_guard<std::mutex> flush_lock(flush_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  fd_.Reset();
  // The next file (the next segment) reuses them.
  for (std::unique_ptr<StagingChunk>& c : chunks_) ChunkPool::Give(std::move(c));
  chunks_.clear();
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
  return length_;
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
  return length_ - durable_;
}

bool DirectFile::WriteBehindDue() const {
  return options_.write_behind_bytes != 0 && error_ == 0 && fd_.get() >= 0 &&
         length_ - written_ >= options_.write_behind_bytes;
}

std::unique_ptr<StagingChunk> DirectFile::TakeChunk() { return ChunkPool::Take(kChunkBytes); }

bool DirectFile::Append(const uint8_t* data, size_t len) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // All the chunks the data needs first, so a failed append changes nothing.
    uint64_t have = chunks_off_ + chunks_.size() * kChunkBytes;
    size_t added = 0;
    while (have < length_ + len) {
      std::unique_ptr<StagingChunk> c = TakeChunk();
      if (!c) {
        while (added-- > 0) {
          ChunkPool::Give(std::move(chunks_.back()));
          chunks_.pop_back();
        }
        return false;
      }
      chunks_.push_back(std::move(c));
      have += kChunkBytes;
      added++;
    }
    while (len != 0) {
      uint64_t rel = length_ - chunks_off_;
      StagingChunk& c = *chunks_[rel / kChunkBytes];
      size_t at = static_cast<size_t>(rel % kChunkBytes);
      size_t n = std::min<size_t>(len, kChunkBytes - at);
      std::memcpy(c.data() + at, data, n);
      data += n;
      len -= n;
      length_ += n;
    }
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
      uint64_t t0 = NowNs();
      writer_cv_.wait(lock, [this] { return writer_stop_ || WriteBehindDue(); });
      Add(g_totals.writer_idle_ns, NowNs() - t0);
      if (writer_stop_) return;
    }
    uint64_t durable = 0;
    const char* syscall = "pwrite";
    // A failure is kept in error_ and reported by the next Flush.
    WriteStaged(false, &durable, &syscall);
  }
}

int DirectFile::Flush(uint64_t* durable, const char** syscall) { return WriteStaged(true, durable, syscall); }

int DirectFile::WriteDown(uint64_t max_unwritten, uint64_t* durable, const char** syscall) {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      auto done = [&] { return error_ != 0 || fd_.get() < 0 || length_ - written_ <= max_unwritten; };
      // While the writer thread has a write due it is writing (or about to):
      // wait for its progress rather than taking turns with it, which cut
      // its writes into pieces and woke the caller a write late.
      auto writer_on_it = [&] { return !writer_stop_ && writer_.joinable() && WriteBehindDue(); };
      uint64_t t0 = NowNs();
      written_cv_.wait(lock, [&] { return done() || !writer_on_it(); });
      Add(g_totals.wait_ns, NowNs() - t0);
      if (error_ != 0) {
        *syscall = error_syscall_;
        return error_;
      }
      if (done()) {
        *durable = durable_;
        return 0;
      }
    }
    // Nothing due for the writer thread (less staged than its threshold, or
    // no thread): write here.
    int rc = WriteStaged(false, durable, syscall);
    if (rc != 0) return rc;
  }
}

int DirectFile::WriteStaged(bool sync, uint64_t* durable, const char** syscall) {
  std::lock_guard<std::mutex> flush_lock(flush_mu_);
  uint64_t target;
  bool first_trailer;
  int fd;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (error_ != 0) {
      *syscall = error_syscall_;
      return error_;
    }
    if (fd_.get() < 0) {
      *syscall = "flush";
      return EBADF;
    }
    target = length_;
    // An empty file still gets its first trailer.
    first_trailer = file_end_ == 0;
    bool write = target != written_ || first_trailer;
    if (!write && (!sync || durable_ == written_)) {
      *durable = durable_;
      return 0;
    }
  }
  const char* failed = "pwrite";
  int rc = 0;
  // Write-behind writes one piece; a flush writes all that was staged when it
  // was called (appends made meanwhile may ride along).
  while (rc == 0 && (first_trailer || WrittenLength() < target)) {
    rc = WriteOnce(&failed);
    first_trailer = false;
    if (!sync) break;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    fd = fd_.get();
  }
  uint64_t ts = NowNs();
  if (rc == 0 && sync && !options_.dsync && fdatasync(fd) != 0) {
    rc = errno;
    failed = "fdatasync";
  }
  if (rc == 0 && sync && !options_.dsync) {
    Add(g_totals.syncs, 1);
    Add(g_totals.sync_ns, NowNs() - ts);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (rc == 0) {
      if (sync || options_.dsync) durable_ = written_;
      *durable = durable_;
      return 0;
    }
    error_ = rc;
    error_syscall_ = failed;
    *syscall = failed;
  }
  written_cv_.notify_all();
  return rc;
}

int DirectFile::WriteOnce(const char** failed) {
  // At most: the bytes of 2 chunks (kMaxWriteBytes <= kChunkBytes) + the tail.
  static_assert(kMaxWriteBytes <= kChunkBytes, "one write spans at most two chunks");
  struct iovec iov[3];
  int n = 0;
  uint64_t start;
  uint64_t end;
  uint64_t write_end;
  int fd;
  bool direct;
  {
    std::lock_guard<std::mutex> lock(mu_);
    fd = fd_.get();
    direct = direct_;
    start = RoundDown(written_, block_size_);
    end = std::min<uint64_t>(length_, start + kMaxWriteBytes);
    uint64_t whole = RoundDown(end, block_size_);
    write_end = RoundUp(std::max<uint64_t>(end + kTrailerBytes, file_end_), block_size_);
    // Whole blocks straight from the chunks: the caller only appends at or
    // beyond length_ >= end, so these bytes no longer change.
    for (uint64_t at = start; at < whole;) {
      uint64_t rel = at - chunks_off_;
      uint64_t in_chunk = rel % kChunkBytes;
      uint64_t len = std::min<uint64_t>(whole - at, kChunkBytes - in_chunk);
      iov[n].iov_base = chunks_[rel / kChunkBytes]->data() + in_chunk;
      iov[n].iov_len = static_cast<size_t>(len);
      n++;
      at += len;
    }
    // The tail: the partial last block (copied), zero padding, the trailer.
    uint64_t tail_len = write_end - whole;
    if (tail_.size() < tail_len && !tail_.Reset(4096, tail_len)) {
      *failed = "malloc";
      return ENOMEM;
    }
    std::memset(tail_.data(), 0, tail_len);
    if (end > whole) {
      uint64_t rel = whole - chunks_off_;
      std::memcpy(tail_.data(), chunks_[rel / kChunkBytes]->data() + rel % kChunkBytes, end - whole);
    }
    PutTrailer(tail_.data() + tail_len - kTrailerBytes, end);
    iov[n].iov_base = tail_.data();
    iov[n].iov_len = static_cast<size_t>(tail_len);
    n++;
  }
  uint64_t tw = NowNs();
  int rc = direct && kRefuse == Refuse::kWrite ? EINVAL : PwritevAll(fd, iov, n, start);
  Add(g_totals.writes, 1);
  Add(g_totals.write_bytes, write_end - start);
  Add(g_totals.write_ns, NowNs() - tw);
  if (rc == EINVAL && direct) {
    // Some filesystems accept O_DIRECT at open and refuse the write (nothing
    // was written: the vector is unchanged).
    rc = Reopen(false);
    if (rc != 0) {
      *failed = "open";
      return rc;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      reason_ = "the filesystem refused an O_DIRECT write (EINVAL); buffered writes + fdatasync";
      if (kRefuse == Refuse::kWrite) reason_ += Injected();
      fd = fd_.get();
    }
    rc = PwritevAll(fd, iov, n, start);
  }
  if (rc != 0) {
    *failed = "pwrite";
    return rc;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    file_end_ = std::max(file_end_, write_end);
    written_ = end;
    // Chunks the file now holds entirely are not needed by the next write
    // (which starts at the block holding written_).
    while (!chunks_.empty() && chunks_off_ + kChunkBytes <= written_) {
      ChunkPool::Give(std::move(chunks_.front()));
      chunks_.pop_front();
      chunks_off_ += kChunkBytes;
    }
  }
  written_cv_.notify_all();
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
