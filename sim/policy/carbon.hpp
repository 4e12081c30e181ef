#pragma once
// Carbon- and renewable-aware policies. They decide from view.forecast only (forecasts carry the
// scenario's error model; accounting uses actual values), and four of them are JobGates: they
// hold deferrable or suspended jobs in the queue, and the scheduler skips held jobs.
//
// Deferral window of a deferrable job j (JobRequest::deferrable), common to the gates:
//   estimate e_j = walltime_estimate_s, or `default_estimate` if the job has none;
//   deadline d_j = deadline_s, or submit_s + `window` + e_j if the job has none;
//   latest start L_j = d_j − e_j − `margin`.
// A gate always admits a job once now >= L_j, so it never makes a job miss its deadline by
// waiting (the scheduler and node boots may still delay it: set `margin` to cover boot time).
// Each gate asks for a WakeAt at its next planned release, so it runs exactly then.
//
// carbon-aware-shift (Wiesner et al., "Let's Wait Awhile: How Temporal Workload Shifting Can
// Reduce Carbon Emissions in the Cloud", Middleware 2021). When a deferrable job is first seen
// in the queue its start is planned: candidate starts t_k = now + k·step (k = 0, 1, … while
// t_k < L_j) and t = L_j; the plan is the earliest t minimising the forecast mean carbon
// intensity over the job's run, C(t, t + e_j). The job is held until its planned start. With
// `replan: true`, plans are recomputed on each TraceStep (forecasts may have been updated).
// Cost: O(window/step) forecast evaluations per deferrable job, once.
//
// carbon-threshold. A deferrable job is admitted when the forecast mean over [now, now +
// lookahead) is at most `threshold_gco2`, or when now >= L_j.
//
// follow-generation. Deferrable jobs are admitted, in queue order, while the forecast on-site
// generation over each job's run covers the IT power now plus the power of the jobs admitted in
// this round, plus the job's own power `watts_per_gpu`·g_j (or when now >= L_j).
//
// battery-arbitrage. c = forecast mean over [now, now + lookahead) (the current intensity if
// there is no forecast): SetBatteryMode +1 (charge) if c < charge_below_gco2, −1 (discharge) if
// c > discharge_above_gco2, 0 (auto / self-consumption) otherwise; sent only on change.
// Source: the threshold rule of carbon-aware storage dispatch, e.g. Acun et al., "Carbon
// Explorer", ASPLOS 2023.
//
// suspend-resume. When the forecast c over [now, now + lookahead) exceeds `high_gco2`, running
// jobs that are preemptible training jobs with at least `min_remaining` left (expected_end − now)
// and whose deadline (if any) still allows a suspension (now + remaining + checkpoint_cost <
// deadline) are preempted (PreemptJob: the engine checkpoints and requeues them, charging the
// profile's checkpoint cost). The gate then holds them until c <= `low_gco2` (hysteresis), or
// they have been suspended for `max_suspend`, or their deadline forces a restart
// (now >= deadline − remaining − checkpoint_cost − margin). Source: the interruptible case of
// Wiesner et al. 2021, and checkpoint-based suspension in Radovanović et al., "Carbon-aware
// computing for datacenters", IEEE Trans. Power Systems 2022.
//
// No forecast at all (empty function): the gates admit everything.
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "policy/policy.hpp"

namespace dcsim {

struct DeferralOptions {
  Seconds window_s = 86400;           // max delay of a deferrable job without a deadline
  Seconds default_estimate_s = 3600;  // run time assumed for jobs without an estimate
  Seconds margin_s = 0;               // release this much before the latest start
};

// Latest start L_j of a deferrable job (see above).
Seconds latest_start(const JobRequest& j, const DeferralOptions& d);
Seconds estimate_of(const JobRequest& j, const DeferralOptions& d);

// A policy that is its own gate; decide() emits the WakeAt of its next release.
class GatePolicy : public Policy, public JobGate {
 public:
  JobGate* job_gate() override { return this; }
  using Policy::decide;

