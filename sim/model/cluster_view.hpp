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
};

}  // namespace dcsim
