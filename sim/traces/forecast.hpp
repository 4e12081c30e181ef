#pragma once
// Forecasts with an error model. Policies decide from forecasts; accounting always uses the
// actual series.
//
//   forecast(t0, t1 | issued_at) = mean_over_[t0,t1)(actual) · max(0, 1 + σ(lead) · z)
//   σ(lead) = relative_error_sd + error_growth_per_day · max(0, t0 − issued_at) / 86400 s
//   z ~ N(0, 1), drawn from RngStream(seed ⊕ h(t0, t1, issued_at), stream)
//
// Parameters: relative_error_sd (dimensionless, default 0 = perfect foresight),
// error_growth_per_day (1/day, default 0), seed and stream name (core/rng.hpp).
// The factor is a pure function of (seed, stream, t0, t1, issued_at): the same query gives the
// same forecast in any order and on any run, with no state. Errors of different windows are
// independent; the clamp at 0 keeps a forecast non-negative (carbon intensity, generation).
// A simple, documented model in the spirit of the forecast-error sweeps of "Let's Wait Awhile"
// (Wiesner et al., Middleware 2021), which perturb the actual carbon intensity with Gaussian
// relative errors.
#include <cstdint>
#include <string>

#include "traces/time_series.hpp"

namespace dcsim::traces {

struct ForecastOptions {
  double relative_error_sd = 0.0;
  double error_growth_per_day = 0.0;
  std::uint64_t seed = 0;
  std::string stream = "forecast";
};

class Forecast {
 public:
  // `actual` must outlive the forecast (usually an aligned trace owned by the engine).
  Forecast(const TimeSeries& actual, ForecastOptions options);
  // Forecast of the mean over [t0, t1), issued at `issued_at` (default: t0, zero lead time).
  double mean_over(Seconds t0, Seconds t1, Seconds issued_at) const;
  double mean_over(Seconds t0, Seconds t1) const { return mean_over(t0, t1, t0); }
  // The multiplicative factor alone (1 when relative_error_sd and growth are 0).
  double noise_factor(Seconds t0, Seconds t1, Seconds issued_at) const;
  const ForecastOptions& options() const { return options_; }

 private:
  const TimeSeries* actual_;
  ForecastOptions options_;
};

}  // namespace dcsim::traces
