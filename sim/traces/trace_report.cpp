#include "traces/trace_report.hpp"

#include <cstdio>

namespace dcsim::traces {

const char* to_string(GapRule r) { return name_of(r).data(); }
const char* to_string(DuplicateRule r) {
  switch (r) {
    case DuplicateRule::keep_first:
      return "keep_first";
    case DuplicateRule::keep_last:
      return "keep_last";
    case DuplicateRule::error:
      return "error";
  }
  return "?";
}
const char* to_string(OrderRule r) {
  switch (r) {
    case OrderRule::sort:
      return "sort";
    case OrderRule::error:
      return "error";
  }
  return "?";
}
const char* to_string(BeyondSpanRule r) { return name_of(r).data(); }
const char* to_string(CalendarMode m) {
  switch (m) {
    case CalendarMode::typical_year:
      return "typical_year";
    case CalendarMode::absolute:
      return "absolute";
  }
  return "?";
}

namespace {
template <class E, std::size_t N>
std::optional<E> parse_enum(std::string_view s, const E (&all)[N]) {
  for (E e : all)
    if (s == to_string(e)) return e;
  return std::nullopt;
}
}  // namespace

std::optional<GapRule> parse_gap_rule(std::string_view s) {
  static const GapRule all[] = {GapRule::interpolate, GapRule::hold, GapRule::error};
  return parse_enum(s, all);
}
std::optional<DuplicateRule> parse_duplicate_rule(std::string_view s) {
  static const DuplicateRule all[] = {DuplicateRule::keep_first, DuplicateRule::keep_last,
                                      DuplicateRule::error};
  return parse_enum(s, all);
}
std::optional<OrderRule> parse_order_rule(std::string_view s) {
  static const OrderRule all[] = {OrderRule::sort, OrderRule::error};
  return parse_enum(s, all);
}
std::optional<BeyondSpanRule> parse_beyond_span_rule(std::string_view s) {
  static const BeyondSpanRule all[] = {BeyondSpanRule::wrap, BeyondSpanRule::hold,
                                       BeyondSpanRule::error};
  return parse_enum(s, all);
}
std::optional<CalendarMode> parse_calendar_mode(std::string_view s) {
  static const CalendarMode all[] = {CalendarMode::typical_year, CalendarMode::absolute};
  return parse_enum(s, all);
}

std::vector<std::pair<std::string, double>> TraceReport::counts() const {
  auto d = [](std::size_t n) { return static_cast<double>(n); };
  return {
      {"rows", d(rows)},
      {"points", d(points)},
      {"nominal_step_s", nominal_step_s},
      {"empty_cells_filled", d(empty_cells_filled)},
      {"gaps", d(gaps)},
      {"gap_points_filled", d(gap_points_filled)},
      {"duplicates_dropped", d(duplicates_dropped)},
      {"unordered_rows_sorted", d(unordered_rows_sorted)},
      {"dst_jumps", d(dst_jumps)},
      {"negative_values_clamped", d(negative_values_clamped)},
      {"source_estimated", d(source_estimated)},
      {"wrapped_span_s", wrapped_span_s},
      {"held_span_s", held_span_s},
      {"feb29_filled", d(feb29_filled)},
      {"feb29_dropped", d(feb29_dropped)},
  };
}

bool TraceReport::clean() const {
  return empty_cells_filled == 0 && gaps == 0 && gap_points_filled == 0 &&
         duplicates_dropped == 0 && unordered_rows_sorted == 0 && dst_jumps == 0 &&
         negative_values_clamped == 0 && wrapped_span_s == 0 && held_span_s == 0 &&
         feb29_filled == 0 && feb29_dropped == 0;
}

std::string TraceReport::summary() const {
  std::string s = file;
  if (!column.empty()) s += "[" + column + "]";
  s += ":";
  bool any = false;
  char buf[96];
  auto add = [&](double n, const char* what) {
    if (n == 0) return;
    std::snprintf(buf, sizeof buf, "%s %g %s", any ? "," : "", n, what);
    s += buf;
    any = true;
  };
  auto d = [](std::size_t n) { return static_cast<double>(n); };
  add(d(empty_cells_filled), "empty cells filled");
  add(d(gaps), "gaps");
  add(d(gap_points_filled), "gap points filled");
  add(d(duplicates_dropped), "duplicates dropped");
  add(d(unordered_rows_sorted), "unordered rows sorted");
  add(d(dst_jumps), "DST jumps");
  add(d(negative_values_clamped), "negative values clamped");
  add(d(source_estimated), "values estimated by the source");
  add(wrapped_span_s, "s wrapped");
  add(held_span_s, "s held");
  add(d(feb29_filled), "Feb 29 filled from Feb 28");
  add(d(feb29_dropped), "Feb 29 dropped");
  if (!any) s += " clean";
  if (!alignment.empty()) s += " (" + alignment + ")";
  return s;
}

}  // namespace dcsim::traces
