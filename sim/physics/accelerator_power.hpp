#pragma once
// Power of one accelerator as a function of its p-state, utilisation and the job's compute and
// memory activity, and the power limit by p-state selection.
//
// Equations (one device, p-state p with full power P_full[p] from the catalogue):
//   burst power (while kernels run):  P_b(p) = P_idle + I·(P_full[p] − P_idle) + M          [W]
//   mean power:                       P(p, u) = P_idle + u^α·(P_b(p) − P_idle)               [W]
//     u  utilisation in [0, 1]  (fraction of time a kernel runs; NVML "utilization.gpu")
//     I  compute intensity in [0, ∞): the activity of the compute units relative to a dense
//        bf16 GEMM (I = 1); its power follows the p-state table, i.e. the V²f law of the clock
//     M  memory power above idle while kernels run (W, JobProfile::memory_power_w): HBM traffic
//        does not depend on the SM clock (below)
//     α  AcceleratorSpec::utilisation_exponent (default 1: linear, as SimGrid's host energy
//        plugin)
//   Power limit L (always on: TDP unless the catalogue gives default_power_limit_w; the engine
//   applies it to every job, engine/node_power.cpp). The device's manager holds a blend of the
//   burst and the mean power under L:
//       P_ctl(p, u) = P_idle + (w + (1 − w)·u^α)·(P_b(p) − P_idle) ≤ L
//     w = AcceleratorSpec::limiter_burst_weight. We pick the fastest p-state with P_ctl ≤ L (if
//     none fits, the slowest). w = 0 limits the mean power (a long averaging window); w = 1 the
//     power while kernels run. Light duty therefore runs its kernels at a higher clock than full
//     duty but not at the top clock: on our H200 the duty curve (platforms/calibration/data/
//     duty.csv) gives burst clocks from ≈1930 MHz at 10 % duty to 1483 MHz at full duty, while
//     the mean power (210–673 W) stays below the 700 W limit. w is fitted on that curve (one
//     number, platforms/tools/make_accelerators.py prints the fit); it is estimated to hold for
//     the other NVIDIA GPUs (the same power-management firmware); TPUs expose no limit.
//   P_full is non-increasing with the index (validated by the loader), so the search is a
//   binary search: O(log n), no allocation.
//
// Memory term (split_burst_power, transfer_power): while a fraction m of a step is memory-bound
// the memory system is active and draws a·B (B = peak HBM bandwidth, a =
// memory_active_w_per_tbps), plus k per TB/s of achieved traffic T (k = memory_power_w_per_tbps):
//       M = m·a·B + k·T,   T = m·η·B unless the profile gives its measured traffic
//     η = kHbmStreamingEfficiency, the fraction of peak bandwidth a streaming copy reaches.
//   a and k of the H200 come from its two measured copies (platforms/calibration/data:
//   memcopy_2GB at 4.25 TB/s, 349 W above idle; the duty run's full-duty copy at 2.11 TB/s,
//   272 W above idle): the whole copy draws ≈82 W per TB/s above idle, of which 36 W per TB/s is
//   per byte moved and the rest the active memory system (platforms/tools/make_accelerators.py).
//
// Parameters: AcceleratorSpec (sim/model/platform.hpp): idle_power_w, pstates[].full_power_w,
// pstates[].freq_mhz, power_limit_{min,max}_w, utilisation_exponent, limiter_burst_weight,
// memory_active_w_per_tbps, memory_power_w_per_tbps.
//
// Source: P-state tables and intensities are calibrated on our H200 measurement
// (platforms/calibration/data, platforms/calibration/h200_phases.yaml): idle 130 W; bf16 GEMM
// (u 0.979, I 1) under the 700 W cap at 1470 MHz; every measured phase and the duty curve through
// `dcsim run` (tests/cli/calibration.py). Other devices: see each catalogue entry's `source`.
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

  // Mean power of one device: idle + u^α·(intensity·(full_power_w[pstate] − idle) + memory_w).
  // u is clamped to [0, 1], intensity and memory_w to ≥ 0, pstate to the table.
  Watts power_w(int pstate, double utilisation, double intensity, Watts memory_w = 0) const;
  // The power the limiter holds under the limit: idle + (w + (1 − w)·u^α)·(burst − idle).
  Watts controlled_power_w(int pstate, double utilisation, double intensity, Watts memory_w = 0) const;
  double limiter_burst_weight() const { return burst_weight_; }

  // Fastest p-state whose controlled power is <= cap_w; the slowest if none fits.
  int highest_pstate_under(Watts cap_w, double utilisation, double intensity, Watts memory_w = 0) const;
  // The same on the mean power alone (w = 0): for activity that alternates far faster than the
  // limiter's averaging window, e.g. LLM serving iterations of milliseconds (physics/llm_inference).
  int highest_pstate_under_mean(Watts cap_w, double utilisation, double intensity) const;

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
  double burst_weight_ = 0.0;
  Seconds transition_s_ = 0;
  Joules transition_j_ = 0;
  std::vector<Megahertz> freq_mhz_;
  std::vector<Watts> full_w_;
};

