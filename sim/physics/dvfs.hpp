#pragma once
// DVFS run-time model: how long a job takes at a frequency, and the operating point a power
// cap imposes.
//
// Equations:
//   slowdown(f) = t(f)/t(f_max) = c·f_max/f + m + io                                   [-]
//     c, m, io = compute_share, memory_share, io_share of the profile at f_max, normalised to
//     sum to 1 (only the compute part scales with the core clock; HBM bandwidth and host I/O
//     do not depend on the SM clock).
//   runtime_at_fmax = W / (n · peak(precision) · mfu · scaling_efficiency)              [s]
//     W work_flops, n accelerators, peak dense FLOP/s of the precision (with the fallbacks of
//     effective_peak_flops), mfu the model-FLOPs utilisation on one accelerator,
//     scaling_efficiency the parallel efficiency at n.
//   energy of the accelerators = n · P(p, u, I) · runtime_at_fmax · slowdown(f_p)        [J]
//
// Parameters: JobProfile (model/job.hpp) shares, mfu, precision, scaling_efficiency;
// AcceleratorSpec peak_tflops and p-state table.
// Sources: the t(f) = t_c·f_max/f + t_m decomposition is the standard DVFS performance model
// (e.g. Abe et al., "Power and performance analysis of GPU-accelerated systems", HotPower 2012;
// Mei et al., "A survey and measurement study of GPU DVFS on energy conservation", 2017:
// compute-bound kernels scale with the core clock, memory-bound ones barely).
#include <string>

#include "core/units.hpp"
#include "model/job.hpp"
#include "model/platform.hpp"
#include "physics/accelerator_power.hpp"

namespace dcsim {

double slowdown(const JobProfile& p, Megahertz f, Megahertz f_max);

// Peak dense FLOP/s of `precision` on `a`, with documented fallbacks when the device has no
// dedicated units for it: bf16 ↔ fp16; fp8 and int8 run at bf16 (else fp16) speed; tf32 runs at
// fp32 speed; fp32/tf32 without fp32 units (TPUs) run as three bf16 passes (bf16 peak / 3, XLA's
// "HIGH" matmul precision on TPU). Throws std::invalid_argument if nothing applies (e.g. fp64
// on a TPU).
FlopsPerSecond effective_peak_flops(const AcceleratorSpec& a, const std::string& precision);

Seconds runtime_at_fmax_s(const JobProfile& p, const AcceleratorSpec& a, int gpus);

// Roofline transfer of a job's step from the reference accelerator to another (issue 14.1).
// A step on the reference splits into compute, memory and I/O parts (the shares c, m, io,
// normalised to sum to 1, at the reference's f_max). On the target the compute part scales
// with the peak at the profile's precision, the memory part with the HBM bandwidth, the I/O
// part not at all (the host):
//   S   = c·P_r/P_t + m·B_r/B_t + io          t_target(f_max) = S · t_ref(f_max)        [-]
//   c'  = c·(P_r/P_t)/S,  m' = m·(B_r/B_t)/S,  io' = io/S                  (target shares)
//   mfu' = mfu·(P_r/P_t)/S        (achieved FLOP/s over the target's peak: a memory-bound job
//                                  reaches a lower fraction of a faster chip's peak)
// so that runtime_at_fmax_s(p', target) = S · runtime_at_fmax_s(p, reference), and the clock
// acts on the compute part through slowdown() with the target's shares.
// P = effective_peak_flops(precision), B = memory_bandwidth_tbps. Without a bandwidth on either
// side the memory part scales with the peak (B_r/B_t := P_r/P_t; before issue 14 the whole step,
// I/O included, scaled with the peak).
// A measured throughput on the target (throughput_ratio = reference step time / target step
// time, > 0) replaces S by 1/throughput_ratio and keeps the roofline's split of the step; so
// does a measured MFU on the target (measured_mfu: S = mfu·(P_r/P_t)/measured_mfu, mfu' = it).
// Source: Williams, Waterman & Patterson, "Roofline: an insightful visual performance model
// for multicore architectures", CACM 52(4), 2009 (time = max/sum of compute and memory terms;
// dcsim sums the parts as the shares measure them serially within a step).
struct RooflineTransfer {
  double time_factor = 1;  // S: target step time / reference step time, both at f_max
  double compute_share = 1, memory_share = 0, io_share = 0;
  double mfu = 0;
};
RooflineTransfer roofline_transfer(const JobProfile& p, const AcceleratorSpec& reference,
                                   const AcceleratorSpec& target, double throughput_ratio = 0,
                                   double measured_mfu = 0);

// Where a job runs under a per-device power cap.
struct OperatingPoint {
  int pstate = 0;
  Megahertz freq_mhz = 0;
  Watts device_power_w = 0;  // one accelerator
  double slowdown = 1;       // t(f)/t(f_max)
};
OperatingPoint operating_point_under_cap(const AcceleratorPower& power, const JobProfile& p,
                                         Watts cap_w);
// The same at a given p-state (a frequency chosen by a policy rather than by a cap).
OperatingPoint operating_point_at(const AcceleratorPower& power, const JobProfile& p, int pstate);

}  // namespace dcsim
