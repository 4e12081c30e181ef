// Fault rules on small fixture files (tests/fixtures/traces): each fault is handled by its named
// rule and counted in the TraceReport, or reported as an InputError with file:line.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "core/calendar.hpp"
#include "core/error.hpp"
#include "traces/loaders.hpp"
#include "traces/text_scan.hpp"

using namespace dcsim;
using namespace dcsim::traces;
using Approx = Catch::Detail::Approx;

namespace {
std::string fixture(const std::string& name) {
  return std::string(DCSIM_SOURCE_DIR) + "/tests/fixtures/traces/" + name;
}
double utc(int y, int m, int d, int h, int mi = 0) {
  return unix_from_civil(CivilTime{y, m, d, h, mi, 0.0});
}

// Loads and expects an InputError; returns its diagnostics.
std::vector<Diagnostic> load_error(const std::string& path, const LoadOptions& opt = {}) {
  try {
    load_table(path, opt);
  } catch (const InputError& e) {
    return e.diagnostics();
  }
  FAIL("expected an InputError from " << path);
  return {};
}
}  // namespace

TEST_CASE("empty cells are filled by the empty-cell rule and counted") {
  // empty_cells.csv: 00:100 01:200 02:(empty) 03:400 04:NA 05:700
  const std::string path = fixture("empty_cells.csv");
  LoadOptions opt;
  SECTION("interpolate: linear in time between valid neighbours") {
    opt.rules.empty_cells = GapRule::interpolate;
    const TraceTable t = load_table(path, opt);
    const TimeSeries& s = t.column("carbon_gco2_kwh");
    CHECK(s.value_at(utc(2024, 1, 1, 2)) == Approx(300));
    CHECK(s.value_at(utc(2024, 1, 1, 4)) == Approx(550));
    CHECK(t.report("carbon_gco2_kwh").empty_cells_filled == 2);
    CHECK(s.count_flagged(kPointFilledEmpty) == 2);
    CHECK(t.report("carbon_gco2_kwh").notes.size() == 1);
  }
  SECTION("hold: the last valid value") {
    opt.rules.empty_cells = GapRule::hold;
    const TraceTable t = load_table(path, opt);
    CHECK(t.column("carbon_gco2_kwh").value_at(utc(2024, 1, 1, 2)) == 200);
    CHECK(t.column("carbon_gco2_kwh").value_at(utc(2024, 1, 1, 4)) == 400);
    CHECK(t.report("carbon_gco2_kwh").empty_cells_filled == 2);
  }
  SECTION("error: every empty cell is reported with its line") {
    opt.rules.empty_cells = GapRule::error;
    const auto d = load_error(path, opt);
    REQUIRE(d.size() == 2);
    CHECK(d[0].file == path);
    CHECK(d[0].line == 5);
    CHECK(d[0].key_path == "carbon_gco2_kwh");
    CHECK(d[0].message == "expected a number, got an empty cell");
    CHECK(d[1].line == 7);
  }
}

TEST_CASE("EPW missing-value markers are empty cells") {
  // epw_missing_markers.epw hour 3: 99.9 °C, 9999 Wh/m², 999 m/s (EnergyPlus "missing").
  const TraceTable t = load_table(fixture("epw_missing_markers.epw"));
  CHECK(t.meta.base == TimeBase::absolute_utc);  // every row says 2021: an actual year
  // Hour-ending 3 = 02:00–03:00 local at UTC+2 = 00:00 UTC.
  CHECK(t.column("temperature_c").value_at(utc(2021, 1, 1, 0)) ==
        Approx(3.0));  // between 2.0 and 4.0
  CHECK(t.column("ghi_w_m2").value_at(utc(2021, 1, 1, 0)) == Approx(30));
  CHECK(t.column("wind_ms").value_at(utc(2021, 1, 1, 0)) == Approx(5.0));
  CHECK(t.report("temperature_c").empty_cells_filled == 1);
}

