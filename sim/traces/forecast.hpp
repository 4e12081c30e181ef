#pragma once
// Forecasts with an error model. Policies decide from forecasts; accounting always uses the
// actual series.
//
// A forecast is issued at a time `issued_at` for the time after it; the forecast of the mean
// over a window [t0, t1) is
//
//   forecast(t0, t1 | issued_at) = mean_over_[t0,t1)(actual) · max(0, 1 + σ(L) · z)
//   L = max(0, t0 − issued_at)                         (lead time of the window's start)
//   σ(L) = relative_error_sd + error_growth_per_day · L / 86400 s
//
// z ~ N(0, 1) comes from one of two error structures:
//
// * correlation_s = 0 (white): z drawn from RngStream(seed ⊕ h(t0, t1, issued_at), stream):
//   every window has its own independent error.
// * correlation_s = τ > 0 (a coherent trajectory): one issued forecast is one trajectory of
//   errors along lead time, an AR(1) process on lead steps of step_s (default 1 h, the step of
//   hourly forecasts): z_0 = e_0, z_k = ρ z_{k−1} + √(1 − ρ²) e_k, ρ = exp(−step_s / τ), e_k ~
//   N(0, 1) from RngStream(seed ⊕ h(issued_at, k), stream); a window uses z at the step of
//   its start, k = ⌊L / step_s⌋. So z_k ~ N(0, 1) exactly and corr(z_k, z_{k+m}) = ρ^m:
//   windows close in lead time err alike (an error in tomorrow's wind forecast lasts hours),
//   and two windows with the same start get the same factor. Leads beyond 4096 steps start
//   the recursion 4096 steps back from a fresh N(0, 1) (a correlation below ρ^4096 is lost).
//
// Either way the factor is a pure function of (options, t0, t1, issued_at): the same query gives
// the same forecast in any order and on any run, with no state — asking twice gives the same
// forecast. Forecasts issued at different times are independent draws. The clamp at 0 keeps a
// forecast non-negative (carbon intensity, generation).
//
// Parameters: relative_error_sd σ0 (1, default 0 = perfect foresight), error_growth_per_day g
// (1/day, default 0), correlation_s τ (s, default 0 = white), step_s (s, 3600), seed and stream
// name (core/rng.hpp).
//
// Error figures for carbon intensity (sources; the defaults stay 0 = perfect foresight):
// * UK national carbon-intensity forecast of National Grid ESO (half-hourly, up to 48 h ahead),
//   forecast vs actual Sept 2017 – March 2023: mean absolute percentage error ≈ 7.1 %
//   (N. Powell, "Carbon Intensity Forecast Tracking", 2023, nickmp.com and
//   github.com/nmpowell/carbon-intensity-forecast-tracking).
// * CarbonCast (Maji, Shenoy & Sitaraman, "CarbonCast: Multi-Day Forecasting of Grid Carbon
//   Intensity", ACM BuildSys 2022): 96-h forecasts whose MAPE grows from the first to the
//   fourth day in its regions (also the comparison of EnsembleCI, 2025, whose "smaller
//   increases in MAPE over a 4-day horizon" are relative to CarbonCast's).
// * CarbonX (2025, arXiv 2510.01521): mean MAPE 9.59 % over 13 benchmark grids.
// Suggested values (ESTIMATED, scenarios/README.md "policies"): σ0 = 0.05, g = 0.04/day,
// τ = 6 h. Reasoning: for a Gaussian relative error MAPE = √(2/π) σ ≈ 0.8 σ; σ0 = 0.05 gives
// 4 % at lead 0, σ(48 h) = 0.13 gives ≈ 10 % two days ahead, and the mean σ over 0–48 h, 0.09,
// gives ≈ 7.2 %, the ESO figure above; τ = 6 h is a guess at the persistence of the weather
// errors (wind, solar) that drive intensity errors, not fitted to data.
//
// Earlier versions: the model of the forecast-error sweeps of "Let's Wait Awhile" (Wiesner et
// al., Middleware 2021), Gaussian relative errors on the actual intensity, is the white case.
#include <cstdint>
#include <string>
#include <vector>

#include "traces/time_series.hpp"

namespace dcsim::traces {

struct ForecastOptions {
  double relative_error_sd = 0.0;
  double error_growth_per_day = 0.0;
  std::uint64_t seed = 0;
  std::string stream = "forecast";
  double correlation_s = 0.0;  // τ of the AR(1) error trajectory; 0 = independent per window
  double step_s = 3600.0;      // lead step of the trajectory
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
  // σ(L): the relative error's standard deviation at lead time L (s).
  double error_sd(Seconds lead_s) const;
  // The forecast issued at `issued_at` for [issued_at, issued_at + horizon_s): the means over
  // its consecutive steps of step_s (the last one shortened to the horizon).
  std::vector<double> issue(Seconds issued_at, Seconds horizon_s) const;
  const ForecastOptions& options() const { return options_; }

 private:
  const TimeSeries* actual_;
  ForecastOptions options_;
};

}  // namespace dcsim::traces
