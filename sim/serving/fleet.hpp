#pragma once
// The serving fleet: every deployment of a scenario's `serving` section, its traffic, routing,
// replica physics, autoscaling and SLO-aware clock capping, advanced by the engine in fixed
// steps. This is the integration interface (sim/serving/README.md § "Integration"):
//
//   Fleet fleet(scenario.serving, platform.accelerators, calendar, span_s, scenario.seed);
//   for d: for k < fleet.initial_replicas(d): fleet.add_replica(d, accelerator, 0, /*loaded*/true);
//   for (t0 = 0; t0 < span; t0 = t1) {            // t1 = t0 + fleet.step_s(), on the sample grid
//     StepResult r = fleet.advance(t0, t1, env);  // env: each replica's power limit and p-state
//     hold r.replicas[i].power_per_gpu_w on the replica's GPUs over [t0, t1)
//     record r.deployments (series), r.requests (request table)
//     free the GPUs of replicas in state `released`
//     for d: add up to r.deployments[d].replicas_requested replicas (they load from t1)
//   }
//   fleet.totals() → run summary per deployment.
//
// Two fidelities share every law and policy:
//   request     every request is simulated (cluster.hpp, replica.hpp): exact TTFT and TPOT,
//               completed requests handed out per step; cost linear in requests.
//   aggregated  per deployment and step: the arrivals the streams give (their exact
//               integral), a fluid backlog when they exceed the capacity, and each replica's
//               power, batch, queue and latency distributions from the sampled steady state
//               at its request rate (load_table.hpp); cost per step independent of requests.
//   Fluid backlog (aggregated): offered = arrivals + backlog; capacity C = Σ_r f_r·λmax_r
//   (f_r the replica's ready share of the step, λmax_r its table's highest stable rate);
//   served = min(offered, C·Δt); backlog' = offered − served; each replica serves at
//   λ_r = λmax_r·(served/Δt)/Σ_j f_j·λmax_j (capacity-proportional routing); requests wait
//   W = mean backlog / served rate in front (Little's law), added to their TTFT.
// Energy: per replica the mean power per GPU over the step, so that the engine's piecewise-
// constant integration over [t0, t1) reproduces the replica's energy exactly; loading replicas
// draw loading power (weights written at load_bandwidth), parked ones idle power.
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/calendar.hpp"
#include "core/units.hpp"
#include "model/platform.hpp"
#include "model/serving_spec.hpp"
#include "serving/cluster.hpp"

