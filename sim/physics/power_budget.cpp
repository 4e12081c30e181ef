#include "physics/power_budget.hpp"

#include <cmath>
#include <limits>

#include "physics/facility.hpp"

namespace dcsim {

Watts water_fill_level(const DemandBins& demands, Watts budget_w) {
  if (budget_w <= 0) return 0;
  double count = 0, total = 0;
  for (const auto& [d, n] : demands) {
    count += n;
    total += d * n;
  }
  if (total <= budget_w) return std::numeric_limits<double>::infinity();
  // Ascending demands: those below the level get their demand; the rest share what is left.
  double below = 0;  // power of the devices already satisfied
  for (const auto& [d, n] : demands) {
    const double level = (budget_w - below) / count;
    if (level <= d) return level;
    below += d * n;
    count -= n;
  }
  return std::numeric_limits<double>::infinity();  // not reached: total > budget
}

Watts max_it_under_facility_cap(const SiteSpec& site, Watts cap_w, Celsius outdoor_c, Watts design_it_w) {
  auto total = [&](Watts it) {
    return facility_power(site.cooling, site.ups, site.pdu, it, outdoor_c, design_it_w).total_w;
  };
  if (total(0) > cap_w) return 0;
  Watts lo = 0, hi = std::max(cap_w, 1.0);
  while (total(hi) <= cap_w) hi *= 2;  // facility ≥ IT, so this ends at once
  for (int i = 0; i < 200 && hi - lo > 1e-9 * hi; ++i) {
    const Watts mid = 0.5 * (lo + hi);
    if (total(mid) <= cap_w) lo = mid;
    else hi = mid;
  }
  return lo;
}

}  // namespace dcsim
