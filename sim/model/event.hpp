#pragma once
// The closed sets of events (engine → policy) and decisions (policy → engine). Handled with
// std::visit, so adding a kind breaks the build wherever it is not handled.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/units.hpp"

namespace dcsim {

// ---- events ---------------------------------------------------------------------------------
struct JobSubmitted { JobId job; };
struct JobStarted { JobId job; };
struct JobFinished { JobId job; };
struct JobPreempted { JobId job; };
struct JobResized { JobId job; };   // a running elastic job continues on a new GPU set
struct NodeBooted { NodeId node; };
struct NodeShutDown { NodeId node; };
// A timer the policy asked for (WakeAt) or the periodic policy tick.
struct Timer { Seconds at; };
// A time-series input (carbon intensity, price, weather, generation) stepped to a new value.
struct TraceStep { };

using Event = std::variant<JobSubmitted, JobStarted, JobFinished, JobPreempted, NodeBooted,
                           NodeShutDown, Timer, TraceStep, JobResized>;

// ---- decisions ------------------------------------------------------------------------------
// GPUs of one node given to a job.
struct Slice {
  NodeId node;
  int gpus;
};
using Allocation = std::vector<Slice>;

struct StartJob {
  JobId job;
  Allocation allocation;
  int gpus = 0;  // for elastic jobs: the count chosen (0 = as requested)
};
struct PreemptJob { JobId job; };   // checkpoint and requeue
// Resize a running elastic job (JobRequest::elastic) to `allocation` (its whole new GPU set,
// min_gpus <= total <= max_gpus; slices may keep, add or drop GPUs of the nodes it holds). The
// engine keeps the job's progress, frees and takes GPUs at once, and the job continues after
// `cost_s` of re-sharding (checkpoint + restart on the new set) at the speed of its new count.
struct ResizeJob {
  JobId job;
  Allocation allocation;
  Seconds cost_s = 0;
};
struct RejectJob { JobId job; std::string reason; };
struct SetPState { NodeId node; int pstate; };  // 0 = fastest
enum class CapScope { device, node, rack, site };
// What a site cap limits: the facility's power (IT + cooling + losses + fixed loads, the
// default) or the IT power alone.
enum class CapBasis { facility, it };
// A power limit. device: the enforced limit of every accelerator of node `id` (of every node
// when `id` is empty), replacing the node type's default limit, brought into the device's
// allowed range; node: the node's total; rack: the rack's total (`id` = rack); site: the site's
// total (`id` ignored), on `basis`. Rack and site budgets go to busy accelerators by
// water-filling (physics/power_budget.hpp); idle nodes keep their idle power.
struct SetPowerCap {
  CapScope scope;
  std::optional<std::uint32_t> id;  // node or rack id; empty = all nodes (device), ignored for site
  Watts cap_w;                      // <= 0 removes the cap
  CapBasis basis = CapBasis::facility;  // site scope only
  // Device scope only: > 0 makes each accelerator's limit this share of its own TDP (cap_w is
  // then ignored), so one policy caps mixed accelerator types alike.
  double tdp_fraction = 0;
};
struct PowerOff { NodeId node; };
struct PowerOn { NodeId node; };
struct WakeAt { Seconds at; };      // call decide() again at this time
// Battery set-point: charge (from the surplus, then the grid, at full power), discharge (to the
// site's load), or automatic (self-consumption: charge from surplus, discharge into deficits).
enum class BatteryMode : std::int8_t { discharge = -1, automatic = 0, charge = 1 };
struct SetBatteryMode { BatteryMode mode; };

using Decision = std::variant<StartJob, PreemptJob, RejectJob, SetPState, SetPowerCap, PowerOff,
                              PowerOn, WakeAt, SetBatteryMode, ResizeJob>;

}  // namespace dcsim
