#pragma once
// TimeSeries: sorted (time_s, value) points and an interpolation law between them.
//
// Law (documented in sim/traces/README.md):
//   step   f(t) = v_i            for t_i <= t < t_{i+1}   (hold: value of the last point at or
//   before t) linear f(t) = v_i + (v_{i+1} - v_i) (t - t_i) / (t_{i+1} - t_i) Outside the points
//   the series holds: f(t) = v_0 for t < t_0 and f(t) = v_{n-1} for t >= t_{n-1}. (Traces are first
//   aligned to the whole run span by traces/align.hpp, so holding only happens where a rule says so
//   and the TraceReport counts it.)
//
// Exact interval means: F(t) = ∫_{t_0}^{t} f is kept as prefix sums at the points (step: Σ v_i
// Δt_i, linear: trapezoids), so mean_over(t0, t1) = (F(t1) - F(t0)) / (t1 - t0) is exact for the
// law, with O(log n) per query (or O(1) amortised through a SeriesCursor).
//
// next_change_after(t) is the first point time > t at which f changes its value (step) or its
// slope (linear); runs of equal values are skipped through a precomputed index, so the engine
// schedules one trace event per real change (e.g. one per night for solar, not one per hour).
//
// Times are seconds: Unix seconds UTC for freshly loaded absolute traces, simulated seconds once
// aligned to a run (traces/align.hpp). Nothing here allocates after construction.
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "core/units.hpp"

namespace dcsim::traces {

enum class Interp { step, linear };

// Per-point provenance flags (bit set).
enum PointFlag : std::uint8_t {
  kPointOriginal = 0,
  kPointFilledEmpty = 1,      // the file had an empty/invalid cell here; value from the gap rule
  kPointFilledGap = 2,        // the file had no row at this time (missing timestamp); inserted
  kPointSourceEstimated = 4,  // the file itself marks the value as estimated (Electricity Maps)
};

inline constexpr Seconds kNever = std::numeric_limits<double>::infinity();

class SeriesCursor;

class TimeSeries {
 public:
  TimeSeries() = default;
  // times must be finite and strictly increasing, values finite, flags empty or of the same size;
  // otherwise throws InvariantError (loaders validate user data before building a series).
  TimeSeries(std::vector<double> times_s, std::vector<double> values, Interp interp = Interp::step,
             std::vector<std::uint8_t> flags = {});
  static TimeSeries constant(double value);

  std::size_t size() const { return t_.size(); }
  bool empty() const { return t_.empty(); }
  Interp interp() const { return interp_; }
  void set_interp(Interp interp);  // recomputes prefix sums and change index
  std::span<const double> times() const { return t_; }
  std::span<const double> values() const { return v_; }
  std::span<const std::uint8_t> flags() const { return flags_; }
  double time(std::size_t i) const { return t_[i]; }
  double value(std::size_t i) const { return v_[i]; }
  std::uint8_t flag(std::size_t i) const { return flags_[i]; }
  Seconds first_time() const { return t_.front(); }
  Seconds last_time() const { return t_.back(); }
  // Points carrying flag bits `mask` (any of them).
  std::size_t count_flagged(std::uint8_t mask) const;

  // Random access, O(log n). An empty series throws InvariantError.
  double value_at(Seconds t) const;
  // ∫_{t0}^{t1} f(t) dt (t1 < t0 gives the negative), O(log n).
  double integral(Seconds t0, Seconds t1) const;
  // Mean over [t0, t1); for t1 == t0 the value at t0.
  double mean_over(Seconds t0, Seconds t1) const;
  // First time > t where the value (step) or slope (linear) changes; kNever if none.
  Seconds next_change_after(Seconds t) const;

  // Statistics over the points (not time-weighted). include_filled = false skips filled points,
  // which is how published min/mean/max of a file with empty cells are computed.
  struct Stats {
    double min = 0, mean = 0, max = 0;
    std::size_t count = 0;
  };
  Stats stats(bool include_filled = true) const;

  // Index of the segment containing t: largest i with t_i <= t, or 0 if t < t_0. O(log n).
  std::size_t segment_of(Seconds t) const;

  SeriesCursor cursor() const;

 private:
  friend class SeriesCursor;
  void build_();
  double value_in_(std::size_t i, Seconds t) const;      // f(t) given segment i
  double primitive_in_(std::size_t i, Seconds t) const;  // F(t) given segment i
  Seconds next_change_from_(std::size_t j) const;        // first change point with index >= j

  std::vector<double> t_, v_, cum_;
  std::vector<std::uint8_t> flags_;
  std::vector<std::uint32_t> next_change_;  // smallest k >= j that is a change point (n = none)
  Interp interp_ = Interp::step;
};

// A cursor over one series for monotone (non-decreasing) queries, the engine's pattern: each
// query moves forward from the last segment, O(1) amortised; a backward or far jump falls back
// to binary search, so any query order is correct. Holds a pointer: the series must outlive it.
class SeriesCursor {
 public:
  SeriesCursor() = default;
  explicit SeriesCursor(const TimeSeries& s) : s_(&s) {}
  double value_at(Seconds t) { return s_->value_in_(seek_(t), t); }
  double integral(Seconds t0, Seconds t1);
  double mean_over(Seconds t0, Seconds t1);
  Seconds next_change_after(Seconds t);
  const TimeSeries& series() const { return *s_; }

 private:
  std::size_t seek_(Seconds t);
  const TimeSeries* s_ = nullptr;
  std::size_t i_ = 0;
};

inline SeriesCursor TimeSeries::cursor() const {
  return SeriesCursor(*this);
}

}  // namespace dcsim::traces
