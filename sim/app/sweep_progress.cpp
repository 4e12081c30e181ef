#include "app/sweep_progress.hpp"

#include <cmath>

namespace dcsim {

SweepProgress::SweepProgress(std::string label, bool enabled, std::FILE* out)
    : label_(std::move(label)), line_(enabled, out, /*due_at_start=*/true) {}

std::string SweepProgress::format_duration(double s) {
  char b[64];
  if (!std::isfinite(s) || s < 0) return "?";
  const auto t = static_cast<long>(std::llround(s));
  if (t < 60) std::snprintf(b, sizeof b, "%ld s", t);
  else if (t < 3600) std::snprintf(b, sizeof b, "%ld min %02ld s", t / 60, t % 60);
  else std::snprintf(b, sizeof b, "%ld h %02ld min", t / 3600, (t % 3600) / 60);
  return b;
}

std::string SweepProgress::format_line(const std::string& label, const SweepCounts& c, double elapsed_s) {
  // ETA: the runs still to do at the rate runs finished (or failed) in this session.
  const std::size_t finished_here = c.done + c.failed - c.skipped;
  const std::size_t left = c.total > c.done + c.failed ? c.total - c.done - c.failed : 0;
  std::string eta = "?";
  if (left == 0) eta = "0 s";
  else if (finished_here > 0 && elapsed_s > 0)
    eta = format_duration(static_cast<double>(left) * elapsed_s / static_cast<double>(finished_here));
  char b[256];
  std::snprintf(b, sizeof b, "[%s] %zu/%zu done (%zu skipped), %zu failed, %zu running | %s elapsed, ETA %s",
                label.c_str(), c.done, c.total, c.skipped, c.failed, c.running, format_duration(elapsed_s).c_str(),
                eta.c_str());
  return b;
}

void SweepProgress::draw(const SweepCounts& c) { line_.show(format_line(label_, c, elapsed_s()), kWidth); }

void SweepProgress::message(const std::string& line) { line_.message(line, kWidth); }

void SweepProgress::done() { line_.clear(kWidth); }

}  // namespace dcsim