TEST_CASE("missing timestamps are gaps filled by the missing-step rule") {
  // gap.csv: 00:10 01:20 [02, 03 missing] 04:50 05:60 06:70
  const std::string path = fixture("gap.csv");
  LoadOptions opt;
  SECTION("interpolate inserts points on the nominal step") {
    const TraceTable t = load_table(path, opt);
    const TimeSeries& s = t.column("value");
    CHECK(s.size() == 7);
    CHECK(s.value_at(utc(2024, 1, 1, 2)) == Approx(30));
    CHECK(s.value_at(utc(2024, 1, 1, 3)) == Approx(40));
    CHECK(s.count_flagged(kPointFilledGap) == 2);
    const TraceReport& r = t.report("value");
    CHECK(r.gaps == 1);
    CHECK(r.gap_points_filled == 2);
    CHECK(r.empty_cells_filled == 0);
    CHECK(r.nominal_step_s == 3600);
  }
  SECTION("hold repeats the value before the gap") {
    opt.rules.missing_steps = GapRule::hold;
    const TraceTable t = load_table(path, opt);
    CHECK(t.column("value").value_at(utc(2024, 1, 1, 3)) == 20);
    CHECK(t.report("value").gap_points_filled == 2);
  }
  SECTION("error names the line after the gap and the gap's length") {
    opt.rules.missing_steps = GapRule::error;
    const auto d = load_error(path, opt);
    REQUIRE(d.size() == 1);
    CHECK(d[0].line == 5);
    CHECK(d[0].message.find("expected a row every 3600 s, got a gap of 10800 s") !=
          std::string::npos);
  }
}

TEST_CASE("duplicate timestamps follow the duplicate rule") {
  // duplicates.csv: 01:00 appears twice (line 3: 20, line 4: 25)
  const std::string path = fixture("duplicates.csv");
  LoadOptions opt;
  SECTION("keep_first") {
    const TraceTable t = load_table(path, opt);
    CHECK(t.column("value").value_at(utc(2024, 1, 1, 1)) == 20);
    CHECK(t.column("value").size() == 4);
    CHECK(t.report("value").duplicates_dropped == 1);
  }
  SECTION("keep_last") {
    opt.rules.duplicates = DuplicateRule::keep_last;
    const TraceTable t = load_table(path, opt);
    CHECK(t.column("value").value_at(utc(2024, 1, 1, 1)) == 25);
    CHECK(t.report("value").duplicates_dropped == 1);
  }
  SECTION("error") {
    opt.rules.duplicates = DuplicateRule::error;
    const auto d = load_error(path, opt);
    REQUIRE(d.size() == 1);
    CHECK(d[0].line == 4);
    CHECK(d[0].message.find("first at line 3") != std::string::npos);
  }
}

TEST_CASE("rows out of time order follow the order rule") {
  // unordered.csv: 00:10, 02:30, 01:20, 03:40, 04:50
  const std::string path = fixture("unordered.csv");
  LoadOptions opt;
  SECTION("sort") {
    const TraceTable t = load_table(path, opt);
    const TimeSeries& s = t.column("value");
    CHECK(s.value_at(utc(2024, 1, 1, 1)) == 20);
    CHECK(s.value_at(utc(2024, 1, 1, 2)) == 30);
    CHECK(t.report("value").unordered_rows_sorted == 1);
    CHECK(t.report("value").gaps == 0);
  }
  SECTION("error") {
    opt.rules.unordered = OrderRule::error;
    const auto d = load_error(path, opt);
    REQUIRE(d.size() == 1);
    CHECK(d[0].line == 4);
    CHECK(d[0].message.find("expected timestamps in increasing order") != std::string::npos);
  }
}

TEST_CASE("daylight-saving jumps are converted or flagged, never silent") {
  SECTION("explicit offsets changing from -08:00 to -07:00 convert to a gap-free UTC series") {
    const TraceTable t = load_table(fixture("dst_offsets.csv"));
    const TimeSeries& s = t.column("value");
    // 01:00−08:00 = 09:00Z and 03:00−07:00 = 10:00Z: consecutive hours.
    CHECK(s.value_at(utc(2024, 3, 10, 9)) == 2);
    CHECK(s.value_at(utc(2024, 3, 10, 10)) == 3);
    CHECK(t.report("value").dst_jumps == 1);
    CHECK(t.report("value").gaps == 0);
  }
  SECTION("a missing local hour in March is a gap and a suspected DST jump") {
    const TraceTable t = load_table(fixture("dst_naive_spring.csv"));
    CHECK(t.report("value").dst_jumps == 1);
    CHECK(t.report("value").gaps == 1);
    CHECK(t.report("value").gap_points_filled == 1);
  }
  SECTION("a repeated local hour in November is a duplicate and a suspected DST jump") {
    const TraceTable t = load_table(fixture("dst_naive_fall.csv"));
    CHECK(t.report("value").dst_jumps == 1);
    CHECK(t.report("value").duplicates_dropped == 1);
  }
}

