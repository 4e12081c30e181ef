#pragma once
// Calendar alignment: turns a loaded trace (UTC Unix seconds of its own year(s)) into a series on
// the run's simulated-time axis covering [0, span_s], by a named rule, and records what it did in
// the TraceReport (alignment, wrapped_span_s, held_span_s, feb29_filled, feb29_dropped).
//
// Month/day/hour mapping ("typical year"): run day (Y, m, d) reads the trace's reference year R
// on (R, m, d) at the same time of day (UTC). A run Feb 29 reads R's Feb 28 when R is not a leap
// year (the EnergyPlus convention); a trace Feb 29 is skipped in run years without one. The
// reference year of an absolute trace is the UTC year holding most of its points; a trace that
// spills a few hours into the next year (local time shifted to UTC) is folded back into it.
//
// CalendarMode::typical_year  every run year reads R (a 2022 trace drives a 2024–2026 run).
// CalendarMode::absolute      run instant = trace instant; outside the trace, BeyondSpanRule:
//    wrap  — years not covered read R by month/day/hour if the trace covers a whole year, else
//            the trace's span repeats periodically (period = last − first + nominal step);
//    hold  — first value before the trace, last value after it;
//    error — InputError unless the trace covers [0, span_s].
// Relative traces (generic `time_s`) have no calendar: only BeyondSpanRule applies (wrap repeats
// the span).
#include "core/calendar.hpp"
#include "traces/loaders.hpp"
#include "traces/time_series.hpp"
#include "traces/trace_report.hpp"

namespace dcsim::traces {

struct AlignOptions {
  CalendarMode mode = CalendarMode::typical_year;
  BeyondSpanRule beyond = BeyondSpanRule::wrap;
  // Refuse (InputError, with the estimate) an aligned series larger than this many points
  // (e.g. a 1-s trace wrapped over ten years) instead of exhausting memory.
  std::size_t max_points = 20'000'000;
};

// Series on simulated seconds, with points covering at least [0, span_s] (one extra day on
// each side where the rule provides it). Updates `report` (alignment fields and notes).
// An empty source (a weather column the file lacks) gives an empty series.
TimeSeries align_to_run(const TimeSeries& src, const TraceMeta& meta, const Calendar& calendar,
                        Seconds span_s, const AlignOptions& options, TraceReport& report);

// Convenience: aligns a LoadedSeries in place of its series and report.
LoadedSeries align_to_run(const LoadedSeries& in, const Calendar& calendar, Seconds span_s,
                          const AlignOptions& options = {});

}  // namespace dcsim::traces
