// Loaders on the real data files in scenarios/data (origins and published figures in
// scenarios/data/SOURCES.md). Expected values are read off the quoted file lines.
#include "traces/loaders.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "core/calendar.hpp"
#include "core/error.hpp"

using namespace dcsim;
using namespace dcsim::traces;
using Approx = Catch::Detail::Approx;

namespace {
std::string data(const std::string& rel) {
  return std::string(DCSIM_SOURCE_DIR) + "/scenarios/data/" + rel;
}
double utc(int y, int m, int d, int h, int mi = 0) {
  return unix_from_civil(CivilTime{y, m, d, h, mi, 0.0});
}
}  // namespace

TEST_CASE("the EIA-930 CAISO file gives 8760 hourly points and fills its 3 empty avg_CI cells") {
  const TraceTable t = load_table(data("carbon/eia_ciso_2022_hourly.csv"));
  CHECK(t.meta.format == TraceFormat::eia930);
  CHECK(t.meta.base == TimeBase::absolute_utc);
  CHECK(t.meta.nominal_step_s == 3600);
  const TimeSeries& ci = t.column("avg_CI");
  REQUIRE(ci.size() == 8760);
  CHECK(ci.first_time() == utc(2022, 1, 1, 0));
  CHECK(ci.last_time() == utc(2022, 12, 31, 23));
  // line 2: 2022-01-01 00:00:00+00:00,...,222.29592090536002
  CHECK(ci.value_at(utc(2022, 1, 1, 0)) == 222.29592090536002);
  const TraceReport& r = t.report("avg_CI");
  CHECK(r.rows == 8760);
  CHECK(r.empty_cells_filled == 3);
  CHECK(ci.count_flagged(kPointFilledEmpty) == 3);
  CHECK(r.duplicates_dropped == 0);
  CHECK(r.gaps == 0);
  CHECK_FALSE(r.clean());
  // line 108 (2022-01-05 10:00) is empty; lines 107 and 109 hold 290.837… and 296.887…:
  // interpolated halfway.
  CHECK(ci.value_at(utc(2022, 1, 5, 10)) == Approx((290.8370167903163 + 296.88716185921385) / 2));
  // WND and SUN have 3 empty cells each (6 together, as SOURCES.md says).
  CHECK(t.report("WND").empty_cells_filled + t.report("SUN").empty_cells_filled == 6);
}

TEST_CASE("the EIA-930 PJM file has 23 empty avg_CI cells, 22 of them one block on the DST day") {
  const TraceTable t = load_table(data("carbon/eia_pjm_2022_hourly.csv"));
  CHECK(t.report("avg_CI").empty_cells_filled == 23);
  CHECK(t.report("carbon_gco2_kwh").empty_cells_filled == 23);  // alias of avg_CI
  const TimeSeries& ci = t.column("avg_CI");
  // Lines 1713–1734 (2022-03-13 07:00 … 2022-03-14 04:00) are empty; line 1712 (06:00) holds
  // 374.40562193247735 and line 1735 (2022-03-14 05:00) the next value: linear in between.
  const double v0 = 374.40562193247735;
  const double v1 = ci.value_at(utc(2022, 3, 14, 5));
  CHECK(ci.value_at(utc(2022, 3, 13, 7)) == Approx(v0 + (v1 - v0) * 1.0 / 23.0));
  CHECK(ci.value_at(utc(2022, 3, 14, 4)) == Approx(v0 + (v1 - v0) * 22.0 / 23.0));
}

