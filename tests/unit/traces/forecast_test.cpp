// Forecasts: the actual interval mean times a deterministic noise factor.
#include "traces/forecast.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

using namespace dcsim;
using namespace dcsim::traces;
using Approx = Catch::Detail::Approx;

namespace {
// Hourly values 100, 200, 300, … over 48 h.
TimeSeries ramp() {
  std::vector<double> t, v;
  for (int h = 0; h < 48; ++h) {
    t.push_back(h * kHour);
    v.push_back(100.0 * (h + 1));
  }
  return TimeSeries(t, v);
}
}  // namespace

TEST_CASE("a forecast without error is the actual interval mean") {
  const TimeSeries s = ramp();
  const Forecast f(s, ForecastOptions{});
  // [1 h, 3 h): 200 and 300 → 250
  CHECK(f.mean_over(kHour, 3 * kHour) == Approx(250).epsilon(1e-12));
  CHECK(f.noise_factor(0, kHour, -kDay) == 1.0);
}

TEST_CASE("the same seed gives the same forecast in any query order; another seed differs") {
  const TimeSeries s = ramp();
  ForecastOptions o;
  o.relative_error_sd = 0.2;
  o.seed = 42;
  const Forecast a(s, o), b(s, o);
  std::vector<double> forward, backward(24);
  for (int h = 0; h < 24; ++h) forward.push_back(a.mean_over(h * kHour, (h + 1) * kHour, 0));
  for (int h = 23; h >= 0; --h)
    backward[static_cast<std::size_t>(h)] = b.mean_over(h * kHour, (h + 1) * kHour, 0);
  CHECK(forward == backward);
  o.seed = 43;
  const Forecast c(s, o);
  int differ = 0;
  for (int h = 0; h < 24; ++h)
    differ += c.mean_over(h * kHour, (h + 1) * kHour, 0) != forward[static_cast<std::size_t>(h)];
  CHECK(differ == 24);
  // The forecast differs from the actual series, which it leaves untouched.
  CHECK(forward[0] != 100);
  CHECK(s.value_at(0) == 100);
}

TEST_CASE("forecast errors have the configured relative standard deviation") {
  const TimeSeries s = TimeSeries::constant(100);
  ForecastOptions o;
  o.relative_error_sd = 0.1;
  o.seed = 7;
  const Forecast f(s, o);
  const int n = 20000;
  double sum = 0, sum2 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = f.mean_over(i * kHour, (i + 1) * kHour) / 100.0 - 1.0;
    sum += x;
    sum2 += x * x;
  }
  const double mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean);
  // Standard error of the mean 0.1/√20000 ≈ 0.0007; of the sd ≈ 0.0005.
  CHECK(std::fabs(mean) < 0.003);
  CHECK(sd == Approx(0.1).margin(0.003));
}

TEST_CASE("forecast error grows with lead time") {
  const TimeSeries s = TimeSeries::constant(100);
  ForecastOptions o;
  o.error_growth_per_day = 0.05;
  o.seed = 3;
  const Forecast f(s, o);
  CHECK(f.mean_over(0, kHour, 0) == Approx(100).epsilon(1e-12));  // no lead, no error
  double sum2 = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const double issued = -4 * kDay - i * kHour;  // lead 4 days + i hours; the window moves too
    const double t0 = issued + 4 * kDay;
    const double x = f.mean_over(t0, t0 + kHour, issued) / 100.0 - 1.0;
    sum2 += x * x;
  }
  CHECK(std::sqrt(sum2 / n) == Approx(0.2).margin(0.006));  // 0.05/day × 4 days
}
