#include "physics/accelerator_power.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace dcsim {

AcceleratorPower::AcceleratorPower(const AcceleratorSpec& spec)
    : idle_w_(spec.idle_power_w),
      tdp_w_(spec.tdp_w),
      limit_min_w_(spec.power_limit_min_w),
      limit_max_w_(spec.power_limit_max_w > 0 ? spec.power_limit_max_w : spec.tdp_w),
      // A hand-built spec without TDP or limits has no power limit (the loader requires tdp_w).
      default_limit_w_(limit_max_w_ > 0 ? std::clamp(spec.default_power_limit_w > 0 ? spec.default_power_limit_w : spec.tdp_w,
                                                     std::min(limit_min_w_, limit_max_w_), limit_max_w_)
                                        : std::numeric_limits<double>::infinity()),
      alpha_(spec.utilisation_exponent > 0 ? spec.utilisation_exponent : 1.0),
      transition_s_(spec.pstate_transition_s),
      transition_j_(spec.pstate_transition_j) {
  if (spec.pstates.empty()) {
    // The loader rejects this for user input; a hand-built spec without states is a bug.
    throw std::invalid_argument("AcceleratorPower: accelerator '" + spec.name +
                                "' has no p-states");
  }
  freq_mhz_.reserve(spec.pstates.size());
  full_w_.reserve(spec.pstates.size());
  for (const auto& s : spec.pstates) {
    freq_mhz_.push_back(s.freq_mhz);
    full_w_.push_back(s.full_power_w);
  }
}

Watts AcceleratorPower::power_w(int pstate, double utilisation, double intensity) const {
  const double u = std::clamp(utilisation, 0.0, 1.0);
  const double i = std::max(intensity, 0.0);
  const double load = alpha_ == 1.0 ? u : std::pow(u, alpha_);
  return idle_w_ + load * i * (full_w_[clamp_index(pstate)] - idle_w_);
}

int AcceleratorPower::highest_pstate_under(Watts cap_w, double utilisation,
                                           double intensity) const {
  // power_w is non-increasing in the index: find the first index that fits.
  int lo = 0, hi = pstate_count() - 1;
  if (power_w(hi, utilisation, intensity) > cap_w) return hi;
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    if (power_w(mid, utilisation, intensity) <= cap_w) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

int AcceleratorPower::pstate_at_or_above(Megahertz f) const {
  // freq_mhz_ is strictly descending: the last index with freq >= f.
  int best = 0;
  for (int p = 0; p < pstate_count(); ++p) {
    if (freq_mhz_[static_cast<std::size_t>(p)] >= f) best = p;
    else break;
  }
  return best;
}

Watts AcceleratorPower::clamp_cap_w(Watts cap_w) const {
  return std::clamp(cap_w, limit_min_w_, std::max(limit_min_w_, limit_max_w_));
}

Watts device_cap_from_group_cap_w(Watts group_cap_w, Watts other_w, int devices) {
  if (devices <= 0) return 0;
  return std::max(0.0, (group_cap_w - other_w) / devices);
}

}  // namespace dcsim
