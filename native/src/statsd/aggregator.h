// Per-interval aggregation of StatsD lines, the C++ twin of
// agent/collectors/statsd/aggregate.ts: one Slot per (type, name, canonical
// tags) seen since the last Drain, plus counters of what was received and
// refused. Cross-interval state (cumulative counters, gauges, mapping, limits)
// lives in TS. Not thread-safe: one thread ingests; Drain is called under the
// owner's lock. No Node-API.
#pragma once

#include <cstdint>
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
// during a flush): the small fields sit together at the end (72 bytes, not 80).
struct Slot {
  // The aggregation key "[T]<type>|<name>|<tags>" (name and tags never
  // contain '|').
  std::string key;
  std::string_view Name() const;
  std::string_view Tags() const;
  double value = 0;
  uint64_t timestamp = 0;
  std::unique_ptr<DDSketch> sketch;
  std::unique_ptr<std::unordered_set<std::string>> members;
  MetricType type = MetricType::kCounter;
  bool relative = true;
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
  void Drain(std::vector<Slot>* slots, Stats* stats);

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
  std::vector<Slot> slots_;
  Stats stats_;
};

}  // namespace statsd
}  // namespace outrider
