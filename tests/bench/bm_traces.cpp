// Trace lookups: an hourly series over one year (8,760 points, the carbon trace) queried the
// engine's way, with non-decreasing times through a SeriesCursor (O(1) amortised), against
// random access on the series itself (binary search). Query times advance by ~5 min on average
// (several events per hour, as in the `large` run).
#include <benchmark/benchmark.h>

#include <vector>

#include "core/rng.hpp"
#include "traces/time_series.hpp"

using namespace dcsim;
using dcsim::traces::Interp;
using dcsim::traces::TimeSeries;

namespace {

TimeSeries hourly_year(Interp interp) {
  std::vector<double> t, v;
  RngStream rng(1, "bench.traces");
  for (int i = 0; i < 8760; ++i) {
    t.push_back(3600.0 * i);
    v.push_back(i % 5 == 0 && i > 0 ? v.back() : 200.0 + 300.0 * rng.uniform());  // some equal runs
  }
  return TimeSeries(std::move(t), std::move(v), interp);
}

std::vector<double> query_times() {
  std::vector<double> q;
  RngStream rng(2, "bench.traces.q");
  for (double t = 0; t < 8760.0 * 3600; t += 600.0 * rng.uniform()) q.push_back(t);
  return q;
}

template <class F>
void over_year(benchmark::State& state, F f) {
  const std::vector<double> q = query_times();
  std::size_t i = 0;
  double sum = 0;
  for (auto _ : state) {
    sum += f(q[i], i == 0);
    if (++i == q.size()) i = 0;
  }
  benchmark::DoNotOptimize(sum);
  state.counters["queries_per_year"] = static_cast<double>(q.size());
}

void BM_Cursor_value_at(benchmark::State& state) {
  const TimeSeries s = hourly_year(state.range(0) ? Interp::linear : Interp::step);
  auto c = s.cursor();
  over_year(state, [&](double t, bool) { return c.value_at(t); });
}
BENCHMARK(BM_Cursor_value_at)->Arg(0)->Arg(1);

void BM_Series_value_at_binary_search(benchmark::State& state) {
  const TimeSeries s = hourly_year(Interp::step);
  over_year(state, [&](double t, bool) { return s.value_at(t); });
}
BENCHMARK(BM_Series_value_at_binary_search);

void BM_Cursor_integral(benchmark::State& state) {
  const TimeSeries s = hourly_year(Interp::step);
  auto c = s.cursor();
  double last = 0;
  over_year(state, [&](double t, bool first) {
    if (first) last = 0;
    const double r = c.integral(last, t);
    last = t;
    return r;
  });
}
BENCHMARK(BM_Cursor_integral);

void BM_Cursor_next_change_after(benchmark::State& state) {
  const TimeSeries s = hourly_year(Interp::step);
  auto c = s.cursor();
  over_year(state, [&](double t, bool) { return c.next_change_after(t); });
}
BENCHMARK(BM_Cursor_next_change_after);

}  // namespace
