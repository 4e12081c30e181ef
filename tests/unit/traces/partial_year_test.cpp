// Typical-year alignment of a trace that covers only part of its year: the run time that reads
// uncovered days holds a value and is counted in held_span_s, so the report is not "clean"
// (found by tests/cli/trace_faults.sh, issue 8).
#include <catch2/catch.hpp>
#include <string>

#include "core/calendar.hpp"
#include "traces/align.hpp"
#include "traces/loaders.hpp"

using namespace dcsim;
using namespace dcsim::traces;

namespace {
std::string fixture(const std::string& name) {
  return std::string(DCSIM_SOURCE_DIR) + "/tests/fixtures/traces/" + name;
}
}  // namespace

TEST_CASE("a partial-year trace aligned as a typical year counts the run time it holds") {
  // three_days_2022.csv: 2022-06-01 00:00 … 06-03 18:00 every 6 h, values 1 … 12; it covers
  // [06-01 00:00, 06-04 00:00) of its reference year 2022.
  const LoadedSeries s = load_carbon(fixture("three_days_2022.csv"));
  AlignOptions typ;  // typical_year, wrap: holds with a note
  SECTION("a 4-day run from 2023-06-02 reads 2 covered days and holds the last value for 2") {
    const Calendar cal(CivilTime{2023, 6, 2, 0, 0, 0.0});
    const LoadedSeries a = align_to_run(s, cal, 4 * kDay, typ);
    CHECK(a.report.held_span_s == 2 * kDay);
    CHECK_FALSE(a.report.clean());
    CHECK(a.series.value_at(cal.at({2023, 6, 3, 6})) == 10);   // = 2022-06-03 06:00
    CHECK(a.series.value_at(cal.at({2023, 6, 5, 12})) == 12);  // held
    CHECK(a.report.summary().find("172800 s held") != std::string::npos);
  }
  SECTION("a run inside the covered days holds nothing") {
    const Calendar cal(CivilTime{2023, 6, 1, 0, 0, 0.0});
    const LoadedSeries a = align_to_run(s, cal, 3 * kDay, typ);
    CHECK(a.report.held_span_s == 0);
  }
  SECTION("hold counts the same 12 uncovered hours of a run that starts at 06-03 12:00") {
    typ.beyond = BeyondSpanRule::hold;
    const Calendar cal(CivilTime{2023, 6, 3, 12, 0, 0.0});
    const LoadedSeries a = align_to_run(s, cal, kDay, typ);
    CHECK(a.report.held_span_s == 12 * 3600.0);
  }
}
