#include "traces/align.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>

#include "core/error.hpp"

namespace dcsim::traces {

namespace {

constexpr double kDay = 86400.0;

double year_start(int y) {
  return static_cast<double>(days_from_civil(y, 1, 1)) * kDay;
}

std::string iso(double unix_s) {
  return format_iso(civil_from_unix(unix_s));
}

struct Points {
  std::vector<double> t, v;
  std::vector<std::uint8_t> f;
  void push(double tt, double vv, std::uint8_t ff) {
    t.push_back(tt);
    v.push_back(vv);
    f.push_back(ff);
  }
};

// The trace's reference year as one year of points inside [Y0, Y1).
struct YearView {
  int year = 0;
  Points p;
  bool full = false;
};

YearView reference_year_of(const TimeSeries& src, const TraceMeta& meta, Seconds step) {
  YearView yv;
  const auto t = src.times();
  const auto v = src.values();
  const auto f = src.flags();
  if (meta.base == TimeBase::typical_year) {
    yv.year = meta.reference_year;
  } else {
    std::map<int, std::size_t> per_year;
    for (double x : t) ++per_year[civil_from_unix(x).year];
    std::size_t best = 0;
    for (const auto& [y, c] : per_year)
      if (c > best) {
        best = c;
        yv.year = y;
      }
  }
  const double y0 = year_start(yv.year), y1 = year_start(yv.year + 1), len = y1 - y0;
  const bool single_year = (t.back() - t.front()) <= len + 2 * step;
  std::vector<std::size_t> idx;
  std::vector<double> tt;
  for (std::size_t i = 0; i < t.size(); ++i) {
    double x = t[i];
    if (single_year) {
      while (x < y0) x += len;
      while (x >= y1) x -= len;
    } else if (x < y0 || x >= y1) {
      continue;
    }
    idx.push_back(i);
    tt.push_back(x);
  }
  std::vector<std::size_t> order(idx.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return tt[a] < tt[b]; });
  for (std::size_t k : order) {
    if (!yv.p.t.empty() && yv.p.t.back() == tt[k]) continue;
    yv.p.push(tt[k], v[idx[k]], f[idx[k]]);
  }
  const double tol = step > 0 ? step : 3600.0;
  yv.full = !yv.p.t.empty() && yv.p.t.front() <= y0 + tol * 1.0001 && yv.p.t.back() >= y1 - 2 * tol;
  return yv;
}

// Emits run days [day_from, day_to] (Unix day numbers) from the reference year by month/day.
// keep(t) filters emitted points. Counts Feb 29 handling for days overlapping [run0, run1].
template <class Keep>
void emit_typical(const YearView& yv, std::int64_t day_from, std::int64_t day_to, double run0,
                  double run1, Points& out, TraceReport& rep, Keep keep) {
  const bool ref_leap = is_leap_year(yv.year);
  const auto& pt = yv.p.t;
  for (std::int64_t day = day_from; day <= day_to; ++day) {
    const double d0 = static_cast<double>(day) * kDay;
    const CivilTime c = civil_from_unix(d0);
    const bool leap_day_from_28 = c.month == 2 && c.day == 29 && !ref_leap;
    const int sd = leap_day_from_28 ? 28 : c.day;
    const double s0 = static_cast<double>(days_from_civil(yv.year, c.month, sd)) * kDay;
    const double off = d0 - s0;
    bool kept = false;
    auto it = std::lower_bound(pt.begin(), pt.end(), s0);
    for (auto i = static_cast<std::size_t>(it - pt.begin()); i < pt.size() && pt[i] < s0 + kDay;
         ++i) {
      const double t = pt[i] + off;
      if (keep(t)) {
        out.push(t, yv.p.v[i], yv.p.f[i]);
        kept = true;
      }
    }
    // Count leap-day handling only for run days this mapping actually served.
    const bool overlaps = d0 + kDay > run0 && d0 < run1;
    if (kept && overlaps && leap_day_from_28) ++rep.feb29_filled;
    if (kept && overlaps && ref_leap && !is_leap_year(c.year) && c.month == 3 && c.day == 1)
      ++rep.feb29_dropped;
  }
}

double overlap(double a0, double a1, double b0, double b1) {
  return std::max(0.0, std::min(a1, b1) - std::max(a0, b0));
}

// Run seconds in [run0, run1] whose calendar year differs from `year`.
double seconds_outside_year(double run0, double run1, int year) {
  return (run1 - run0) - overlap(run0, run1, year_start(year), year_start(year + 1));
}

[[noreturn]] void coverage_error(const TraceMeta& meta, const std::string& msg) {
  Diagnostic d;
  d.file = meta.file;
  d.message = msg;
  throw InputError(d);
}

void check_size(double estimate, const TraceMeta& meta, const AlignOptions& opt) {
  if (estimate <= static_cast<double>(opt.max_points)) return;
  coverage_error(meta, "expected an aligned trace of at most " + std::to_string(opt.max_points) +
                           " points, got an estimated " +
                           std::to_string(static_cast<long long>(estimate)) +
                           " (a short trace repeated over a long run?)");
}

TimeSeries finish(Points& p, double shift, Interp interp) {
  for (double& t : p.t) t -= shift;
  return TimeSeries(std::move(p.t), std::move(p.v), interp, std::move(p.f));
}

// Keeps the points needed to evaluate [lo, hi]: those inside plus one on each side.
void trim(Points& p, double lo, double hi) {
  const auto b = std::upper_bound(p.t.begin(), p.t.end(), lo);
  std::size_t i0 = static_cast<std::size_t>(b - p.t.begin());
  if (i0 > 0) --i0;
  const auto e = std::upper_bound(p.t.begin(), p.t.end(), hi);
  std::size_t i1 = std::min(p.t.size(), static_cast<std::size_t>(e - p.t.begin()) + 1);
  Points q;
  q.t.assign(p.t.begin() + static_cast<std::ptrdiff_t>(i0),
             p.t.begin() + static_cast<std::ptrdiff_t>(i1));
  q.v.assign(p.v.begin() + static_cast<std::ptrdiff_t>(i0),
             p.v.begin() + static_cast<std::ptrdiff_t>(i1));
  q.f.assign(p.f.begin() + static_cast<std::ptrdiff_t>(i0),
             p.f.begin() + static_cast<std::ptrdiff_t>(i1));
  p = std::move(q);
}

Points copy_points(const TimeSeries& s) {
  Points p;
  p.t.assign(s.times().begin(), s.times().end());
  p.v.assign(s.values().begin(), s.values().end());
  p.f.assign(s.flags().begin(), s.flags().end());
  return p;
}

// Periodic repetition of the whole trace with period `period`, covering [lo, hi] outside
// [cov0, cov1) (inside, the original points are used).
Points periodic(const TimeSeries& s, double period, double cov0, double cov1, double lo,
                double hi) {
  Points out;
  const auto t = s.times();
  const auto kmin = static_cast<long long>(std::floor((lo - cov0) / period)) - 1;
  const auto kmax = static_cast<long long>(std::ceil((hi - cov0) / period)) + 1;
  for (long long k = kmin; k <= kmax; ++k) {
    for (std::size_t i = 0; i < t.size(); ++i) {
      const double x = t[i] + static_cast<double>(k) * period;
      const bool inside = x >= cov0 && x < cov1;
      if ((k == 0) ? true : !inside) {
        if (k != 0 && (x < lo - period || x > hi + period)) continue;
        out.push(x, s.value(i), s.flag(i));
      }
    }
  }
  // Copies k < 0 come before k == 0 and k > 0 after, each in order: already sorted. Drop any
  // coincident times (a point exactly at the seam) keeping the first.
  Points u;
  for (std::size_t i = 0; i < out.t.size(); ++i) {
    if (!u.t.empty() && out.t[i] <= u.t.back()) continue;
    u.push(out.t[i], out.v[i], out.f[i]);
  }
  return u;
}

}  // namespace

