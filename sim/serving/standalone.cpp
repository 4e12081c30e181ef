#include "serving/standalone.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

namespace dcsim::serving {

HostSummary run_host(Fleet& fleet, Seconds span_s, const HostOptions& opt) {
  HostSummary sum;
  sum.energy_j.assign(fleet.deployment_count(), 0.0);
  std::vector<std::string> accel(fleet.deployment_count());
  for (std::size_t d = 0; d < fleet.deployment_count(); ++d) {
    if (d < opt.accelerator.size() && !opt.accelerator[d].empty()) accel[d] = opt.accelerator[d];
    else accel[d] = fleet.deployment(d).accelerator;
    if (accel[d].empty() || !fleet.can_run_on(d, accel[d])) {
      throw std::invalid_argument("run_host: give the accelerator of deployment " + fleet.deployment(d).name);
    }
  }
  int gpus = 0;
  std::unordered_map<ReplicaId, int> held;  // replica → GPUs
  auto grant = [&](std::size_t d, Seconds t, bool loaded) {
    const int g = fleet.deployment(d).tensor_parallel;
    if (opt.gpu_budget >= 0 && gpus + g > opt.gpu_budget) return false;
    held[fleet.add_replica(d, accel[d], t, loaded)] = g;
    gpus += g;
    sum.peak_gpus = std::max(sum.peak_gpus, gpus);
    return true;
  };
  for (std::size_t d = 0; d < fleet.deployment_count(); ++d)
    for (int k = 0; k < fleet.initial_replicas(d); ++k) grant(d, 0, true);
  const Seconds step = fleet.step_s();
  for (Seconds t0 = 0; t0 < span_s - 1e-9;) {
    const Seconds t1 = std::min(span_s, t0 + step);
    StepResult r = fleet.advance(t0, t1, opt.env);
    for (const ReplicaStep& rs : r.replicas) {
      sum.energy_j[rs.deployment] += rs.power_per_gpu_w * rs.gpus * (t1 - t0);
      if (rs.state == ReplicaState::released) {
        auto it = held.find(rs.id);
        if (it != held.end()) {
          gpus -= it->second;
          held.erase(it);
        }
      }
    }
    sum.requests += r.requests.size();
    ++sum.steps;
    for (const DeploymentStep& ds : r.deployments)
      for (int k = 0; k < ds.replicas_requested; ++k)
        if (!grant(ds.deployment, t1, false)) break;
    if (opt.on_step) opt.on_step(r);
    t0 = t1;
  }
  return sum;
}

}  // namespace dcsim::serving
