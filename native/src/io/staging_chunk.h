// A fixed-size, page-aligned piece of staging memory for the direct-I/O
// writer: mapped with MAP_POPULATE, so its pages are faulted in by one system
// call instead of one fault per page on the appending thread, and unmapped on
// destruction (nothing is kept by the allocator after the file is done).
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <memory>

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

}  // namespace io
}  // namespace outrider
