// A fixed-size, page-aligned piece of staging memory for the direct-I/O
// writer: mapped with MAP_POPULATE, so its pages are faulted in by one system
// call instead of one fault per page on the appending thread, and unmapped on
// destruction; ChunkPool keeps a few for reuse.
#pragma once

#include <sys/mman.h>

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
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    return std::unique_ptr<StagingChunk>(new StagingChunk(static_cast<uint8_t*>(p), size));
  }
  ~StagingChunk() { munmap(data_, size_); }
  StagingChunk(const StagingChunk&) = delete;
  StagingChunk& operator=(const StagingChunk&) = delete;

  uint8_t* data() { return data_; }
  size_t size() const { return size_; }

 private:
  StagingChunk(uint8_t* data, size_t size) : data_(data), size_(size) {}
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
