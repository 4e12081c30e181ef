#pragma once
// The engine's logic (no SimGrid): one run's state and what happens to it at each step. It is
// the client of an executor (engine/executor.hpp), which tells it the time and which work items
// completed; it answers with the next time it needs. Its parts, each in its own file:
//   core.cpp        the step: completions, arrivals, timers, policy rounds, the span's end
//                   and the drain; job state changes (submit, start, stop, finish)
//   decisions.cpp   applying the policies' decisions, and the rule for invalid ones
//   node_power.cpp  p-states under power limits and caps, transitions, node power (physics)
//   run_report.cpp  job records, run-end invariants, the summary
//   serving.cpp     LLM serving replicas on the nodes' GPUs (sim/serving's Fleet, stepped)
// Site power, supply and carbon are SiteAccount's (engine/site_account.hpp).
//
// The rule for invalid decisions (docs/ARCHITECTURE.md): a decision that names something that
// does not exist (an unknown job, node or rack) or breaks an invariant of the run (starting a
// job that is not queued, an allocation on unavailable GPUs, a GPU count other than asked, a
// resize out of the job's range or of a job that is not elastic, a negative cost) is a bug of
// the policy and ends the run with InvariantError naming the policy and the decision. A
// decision that has become moot in the same round (preempting, rejecting or resizing a job that
// is no longer running or queued, powering off a busy node or one that is not on, powering on a
// node that is on) is skipped. A power limit outside the accelerator's allowed range is brought
// into the range and reported once in the run's warnings; a governor's p-state outside the table
// is clamped to it.
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/scenario.hpp"
#include "core/calendar.hpp"
#include "engine/engine.hpp"
#include "engine/executor.hpp"
#include "engine/run_state.hpp"
#include "engine/site_account.hpp"
#include "inputs/site_inputs.hpp"
#include "model/cluster_view.hpp"
#include "output/recorder.hpp"
#include "physics/thermal.hpp"
#include "policy/policy.hpp"
#include "serving/fleet.hpp"
#include "topology/site_graph.hpp"

namespace dcsim::engine {

// The site series the thermal model adds (site.thermal.enabled), after the site's own.
std::vector<SeriesSpec> thermal_series_specs();

class RunCore final : public ExecutorClient {
 public:
  RunCore(const Scenario& sc, std::vector<Job>& jobs, Policy& policy, Recorder& rec,
          const RunOptions& opt, const SiteTopology& topo, SiteInputs& inputs, Executor& exec);

  // Per-rack / per-node series (output.per_rack / output.per_node), after the recorder's begin().
  void begin_entities();
  Seconds step(Seconds now, std::span<const WorkHandle> done) override;

  const RunSummary& summary() const { return summary_; }
  bool interrupted() const { return interrupted_; }
  Seconds end_s() const { return end_s_; }
  // The time of the current policy round (forecasts are issued then).
  const Seconds* decision_time() const { return &decide_now_; }
  void set_forecasts(Forecasts f) { forecasts_ = std::move(f); }
  const Calendar& calendar() const { return cal_; }
  SiteAccount& site() { return *site_; }

 private:
  // ---- core.cpp
  void build_nodes();
  void setup();
  void push_timer(Seconds t, SimTimer::Kind k, std::uint32_t target, std::uint64_t gen);
  void schedule_trace_step(Seconds now);
  void read_inputs(Seconds now);
  void handle_timer(const SimTimer& tm, Seconds now);
  void submit_job(std::uint32_t j);
  void enqueue(std::uint32_t j);
  void decide(Seconds now);
  std::uint32_t job_index(JobId id) const;
  void begin_run(std::uint32_t j, const Allocation& alloc, int total, Seconds now, Seconds view_start_s,
                 Seconds expected_end_s);
  void start_work(std::uint32_t j);
  void finish_job(std::uint32_t j, Seconds now);
  void stop_running(std::uint32_t j, Seconds now);
  void settle_job(JobRt& r, Seconds now);
  double slowdown_now(const JobRt& r) const;
  double progress_done(const JobRt& r, Seconds now) const;
  void set_node_state(std::size_t n, NodeState s, Seconds now);
  void node_changing(std::size_t n);
  void node_changed(std::size_t n);
  void recompute_site(Seconds now);
  void record_event(Seconds t, EventKind kind, std::int64_t target, double value);
  // Fleet plan (site.fleet): installs and retirements at their dates, and the embodied rate.
  void fleet_setup();
  void fleet_event(const SimTimer& tm, Seconds now);
  void install_node(std::size_t n, Seconds now);
  void retire_node(std::size_t n, Seconds now);
  double embodied_rate_at(Seconds t) const;  // kgCO2e/s booked at t (physics/carbon.hpp)
  void warn(const std::string& message);
  Seconds run_end() const;

