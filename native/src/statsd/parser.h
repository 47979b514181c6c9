// StatsD / DogStatsD line parser (protocol up to v1.6), the C++ twin of
// agent/collectors/statsd/parse.ts; the grammar is documented there. A line is
// either accepted whole or refused with a Reason; nothing here allocates per
// line once the scratch buffers have grown. No Node-API.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace outrider {
namespace statsd {

enum class Reason : uint8_t {
  kOk = 0,
  kNoValue,
  kEmptyName,
  kNoType,
  kBadType,
  kBadValue,
  kBadSampleRate,
  kBadTimestamp,
  kNegativeCounter,
  kBadEvent,
  kBadServiceCheck,
  kCount
};

// Same spelling as the TS twin's InvalidReason (metric label values).
const char* ReasonName(Reason r);

// Parts of an accepted line that were left out (the TS twin's SkipReason).
enum class Skip : uint8_t { kEmptyValue = 0, kEmptyTagValue, kValuelessTag, kCount };
const char* SkipName(Skip s);

enum class LineKind : uint8_t { kMetric, kEvent, kServiceCheck };

// Wire type; the char is what the TS side calls the type ("c", "ms", ...).
enum class MetricType : uint8_t { kCounter, kGauge, kTimer, kHistogram, kSet, kDistribution };
const char* MetricTypeName(MetricType t);

struct ParsedLine {
  LineKind kind = LineKind::kMetric;
  std::string_view name;
  MetricType type = MetricType::kCounter;
  std::vector<double> values;
  std::string_view member;  // sets
  bool relative = false;    // gauge "+n"/"-n"
  double sample_rate = 1;
  uint64_t timestamp = 0;
  std::string tags;  // canonical: sorted, comma-joined, only "key:value" tags
  int status = 0;    // service checks
  // Left out of the line, by Skip: empty packed values, tags "key:" and "key".
  uint32_t skipped[static_cast<size_t>(Skip::kCount)] = {0, 0, 0};
};

// Parses a decimal number as StatsD clients write it; false for anything else
// (hex, inf, nan, empty, out of range).
bool ParseNumber(std::string_view s, double* out);

class Parser {
 public:
  // `line` has no newline. Fills `out` (reused between calls).
  Reason Parse(std::string_view line, ParsedLine* out);

 private:
  void CanonicalTags(std::string_view raw, ParsedLine* out);
  std::vector<std::string_view> scratch_;
};

}  // namespace statsd
}  // namespace outrider
