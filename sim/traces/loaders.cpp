#include "traces/loaders.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/calendar.hpp"
#include "core/error.hpp"
#include "traces/text_scan.hpp"

namespace dcsim::traces {

const char* to_string(TraceFormat f) {
  switch (f) {
    case TraceFormat::eia930:
      return "eia930";
    case TraceFormat::electricity_maps:
      return "electricity_maps";
    case TraceFormat::epw:
      return "epw";
    case TraceFormat::nsrdb_psm3:
      return "nsrdb_psm3";
    case TraceFormat::pvgis_tmy:
      return "pvgis_tmy";
    case TraceFormat::generic_csv:
      return "generic_csv";
  }
  return "?";
}

const char* to_string(TimeBase b) {
  switch (b) {
    case TimeBase::absolute_utc:
      return "absolute_utc";
    case TimeBase::typical_year:
      return "typical_year";
    case TimeBase::relative:
      return "relative";
  }
  return "?";
}

namespace {

using text::quote;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kMaxDiagnostics = 50;
constexpr std::size_t kMaxNotes = 50;
constexpr int kNoOffset = INT_MIN;

// Collects diagnostics for one file, capped so a wholly wrong file gives a readable error.
struct Diags {
  std::string file;
  std::vector<Diagnostic> list;
  std::size_t suppressed = 0;

  void add(int line, int column, std::string key, std::string message) {
    if (list.size() >= kMaxDiagnostics) {
      ++suppressed;
      return;
    }
    Diagnostic d;
    d.file = file;
    d.line = line;
    d.column = column;
    d.key_path = std::move(key);
    d.message = std::move(message);
    list.push_back(std::move(d));
  }
  void throw_if_any() {
    if (list.empty()) return;
    if (suppressed > 0) {
      Diagnostic d;
      d.file = file;
      d.message = "and " + std::to_string(suppressed) + " more problems of the same kinds";
      list.push_back(std::move(d));
    }
    throw InputError(list);
  }
};

int column_of(std::string_view line, std::string_view field) {
  return static_cast<int>(field.data() - line.data()) + 1;
}

// Rows as read, before the fault rules.
struct Raw {
  TraceMeta meta;
  std::vector<std::string> names;
  std::vector<std::pair<std::string, std::string>> aliases;
  std::vector<double> key;                // file-order time in seconds (see key_minus_utc_s)
  std::vector<int> line;                  // file line of each row
  std::vector<int> offset_min;            // explicit UTC offset per row (kNoOffset if none)
  std::vector<std::uint8_t> row_flags;    // per row, e.g. kPointSourceEstimated (empty = none)
  std::vector<std::vector<double>> cols;  // NaN = empty cell
  double key_minus_utc_s = 0;             // key = UTC + this (local standard clocks)
  bool naive_local_clock = false;  // offset-less timestamps of a local clock: look for DST jumps
  Interp interp = Interp::step;
  std::vector<std::string> notes;