  // ---- decisions.cpp
  void apply(const StartJob& d, Seconds now);
  void apply(const ResizeJob& d, Seconds now);
  void apply(const PreemptJob& d, Seconds now);
  void apply(const RejectJob& d, Seconds now);
  void apply(const SetPState& d, Seconds now);
  void apply(const SetPowerCap& d, Seconds now);
  void apply(const PowerOff& d, Seconds now);
  void apply(const PowerOn& d, Seconds now);
  void apply(const WakeAt& d, Seconds now);
  void apply(const SetBatteryMode& d, Seconds now);

  // ---- node_power.cpp
  void refresh_node(std::size_t n, Seconds now);
  void apply_pstate(std::size_t n, Seconds now);
  void update_node_power(std::size_t n, Seconds now);
  void update_job_power(std::uint32_t j, Seconds now);
  void begin_transition(std::size_t n, Seconds now);
  int gpus_of_job_on(const JobRt& r, std::size_t n) const;
  BudgetShare budget_share(std::size_t n) const;
  void update_group_shares(std::size_t n, Seconds now);
  bool recompute_level(CapGroup& g, const char* what, std::int64_t id);
  void rebuild_group(CapGroup& g, std::span<const std::uint32_t> members, const char* what, std::int64_t id, Seconds now);
  void reapply_group(const CapGroup& g, bool site, RackId rack, Seconds now);
  Watts group_level_for(std::size_t n) const;
  void update_site_budget(Seconds now);

  // ---- serving.cpp (LLM serving: sim/serving, driven as its README's "Integration" says)
  void serving_setup();
  void serving_step(Seconds now);
  bool place_replica(std::size_t d, Seconds t, bool loaded);
  bool preempt_for_replica(std::size_t d, Seconds now);
  void release_replica_gpus(serving::ReplicaId id, Seconds now);
  void serving_node_power(std::size_t n, Seconds now);
  void serving_settle_emissions();
  void serving_emit(Seconds t);
  void serving_requests_out(const serving::StepResult& res);
  Watts serving_device_limit(std::size_t n) const;
  struct ServingRep;
  Watts serving_demand_w(const ServingRep& r) const;
  std::vector<Watts> serving_group_levels(Watts& site_level) const;
  void serving_entities();
  void serving_summary();

  // ---- thermal.cpp (device temperature and thermal slowdown: physics/thermal.hpp)
  bool thermal_on() const;
  void thermal_setup();
  void thermal_advance(std::size_t n, Seconds t);
  void thermal_coolant_advance(Seconds t);
  void thermal_node_power(std::size_t n, Seconds now);
  int thermal_limit_pstate(std::size_t n, int p);
  void thermal_set_coolant(Celsius c, Seconds now);
  Celsius thermal_coolant_now(Seconds now) const;
  void thermal_inputs_changed(Seconds now);
  void thermal_timer(const SimTimer& tm, Seconds now);
  void thermal_row(Seconds t, Seconds end, std::vector<double>& row);
  void thermal_summary();

  // ---- run_report.cpp
  void write_job(JobRt& r);
  void finalize(Seconds t);
  void check_invariants();
  void build_summary();

  // ---- inputs and wiring
  const Scenario& sc_;
  Policy& policy_;
  Recorder& rec_;
  const RunOptions& opt_;
  const SiteTopology& topo_;
  SiteInputs& inputs_;
  Executor& exec_;
  Calendar cal_;
  Seconds end_s_ = 0;    // end of the span (submissions stop; the drain may follow)
  Seconds drain_s_ = 0;  // extra time for running jobs to finish
  bool draining_ = false;
  Forecasts forecasts_;
  std::function<double(Seconds)> hour_fn_;
  std::unique_ptr<SiteAccount> site_;
  std::unique_ptr<EntityAverager> rack_avg_, node_avg_;
  std::vector<double> rack_power_, entity_row_;

  // ---- serving state (engine/serving.cpp)
  struct ServingRep {
    std::uint32_t node = 0;
    int gpus = 0;
    std::uint32_t deployment = 0;
    Watts per_gpu_w = 0;
    double host_load = 0;
    bool released = false;  // its GPUs are freed at the next serving step (the end of this one)
    // Its demand per GPU in the rack/site water-filling: the power it would draw under its
    // device limit alone (serving_group_levels). -1: not known yet (a new replica).
    Watts demand_w = -1;
  };
  struct ServingSample {  // one deployment over one output sample
    double dt = 0, requests = 0, tokens = 0, batch_dt = 0, queue_dt = 0, energy_j = 0;
    double ttft50_w = 0, ttft99_w = 0, tpot50_w = 0, tpot99_w = 0, lat_w = 0;
    double slo_w = 0, slo_n = 0, ready_dt = 0, loading_dt = 0;
  };
  std::unique_ptr<serving::Fleet> fleet_;
  std::map<serving::ReplicaId, ServingRep> serving_reps_;
  std::vector<int> serving_requested_;            // per deployment: replicas asked for at the last step
  std::vector<Watts> serving_dep_w_;              // per deployment: its power over the current step
  std::vector<double> serving_emis_g_;            // per deployment: emissions (facility overhead included)
  double serving_emis_mark_ = 0;
  std::uint64_t serving_step_index_ = 0;
  std::uint64_t serving_denied_ = 0;              // replica requests that found no free GPUs
  std::uint64_t serving_preemptions_ = 0;         // training jobs preempted to make room for serving
  std::map<std::int64_t, std::vector<ServingSample>> serving_samples_;  // by sample index

