#pragma once
// Energy integrated on change, and interval averages on a fixed grid.
//
// A component's power is piecewise constant in simulated time. Every change first adds
// P·Δt for the elapsed piece (E = Σ P_i·(t_{i+1} − t_i)), so energy is exact whatever the
// sampling grid. An IntervalAverager distributes the same pieces over fixed bins
// [k·Δ, (k+1)·Δ), so Σ bin_average·Δ equals the exact energy (to rounding): the time series
// written to HDF5 and the totals in the summary can never disagree.
#include <cmath>
#include <functional>
#include <vector>

#include "core/units.hpp"

namespace dcsim {

struct EnergyAccumulator {
  Watts power_w = 0;
  Seconds last_s = 0;
  Joules energy_j = 0;

  // Adds the energy of [last_s, t) at the current power, then switches to p.
  void set(Seconds t, Watts p) {
    energy_j += power_w * (t - last_s);
    last_s = t;
    power_w = p;
  }
  void advance(Seconds t) { set(t, power_w); }
  Joules energy_at(Seconds t) const { return energy_j + power_w * (t - last_s); }
};

// Accumulates several piecewise-constant channels into bins of width dt starting at t0.
// add_piece() must be called with non-decreasing, contiguous pieces; completed bins are
// emitted through the callback with their averages (channel order preserved).
class IntervalAverager {
 public:
  using Sink = std::function<void(Seconds bin_start, const std::vector<double>& averages)>;
  IntervalAverager(std::size_t channels, Seconds t0, Seconds dt, Sink sink)
      : dt_(dt), bin_start_(t0), acc_(channels, 0.0), avg_(channels, 0.0), sink_(std::move(sink)) {}

  // Values held constant over [t_begin, t_end).
  void add_piece(Seconds t_begin, Seconds t_end, const std::vector<double>& values) {
    Seconds t = t_begin;
    while (t_end > t) {
      const Seconds bin_end = bin_start_ + dt_;
      const Seconds stop = t_end < bin_end ? t_end : bin_end;
      const Seconds w = stop - t;
      for (std::size_t i = 0; i < acc_.size(); ++i) acc_[i] += values[i] * w;
      t = stop;
      if (t >= bin_end) emit();
    }
  }
  // Emits the partial bin [bin_start, t_end) averaged over its own length (end of run).
  void flush_partial(Seconds t_end) {
    const Seconds w = t_end - bin_start_;
    if (w <= 0) return;
    for (std::size_t i = 0; i < acc_.size(); ++i) avg_[i] = acc_[i] / w;
    sink_(bin_start_, avg_);
    std::fill(acc_.begin(), acc_.end(), 0.0);
    bin_start_ = t_end;
  }
  Seconds bin_start() const { return bin_start_; }
  Seconds dt() const { return dt_; }

 private:
  void emit() {
    for (std::size_t i = 0; i < acc_.size(); ++i) {
      avg_[i] = acc_[i] / dt_;
      acc_[i] = 0.0;
    }
    sink_(bin_start_, avg_);
    // Bins are indexed from the start so rounding never accumulates over years.
    ++bins_;
    bin_start_ = t0_ + static_cast<double>(bins_) * dt_;
  }
  Seconds dt_;
  Seconds bin_start_;
  Seconds t0_ = bin_start_;
  long long bins_ = 0;
  std::vector<double> acc_, avg_;
  Sink sink_;
};

// Interval averages of many entities (per-rack, per-node series) at O(1) per change: each entity
// integrates only its own changes; emit() closes a bin for all of them (O(entities) per bin).
class EntityAverager {
 public:
  EntityAverager(std::size_t n, Seconds t0) : power_(n, 0.0), acc_(n, 0.0), last_(n, t0) {}
  std::size_t size() const { return power_.size(); }
  double power(std::size_t i) const { return power_[i]; }
  // Value of entity i changes to p at time t (t within the current bin).
  void set(std::size_t i, Seconds t, double p) {
    acc_[i] += power_[i] * (t - last_[i]);
    last_[i] = t;
    power_[i] = p;
  }
  // Closes the bin [bin_start, bin_end) and writes each entity's average into out[offset + i].
  void emit(Seconds bin_start, Seconds bin_end, std::vector<double>& out, std::size_t offset = 0) {
    const Seconds w = bin_end - bin_start;
    for (std::size_t i = 0; i < power_.size(); ++i) {
      acc_[i] += power_[i] * (bin_end - last_[i]);
      out[offset + i] = w > 0 ? acc_[i] / w : power_[i];
      acc_[i] = 0;
      last_[i] = bin_end;
    }
  }

 private:
  std::vector<double> power_, acc_, last_;
};

}  // namespace dcsim
