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
      burst_weight_(std::clamp(spec.limiter_burst_weight, 0.0, 1.0)),
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

Watts AcceleratorPower::power_w(int pstate, double utilisation, double intensity, Watts memory_w) const {
  const double u = std::clamp(utilisation, 0.0, 1.0);
  const double i = std::max(intensity, 0.0);
  const double load = alpha_ == 1.0 ? u : std::pow(u, alpha_);
  return idle_w_ + load * (i * (full_w_[clamp_index(pstate)] - idle_w_) + std::max(memory_w, 0.0));
}

Watts AcceleratorPower::controlled_power_w(int pstate, double utilisation, double intensity,
                                           Watts memory_w) const {
  const double u = std::clamp(utilisation, 0.0, 1.0);
  const double load = alpha_ == 1.0 ? u : std::pow(u, alpha_);
  const double g = burst_weight_ + (1.0 - burst_weight_) * load;
  return idle_w_ + g * (std::max(intensity, 0.0) * (full_w_[clamp_index(pstate)] - idle_w_) +
                        std::max(memory_w, 0.0));
}

int AcceleratorPower::highest_pstate_under(Watts cap_w, double utilisation, double intensity,
                                           Watts memory_w) const {
  // controlled_power_w is non-increasing in the index: find the first index that fits.
  int lo = 0, hi = pstate_count() - 1;
  if (controlled_power_w(hi, utilisation, intensity, memory_w) > cap_w) return hi;
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    if (controlled_power_w(mid, utilisation, intensity, memory_w) <= cap_w) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

int AcceleratorPower::highest_pstate_under_mean(Watts cap_w, double utilisation, double intensity) const {
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

PowerSplit split_burst_power(const AcceleratorSpec& a, Watts burst_above_idle_w, double memory_share,
                             double traffic_tbps) {
  PowerSplit out;
  const Watts range = a.pstates.empty() ? 0.0 : a.pstates.front().full_power_w - a.idle_power_w;
  const double m = std::clamp(memory_share, 0.0, 1.0);
  const double bw = std::max(a.memory_bandwidth_tbps, 0.0);
  const double t = traffic_tbps > 0 ? traffic_tbps : m * kHbmStreamingEfficiency * bw;
  const Watts law = m * a.memory_active_w_per_tbps * bw + a.memory_power_w_per_tbps * t;
  const Watts burst = std::max(burst_above_idle_w, 0.0);
  out.memory_power_w = std::min(burst, law);
  out.intensity = range > 0 ? (burst - out.memory_power_w) / range : 0.0;
  return out;
}

PowerSplit transfer_power(const AcceleratorSpec& reference, const AcceleratorSpec& target, PowerSplit on_reference,
                          double peak_ratio, double time_factor, double memory_share_reference,
                          double memory_share_target, double traffic_reference_tbps) {
  PowerSplit out;
  const double s_time = time_factor > 0 ? time_factor : 1.0;
  out.intensity = std::max(on_reference.intensity, 0.0) * peak_ratio / s_time;
  const double m_r = std::clamp(memory_share_reference, 0.0, 1.0);
  const double m_t = std::clamp(memory_share_target, 0.0, 1.0);
  const double bw_r = std::max(reference.memory_bandwidth_tbps, 0.0);
  const double bw_t = std::max(target.memory_bandwidth_tbps, 0.0);
  const double t_r = traffic_reference_tbps > 0 ? traffic_reference_tbps : m_r * kHbmStreamingEfficiency * bw_r;
  const Watts law_r = m_r * reference.memory_active_w_per_tbps * bw_r + reference.memory_power_w_per_tbps * t_r;
  const Watts law_t = m_t * target.memory_active_w_per_tbps * bw_t + target.memory_power_w_per_tbps * t_r / s_time;
  if (law_r > 0) {
    out.memory_power_w = on_reference.memory_power_w / law_r * law_t;
  } else {
    out.memory_power_w = on_reference.memory_power_w / s_time;  // no memory law: traffic only
  }
  return out;
}

Watts device_cap_from_group_cap_w(Watts group_cap_w, Watts other_w, int devices) {
  if (devices <= 0) return 0;
  return std::max(0.0, (group_cap_w - other_w) / devices);
}

double nameplate_joules_per_flop(const AcceleratorSpec& a, const NodeSpec& n) {
  const double peak = std::max(a.peak_flops("bf16"), a.peak_flops("fp16")) * n.accelerators_per_node;
  if (!(peak > 0)) return std::numeric_limits<double>::infinity();
  return (n.accelerators_per_node * a.tdp_w + n.host_busy_w + n.nic_w + n.fan_max_w) / peak;
}

}  // namespace dcsim
