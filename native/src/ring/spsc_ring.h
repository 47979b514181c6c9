// SPSC ring of variable-length records in shared memory.
//
// Byte layout (all integers little-endian u32; the same layout is documented in
// test/native/ring/ring.ts, which implements it with Atomics):
//
//   offset   field        owner     meaning
//   0        magic        creator   0x474E5252 ("RRNG")
//   4        version      creator   1
//   8        capacity     creator   data bytes, power of two, 64 .. 2^30
//   12       reserved
//   64       write        producer  free-running byte counter (mod 2^32)
//   128      read         consumer  free-running byte counter (mod 2^32)
//   192      waiters      both      bit flags of sleeping sides, see kWait*
//   196      closed       producer  1 once the producer has closed the ring
//   256      data[capacity]
//
// write and read each sit on their own 64-byte cache line so the two sides
// never false-share; each side also keeps a private cache of the other's
// counter and only reloads it when the cached value says "full" or "empty".
// Counters are published with release stores and read with acquire loads
// (JS Atomics are sequentially consistent, which is stronger).
//
// A record is a u32 length followed by the payload, padded to 4 bytes:
// size = 4 + round_up(len, 4). A record never wraps: when it does not fit in
// the bytes left before the end of the data area, the producer writes the wrap
// marker 0xFFFFFFFF there and continues at offset 0; the consumer skips to 0
// when it reads the marker. The largest payload is capacity/2 - 4, which
// always fits in an empty ring whatever the offset. A full ring refuses the
// push; nothing is ever overwritten.
//
// Sleeping: a consumer that found the ring empty sets a waiter bit in
// `waiters`, re-checks `write`, then sleeps on the `write` word; a producer
// that found it full does the same on `read`. After publishing, the other
// side reads `waiters` and wakes sleepers of the kinds it can reach:
//   kWaitDataFutex / kWaitSpaceFutex    native sleeper in futex(2): woken by
//                                       futex(FUTEX_WAKE) from C++ or, from JS,
//                                       through the addon's ringWake().
//   kWaitDataAtomics / kWaitSpaceAtomics JS sleeper in Atomics.wait/waitAsync:
//                                       woken by Atomics.notify from JS; a
//                                       native side wakes it through a JS
//                                       doorbell (a thread-safe function).
#pragma once

#include <cstddef>
#include <cstdint>

namespace outrider {
namespace ring {

constexpr uint32_t kMagic = 0x474E5252u;
constexpr uint32_t kVersion = 1;
constexpr uint32_t kHeaderBytes = 256;
constexpr uint32_t kOffMagic = 0;
constexpr uint32_t kOffVersion = 4;
constexpr uint32_t kOffCapacity = 8;
constexpr uint32_t kOffWrite = 64;
constexpr uint32_t kOffRead = 128;
constexpr uint32_t kOffWaiters = 192;
constexpr uint32_t kOffClosed = 196;
constexpr uint32_t kMinCapacity = 64;
constexpr uint32_t kMaxCapacity = 1u << 30;
constexpr uint32_t kWrapMarker = 0xFFFFFFFFu;

constexpr uint32_t kWaitDataAtomics = 1u << 0;
constexpr uint32_t kWaitDataFutex = 1u << 1;
constexpr uint32_t kWaitSpaceAtomics = 1u << 2;
constexpr uint32_t kWaitSpaceFutex = 1u << 3;

constexpr uint32_t RecordSize(uint32_t len) { return 4u + ((len + 3u) & ~3u); }
constexpr uint32_t MaxRecordLength(uint32_t capacity) { return capacity / 2u - 4u; }
constexpr bool IsValidCapacity(uint64_t capacity) {
  return capacity >= kMinCapacity && capacity <= kMaxCapacity && (capacity & (capacity - 1)) == 0;
}

// Writes a fresh header into `base` (kHeaderBytes + capacity bytes).
void Initialise(uint8_t* base, uint32_t capacity);

// Checks the header of an existing ring of `total_bytes`; returns false when it
// is not a valid ring (bad magic, version, capacity or size).
bool Validate(const uint8_t* base, size_t total_bytes);

// Wakes futex sleepers on the write (data) or read (space) word.
void FutexWake(uint8_t* base, uint32_t offset);

// Outcome of a blocking wait.
enum class WaitResult { kReady, kTimedOut, kClosed };

// Producer end. Not thread-safe: exactly one thread produces.
class Producer {
 public:
  explicit Producer(uint8_t* base);

  uint32_t capacity() const { return capacity_; }
  uint32_t max_record_length() const { return max_len_; }

  // Appends one record; false when the ring has no room (nothing written).
  // Publishes immediately.
  bool TryPush(const void* data, uint32_t len);

  // Stages one record without publishing; call Publish() after a batch.
  // Inline: the common case is two compares and the copies.
  inline bool TryStage(const void* data, uint32_t len);
  // Makes staged records visible and wakes a sleeping consumer. Returns the
  // waiter bits that a native caller could not service (kWaitDataAtomics),
  // so the binding can ring its JS doorbell.
  uint32_t Publish();

