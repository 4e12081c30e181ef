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

// The mechanism both progress lines share (a run's, below, and a sweep's, sweep_progress.hpp):
// a status line due at most every 0.25 s on a terminal, where it is redrawn in place, and every
// 10 s otherwise, where each one is a plain line.
class StatusLine {
 public:
  // due_at_start: the first line may be shown at once (else after one interval).
  StatusLine(bool enabled, std::FILE* out, bool due_at_start);
  bool due() const;
  double elapsed_s() const;
  // Shows `text` (padded to `width` columns on a terminal when width > 0) and restarts the
  // interval. Nothing when disabled.
  void show(const std::string& text, int width = 0);
  // A message on its own line, printed even when disabled; clears a line drawn in place first
  // (`width` columns), and on a terminal makes the next line due at once.
  void message(const std::string& line, int width);
  // Clears a line drawn in place (`width` columns); flushes.
  void clear(int width);

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  bool tty_;
  std::FILE* out_;
  Clock::time_point start_, last_;
  double interval_s_;
  bool drawn_ = false;
};

class ProgressLine {
 public:
  ProgressLine(const Calendar& cal, Seconds total_s, bool enabled, std::FILE* out = stderr);
  void update(Seconds sim_now);
  void done();

 private:
  Calendar cal_;
  Seconds total_s_;
  StatusLine line_;
};

}  // namespace dcsim