TEST_CASE("EIA-930 avg_CI min, mean and max match SOURCES.md for all five balancing authorities") {
  struct Row {
    const char* file;
    double min, mean, max;
  };
  // SOURCES.md §1.1, rounded to 0.1 gCO2/kWh; computed over the cells the file has.
  const Row rows[] = {{"carbon/eia_ciso_2022_hourly.csv", 74.1, 256.2, 449.0},
                      {"carbon/eia_erco_2022_hourly.csv", 110.7, 347.2, 516.7},
                      {"carbon/eia_bpat_2022_hourly.csv", 22.2, 54.7, 113.7},
                      {"carbon/eia_pjm_2022_hourly.csv", 42.7, 362.6, 449.2},
                      {"carbon/eia_nyis_2022_hourly.csv", 154.4, 272.8, 375.7}};
  for (const auto& row : rows) {
    INFO(row.file);
    const LoadedSeries s = load_carbon(data(row.file));
    CHECK(s.series.size() == 8760);
    const auto st = s.series.stats(/*include_filled=*/false);
    CHECK(st.min == Approx(row.min).margin(0.05));
    CHECK(st.mean == Approx(row.mean).margin(0.05));
    CHECK(st.max == Approx(row.max).margin(0.05));
  }
}

TEST_CASE("Electricity Maps files give direct CI by its UTF-8 column name or by alias") {
  struct Row {
    const char* file;
    double min, mean, max;
    std::size_t estimated;
  };
  // SOURCES.md §1.2; `estimated` = rows with "Data Estimated" true (grep -c ',true,')
  const Row rows[] = {
      {"carbon/electricitymaps_ES_2023_hourly.csv", 31.1, 117.8, 280.6, 14},
      {"carbon/electricitymaps_NO_2023_hourly.csv", 0.7, 9.3, 47.7, 4},
      {"carbon/electricitymaps_US-CAL-CISO_2023_hourly.csv", 54.9, 193.5, 330.8, 3}};
  for (const auto& row : rows) {
    INFO(row.file);
    const TraceTable t = load_table(data(row.file));
    CHECK(t.meta.format == TraceFormat::electricity_maps);
    const TimeSeries& direct = t.column("Carbon Intensity gCO₂eq/kWh (direct)");
    CHECK(&direct == &t.column("direct"));
    CHECK(direct.size() == 8760);
    CHECK(t.report("direct").clean());
    CHECK(t.report("direct").source_estimated == row.estimated);
    CHECK(direct.count_flagged(kPointSourceEstimated) == row.estimated);
    const auto st = direct.stats();
    CHECK(st.min == Approx(row.min).margin(0.05));
    CHECK(st.mean == Approx(row.mean).margin(0.05));
    CHECK(st.max == Approx(row.max).margin(0.05));
  }
  // Spain line 2: 2023-01-01 00:00:00,Spain,Spain,ES,82.99,114.42,84.03,50.66,...
  const TraceTable es = load_table(data("carbon/electricitymaps_ES_2023_hourly.csv"));
  CHECK(es.column("direct").value_at(utc(2023, 1, 1, 0)) == 82.99);
  CHECK(es.column("lca").value_at(utc(2023, 1, 1, 0)) == 114.42);
  CHECK(es.column("low_carbon_pct").value_at(utc(2023, 1, 1, 0)) == 84.03);
  CHECK(es.column("renewable_pct").value_at(utc(2023, 1, 1, 0)) == 50.66);
  CHECK(load_carbon(data("carbon/electricitymaps_ES_2023_hourly.csv"))
            .series.value_at(utc(2023, 1, 1, 0)) == 82.99);
}

