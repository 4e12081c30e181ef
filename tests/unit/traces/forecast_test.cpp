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

// ---- a forecast is issued at a time for a horizon (issue 19.4) -------------------------------

namespace {
ForecastOptions trajectory_options() {
  ForecastOptions o;
  o.relative_error_sd = 0.05;
  o.error_growth_per_day = 0.04;
  o.correlation_s = 6 * kHour;
  o.seed = 11;
  return o;
}
}  // namespace

TEST_CASE("the same forecast is returned for the same issue time, asked in any order") {
  const TimeSeries s = ramp();
  const Forecast f(s, trajectory_options()), g(s, trajectory_options());
  const auto first = f.issue(2 * kHour, 36 * kHour);
  REQUIRE(first.size() == 36);
  CHECK(f.issue(2 * kHour, 36 * kHour) == first);  // asked twice
  CHECK(g.issue(2 * kHour, 36 * kHour) == first);  // by another object
  // window by window, backwards: the same values as the issued horizon
  for (int k = 35; k >= 0; --k)
    CHECK(f.mean_over((2 + k) * kHour, (3 + k) * kHour, 2 * kHour) == first[static_cast<std::size_t>(k)]);
  // windows of one start share the trajectory's error at that lead
  CHECK(f.noise_factor(5 * kHour, 6 * kHour, 2 * kHour) == f.noise_factor(5 * kHour, 9 * kHour, 2 * kHour));
  // a forecast issued at another time is another draw
  const auto later = f.issue(3 * kHour, 35 * kHour);
  int differ = 0;
  for (std::size_t k = 0; k < later.size(); ++k) differ += later[k] != first[k + 1];
  CHECK(differ == static_cast<int>(later.size()));
  // the actual series is untouched
  CHECK(s.value_at(0) == 100);
}

TEST_CASE("the forecast error spread grows with lead time as sigma0 plus growth times lead") {
  const TimeSeries s = TimeSeries::constant(100);
  const Forecast f(s, trajectory_options());
  const int n = 6000;  // independent forecasts (one per issue time)
  const std::vector<double> leads_h = {0, 6, 12, 24, 48, 96};
  std::vector<double> sd(leads_h.size());
  for (std::size_t l = 0; l < leads_h.size(); ++l) {
    double sum = 0, sum2 = 0;
    for (int i = 0; i < n; ++i) {
      const double issued = i * 1800.0;
      const double t0 = issued + leads_h[l] * kHour;
      const double x = f.mean_over(t0, t0 + kHour, issued) / 100.0 - 1.0;
      sum += x;
      sum2 += x * x;
    }
    const double mean = sum / n;
    sd[l] = std::sqrt(sum2 / n - mean * mean);
    const double want = 0.05 + 0.04 * leads_h[l] / 24.0;
    // sampling error of a sd estimate: want/√(2n) ≈ 0.9 % of it; allow 4 of those
    INFO("lead " << leads_h[l] << " h: sd " << sd[l] << ", expected " << want);
    CHECK(std::fabs(mean) < 4 * want / std::sqrt(n));
    CHECK(sd[l] == Approx(want).epsilon(4 / std::sqrt(2.0 * n)));
    if (l > 0) CHECK(sd[l] > sd[l - 1]);
  }
}

TEST_CASE("errors along one issued forecast are AR(1) correlated with the configured time") {
  const TimeSeries s = TimeSeries::constant(1);
  ForecastOptions o = trajectory_options();
  o.error_growth_per_day = 0;  // constant σ: z is the relative error / σ0
  const Forecast f(s, o);
  const int n = 6000;
  for (int lag : {1, 3, 12}) {
    double sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; ++i) {
      const double issued = i * 977.0;
      const double x = (f.mean_over(issued + 5 * kHour, issued + 6 * kHour, issued) - 1) / 0.05;
      const double y = (f.mean_over(issued + (5 + lag) * kHour, issued + (6 + lag) * kHour, issued) - 1) / 0.05;
      sxy += x * y;
      sxx += x * x;
      syy += y * y;
    }
    const double r = sxy / std::sqrt(sxx * syy), want = std::exp(-lag / 6.0);
    INFO("lag " << lag << " h: correlation " << r << ", expected " << want);
    CHECK(r == Approx(want).margin(0.04));  // sampling sd of r ≤ 1/√n ≈ 0.013
  }
}
