#pragma once
// Calendar ↔ simulated time. Simulated time t is seconds since the scenario's start instant,
// which is a UTC date-time. All calendar arithmetic is proleptic Gregorian in UTC (no leap
// seconds), done with integer days (Howard Hinnant's days_from_civil), so it is exact and
// independent of the host's time zone.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/units.hpp"

namespace dcsim {

struct CivilTime {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  int hour = 0;
  int minute = 0;
  double second = 0.0;
};

// Days since 1970-01-01 for a proleptic Gregorian date.
std::int64_t days_from_civil(int y, int m, int d);
CivilTime civil_from_unix(double unix_seconds);
double unix_from_civil(const CivilTime& c);
bool is_leap_year(int y);
int days_in_month(int y, int m);

// Parses "2024-01-01", "2024-01-01T00:00", "2024-01-01 00:00:00", "2024-01-01T00:00:00Z".
std::optional<CivilTime> parse_datetime(std::string_view s);
// "2024-01-01T00:00:00Z"
std::string format_iso(const CivilTime& c);

// Parses durations like "15min", "1h", "30s", "2d", "1w", "900" (seconds), "1.5h".
std::optional<Seconds> parse_duration(std::string_view s);

class Calendar {
 public:
  explicit Calendar(CivilTime start = {}) : start_(start), start_unix_(unix_from_civil(start)) {}
  const CivilTime& start() const { return start_; }
  double start_unix() const { return start_unix_; }
  double unix_at(Seconds t) const { return start_unix_ + t; }
  CivilTime civil_at(Seconds t) const { return civil_from_unix(unix_at(t)); }
  Seconds at(const CivilTime& c) const { return unix_from_civil(c) - start_unix_; }
  // Hour of day in UTC [0,24), day of week 0=Monday..6=Sunday, day of year [0,365].
  double hour_of_day(Seconds t) const;
  int day_of_week(Seconds t) const;
  int day_of_year(Seconds t) const;
  int year_at(Seconds t) const { return civil_at(t).year; }
  // Fractional year, e.g. 2020.5 in early July 2020.
  double fractional_year(Seconds t) const;
  // Seconds from the start to the same instant `years` calendar years later.
  Seconds span_of_years(int years) const;
  // CF-convention units string: "seconds since 2024-01-01T00:00:00Z".
  std::string cf_time_units() const;

 private:
  CivilTime start_;
  double start_unix_;
};

}  // namespace dcsim
