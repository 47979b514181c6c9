#include "statsd/aggregator.h"

#include <algorithm>
#include <cstring>

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
  for (const auto& s : o.samples) {
    if (samples.size() >= 5) break;
    samples.push_back(s);
  }
}

void Aggregator::IngestPacket(const char* data, size_t len) {
  stats_.packets++;
  stats_.bytes += len;
  const char* p = data;
  const char* end = data + len;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* line_end = nl ? nl : end;
    size_t n = static_cast<size_t>(line_end - p);
    if (n > 0 && p[n - 1] == '\r') --n;
    if (n > 0) IngestLine(std::string_view(p, n));
    p = nl ? nl + 1 : end;
  }
}

void Aggregator::IngestLine(std::string_view text) {
  Reason r = parser_.Parse(text, &line_);
  if (r != Reason::kOk) {
    stats_.invalid[static_cast<size_t>(r)]++;
    if (stats_.samples.size() < 5) {
      std::string sample(text.substr(0, 200));
      if (text.size() > 200) sample += "...";
      stats_.samples.emplace_back(r, std::move(sample));
    }
    return;
  }
  if (line_.kind == LineKind::kEvent) {
    stats_.events++;
    return;
  }
  if (line_.kind == LineKind::kServiceCheck) {
    stats_.service_checks[line_.status]++;
    return;
  }
  key_.clear();
  if (line_.timestamp) key_.push_back('T');
  key_.append(MetricTypeName(line_.type));
  key_.push_back('|');
  key_.append(line_.name.data(), line_.name.size());
  key_.push_back('|');
  key_.append(line_.tags);
  auto it = slots_.find(key_);
  if (it == slots_.end()) {
    if (slots_.size() >= max_keys_) {
      stats_.overflow++;
      return;
    }
    it = slots_.emplace(key_, Slot()).first;
    Slot& s = it->second;
    s.type = line_.type;
    s.relative = line_.type == MetricType::kGauge;
    if (line_.type == MetricType::kTimer || line_.type == MetricType::kHistogram || line_.type == MetricType::kDistribution) {
      s.sketch = std::make_unique<DDSketch>();
    } else if (line_.type == MetricType::kSet) {
      s.members = std::make_unique<std::unordered_set<std::string>>();
    }
  }
  stats_.lines++;
  Slot& s = it->second;
  if (line_.timestamp) s.timestamp = std::max(s.timestamp, line_.timestamp);
  switch (line_.type) {
    case MetricType::kCounter:
      for (double v : line_.values) s.value += v / line_.sample_rate;
      break;
    case MetricType::kGauge:
      for (double v : line_.values) {
        if (line_.relative) {
          s.value += v;
        } else {
          s.value = v;
          s.relative = false;
        }
      }
      break;
    case MetricType::kSet:
      s.members->emplace(line_.member);
      s.value = static_cast<double>(s.members->size());
      break;
    default: {
      double scale = line_.type == MetricType::kTimer ? 0.001 : 1.0;
      double weight = 1.0 / line_.sample_rate;
      for (double v : line_.values) s.sketch->Add(v * scale, weight);
    }
  }
}

std::string_view Slot::Name() const {
  size_t a = key.find('|');
  size_t b = key.find('|', a + 1);
  return std::string_view(key).substr(a + 1, b - a - 1);
}

std::string_view Slot::Tags() const {
  size_t a = key.find('|');
  size_t b = key.find('|', a + 1);
  return std::string_view(key).substr(b + 1);
}

void Aggregator::Drain(std::vector<Slot>* slots, Stats* stats) {
  slots->reserve(slots->size() + slots_.size());
  while (!slots_.empty()) {
    auto node = slots_.extract(slots_.begin());
    node.mapped().key = std::move(node.key());
    slots->push_back(std::move(node.mapped()));
  }
  stats->Merge(stats_);
  stats_ = Stats();
}

}  // namespace statsd
}  // namespace outrider
