#include "traces/forecast.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace dcsim::traces {

Forecast::Forecast(const TimeSeries& actual, ForecastOptions options)
    : actual_(&actual), options_(std::move(options)) {
  if (!(options_.relative_error_sd >= 0) || !(options_.error_growth_per_day >= 0))
    throw InvariantError("Forecast: error parameters must be >= 0");
}

double Forecast::noise_factor(Seconds t0, Seconds t1, Seconds issued_at) const {
  const double lead_days = std::max(0.0, t0 - issued_at) / 86400.0;
  const double sd = options_.relative_error_sd + options_.error_growth_per_day * lead_days;
  if (sd == 0) return 1.0;
  std::uint64_t key = options_.seed;
  key = splitmix64(key ^ std::bit_cast<std::uint64_t>(t0));
  key = splitmix64(key ^ std::bit_cast<std::uint64_t>(t1));
  key = splitmix64(key ^ std::bit_cast<std::uint64_t>(issued_at));
  RngStream rng(key, options_.stream);
  return std::max(0.0, 1.0 + sd * rng.normal(0.0, 1.0));
}

double Forecast::mean_over(Seconds t0, Seconds t1, Seconds issued_at) const {
  return actual_->mean_over(t0, t1) * noise_factor(t0, t1, issued_at);
}

}  // namespace dcsim::traces
