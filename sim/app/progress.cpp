#include "app/progress.hpp"

#include <unistd.h>

namespace dcsim {

StatusLine::StatusLine(bool enabled, std::FILE* out, bool due_at_start)
    : enabled_(enabled), tty_(isatty(fileno(out)) != 0), out_(out), start_(Clock::now()),
      last_(due_at_start ? start_ - std::chrono::hours(1) : start_), interval_s_(tty_ ? 0.25 : 10.0) {}

bool StatusLine::due() const {
  return enabled_ && std::chrono::duration<double>(Clock::now() - last_).count() >= interval_s_;
}

double StatusLine::elapsed_s() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

void StatusLine::show(const std::string& text, int width) {
  if (!enabled_) return;
  last_ = Clock::now();
  if (tty_) std::fprintf(out_, "\r%-*s", width, text.c_str());
  else std::fprintf(out_, "%s\n", text.c_str());
  std::fflush(out_);
  drawn_ = true;
}

void StatusLine::message(const std::string& line, int width) {
  if (tty_ && drawn_) std::fprintf(out_, "\r%*s\r", width, "");
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
  if (tty_) last_ = Clock::now() - std::chrono::hours(1);  // redraw the line at the next chance
}

void StatusLine::clear(int width) {
  if (enabled_ && drawn_ && tty_) std::fprintf(out_, "\r%*s\r", width, "");
  std::fflush(out_);
}

ProgressLine::ProgressLine(const Calendar& cal, Seconds total_s, bool enabled, std::FILE* out)
    : cal_(cal), total_s_(total_s), line_(enabled, out, /*due_at_start=*/false) {}

void ProgressLine::update(Seconds sim_now) {
  if (!line_.due()) return;
  const double wall = line_.elapsed_s();
  const double frac = total_s_ > 0 ? sim_now / total_s_ : 1.0;
  const double speed = wall > 0 ? sim_now / 86400.0 / wall : 0;  // simulated days per wall second
  const double eta = frac > 0 ? wall * (1.0 - frac) / frac : 0;
  const CivilTime c = cal_.civil_at(sim_now);
  char b[160];
  std::snprintf(b, sizeof b, "[dcsim] %04d-%02d-%02d %5.1f%%  %8.1f sim-days/s  ETA %5.0f s", c.year,
                c.month, c.day, 100.0 * frac, speed, eta);
  line_.show(b);
}

void ProgressLine::done() { line_.clear(80); }

}  // namespace dcsim
