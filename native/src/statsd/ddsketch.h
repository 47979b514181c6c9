// DDSketch, the C++ twin of agent/store/sketch.ts: same bucket mapping
// (i = ceil(ln|x| / ln gamma), gamma = (1 + a) / (1 - a), |x| <= 1e-9 counts
// as zero), same bound of kMaxBuckets per sign (the lowest buckets collapse),
// so sketches from both paths merge bucket for bucket.
//
// Buckets are dense: counts_[k] holds bucket offset_ + k. Timer and size
// distributions cluster within a few hundred buckets, so a vector beats a map.
#pragma once

#include <cstdint>
#include <vector>

namespace outrider {
namespace statsd {

constexpr double kRelativeAccuracy = 0.01;
constexpr double kMinIndexable = 1e-9;
constexpr int32_t kMaxBuckets = 2048;

class DenseStore {
 public:
  void Add(int32_t index, double weight);
  bool empty() const { return counts_.empty(); }
  int32_t offset() const { return offset_; }
  const std::vector<double>& counts() const { return counts_; }

 private:
  void Collapse();
  int32_t offset_ = 0;
  std::vector<double> counts_;
};

class DDSketch {
 public:
  DDSketch();
  void Add(double x, double weight);
  int32_t Index(double magnitude) const;
  double Value(int32_t index) const;
  double Quantile(double q) const;

  double count() const { return count_; }
  double sum() const { return sum_; }
  double min() const { return min_; }
  double max() const { return max_; }
  double zero() const { return zero_; }
  const DenseStore& positive() const { return pos_; }
  const DenseStore& negative() const { return neg_; }

 private:
  double gamma_;
  double ln_gamma_;
  DenseStore pos_;
  DenseStore neg_;
  double zero_ = 0;
  double count_ = 0;
  double sum_ = 0;
  double min_;
  double max_;
};

}  // namespace statsd
}  // namespace outrider
