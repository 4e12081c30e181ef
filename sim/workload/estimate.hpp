#pragma once
// Energy estimate of a job on the reference platform: the calibration law of the catalogue,
// computed with the engine's own physics so that the calibration holds in a run.
//
//   runtime_s  = work_flops / (g · peak_flops(precision) · mfu · scaling_efficiency)  (physics runtime_at_fmax_s)
//   P_device   = idle_power_w + u^α · i · (full_power_w[p-state 0] − idle_power_w)    (W, AcceleratorPower)
//                at the fastest p-state: the loader requires it to be at or below the reference's
//                power limit, so the engine runs the profile there too
//   P_node,host = host_power_w(node, host_load, heat)  (physics/node_power.hpp: host idle→busy with
//                the host load, NICs, fans rising with the cube of speed as the heat rises),
//                heat = min(1, P_device / TDP): a node whose accelerators all run the profile
//   E          = runtime_s · g · (P_device + P_node,host / gpus_per_node) · pue              (J)
// Checkpoint pauses are not included (they are below 1 % of the seed profiles' run time). A job
// that shares its node with idle accelerators or other profiles sees other fan speeds; the
// end-to-end calibration test (tests/cli/calibration_seed.sh) runs busy sites where nodes are
// full, as the seed's figures assume.
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