  void add_columns(std::vector<std::string> n) {
    names = std::move(n);
    cols.assign(names.size(), {});
  }
  void reserve(std::size_t n) {
    key.reserve(n);
    line.reserve(n);
    offset_min.reserve(n);
    for (auto& c : cols) c.reserve(n);
  }
};

// Parses a numeric cell: empty markers give NaN; garbage is a diagnostic (and NaN).
double cell_value(std::string_view line, std::string_view field, int line_no,
                  const std::string& column, Diags& diags, double missing_at_or_above = kNaN) {
  if (text::is_empty_cell(field)) return kNaN;
  const auto v = text::parse_number(field);
  if (!v) {
    diags.add(line_no, column_of(line, field), column, "expected a number, got " + quote(field));
    return kNaN;
  }
  if (!std::isnan(missing_at_or_above) && *v >= missing_at_or_above) return kNaN;
  return *v;
}

double civil_seconds(int y, int m, int d, int h, int mi = 0, double s = 0) {
  return static_cast<double>(days_from_civil(y, m, d)) * 86400.0 + h * 3600.0 + mi * 60.0 + s;
}

// Typical-year files mix months of different years; their points are placed in one reference
// year: a leap year if the file has a Feb 29, else a common year.
int typical_reference_year(bool has_feb29) {
  return has_feb29 ? 2000 : 2001;
}

// ---------------------------------------------------------------------------------------------
// Format parsers: fill Raw; report malformed input into Diags.

// Header-driven CSV with one time column at `time_index` and numeric columns `numeric`.
struct CsvLayout {
  std::size_t time_index = 0;
  std::vector<std::size_t> numeric;  // field indices
  std::size_t min_fields = 0;
};

void parse_timestamp_rows(text::LineReader& reader, const CsvLayout& layout, Raw& raw, Diags& diags,
                          const char* example) {
  std::vector<std::string_view> f;
  std::string_view line;
  while (reader.next(line)) {
    if (text::trim(line).empty()) continue;
    const int ln = reader.line_no();
    text::split_csv(line, f);
    if (f.size() < layout.min_fields) {
      diags.add(ln, 0, {},
                "expected " + std::to_string(layout.min_fields) + " fields, got " +
                    std::to_string(f.size()));
      continue;
    }
    const auto ts = text::parse_timestamp(f[layout.time_index]);
    if (!ts) {
      diags.add(ln, column_of(line, f[layout.time_index]), {},
                std::string("expected a timestamp like ") + example + ", got " +
                    quote(f[layout.time_index]));
      continue;
    }
    // Keys live on the file's clock (key = UTC + key_minus_utc_s): offset-less stamps are read on
    // that clock, stamps with an explicit offset are exact UTC instants.
    raw.key.push_back(ts->has_offset ? ts->unix_s + raw.key_minus_utc_s : ts->unix_s);
    raw.line.push_back(ln);
    raw.offset_min.push_back(ts->has_offset ? ts->offset_min : kNoOffset);
    for (std::size_t c = 0; c < layout.numeric.size(); ++c)
      raw.cols[c].push_back(cell_value(line, f[layout.numeric[c]], ln, raw.names[c], diags));
  }
}

void parse_eia930(std::string_view txt, Raw& raw, Diags& diags) {
  text::LineReader reader(txt);
  std::string_view line;
  std::vector<std::string_view> f;
  reader.next(line);
  text::split_csv(line, f);
  CsvLayout layout;
  std::vector<std::string> names;
  bool have_time = false;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const auto name = text::trim(f[i]);
    if (name == "timestamp") {
      layout.time_index = i;
      have_time = true;
    } else if (!name.empty()) {
      layout.numeric.push_back(i);
      names.emplace_back(name);
    }
  }
  if (!have_time) diags.add(1, 1, {}, "expected a 'timestamp' column, got header " + quote(line));
  layout.min_fields = f.size();
  raw.add_columns(names);
  raw.aliases = {{"carbon_gco2_kwh", "avg_CI"}, {"solar", "SUN"}, {"wind", "WND"}};
  raw.reserve(8784);
  if (!have_time) return;
  parse_timestamp_rows(reader, layout, raw, diags, "2022-01-01 00:00:00+00:00");
}

void parse_electricity_maps(std::string_view txt, Raw& raw, Diags& diags) {
  text::LineReader reader(txt);
  std::string_view line;
  std::vector<std::string_view> f;
  reader.next(line);
  text::split_csv(line, f);
  CsvLayout layout;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const auto name = text::trim(f[i]);
    if (name.rfind("Carbon Intensity", 0) == 0 ||
        name.find("Percentage") != std::string_view::npos) {
      layout.numeric.push_back(i);
      names.emplace_back(name);
      const std::string n(name);
      if (name.find("(direct)") != std::string_view::npos) {
        raw.aliases.push_back({"direct", n});
        raw.aliases.push_back({"carbon_gco2_kwh", n});
      } else if (name.find("(LCA)") != std::string_view::npos) {
        raw.aliases.push_back({"lca", n});
      } else if (name == "Low Carbon Percentage") {
        raw.aliases.push_back({"low_carbon_pct", n});
      } else if (name == "Renewable Percentage") {
        raw.aliases.push_back({"renewable_pct", n});
      }
    }
  }
  if (names.empty())
    diags.add(1, 1, {},
              "expected 'Carbon Intensity gCO₂eq/kWh (direct)' and similar columns, got header " +
                  quote(line));
  layout.min_fields = layout.numeric.empty() ? 1 : layout.numeric.back() + 1;
  raw.add_columns(names);
  raw.reserve(8784);
  // "Data Estimated" = true marks values Electricity Maps estimated: kept, flagged and counted.
  std::size_t est_col = SIZE_MAX;
  for (std::size_t i = 0; i < f.size(); ++i)
    if (text::trim(f[i]) == "Data Estimated") est_col = i;
  if (est_col == SIZE_MAX) {
    parse_timestamp_rows(reader, layout, raw, diags, "2023-01-01 00:00:00");
    return;
  }
  // Second pass over the same lines for the flag column (rows that parsed keep their order).
  parse_timestamp_rows(reader, layout, raw, diags, "2023-01-01 00:00:00");
  text::LineReader again(txt);
  std::string_view l;
  again.next(l);
  raw.row_flags.assign(raw.key.size(), kPointOriginal);
  std::size_t r = 0;
  for (; again.next(l) && r < raw.line.size();) {
    if (again.line_no() != raw.line[r]) continue;
    text::split_csv(l, f);
    if (est_col < f.size() && text::trim(f[est_col]) == "true")
      raw.row_flags[r] = kPointSourceEstimated;
    ++r;
  }
}

void parse_generic(std::string_view txt, Raw& raw, Diags& diags) {
  text::LineReader reader(txt);
  std::string_view line;
  std::vector<std::string_view> f;
  bool typical = false;
  // Metadata comments "# key: value" before the header.
  while (reader.next(line)) {
    const auto t = text::trim(line);
    if (t.empty()) continue;
    if (t.front() != '#') break;
    auto body = text::trim(t.substr(1));
    const auto colon = body.find(':');
    if (colon == std::string_view::npos) continue;
    const auto k = text::trim(body.substr(0, colon));
    const auto v = text::trim(body.substr(colon + 1));
    if (k == "utc_offset_h") {
      const auto x = text::parse_number(v);
      if (!x || *x < -14 || *x > 14)
        diags.add(reader.line_no(), 0, "utc_offset_h",
                  "expected hours in [-14, 14], got " + quote(v));
      else {
        raw.meta.utc_offset_h = *x;
        raw.key_minus_utc_s = *x * 3600.0;
      }
    } else if (k == "typical_year") {
      if (v == "true")
        typical = true;
      else if (v != "false")
        diags.add(reader.line_no(), 0, "typical_year", "expected true or false, got " + quote(v));
    } else if (k == "interp") {
      if (v == "linear")
        raw.interp = Interp::linear;
      else if (v != "step")
        diags.add(reader.line_no(), 0, "interp", "expected step or linear, got " + quote(v));
    }
  }
  text::split_csv(line, f);
  const int header_line = reader.line_no();
  const auto first = f.empty() ? std::string_view{} : text::trim(f[0]);
  if (first != "time" && first != "time_s") {
    diags.add(header_line, 1, {},
              "expected a header starting with 'time' or 'time_s', got " + quote(line));
    return;
  }
  CsvLayout layout;
  std::vector<std::string> names;
  for (std::size_t i = 1; i < f.size(); ++i) {
    const auto name = text::trim(f[i]);
    if (name.empty()) {
      diags.add(header_line, column_of(line, f[i]), {}, "expected a column name, got an empty one");
      continue;
    }
    layout.numeric.push_back(i);
    names.emplace_back(name);
  }
  if (names.empty()) diags.add(header_line, 1, {}, "expected at least one value column, got none");
  layout.min_fields = f.size();
  raw.add_columns(names);
  // Aliases: the only value column, or the first column whose name starts with the quantity.
  auto alias_prefix = [&](const char* alias, std::string_view prefix) {
    for (const auto& n : names)
      if (n != alias && n.rfind(prefix, 0) == 0) {
        raw.aliases.push_back({alias, n});
        return;
      }
    if (names.size() == 1 && names[0] != alias) raw.aliases.push_back({alias, names[0]});
  };
  alias_prefix("carbon_gco2_kwh", "carbon");
  alias_prefix("price", "price");
  if (first == "time_s") {
    raw.meta.base = TimeBase::relative;
    std::string_view l;
    while (reader.next(l)) {
      if (text::trim(l).empty() || text::trim(l).front() == '#') continue;
      const int ln = reader.line_no();
      text::split_csv(l, f);
      if (f.size() < layout.min_fields) {
        diags.add(ln, 0, {},
                  "expected " + std::to_string(layout.min_fields) + " fields, got " +
                      std::to_string(f.size()));
        continue;
      }
      const auto t = text::parse_number(f[0]);
      if (!t || std::fabs(*t) > 1e12) {  // 1e12 s ≈ 31,700 years
        diags.add(ln, 1, "time_s",
                  "expected seconds since the run start within ±1e12, got " + quote(f[0]));
        continue;
      }
      raw.key.push_back(*t);
      raw.line.push_back(ln);
      raw.offset_min.push_back(kNoOffset);
      for (std::size_t c = 0; c < layout.numeric.size(); ++c)
        raw.cols[c].push_back(cell_value(l, f[layout.numeric[c]], ln, raw.names[c], diags));
    }
    return;
  }
  raw.naive_local_clock = true;  // only rows without an explicit offset are treated so (below)
  parse_timestamp_rows(reader, layout, raw, diags, "2024-01-01T00:00:00Z");
  if (typical) {
    // Re-place every row in the reference year (month/day/hour kept).
    bool feb29 = false;
    for (double k : raw.key) {
      const CivilTime c = civil_from_unix(k);
      feb29 |= c.month == 2 && c.day == 29;
    }
    const int ry = typical_reference_year(feb29);
    for (double& k : raw.key) {
      const CivilTime c = civil_from_unix(k);
      k = civil_seconds(ry, c.month, c.day, c.hour, c.minute, c.second);
    }
    raw.meta.base = TimeBase::typical_year;
    raw.meta.reference_year = ry;
  }
}

