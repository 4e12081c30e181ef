#pragma once
// Fault rules and the TraceReport. Every irregularity found in a trace file is either handled by
// a named, configurable rule and counted here, or reported as an InputError: never silent.
// The engine writes TraceReport::counts() and notes() to the run's provenance.
// Rules and their defaults are documented in sim/traces/README.md.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/units.hpp"
#include "model/choices.hpp"

namespace dcsim::traces {

// Empty cells (empty, NA, NaN, the format's missing marker such as EPW 99.9 °C) and missing
// timestamps (a step longer than gap_factor × the file's nominal step).
// (the scenario's gap_rule: the enum and its names live in model/choices.hpp)
using ::dcsim::GapRule;
// Two rows with the same timestamp.
enum class DuplicateRule { keep_first, keep_last, error };
// A row whose timestamp is earlier than the previous row's.
enum class OrderRule { sort, error };
// The run covers times the trace does not (a 2022 trace, a 2024–2026 run).
// (the scenario's wrap_rule: model/choices.hpp)
using ::dcsim::BeyondSpanRule;
// How run years map onto the trace's time axis.
enum class CalendarMode {
  typical_year,  // every run year reads the trace's reference year at the same month/day/hour
  absolute,      // run instant = trace instant (UTC); outside the trace, BeyondSpanRule applies
};

struct FaultRules {
  GapRule empty_cells = GapRule::interpolate;
  GapRule missing_steps = GapRule::interpolate;
  double gap_factor = 1.5;  // a step > gap_factor × nominal step is a gap (regular traces only)
  DuplicateRule duplicates = DuplicateRule::keep_first;
  OrderRule unordered = OrderRule::sort;
  // Refuse (InputError) a file whose gaps would need more inserted points than this: a stray
  // timestamp years away must not exhaust memory.
  std::size_t max_gap_points = 100'000;
};

const char* to_string(GapRule r);
const char* to_string(DuplicateRule r);
const char* to_string(OrderRule r);
const char* to_string(BeyondSpanRule r);
const char* to_string(CalendarMode m);
// Parse the names above (as written in scenario files); nullopt for anything else.
std::optional<GapRule> parse_gap_rule(std::string_view s);
std::optional<DuplicateRule> parse_duplicate_rule(std::string_view s);
std::optional<OrderRule> parse_order_rule(std::string_view s);
std::optional<BeyondSpanRule> parse_beyond_span_rule(std::string_view s);
std::optional<CalendarMode> parse_calendar_mode(std::string_view s);

struct TraceReport {
  std::string file;
  std::string format;
  std::string column;
  std::size_t rows = 0;                // data rows read from the file
  std::size_t points = 0;              // points in the resulting series (before alignment)
  Seconds nominal_step_s = 0;          // median spacing; 0 if the trace is irregular
  std::size_t empty_cells_filled = 0;  // this column's empty cells, filled by the empty-cell rule
  std::size_t gaps = 0;                // missing-timestamp runs
  std::size_t gap_points_filled = 0;   // points inserted into those gaps
  std::size_t duplicates_dropped = 0;
  std::size_t unordered_rows_sorted = 0;
  std::size_t dst_jumps = 0;  // UTC-offset changes in the timestamps, or DST-like hour
                              // jumps in timestamps without an offset
  std::size_t negative_values_clamped = 0;  // generation profiles only
  std::size_t source_estimated = 0;         // rows the file marks as estimated (kept, flagged)
  // Alignment to the run (traces/align.hpp)
  std::string alignment;           // e.g. "typical_year from 2022", "absolute"
  Seconds wrapped_span_s = 0;      // run time served by a repeated year / span
  Seconds held_span_s = 0;         // run time served by holding the first/last value
  std::size_t feb29_filled = 0;    // run leap days read from the trace's Feb 28
  std::size_t feb29_dropped = 0;   // trace leap days skipped in non-leap run years
  std::vector<std::string> notes;  // human-readable, with file:line where one applies

  // (name, value) pairs for provenance, fixed order.
  std::vector<std::pair<std::string, double>> counts() const;
  // True when nothing had to be filled, dropped, sorted, wrapped or held.
  bool clean() const;
  // One line: "file[column]: 3 empty cells filled (interpolate), ..." or "... clean".
  std::string summary() const;
};

}  // namespace dcsim::traces