TEST_CASE("malformed input gives one diagnostic per problem with file and line") {
  // malformed.csv: line 3 'abc', line 4 month 13, line 5 a missing field
  const std::string path = fixture("malformed.csv");
  const auto d = load_error(path);
  REQUIRE(d.size() == 3);
  CHECK(d[0].line == 3);
  CHECK(d[0].column == 22);
  CHECK(d[0].key_path == "value");
  CHECK(d[0].message == "expected a number, got 'abc'");
  CHECK(d[1].line == 4);
  CHECK(d[1].message.find("expected a timestamp") != std::string::npos);
  CHECK(d[2].line == 5);
  CHECK(d[2].message == "expected 2 fields, got 1");
  CHECK(d[0].to_string().find("malformed.csv:3:22: value: expected a number") != std::string::npos);
}

TEST_CASE("inputs that are not traces are refused with a clear message") {
  SECTION("unknown format") {
    const auto d = load_error(fixture("unknown_format.csv"));
    REQUIRE(d.size() == 1);
    CHECK(d[0].message.find("expected a trace in one of the formats") != std::string::npos);
  }
  SECTION("missing file") {
    const auto d = load_error(fixture("does_not_exist.csv"));
    REQUIRE(d.size() == 1);
    CHECK(d[0].message.find("expected a readable trace file") != std::string::npos);
  }
  SECTION("an EPW hour outside 1..24") {
    const auto d = load_error(fixture("bad_hour.epw"));
    REQUIRE(d.size() == 1);
    CHECK(d[0].line == 11);
    CHECK(d[0].message == "expected an hour-ending hour in 1..24, got '25'");
  }
  SECTION("a column with no values at all") {
    const TraceTable t = load_table(fixture("all_empty_column.csv"));
    CHECK(t.column("value").size() == 3);
    CHECK_THROWS_AS(t.column("other"), InputError);
  }
  SECTION("a header only") {
    CHECK_THROWS_AS(load_table_from_text("time,value\n", "header_only.csv"), InputError);
  }
  SECTION("an empty file") {
    CHECK_THROWS_AS(load_table_from_text("", "empty.csv"), InputError);
  }
}

TEST_CASE("truncated and garbled copies of the real formats never crash") {
  // Every prefix of a few lines of each format, and a few byte flips: either a table or an
  // InputError, nothing else.
  const std::vector<std::string> samples = {
      "timestamp,WND,SUN,WAT,OIL,NG,COL,NUC,OTH,avg_CI\n2022-01-01 "
      "00:00:00+00:00,1,2,3,4,5,6,7,8,9\n"
      "2022-01-01 01:00:00+00:00,,,,,,,,,\n",
      "Datetime (UTC),Country,Zone Name,Zone Id,Carbon Intensity gCO₂eq/kWh (direct),Carbon "
      "Intensity "
      "gCO₂eq/kWh (LCA)\n2023-01-01 00:00:00,Spain,Spain,ES,82.99,114.42\n",
      "Source,Location ID,Time "
      "Zone\nNSRDB,1,-7\nYear,Month,Day,Hour,Minute,GHI,Temperature\n2017,1,1,0,0,0,-8.4\n",
      "Latitude (decimal degrees): "
      "45.000\ntime(UTC),T2m,G(h),WS10m\n20180101:0000,2.04,0.0,0.75\n\nT2m: x\n",
      "# utc_offset_h: -8\ntime,value\n2024-01-01T00:00,1\n2024-01-01T01:00,2\n",
      "time_s,value\n0,1\n10,2\n"};
  std::size_t tables = 0, errors = 0;
  for (const auto& s : samples) {
    for (std::size_t n = 0; n <= s.size(); ++n) {
      for (int flip = 0; flip < 2; ++flip) {
        std::string txt = s.substr(0, n);
        if (flip && !txt.empty())
          txt[txt.size() / 2] = static_cast<char>(txt[txt.size() / 2] ^ 0x5A);
        try {
          load_table_from_text(txt, "garbled.csv");
          ++tables;
        } catch (const InputError&) {
          ++errors;
        }
      }
    }
  }
  CHECK(tables > 0);
  CHECK(errors > 0);
}