// EPW: https://bigladdersoftware.com/epx/docs/ (Auxiliary Programs, "Weather File Format").
void parse_epw(std::string_view txt, Raw& raw, Diags& diags) {
  text::LineReader reader(txt);
  std::string_view line;
  std::vector<std::string_view> f;
  reader.next(line);
  text::split_csv(line, f);
  if (f.empty() || text::trim(f[0]) != "LOCATION" || f.size() < 10) {
    diags.add(1, 1, {}, "expected an EPW LOCATION line with 10 fields, got " + quote(line));
    return;
  }
  const auto tz = text::parse_number(f[8]);
  if (!tz || *tz < -14 || *tz > 14) {
    diags.add(1, column_of(line, f[8]), "LOCATION.time_zone",
              "expected hours from UTC in [-14, 14], got " + quote(f[8]));
    return;
  }
  raw.meta.utc_offset_h = *tz;
  raw.key_minus_utc_s = *tz * 3600.0;
  for (int i = 2; i <= 8; ++i) {
    if (!reader.next(line)) {
      diags.add(reader.line_no(), 0, {},
                "expected 8 EPW header lines, got " + std::to_string(reader.line_no()));
      return;
    }
  }
  // 0-based EPW fields we read, their names and the "missing" marker (value >= marker).
  struct Col {
    std::size_t idx;
    const char* name;
    double missing;
  };
  static const Col kCols[] = {
      {6, "temperature_c", 99.9}, {7, "dew_point_c", 99.9},  {8, "relative_humidity_pct", 999},
      {9, "pressure_pa", 999999}, {13, "ghi_w_m2", 9999},    {14, "dni_w_m2", 9999},
      {15, "dhi_w_m2", 9999},     {20, "wind_dir_deg", 999}, {21, "wind_ms", 999},
  };
  std::vector<std::string> names;
  for (const auto& c : kCols) names.emplace_back(c.name);
  raw.add_columns(names);
  raw.reserve(8784);
  struct Civil {
    int y, m, d, h;
  };
  std::vector<Civil> civ;
  civ.reserve(8784);
  std::string_view l;
  while (reader.next(l)) {
    if (text::trim(l).empty()) continue;
    const int ln = reader.line_no();
    text::split_csv(l, f);
    if (f.size() < 22) {
      diags.add(ln, 0, {}, "expected at least 22 EPW fields, got " + std::to_string(f.size()));
      continue;
    }
    const auto y = text::parse_int(f[0]), m = text::parse_int(f[1]), d = text::parse_int(f[2]),
               h = text::parse_int(f[3]), mi = text::parse_int(f[4]);
    if (!y || !m || !d || !h || *y < 1 || *y > 9999 || *m < 1 || *m > 12 || *d < 1 ||
        *d > days_in_month(static_cast<int>(*y), static_cast<int>(*m)) + (*m == 2 ? 1 : 0)) {
      diags.add(ln, 1, {},
                "expected year,month,day with a valid date, got " + quote(l.substr(0, 20)));
      continue;
    }
    if (*h < 1 || *h > 24) {
      diags.add(ln, column_of(l, f[3]), "hour",
                "expected an hour-ending hour in 1..24, got " + quote(f[3]));
      continue;
    }
    if (!mi || (*mi != 0 && *mi != 60)) {
      diags.add(ln, column_of(l, f[4]), "minute",
                "expected minute 0 or 60 (hourly EPW), got " + quote(f[4]));
      continue;
    }
    civ.push_back(
        {static_cast<int>(*y), static_cast<int>(*m), static_cast<int>(*d), static_cast<int>(*h)});
    raw.line.push_back(ln);
    raw.offset_min.push_back(kNoOffset);
    for (std::size_t c = 0; c < std::size(kCols); ++c)
      raw.cols[c].push_back(cell_value(l, f[kCols[c].idx], ln, names[c], diags, kCols[c].missing));
  }
  if (civ.empty()) return;
  bool years_differ = false, feb29 = false;
  for (const auto& c : civ) {
    years_differ |= c.y != civ.front().y;
    feb29 |= c.m == 2 && c.d == 29;
  }
  int ref = civ.front().y;
  if (years_differ) {
    ref = typical_reference_year(feb29);
    raw.meta.base = TimeBase::typical_year;
    raw.meta.reference_year = ref;
  }
  for (std::size_t i = 0; i < civ.size(); ++i) {
    const auto& c = civ[i];
    const int y = years_differ ? ref : c.y;
    if (c.d > days_in_month(y, c.m)) {
      diags.add(raw.line[i], 1, {},
                "expected a valid date, got " + std::to_string(y) + "-" + std::to_string(c.m) +
                    "-" + std::to_string(c.d));
    }
    // Hour-ending h covers [h-1, h) local standard time: the point starts its interval.
    raw.key.push_back(civil_seconds(y, c.m, c.d, c.h - 1));
  }
}

