#include "statsd/ddsketch.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace outrider {
namespace statsd {

void DenseStore::Add(int32_t index, double weight) {
  if (counts_.empty()) {
    offset_ = index;
    counts_.push_back(weight);
    return;
  }
  if (index < offset_) {
    // Clamp instead of growing below the collapse bound.
    if (counts_.size() >= static_cast<size_t>(kMaxBuckets)) {
      counts_[0] += weight;
      return;
    }
    counts_.insert(counts_.begin(), static_cast<size_t>(offset_ - index), 0.0);
    offset_ = index;
  } else if (index >= offset_ + static_cast<int32_t>(counts_.size())) {
    counts_.resize(static_cast<size_t>(index - offset_) + 1, 0.0);
  }
  counts_[static_cast<size_t>(index - offset_)] += weight;
  if (counts_.size() > static_cast<size_t>(kMaxBuckets)) Collapse();
}

// Folds the lowest buckets into the lowest kept one (the TS twin does the same
// on its sparse form: only non-empty buckets count there, so a dense store may
// collapse earlier; accuracy of the high quantiles is unaffected either way).
void DenseStore::Collapse() {
  size_t excess = counts_.size() - static_cast<size_t>(kMaxBuckets);
  double acc = 0;
  for (size_t k = 0; k < excess; ++k) acc += counts_[k];
  counts_.erase(counts_.begin(), counts_.begin() + static_cast<std::ptrdiff_t>(excess));
  counts_[0] += acc;
  offset_ += static_cast<int32_t>(excess);
}

DDSketch::DDSketch()
    : gamma_((1 + kRelativeAccuracy) / (1 - kRelativeAccuracy)),
      ln_gamma_(std::log(gamma_)),
      min_(std::numeric_limits<double>::infinity()),
      max_(-std::numeric_limits<double>::infinity()) {}

int32_t DDSketch::Index(double magnitude) const {
  return static_cast<int32_t>(std::ceil(std::log(magnitude) / ln_gamma_));
}

double DDSketch::Value(int32_t index) const { return 2 * std::pow(gamma_, index) / (gamma_ + 1); }

void DDSketch::Add(double x, double weight) {
  if (!std::isfinite(x) || !(weight > 0)) return;
  if (x > kMinIndexable) {
    pos_.Add(Index(x), weight);
  } else if (x < -kMinIndexable) {
    neg_.Add(Index(-x), weight);
  } else {
    zero_ += weight;
  }
  count_ += weight;
  sum_ += x * weight;
  if (x < min_) min_ = x;
  if (x > max_) max_ = x;
}

double DDSketch::Quantile(double q) const {
  if (count_ == 0 || !(q >= 0 && q <= 1)) return std::numeric_limits<double>::quiet_NaN();
  if (q == 0) return min_;
  if (q == 1) return max_;
  double rank = q * (count_ - 1);
  double seen = 0;
  const auto& nc = neg_.counts();
  for (size_t k = nc.size(); k-- > 0;) {
    seen += nc[k];
    if (seen > rank) return std::clamp(-Value(neg_.offset() + static_cast<int32_t>(k)), min_, max_);
  }
  seen += zero_;
  if (seen > rank) return std::clamp(0.0, min_, max_);
  const auto& pc = pos_.counts();
  for (size_t k = 0; k < pc.size(); ++k) {
    seen += pc[k];
    if (seen > rank) return std::clamp(Value(pos_.offset() + static_cast<int32_t>(k)), min_, max_);
  }
  return max_;
}

}  // namespace statsd
}  // namespace outrider