TEST_CASE("timestamps parse in the forms the formats use") {
  using text::parse_timestamp;
  CHECK(parse_timestamp("2022-01-01 00:00:00+00:00")->unix_s == utc(2022, 1, 1, 0));
  CHECK(parse_timestamp("2024-03-10T01:00:00-08:00")->unix_s == utc(2024, 3, 10, 9));
  CHECK(parse_timestamp("2024-03-10T01:30Z")->unix_s == utc(2024, 3, 10, 1, 30));
  CHECK(parse_timestamp("20180101:0100")->unix_s == utc(2018, 1, 1, 1));
  CHECK(parse_timestamp("2024-02-29")->unix_s == utc(2024, 2, 29, 0));
  CHECK_FALSE(parse_timestamp("2023-02-29"));
  CHECK_FALSE(parse_timestamp("2024-01-01T25:00"));
  CHECK_FALSE(parse_timestamp("2024-01-01T00:00:00+0"));
  CHECK_FALSE(parse_timestamp("yesterday"));
}

TEST_CASE("a stray timestamp far away is refused instead of filling millions of points") {
  // stray_timestamp.csv: a 1-s trace 0…3 s and one row at 10^9 s.
  const auto d = load_error(fixture("stray_timestamp.csv"));
  REQUIRE(d.size() == 1);
  CHECK(d[0].message.find("expected gaps that need at most 100000 filled points") !=
        std::string::npos);
  // With gaps as errors the same file names the line instead.
  LoadOptions opt;
  opt.rules.missing_steps = GapRule::error;
  const auto e = load_error(fixture("stray_timestamp.csv"), opt);
  REQUIRE(e.size() == 1);
  CHECK(e[0].line == 7);
}

TEST_CASE("rule names parse as written in scenario files") {
  CHECK(parse_gap_rule("interpolate") == GapRule::interpolate);
  CHECK(parse_gap_rule("hold") == GapRule::hold);
  CHECK(parse_duplicate_rule("keep_last") == DuplicateRule::keep_last);
  CHECK(parse_order_rule("sort") == OrderRule::sort);
  CHECK(parse_beyond_span_rule("wrap") == BeyondSpanRule::wrap);
  CHECK(parse_calendar_mode("absolute") == CalendarMode::absolute);
  CHECK_FALSE(parse_gap_rule("Interpolate"));
  CHECK_FALSE(parse_beyond_span_rule(""));
}

TEST_CASE("a long run of empty cells is filled in linear time") {
  // Regression (found by fuzzing): each empty cell used to search for its next valid
  // neighbour afresh, quadratic in the run length. 100,000 empty seconds between 0 and 100,001.
  std::string txt = "time_s,value\n0,0\n";
  for (int i = 1; i <= 100000; ++i) txt += std::to_string(i) + ",\n";
  txt += "100001,100001\n";
  const auto t0 = std::chrono::steady_clock::now();
  const TraceTable t = load_table_from_text(txt, "long_empty_run.csv");
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  CHECK(t.report("value").empty_cells_filled == 100000);
  CHECK(t.column("value").value_at(50000) == Approx(50000));
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__)
  CHECK(ms < 500);
#else
  (void)ms;
#endif
}

TEST_CASE("the report names every repair for provenance") {
  const TraceTable t = load_table(fixture("gap.csv"));
  const TraceReport& r = t.report("value");
  CHECK(r.summary() == fixture("gap.csv") + "[value]: 1 gaps, 2 gap points filled");
  bool found = false;
  for (const auto& [name, value] : r.counts())
    if (name == "gap_points_filled") found = value == 2;
  CHECK(found);
  REQUIRE(r.notes.size() == 1);
  CHECK(r.notes[0].find("gap.csv:5: gap of 10800 s after 2024-01-01T01:00:00Z; 2 points filled") !=
        std::string::npos);
}

TEST_CASE("thousands of faults give exact counts and a bounded list of notes") {
  // Every hour appears twice: 1000 duplicates, 1000 notes' worth of repairs.
  std::string txt = "time_s,value\n";
  for (int i = 0; i < 1000; ++i) {
    txt += std::to_string(i * 3600) + ",1\n";
    txt += std::to_string(i * 3600) + ",2\n";
  }
  const TraceTable t = load_table_from_text(txt, "doubled.csv");
  const TraceReport& r = t.report("value");
  CHECK(r.duplicates_dropped == 1000);
  CHECK(r.notes.size() == 51);
  CHECK(r.notes.back() == "... and 950 more notes");
}