// NSRDB PSM3 CSV: line 1 metadata names, line 2 values, line 3 the header.
void parse_nsrdb(std::string_view txt, Raw& raw, Diags& diags) {
  text::LineReader reader(txt);
  std::string_view l1, l2, l3;
  std::vector<std::string_view> k, v, f;
  if (!reader.next(l1) || !reader.next(l2) || !reader.next(l3)) {
    diags.add(reader.line_no(), 0, {},
              "expected 2 NSRDB metadata lines and a header, got a shorter file");
    return;
  }
  text::split_csv(l1, k);
  text::split_csv(l2, v);
  bool have_tz = false;
  for (std::size_t i = 0; i < k.size() && i < v.size(); ++i) {
    if (text::trim(k[i]) == "Time Zone") {
      const auto tz = text::parse_number(v[i]);
      if (!tz || *tz < -14 || *tz > 14) {
        diags.add(2, column_of(l2, v[i]), "Time Zone",
                  "expected hours from UTC in [-14, 14], got " + quote(v[i]));
        return;
      }
      raw.meta.utc_offset_h = *tz;
      raw.key_minus_utc_s = *tz * 3600.0;
      have_tz = true;
    }
  }
  if (!have_tz) {
    diags.add(1, 1, "Time Zone", "expected a 'Time Zone' metadata field, got none");
    return;
  }
  text::split_csv(l3, f);
  std::size_t iy = SIZE_MAX, im = SIZE_MAX, id = SIZE_MAX, ih = SIZE_MAX, imin = SIZE_MAX;
  CsvLayout layout;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const auto n = text::trim(f[i]);
    if (n == "Year")
      iy = i;
    else if (n == "Month")
      im = i;
    else if (n == "Day")
      id = i;
    else if (n == "Hour")
      ih = i;
    else if (n == "Minute")
      imin = i;
    else if (!n.empty()) {
      layout.numeric.push_back(i);
      names.emplace_back(n);
    }
  }
  if (iy == SIZE_MAX || im == SIZE_MAX || id == SIZE_MAX || ih == SIZE_MAX) {
    diags.add(3, 1, {}, "expected Year,Month,Day,Hour[,Minute] columns, got header " + quote(l3));
    return;
  }
  raw.add_columns(names);
  raw.aliases = {{"temperature_c", "Temperature"},
                 {"ghi_w_m2", "GHI"},
                 {"wind_ms", "Wind Speed"},
                 {"dni_w_m2", "DNI"},
                 {"dhi_w_m2", "DHI"}};
  raw.reserve(17568);
  const std::size_t need = std::max({iy, im, id, ih, imin == SIZE_MAX ? 0 : imin,
                                     layout.numeric.empty() ? 0 : layout.numeric.back()}) +
                           1;
  std::string_view l;
  while (reader.next(l)) {
    if (text::trim(l).empty()) continue;
    const int ln = reader.line_no();
    text::split_csv(l, f);
    if (f.size() < need) {
      diags.add(ln, 0, {},
                "expected " + std::to_string(need) + " fields, got " + std::to_string(f.size()));
      continue;
    }
    const auto y = text::parse_int(f[iy]), m = text::parse_int(f[im]), d = text::parse_int(f[id]),
               h = text::parse_int(f[ih]);
    const auto mi = imin == SIZE_MAX ? std::optional<long>(0) : text::parse_int(f[imin]);
    if (!y || !m || !d || !h || !mi || *y < 1 || *y > 9999 || *m < 1 || *m > 12 || *d < 1 ||
        *d > days_in_month(static_cast<int>(*y), static_cast<int>(*m)) || *h < 0 || *h > 23 ||
        *mi < 0 || *mi > 59) {
      diags.add(ln, 1, {},
                "expected Year,Month,Day,Hour,Minute of a valid local time, got " +
                    quote(l.substr(0, 24)));
      continue;
    }
    raw.key.push_back(civil_seconds(static_cast<int>(*y), static_cast<int>(*m),
                                    static_cast<int>(*d), static_cast<int>(*h),
                                    static_cast<int>(*mi)));
    raw.line.push_back(ln);
    raw.offset_min.push_back(kNoOffset);
    for (std::size_t c = 0; c < layout.numeric.size(); ++c)
      raw.cols[c].push_back(cell_value(l, f[layout.numeric[c]], ln, raw.names[c], diags));
  }
}

