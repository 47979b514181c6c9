// Append-only file written with O_DIRECT, for the spool.
//
// File layout: the records the caller appended, back to back, then zero
// padding, then a 16-byte trailer ending exactly at the end of the file; the
// file size is a multiple of the block size used when it was last flushed.
//
//   trailer (16 bytes, little-endian):
//     0   u64  logical length L (bytes of caller data from offset 0)
//     8   u32  magic 0x52544F44 ("DOTR")
//     12  u32  CRC-32C of bytes 0..11
//
// Each flush writes the staged bytes from the start of the block holding the
// current end (so the partial tail block is rewritten), pads with zeros up to
// the block before last, and puts a fresh trailer at the end; then the data is
// made durable (O_DSYNC on the write, or fdatasync). L only grows, so the file
// only grows and the newest trailer is always at the end. Reopening reads the
// trailer: readers never see padding, and a process killed after a flush
// returned reads back exactly what it had flushed.
//
// Writes are whole blocks of max(device logical block size, filesystem block
// size), 4096 when the file is not on a block device.
//
// Write-behind (options.write_behind_bytes > 0): once that many bytes are
// staged beyond what the file holds, a writer thread of the file writes them
// (whole blocks, padding and a fresh trailer, as a flush does) without
// syncing, while the caller keeps appending. A flush then writes only what is
// left and syncs once. Write-behind never advances the durable length: what
// a flush made durable is all the contract promises. A process killed after a
// write-behind write completed reads back those bytes too (the trailer covers
// them); after a power loss, bytes between the durable length and the
// trailer's may be stale, which the spool's CRC-checked scan tolerates.
//
// Errors are sticky: after a failed write (write-behind or flush) every later
// Flush returns that error; the caller closes the file and starts another.
//
// Where the filesystem refuses O_DIRECT (open or the first write answers
// EINVAL) the file falls back to buffered I/O + fdatasync and says so.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "io/aligned_buffer.h"
#include "sys/unique_fd.h"

namespace outrider {
namespace io {

constexpr uint32_t kTrailerMagic = 0x52544F44u;
constexpr uint32_t kTrailerBytes = 16;
constexpr uint32_t kDefaultBlockSize = 4096;

// Writes the trailer for logical length `length` into p[0..16).
void PutTrailer(uint8_t* p, uint64_t length);
// Parses the 16 bytes at p (read from disk: untrusted); false when they are
// not a trailer (bad magic or CRC). The length is not range-checked here.
bool ParseTrailer(const uint8_t* p, uint64_t* length);

struct DirectFileOptions {
  bool dsync = false;       // O_DSYNC instead of fdatasync after each flush
  bool try_direct = true;   // false: buffered + fdatasync from the start
  uint64_t write_behind_bytes = 0;  // 0: write only at Flush
};

class DirectFile {
 public:
  // Opens (creating if needed) and recovers the logical length. On failure
  // returns null with *err (errno, or EILSEQ for a corrupt trailer) and *what
  // (the failing step).
  static std::unique_ptr<DirectFile> Open(const std::string& path, const DirectFileOptions& options, int* err,
                                          std::string* what);
  ~DirectFile();
  DirectFile(const DirectFile&) = delete;
  DirectFile& operator=(const DirectFile&) = delete;

  bool direct_io() const;
  std::string reason() const;
  uint32_t block_size() const { return block_size_; }
  bool dsync() const { return options_.dsync; }

  uint64_t Length() const;
  uint64_t DurableLength() const;
  uint64_t StagedBytes() const;
  // Logical length the file holds (written, durable or not).
  uint64_t WrittenLength() const;

  // Copies into the staging buffer (no I/O). False when out of memory.
  bool Append(const uint8_t* data, size_t len);

  // Writes what is staged and makes it durable; returns 0 or an errno, and
  // the new durable length in *durable. Waits for a write-behind write in
  // progress (one write at a time).
  int Flush(uint64_t* durable, const char** syscall);

  // Reads [offset, offset+len) clipped to the durable length.
  int Read(uint64_t offset, uint64_t len, std::vector<uint8_t>* out, const char** syscall);

  void Close();

 private:
  DirectFile() = default;
  int Reopen(bool direct);
  // Writes everything staged (padding + trailer); with `sync`, makes it
  // durable. Holds flush_mu_.
  int WriteStaged(bool sync, uint64_t* durable, const char** syscall);
  void WriterLoop();
  // True when enough is staged for a write-behind write. Needs mu_.
  bool WriteBehindDue() const;
  void StopWriter();

  std::string path_;
  DirectFileOptions options_;
  sys::UniqueFd fd_;
  uint32_t block_size_ = kDefaultBlockSize;
  std::string block_source_;

  mutable std::mutex mu_;  // guards the fields below
  bool direct_ = false;
  std::string reason_;
  AlignedBuffer staging_;
  uint64_t staging_off_ = 0;  // file offset of staging_[0], block aligned
  uint64_t staged_len_ = 0;   // valid bytes in staging_
  uint64_t durable_ = 0;
  uint64_t written_ = 0;      // logical length the file holds
  AlignedBuffer spare_;       // the last written buffer, reused for staging
  int error_ = 0;             // sticky write error
  const char* error_syscall_ = "pwrite";
  // Write-behind writer: started at the first write-behind, stopped by Close.
  std::thread writer_;
  std::condition_variable writer_cv_;
  bool writer_stop_ = false;

  std::mutex flush_mu_;  // one Flush/Reopen at a time; guards file_end_
  // Size of the file (its end): a flush writes at least up to it, so the new
  // trailer is always last even when the file was written with a larger
  // block size (another filesystem, the twin) than this one uses.
  uint64_t file_end_ = 0;
};

}  // namespace io
}  // namespace outrider
