#include "statsd/parser.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace outrider {
namespace statsd {

const char* ReasonName(Reason r) {
  switch (r) {
    case Reason::kOk: return "ok";
    case Reason::kNoValue: return "no_value";
    case Reason::kEmptyName: return "empty_name";
    case Reason::kNoType: return "no_type";
    case Reason::kBadType: return "bad_type";
    case Reason::kBadValue: return "bad_value";
    case Reason::kBadSampleRate: return "bad_sample_rate";
    case Reason::kBadTimestamp: return "bad_timestamp";
    case Reason::kNegativeCounter: return "negative_counter";
    case Reason::kBadEvent: return "bad_event";
    case Reason::kBadServiceCheck: return "bad_service_check";
    case Reason::kCount: break;
  }
  return "unknown";
}

const char* SkipName(Skip s) {
  switch (s) {
    case Skip::kEmptyValue: return "empty_value";
    case Skip::kEmptyTagValue: return "empty_tag_value";
    case Skip::kValuelessTag: return "valueless_tag";
    case Skip::kCount: break;
  }
  return "unknown";
}

const char* MetricTypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter: return "c";
    case MetricType::kGauge: return "g";
    case MetricType::kTimer: return "ms";
    case MetricType::kHistogram: return "h";
    case MetricType::kSet: return "s";
    case MetricType::kDistribution: return "d";
  }
  return "?";
}