TEST_CASE("an EPW file is a typical year in UTC with hour-ending rows starting their hour") {
  const WeatherTrace w = load_weather(data("weather/tmyx_USA_AZ_Phoenix-Sky.Harbor.epw"));
  CHECK(w.meta.format == TraceFormat::epw);
  CHECK(w.meta.base == TimeBase::typical_year);
  CHECK(w.meta.utc_offset_h == -7.0);
  const int ry = w.meta.reference_year;
  CHECK_FALSE(is_leap_year(ry));  // no Feb 29 rows
  REQUIRE(w.temperature_c.series.size() == 8760);
  // Line 9: 2021,1,1,1 (hour ending 01:00 LST = 00:00–01:00 UTC−7 = 07:00–08:00 UTC), 8.30 °C
  CHECK(w.temperature_c.series.value_at(utc(ry, 1, 1, 7, 30)) == 8.30);
  // Line 4009: 2014,6,16,17 → 16:00–17:00 LST = 23:00 UTC; 38.90 °C, GHI 596 Wh/m², wind 8.80 m/s
  CHECK(w.temperature_c.series.value_at(utc(ry, 6, 16, 23)) == 38.90);
  CHECK(w.ghi_w_m2.series.value_at(utc(ry, 6, 16, 23)) == 596);
  CHECK(w.wind_ms.series.value_at(utc(ry, 6, 16, 23)) == 8.80);
  // The last 7 local hours of Dec 31 fall on Jan 1 UTC of the next year: folded to the start.
  CHECK(w.temperature_c.series.first_time() == utc(ry, 1, 1, 0));
  CHECK(w.temperature_c.series.last_time() == utc(ry, 12, 31, 23));
  // Statistics over the 8760 rows (computed with a spreadsheet over columns 7, 14, 22).
  const auto t = w.temperature_c.series.stats();
  CHECK(t.min == Approx(0.4));
  CHECK(t.mean == Approx(24.6674).margin(1e-3));
  CHECK(t.max == Approx(45.6));
  CHECK(w.ghi_w_m2.series.stats().max == Approx(1063));
  CHECK(w.temperature_c.report.clean());
}

TEST_CASE("San Jose EPW is at UTC-8 and cooler in summer than Phoenix") {
  const WeatherTrace sj = load_weather(data("weather/tmyx_USA_CA_San.Jose-Mineta.epw"));
  const WeatherTrace px = load_weather(data("weather/tmyx_USA_AZ_Phoenix-Sky.Harbor.epw"));
  CHECK(sj.meta.utc_offset_h == -8.0);
  // Line 9: hour ending 01:00 LST on Jan 1 = 08:00 UTC; 6.10 °C
  CHECK(sj.temperature_c.series.value_at(utc(sj.meta.reference_year, 1, 1, 8)) == 6.10);
  const int ry = px.meta.reference_year;
  const double july0 = utc(ry, 7, 1, 0), aug0 = utc(ry, 8, 1, 0);
  CHECK(px.temperature_c.series.mean_over(july0, aug0) >
        sj.temperature_c.series.mean_over(july0, aug0) + 5);
}

TEST_CASE("an NSRDB PSM3 file is a real 30-minute year converted from local standard time") {
  const WeatherTrace w = load_weather(data("weather/nsrdb_psm3_2017_40.53N_108.54W_30min.csv"));
  CHECK(w.meta.format == TraceFormat::nsrdb_psm3);
  CHECK(w.meta.base == TimeBase::absolute_utc);
  CHECK(w.meta.utc_offset_h == -7.0);
  CHECK(w.meta.nominal_step_s == 1800);
  REQUIRE(w.temperature_c.series.size() == 17520);
  // Line 4: 2017,1,1,0,0 local (UTC−7) → 07:00 UTC; Temperature −8.4, GHI 0, Wind Speed 0.3
  CHECK(w.temperature_c.series.first_time() == utc(2017, 1, 1, 7));
  CHECK(w.temperature_c.series.value_at(utc(2017, 1, 1, 7)) == -8.4);
  CHECK(w.ghi_w_m2.series.value_at(utc(2017, 1, 1, 7)) == 0);
  CHECK(w.wind_ms.series.value_at(utc(2017, 1, 1, 7)) == 0.3);
  // Line 5: 00:30 local → 07:30 UTC, −8.7 °C
  CHECK(w.temperature_c.series.value_at(utc(2017, 1, 1, 7, 30)) == -8.7);
  CHECK(w.temperature_c.report.clean());
}