 protected:
  void wake_at(std::vector<Decision>& out, Seconds at);
  Seconds last_wake_ = -1;
};

struct ShiftOptions {
  DeferralOptions deferral;
  Seconds step_s = 1800;
  bool replan = false;
};

class CarbonAwareShift final : public GatePolicy {
 public:
  explicit CarbonAwareShift(ShiftOptions opt) : opt_(opt) {}
  std::string_view name() const override { return "carbon-aware-shift"; }
  void plan(const ClusterView& view, std::span<const Event> events) override;
  bool admits(const JobRequest& job) const override;
  using Policy::decide;
  void decide(const ClusterView& view, std::span<const Event> events,
              std::vector<Decision>& out) override;
  // The planned start of a job, if it was planned.
  std::optional<Seconds> planned_start(JobId job) const;

 private:
  Seconds plan_job(const ClusterView& view, const JobRequest& j) const;
  ShiftOptions opt_;
  std::unordered_map<JobId, Seconds> plans_;
  Seconds now_ = 0;
  bool active_ = false;
};

struct ThresholdOptions {
  DeferralOptions deferral;
  double threshold_gco2 = 200;
  Seconds lookahead_s = 3600;
};

class CarbonThreshold final : public GatePolicy {
 public:
  explicit CarbonThreshold(ThresholdOptions opt) : opt_(opt) {}
  std::string_view name() const override { return "carbon-threshold"; }
  void plan(const ClusterView& view, std::span<const Event> events) override;
  bool admits(const JobRequest& job) const override;
  using Policy::decide;
  void decide(const ClusterView& view, std::span<const Event> events,
              std::vector<Decision>& out) override;

 private:
  ThresholdOptions opt_;
  Seconds now_ = 0;
  bool clean_ = true;
};

struct FollowOptions {
  DeferralOptions deferral;
  Watts watts_per_gpu = 1000;
};

class FollowGeneration final : public GatePolicy {
 public:
  explicit FollowGeneration(FollowOptions opt) : opt_(opt) {}
  std::string_view name() const override { return "follow-generation"; }
  void plan(const ClusterView& view, std::span<const Event> events) override;
  bool admits(const JobRequest& job) const override;
  using Policy::decide;
  void decide(const ClusterView& view, std::span<const Event> events,
              std::vector<Decision>& out) override;

 private:
  FollowOptions opt_;
  std::unordered_set<JobId> held_;
  Seconds now_ = 0;
};

struct BatteryArbitrageOptions {
  double charge_below_gco2 = 150;
  double discharge_above_gco2 = 350;
  Seconds lookahead_s = 3600;
};

class BatteryArbitrage final : public Policy {
 public:
  explicit BatteryArbitrage(BatteryArbitrageOptions opt) : opt_(opt) {}
  std::string_view name() const override { return "battery-arbitrage"; }
  using Policy::decide;
  void decide(const ClusterView& view, std::span<const Event> events,
              std::vector<Decision>& out) override;

 private:
  BatteryArbitrageOptions opt_;
  std::optional<BatteryMode> last_mode_;  // none sent yet
};

struct SuspendOptions {
  double high_gco2 = 350;
  double low_gco2 = 250;
  Seconds min_remaining_s = 6 * 3600.0;
  Seconds checkpoint_cost_s = 600;
  Seconds max_suspend_s = 86400;
  Seconds lookahead_s = 3600;
  Seconds margin_s = 0;
};

class SuspendResume final : public GatePolicy {
 public:
  explicit SuspendResume(SuspendOptions opt) : opt_(opt) {}
  std::string_view name() const override { return "suspend-resume"; }
  void plan(const ClusterView& view, std::span<const Event> events) override;
  bool admits(const JobRequest& job) const override;
  using Policy::decide;
  void decide(const ClusterView& view, std::span<const Event> events,
              std::vector<Decision>& out) override;
  std::size_t suspended() const { return suspended_.size(); }

 private:
  struct Suspension {
    Seconds at;
    Seconds remaining_s;
    std::optional<Seconds> deadline_s;
  };
  Seconds forced_release(const Suspension& s) const;
  SuspendOptions opt_;
  std::unordered_map<JobId, Suspension> suspended_;
  Seconds now_ = 0;
  double carbon_ = 0;
  bool has_forecast_ = false;
};

}  // namespace dcsim