namespace {

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// [+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?
bool ValidNumber(std::string_view s) {
  size_t i = 0, n = s.size();
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < n && IsDigit(s[i])) ++i, ++int_digits;
  if (i < n && s[i] == '.') {
    ++i;
    while (i < n && IsDigit(s[i])) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < n && IsDigit(s[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == n;
}

bool ParseType(std::string_view t, MetricType* out) {
  if (t.size() == 1) {
    switch (t[0]) {
      case 'c': *out = MetricType::kCounter; return true;
      case 'g': *out = MetricType::kGauge; return true;
      case 'h': *out = MetricType::kHistogram; return true;
      case 's': *out = MetricType::kSet; return true;
      case 'd': *out = MetricType::kDistribution; return true;
      default: return false;
    }
  }
  if (t == "ms") {
    *out = MetricType::kTimer;
    return true;
  }
  return false;
}

Reason ParseEvent(std::string_view line) {
  // _e{<title bytes>,<text bytes>}:<title>|<text>|...
  size_t close = line.find("}:");
  if (close == std::string_view::npos) return Reason::kBadEvent;
  std::string_view lens = line.substr(3, close - 3);
  size_t comma = lens.find(',');
  if (comma == std::string_view::npos) return Reason::kBadEvent;
  std::string_view a = lens.substr(0, comma), b = lens.substr(comma + 1);
  if (a.empty() || b.empty() || b.find(',') != std::string_view::npos) return Reason::kBadEvent;
  for (char c : a) if (!IsDigit(c)) return Reason::kBadEvent;
  for (char c : b) if (!IsDigit(c)) return Reason::kBadEvent;
  if (a.size() > 9 || b.size() > 9) return Reason::kBadEvent;
  size_t tlen = 0, xlen = 0;
  std::from_chars(a.data(), a.data() + a.size(), tlen);
  std::from_chars(b.data(), b.data() + b.size(), xlen);
  std::string_view body = line.substr(close + 2);
  if (tlen == 0 || body.size() < tlen + 1 + xlen || body[tlen] != '|') return Reason::kBadEvent;
  return Reason::kOk;
}

Reason ParseServiceCheck(std::string_view line, ParsedLine* out) {
  // _sc|<name>|<status>|...
  std::string_view rest = line.substr(4);
  size_t bar = rest.find('|');
  if (bar == std::string_view::npos || bar == 0) return Reason::kBadServiceCheck;
  std::string_view status = rest.substr(bar + 1);
  size_t bar2 = status.find('|');
  if (bar2 != std::string_view::npos) status = status.substr(0, bar2);
  if (status.size() != 1 || status[0] < '0' || status[0] > '3') return Reason::kBadServiceCheck;
  out->name = rest.substr(0, bar);
  out->status = status[0] - '0';
  return Reason::kOk;
}

}  // namespace

bool ParseNumber(std::string_view s, double* out) {
  // Fast path: short unsigned integers (most counter and timer values).
  if (!s.empty() && s.size() <= 15) {
    uint64_t v = 0;
    size_t i = 0;
    for (; i < s.size() && IsDigit(s[i]); ++i) v = v * 10 + static_cast<uint64_t>(s[i] - '0');
    if (i == s.size()) {
      *out = static_cast<double>(v);
      return true;
    }
  }
  if (!ValidNumber(s)) return false;
  if (s[0] == '+') s.remove_prefix(1);
  double v = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size() || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

// Keeps only "key:value" tags (a tag "key" or "key:" cannot become a label:
// dropped and counted), sorted, comma-joined.
void Parser::CanonicalTags(std::string_view raw, ParsedLine* line) {
  std::string* out = &line->tags;
  out->clear();
  scratch_.clear();
  size_t start = 0;
  while (start <= raw.size()) {
    size_t end = raw.find(',', start);
    if (end == std::string_view::npos) end = raw.size();
    if (end > start) {
      std::string_view tag = raw.substr(start, end - start);
      size_t colon = tag.find(':');
      if (colon != std::string_view::npos && colon > 0 && colon + 1 < tag.size()) {
        scratch_.push_back(tag);
      } else if (colon != std::string_view::npos && colon > 0) {
        line->skipped[static_cast<size_t>(Skip::kEmptyTagValue)]++;
      } else {
        line->skipped[static_cast<size_t>(Skip::kValuelessTag)]++;
      }
    }
    start = end + 1;
  }
  // Same order as JS's default sort on these strings for ASCII; tags are
  // compared bytewise here (UTF-16 order in JS differs only beyond the BMP).
  if (!std::is_sorted(scratch_.begin(), scratch_.end())) std::sort(scratch_.begin(), scratch_.end());
  for (size_t i = 0; i < scratch_.size(); ++i) {
    if (i) out->push_back(',');
    out->append(scratch_[i].data(), scratch_[i].size());
  }
}

Reason Parser::Parse(std::string_view line, ParsedLine* out) {
  out->kind = LineKind::kMetric;
  if (!line.empty() && line[0] == '_') {
    if (line.substr(0, 3) == "_e{") {
      out->kind = LineKind::kEvent;
      return ParseEvent(line);
    }
    if (line.substr(0, 4) == "_sc|") {
      out->kind = LineKind::kServiceCheck;
      return ParseServiceCheck(line, out);
    }
  }
  size_t bar = line.find('|');
  std::string_view head = bar == std::string_view::npos ? line : line.substr(0, bar);
  size_t colon = head.find(':');
  if (colon == std::string_view::npos) return Reason::kNoValue;
  if (colon == 0) return Reason::kEmptyName;
  if (bar == std::string_view::npos) return Reason::kNoType;
  out->name = head.substr(0, colon);
  std::string_view rest = head.substr(colon + 1);
  size_t bar2 = line.find('|', bar + 1);
  std::string_view type_text = bar2 == std::string_view::npos ? line.substr(bar + 1) : line.substr(bar + 1, bar2 - bar - 1);
  if (!ParseType(type_text, &out->type)) return Reason::kBadType;
  out->values.clear();
  out->member = std::string_view();
  out->relative = false;
  out->sample_rate = 1;
  out->timestamp = 0;
  out->tags.clear();
  for (auto& n : out->skipped) n = 0;
  if (out->type == MetricType::kSet) {
    if (rest.empty()) return Reason::kBadValue;
    out->member = rest;
  } else {
    size_t start = 0;
    for (;;) {
      size_t end = rest.find(':', start);
      std::string_view text = end == std::string_view::npos ? rest.substr(start) : rest.substr(start, end - start);
      if (text.empty() && !rest.empty()) {
        // An empty member of a packed line ("a:1::2|h") is skipped, as the
        // Datadog agent does.
        out->skipped[static_cast<size_t>(Skip::kEmptyValue)]++;
      } else {
        double v;
        if (!ParseNumber(text, &v)) return Reason::kBadValue;
        // A counter only goes up: a negative increment reads as a reset.
        if (out->type == MetricType::kCounter && v < 0) return Reason::kNegativeCounter;
        out->values.push_back(v);
        if (out->type == MetricType::kGauge && (text[0] == '+' || text[0] == '-')) out->relative = true;
      }
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
    if (out->values.empty()) return Reason::kBadValue;
  }
  size_t pos = bar2;
  while (pos != std::string_view::npos) {
    size_t next = line.find('|', pos + 1);
    std::string_view field = next == std::string_view::npos ? line.substr(pos + 1) : line.substr(pos + 1, next - pos - 1);
    pos = next;
    if (field.empty()) continue;
    if (field[0] == '@') {
      double r;
      if (!ParseNumber(field.substr(1), &r) || !(r > 0 && r <= 1)) return Reason::kBadSampleRate;
      out->sample_rate = r;
    } else if (field[0] == '#') {
      CanonicalTags(field.substr(1), out);
    } else if (field[0] == 'T') {
      std::string_view ts = field.substr(1);
      if (ts.empty() || ts.size() > 12) return Reason::kBadTimestamp;
      for (char c : ts) if (!IsDigit(c)) return Reason::kBadTimestamp;
      uint64_t t = 0;
      std::from_chars(ts.data(), ts.data() + ts.size(), t);
      out->timestamp = t;
    }
    // "c:" container id, "e:" external data, "card:" cardinality and
    // unknown fields are skipped.
  }
  return Reason::kOk;
}

}  // namespace statsd
}  // namespace outrider
