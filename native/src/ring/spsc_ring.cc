// Implementation of the SPSC ring; the byte layout is described in
// spsc_ring.h.
#include "ring/spsc_ring.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

namespace outrider {
namespace ring {
namespace {

uint32_t* Word(uint8_t* base, uint32_t off) { return reinterpret_cast<uint32_t*>(base + off); }

uint32_t LoadSeqCst(uint8_t* base, uint32_t off) { return __atomic_load_n(Word(base, off), __ATOMIC_SEQ_CST); }

// The word is shared between processes' threads only through this mapping,
// so the private futex flavour is not used: a SharedArrayBuffer may be mapped
// by one process only, but FUTEX_WAIT without FUTEX_PRIVATE_FLAG is harmless
// and keeps the door open for a memfd-backed ring shared across processes.
long Futex(uint32_t* addr, int op, uint32_t val, const struct timespec* ts) {
  return syscall(SYS_futex, addr, op, val, ts, nullptr, 0);
}

using Clock = std::chrono::steady_clock;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// The bounded spin before a sleeper goes to futex(2), in nanoseconds of
// wall time (not iterations: one `pause` costs 3 to 45 ns depending on the
// CPU). A busy peer's next batch usually lands within it, saving the two
// system calls of a sleep and a wake; an idle ring costs at most this much
// CPU per wait. OUTRIDER_RING_SPIN_NS overrides it at build time (0: no spin)
// for measurements; see docs/native.md for the figures behind the choice.
#ifndef OUTRIDER_RING_SPIN_NS
#define OUTRIDER_RING_SPIN_NS 10000
#endif
constexpr int64_t kSpinNanos = OUTRIDER_RING_SPIN_NS;

// Sleeps on word `off` while it still holds `expected`, marking `bit` in the
// waiters word for the duration. Returns false on timeout.
bool SleepOn(uint8_t* base, uint32_t off, uint32_t expected, uint32_t bit, Clock::time_point deadline,
             bool forever) {
  if (kSpinNanos > 0) {
    auto spin_until = Clock::now() + std::chrono::nanoseconds(kSpinNanos);
    for (uint32_t i = 1;; ++i) {
      if (LoadAcquire(base, off) != expected || LoadAcquire(base, kOffClosed) != 0) return true;
      CpuRelax();
      // The clock (vDSO, ~20 ns) is read every 16 pauses.
      if ((i & 15u) == 0 && Clock::now() >= spin_until) break;
    }
  }
  __atomic_fetch_or(Word(base, kOffWaiters), bit, __ATOMIC_SEQ_CST);
  bool ok = true;
  if (LoadSeqCst(base, off) == expected && LoadSeqCst(base, kOffClosed) == 0) {
    struct timespec ts;
    struct timespec* tsp = nullptr;
    if (!forever) {
      auto left = deadline - Clock::now();
      if (left <= Clock::duration::zero()) {
        ok = false;
      } else {
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
        ts.tv_sec = static_cast<time_t>(ns / 1000000000);
        ts.tv_nsec = static_cast<long>(ns % 1000000000);
        tsp = &ts;
      }
    }
    if (ok) {
      long rc = Futex(Word(base, off), FUTEX_WAIT, expected, tsp);
      if (rc != 0 && errno == ETIMEDOUT) ok = false;
    }
  }
  __atomic_fetch_and(Word(base, kOffWaiters), ~bit, __ATOMIC_SEQ_CST);
  return ok;
}

}  // namespace

void Initialise(uint8_t* base, uint32_t capacity) {
  assert(IsValidCapacity(capacity));
  std::memset(base, 0, kHeaderBytes);
  *Word(base, kOffMagic) = kMagic;
  *Word(base, kOffVersion) = kVersion;
  // Released last: whoever sees the capacity sees the whole header.
  StoreRelease(base, kOffCapacity, capacity);
}

bool Validate(const uint8_t* base, size_t total_bytes) {
  if (base == nullptr || total_bytes < kHeaderBytes) return false;
  if ((reinterpret_cast<uintptr_t>(base) & 3u) != 0) return false;
  uint32_t magic = LoadAcquire(base, kOffMagic);
  uint32_t version = LoadAcquire(base, kOffVersion);
  uint32_t capacity = LoadAcquire(base, kOffCapacity);
  return magic == kMagic && version == kVersion && IsValidCapacity(capacity) &&
         total_bytes >= static_cast<size_t>(kHeaderBytes) + capacity;
}

void FutexWake(uint8_t* base, uint32_t offset) { Futex(Word(base, offset), FUTEX_WAKE, INT32_MAX, nullptr); }

Producer::Producer(uint8_t* base)
    : base_(base),
      data_(base + kHeaderBytes),
      capacity_(LoadAcquire(base, kOffCapacity)),
      mask_(capacity_ - 1),
      max_len_(MaxRecordLength(capacity_)),
      write_(LoadAcquire(base, kOffWrite)),
      cached_read_(LoadAcquire(base, kOffRead)) {}

bool Producer::Reserve(uint32_t total, uint32_t* pos) {
  uint32_t off = write_ & mask_;
  uint32_t to_end = capacity_ - off;
  uint32_t need = total <= to_end ? total : to_end + total;
  if (capacity_ - (write_ - cached_read_) < need) {
    cached_read_ = LoadAcquire(base_, kOffRead);
    if (capacity_ - (write_ - cached_read_) < need) return false;
  }
  if (total > to_end) {
    uint32_t marker = kWrapMarker;
    // to_end < 4 only if JS corrupted the counters: never write past the end.
    if (to_end >= 4) std::memcpy(data_ + off, &marker, 4);
    write_ += to_end;
  }
  *pos = write_ & mask_;
  return true;
}

uint32_t Producer::Publish() {
  // Sequentially consistent store then load: pairs with the consumer's
  // "set waiter bit, then re-check write" so a sleeper is never missed.
  __atomic_store_n(Word(base_, kOffWrite), write_, __ATOMIC_SEQ_CST);
  uint32_t waiters = LoadSeqCst(base_, kOffWaiters);
  if ((waiters & kWaitDataFutex) != 0) FutexWake(base_, kOffWrite);
  return waiters & kWaitDataAtomics;
}

bool Producer::TryPush(const void* data, uint32_t len) {
  if (!TryStage(data, len)) return false;
  Publish();
  return true;
}

WaitResult Producer::WaitForSpace(uint32_t len, int64_t timeout_ms) {
  bool forever = timeout_ms < 0;
  auto deadline = Clock::now() + std::chrono::milliseconds(forever ? 0 : timeout_ms);
  uint32_t total = RecordSize(len);
  for (;;) {
    if (LoadAcquire(base_, kOffClosed) != 0) return WaitResult::kClosed;
    uint32_t read = LoadSeqCst(base_, kOffRead);
    uint32_t off = write_ & mask_;
    uint32_t to_end = capacity_ - off;
    uint32_t need = total <= to_end ? total : to_end + total;
    if (capacity_ - (write_ - read) >= need) {
      cached_read_ = read;
      return WaitResult::kReady;
    }
    if (!SleepOn(base_, kOffRead, read, kWaitSpaceFutex, deadline, forever)) return WaitResult::kTimedOut;
  }
}

void Producer::Close() {
  Publish();
  __atomic_store_n(Word(base_, kOffClosed), 1u, __ATOMIC_SEQ_CST);
  // Wake every futex sleeper so it observes `closed`.
  FutexWake(base_, kOffWrite);
  FutexWake(base_, kOffRead);
}

Consumer::Consumer(uint8_t* base)
    : base_(base),
      data_(base + kHeaderBytes),
      capacity_(LoadAcquire(base, kOffCapacity)),
      mask_(capacity_ - 1),
      read_(LoadAcquire(base, kOffRead)),
      cached_write_(LoadAcquire(base, kOffWrite)) {}

uint32_t Consumer::Release(uint32_t new_read) {
  read_ = new_read;
  __atomic_store_n(Word(base_, kOffRead), new_read, __ATOMIC_SEQ_CST);
  uint32_t waiters = LoadSeqCst(base_, kOffWaiters);
  if ((waiters & kWaitSpaceFutex) != 0) FutexWake(base_, kOffRead);
  return waiters & kWaitSpaceAtomics;
}

WaitResult Consumer::WaitForData(int64_t timeout_ms) {
  bool forever = timeout_ms < 0;
  auto deadline = Clock::now() + std::chrono::milliseconds(forever ? 0 : timeout_ms);
  for (;;) {
    uint32_t write = LoadSeqCst(base_, kOffWrite);
    if (write != read_) {
      cached_write_ = write;
      return WaitResult::kReady;
    }
    if (LoadAcquire(base_, kOffClosed) != 0) return WaitResult::kClosed;
    if (!SleepOn(base_, kOffWrite, write, kWaitDataFutex, deadline, forever)) return WaitResult::kTimedOut;
  }
}

}  // namespace ring
}  // namespace outrider