TimeSeries align_to_run(const TimeSeries& src, const TraceMeta& meta, const Calendar& calendar,
                        Seconds span_s, const AlignOptions& options, TraceReport& rep) {
  if (src.empty()) {  // a column the file does not have (e.g. wind in a temperature-only file)
    rep.alignment = "none (no data)";
    return {};
  }
  if (!(span_s >= 0) || !(span_s <= 1e12) || !std::isfinite(calendar.start_unix()))
    coverage_error(meta, "expected a run span in [0, 1e12] s, got " + std::to_string(span_s));
  Seconds step = meta.nominal_step_s;
  if (!(step > 0))
    step = src.size() > 1
               ? (src.last_time() - src.first_time()) / static_cast<double>(src.size() - 1)
               : 3600.0;
  const double first = src.first_time(), cov1 = src.last_time() + step;

  // --- relative: no calendar -----------------------------------------------------------------
  if (meta.base == TimeBase::relative) {
    const double run0 = 0, run1 = span_s;
    const bool covered = first <= run0 && cov1 >= run1;
    const double outside = (run1 - run0) - overlap(run0, run1, first, cov1);
    rep.alignment = "relative";
    if (covered) {
      Points p = copy_points(src);
      return finish(p, 0, src.interp());
    }
    switch (options.beyond) {
      case BeyondSpanRule::error:
        coverage_error(meta, "expected a trace covering the run (0.." + std::to_string(span_s) +
                                 " s), got " + std::to_string(first) + ".." + std::to_string(cov1) +
                                 " s; set the rule to wrap or hold");
      case BeyondSpanRule::hold: {
        rep.held_span_s += outside;
        rep.alignment += ", hold beyond the trace";
        rep.notes.push_back(meta.file + ": " + std::to_string(outside) +
                            " s of the run hold the first/last value");
        Points p = copy_points(src);
        return finish(p, 0, src.interp());
      }
      case BeyondSpanRule::wrap: {
        const double period = cov1 - first;
        check_size((span_s / period + 4) * static_cast<double>(src.size()), meta, options);
        rep.wrapped_span_s += outside;
        rep.alignment += ", span repeated every " + std::to_string(period) + " s";
        rep.notes.push_back(meta.file + ": trace of " + std::to_string(period) +
                            " s repeated to cover the run");
        Points p = periodic(src, period, first, cov1, run0, run1);
        trim(p, run0 - period, run1 + period);
        return finish(p, 0, src.interp());
      }
    }
  }

  // --- calendar traces ---------------------------------------------------------------------------
  const double run0 = calendar.start_unix(), run1 = run0 + span_s;
  const auto day_from = static_cast<std::int64_t>(std::floor(run0 / kDay)) - 1;
  const auto day_to = static_cast<std::int64_t>(std::floor(run1 / kDay)) + 1;
  const YearView yv = reference_year_of(src, meta, step);
  // Work and size of a day-by-day mapping: at least one step per day, however sparse the trace.
  const double typical_points = static_cast<double>(day_to - day_from + 1) *
                                std::max(1.0, static_cast<double>(yv.p.t.size()) / 365.0);
  const bool typical =
      options.mode == CalendarMode::typical_year || meta.base == TimeBase::typical_year;

  if (typical) {
    if (!yv.full) {
      const std::string msg = "expected a trace covering the whole year " +
                              std::to_string(yv.year) + " for typical-year alignment, got " +
                              iso(src.first_time()) + ".." + iso(src.last_time());
      if (options.beyond == BeyondSpanRule::error) coverage_error(meta, msg);
      rep.notes.push_back(meta.file + ": " + msg + "; days without data hold the previous value");
    }
    if (meta.base == TimeBase::typical_year && options.mode == CalendarMode::absolute)
      rep.notes.push_back(meta.file +
                          ": a typical-year file has no real instants; aligned by month/day/hour");
    check_size(typical_points, meta, options);
    if (!yv.full && !yv.p.t.empty()) {
      // Count the run seconds that read a time of the reference year the trace does not cover
      // (they hold a value), so that the report is not "clean" (found by tests/cli/trace_faults.sh).
      const double c0 = yv.p.t.front(), c1 = yv.p.t.back() + step;
      for (std::int64_t day = day_from; day <= day_to; ++day) {
        const double d0 = static_cast<double>(day) * kDay;
        const double a = std::max(d0, run0), b = std::min(d0 + kDay, run1);
        if (!(b > a)) continue;
        const CivilTime c = civil_from_unix(d0);
        const int sd = (c.month == 2 && c.day == 29 && !is_leap_year(yv.year)) ? 28 : c.day;
        const double off = d0 - static_cast<double>(days_from_civil(yv.year, c.month, sd)) * kDay;
        rep.held_span_s += (b - a) - overlap(a - off, b - off, c0, c1);
      }
    }
    Points p;
    emit_typical(yv, day_from, day_to, run0, run1, p, rep, [](double) { return true; });
    if (p.t.empty())
      coverage_error(meta, "expected points in the trace's reference year, got none");
    rep.alignment = "typical_year from " + std::to_string(yv.year);
    rep.wrapped_span_s += seconds_outside_year(run0, run1, yv.year);
    if (rep.feb29_filled > 0)
      rep.notes.push_back(meta.file + ": " + std::to_string(rep.feb29_filled) +
                          " run Feb 29 read from " + std::to_string(yv.year) + "-02-28");
    if (rep.feb29_dropped > 0)
      rep.notes.push_back(meta.file + ": trace Feb 29 skipped in " +
                          std::to_string(rep.feb29_dropped) + " run years");
    return finish(p, run0, src.interp());
  }

  // absolute
  rep.alignment = "absolute";
  const bool covered = first <= run0 && cov1 >= run1;
  const double outside = (run1 - run0) - overlap(run0, run1, first, cov1);
  Points p;
  if (covered) {
    p = copy_points(src);
  } else {
    switch (options.beyond) {
      case BeyondSpanRule::error:
        coverage_error(meta, "expected a trace covering the run (" + iso(run0) + ".." + iso(run1) +
                                 "), got " + iso(first) + ".." + iso(cov1) +
                                 "; set the rule to wrap or hold");
      case BeyondSpanRule::hold:
        p = copy_points(src);
        rep.held_span_s += outside;
        rep.alignment += ", hold beyond the trace";
        rep.notes.push_back(meta.file + ": " + std::to_string(outside) +
                            " s of the run hold the first/last value");
        break;
      case BeyondSpanRule::wrap:
        rep.wrapped_span_s += outside;
        if (yv.full) {
          check_size(typical_points, meta, options);
          // Days outside the trace from R by month/day/hour, the trace itself inside.
          Points extra;
          emit_typical(yv, day_from, day_to, run0, run1, extra, rep,
                       [&](double t) { return t < first || t >= cov1; });
          std::size_t k = 0;
          for (; k < extra.t.size() && extra.t[k] < first; ++k)
            p.push(extra.t[k], extra.v[k], extra.f[k]);
          const Points orig = copy_points(src);
          for (std::size_t i = 0; i < orig.t.size(); ++i)
            if (p.t.empty() || orig.t[i] > p.t.back()) p.push(orig.t[i], orig.v[i], orig.f[i]);
          for (; k < extra.t.size(); ++k)
            if (p.t.empty() || extra.t[k] > p.t.back()) p.push(extra.t[k], extra.v[k], extra.f[k]);
          rep.alignment += ", outside the trace typical_year from " + std::to_string(yv.year);
          rep.notes.push_back(meta.file + ": " + std::to_string(outside) + " s of the run read " +
                              std::to_string(yv.year) + " by month/day/hour");
        } else {
          const double period = cov1 - first;
          check_size((span_s / period + 4) * static_cast<double>(src.size()), meta, options);
          p = periodic(src, period, first, cov1, run0, run1);
          rep.alignment += ", span repeated every " + std::to_string(period) + " s";
          rep.notes.push_back(meta.file + ": trace shorter than a year repeated every " +
                              std::to_string(period) + " s to cover the run");
        }
        break;
    }
  }
  trim(p, run0 - kDay, run1 + kDay);
  return finish(p, run0, src.interp());
}

LoadedSeries align_to_run(const LoadedSeries& in, const Calendar& calendar, Seconds span_s,
                          const AlignOptions& options) {
  LoadedSeries out;
  out.meta = in.meta;
  out.report = in.report;
  out.series = align_to_run(in.series, in.meta, calendar, span_s, options, out.report);
  return out;
}

}  // namespace dcsim::traces
