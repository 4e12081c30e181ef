#include "traces/forecast.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace dcsim::traces {

Forecast::Forecast(const TimeSeries& actual, ForecastOptions options)
    : actual_(&actual), options_(std::move(options)) {
  if (!(options_.relative_error_sd >= 0) || !(options_.error_growth_per_day >= 0) ||
      !(options_.correlation_s >= 0) || !(options_.step_s > 0))
    throw InvariantError("Forecast: error parameters must be >= 0 and the step > 0");
}

double Forecast::error_sd(Seconds lead_s) const {
  return options_.relative_error_sd + options_.error_growth_per_day * std::max(0.0, lead_s) / 86400.0;
}

namespace {
double innovation(std::uint64_t seed, Seconds issued_at, std::uint64_t k, const std::string& stream) {
  std::uint64_t key = splitmix64(seed ^ std::bit_cast<std::uint64_t>(issued_at));
  key = splitmix64(key ^ k);
  RngStream rng(key, stream);
  return rng.normal(0.0, 1.0);
}
}  // namespace

double Forecast::noise_factor(Seconds t0, Seconds t1, Seconds issued_at) const {
  const double lead_s = std::max(0.0, t0 - issued_at);
  const double sd = error_sd(lead_s);
  if (sd == 0) return 1.0;
  if (options_.correlation_s > 0) {
    constexpr std::uint64_t kMaxSteps = 4096;
    const auto k = static_cast<std::uint64_t>(std::floor(lead_s / options_.step_s));
    const double rho = std::exp(-options_.step_s / options_.correlation_s);
    const double innov = std::sqrt(1.0 - rho * rho);
    std::uint64_t j = k > kMaxSteps ? k - kMaxSteps : 0;
    double z = innovation(options_.seed, issued_at, j, options_.stream);
    for (++j; j <= k; ++j) z = rho * z + innov * innovation(options_.seed, issued_at, j, options_.stream);
    return std::max(0.0, 1.0 + sd * z);
  }
  std::uint64_t key = options_.seed;
  key = splitmix64(key ^ std::bit_cast<std::uint64_t>(t0));
  key = splitmix64(key ^ std::bit_cast<std::uint64_t>(t1));
  key = splitmix64(key ^ std::bit_cast<std::uint64_t>(issued_at));
  RngStream rng(key, options_.stream);
  return std::max(0.0, 1.0 + sd * rng.normal(0.0, 1.0));
}

std::vector<double> Forecast::issue(Seconds issued_at, Seconds horizon_s) const {
  std::vector<double> out;
  for (Seconds a = issued_at; a < issued_at + horizon_s; a += options_.step_s)
    out.push_back(mean_over(a, std::min(a + options_.step_s, issued_at + horizon_s), issued_at));
  return out;
}

double Forecast::mean_over(Seconds t0, Seconds t1, Seconds issued_at) const {
  return actual_->mean_over(t0, t1) * noise_factor(t0, t1, issued_at);
}

}  // namespace dcsim::traces
