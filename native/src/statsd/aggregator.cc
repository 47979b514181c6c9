#include "statsd/aggregator.h"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace outrider {
namespace statsd {

void Stats::Merge(const Stats& o) {
  packets += o.packets;
  bytes += o.bytes;
  lines += o.lines;
  too_large += o.too_large;
  events += o.events;
  for (int i = 0; i < 4; ++i) service_checks[i] += o.service_checks[i];
  overflow += o.overflow;
  for (size_t i = 0; i < static_cast<size_t>(Reason::kCount); ++i) invalid[i] += o.invalid[i];
  for (size_t i = 0; i < static_cast<size_t>(Skip::kCount); ++i) skipped[i] += o.skipped[i];
  for (const auto& s : o.samples) {
    if (samples.size() >= 5) break;
    samples.push_back(s);
  }
}

// Lines are handled in batches of three passes, so the cache misses of a
// packet's table lookups overlap instead of queueing: parse every line and
// prefetch its index entry; resolve every slot and prefetch it; apply in
// line order (so gauges keep their last-wins order).
void Aggregator::IngestPacket(const char* data, size_t len) {
  stats_.packets++;
  stats_.bytes += len;
  const char* p = data;
  const char* end = data + len;
  size_t n = 0;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* line_end = nl ? nl : end;
    size_t m = static_cast<size_t>(line_end - p);
    if (m > 0 && p[m - 1] == '\r') --m;
    if (m > 0 && Stage(std::string_view(p, m), &pending_[n])) {
      index_.Prefetch(pending_[n].hash);
      if (++n == kBatch) {
        Flush(n);
        n = 0;
      }
    }
    p = nl ? nl + 1 : end;
  }
  if (n) Flush(n);
}

void Aggregator::IngestLine(std::string_view text) {
  if (Stage(text, &pending_[0])) Flush(1);
}

bool Aggregator::Stage(std::string_view text, Pending* pd) {
  ParsedLine& line = pd->line;
  Reason r = parser_.Parse(text, &line);
  if (r != Reason::kOk) {
    stats_.invalid[static_cast<size_t>(r)]++;
    if (stats_.samples.size() < 5) {
      std::string sample(text.substr(0, 200));
      if (text.size() > 200) sample += "...";
      stats_.samples.emplace_back(r, std::move(sample));
    }
    return false;
  }
  if (line.kind == LineKind::kEvent) {
    stats_.events++;
    return false;
  }
  if (line.kind == LineKind::kServiceCheck) {
    stats_.service_checks[line.status]++;
    return false;
  }
  for (size_t i = 0; i < static_cast<size_t>(Skip::kCount); ++i) stats_.skipped[i] += line.skipped[i];
  std::string& key = pd->key;
  key.clear();
  if (line.timestamp) key.push_back('T');
  const char* type = MetricTypeName(line.type);
  key.push_back(type[0]);
  if (type[1]) key.push_back(type[1]);
  key.push_back('|');
  key.append(line.name.data(), line.name.size());
  key.push_back('|');
  key.append(line.tags);
  pd->hash = FlatIndex::Hash(key);
  return true;
}

uint32_t Aggregator::FindOrInsert(Pending* pd) {
  uint32_t at = index_.Find(pd->key, pd->hash, [this](uint32_t i) { return slots_[i].key(); });
  if (at != FlatIndex::kNone) return at;
  if (slots_.size() >= max_keys_) return FlatIndex::kNone;
  const ParsedLine& line = pd->line;
  at = static_cast<uint32_t>(slots_.size());
  Slot& s = slots_.Add(pd->key);
  index_.Insert(pd->key, pd->hash, at);
  s.type = line.type;
  s.relative = line.type == MetricType::kGauge;
  if (line.type == MetricType::kTimer || line.type == MetricType::kHistogram || line.type == MetricType::kDistribution) {
    s.sketch = std::make_unique<DDSketch>();
  } else if (line.type == MetricType::kSet) {
    s.members = std::make_unique<std::unordered_set<std::string>>();
  }
  return at;
}

