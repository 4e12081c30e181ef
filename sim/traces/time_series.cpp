#include "traces/time_series.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"

namespace dcsim::traces {

TimeSeries::TimeSeries(std::vector<double> times_s, std::vector<double> values, Interp interp,
                       std::vector<std::uint8_t> flags)
    : t_(std::move(times_s)), v_(std::move(values)), flags_(std::move(flags)), interp_(interp) {
  if (t_.size() != v_.size())
    throw InvariantError("TimeSeries: " + std::to_string(t_.size()) + " times but " +
                         std::to_string(v_.size()) + " values");
  if (flags_.empty()) flags_.assign(t_.size(), kPointOriginal);
  if (flags_.size() != t_.size())
    throw InvariantError("TimeSeries: flags size differs from points");
  if (t_.size() >= std::numeric_limits<std::uint32_t>::max())
    throw InvariantError("TimeSeries: too many points");
  for (std::size_t i = 0; i < t_.size(); ++i) {
    if (!std::isfinite(t_[i]) || !std::isfinite(v_[i]))
      throw InvariantError("TimeSeries: non-finite time or value at point " + std::to_string(i));
    if (i > 0 && !(t_[i] > t_[i - 1]))
      throw InvariantError("TimeSeries: times not strictly increasing at point " +
                           std::to_string(i));
  }
  build_();
}

TimeSeries TimeSeries::constant(double value) {
  return TimeSeries({0.0}, {value});
}

void TimeSeries::set_interp(Interp interp) {
  interp_ = interp;
  build_();
}

void TimeSeries::build_() {
  const std::size_t n = t_.size();
  cum_.assign(n, 0.0);
  for (std::size_t i = 1; i < n; ++i) {
    const double dt = t_[i] - t_[i - 1];
    cum_[i] =
        cum_[i - 1] + (interp_ == Interp::step ? v_[i - 1] * dt : 0.5 * (v_[i - 1] + v_[i]) * dt);
  }
  // Change points. Step: point j (j >= 1) where v_j != v_{j-1}. Linear: point j where the slope
  // on its left (0 before the first point) differs from the slope on its right (0 after the last).
  next_change_.assign(n + 1, static_cast<std::uint32_t>(n));
  auto slope = [&](std::size_t seg) {  // segment seg = [t_seg, t_seg+1]
    return (v_[seg + 1] - v_[seg]) / (t_[seg + 1] - t_[seg]);
  };
  for (std::size_t j = n; j-- > 0;) {
    bool change = false;
    if (interp_ == Interp::step) {
      change = j >= 1 && v_[j] != v_[j - 1];
    } else {
      const double left = j >= 1 ? slope(j - 1) : 0.0;
      const double right = j + 1 < n ? slope(j) : 0.0;
      change = left != right;
    }
    next_change_[j] = change ? static_cast<std::uint32_t>(j) : next_change_[j + 1];
  }
}

std::size_t TimeSeries::count_flagged(std::uint8_t mask) const {
  return static_cast<std::size_t>(std::count_if(
      flags_.begin(), flags_.end(), [mask](std::uint8_t f) { return (f & mask) != 0; }));
}

std::size_t TimeSeries::segment_of(Seconds t) const {
  const auto it = std::upper_bound(t_.begin(), t_.end(), t);
  return it == t_.begin() ? 0 : static_cast<std::size_t>(it - t_.begin()) - 1;
}

double TimeSeries::value_in_(std::size_t i, Seconds t) const {
  if (interp_ == Interp::step || t <= t_[i] || i + 1 >= t_.size()) return v_[i];
  return v_[i] + (v_[i + 1] - v_[i]) * (t - t_[i]) / (t_[i + 1] - t_[i]);
}

double TimeSeries::primitive_in_(std::size_t i, Seconds t) const {
  if (t < t_[i]) return (t - t_[i]) * v_[i];  // only i == 0: before the first point, hold v_0
  const double dt = t - t_[i];
  if (interp_ == Interp::step || i + 1 >= t_.size()) return cum_[i] + v_[i] * dt;
  const double ft = v_[i] + (v_[i + 1] - v_[i]) * dt / (t_[i + 1] - t_[i]);
  return cum_[i] + 0.5 * (v_[i] + ft) * dt;
}

double TimeSeries::value_at(Seconds t) const {
  if (t_.empty()) throw InvariantError("TimeSeries::value_at on an empty series");
  return value_in_(segment_of(t), t);
}

double TimeSeries::integral(Seconds t0, Seconds t1) const {
  if (t_.empty()) throw InvariantError("TimeSeries::integral on an empty series");
  return primitive_in_(segment_of(t1), t1) - primitive_in_(segment_of(t0), t0);
}

double TimeSeries::mean_over(Seconds t0, Seconds t1) const {
  if (t1 == t0) return value_at(t0);
  return integral(t0, t1) / (t1 - t0);
}

Seconds TimeSeries::next_change_from_(std::size_t j) const {
  if (j >= t_.size()) return kNever;
  const std::uint32_t k = next_change_[j];
  return k < t_.size() ? t_[k] : kNever;
}

Seconds TimeSeries::next_change_after(Seconds t) const {
  const auto it = std::upper_bound(t_.begin(), t_.end(), t);
  return next_change_from_(static_cast<std::size_t>(it - t_.begin()));
}

TimeSeries::Stats TimeSeries::stats(bool include_filled) const {
  Stats s;
  double sum = 0;
  for (std::size_t i = 0; i < v_.size(); ++i) {
    if (!include_filled && (flags_[i] & (kPointFilledEmpty | kPointFilledGap)) != 0) continue;
    if (s.count == 0) s.min = s.max = v_[i];
    s.min = std::min(s.min, v_[i]);
    s.max = std::max(s.max, v_[i]);
    sum += v_[i];
    ++s.count;
  }
  s.mean = s.count ? sum / static_cast<double>(s.count) : 0.0;
  return s;
}

// --- cursor ------------------------------------------------------------------------------------

std::size_t SeriesCursor::seek_(Seconds t) {
  const auto& tt = s_->t_;
  const std::size_t n = tt.size();
  if (n == 0) throw InvariantError("SeriesCursor on an empty series");
  if (i_ >= n) i_ = 0;
  if (t < tt[i_]) {
    i_ = s_->segment_of(t);
    return i_;
  }
  // Forward: a few linear steps (the common case is 0 or 1), then binary search on the rest.
  for (int k = 0; k < 8; ++k) {
    if (i_ + 1 >= n || tt[i_ + 1] > t) return i_;
    ++i_;
  }
  const auto it = std::upper_bound(tt.begin() + static_cast<std::ptrdiff_t>(i_), tt.end(), t);
  i_ = static_cast<std::size_t>(it - tt.begin()) - 1;
  return i_;
}

double SeriesCursor::integral(Seconds t0, Seconds t1) {
  if (t1 < t0) return -integral(t1, t0);
  const std::size_t i0 = seek_(t0);
  // Find t1's segment forward from t0's without moving the cursor (forecast windows look ahead).
  const auto& tt = s_->t_;
  std::size_t i1 = i0;
  int k = 0;
  while (i1 + 1 < tt.size() && tt[i1 + 1] <= t1 && k < 8) {
    ++i1;
    ++k;
  }
  if (k == 8 && i1 + 1 < tt.size() && tt[i1 + 1] <= t1) {
    const auto it = std::upper_bound(tt.begin() + static_cast<std::ptrdiff_t>(i1), tt.end(), t1);
    i1 = static_cast<std::size_t>(it - tt.begin()) - 1;
  }
  return s_->primitive_in_(i1, t1) - s_->primitive_in_(i0, t0);
}

double SeriesCursor::mean_over(Seconds t0, Seconds t1) {
  if (t1 == t0) return value_at(t0);
  return integral(t0, t1) / (t1 - t0);
}

Seconds SeriesCursor::next_change_after(Seconds t) {
  const std::size_t i = seek_(t);
  // Segment i has t_i <= t (or i == 0 and t < t_0); the first point strictly after t is i+1,
  // except before the first point, where it is point 0.
  const std::size_t j = (s_->t_[i] > t) ? i : i + 1;
  return s_->next_change_from_(j);
}

}  // namespace dcsim::traces
