// An owned, aligned heap buffer (posix_memalign) for O_DIRECT I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace outrider {
namespace io {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(size_t alignment, size_t size) { Reset(alignment, size); }
  ~AlignedBuffer() { std::free(data_); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  AlignedBuffer(AlignedBuffer&& o) noexcept : data_(o.data_), size_(o.size_), alignment_(o.alignment_) {
    o.data_ = nullptr;
    o.size_ = 0;
  }
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    if (this != &o) {
      std::free(data_);
      data_ = o.data_;
      size_ = o.size_;
      alignment_ = o.alignment_;
      o.data_ = nullptr;
      o.size_ = 0;
    }
    return *this;
  }

  // Allocates `size` bytes (not zeroed); false when out of memory.
  bool Reset(size_t alignment, size_t size) {
    std::free(data_);
    data_ = nullptr;
    size_ = 0;
    alignment_ = alignment;
    void* p = nullptr;
    if (posix_memalign(&p, alignment, size == 0 ? alignment : size) != 0) return false;
    data_ = static_cast<uint8_t*>(p);
    size_ = size;
    return true;
  }

  // Grows to at least `size`, keeping the first `keep` bytes.
  bool Grow(size_t size, size_t keep) {
    if (size <= size_) return true;
    size_t next = size_ == 0 ? size : size_;
    while (next < size) next *= 2;
    AlignedBuffer bigger;
    if (!bigger.Reset(alignment_, next)) return false;
    if (keep != 0) std::memcpy(bigger.data_, data_, keep);
    *this = std::move(bigger);
    return true;
  }

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t alignment_ = 4096;
};

}  // namespace io
}  // namespace outrider
