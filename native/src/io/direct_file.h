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
// Staging: appended bytes are copied into fixed 4 MiB chunks (2 MiB aligned,
// on transparent huge pages where the kernel has them, pre-faulted, kept for
// reuse up to a bound: staging_chunk.h), never into one buffer that grows and
// is copied. A write gathers whole blocks straight from the chunks
// (pwritev) and the partial tail block, padding and trailer from a small
// separate buffer, so nothing the caller may still append to is written to;
// one write covers at most kMaxWriteBytes of data.
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
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "io/aligned_buffer.h"
#include "io/staging_chunk.h"
#include "sys/unique_fd.h"

namespace outrider {
namespace io {

constexpr uint32_t kTrailerMagic = 0x52544F44u;
constexpr uint32_t kTrailerBytes = 16;
constexpr uint32_t kDefaultBlockSize = 4096;
// Size of a staging chunk, and the most data one write carries.
constexpr uint64_t kChunkBytes = 4u << 20;
constexpr uint64_t kMaxWriteBytes = 4u << 20;

// Writes the trailer for logical length `length` into p[0..16).
void PutTrailer(uint8_t* p, uint64_t length);
// Parses the 16 bytes at p (read from disk: untrusted); false when they are
// not a trailer (bad magic or CRC). The length is not range-checked here.
bool ParseTrailer(const uint8_t* p, uint64_t* length);

// Totals over every DirectFile of the process since it started, for timing
// the writer's phases (the spool bench prints them per run).
struct DirectIoTotals {
  uint64_t writes = 0;          // pwritev calls
  uint64_t write_bytes = 0;     // bytes they wrote (rewritten tail blocks, padding and trailers included)
  uint64_t write_ns = 0;        // time spent inside them
  uint64_t syncs = 0;           // fdatasync calls of flushes
  uint64_t sync_ns = 0;         // time spent inside them
  uint64_t writer_idle_ns = 0;  // write-behind threads waiting for enough staged bytes
  uint64_t wait_ns = 0;         // WriteDown callers waiting for a write-behind thread
};
DirectIoTotals ReadDirectIoTotals();

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

  // Returns once at most `max_unwritten` appended bytes are not in the file:
  // how a caller that appends faster than the disk writes waits for it, so
  // staging stays bounded. While a write-behind write is due it waits for the
  // writer thread (one writer keeps the disk busy with whole writes); else it
  // writes (without syncing) itself. Returns 0 or the sticky write error;
  // *durable is the durable length.
  int WriteDown(uint64_t max_unwritten, uint64_t* durable, const char** syscall);

  // Reads [offset, offset+len) clipped to the durable length.
  int Read(uint64_t offset, uint64_t len, std::vector<uint8_t>* out, const char** syscall);

  void Close();

 private:
  DirectFile() = default;
  int Reopen(bool direct);
  // Without `sync` (write-behind): one write of what is staged. With it: all
  // that was staged when it was called, then makes it durable. Holds
  // flush_mu_.
  int WriteStaged(bool sync, uint64_t* durable, const char** syscall);
  // One write: the blocks from the one holding written_ up to the logical
  // length, at most kMaxWriteBytes of data, then padding and a trailer.
  // The caller holds flush_mu_.
  int WriteOnce(const char** failed);
  void WriterLoop();
  // True when enough is staged for a write-behind write. Needs mu_.
  bool WriteBehindDue() const;
  void StopWriter();
  // A chunk from the process's ChunkPool or a new one; null when out of memory.
  std::unique_ptr<StagingChunk> TakeChunk();

  std::string path_;
  DirectFileOptions options_;
  sys::UniqueFd fd_;
  uint32_t block_size_ = kDefaultBlockSize;
  std::string block_source_;

  mutable std::mutex mu_;  // guards the fields below
  bool direct_ = false;
  std::string reason_;
  // Staged bytes: chunks_[i] holds file offsets [chunks_off_ + i * kChunkBytes,
  // + kChunkBytes); the caller appends at length_, writes read below it. A
  // chunk goes back to the ChunkPool once the file holds all of it.
  std::deque<std::unique_ptr<StagingChunk>> chunks_;
  uint64_t chunks_off_ = 0;  // block aligned
  uint64_t length_ = 0;      // logical length, appended bytes included
  uint64_t durable_ = 0;
  uint64_t written_ = 0;      // logical length the file holds
  int error_ = 0;             // sticky write error
  const char* error_syscall_ = "pwrite";
  // Write-behind writer: started at the first write-behind, stopped by Close.
  std::thread writer_;
  std::condition_variable writer_cv_;
  // Signalled after every write and on a write error: WriteDown waits on it
  // while the writer thread writes.
  std::condition_variable written_cv_;
  bool writer_stop_ = false;

  std::mutex flush_mu_;  // one write (WriteStaged/Reopen) at a time; guards the fields below
  // Size of the file (its end): a write reaches at least up to it, so the
  // new trailer is always last even when the file was written with a larger
  // block size (another filesystem, the twin) than this one uses.
  uint64_t file_end_ = 0;
  AlignedBuffer tail_;  // the partial tail block, padding and trailer of a write
};

}  // namespace io
}  // namespace outrider
