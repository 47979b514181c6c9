// A fixed-size piece of staging memory for the direct-I/O writer, unmapped
// on destruction; ChunkPool keeps a few for reuse. A chunk whose size is a
// multiple of 2 MiB is mapped at a 2 MiB boundary and asks for transparent
// huge pages (MADV_HUGEPAGE; used where the kernel has them, "madvise" or
// "always", else 4 KiB pages as before): an O_DIRECT write then pins a few
// huge pages instead of one page per 4 KiB, and the block layer sends a 4 MiB
// write as one or two requests instead of one per ~1 MiB of scattered pages
// (bench/README.md, "Spool write and replay": 4 MiB writes from huge pages ran
// at 1.9-2.9 GB/s against 1.2-1.7 GB/s from 4 KiB pages on the same disk).
// Its pages are faulted in at creation (MADV_POPULATE_WRITE, or one touch per
// page where the kernel lacks it), not one fault at a time on the appending
// thread.
#pragma once

#include <sys/mman.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace outrider {
namespace io {

class StagingChunk {
 public:
  // Null when the mapping fails (out of memory).
  static std::unique_ptr<StagingChunk> New(size_t size) {
    constexpr size_t kHuge = size_t{2} << 20;
    if (size % kHuge != 0) {
      void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
      if (p == MAP_FAILED) return nullptr;
      return std::unique_ptr<StagingChunk>(new StagingChunk(static_cast<uint8_t*>(p), size));
    }
    // Over-map by 2 MiB, keep the aligned middle, unmap the rest.
    void* raw = mmap(nullptr, size + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return nullptr;
    uintptr_t start = reinterpret_cast<uintptr_t>(raw);
    uintptr_t aligned = (start + kHuge - 1) & ~(uintptr_t{kHuge} - 1);
    if (aligned != start) munmap(raw, aligned - start);
    munmap(reinterpret_cast<void*>(aligned + size), start + kHuge - aligned);  // never empty: aligned < start + kHuge
    uint8_t* data = reinterpret_cast<uint8_t*>(aligned);
    std::unique_ptr<StagingChunk> c(new StagingChunk(data, size));
    // Advice only: without THP the chunk is 4 KiB pages, as with MAP_POPULATE.
    (void)madvise(data, size, MADV_HUGEPAGE);
    if (!Populate(data, size)) return nullptr;
    return c;
  }
  ~StagingChunk() { munmap(data_, size_); }
  StagingChunk(const StagingChunk&) = delete;
  StagingChunk& operator=(const StagingChunk&) = delete;

  uint8_t* data() { return data_; }
  size_t size() const { return size_; }

 private:
  StagingChunk(uint8_t* data, size_t size) : data_(data), size_(size) {}
  // Faults every page in now. False when the memory is not there (the
  // mapping is then released by the caller's unique_ptr).
  static bool Populate(uint8_t* data, size_t size) {
#ifdef MADV_POPULATE_WRITE
    if (madvise(data, size, MADV_POPULATE_WRITE) == 0) return true;
    if (errno != EINVAL) return false;  // ENOMEM, EFAULT...: no memory for it
#endif
    // Kernels before 5.14: a write per page (an anonymous page is zero).
    for (size_t at = 0; at < size; at += 4096) data[at] = 0;
    return true;
  }
  uint8_t* data_;
  size_t size_;
};

// Written chunks kept for reuse by every direct-I/O file of the process (a
// new segment takes over the chunks of the one before it instead of mapping
// and faulting in fresh ones), at most kMaxChunks of kChunkSize bytes.
class ChunkPool {
 public:
  static constexpr size_t kMaxChunks = 4;

  // A chunk of `size` bytes (reused when it is the pooled size); null when
  // out of memory.
  static std::unique_ptr<StagingChunk> Take(size_t size) {
    ChunkPool& p = Get();
    {
      std::lock_guard<std::mutex> lock(p.mu_);
      if (!p.free_.empty() && p.free_.back()->size() == size) {
        std::unique_ptr<StagingChunk> c = std::move(p.free_.back());
        p.free_.pop_back();
        return c;
      }
    }
    return StagingChunk::New(size);
  }

  // Keeps `c` for reuse, or unmaps it when the pool is full.
  static void Give(std::unique_ptr<StagingChunk> c) {
    ChunkPool& p = Get();
    std::lock_guard<std::mutex> lock(p.mu_);
    if (p.free_.size() < kMaxChunks) p.free_.push_back(std::move(c));
  }

 private:
  // Never destroyed: files closed during process teardown may still give
  // chunks back (the chunks it holds then are reachable, not leaked).
  static ChunkPool& Get() {
    static ChunkPool* pool = new ChunkPool();
    return *pool;
  }
  std::mutex mu_;
  std::vector<std::unique_ptr<StagingChunk>> free_;
};

}  // namespace io
}  // namespace outrider
