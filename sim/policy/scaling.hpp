#pragma once
// Dynamic scaling policies: power-down-idle, the DVFS governors (performance, powersave,
// ondemand, conservative), workload-aware DVFS, and power-cap with demand-response windows.
//
// power-down-idle. Demand D (GPUs) = Σ over queued jobs of n_j·G for jobs of g_j >= G GPUs
// (n_j = ceil(g_j / G) whole nodes) and g_j for smaller ones. Supply S = free GPUs of nodes
// that are on + all GPUs of booting nodes. Deficit = D + spare_nodes·G − S.
//   deficit > 0: PowerOn ceil(deficit / G) nodes that are off (lowest index first);
//   deficit <= 0: PowerOff up to floor(−deficit / G) nodes that are on, fully idle
//   (gpus_free == gpus_total) and idle for at least `after` (now − idle_since_s >= after),
//   longest idle first.
// A WakeAt is emitted for the earliest moment a fully idle node will reach the timeout, so the
// policy runs then even if no other event happens. Boot and shutdown times and energies are the
// engine's (NodeSpec::boot_s, boot_power_w, shutdown_s, shutdown_power_w). Nodes shutting down
// count as neither supply nor candidates. Cost: O(N + Q) per call (the demand sum stops once it
// exceeds the site's GPUs).
// Parameters: after (s, default 1800, ≥ 0), spare_nodes (default 0, ≥ 0).
// Source: the "power off idle nodes after a timeout, boot on demand" rule of Slurm's power
// saving (SuspendTime, ResumeTimeout; slurm.conf(5)) and of the energy-aware batch simulators
// Batsim/pybatsim ("energy_watcher" and "shutdown idle" schedulers).
//
// DVFS governors, after SimGrid's DVFS plugin (src/plugins/host_dvfs.cpp, 3.32) and the Linux
// cpufreq governors (Documentation/cpu-freq/governors.txt). Load u = busy GPUs / GPUs of the
// node (instantaneous, at each decide call or every `period`; SimGrid uses the mean load since
// the previous sample). p-states run from min_pstate (fastest allowed) to max_pstate (slowest
// allowed, −1 = the node's slowest):
//   performance : p = min_pstate;
//   powersave   : p = max_pstate;
//   ondemand    : p = min_pstate if u > up_threshold (0.8), else
//                 p = max(min_pstate, max_pstate − floor(u·(max_pstate + 1)))
//                 (SimGrid 3.32 casts u to an integer before the product, which makes every
//                 load below the threshold select the slowest state; we keep the intended
//                 proportional formula of its comment and of the kernel's od_update());
//   conservative: one step faster if u > up_threshold (0.8), one step slower if u <
//                 down_threshold (0.2), else unchanged.
// Only nodes that are on are governed; a SetPState is emitted only when the state changes.
//
// workload-aware. A node whose running jobs all have a profile in `memory_bound_profiles` (a
// comma-separated list of catalogue profile names; default "language_translation", the seed
// table's memory-bound workload) runs at `memory_bound_pstate` (−1 = slowest); a node running
// any other job runs at `compute_pstate` (default 0); idle nodes are left alone. Policies see
// only JobRequest::profile, not the profile's memory share, hence the name list. Rationale: the
// step time t(f) = t_compute·f_max/f + t_memory + t_io barely grows for memory-bound jobs while
// power falls with f (Wang et al., "GPGPU performance and power estimation using machine
// learning", HPCA 2015; Tang et al., "The impact of GPU DVFS on the energy and performance of
// deep learning", e-Energy 2019).
//
// power-cap. SetPowerCap at `scope` (site | rack | node | device) of `cap_w` W (per device for
// scope device, per node, per rack, or for the whole site); during demand-response windows
// (`dr_hours`, hours of day in UTC, e.g. "17-21" or "6-9,17-21"; a window may wrap midnight,
// "22-2") the cap is `dr_cap_w`. The cap is (re)sent only when it changes; a WakeAt at the next
// window boundary re-runs the policy there. How a cap slows the devices is the engine's and
// physics' business (the power-capping model). Source: demand response programmes for data
// centres (Wierman et al., "Opportunities and challenges for data center demand response",
// IGCC 2014); device caps as nvidia-smi -pl.
#include <string>
#include <utility>
#include <vector>