namespace dcsim::serving {

using ReplicaId = std::uint64_t;

// What the engine imposes on one replica's devices for a step.
struct ReplicaEnv {
  Watts power_limit_w = std::numeric_limits<double>::infinity();  // per device; clamped to the device's range
  int pstate = 0;  // the engine's governor p-state (0 = fastest); the slower of it and the
                   // deployment's clock cap applies
};
struct StepEnv {
  ReplicaEnv all;                                       // for every replica not listed below
  std::unordered_map<ReplicaId, ReplicaEnv> per_replica;
  const ReplicaEnv& of(ReplicaId id) const {
    auto it = per_replica.find(id);
    return it == per_replica.end() ? all : it->second;
  }
};

struct ReplicaStep {
  ReplicaId id = 0;
  std::uint32_t deployment = 0;
  std::string accelerator;
  int gpus = 1;
  ReplicaState state = ReplicaState::ready;  // at t1
  Watts power_per_gpu_w = 0;  // mean over [t0, t1)
  double busy = 0;            // fraction of the step iterating
  double mean_pstate = 0;     // mean p-state index while iterating
  double batch = 0;           // mean sequences in its batch
  double queue = 0;           // mean requests waiting at it
};

struct DeploymentStep {
  std::uint32_t deployment = 0;
  double arrivals = 0;            // requests that arrived in the step
  double requests_per_s = 0;      // completed
  double tokens_out_per_s = 0;    // output tokens generated
  double tokens_prompt_per_s = 0; // prompt tokens prefilled (recomputes included)
  double mean_batch = 0;          // per serving replica
  double queue = 0;               // mean requests waiting (deployment queue and replicas')
  // of the requests whose first token (TTFT) or last token (TPOT) came in the step; NaN if none
  Seconds ttft_p50_s = 0, ttft_p99_s = 0, tpot_p50_s = 0, tpot_p99_s = 0;
  double slo_attainment = 0;      // fraction of completed requests meeting the SLO; NaN if none
  double rejected = 0;            // could never fit a replica's KV cache
  Joules energy_j = 0;            // the deployment's accelerators over the step
  int replicas_ready = 0, replicas_loading = 0, replicas_parked = 0;  // at t1
  int replicas_wanted = 0;        // the autoscaler's desired count
  int replicas_requested = 0;     // new replicas the engine should add from t1
  Megahertz clock_cap_mhz = 0;    // the SLO-aware clock cap (f_max when off)
};

struct StepResult {
  Seconds t0 = 0, t1 = 0;
  std::vector<ReplicaStep> replicas;       // every replica placed during the step
  std::vector<DeploymentStep> deployments;
  std::vector<RequestRecord> requests;     // request fidelity: completed in the step
};

struct DeploymentTotals {
  std::string name;
  double arrivals = 0, completed = 0, rejected = 0, slo_met = 0;
  double tokens_out = 0, tokens_prompt = 0;
  Joules energy_j = 0;           // accelerators, loading and parked included
  Joules loading_energy_j = 0;
  LatencyHistogram ttft, tpot;
  double joules_per_output_token() const { return tokens_out > 0 ? energy_j / tokens_out : 0.0; }
};

class Fleet {
 public:
  // accelerators: the platform's catalogue entries (by name). Throws InputError when a
  // deployment cannot run anywhere (unknown accelerator, weights that do not fit).
  Fleet(const ServingSpec& spec, const std::map<std::string, AcceleratorSpec>& accelerators,
        const Calendar& calendar, Seconds span_s, std::uint64_t seed);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  Seconds step_s() const { return spec_.step_s; }
  bool request_level() const { return request_level_; }
  std::size_t deployment_count() const { return spec_.deployments.size(); }
  const DeploymentSpec& deployment(std::size_t d) const { return spec_.deployments[d]; }
  int initial_replicas(std::size_t d) const { return spec_.deployments[d].replicas; }
  // Whether a replica of d can run on that accelerator type (the deployment's accelerator if
  // it names one; the weights fit), and the accelerator the engine should prefer.
  bool can_run_on(std::size_t d, const std::string& accelerator) const;
  Seconds load_time_s(std::size_t d) const;

  // Placement by the engine. A replica loads its model from t for load_time_s (unless loaded).
  ReplicaId add_replica(std::size_t d, const std::string& accelerator, Seconds t, bool loaded = false);
  // The engine takes a replica away at t (its requests are served elsewhere).
  void remove_replica(ReplicaId id, Seconds t);

  StepResult advance(Seconds t0, Seconds t1, const StepEnv& env);

  const std::vector<DeploymentTotals>& totals() const { return totals_; }

 private:
  struct Deployment;
  struct ReplicaRef {
    std::size_t deployment = 0;
    std::size_t index = 0;
  };
  void advance_request(Deployment& dep, Seconds t0, Seconds t1, const StepEnv& env, StepResult& out);
  void advance_aggregated(Deployment& dep, Seconds t0, Seconds t1, const StepEnv& env, StepResult& out);
  void decide(Deployment& dep, Seconds t0, Seconds t1, DeploymentStep& ds);
  void patch_states(Deployment& dep, StepResult& out, std::size_t first);

  ServingSpec spec_;
  std::map<std::string, AcceleratorSpec> accelerators_;
  Calendar calendar_;
  Seconds span_s_ = 0;
  std::uint64_t seed_ = 0;
  bool request_level_ = true;
  std::vector<std::unique_ptr<Deployment>> deps_;
  std::unordered_map<ReplicaId, ReplicaRef> where_;
  ReplicaId next_id_ = 1;
  std::vector<DeploymentTotals> totals_;
};

}  // namespace dcsim::serving