// Fraction of the peak HBM bandwidth a streaming device-to-device copy reaches: measured on our
// H200 (memcopy_2GB, 4.25 TB/s of 4.8 TB/s, platforms/calibration/data/phases.csv); estimated
// to hold for the other HBM devices.
inline constexpr double kHbmStreamingEfficiency = 4.2496 / 4.8;

// A job's burst power above idle split into a clock-scaled compute intensity and a
// clock-independent memory power (equations above).
struct PowerSplit {
  double intensity = 0;    // compute intensity (1 = dense bf16 GEMM)
  Watts memory_power_w = 0;
};
// On accelerator `a`: burst_above_idle_w = the job's power above idle while kernels run at
// p-state 0 (intensity_total · (P_full[0] − idle)); memory_share m of its step; traffic_tbps its
// measured HBM traffic while kernels run (0 = m·η·B). M = min(burst, m·a·B + k·T), the rest is
// compute: I = (burst − M)/(P_full[0] − idle).
PowerSplit split_burst_power(const AcceleratorSpec& a, Watts burst_above_idle_w, double memory_share,
                             double traffic_tbps = 0);
// The same job on another accelerator (issue 14.2): dynamic power follows the work done per
// second. With S = target/reference step time (physics/dvfs.hpp roofline_transfer), the
// achieved FLOP/s fall by 1/S and the energy per FLOP is each device's GEMM range over its
// peak, ε = (P_full[0] − idle)/peak, so
//       I_t = I_r · (peak_r/peak_t) / S
// (a GEMM keeps I = 1 on any chip and runs into the target's power limit; a memory-bound job
// leaves the compute units partly idle and draws less); the traffic falls by 1/S, the memory
// system is active for the target's memory share m_t:
//       M_t = s·(m_t·a_t·B_t + k_t·T_r/S),  s = M_r/(m_r·a_r·B_r + k_r·T_r)
// (s < 1 where the job's measured power is below the memory law, e.g. batch-1 decoding).
PowerSplit transfer_power(const AcceleratorSpec& reference, const AcceleratorSpec& target, PowerSplit on_reference,
                          double peak_ratio, double time_factor, double memory_share_reference,
                          double memory_share_target, double traffic_reference_tbps = 0);

// A cap on a group (node, rack, site) shared equally by its accelerators after the group's
// other loads: per-device cap = (group_cap_w − other_w) / devices (0 if nothing is left).
Watts device_cap_from_group_cap_w(Watts group_cap_w, Watts other_w, int devices);

// Nameplate energy per unit of work of a node type, for the fleet's refresh rule "retire when a
// newer generation does the same work for less energy" (issue 19; site.fleet
// retire_when_superseded, scenarios/README.md "Fleet plan"):
//   J/FLOP = (n · TDP + host busy + NIC + max fan) / (n · peak dense 16-bit FLOP/s)
// with the larger of the bf16 and fp16 peaks (V100 has no bf16). A datasheet figure: the energy
// of compute-bound work at full power; it ignores memory bandwidth (an H200 ties an H100, same
// peak and TDP) and utilisation. Returns +inf when the node has no 16-bit peak.
double nameplate_joules_per_flop(const AcceleratorSpec& a, const NodeSpec& n);

}  // namespace dcsim
