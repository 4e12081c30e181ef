#include "physics/carbon.hpp"

#include <algorithm>
#include <cmath>

namespace dcsim {

double location_based_kg(double grid_kwh, GramsCo2PerKwh intensity) {
  return grid_kwh * intensity / 1000.0;
}

double market_based_kg(double grid_kwh, GramsCo2PerKwh residual_intensity,
                       double contracted_renewable_fraction) {
  const double f = std::clamp(contracted_renewable_fraction, 0.0, 1.0);
  return grid_kwh * (1.0 - f) * residual_intensity / 1000.0;
}

double cfe_score(std::span<const double> load_kwh, std::span<const double> clean_kwh) {
  const std::size_t n = std::min(load_kwh.size(), clean_kwh.size());
  double load = 0, matched = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double l = std::max(load_kwh[i], 0.0);
    load += l;
    matched += std::min(l, std::max(clean_kwh[i], 0.0));
  }
  for (std::size_t i = n; i < load_kwh.size(); ++i) load += std::max(load_kwh[i], 0.0);
  return load > 0 ? matched / load : 1.0;
}

double embodied_kg_per_s(const EmbodiedSpec& s, const EmbodiedInventory& inv) {
  double rate = 0;
  if (s.lifetime_years > 0) {
    rate += (inv.accelerators * s.kgco2_per_gpu + inv.hosts * s.kgco2_per_node_host) /
            (s.lifetime_years * kYear365);
  }
  if (s.battery_lifetime_years > 0) {
    rate += inv.battery_kwh * s.kgco2_per_battery_kwh / (s.battery_lifetime_years * kYear365);
  }
  return rate;
}

double embodied_kg(const EmbodiedSpec& s, const EmbodiedInventory& inv, Seconds duration_s) {
  return embodied_kg_per_s(s, inv) * std::max(duration_s, 0.0);
}

double node_footprint_kg(const EmbodiedSpec& s, int accelerators) {
  return accelerators * s.kgco2_per_gpu + s.kgco2_per_node_host;
}

Seconds node_service_life_s(const EmbodiedSpec& s, Seconds install_s, Seconds retire_s) {
  if (std::isfinite(install_s) && std::isfinite(retire_s) && retire_s > install_s) return retire_s - install_s;
  return s.lifetime_years * kYear365;
}

double node_embodied_kg(const EmbodiedSpec& s, int accelerators, Seconds install_s, Seconds retire_s,
                        Seconds end_s) {
  const double f = node_footprint_kg(s, accelerators);
  if (s.at_purchase) {
    const Seconds at = std::isfinite(install_s) ? install_s : 0.0;
    return at >= 0 && at < end_s ? f : 0.0;
  }
  const Seconds life = node_service_life_s(s, install_s, retire_s);
  if (!(life > 0)) return 0.0;
  Seconds hi = std::min(retire_s, end_s);
  if (std::isfinite(install_s)) hi = std::min(hi, install_s + life);
  const Seconds lo = std::max(install_s, 0.0);
  return hi > lo ? f * (hi - lo) / life : 0.0;
}

}  // namespace dcsim
