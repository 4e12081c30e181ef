// Calendar alignment: typical-year mapping across years and leap days, absolute alignment and
// the rules for a trace shorter than the run.
#include "traces/align.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "core/calendar.hpp"
#include "core/error.hpp"
#include "traces/loaders.hpp"

using namespace dcsim;
using namespace dcsim::traces;
using Approx = Catch::Detail::Approx;

namespace {
std::string data(const std::string& rel) {
  return std::string(DCSIM_SOURCE_DIR) + "/scenarios/data/" + rel;
}
std::string fixture(const std::string& name) {
  return std::string(DCSIM_SOURCE_DIR) + "/tests/fixtures/traces/" + name;
}
double utc(int y, int m, int d, int h, int mi = 0) {
  return unix_from_civil(CivilTime{y, m, d, h, mi, 0.0});
}
Calendar starting(int y, int m, int d, int h = 0) {
  return Calendar(CivilTime{y, m, d, h, 0, 0.0});
}

const LoadedSeries& ciso() {
  static const LoadedSeries s = load_carbon(data("carbon/eia_ciso_2022_hourly.csv"));
  return s;
}
}  // namespace

TEST_CASE("a 2022 trace drives a 2024 run by month/day/hour, Feb 29 read from Feb 28") {
  const Calendar cal = starting(2024, 2, 27);
  const LoadedSeries a = align_to_run(ciso(), cal, 4 * kDay);
  const TimeSeries& raw = ciso().series;
  CHECK(a.series.value_at(cal.at({2024, 2, 27, 13})) == raw.value_at(utc(2022, 2, 27, 13)));
  CHECK(a.series.value_at(cal.at({2024, 2, 28, 10})) == raw.value_at(utc(2022, 2, 28, 10)));
  CHECK(a.series.value_at(cal.at({2024, 2, 29, 10})) == raw.value_at(utc(2022, 2, 28, 10)));
  CHECK(a.series.value_at(cal.at({2024, 3, 1, 5})) == raw.value_at(utc(2022, 3, 1, 5)));
  CHECK(a.report.feb29_filled == 1);
  CHECK(a.report.alignment == "typical_year from 2022");
  CHECK(a.report.wrapped_span_s == 4 * kDay);
  // The 3 empty cells filled at load time stay counted.
  CHECK(a.report.empty_cells_filled == 3);
}

TEST_CASE("typical-year mapping crosses the new year into a leap year") {
  const Calendar cal = starting(2023, 12, 31, 20);
  const LoadedSeries a = align_to_run(ciso(), cal, 8 * kHour);
  const TimeSeries& raw = ciso().series;
  CHECK(a.series.value_at(cal.at({2023, 12, 31, 22})) == raw.value_at(utc(2022, 12, 31, 22)));
  CHECK(a.series.value_at(cal.at({2024, 1, 1, 2})) == raw.value_at(utc(2022, 1, 1, 2)));
}

TEST_CASE("each run year integrates to the trace year, a leap year plus one copy of Feb 28") {
  const Calendar cal = starting(2024, 1, 1);
  const Seconds span = cal.span_of_years(3);  // 2024, 2025, 2026
  const LoadedSeries a = align_to_run(ciso(), cal, span);
  const TimeSeries& raw = ciso().series;
  const double year_2022 = raw.integral(utc(2022, 1, 1, 0), utc(2023, 1, 1, 0));
  const double feb28_2022 = raw.integral(utc(2022, 2, 28, 0), utc(2022, 3, 1, 0));
  const double y2024 = a.series.integral(0, cal.at({2025, 1, 1}));
  const double y2025 = a.series.integral(cal.at({2025, 1, 1}), cal.at({2026, 1, 1}));
  const double y2026 = a.series.integral(cal.at({2026, 1, 1}), cal.at({2027, 1, 1}));
  CHECK(y2024 == Approx(year_2022 + feb28_2022).epsilon(1e-12));
  CHECK(y2025 == Approx(year_2022).epsilon(1e-12));
  CHECK(y2026 == Approx(year_2022).epsilon(1e-12));
  CHECK(a.report.feb29_filled == 1);
}

