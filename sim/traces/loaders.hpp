#pragma once
// Trace file loaders: EIA-930 hourly CSV (SustainDC layout), Electricity Maps CSV, EnergyPlus EPW,
// NSRDB PSM3 CSV, PVGIS TMY CSV and dcsim's own generic CSV. Formats, time conventions and units
// are specified in sim/traces/README.md.
//
// Every loader returns named columns as TimeSeries on a UTC time axis (Unix seconds), or on the
// file's own relative axis (generic `time_s`), plus a TraceReport per column. Malformed input
// becomes an InputError whose Diagnostics carry file:line (all problems of a file together, up
// to a cap); nothing aborts. Faults are handled by FaultRules and counted (trace_report.hpp).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "traces/time_series.hpp"
#include "traces/trace_report.hpp"

namespace dcsim::traces {

enum class TraceFormat { eia930, electricity_maps, epw, nsrdb_psm3, pvgis_tmy, generic_csv };
const char* to_string(TraceFormat f);

enum class TimeBase {
  absolute_utc,  // times are Unix seconds UTC of a real period (EIA 2022, NSRDB 2017)
  typical_year,  // a typical meteorological year: Unix seconds UTC inside reference_year
  relative,      // generic `time_s` files: seconds since the run's start, no calendar
};
const char* to_string(TimeBase b);

struct TraceMeta {
  std::string file;
  TraceFormat format = TraceFormat::generic_csv;
  TimeBase base = TimeBase::absolute_utc;
  int reference_year = 0;      // typical_year: the year the points were placed in
  Seconds nominal_step_s = 0;  // median spacing (0 if irregular)
  double utc_offset_h = 0;     // offset of the file's local standard time (EPW, NSRDB, generic)
};

struct TraceTable {
  TraceMeta meta;
  std::vector<std::string> names;    // columns as named in the file (EPW: canonical names)
  std::vector<TimeSeries> columns;   // same order; an all-empty column is an empty series
  std::vector<TraceReport> reports;  // one per column

  // Column by its name or by a canonical alias (temperature_c, ghi_w_m2, wind_ms,
  // carbon_gco2_kwh, direct, lca, low_carbon_pct, renewable_pct, …; README lists them).
  std::optional<std::size_t> find(std::string_view name) const;
  // As find(), but throws InputError listing the available columns; also for an all-empty column.
  const TimeSeries& column(std::string_view name) const;
  const TraceReport& report(std::string_view name) const;

  std::vector<std::pair<std::string, std::string>> aliases;  // (alias, column name)
};

struct LoadOptions {
  FaultRules rules;
  std::optional<TraceFormat> format;  // skip auto-detection
};

// Detects the format from the first lines (and the extension for EPW); nullopt if unknown.
std::optional<TraceFormat> detect_format(std::string_view text, std::string_view path = {});

TraceTable load_table(const std::string& path, const LoadOptions& options = {});
// Same, from text already in memory; `file` is used in diagnostics (tests and fuzzers).
TraceTable load_table_from_text(std::string_view text, const std::string& file,
                                const LoadOptions& options = {});

// One column with its metadata and report.
struct LoadedSeries {
  TimeSeries series;
  TraceMeta meta;
  TraceReport report;
};

struct WeatherTrace {
  TraceMeta meta;
  LoadedSeries temperature_c;  // dry-bulb air temperature, °C
  LoadedSeries ghi_w_m2;  // global horizontal irradiance, W/m² (EPW: hourly Wh/m² = mean W/m²)
  LoadedSeries wind_ms;   // wind speed, m/s, at the source's height (EPW, PVGIS: 10 m; NSRDB: see NREL)
};

// Weather from EPW, NSRDB PSM3, PVGIS TMY or generic CSV (columns temperature_c, ghi_w_m2,
// wind_ms). A format without weather columns is an InputError.
WeatherTrace load_weather(const std::string& path, const LoadOptions& options = {});

// Any one column (a price in USD/kWh, a load profile, …) by name or alias.
LoadedSeries load_series(const std::string& path, std::string_view column,
                         const LoadOptions& options = {});

// Carbon intensity in gCO2(eq)/kWh. column empty = the format's default (EIA avg_CI,
// Electricity Maps direct, generic carbon_gco2_kwh or its only value column).
LoadedSeries load_carbon(const std::string& path, std::string_view column = {},
                         const LoadOptions& options = {});

// A generation profile (e.g. EIA SUN or WND) normalised to [0, 1] by the column's maximum;
// negative values are clamped to 0 and counted. A column whose maximum is not > 0 is an InputError.
LoadedSeries load_generation_profile(const std::string& path, std::string_view column,
                                     const LoadOptions& options = {});
// The same normalisation applied to an already loaded column.
LoadedSeries normalise_by_max(const LoadedSeries& in);

}  // namespace dcsim::traces