// PVGIS TMY CSV: metadata lines, a month/year table, the header "time(UTC),T2m,...", rows, a
// blank line and a legend.
void parse_pvgis(std::string_view txt, Raw& raw, Diags& diags) {
  text::LineReader reader(txt);
  std::string_view line;
  std::vector<std::string_view> f;
  bool found = false;
  while (reader.next(line)) {
    if (line.rfind("time(UTC)", 0) == 0) {
      found = true;
      break;
    }
  }
  if (!found) {
    diags.add(reader.line_no(), 0, {}, "expected a 'time(UTC),T2m,...' header line, got none");
    return;
  }
  text::split_csv(line, f);
  CsvLayout layout;
  std::vector<std::string> names;
  for (std::size_t i = 1; i < f.size(); ++i) {
    const auto n = text::trim(f[i]);
    if (n.empty()) continue;
    layout.numeric.push_back(i);
    names.emplace_back(n);
  }
  layout.min_fields = layout.numeric.empty() ? 1 : layout.numeric.back() + 1;
  raw.add_columns(names);
  raw.aliases = {{"temperature_c", "T2m"},
                 {"ghi_w_m2", "G(h)"},
                 {"wind_ms", "WS10m"},
                 {"dni_w_m2", "Gb(n)"},
                 {"dhi_w_m2", "Gd(h)"}};
  raw.reserve(8784);
  struct Civil {
    int m, d, h, mi;
  };
  std::vector<Civil> civ;
  civ.reserve(8784);
  std::string_view l;
  int first_year = -1;
  bool years_differ = false, feb29 = false;
  while (reader.next(l)) {
    if (text::trim(l).empty()) break;  // the legend follows the blank line
    const int ln = reader.line_no();
    text::split_csv(l, f);
    if (f.size() < layout.min_fields) {
      diags.add(ln, 0, {},
                "expected " + std::to_string(layout.min_fields) + " fields, got " +
                    std::to_string(f.size()));
      continue;
    }
    const auto ts = text::parse_timestamp(f[0]);
    if (!ts) {
      diags.add(ln, 1, {}, "expected a time like 20180101:0000, got " + quote(f[0]));
      continue;
    }
    const CivilTime c = civil_from_unix(ts->unix_s);
    if (first_year < 0) first_year = c.year;
    years_differ |= c.year != first_year;
    feb29 |= c.month == 2 && c.day == 29;
    civ.push_back({c.month, c.day, c.hour, c.minute});
    raw.key.push_back(ts->unix_s);
    raw.line.push_back(ln);
    raw.offset_min.push_back(kNoOffset);
    for (std::size_t k = 0; k < layout.numeric.size(); ++k)
      raw.cols[k].push_back(cell_value(l, f[layout.numeric[k]], ln, raw.names[k], diags));
  }
  if (years_differ) {
    const int ref = typical_reference_year(feb29);
    raw.meta.base = TimeBase::typical_year;
    raw.meta.reference_year = ref;
    for (std::size_t i = 0; i < civ.size(); ++i)
      raw.key[i] = civil_seconds(ref, civ[i].m, civ[i].d, civ[i].h, civ[i].mi);
  }
}

// ---------------------------------------------------------------------------------------------
// Fault rules: order, duplicates, gaps, empty cells; then UTC and typical-year placement.

bool dst_like(double key, Seconds jump_s) {
  if (std::fabs(jump_s - 3600.0) > 1e-6) return false;
  const CivilTime c = civil_from_unix(key);
  const bool month = c.month == 3 || c.month == 4 || c.month == 10 || c.month == 11 ||
                     c.month == 9;  // southern-hemisphere changes happen in Sep/Oct and Apr
  return month && c.hour >= 0 && c.hour <= 4;
}

std::string iso(double unix_s) {
  return format_iso(civil_from_unix(unix_s));
}