TEST_CASE("a leap-year reference skips its Feb 29 in common run years") {
  // A typical year placed in 2000 (leap) with one daily point: value = day of year.
  std::vector<double> t, v;
  for (int d = 0; d < 366; ++d) {
    t.push_back(utc(2000, 1, 1, 0) + d * kDay);
    v.push_back(d);
  }
  TraceMeta meta;
  meta.file = "daily.csv";
  meta.base = TimeBase::typical_year;
  meta.reference_year = 2000;
  meta.nominal_step_s = kDay;
  TraceReport rep;
  const Calendar cal = starting(2025, 2, 27);
  const TimeSeries a = align_to_run(TimeSeries(t, v), meta, cal, 3 * kDay, {}, rep);
  CHECK(a.value_at(cal.at({2025, 2, 28, 12})) == 58);  // 2000-02-28 is day 58
  CHECK(a.value_at(cal.at({2025, 3, 1, 12})) == 60);   // 2000-03-01 is day 60; day 59 is Feb 29
  CHECK(rep.feb29_dropped == 1);
  CHECK(rep.feb29_filled == 0);
}

TEST_CASE("an EPW weather year drives a run in another year at the same UTC instants") {
  const WeatherTrace w = load_weather(data("weather/tmyx_USA_AZ_Phoenix-Sky.Harbor.epw"));
  const Calendar cal = starting(2024, 6, 16);
  const LoadedSeries a = align_to_run(w.temperature_c, cal, kDay);
  // EPW line 4009: June 16 hour ending 17:00 LST (UTC−7) = 23:00–24:00 UTC, 38.90 °C
  CHECK(a.series.value_at(23 * kHour + 1800) == 38.90);
}

TEST_CASE("a real local-time year is folded into its UTC year for typical-year use") {
  // NSRDB 2017 in UTC−7 runs from 2017-01-01 07:00Z to 2018-01-01 06:30Z; typical-year mapping
  // reads Jan 1 00:00–06:30 UTC from the rows that fell into 2018.
  const WeatherTrace w = load_weather(data("weather/nsrdb_psm3_2017_40.53N_108.54W_30min.csv"));
  const Calendar cal = starting(2024, 1, 1);
  const LoadedSeries a = align_to_run(w.temperature_c, cal, kDay);
  CHECK(a.series.value_at(0) == w.temperature_c.series.value_at(utc(2018, 1, 1, 0)));
  CHECK(a.series.value_at(8 * kHour) == w.temperature_c.series.value_at(utc(2017, 1, 1, 8)));
  CHECK(a.report.alignment == "typical_year from 2017");
}

TEST_CASE("absolute alignment inside the trace reads the same instants and is clean") {
  const Calendar cal = starting(2022, 6, 1);
  AlignOptions opt;
  opt.mode = CalendarMode::absolute;
  const LoadedSeries a = align_to_run(ciso(), cal, 10 * kDay, opt);
  CHECK(a.series.value_at(cal.at({2022, 6, 3, 17})) == ciso().series.value_at(utc(2022, 6, 3, 17)));
  CHECK(a.report.alignment == "absolute");
  CHECK(a.report.wrapped_span_s == 0);
  CHECK(a.report.held_span_s == 0);
}

TEST_CASE("a trace shorter than the run follows the beyond-span rule") {
  // three_days_2022.csv: 2022-06-01 00:00 … 06-03 18:00 every 6 h, values 1 … 12; it covers
  // [06-01 00:00, 06-04 00:00). The run starts 06-02 and lasts 4 days: 2 days are not covered.
  const LoadedSeries s = load_carbon(fixture("three_days_2022.csv"));
  const Calendar cal = starting(2022, 6, 2);
  AlignOptions opt;
  opt.mode = CalendarMode::absolute;
  SECTION("error") {
    opt.beyond = BeyondSpanRule::error;
    CHECK_THROWS_AS(align_to_run(s, cal, 4 * kDay, opt), InputError);
  }
  SECTION("hold the last value") {
    opt.beyond = BeyondSpanRule::hold;
    const LoadedSeries a = align_to_run(s, cal, 4 * kDay, opt);
    CHECK(a.series.value_at(cal.at({2022, 6, 5, 12})) == 12);
    CHECK(a.report.held_span_s == 2 * kDay);
  }
  SECTION("wrap repeats the 3-day span") {
    opt.beyond = BeyondSpanRule::wrap;
    const LoadedSeries a = align_to_run(s, cal, 4 * kDay, opt);
    CHECK(a.series.value_at(cal.at({2022, 6, 2, 6})) == 6);   // inside: the trace itself
    CHECK(a.series.value_at(cal.at({2022, 6, 4, 6})) == 2);   // = 06-01 06:00
    CHECK(a.series.value_at(cal.at({2022, 6, 5, 18})) == 8);  // = 06-02 18:00
    CHECK(a.report.wrapped_span_s == 2 * kDay);
  }
  SECTION("typical-year mode needs a whole year") {
    AlignOptions typ;
    typ.beyond = BeyondSpanRule::error;
    CHECK_THROWS_AS(align_to_run(s, cal, 4 * kDay, typ), InputError);
  }
}

