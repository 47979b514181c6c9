// Open-addressing index from an aggregation key to a slot number, built for
// the hot path: one 32-byte entry per key (two to a cache line) holding the
// low 32 bits of the key's hash and its first kInline bytes, so a lookup of a
// key up to kInline bytes touches one cache line (std::unordered_map touched
// three: bucket, node, heap key). Linear probing, load factor at most 4/5 (a
// table rebuilt every interval must stay small: 100k keys fit 131072 entries,
// 4 MiB; 64-byte entries with 50 inline bytes took 8), slot kNone marks an
// empty entry. Keys longer than kInline are compared in full through
// `full_key` (one more memory access per line for them).
#pragma once

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

namespace outrider {
namespace statsd {

class FlatIndex {
 public:
  static constexpr uint32_t kNone = 0xFFFFFFFFu;
  static constexpr size_t kInline = 22;

  FlatIndex() { Allocate(kMinCapacity); }

  static uint64_t Hash(std::string_view key) {
    // FNV-1a over 8-byte words with a final mix: fast for 20-60 byte keys.
    uint64_t h = 0xcbf29ce484222325ull ^ key.size();
    size_t i = 0;
    for (; i + 8 <= key.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, key.data() + i, 8);
      h = (h ^ w) * 0x100000001b3ull;
      h ^= h >> 29;
    }
    uint64_t tail = 0;
    std::memcpy(&tail, key.data() + i, key.size() - i);
    h = (h ^ tail) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    h ^= h >> 32;
    return h ? h : 1;
  }

  // Starts loading the entry a lookup of hash `h` begins at (lookups of a
  // packet's lines are issued together so their cache misses overlap).
  void Prefetch(uint64_t h) const { __builtin_prefetch(&entries_[h & (capacity_ - 1)]); }

  // `full_key(slot)` returns the complete key of a slot (for long keys).
  template <typename FullKey>
  uint32_t Find(std::string_view key, uint64_t h, FullKey&& full_key) const {
    size_t mask = capacity_ - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Entry& e = entries_[i];
      if (e.slot == kNone) return kNone;
      if (e.hash != static_cast<uint32_t>(h) || e.len != key.size()) continue;
      size_t n = key.size() < kInline ? key.size() : kInline;
      if (std::memcmp(e.prefix, key.data(), n) != 0) continue;
      if (key.size() <= kInline || full_key(e.slot) == key) return e.slot;
    }
  }

  void Insert(std::string_view key, uint64_t h, uint32_t slot) {
    if ((size_ + 1) * 5 > capacity_ * 4) Grow();
    Place(h, static_cast<uint16_t>(key.size() > 0xFFFF ? 0xFFFF : key.size()), key.data(), slot);
    ++size_;
  }

  // Empties the index; keeps its capacity unless it had grown far past need.
  void Clear(size_t expected) {
    size_t want = kMinCapacity;
    while (want * 4 < expected * 5) want <<= 1;
    if (capacity_ > want * 4) {
      Allocate(want);
    } else {
      std::memset(static_cast<void*>(entries_.get()), 0xFF, capacity_ * sizeof(Entry));
    }
    size_ = 0;
  }

  size_t size() const { return size_; }

 private:
  static constexpr size_t kMinCapacity = 1024;

  struct alignas(32) Entry {
    uint32_t hash;  // the low 32 bits: where the entry belongs and a first check
    uint32_t slot;
    uint16_t len;
    char prefix[kInline];
  };
  static_assert(sizeof(Entry) == 32, "two entries per cache line");

  void Place(uint64_t h, uint16_t len, const char* key, uint32_t slot) {
    size_t mask = capacity_ - 1;
    size_t i = h & mask;
    while (entries_[i].slot != kNone) i = (i + 1) & mask;
    Entry& e = entries_[i];
    e.hash = static_cast<uint32_t>(h);
    e.slot = slot;
    e.len = len;
    if (key) std::memcpy(e.prefix, key, len < kInline ? len : kInline);
  }

  struct Free {
    void operator()(Entry* p) const { std::free(p); }
  };

  // Empty entries (every byte 0xFF: slot kNone); tables of 2 MiB and more ask for transparent huge pages
  // (random probes over many MiB otherwise pay a TLB miss each).
  void Allocate(size_t capacity) {
    size_t bytes = capacity * sizeof(Entry);
    size_t align = bytes >= (2u << 20) ? (2u << 20) : 64;
    void* p = std::aligned_alloc(align, bytes);
    if (!p) std::abort();
    if (align > 64) madvise(p, bytes, MADV_HUGEPAGE);
    std::memset(p, 0xFF, bytes);
    entries_.reset(static_cast<Entry*>(p));
    capacity_ = capacity;
  }

  void Grow() {
    std::unique_ptr<Entry[], Free> old(entries_.release());
    size_t old_capacity = capacity_;
    Allocate(old_capacity * 2);
    size_t mask = capacity_ - 1;
    for (size_t k = 0; k < old_capacity; ++k) {
      const Entry& e = old[k];
      if (e.slot == kNone) continue;
      size_t i = e.hash & mask;
      while (entries_[i].slot != kNone) i = (i + 1) & mask;
      entries_[i] = e;
    }
  }

  std::unique_ptr<Entry[], Free> entries_;
  size_t capacity_ = 0;
  size_t size_ = 0;
};

}  // namespace statsd
}  // namespace outrider
