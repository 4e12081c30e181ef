#include "core/calendar.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>

namespace dcsim {

std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153u * static_cast<unsigned>(m + (m > 2 ? -3 : 9)) + 2u) / 5u +
                       static_cast<unsigned>(d) - 1u;
  const unsigned doe = yoe * 365u + yoe / 4u - yoe / 100u + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

static void civil_from_days(std::int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t yy = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yy + (m <= 2));
}

bool is_leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && is_leap_year(y)) return 29;
  return dm[(m - 1) % 12];
}

CivilTime civil_from_unix(double unix_seconds) {
  const double days_f = std::floor(unix_seconds / 86400.0);
  const auto days = static_cast<std::int64_t>(days_f);
  double rem = unix_seconds - days_f * 86400.0;
  CivilTime c;
  civil_from_days(days, c.year, c.month, c.day);
  c.hour = static_cast<int>(rem / 3600.0);
  rem -= c.hour * 3600.0;
  c.minute = static_cast<int>(rem / 60.0);
  c.second = rem - c.minute * 60.0;
  if (c.hour > 23) c.hour = 23;
  return c;
}

double unix_from_civil(const CivilTime& c) {
  return static_cast<double>(days_from_civil(c.year, c.month, c.day)) * 86400.0 + c.hour * 3600.0 +
         c.minute * 60.0 + c.second;
}

std::optional<CivilTime> parse_datetime(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  if (!s.empty() && (s.back() == 'Z' || s.back() == 'z')) s.remove_suffix(1);
  CivilTime c;
  std::string str(s);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0;
  double sec = 0;
  char sep = 0;
  int n = std::sscanf(str.c_str(), "%d-%d-%d%c%d:%d:%lf", &y, &mo, &d, &sep, &h, &mi, &sec);
  if (n != 3 && n != 6 && n != 7) return std::nullopt;
  if (n >= 4 && sep != 'T' && sep != ' ') return std::nullopt;
  // Reject trailing garbage for the date-only form.
  if (n == 3 && str.size() > 10) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h < 0 || h > 23 || mi < 0 ||
      mi > 59 || sec < 0 || sec >= 61 || y < 1 || y > 9999)
    return std::nullopt;
  c.year = y;
  c.month = mo;
  c.day = d;
  c.hour = h;
  c.minute = mi;
  c.second = sec;
  return c;
}

std::string format_iso(const CivilTime& c) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour,
                c.minute, static_cast<int>(c.second));
  return buf;
}

std::optional<Seconds> parse_duration(std::string_view s) {
  std::string str(s);
  if (str.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(str.c_str(), &end);
  if (end == str.c_str() || !std::isfinite(v)) return std::nullopt;
  std::string unit(end);
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  double mult = 0;
  if (unit.empty() || unit == "s" || unit == "sec") mult = 1;
  else if (unit == "ms") mult = 1e-3;
  else if (unit == "min" || unit == "m") mult = 60;
  else if (unit == "h") mult = 3600;
  else if (unit == "d") mult = 86400;
  else if (unit == "w") mult = 7 * 86400;
  else if (unit == "y") mult = 365 * 86400.0;
  else return std::nullopt;
  return v * mult;
}

double Calendar::hour_of_day(Seconds t) const {
  const double u = unix_at(t);
  double r = std::fmod(u, 86400.0);
  if (r < 0) r += 86400.0;
  return r / 3600.0;
}

int Calendar::day_of_week(Seconds t) const {
  const auto days = static_cast<std::int64_t>(std::floor(unix_at(t) / 86400.0));
  // 1970-01-01 was a Thursday (3 when Monday = 0).
  return static_cast<int>(((days % 7) + 7 + 3) % 7);
}

int Calendar::day_of_year(Seconds t) const {
  const CivilTime c = civil_at(t);
  return static_cast<int>(days_from_civil(c.year, c.month, c.day) - days_from_civil(c.year, 1, 1));
}

double Calendar::fractional_year(Seconds t) const {
  const CivilTime c = civil_at(t);
  const double y0 = static_cast<double>(days_from_civil(c.year, 1, 1)) * 86400.0;
  const double y1 = static_cast<double>(days_from_civil(c.year + 1, 1, 1)) * 86400.0;
  return c.year + (unix_at(t) - y0) / (y1 - y0);
}

Seconds Calendar::span_of_years(int years) const {
  CivilTime end = start_;
  end.year += years;
  if (end.month == 2 && end.day == 29 && !is_leap_year(end.year)) end.day = 28;
  return unix_from_civil(end) - start_unix_;
}

std::string Calendar::cf_time_units() const {
  CivilTime c = start_;
  return "seconds since " + format_iso(c);
}

}  // namespace dcsim