TEST_CASE("absolute alignment wraps a whole-year trace by month/day/hour beyond its end") {
  const Calendar cal = starting(2022, 12, 30);
  AlignOptions opt;
  opt.mode = CalendarMode::absolute;
  opt.beyond = BeyondSpanRule::wrap;
  const LoadedSeries a = align_to_run(ciso(), cal, 4 * kDay, opt);
  CHECK(a.series.value_at(cal.at({2022, 12, 31, 22})) ==
        ciso().series.value_at(utc(2022, 12, 31, 22)));
  CHECK(a.series.value_at(cal.at({2023, 1, 1, 5})) == ciso().series.value_at(utc(2022, 1, 1, 5)));
  CHECK(a.report.wrapped_span_s == 2 * kDay);
}

TEST_CASE("a relative trace shorter than the run wraps, holds or fails") {
  // short_relative.csv: 0 s → 1, 3600 → 2, 7200 → 3, 10800 → 4; covers [0, 4 h).
  const LoadedSeries s = load_carbon(fixture("short_relative.csv"));
  REQUIRE(s.meta.base == TimeBase::relative);
  const Calendar cal = starting(2030, 1, 1);
  AlignOptions opt;
  SECTION("wrap") {
    const LoadedSeries a = align_to_run(s, cal, 10 * kHour, opt);
    CHECK(a.series.value_at(5 * kHour + 10) == 2);
    CHECK(a.series.value_at(9 * kHour + 10) == 2);
    CHECK(a.report.wrapped_span_s == 6 * kHour);
  }
  SECTION("hold") {
    opt.beyond = BeyondSpanRule::hold;
    const LoadedSeries a = align_to_run(s, cal, 10 * kHour, opt);
    CHECK(a.series.value_at(5 * kHour) == 4);
    CHECK(a.report.held_span_s == 6 * kHour);
  }
  SECTION("error") {
    opt.beyond = BeyondSpanRule::error;
    CHECK_THROWS_AS(align_to_run(s, cal, 10 * kHour, opt), InputError);
  }
}

TEST_CASE("aligning ten years of an hourly trace is fast and keeps the trace's step") {
  const Calendar cal = starting(2025, 1, 1);
  const auto t0 = std::chrono::steady_clock::now();
  const LoadedSeries a = align_to_run(ciso(), cal, cal.span_of_years(10));
  const auto ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  WARN("10 years aligned in " << ms << " ms, " << a.series.size() << " points");
  // 3652 run days × 24 points, plus the day before the start, the day the run ends in
  // (2035-01-01, the end instant is its first point) and the day after it.
  CHECK(a.series.size() == (3652 + 3) * 24);
#if defined(__OPTIMIZE__) && \
    !defined(__SANITIZE_ADDRESS__)  // timing bounds only in optimised builds
  CHECK(ms < 500);
#endif
}

TEST_CASE("a short trace repeated over a very long run is refused up front") {
  // short_relative.csv covers 4 h with 4 points; 10^4 years of it would be ~8.8·10^7 points.
  const LoadedSeries s = load_carbon(fixture("short_relative.csv"));
  const Calendar cal = starting(2030, 1, 1);
  try {
    align_to_run(s, cal, 1e4 * kYear365);
    FAIL("expected InputError");
  } catch (const InputError& e) {
    CHECK(e.diagnostics()[0].message.find("expected an aligned trace of at most 20000000 points") !=
          std::string::npos);
  }
}

TEST_CASE("absolute wrap counts the leap day it fills once, and only outside the trace") {
  // CISO 2022 in absolute mode for a run 2022-12-30 … 2024-03-02: 2023 and early 2024 are
  // outside the trace and read 2022 by month/day/hour; 2024-02-29 reads 2022-02-28.
  const Calendar cal = starting(2022, 12, 30);
  AlignOptions opt;
  opt.mode = CalendarMode::absolute;
  const Seconds span = cal.at({2024, 3, 2});
  const LoadedSeries a = align_to_run(ciso(), cal, span, opt);
  CHECK(a.report.feb29_filled == 1);
  CHECK(a.series.value_at(cal.at({2024, 2, 29, 12})) ==
        ciso().series.value_at(utc(2022, 2, 28, 12)));
  CHECK(a.series.value_at(cal.at({2022, 12, 31, 12})) ==
        ciso().series.value_at(utc(2022, 12, 31, 12)));
  CHECK(a.report.wrapped_span_s == span - 2 * kDay);
}
