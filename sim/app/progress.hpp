#pragma once
// A progress line for long runs, in the ns-3 / OMNeT++ convention: throttled by wall-clock
// time, showing simulated date, percent done, speed (simulated days per wall second) and ETA.
// Redrawn in place with '\r' when stderr is a terminal; plain lines (every 10 s) otherwise, so
// Slurm and CI logs stay readable.
#include <chrono>
#include <cstdio>
#include <string>

#include "core/calendar.hpp"

namespace dcsim {

class ProgressLine {
 public:
  ProgressLine(const Calendar& cal, Seconds total_s, bool enabled, std::FILE* out = stderr);
  void update(Seconds sim_now);
  void done();

 private:
  using Clock = std::chrono::steady_clock;
  Calendar cal_;
  Seconds total_s_;
  bool enabled_;
  bool tty_;
  std::FILE* out_;
  Clock::time_point start_, last_;
  double interval_s_;
  bool drawn_ = false;
};

}  // namespace dcsim