TEST_CASE("a PVGIS TMY file is a typical UTC year whose months come from different years") {
  const WeatherTrace w = load_weather(data("weather/pvgis_tmy_45.000N_8.000E_2005_2023.csv"));
  CHECK(w.meta.format == TraceFormat::pvgis_tmy);
  CHECK(w.meta.base == TimeBase::typical_year);
  const int ry = w.meta.reference_year;
  REQUIRE(w.temperature_c.series.size() == 8760);
  // Line 19: 20180101:0000,2.04,94.38,0.0,…,0.75 (T2m, WS10m)
  CHECK(w.temperature_c.series.value_at(utc(ry, 1, 1, 0)) == 2.04);
  CHECK(w.wind_ms.series.value_at(utc(ry, 1, 1, 0)) == 0.75);
  // Line 4026: 20060616:2300,19.51,…,1.72
  CHECK(w.temperature_c.series.value_at(utc(ry, 6, 16, 23)) == 19.51);
  CHECK(w.wind_ms.series.value_at(utc(ry, 6, 16, 23)) == 1.72);
  CHECK(w.ghi_w_m2.series.stats().min >= 0);
}

TEST_CASE("generation profiles are normalised to [0, 1] by the column maximum") {
  // ERCOT wind: maximum 26871 MW on line 3582; line 2 has 16317 MW.
  const LoadedSeries wnd = load_generation_profile(data("carbon/eia_erco_2022_hourly.csv"), "WND");
  CHECK(wnd.series.stats().max == 1.0);
  CHECK(wnd.series.value_at(utc(2022, 5, 30, 4)) == 1.0);
  CHECK(wnd.series.value_at(utc(2022, 1, 1, 0)) == Approx(16317.0 / 26871.0));
  CHECK(wnd.series.stats().min >= 0);
  // NYISO has no solar in this file: a profile of all zeros is refused.
  CHECK_THROWS_AS(load_generation_profile(data("carbon/eia_nyis_2022_hourly.csv"), "SUN"),
                  InputError);
}

TEST_CASE("weather loading refuses a carbon file and carbon loading an unknown column") {
  CHECK_THROWS_AS(load_weather(data("carbon/eia_ciso_2022_hourly.csv")), InputError);
  try {
    load_carbon(data("carbon/eia_ciso_2022_hourly.csv"), "co2");
    FAIL("expected InputError");
  } catch (const InputError& e) {
    REQUIRE(e.diagnostics().size() == 1);
    CHECK(e.diagnostics()[0].key_path == "co2");
    CHECK(e.diagnostics()[0].message.find("avg_CI") != std::string::npos);
  }
}

TEST_CASE("loading an 8760-row CSV takes milliseconds") {
  const auto t0 = std::chrono::steady_clock::now();
  const TraceTable t = load_table(data("carbon/eia_pjm_2022_hourly.csv"));
  const auto ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  WARN("eia_pjm_2022_hourly.csv (8760 rows x 9 columns) loaded in " << ms << " ms");
  CHECK(t.columns.size() == 9);
#if defined(__OPTIMIZE__) && \
    !defined(__SANITIZE_ADDRESS__)  // timing bounds only in optimised builds
  CHECK(ms < 100);
#endif
}

TEST_CASE("a generic CSV names its quantities; carbon and price aliases find them") {
  // carbon_and_price.csv: 00:00Z 231.5/0.081; 01:00−08:00 = 09:00Z 228.0/0.079; 02:00Z 240/0.090
  const std::string path =
      std::string(DCSIM_SOURCE_DIR) + "/tests/fixtures/traces/carbon_and_price.csv";
  const TraceTable t = load_table(path);
  CHECK(t.meta.format == TraceFormat::generic_csv);
  const TimeSeries& price = t.column("price");
  CHECK(&price == &t.column("price_usd_per_kwh"));
  // Sorted into UTC order: 00:00Z, 02:00Z, 09:00Z (one unordered row, sorted and counted).
  CHECK(price.value_at(utc(2024, 1, 1, 1)) == 0.081);
  CHECK(price.value_at(utc(2024, 1, 1, 9)) == 0.079);
  CHECK(t.report("price").unordered_rows_sorted == 1);
  CHECK(load_carbon(path).series.value_at(utc(2024, 1, 1, 2)) == 240.0);
  CHECK(load_series(path, "price").series.value_at(utc(2024, 1, 1, 2)) == 0.090);
}