TraceTable clean(Raw& raw, const FaultRules& rules, Diags& diags) {
  const std::size_t n0 = raw.key.size();
  const std::size_t ncol = raw.cols.size();
  if (n0 == 0) {
    diags.add(0, 0, {}, "expected at least one data row, got none");
    diags.throw_if_any();
  }
  std::vector<std::string> notes = std::move(raw.notes);
  std::size_t unordered = 0, duplicates = 0, gaps = 0, gap_points = 0, dst = 0;

  // Offset changes in explicit timestamps (e.g. -08:00 → -07:00) are DST jumps: converting each
  // row with its own offset already places it correctly; we count them.
  for (std::size_t i = 1; i < n0; ++i) {
    if (raw.offset_min[i] != kNoOffset && raw.offset_min[i - 1] != kNoOffset &&
        raw.offset_min[i] != raw.offset_min[i - 1]) {
      ++dst;
      notes.push_back(diags.file + ":" + std::to_string(raw.line[i]) +
                      ": UTC offset changes from " + std::to_string(raw.offset_min[i - 1]) +
                      " to " + std::to_string(raw.offset_min[i]) +
                      " min (daylight saving); times converted to UTC row by row");
    }
  }
  // Only offset-less rows of a local clock can hide DST jumps as duplicate or missing hours.
  auto naive_row = [&](std::size_t i) {
    return raw.naive_local_clock && raw.offset_min[i] == kNoOffset;
  };

  // 1. Order.
  std::vector<std::size_t> perm(n0);
  std::iota(perm.begin(), perm.end(), 0);
  for (std::size_t i = 1; i < n0; ++i) {
    if (raw.key[i] < raw.key[i - 1]) {
      ++unordered;
      if (rules.unordered == OrderRule::error)
        diags.add(raw.line[i], 0, {},
                  "expected timestamps in increasing order, got " + iso(raw.key[i]) + " after " +
                      iso(raw.key[i - 1]) + " (line " + std::to_string(raw.line[i - 1]) + ")");
    }
  }
  if (unordered > 0 && rules.unordered == OrderRule::sort) {
    std::stable_sort(perm.begin(), perm.end(),
                     [&](std::size_t a, std::size_t b) { return raw.key[a] < raw.key[b]; });
    notes.push_back(diags.file + ": " + std::to_string(unordered) +
                    " rows out of time order; sorted by time (rule unordered=sort)");
  }
  diags.throw_if_any();

  // 2. Duplicates (equal keys are adjacent after sorting; the stable sort keeps file order).
  std::vector<std::size_t> keep;
  keep.reserve(n0);
  for (std::size_t a = 0; a < n0;) {
    std::size_t b = a + 1;
    while (b < n0 && raw.key[perm[b]] == raw.key[perm[a]]) ++b;
    if (b - a > 1) {
      duplicates += b - a - 1;
      if (rules.duplicates == DuplicateRule::error) {
        for (std::size_t k = a + 1; k < b; ++k)
          diags.add(raw.line[perm[k]], 0, {},
                    "expected one row per timestamp, got a second row for " +
                        iso(raw.key[perm[k]]) + " (first at line " +
                        std::to_string(raw.line[perm[a]]) + ")");
      }
      if (naive_row(perm[a]) && b - a == 2 && dst_like(raw.key[perm[a]], 3600.0)) {
        ++dst;
        notes.push_back(diags.file + ":" + std::to_string(raw.line[perm[a + 1]]) +
                        ": repeated hour " + iso(raw.key[perm[a]]) +
                        " looks like a daylight-saving fall-back in local time; "
                        "give timestamps with a UTC offset to avoid it");
      }
      notes.push_back(diags.file + ":" + std::to_string(raw.line[perm[a + 1]]) + ": " +
                      std::to_string(b - a - 1) + " duplicate row(s) for " + iso(raw.key[perm[a]]) +
                      "; kept the " +
                      (rules.duplicates == DuplicateRule::keep_last ? "last" : "first"));
    }
    keep.push_back(rules.duplicates == DuplicateRule::keep_last ? perm[b - 1] : perm[a]);
    a = b;
  }
  diags.throw_if_any();

  std::size_t n = keep.size();
  std::vector<double> key(n);
  std::vector<int> line(n);
  for (std::size_t i = 0; i < n; ++i) {
    key[i] = raw.key[keep[i]];
    line[i] = raw.line[keep[i]];
  }

  // 3. Nominal step and gaps (only for regular traces: >= 90 % of steps are multiples of the
  // median).
  Seconds step = 0;
  if (n >= 3) {
    std::vector<double> dt(n - 1);
    for (std::size_t i = 1; i < n; ++i) dt[i - 1] = key[i] - key[i - 1];
    std::vector<double> tmp = dt;
    std::nth_element(tmp.begin(), tmp.begin() + static_cast<std::ptrdiff_t>(tmp.size() / 2),
                     tmp.end());
    const double med = tmp[tmp.size() / 2];
    // Regular: (nearly) every step is a whole multiple of the median; multiples > 1 are gaps.
    const auto regular = std::count_if(dt.begin(), dt.end(), [&](double d) {
      const double k = std::round(d / med);
      return k >= 1 && std::fabs(d - k * med) <= 1e-6 * med;
    });
    if (med > 0 && static_cast<double>(regular) >= 0.9 * static_cast<double>(dt.size()))
      step = med;
    else
      notes.push_back(diags.file + ": irregular time steps; no gap detection");
  }
  std::vector<std::uint8_t> flags(n, kPointOriginal);
  std::size_t estimated = 0;
  if (!raw.row_flags.empty())
    for (std::size_t i = 0; i < n; ++i) {
      flags[i] = raw.row_flags[keep[i]];
      estimated += (flags[i] & kPointSourceEstimated) != 0;
    }
  if (estimated > 0)
    notes.push_back(
        diags.file + ": " + std::to_string(estimated) +
        " rows marked as estimated by the source (kept, flagged kPointSourceEstimated)");
  std::vector<std::size_t> src(n);  // index into raw columns, or SIZE_MAX for inserted points
  for (std::size_t i = 0; i < n; ++i) src[i] = keep[i];
  if (step > 0) {
    double needed = 0;
    for (std::size_t i = 1; i < n; ++i) {
      const double dt = key[i] - key[i - 1];
      if (dt > rules.gap_factor * step) needed += std::round(dt / step) - 1;
    }
    if (rules.missing_steps != GapRule::error &&
        needed > static_cast<double>(rules.max_gap_points)) {
      diags.add(0, 0, {},
                "expected gaps that need at most " + std::to_string(rules.max_gap_points) +
                    " filled points at the " + std::to_string(static_cast<long long>(step)) +
                    " s step, got " + std::to_string(static_cast<long long>(needed)) +
                    " (a stray timestamp?)");
      diags.throw_if_any();
    }
    std::vector<double> k2;
    std::vector<int> l2;
    std::vector<std::uint8_t> f2;
    std::vector<std::size_t> s2;
    k2.reserve(n);
    l2.reserve(n);
    f2.reserve(n);
    s2.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (i > 0) {
        const double dt = key[i] - key[i - 1];
        if (dt > rules.gap_factor * step) {
          ++gaps;
          if (naive_row(keep[i]) && dst_like(key[i - 1] + step, dt - step)) {
            ++dst;
            notes.push_back(diags.file + ":" + std::to_string(line[i]) + ": missing hour at " +
                            iso(key[i - 1] + step) +
                            " looks like a daylight-saving spring-forward in "
                            "local time; give timestamps with a UTC offset to avoid it");
          }
          if (rules.missing_steps == GapRule::error) {
            diags.add(line[i], 0, {},
                      "expected a row every " + std::to_string(static_cast<long long>(step)) +
                          " s, got a gap of " + std::to_string(static_cast<long long>(dt)) +
                          " s after " + iso(key[i - 1]) + " (line " + std::to_string(line[i - 1]) +
                          ")");
          } else {
            std::size_t inserted = 0;
            const auto m = static_cast<std::size_t>(std::max(0.0, std::round(dt / step) - 1));
            for (std::size_t k = 1; k <= m; ++k) {
              const double t = key[i - 1] + static_cast<double>(k) * step;
              if (!(t > k2.back() && t < key[i])) continue;  // rounding at huge times
              k2.push_back(t);
              l2.push_back(line[i]);
              f2.push_back(kPointFilledGap);
              s2.push_back(SIZE_MAX);
              ++inserted;
            }
            gap_points += inserted;
            notes.push_back(diags.file + ":" + std::to_string(line[i]) + ": gap of " +
                            std::to_string(static_cast<long long>(dt)) + " s after " +
                            iso(key[i - 1]) + "; " + std::to_string(inserted) +
                            " points filled (rule missing_steps=" + to_string(rules.missing_steps) +
                            ")");
          }
        }
      }
      k2.push_back(key[i]);
      l2.push_back(line[i]);
      f2.push_back(flags[i]);
      s2.push_back(keep[i]);
    }
    key = std::move(k2);
    line = std::move(l2);
    flags = std::move(f2);
    src = std::move(s2);
    n = key.size();
  }
  diags.throw_if_any();

  // 4. Empty cells, per column.
  TraceTable out;
  out.meta = raw.meta;
  out.meta.nominal_step_s = step;
  out.names = raw.names;
  out.aliases = raw.aliases;
  std::vector<std::vector<double>> values(ncol, std::vector<double>(n));
  std::vector<std::vector<std::uint8_t>> col_flags(ncol);
  std::vector<std::size_t> empty_filled(ncol, 0);
  std::vector<bool> all_empty(ncol, false);
  for (std::size_t c = 0; c < ncol; ++c) {
    auto& v = values[c];
    auto& fl = col_flags[c];
    fl = flags;
    for (std::size_t i = 0; i < n; ++i) v[i] = src[i] == SIZE_MAX ? kNaN : raw.cols[c][src[i]];
    // Previous and next valid index for each point.
    std::size_t first_valid = SIZE_MAX;
    for (std::size_t i = 0; i < n; ++i)
      if (!std::isnan(v[i])) {
        first_valid = i;
        break;
      }
    if (first_valid == SIZE_MAX) {
      all_empty[c] = true;
      notes.push_back(diags.file + ": column '" + raw.names[c] + "' has no values");
      continue;
    }
    std::size_t prev = SIZE_MAX, next = 0;  // valid neighbours; `next` is reused along a run
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isnan(v[i])) {
        prev = i;
        continue;
      }
      const bool gap_point = (fl[i] & kPointFilledGap) != 0;
      const GapRule rule = gap_point ? rules.missing_steps : rules.empty_cells;
      if (!gap_point) {
        ++empty_filled[c];
        fl[i] |= kPointFilledEmpty;
        if (rule == GapRule::error) {
          diags.add(line[i], 0, raw.names[c], "expected a number, got an empty cell");
          continue;
        }
      }
      if (next <= i) {
        next = i + 1;
        while (next < n && std::isnan(v[next])) ++next;
      }
      if (prev == SIZE_MAX) {
        v[i] = v[first_valid];
      } else if (rule == GapRule::hold || next >= n) {
        v[i] = v[prev];
      } else {
        const double w = (key[i] - key[prev]) / (key[next] - key[prev]);
        v[i] = v[prev] + w * (v[next] - v[prev]);
      }
    }
    if (empty_filled[c] > 0 && rules.empty_cells != GapRule::error)
      notes.push_back(
          diags.file + ": column '" + raw.names[c] + "': " + std::to_string(empty_filled[c]) +
          " empty cells filled (rule empty_cells=" + to_string(rules.empty_cells) + ")");
  }
  diags.throw_if_any();

  // 5. UTC, and typical-year placement: a local-standard-time year shifted to UTC spills a few
  // hours into the neighbouring year; they are folded back into the reference year (a rotation).
  std::vector<double> t(n);
  for (std::size_t i = 0; i < n; ++i) t[i] = key[i] - raw.key_minus_utc_s;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::size_t folded_dups = 0;
  if (out.meta.base == TimeBase::typical_year) {
    const int ry = out.meta.reference_year;
    const double y0 = civil_seconds(ry, 1, 1, 0), y1 = civil_seconds(ry + 1, 1, 1, 0);
    bool folded = false;
    for (double& x : t) {
      while (x < y0) {
        x += y1 - y0;
        folded = true;
      }
      while (x >= y1) {
        x -= y1 - y0;
        folded = true;
      }
    }
    if (folded) {
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return t[a] < t[b]; });
      std::vector<std::size_t> uniq;
      uniq.reserve(n);
      for (std::size_t i : order) {
        if (!uniq.empty() && t[uniq.back()] == t[i]) {
          ++folded_dups;
          continue;
        }
        uniq.push_back(i);
      }
      order = std::move(uniq);
      if (folded_dups > 0)
        notes.push_back(diags.file + ": " + std::to_string(folded_dups) +
                        " points overlap after placing the typical year in UTC; kept the first");
    }
  }
  std::vector<double> times(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) times[i] = t[order[i]];

  for (std::size_t c = 0; c < ncol; ++c) {
    TraceReport rep;
    rep.file = diags.file;
    rep.format = to_string(out.meta.format);
    rep.column = raw.names[c];
    rep.rows = n0;
    rep.nominal_step_s = step;
    rep.empty_cells_filled = empty_filled[c];
    rep.gaps = gaps;
    rep.gap_points_filled = gap_points;
    rep.duplicates_dropped = duplicates + folded_dups;
    rep.unordered_rows_sorted = unordered;
    rep.dst_jumps = dst;
    rep.source_estimated = estimated;
    // Notes go to provenance: the first kMaxNotes, then a count (the counters stay exact).
    std::size_t more = 0;
    for (const auto& note : notes)
      if (note.find("column '") == std::string::npos ||
          note.find("column '" + raw.names[c] + "'") != std::string::npos) {
        if (rep.notes.size() < kMaxNotes)
          rep.notes.push_back(note);
        else
          ++more;
      }
    if (more > 0) rep.notes.push_back("... and " + std::to_string(more) + " more notes");
    if (all_empty[c]) {
      out.columns.emplace_back();
    } else {
      std::vector<double> vv(order.size());
      std::vector<std::uint8_t> ff(order.size());
      for (std::size_t i = 0; i < order.size(); ++i) {
        vv[i] = values[c][order[i]];
        ff[i] = col_flags[c][order[i]];
      }
      out.columns.emplace_back(times, std::move(vv), raw.interp, std::move(ff));
    }
    rep.points = out.columns.back().size();
    out.reports.push_back(std::move(rep));
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::optional<TraceFormat> detect_format(std::string_view txt, std::string_view path) {
  text::LineReader reader(txt);
  std::string_view first;
  if (path.size() >= 4 && lower(path.substr(path.size() - 4)) == ".epw") return TraceFormat::epw;
  while (reader.next(first)) {
    if (!text::trim(first).empty()) break;
  }
  if (first.rfind("LOCATION,", 0) == 0) return TraceFormat::epw;
  if (first.rfind("Source,", 0) == 0 && first.find("Location ID") != std::string_view::npos)
    return TraceFormat::nsrdb_psm3;
  if (first.rfind("Latitude (decimal degrees)", 0) == 0) return TraceFormat::pvgis_tmy;
  if (first.rfind("timestamp,", 0) == 0 && first.find("avg_CI") != std::string_view::npos)
    return TraceFormat::eia930;
  if (first.rfind("Datetime (UTC)", 0) == 0) return TraceFormat::electricity_maps;
  // Generic: optional '#' lines, then a header starting with time or time_s.
  std::string_view l = first;
  do {
    const auto t = text::trim(l);
    if (t.empty() || t.front() == '#') continue;
    if (t.rfind("time,", 0) == 0 || t.rfind("time_s,", 0) == 0) return TraceFormat::generic_csv;
    break;
  } while (reader.next(l));
  return std::nullopt;
}

TraceTable load_table_from_text(std::string_view txt, const std::string& file,
                                const LoadOptions& options) {
  Diags diags;
  diags.file = file;
  const auto fmt = options.format ? options.format : detect_format(txt, file);
  if (!fmt) {
    text::LineReader r(txt);
    std::string_view first;
    r.next(first);
    diags.add(
        1, 1, {},
        "expected a trace in one of the formats EIA-930 CSV, Electricity Maps CSV, EPW, NSRDB "
        "PSM3 CSV, PVGIS TMY CSV or generic 'time,value' CSV, got a first line " +
            quote(first));
    diags.throw_if_any();
  }
  Raw raw;
  raw.meta.file = file;
  raw.meta.format = *fmt;
  switch (*fmt) {
    case TraceFormat::eia930:
      parse_eia930(txt, raw, diags);
      break;
    case TraceFormat::electricity_maps:
      parse_electricity_maps(txt, raw, diags);
      break;
    case TraceFormat::epw:
      parse_epw(txt, raw, diags);
      break;
    case TraceFormat::nsrdb_psm3:
      parse_nsrdb(txt, raw, diags);
      break;
    case TraceFormat::pvgis_tmy:
      parse_pvgis(txt, raw, diags);
      break;
    case TraceFormat::generic_csv:
      parse_generic(txt, raw, diags);
      break;
  }
  diags.throw_if_any();
  if (raw.cols.empty()) {
    diags.add(0, 0, {}, "expected at least one value column, got none");
    diags.throw_if_any();
  }
  return clean(raw, options.rules, diags);
}

TraceTable load_table(const std::string& path, const LoadOptions& options) {
  const std::string txt = text::read_file(path);
  return load_table_from_text(txt, path, options);
}

std::optional<std::size_t> TraceTable::find(std::string_view name) const {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return i;
  for (const auto& [alias, target] : aliases)
    if (alias == name)
      for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == target) return i;
  return std::nullopt;
}

