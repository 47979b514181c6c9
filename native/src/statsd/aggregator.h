// Per-interval aggregation of StatsD lines, the C++ twin of
// agent/collectors/statsd/aggregate.ts: one Slot per (type, name, canonical
// tags) seen since the last Drain, plus counters of what was received and
// refused. Cross-interval state (cumulative counters, gauges, mapping, limits)
// lives in TS. Not thread-safe: one thread ingests; Drain is called under the
// owner's lock. No Node-API.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "statsd/ddsketch.h"
#include "statsd/flat_index.h"
#include "statsd/parser.h"

namespace outrider {
namespace statsd {

// One per key per interval, 100k of them at a time (two intervals' worth
// during a flush): 48 bytes, the key's bytes in its Slots' key blocks.
struct Slot {
  // The aggregation key "[T]<type>|<name>|<tags>" (name and tags never
  // contain '|').
  std::string_view key() const { return std::string_view(key_data, key_len); }
  std::string_view Name() const;
  std::string_view Tags() const;
  const char* key_data = nullptr;
  uint32_t key_len = 0;
  MetricType type = MetricType::kCounter;
  bool relative = true;
  double value = 0;
  uint64_t timestamp = 0;
  std::unique_ptr<DDSketch> sketch;
  std::unique_ptr<std::unordered_set<std::string>> members;
};
static_assert(sizeof(Slot) == 48, "a slot is 48 bytes");

// An interval's slots and the bytes of their keys. The slots are a deque: it
// grows by small blocks and never copies what it holds (a vector held up to
// twice its slots while it doubled). The keys are packed into 64 KiB blocks
// (a std::string per slot cost its 32 bytes and a heap block of 32 or more).
// Key blocks live until clear(), so a slot moved between Slots objects by
// Append keeps its key.
class Slots {
 public:
  size_t size() const { return slots_.size(); }
  bool empty() const { return slots_.empty(); }
  Slot& operator[](size_t i) { return slots_[i]; }
  const Slot& operator[](size_t i) const { return slots_[i]; }
  std::deque<Slot>::iterator begin() { return slots_.begin(); }
  std::deque<Slot>::iterator end() { return slots_.end(); }
  std::deque<Slot>::const_iterator begin() const { return slots_.begin(); }
  std::deque<Slot>::const_iterator end() const { return slots_.end(); }

  // A new slot at the end whose key is a copy of `key`.
  Slot& Add(std::string_view key);
  // Moves every slot and key block of `o` to the end of this; `o` is left empty.
  void Append(Slots* o);
  // Frees the first n slots (their key bytes stay until clear()).
  void PopFront(size_t n);
  // Keeps the first n slots.
  void Truncate(size_t n);
  // Frees everything, key blocks included.
  void clear();
  void swap(Slots& o) noexcept;

 private:
  static constexpr size_t kBlock = 64 * 1024;
  std::deque<Slot> slots_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t used_ = kBlock;  // bytes taken of blocks_.back()
};

struct Stats {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t lines = 0;
  uint64_t too_large = 0;
  uint64_t events = 0;
  uint64_t service_checks[4] = {0, 0, 0, 0};
  uint64_t overflow = 0;
  uint64_t invalid[static_cast<size_t>(Reason::kCount)] = {};
  uint64_t skipped[static_cast<size_t>(Skip::kCount)] = {};
  std::vector<std::pair<Reason, std::string>> samples;

  void Merge(const Stats& o);
};

class Aggregator {
 public:
  explicit Aggregator(size_t max_keys) : max_keys_(max_keys) {}

  // One datagram: newline-separated lines, "\r\n" and a trailing newline tolerated.
  void IngestPacket(const char* data, size_t len);
  void IngestLine(std::string_view line);

  // Lines per packet processed in one batch (more are handled in further batches).
  static constexpr size_t kBatch = 128;

  // Moves everything since the last drain into the outputs (appending stats)
  // and starts a new interval.
  void Drain(Slots* slots, Stats* stats);

 private:
  // One parsed line waiting for its table update.
  struct Pending {
    ParsedLine line;
    std::string key;
    uint64_t hash = 0;
    uint32_t slot = 0;
  };

  // Parses `text` into pending_[n]; true when it is a metric to aggregate.
  bool Stage(std::string_view text, Pending* p);
  uint32_t FindOrInsert(Pending* p);
  void Apply(const ParsedLine& line, Slot* s);
  void Flush(size_t n);

  size_t max_keys_;
  Parser parser_;
  std::vector<Pending> pending_ = std::vector<Pending>(kBatch);
  FlatIndex index_;
  Slots slots_;
  Stats stats_;
};

}  // namespace statsd
}  // namespace outrider
