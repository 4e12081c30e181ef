#include "workload/estimate.hpp"

#include <algorithm>
#include <cmath>

#include "physics/accelerator_power.hpp"
#include "physics/dvfs.hpp"
#include "physics/node_power.hpp"

namespace dcsim {

Seconds reference_runtime_s(const JobProfile& p, int gpus, const ReferencePlatform& ref) {
  if (gpus <= 0) return p.cpu_runtime_s;
  return runtime_at_fmax_s(p, ref.accelerator, gpus);
}

Watts reference_device_power_w(const JobProfile& p, const ReferencePlatform& ref) {
  // p-state 0: the loader keeps every catalogue profile at or under the reference's power limit.
  return AcceleratorPower(ref.accelerator).power_w(0, p.utilisation, p.intensity, p.memory_power_w);
}

Watts reference_host_power_per_gpu_w(const JobProfile& p, const ReferencePlatform& ref) {
  const double n = static_cast<double>(ref.gpus_per_node > 0 ? ref.gpus_per_node : 1);
  const Watts tdp = ref.accelerator.tdp_w;
  const double heat = tdp > 0 ? std::min(1.0, reference_device_power_w(p, ref) / tdp) : 0.0;
  return host_power_w(ref.node(), p.host_load, heat) / n;
}

Joules reference_energy_j(const JobProfile& p, int gpus, const ReferencePlatform& ref) {
  const Seconds t = reference_runtime_s(p, gpus, ref);
  if (gpus <= 0) {
    // A host-only job: its share of one node's host power (one GPU slot's worth).
    return t * reference_host_power_per_gpu_w(p, ref) * ref.pue;
  }
  return t * static_cast<double>(gpus) *
         (reference_device_power_w(p, ref) + reference_host_power_per_gpu_w(p, ref)) * ref.pue;
}

double expected_energy_kwh(const ProfileSpec& p, const ReferencePlatform& ref) {
  // E = g · d · (P_dev + P_host) · pue: independent of MFU and scaling (the work was derived
  // from the duration on this platform). E[d] of a lognormal = median · exp(σ²/2).
  JobProfile jp;
  jp.utilisation = p.utilisation;
  jp.intensity = p.reference_intensity(ref);
  jp.host_load = p.host_load;
  const Watts per_gpu = reference_device_power_w(jp, ref) + reference_host_power_per_gpu_w(jp, ref);
  const double mean_h = p.duration_median_h * std::exp(0.5 * p.duration_sigma * p.duration_sigma);
  return p.mean_gpus() * mean_h * kHour * per_gpu * ref.pue / kJoulesPerKwh;
}

double training_energy_kwh(const Catalogue& cat, double year, double growth_after) {
  const ProfileSpec& p = cat.by_name(cat.growth.profile);
  const int g = cat.growth.gpus_at(year);
  JobProfile jp = make_profile(p, cat.reference, g, 0.0);
  jp.work_flops = cat.growth.work_at(year, growth_after);
  return kwh_from_joules(reference_energy_j(jp, g, cat.reference));
}

}  // namespace dcsim