#include "policy/policy.hpp"

namespace dcsim {

struct PowerDownOptions {
  Seconds after_s = 1800;
  int spare_nodes = 0;
};

class PowerDownIdle final : public Policy {
 public:
  explicit PowerDownIdle(PowerDownOptions opt) : opt_(opt) {}
  std::string_view name() const override { return "power-down-idle"; }
  // Reacts to queue and node events; the expiry of idle timers comes back as its own WakeAt.
  bool needs_periodic_rounds() const override { return false; }
  using Policy::decide;
  void decide(const ClusterView& view, std::span<const Event> events,
              std::vector<Decision>& out) override;

 private:
  PowerDownOptions opt_;
  std::vector<std::uint32_t> candidates_;
  Seconds last_wake_ = -1;
};

enum class GovernorKind { performance, powersave, ondemand, conservative };

struct GovernorOptions {
  GovernorKind kind = GovernorKind::performance;
  double up_threshold = 0.8;
  double down_threshold = 0.2;
  int min_pstate = 0;
  int max_pstate = -1;   // −1 = the node's slowest
  Seconds period_s = 0;  // 0 = at every decide call
};

class DvfsGovernor final : public Policy {
 public:
  explicit DvfsGovernor(GovernorOptions opt) : opt_(opt) {}
  std::string_view name() const override;
  using Policy::decide;
  void decide(const ClusterView& view, std::span<const Event> events,
              std::vector<Decision>& out) override;
  // The p-state the governor picks for a node at load u in [0, 1] (exposed for tests).
  int target(int current, int pstate_count, double u) const;

 private:
  GovernorOptions opt_;
  Seconds next_update_ = -1;
};

struct WorkloadAwareOptions {
  std::vector<std::string> memory_bound_profiles{"language_translation"};
  int memory_bound_pstate = -1;  // −1 = slowest
  int compute_pstate = 0;
};

class WorkloadAwareGovernor final : public Policy {
 public:
  explicit WorkloadAwareGovernor(WorkloadAwareOptions opt) : opt_(std::move(opt)) {}
  std::string_view name() const override { return "workload-aware"; }
  using Policy::decide;
  void decide(const ClusterView& view, std::span<const Event> events,
              std::vector<Decision>& out) override;

 private:
  bool memory_bound(const std::string& profile) const;
  WorkloadAwareOptions opt_;
  std::vector<std::int32_t> index_of_;
  std::vector<std::uint8_t> node_flags_;  // bit 0: runs a job, bit 1: runs a compute-bound job
};

struct HourWindow {
  double start_h = 0;  // [start, end) in hours of day; start > end wraps midnight
  double end_h = 0;
};

// Parses "17-21", "6-9,17-21", "22-2", "17.5-21"; nullopt on malformed text or hours outside
// [0, 24]. Empty text → empty list.
std::optional<std::vector<HourWindow>> parse_hour_windows(std::string_view text);
bool in_windows(const std::vector<HourWindow>& w, double hour);

struct PowerCapOptions {
  CapScope scope = CapScope::site;
  CapBasis basis = CapBasis::facility;  // site scope only: facility or IT power
  Watts cap_w = 0;     // <= 0: no cap outside windows
  double cap_tdp_fraction = 0;  // device scope: > 0 caps each accelerator at this share of its TDP
  Watts dr_cap_w = 0;  // cap during demand-response windows
  std::vector<HourWindow> dr_windows;
};

class PowerCap final : public Policy {
 public:
  explicit PowerCap(PowerCapOptions opt) : opt_(std::move(opt)) {}
  std::string_view name() const override { return "power-cap"; }
  using Policy::decide;
  void decide(const ClusterView& view, std::span<const Event> events,
              std::vector<Decision>& out) override;

 private:
  PowerCapOptions opt_;
  bool sent_ = false;
  Watts last_cap_w_ = 0;
  double last_frac_ = 0;
  Seconds last_wake_ = -1;
  std::vector<RackId> racks_;
};

}  // namespace dcsim
