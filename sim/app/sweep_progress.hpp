#pragma once
// The progress line of `dcsim sweep`, in the same convention as a run's (app/progress.hpp):
// throttled by wall-clock time, redrawn in place with '\r' when stderr is a terminal (4 per
// second at most), a plain line every 10 s otherwise (Slurm and CI logs). It shows runs done
// (of which skipped because their complete result already existed), failed, running, the
// elapsed time and an ETA from the rate of runs finished in this session.
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

#include "app/progress.hpp"

namespace dcsim {

struct SweepCounts {
  std::size_t total = 0;    // runs this process (or MPI job) is responsible for
  std::size_t done = 0;     // complete results, skipped ones included
  std::size_t skipped = 0;  // complete before this session started
  std::size_t failed = 0;
  std::size_t running = 0;  // child processes of this process
};

class SweepProgress {
 public:
  SweepProgress(std::string label, bool enabled, std::FILE* out = stderr);
  // True when a line is due (the caller may then gather counts and call draw()).
  bool due() const { return line_.due(); }
  void draw(const SweepCounts& c);
  // A message on its own line (a failed run), printed even when the line is not due; clears a
  // line drawn in place first. Printed when progress is disabled too.
  void message(const std::string& line);
  void done();
  double elapsed_s() const { return line_.elapsed_s(); }

  // "3 s", "4 min 05 s", "2 h 10 min"
  static std::string format_duration(double s);
  static std::string format_line(const std::string& label, const SweepCounts& c, double elapsed_s);

 private:
  static constexpr int kWidth = 100;  // columns a line drawn in place is padded / cleared to
  std::string label_;
  StatusLine line_;
};

}  // namespace dcsim
