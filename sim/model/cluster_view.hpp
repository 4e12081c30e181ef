#pragma once
// The read-only view a policy decides from. The engine owns the storage; the view holds spans
// and a few scalars, rebuilt cheaply before each decide() call. Policies never see JobProfile
// (how jobs really run), only JobRequest (what users asked for).
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "core/units.hpp"
#include "model/event.hpp"
#include "model/job.hpp"

namespace dcsim {

enum class NodeState : std::uint8_t { off, booting, on, shutting_down };

inline const char* to_string(NodeState s) {
  switch (s) {
    case NodeState::off: return "off";
    case NodeState::booting: return "booting";
    case NodeState::on: return "on";
    case NodeState::shutting_down: return "shutting_down";
  }
  return "?";
}

struct NodeView {
  NodeId id = 0;
  RackId rack = 0;
  std::uint32_t cooling_domain = 0;
  NodeState state = NodeState::on;
  int gpus_total = 8;
  int gpus_free = 8;
  int pstate = 0;
  int pstate_count = 1;       // p-states of this node's accelerators (0 = fastest .. count-1)
  Seconds state_since_s = 0;  // when the state last changed (idle-since when gpus_free == total)
  Seconds idle_since_s = 0;   // when the node last became fully idle
};

struct RunningJobView {
  const JobRequest* request = nullptr;
  Allocation allocation;
  Seconds start_s = 0;
  Seconds expected_end_s = 0;  // start + walltime estimate (what a scheduler can know)
};

// Forecasts of time-series inputs, as a policy may see them (with the scenario's error model).
struct Forecasts {
  // Forecast mean carbon intensity over [t0, t1), gCO2e/kWh. Empty function = no data.
  std::function<double(Seconds, Seconds)> carbon_gco2_per_kwh;
  std::function<double(Seconds, Seconds)> price_usd_per_kwh;
  std::function<double(Seconds, Seconds)> onsite_generation_w;
};

// Aggregates over ClusterView::nodes that policies need every round. The engine keeps them up
// to date incrementally (O(1) per change), so a round need not walk every node; a hand-built view
// leaves `valid` false and policies fall back to summarise(nodes), which is O(N). Either way a
// policy reads them through summary_of(view).
struct NodeSummary {
  bool valid = false;
  int nodes_on = 0, nodes_off = 0, nodes_booting = 0, nodes_shutting_down = 0;
  int nodes_idle_on = 0;       // nodes that are on with gpus_total > 0 GPUs all free
  long long gpus_total = 0;    // over every node
  long long gpus_free_on = 0;  // free GPUs (clamped at 0) over nodes that are on
  long long gpus_booting = 0;  // GPUs of nodes that are booting
  // Changes whenever a node's id, rack, cooling domain or GPU count changes (in the engine: at
  // a fleet plan's installs and retirements, site.fleet; a node outside its window has 0 GPUs).
  // 0 = unknown.
  std::uint64_t topology_version = 0;
  bool operator==(const NodeSummary&) const = default;
};

inline bool node_idle_on(const NodeView& n) {
  return n.state == NodeState::on && n.gpus_total > 0 && n.gpus_free == n.gpus_total;
}

// Adds (sign +1) or removes (sign -1) one node's contribution to a summary; to change a node,
// remove it, change it, add it back.
inline void add_to_summary(NodeSummary& s, const NodeView& n, int sign) {
  switch (n.state) {
    case NodeState::on:
      s.nodes_on += sign;
      s.gpus_free_on += sign * (n.gpus_free > 0 ? n.gpus_free : 0);
      s.nodes_idle_on += node_idle_on(n) ? sign : 0;
      break;
    case NodeState::off: s.nodes_off += sign; break;
    case NodeState::booting:
      s.nodes_booting += sign;
      s.gpus_booting += sign * n.gpus_total;
      break;
    case NodeState::shutting_down: s.nodes_shutting_down += sign; break;
  }
}

inline NodeSummary summarise(std::span<const NodeView> nodes) {
  NodeSummary s;
  s.valid = true;
  for (const NodeView& n : nodes) {
    s.gpus_total += n.gpus_total;
    add_to_summary(s, n, +1);
  }
  return s;
}

struct ClusterView {
  Seconds now_s = 0;
  Seconds end_s = 0;                          // end of the simulated span
  std::span<const NodeView> nodes;
  std::span<const JobRequest* const> queue;   // waiting jobs, in submission order
  std::span<const RunningJobView> running;
  int gpus_per_node = 8;
  int gpus_free = 0;                          // over nodes that are on
  Watts it_power_w = 0;
  Watts facility_power_w = 0;
  Watts onsite_generation_w = 0;              // PV + wind now
  double battery_soc = 0;                     // 0..1, 0 if no battery
  double carbon_now_gco2_per_kwh = 0;
  Forecasts forecast;
  // Calendar helpers (hour of day in UTC, day of week 0 = Monday).
  std::function<double(Seconds)> hour_of_day;
  NodeSummary summary;  // see NodeSummary; read it through summary_of()
  // Kept by the engine alongside the summary (empty, and not to be used, when !summary.valid):
  // indices into `nodes` of the nodes that are idle (node_idle_on; in no particular order; a
  // derived view may hold nodes that are no longer idle, so check node_idle_on), the nodes whose
  // state or free GPUs changed since the previous round, and the round's number (1, 2, ...; a
  // policy that skipped no round has seen every change).
  std::span<const std::uint32_t> idle_nodes;
  std::span<const std::uint32_t> changed_nodes;
  std::uint64_t round = 0;
};

inline NodeSummary summary_of(const ClusterView& v) {
  return v.summary.valid ? v.summary : summarise(v.nodes);
}

}  // namespace dcsim
