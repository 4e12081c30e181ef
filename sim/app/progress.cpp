#include "app/progress.hpp"

#include <unistd.h>

namespace dcsim {

ProgressLine::ProgressLine(const Calendar& cal, Seconds total_s, bool enabled, std::FILE* out)
    : cal_(cal), total_s_(total_s), enabled_(enabled), tty_(isatty(fileno(out)) != 0), out_(out),
      start_(Clock::now()), last_(start_), interval_s_(tty_ ? 0.25 : 10.0) {}

void ProgressLine::update(Seconds sim_now) {
  if (!enabled_) return;
  const auto now = Clock::now();
  const double since = std::chrono::duration<double>(now - last_).count();
  if (since < interval_s_) return;
  last_ = now;
  const double wall = std::chrono::duration<double>(now - start_).count();
  const double frac = total_s_ > 0 ? sim_now / total_s_ : 1.0;
  const double speed = wall > 0 ? sim_now / 86400.0 / wall : 0;  // simulated days per wall second
  const double eta = frac > 0 ? wall * (1.0 - frac) / frac : 0;
  const CivilTime c = cal_.civil_at(sim_now);
  std::fprintf(out_, "%s[dcsim] %04d-%02d-%02d %5.1f%%  %8.1f sim-days/s  ETA %5.0f s%s",
               tty_ ? "\r" : "", c.year, c.month, c.day, 100.0 * frac, speed, eta, tty_ ? "" : "\n");
  std::fflush(out_);
  drawn_ = true;
}

void ProgressLine::done() {
  if (enabled_ && drawn_ && tty_) std::fprintf(out_, "\r%80s\r", "");
}

}  // namespace dcsim
