#pragma once
// The run's state: jobs and nodes with their state machines, and the timer queue. Plain data
// shared by the parts of the engine (engine/core.hpp); no SimGrid.
//
// Job states: future → (waiting_deps →) queued → running → done, with running → queued on a
// preemption; a resize keeps a job running on a new allocation. Node states (model/cluster_view):
// on ⇄ shutting_down → off → booting → on.
#include <cstdint>
#include <limits>
#include <queue>
#include <string>
#include <vector>

#include "core/units.hpp"
#include "model/cluster_view.hpp"
#include "model/job.hpp"
#include "model/platform.hpp"
#include "physics/accelerator_power.hpp"
#include "physics/energy.hpp"
#include "physics/power_budget.hpp"

namespace dcsim::engine {

inline constexpr double kEps = 1e-9;
inline constexpr double kInf = std::numeric_limits<double>::infinity();

enum class JobState : std::uint8_t { future, waiting_deps, queued, running, done };

struct SimTimer {
  enum Kind : std::uint8_t { policy_wake, tick, boot_done, shutdown_done, battery_bound, trace, transition_end, serving_step, thermal, fleet };
  Seconds t;
  std::uint64_t seq;  // insertion order breaks ties (determinism)
  Kind kind;
  std::uint32_t target;
  std::uint64_t generation;
  bool operator>(const SimTimer& o) const { return t != o.t ? t > o.t : seq > o.seq; }
};
using TimerQueue = std::priority_queue<SimTimer, std::vector<SimTimer>, std::greater<>>;

// A node's share of a group budget (rack or site): what it draws besides its busy accelerators,
// and the demands of its busy accelerators (physics/power_budget.hpp).
struct BudgetShare {
  Watts reserve_w = 0;
  std::vector<std::pair<Watts, double>> demands;  // (demand W, accelerators)
};

struct NodeRt {
  std::size_t type = 0;  // index into the node types
  std::uint32_t group = 0;  // index into the platform's node groups (its fleet window)
  bool present = true;      // within its window [install, retire): draws power, schedulable
  const NodeSpec* spec = nullptr;
  const AcceleratorSpec* acc = nullptr;
  const AcceleratorPower* power = nullptr;
  int gov_pstate = 0;           // requested by the governor
  int eff_pstate = 0;           // applied: governor, power limit and caps
  int limit_pstate = 0;         // under the device limit and node cap alone (before group caps)
  Watts type_limit_w = 0;       // the node type's default power limit per accelerator
  Watts device_limit_w = 0;     // enforced per-accelerator limit (a policy's, or the default)
  Watts node_cap_w = 0;         // 0 = none (whole node)
  std::vector<std::uint32_t> jobs;  // running jobs here
  Watts accel_w = 0, host_w = 0;
  EnergyAccumulator energy;
  std::uint64_t boot_gen = 0;
  double host_load = 0;
  double busy_freq = 0;
  int busy_gpus = 0;
  // P-state transition in progress: its energy drawn evenly over its latency.
  Watts transition_w = 0;
  Seconds transition_until = 0;
  std::uint64_t transition_gen = 0;
  BudgetShare share;            // contribution to the capped groups it belongs to
  // Serving replicas here (engine/serving.cpp): their GPUs, the power those GPUs draw over the
  // current serving step (the fleet's mean per GPU), and their share of the host load.
  int serving_gpus = 0;
  Watts serving_accel_w = 0;
  double serving_host_load = 0;
};

struct JobRt {
  Job job;
  JobState state = JobState::future;
  Allocation alloc;
  int gpus = 0;
  Seconds start_s = -1, end_s = -1, first_start_s = -1;
  Seconds t0_s = 0;              // runtime at f_max on its GPUs
  double remaining = 1.0;        // fraction of work left (preemption, resize)
  Seconds restart_cost_s = 0;
  Seconds restart_in_run_s = 0;  // restart cost paid in the current run (resize progress)
  Seconds delay_in_run_s = 0;    // p-state transition latency added in the current run
  Seconds last_delay_at = -1;    // one transition delay per instant (nodes switch together)
  bool working = false;          // its work item is with the executor
  // The p-state its signature fits under a per-device limit, cached (the limit rarely changes).
  const AcceleratorPower* limit_cache_power = nullptr;
  Watts limit_cache_w = -1;
  int limit_cache_p = 0;
  int deps_left = 0;
  std::vector<std::uint32_t> dependents;
  Watts power_w = 0;
  EnergyAccumulator energy;
  double emis_g = 0;
  double emis_mark = 0;          // cumulative emissions factor at the last update
  double emis_marg_g = 0, emis_marg_mark = 0;
  double freq_int = 0;           // ∫ f dt while running
  Seconds freq_last = 0;
  double freq_now = 0;
  Seconds run_time = 0;
  Seconds full_speed_s = 0;      // what the run would take at f_max with no caps, delays or queue
  JobOutcome outcome = JobOutcome::unfinished;
  std::string reason;
  std::uint64_t run_gen = 0;
  std::size_t running_index = 0;
};

// A capped group of nodes (a rack or the site): its budget for the nodes' IT power and the
// water-filling level its busy accelerators share (physics/power_budget.hpp).
struct CapGroup {
  Watts cap_w = 0;              // 0 = not capped
  CapBasis basis = CapBasis::it;
  Watts it_budget_w = 0;        // cap on the nodes' IT power (= cap_w, or from a facility cap)
  Watts reserve_w = 0;          // Σ node reserves
  DemandBins demands;
  Watts level_w = kInf;         // λ: per-accelerator power limit from the group
  bool warned = false;          // "cap cannot be met" reported
  bool active() const { return cap_w > 0; }
};

}  // namespace dcsim::engine