  // Blocks (futex) until `need` bytes of records could fit, the deadline
  // passes (timeout_ms < 0: forever) or the ring is closed by the consumer.
  WaitResult WaitForSpace(uint32_t len, int64_t timeout_ms);

  void Close();

 private:
  // Slow path of TryStage: reloads the consumer's counter and/or writes the
  // wrap marker. False when the ring has no room.
  bool Reserve(uint32_t total, uint32_t* pos);

  uint8_t* base_;
  uint8_t* data_;
  uint32_t capacity_;
  uint32_t mask_;
  uint32_t max_len_;      // MaxRecordLength(capacity_)
  uint32_t write_;        // local copy, published by Publish()
  uint32_t cached_read_;  // last read counter seen
};

// Consumer end. Not thread-safe: exactly one thread consumes.
class Consumer {
 public:
  explicit Consumer(uint8_t* base);

  uint32_t capacity() const { return capacity_; }

  // Calls fn(const uint8_t* data, uint32_t len) for up to max_records
  // records, then releases their space in one store. Returns the count. The
  // pointer is valid only during the call.
  template <typename Fn>
  uint32_t Drain(Fn&& fn, uint32_t max_records);

  // Blocks (futex) until a record is available, the deadline passes
  // (timeout_ms < 0: forever) or the producer closed an empty ring.
  WaitResult WaitForData(int64_t timeout_ms);

  // Frees space up to `new_read` and wakes a futex-sleeping producer.
  // Returns the waiter bits the native side could not service.
  uint32_t Release(uint32_t new_read);

  // True once Drain met bytes that are not a valid record (a length or
  // counter pointing outside the data area or the published range); the
  // consumer then delivers nothing more.
  bool corrupt() const { return corrupt_; }

  // Waiter bits left unserved by the releases since the last call
  // (kWaitSpaceAtomics: a JS producer sleeps; ring its doorbell).
  uint32_t TakeUnserved() {
    uint32_t bits = unserved_;
    unserved_ = 0;
    return bits;
  }

 private:
  uint8_t* base_;
  uint8_t* data_;
  uint32_t capacity_;
  uint32_t mask_;
  uint32_t read_;
  uint32_t cached_write_;
  uint32_t unserved_ = 0;
  bool corrupt_ = false;
};

inline uint32_t LoadAcquire(const uint8_t* base, uint32_t off) {
  return __atomic_load_n(reinterpret_cast<const uint32_t*>(base + off), __ATOMIC_ACQUIRE);
}
inline void StoreRelease(uint8_t* base, uint32_t off, uint32_t v) {
  __atomic_store_n(reinterpret_cast<uint32_t*>(base + off), v, __ATOMIC_RELEASE);
}

bool Producer::TryStage(const void* data, uint32_t len) {
  if (len > max_len_) return false;
  uint32_t total = RecordSize(len);
  uint32_t off = write_ & mask_;
  // Fast path: fits before the end of the data area and in the space known
  // free from the cached read counter.
  if (__builtin_expect(total > capacity_ - off || capacity_ - (write_ - cached_read_) < total, 0)) {
    if (!Reserve(total, &off)) return false;
  }
  __builtin_memcpy(data_ + off, &len, 4);
  if (len != 0) __builtin_memcpy(data_ + off + 4, data, len);
  write_ += total;
  return true;
}

template <typename Fn>
uint32_t Consumer::Drain(Fn&& fn, uint32_t max_records) {
  // The ring's bytes are writable by any JS code holding the buffer, so a
  // record must lie inside the data area and the published range, or the
  // consumer stops and reports corrupt() rather than read out of bounds.
  // Counters and records are multiples of 4, so a 4-aligned position stays
  // aligned and its length word is always inside the data area; the
  // per-record check is one (predicted) branch.
  uint32_t pos = read_;
  uint32_t avail = cached_write_ - pos;
  if (corrupt_ || avail > capacity_ || ((avail | pos) & 3u) != 0) {
    corrupt_ = true;
    return 0;
  }
  uint32_t count = 0;
  while (count < max_records) {
    if (avail == 0) {
      cached_write_ = LoadAcquire(base_, kOffWrite);
      avail = cached_write_ - pos;
      if (avail == 0) break;
      if (avail > capacity_ || (avail & 3u) != 0) {
        corrupt_ = true;
        break;
      }
    }
    uint32_t off = pos & mask_;
    uint32_t len;
    __builtin_memcpy(&len, data_ + off, 4);
    // 64-bit so a huge length cannot wrap around; the wrap marker also lands
    // in the slow branch.
    uint64_t size = 4u + ((static_cast<uint64_t>(len) + 3u) & ~static_cast<uint64_t>(3u));
    if (__builtin_expect(size > avail || off + size > capacity_, 0)) {
      if (len == kWrapMarker && capacity_ - off <= avail) {
        pos += capacity_ - off;
        avail -= capacity_ - off;
        continue;
      }
      corrupt_ = true;
      break;
    }
    fn(static_cast<const uint8_t*>(data_ + off + 4), len);
    pos += static_cast<uint32_t>(size);
    avail -= static_cast<uint32_t>(size);
    ++count;
  }
  if (pos != read_) unserved_ |= Release(pos);
  return count;
}

}  // namespace ring
}  // namespace outrider