const TimeSeries& TraceTable::column(std::string_view name) const {
  const auto i = find(name);
  Diagnostic d;
  d.file = meta.file;
  d.key_path = std::string(name);
  if (!i) {
    std::string avail;
    for (const auto& n : names) avail += (avail.empty() ? "" : ", ") + n;
    for (const auto& a : aliases) avail += ", " + a.first;
    d.message = "expected a column of " + std::string(to_string(meta.format)) + " file (" + avail +
                "), got " + quote(name);
    throw InputError(d);
  }
  if (columns[*i].empty()) {
    d.message = "expected values in column '" + names[*i] + "', got only empty cells";
    throw InputError(d);
  }
  return columns[*i];
}

const TraceReport& TraceTable::report(std::string_view name) const {
  column(name);  // throws if absent
  return reports[*find(name)];
}

namespace {
LoadedSeries pick(const TraceTable& t, std::string_view name) {
  LoadedSeries s;
  s.series = t.column(name);
  s.meta = t.meta;
  s.report = t.report(name);
  return s;
}
}  // namespace

WeatherTrace load_weather(const std::string& path, const LoadOptions& options) {
  const TraceTable t = load_table(path, options);
  if (t.meta.format == TraceFormat::eia930 || t.meta.format == TraceFormat::electricity_maps) {
    Diagnostic d;
    d.file = path;
    d.message = std::string(
                    "expected a weather file (EPW, NSRDB PSM3, PVGIS TMY or generic CSV with "
                    "temperature_c, ghi_w_m2, wind_ms), got a ") +
                to_string(t.meta.format) + " file";
    throw InputError(d);
  }
  WeatherTrace w;
  w.meta = t.meta;
  const bool generic = t.meta.format == TraceFormat::generic_csv;
  auto get = [&](std::string_view name, LoadedSeries& out) {
    if (generic && !t.find(name)) return;  // a generic file may carry only some of the three
    out = pick(t, name);
  };
  get("temperature_c", w.temperature_c);
  get("ghi_w_m2", w.ghi_w_m2);
  get("wind_ms", w.wind_ms);
  if (w.temperature_c.series.empty() && w.ghi_w_m2.series.empty() && w.wind_ms.series.empty()) {
    Diagnostic d;
    d.file = path;
    d.message = "expected at least one of the columns temperature_c, ghi_w_m2, wind_ms, got none";
    throw InputError(d);
  }
  return w;
}

