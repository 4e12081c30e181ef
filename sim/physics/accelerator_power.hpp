#pragma once
// Power of one accelerator as a function of its p-state, utilisation and workload intensity,
// and power capping by p-state selection.
//
// Equations (one device, p-state p with full power P_full[p] from the catalogue):
//   P(p, u, I) = P_idle + u^α · I · (P_full[p] − P_idle)                                   [W]
//     u  utilisation in [0, 1]   (fraction of time a kernel runs; NVML "utilization.gpu")
//     I  intensity  in [0, ∞)    (1 = a dense bf16 GEMM; memory copy ≈ 0.39 on the H200)
//     α  AcceleratorSpec::utilisation_exponent (default 1: linear, as SimGrid's host energy
//        plugin, so both accountings agree for intensity 1)
//   Power limit: the device's power manager lowers the clock until P ≤ limit (always on: the
//   default limit is TDP unless the catalogue gives default_power_limit_w; the engine applies
//   it to every job, engine/node_power.cpp). We pick the fastest p-state (lowest index) with
//   P(p, u, I) ≤ limit; if none fits, the slowest one.
//   P_full is non-increasing with the index (validated by the loader), so this is a binary
//   search: O(log n), no allocation.
//
// Parameters: AcceleratorSpec (sim/model/platform.hpp): idle_power_w, pstates[].full_power_w,
// pstates[].freq_mhz, power_limit_{min,max}_w, utilisation_exponent.
//
// Source: P-state tables and intensities are calibrated on our H200 measurement
// (platforms/calibration/data, platforms/calibration/h200_phases.yaml): idle 130 W; bf16 GEMM
// (u 0.979, I 1) under the 700 W cap at 1466 MHz / 677 W; every measured phase within 10 %
// (tests/unit/config/test_platform_loader.cpp prints the table). Other devices: see each
// catalogue entry's `source`.
#include <vector>

#include "core/units.hpp"
#include "model/platform.hpp"

namespace dcsim {

class AcceleratorPower {  // built once per accelerator type
 public:
  explicit AcceleratorPower(const AcceleratorSpec& spec);

  Watts idle_w() const { return idle_w_; }
  Watts tdp_w() const { return tdp_w_; }
  int pstate_count() const { return static_cast<int>(freq_mhz_.size()); }
  Megahertz freq_mhz(int pstate) const { return freq_mhz_[clamp_index(pstate)]; }
  Megahertz max_freq_mhz() const { return freq_mhz_.front(); }
  Watts full_power_w(int pstate) const { return full_w_[clamp_index(pstate)]; }
  Watts limit_min_w() const { return limit_min_w_; }
  Watts limit_max_w() const { return limit_max_w_; }
  // The power limit a device enforces out of the box (AcceleratorSpec::default_power_limit_w,
  // else TDP), within [min, max].
  Watts default_limit_w() const { return default_limit_w_; }
  Seconds transition_s() const { return transition_s_; }
  Joules transition_j() const { return transition_j_; }

  // One device: idle + u^α·intensity·(full_power_w[pstate] − idle). u is clamped to [0, 1],
  // intensity to ≥ 0, pstate to the table.
  Watts power_w(int pstate, double utilisation, double intensity) const;

  // Fastest p-state whose power at (utilisation, intensity) is <= cap_w; the slowest if none fits.
  int highest_pstate_under(Watts cap_w, double utilisation, double intensity) const;

  // The slowest p-state whose frequency is >= f (the p-state a frequency request maps to;
  // p-state 0 above the table, the slowest below it).
  int pstate_at_or_above(Megahertz f) const;

  // A requested power limit brought into the device's allowed range [min, max].
  Watts clamp_cap_w(Watts cap_w) const;

 private:
  std::size_t clamp_index(int p) const {
    if (p <= 0) return 0;
    const auto i = static_cast<std::size_t>(p);
    return i < freq_mhz_.size() ? i : freq_mhz_.size() - 1;
  }
  Watts idle_w_ = 0;
  Watts tdp_w_ = 0;
  Watts limit_min_w_ = 0;
  Watts limit_max_w_ = 0;
  Watts default_limit_w_ = 0;
  double alpha_ = 1.0;
  Seconds transition_s_ = 0;
  Joules transition_j_ = 0;
  std::vector<Megahertz> freq_mhz_;
  std::vector<Watts> full_w_;
};

// A cap on a group (node, rack, site) shared equally by its accelerators after the group's
// other loads: per-device cap = (group_cap_w − other_w) / devices (0 if nothing is left).
Watts device_cap_from_group_cap_w(Watts group_cap_w, Watts other_w, int devices);

}  // namespace dcsim
