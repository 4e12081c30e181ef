#pragma once
// Energy estimate of a job on the reference platform: the calibration law of the catalogue.
//
//   runtime_s  = work_flops / (g · peak_flops(precision) · mfu · scaling_efficiency)
//   P_device   = idle_power_w + u^α · i · (full_power_w[p-state 0] − idle_power_w)    (W)
//   P_host/gpu = (host_idle_w + host_load · (host_busy_w − host_idle_w)) / gpus_per_node
//   E          = runtime_s · g · (P_device + P_host/gpu) · pue                         (J)
// Checkpoint pauses are not included (they are below 1 % of the seed profiles' run time).
// Computed with physics' runtime_at_fmax_s() and AcceleratorPower::power_w(p-state 0, u, i), the
// models the engine uses, so the calibration holds for the simulated jobs (at f_max, below the
// power limit, which every catalogue profile is on the H200).
#include "core/units.hpp"
#include "model/job.hpp"
#include "workload/catalogue.hpp"

namespace dcsim {

// Jobs with gpus = 0 (host-only) use profile.cpu_runtime_s.
Seconds reference_runtime_s(const JobProfile& p, int gpus, const ReferencePlatform& ref);
Watts reference_device_power_w(const JobProfile& p, const ReferencePlatform& ref);
Watts reference_host_power_per_gpu_w(const JobProfile& p, const ReferencePlatform& ref);
Joules reference_energy_j(const JobProfile& p, int gpus, const ReferencePlatform& ref);
inline Joules reference_energy_j(const Job& j, const ReferencePlatform& ref) {
  return reference_energy_j(j.profile, j.request.gpus, ref);
}

// Expected energy per job of a profile (exact mean over its GPU and duration distributions).
double expected_energy_kwh(const ProfileSpec& p, const ReferencePlatform& ref);
// Energy of the year's anchor-interpolated training (see ModelGrowth).
double training_energy_kwh(const Catalogue& cat, double year, double growth_after);

}  // namespace dcsim