LoadedSeries load_series(const std::string& path, std::string_view column,
                         const LoadOptions& options) {
  const TraceTable t = load_table(path, options);
  return pick(t, column);
}

LoadedSeries load_carbon(const std::string& path, std::string_view column,
                         const LoadOptions& options) {
  const TraceTable t = load_table(path, options);
  return pick(t, column.empty() ? std::string_view("carbon_gco2_kwh") : column);
}

LoadedSeries normalise_by_max(const LoadedSeries& in) {
  const auto v = in.series.values();
  double mx = 0;
  for (double x : v) mx = std::max(mx, x);
  if (!(mx > 0)) {
    Diagnostic d;
    d.file = in.meta.file;
    d.key_path = in.report.column;
    d.message =
        "expected a generation column with a positive maximum, got maximum " + std::to_string(mx);
    throw InputError(d);
  }
  LoadedSeries out = in;
  std::vector<double> nv(v.size());
  std::size_t clamped = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] < 0) ++clamped;
    nv[i] = std::max(0.0, v[i]) / mx;
  }
  const auto t = in.series.times();
  const auto f = in.series.flags();
  out.series = TimeSeries(std::vector<double>(t.begin(), t.end()), std::move(nv),
                          in.series.interp(), std::vector<std::uint8_t>(f.begin(), f.end()));
  out.report.negative_values_clamped += clamped;
  if (clamped > 0)
    out.report.notes.push_back(in.meta.file + ": column '" + in.report.column +
                               "': " + std::to_string(clamped) + " negative values clamped to 0");
  return out;
}

LoadedSeries load_generation_profile(const std::string& path, std::string_view column,
                                     const LoadOptions& options) {
  const TraceTable t = load_table(path, options);
  return normalise_by_max(pick(t, column));
}

}  // namespace dcsim::traces
