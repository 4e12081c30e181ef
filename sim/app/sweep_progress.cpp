#include "app/sweep_progress.hpp"

#include <unistd.h>

#include <cmath>

namespace dcsim {

SweepProgress::SweepProgress(std::string label, bool enabled, std::FILE* out)
    : label_(std::move(label)), enabled_(enabled), tty_(isatty(fileno(out)) != 0), out_(out),
      start_(Clock::now()), last_(start_ - std::chrono::hours(1)), interval_s_(tty_ ? 0.25 : 10.0) {}

double SweepProgress::elapsed_s() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

bool SweepProgress::due() const {
  return enabled_ && std::chrono::duration<double>(Clock::now() - last_).count() >= interval_s_;
}

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

void SweepProgress::draw(const SweepCounts& c) {
  if (!enabled_) return;
  last_ = Clock::now();
  const std::string line = format_line(label_, c, elapsed_s());
  if (tty_) std::fprintf(out_, "\r%-100s", line.c_str());
  else std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
  drawn_ = true;
}

void SweepProgress::message(const std::string& line) {
  if (tty_ && drawn_) std::fprintf(out_, "\r%100s\r", "");
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
  if (tty_) last_ = Clock::now() - std::chrono::hours(1);  // redraw the line at the next chance
}

void SweepProgress::done() {
  if (enabled_ && drawn_ && tty_) std::fprintf(out_, "\r%100s\r", "");
  std::fflush(out_);
}

}  // namespace dcsim
