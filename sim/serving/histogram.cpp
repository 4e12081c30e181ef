#include "serving/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace dcsim::serving {

namespace {
const double kLogRatio = std::log(LatencyHistogram::kRatio);
}

LatencyHistogram::LatencyHistogram() : w_(kBins, 0.0) {}

std::size_t LatencyHistogram::bin_of(Seconds x) {
  if (!(x > kMinS)) return 0;
  const double k = std::floor(std::log(x / kMinS) / kLogRatio);
  if (k >= static_cast<double>(kBins - 1)) return kBins - 1;
  return static_cast<std::size_t>(k);
}

Seconds LatencyHistogram::bin_lower(std::size_t k) {
  return kMinS * std::exp(kLogRatio * static_cast<double>(k));
}

void LatencyHistogram::add(Seconds x, double weight) {
  if (!(weight > 0)) return;
  w_[bin_of(x)] += weight;
  total_ += weight;
  sum_ += weight * x;
}

void LatencyHistogram::merge(const LatencyHistogram& o, double scale) {
  if (!(scale > 0) || o.total_ <= 0) return;
  for (std::size_t k = 0; k < kBins; ++k) w_[k] += o.w_[k] * scale;
  total_ += o.total_ * scale;
  sum_ += o.sum_ * scale;
}

void LatencyHistogram::merge_shifted(const LatencyHistogram& o, double scale, Seconds shift_s) {
  if (!(shift_s > 0)) return merge(o, scale);
  if (!(scale > 0) || o.total_ <= 0) return;
  for (std::size_t k = 0; k < kBins; ++k) {
    if (o.w_[k] <= 0) continue;
    const Seconds mid = bin_lower(k) * std::sqrt(kRatio);  // geometric centre of the bin
    w_[bin_of(mid + shift_s)] += o.w_[k] * scale;
  }
  total_ += o.total_ * scale;
  sum_ += (o.sum_ + o.total_ * shift_s) * scale;
}

void LatencyHistogram::clear() {
  std::fill(w_.begin(), w_.end(), 0.0);
  total_ = 0;
  sum_ = 0;
}

void LatencyHistogram::scale(double s) {
  for (double& v : w_) v *= s;
  total_ *= s;
  sum_ *= s;
}

Seconds LatencyHistogram::quantile(double q) const {
  if (total_ <= 0) return 0;
  const double target = std::clamp(q, 0.0, 1.0) * total_;
  double cum = 0;
  for (std::size_t k = 0; k < kBins; ++k) {
    const double w = w_[k];
    if (w <= 0) continue;
    if (cum + w >= target) {
      const double frac = std::clamp((target - cum) / w, 0.0, 1.0);
      return bin_lower(k) * std::exp(kLogRatio * frac);
    }
    cum += w;
  }
  return bin_lower(kBins - 1);
}

double LatencyHistogram::weight_at_most(Seconds x) const {
  const std::size_t b = bin_of(x);
  double cum = 0;
  for (std::size_t k = 0; k < b; ++k) cum += w_[k];
  const double lo = bin_lower(b);
  const double frac = x <= lo ? 0.0 : std::clamp(std::log(x / lo) / kLogRatio, 0.0, 1.0);
  return cum + w_[b] * frac;
}

}  // namespace dcsim::serving
