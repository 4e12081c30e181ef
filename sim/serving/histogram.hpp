#pragma once
// A latency histogram on a fixed logarithmic grid, shared by both fidelities so that their
// percentiles are computed the same way and merge exactly (per step → per run).
//
// Bins: [x_k, x_{k+1}) with x_k = 1e-5 s · r^k, r = 1.02, k = 0 … 1162 (1e-5 s to 1e5 s);
// values below or above fall into the first or last bin. A quantile is found by walking the
// cumulative weight and interpolating log-linearly inside the bin, so its relative error is
// below (r − 1)/2 = 1 % for values inside the grid. Weights are doubles: the aggregated
// fidelity adds fractional request counts.
#include <cstddef>
#include <vector>

#include "core/units.hpp"

namespace dcsim::serving {

class LatencyHistogram {
 public:
  static constexpr double kMinS = 1e-5;
  static constexpr double kRatio = 1.02;
  static constexpr std::size_t kBins = 1163;

  LatencyHistogram();
  void add(Seconds x, double weight = 1.0);
  // Adds `other` scaled by `scale` (a distribution normalised to 1 times a request count).
  void merge(const LatencyHistogram& other, double scale = 1.0);
  // Adds `other` scaled, every value delayed by `shift_s` (a queueing delay in front).
  void merge_shifted(const LatencyHistogram& other, double scale, Seconds shift_s);
  void clear();
  double count() const { return total_; }
  double sum() const { return sum_; }         // Σ weight·value
  double mean() const { return total_ > 0 ? sum_ / total_ : 0.0; }
  // The q-quantile (q in [0, 1]); 0 when empty.
  Seconds quantile(double q) const;
  // Weight of values ≤ x (interpolated inside x's bin).
  double weight_at_most(Seconds x) const;
  // Scales every weight (normalises when scale = 1/count()).
  void scale(double s);
  bool empty() const { return total_ <= 0; }

  static std::size_t bin_of(Seconds x);
  static Seconds bin_lower(std::size_t k);

 private:
  std::vector<double> w_;
  double total_ = 0;
  double sum_ = 0;
};

}  // namespace dcsim::serving