void Aggregator::Flush(size_t n) {
  for (size_t i = 0; i < n; ++i) {
    pending_[i].slot = FindOrInsert(&pending_[i]);
    if (pending_[i].slot != FlatIndex::kNone) __builtin_prefetch(&slots_[pending_[i].slot]);
  }
  for (size_t i = 0; i < n; ++i) {
    if (pending_[i].slot == FlatIndex::kNone) {
      stats_.overflow++;
      continue;
    }
    Apply(pending_[i].line, &slots_[pending_[i].slot]);
  }
}

void Aggregator::Apply(const ParsedLine& line, Slot* sp) {
  Slot& s = *sp;
  stats_.lines++;
  if (line.timestamp) s.timestamp = std::max(s.timestamp, line.timestamp);
  switch (line.type) {
    case MetricType::kCounter:
      for (double v : line.values) s.value += v / line.sample_rate;
      break;
    case MetricType::kGauge:
      for (double v : line.values) {
        if (line.relative) {
          s.value += v;
        } else {
          s.value = v;
          s.relative = false;
        }
      }
      break;
    case MetricType::kSet:
      s.members->emplace(line.member);
      s.value = static_cast<double>(s.members->size());
      break;
    default: {
      double scale = line.type == MetricType::kTimer ? 0.001 : 1.0;
      double weight = 1.0 / line.sample_rate;
      for (double v : line.values) s.sketch->Add(v * scale, weight);
    }
  }
}

std::string_view Slot::Name() const {
  std::string_view k = key();
  size_t a = k.find('|');
  size_t b = k.find('|', a + 1);
  return k.substr(a + 1, b - a - 1);
}

std::string_view Slot::Tags() const {
  std::string_view k = key();
  size_t a = k.find('|');
  size_t b = k.find('|', a + 1);
  return k.substr(b + 1);
}

Slot& Slots::Add(std::string_view key) {
  char* at;
  if (key.size() > kBlock / 8) {
    // A long key gets a block of its own, placed before the block being
    // filled so that block's free tail stays usable.
    std::unique_ptr<char[]> own(new char[key.size()]);
    at = own.get();
    blocks_.insert(blocks_.empty() ? blocks_.end() : blocks_.end() - 1, std::move(own));
  } else {
    if (blocks_.empty() || kBlock - used_ < key.size()) {
      blocks_.emplace_back(new char[kBlock]);
      used_ = 0;
    }
    at = blocks_.back().get() + used_;
    used_ += key.size();
  }
  if (!key.empty()) std::memcpy(at, key.data(), key.size());
  slots_.emplace_back();
  Slot& s = slots_.back();
  s.key_data = at;
  s.key_len = static_cast<uint32_t>(key.size());
  return s;
}

void Slots::Append(Slots* o) {
  if (empty() && blocks_.empty()) {
    swap(*o);
    return;
  }
  for (Slot& s : o->slots_) slots_.push_back(std::move(s));
  // o's blocks go before this one's block being filled.
  blocks_.insert(blocks_.empty() ? blocks_.end() : blocks_.end() - 1, std::make_move_iterator(o->blocks_.begin()),
                 std::make_move_iterator(o->blocks_.end()));
  o->clear();
}

void Slots::PopFront(size_t n) { slots_.erase(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(n)); }

void Slots::Truncate(size_t n) {
  if (n < slots_.size()) slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(n), slots_.end());
}

void Slots::clear() {
  std::deque<Slot>().swap(slots_);
  std::vector<std::unique_ptr<char[]>>().swap(blocks_);
  used_ = kBlock;
}

void Slots::swap(Slots& o) noexcept {
  slots_.swap(o.slots_);
  blocks_.swap(o.blocks_);
  std::swap(used_, o.used_);
}

void Aggregator::Drain(Slots* slots, Stats* stats) {
  size_t n = slots_.size();
  slots->Append(&slots_);
  index_.Clear(n);
  stats->Merge(stats_);
  stats_ = Stats();
}

}  // namespace statsd
}  // namespace outrider
