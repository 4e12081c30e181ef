#pragma once
// A stand-in for the engine: drives a Fleet through the integration calls in the order the
// engine makes them (fleet.hpp), with GPUs granted on request up to an optional budget and a
// fixed environment. For the serving tests and benchmarks, and as the reference of the call
// sequence; it integrates the replicas' reported power the way the engine does (held constant
// over each step), so its energy is what the engine will account.
#include <functional>
#include <string>
#include <vector>

#include "serving/fleet.hpp"

namespace dcsim::serving {

struct HostOptions {
  StepEnv env;
  int gpu_budget = -1;               // GPUs the host may grant (-1: unlimited)
  // accelerator type per deployment ("" = the deployment's own, else the first that runs it)
  std::vector<std::string> accelerator;
  std::function<void(const StepResult&)> on_step;  // called after every step
};

struct HostSummary {
  std::vector<Joules> energy_j;      // per deployment: Σ power_per_gpu·gpus·Δt over the steps
  int peak_gpus = 0;                 // most GPUs held at once
  std::size_t steps = 0;
  std::size_t requests = 0;          // request records handed out
};

HostSummary run_host(Fleet& fleet, Seconds span_s, const HostOptions& opt = {});

}  // namespace dcsim::serving