  // ---- thermal state (engine/thermal.cpp)
  struct NodeThermal {
    std::vector<Celsius> temp_c;  // per device, at `last`
    std::vector<Watts> power_w;   // per device, since `last`
    Seconds last = 0;
    bool started = false;
    int pstate = 0;               // the p-state the thermal limit allows its jobs
    bool limiting = false;        // that p-state is slower than the other per-device limits'
    bool throttled = false;
    int throttled_gpus = 0;
  };
  struct ThermalBin {
    double sum_ks = 0, throttled_s = 0, coolant_ks = 0;
    Celsius max_c = -std::numeric_limits<double>::infinity();
  };
  std::vector<DeviceThermal> thermal_types_;  // per node type
  std::vector<NodeThermal> thermal_;          // per node (empty: thermal model off)
  std::map<std::int64_t, ThermalBin> thermal_bins_;  // by sample index
  std::vector<double> thermal_row_buf_;
  Celsius coolant_c_ = 0, failure_start_c_ = 0;
  Seconds coolant_last_t_ = 0, chiller_failed_s_ = 0, thermal_throttled_gpu_s_ = 0;
  int failure_index_ = -1;
  std::int64_t thermal_devices_ = 0;
  std::uint64_t thermal_throttle_events_ = 0;
  double thermal_sum_ks_ = 0;
  Celsius thermal_max_c_ = -std::numeric_limits<double>::infinity();

  // ---- state
  std::vector<const NodeSpec*> node_types_;
  std::vector<std::unique_ptr<AcceleratorPower>> accel_power_;
  std::vector<NodeRt> nodes_;
  std::vector<NodeView> views_;
  std::vector<JobRt> jobs_;
  std::unordered_map<JobId, std::uint32_t> index_of_;
  std::vector<const JobRequest*> queue_;
  std::vector<RunningJobView> running_;
  std::vector<Event> events_, events_next_;
  std::vector<Decision> decisions_;
  ClusterView view_;
  TimerQueue timers_;
  std::uint64_t timer_seq_ = 0, trace_gen_ = 0, battery_gen_ = 0;
  std::size_t next_arrival_ = 0;
  std::uint64_t steps_ = 0;
  int gpus_total_ = 0, gpus_free_ = 0, gpus_on_ = 0, gpus_per_node_ = 0;
  NodeSummary node_summary_;
  bool periodic_rounds_ = true;  // the policy stack needs tick and trace-step rounds
  // kept by node_changing()/node_changed(): idle nodes (position per node, -1 if not idle) and
  // the nodes changed since the last round (ClusterView::idle_nodes, changed_nodes)
  std::vector<std::uint32_t> idle_nodes_, dirty_nodes_;
  std::vector<std::int32_t> idle_pos_;
  std::vector<char> dirty_flag_;
  std::uint64_t round_ = 0;
  Watts design_it_w_ = 0;
  std::vector<std::uint32_t> group_first_;  // first node of each platform node group
  double embodied_rate_kg_per_s_ = 0;
  long long gpus_installed_peak_ = 0;
  std::uint64_t nodes_installed_ = 0, nodes_retired_ = 0, retire_preemptions_ = 0;
  CapGroup site_group_;
  std::vector<CapGroup> rack_groups_;
  int nodes_on_ = 0;
  double busy_freq_sum_ = 0, busy_gpus_ = 0;
  Watts accel_total_ = 0, host_total_ = 0;
  Seconds decide_now_ = 0, final_t_ = 0;
  BatteryMode battery_mode_ = BatteryMode::automatic;
  Joules pstate_transition_j_ = 0, job_energy_total_ = 0;
  std::uint64_t submitted_ = 0, completed_ = 0, unfinished_ = 0, rejected_ = 0, killed_ = 0,
                not_submitted_ = 0, preemptions_ = 0, pstate_changes_ = 0, resizes_ = 0;
  double delay_sum_ = 0;
  double completed_work_flops_ = 0, completed_gpu_s_ = 0;  // completed jobs
  std::uint64_t delay_n_ = 0;
  std::vector<double> turnaround_s_, slowdown_;  // completed jobs
  std::vector<std::string> warnings_;
  RunSummary summary_;
  bool redecide_ = false;
  bool in_resize_ = false;
  bool interrupted_ = false;
  bool finished_ = false;
};

}  // namespace dcsim::engine
