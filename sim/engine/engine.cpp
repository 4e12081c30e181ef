// The SimGrid engine of dcsim.
//
// Shape (chosen for speed, see ENVIRONMENT.md "How fast SimGrid 3.32 is here"):
//   - one controller actor owns all state; it sleeps on a semaphore with a timeout until the
//     next arrival, timer, trace step or job completion (no polling, no wait_any);
//   - running jobs execute on a pool of reused worker actors (one per running job, not per
//     GPU); a job on k nodes starts one execution per node (thread count = its GPUs there) and
//     waits them in turn, then sleeps its frequency-independent part;
//   - power is ours: every state change updates the node's power and integrates energy on
//     change (physics/energy.hpp); site quantities are recomputed once per batch of changes.
//
// DVFS timing: a job's time at frequency f is T0·(c·f_max/f + m + io) (ARCHITECTURE.md). The
// compute part c runs as a SimGrid execution whose host speed follows the node's p-state, so a
// p-state change mid-run slows it exactly; the memory and I/O parts m + io (and checkpoint
// overhead) are a sleep that no frequency change affects.
#include "engine/engine.hpp"

#include <simgrid/s4u.hpp>
#include <simgrid/version.h>
#include <simgrid/plugins/energy.h>

#include <csignal>
#include <cstdlib>
#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <sstream>

#include "core/calendar.hpp"
#include "core/error.hpp"
#include "engine/platform_builder.hpp"
#include "engine/site_inputs.hpp"
#include "physics/accelerator_power.hpp"
#include "physics/battery.hpp"
#include "physics/carbon.hpp"
#include "physics/dvfs.hpp"
#include "physics/energy.hpp"
#include "physics/facility.hpp"
#include "physics/node_power.hpp"
#include "output/schema.hpp"
#include "topology/site_graph.hpp"
#include "traces/forecast.hpp"
#include "traces/time_series.hpp"

namespace sg4 = simgrid::s4u;

namespace dcsim {

std::string simgrid_version() {
  return std::to_string(SIMGRID_VERSION_MAJOR) + "." + std::to_string(SIMGRID_VERSION_MINOR) +
         (SIMGRID_VERSION_PATCH ? "." + std::to_string(SIMGRID_VERSION_PATCH) : std::string());
}

namespace {

constexpr double kEps = 1e-9;
constexpr double kInf = std::numeric_limits<double>::infinity();

enum class JobState : std::uint8_t { future, waiting_deps, queued, running, done };

// Site channels integrated by the engine. The first ch_written are written as site series (the
// standard set of analysis/SCHEMA.md first, then dcsim's extra series); the rest are hidden
// accumulators from which ratios are derived per interval (mean frequency of busy GPUs).
enum Ch : std::size_t {
  ch_it, ch_cooling, ch_loss, ch_facility, ch_pue, ch_util, ch_running, ch_queued, ch_pv,
  ch_wind, ch_battery, ch_soc, ch_grid, ch_carbon, ch_emissions, ch_price, ch_temp, ch_freq,
  ch_nodes_on, ch_cap,
  // extra series
  ch_accel, ch_host, ch_misc, ch_bat_charge, ch_bat_discharge, ch_grid_import, ch_grid_export,
  ch_curtailed, ch_cost,
  ch_written,
  // hidden
  ch_busy_freq = ch_written, ch_busy_gpus, ch_grid_clean, ch_onsite_used,
  // written after the others only when the scenario has marginal data (GridSpec::has_marginal)
  ch_marginal, ch_marginal_emissions, ch_count
};

std::vector<SeriesSpec> marginal_series_specs() {
  return {{"marginal_intensity_g_per_kwh", "g/kWh", "grid marginal emission intensity (gCO2e per kWh)"},
          {"marginal_emissions_rate_kg_per_h", "kg/h", "marginal emission rate of the grid import (kgCO2e per hour)"}};
}

std::vector<SeriesSpec> site_series_specs() {
  std::vector<SeriesSpec> v;
  for (const char* n : {"it_power_w", "cooling_power_w", "losses_power_w", "facility_power_w", "pue",
                        "utilisation", "running_jobs", "queued_jobs", "pv_power_w", "wind_power_w",
                        "battery_power_w", "battery_soc", "grid_import_w", "carbon_intensity_g_per_kwh",
                        "emissions_rate_kg_per_h", "price_usd_per_mwh", "outdoor_temp_c",
                        "mean_freq_mhz", "nodes_on", "power_cap_w"})
    v.push_back(standard_series(n));
  v.push_back({"accelerator_power_w", "W", "power of all accelerators"});
  v.push_back({"host_power_w", "W", "power of node hosts (CPU, memory, NIC, fans), incl. booting, shutting down and off"});
  v.push_back({"misc_power_w", "W", "fixed facility loads (lighting, offices); part of facility power"});
  v.push_back({"battery_charge_w", "W", "power into the battery"});
  v.push_back({"battery_discharge_w", "W", "power out of the battery into the site"});
  v.push_back({"grid_import_only_w", "W", "power imported from the grid (never negative)"});
  v.push_back({"grid_export_w", "W", "surplus exported to the grid"});
  v.push_back({"curtailed_w", "W", "surplus generation curtailed (export not allowed)"});
  v.push_back({"cost_rate_usd_per_h", "USD/h", "cost rate of grid imports"});
  return v;
}

struct SimTimer {
  enum Kind : std::uint8_t { policy_wake, tick, boot_done, shutdown_done, battery_bound, trace };
  Seconds t;
  std::uint64_t seq;  // insertion order breaks ties (determinism)
  Kind kind;
  std::uint32_t target;
  std::uint64_t generation;
  bool operator>(const SimTimer& o) const { return t != o.t ? t > o.t : seq > o.seq; }
};

struct NodeRt {
  std::size_t type = 0;           // index into node types
  const NodeSpec* spec = nullptr;
  const AcceleratorSpec* acc = nullptr;
  const AcceleratorPower* power = nullptr;
  sg4::Host* host = nullptr;
  int gov_pstate = 0;             // requested by the governor
  int eff_pstate = 0;             // applied (governor and caps)
  Watts device_cap_w = 0;         // 0 = none (per device)
  Watts node_cap_w = 0;           // 0 = none (whole node)
  Watts rack_share_cap_w = 0;     // node's share of a rack or site cap
  std::vector<std::uint32_t> jobs;  // running jobs here
  Watts accel_w = 0, host_w = 0;
  EnergyAccumulator energy;
  std::uint64_t boot_gen = 0;
  double host_load = 0;
  double busy_freq = 0;
  int busy_gpus = 0;
  Watts accel_w_prev = 0, host_w_prev = 0;  // for per-rack sums
};

struct JobRt {
  Job job;
  JobState state = JobState::future;
  Allocation alloc;
  int gpus = 0;
  Seconds start_s = -1, end_s = -1, first_start_s = -1;
  Seconds t0_s = 0;             // runtime at f_max on its GPUs
  double remaining = 1.0;       // fraction of work left (preemption)
  Seconds restart_cost_s = 0;
  Seconds restart_in_run_s = 0;  // restart cost paid in the current run (resize progress)
  int deps_left = 0;
  std::vector<std::uint32_t> dependents;
  Watts power_w = 0;
  EnergyAccumulator energy;
  double emis_g = 0;
  double emis_mark = 0;         // cumulative emissions factor at last update
  double emis_marg_g = 0, emis_marg_mark = 0;  // the same for marginal emissions
  double freq_int = 0;          // ∫ f dt while running
  Seconds freq_last = 0;
  double freq_now = 0;
  Seconds run_time = 0;
  JobOutcome outcome = JobOutcome::unfinished;
  std::string reason;
  std::uint64_t run_gen = 0;
  std::size_t running_index = 0;
};

struct Completion {
  std::uint32_t job;
  std::uint64_t gen;
};

class Sim;

struct WorkerSlot {
  sg4::SemaphorePtr sem;
  std::uint32_t job = 0;
  std::uint64_t gen = 0;
  std::vector<std::pair<sg4::Host*, std::pair<double, int>>> parts;  // host, (flops/thread, threads)
  std::vector<double> comm_bytes;  // per part: gradient all-reduce bytes sent to the next part
  simgrid::s4u::ActorPtr actor;  // the worker actor serving this slot
  std::vector<simgrid::s4u::ExecPtr> execs;  // reused from job to job
  std::vector<simgrid::s4u::CommPtr> comms;  // in flight (owned here so the run's end can cancel them)
  Seconds fixed_s = 0;
};

class Sim {
 public:
  Sim(const Scenario& sc, std::vector<Job>& jobs, Policy& policy, Recorder& rec,
      const RunOptions& opt)
      : sc_(sc), policy_(policy), rec_(rec), opt_(opt), cal_(sc.time.start) {
    end_s_ = sc.time.duration_s > 0 ? sc.time.duration_s : cal_.span_of_years(static_cast<int>(sc.time.years));
    jobs_.reserve(jobs.size());
    for (auto& j : jobs) {
      JobRt r;
      r.job = std::move(j);
      jobs_.push_back(std::move(r));
    }
    jobs.clear();
    jobs.shrink_to_fit();  // the caller's (moved-from) stream is not needed any more
    const auto by_submit = [](const JobRt& a, const JobRt& b) {
      return a.job.request.submit_s < b.job.request.submit_s;
    };
    if (!std::is_sorted(jobs_.begin(), jobs_.end(), by_submit))
      std::stable_sort(jobs_.begin(), jobs_.end(), by_submit);
    for (std::uint32_t i = 0; i < jobs_.size(); ++i) index_of_[jobs_[i].job.request.id] = i;
    if (index_of_.size() != jobs_.size())
      throw InputError(Diagnostic{sc.file, 0, 0, "workload", "job ids are not unique"});
    for (std::uint32_t i = 0; i < jobs_.size(); ++i) {
      for (JobId d : jobs_[i].job.request.depends_on) {
        auto it = index_of_.find(d);
        if (it == index_of_.end())
          throw InputError(Diagnostic{sc.file, 0, 0, "workload",
                                      "job " + std::to_string(jobs_[i].job.request.id) +
                                          " depends on unknown job " + std::to_string(d)});
        jobs_[it->second].dependents.push_back(i);
        ++jobs_[i].deps_left;
      }
    }
  }

  void build_platform() {
    topo_ = std::make_unique<SiteTopology>(SiteTopology::build(sc_.site.platform));
    // Accelerator power models, one per type.
    for (const auto& [name, nt] : sc_.site.platform.node_types) {
      node_types_.push_back(&nt);
      const AcceleratorSpec& acc = sc_.site.platform.accelerators.at(nt.accelerator);
      accel_power_.push_back(std::make_unique<AcceleratorPower>(acc));
      type_index_[name] = node_types_.size() - 1;
    }
    built_ = build_simgrid_platform(*topo_, sc_.site.platform, host_types_from_catalogue(sc_.site.platform));
    if (built_.hosts.empty()) throw InputError(Diagnostic{sc_.file, 0, 0, "site.platform", "expected at least one node, got none"});
    const std::size_t n = built_.hosts.size();
    nodes_.resize(n);
    views_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::string& tname = topo_->node_type(static_cast<NodeId>(i));
      const std::size_t ti = type_index_.at(tname);
      NodeRt& nd = nodes_[i];
      nd.type = ti;
      nd.spec = node_types_[ti];
      nd.acc = &sc_.site.platform.accelerators.at(nd.spec->accelerator);
      nd.power = accel_power_[ti].get();
      nd.host = built_.hosts[i];
      NodeView& v = views_[i];
      v.id = static_cast<NodeId>(i);
      v.rack = topo_->rack_of(static_cast<NodeId>(i));
      v.cooling_domain = topo_->cooling_domain_of(static_cast<NodeId>(i));
      v.state = NodeState::on;
      v.gpus_total = nd.spec->accelerators_per_node;
      v.gpus_free = v.gpus_total;
      v.pstate_count = nd.power->pstate_count();  // the governors need the table length
      gpus_total_ += v.gpus_total;
      gpus_per_node_ = std::max(gpus_per_node_, v.gpus_total);
      design_it_w_ += nd.spec->accelerators_per_node * nd.acc->tdp_w + nd.spec->host_busy_w +
                      nd.spec->nic_w + nd.spec->fan_max_w;
    }
    gpus_free_ = gpus_total_;
    gpus_on_ = gpus_total_;
    nodes_on_ = static_cast<int>(n);
    node_summary_ = summarise(views_);
    node_summary_.topology_version = 1;  // the node set is fixed for the run
    idle_pos_.assign(n, -1);
    dirty_flag_.assign(n, 0);
    for (std::size_t i = 0; i < n; ++i)
      if (node_idle_on(views_[i])) {
        idle_pos_[i] = static_cast<std::int32_t>(idle_nodes_.size());
        idle_nodes_.push_back(static_cast<std::uint32_t>(i));
      }
  }

  // Every change of a node's view goes between these two (node_changing before, node_changed
  // after): the summary, the list of idle nodes and the list of nodes changed since the last
  // round stay exact, in O(1).
  void node_changing(std::size_t n) { add_to_summary(node_summary_, views_[n], -1); }
  void node_changed(std::size_t n) {
    const NodeView& v = views_[n];
    add_to_summary(node_summary_, v, +1);
    const bool idle = node_idle_on(v);
    std::int32_t& pos = idle_pos_[n];
    if (idle && pos < 0) {
      pos = static_cast<std::int32_t>(idle_nodes_.size());
      idle_nodes_.push_back(static_cast<std::uint32_t>(n));
    } else if (!idle && pos >= 0) {
      const std::uint32_t last = idle_nodes_.back();
      idle_nodes_[static_cast<std::size_t>(pos)] = last;
      idle_pos_[last] = pos;
      idle_nodes_.pop_back();
      pos = -1;
    }
    if (!dirty_flag_[n]) {
      dirty_flag_[n] = 1;
      dirty_nodes_.push_back(static_cast<std::uint32_t>(n));
    }
  }

  void run() {
    sg4::Engine* e = sg4::Engine::get_instance();
    sem_ = sg4::Semaphore::create(0);
    sg4::Actor::create("controller", nodes_[0].host,
                       [this] { controller(); });
    e->run();
    if (!finished_) throw InvariantError("simulation ended before the controller finished");
  }

  RunSummary summary() const { return summary_; }

  // Opt-in per-rack / per-node series (output.per_rack / output.per_node).
  void begin_entities(Recorder& rec) {
    if (sc_.output.per_rack && topo_->rack_count() > 0) {
      rack_avg_ = std::make_unique<EntityAverager>(topo_->rack_count(), 0.0);
      rack_power_.assign(topo_->rack_count(), 0.0);
      std::vector<std::int64_t> ids(topo_->rack_count());
      for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int64_t>(i);
      rec.begin_entities("rack", ids, {{"rack_it_power_w", "W", "IT power of the rack (nodes incl. booting/off)"}});
    }
    if (sc_.output.per_node) {
      node_avg_ = std::make_unique<EntityAverager>(nodes_.size(), 0.0);
      std::vector<std::int64_t> ids(nodes_.size());
      for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int64_t>(i);
      rec.begin_entities("node", ids, {{"node_power_w", "W", "power of the node (accelerators + host)"}});
    }
  }
  // Called by the site sink right after each site row: the same bin for the entities.
  void emit_entities(Recorder& rec, Seconds bin_start, Seconds bin_end) {
    if (rack_avg_) {
      entity_row_.resize(rack_avg_->size());
      rack_avg_->emit(bin_start, bin_end, entity_row_);
      rec.append_entity_sample("rack", bin_start, entity_row_);
    }
    if (node_avg_) {
      entity_row_.resize(node_avg_->size());
      node_avg_->emit(bin_start, bin_end, entity_row_);
      rec.append_entity_sample("node", bin_start, entity_row_);
    }
  }

 private:
  // ---------------------------------------------------------------------------- controller
  void controller() {
    setup();
    std::size_t next_arrival = 0;
    std::uint64_t iter = 0;
    while (true) {
      const Seconds now = sg4::Engine::get_clock();
      if (opt_.stop && opt_.stop->load(std::memory_order_relaxed)) {
        interrupted_ = true;
        break;
      }
      integrate_to(std::min(now, end_s_));
      // 1. completions
      while (!completions_.empty()) {
        Completion c = completions_.front();
        completions_.pop_front();
        if (jobs_[c.job].state == JobState::running && jobs_[c.job].run_gen == c.gen) finish_job(c.job, now);
      }
      // 2. arrivals
      while (next_arrival < jobs_.size() && jobs_[next_arrival].job.request.submit_s <= now + kEps &&
             jobs_[next_arrival].job.request.submit_s < end_s_) {
        submit_job(static_cast<std::uint32_t>(next_arrival), now);
        ++next_arrival;
      }
      // 3. timers
      while (!timers_.empty() && timers_.top().t <= now + kEps) {
        SimTimer tm = timers_.top();
        timers_.pop();
        handle_timer(tm, now);
      }
      const bool at_end = now >= end_s_ - kEps;
      if (!events_.empty() && !at_end) {
        decide(now);
        // A resize freed or took GPUs: the stack sees it at once (one more round, at most).
        if (redecide_ && !events_.empty()) decide(now);
        redecide_ = false;
      }
      recompute_site(std::min(now, end_s_));
      if (at_end) break;
      if (opt_.progress && (++iter & 0x3ff) == 0) opt_.progress(now, now / end_s_);
      Seconds next = end_s_;
      if (next_arrival < jobs_.size()) next = std::min(next, jobs_[next_arrival].job.request.submit_s);
      if (!timers_.empty()) next = std::min(next, timers_.top().t);
      if (!completions_.empty()) continue;
      if (next - now > kEps) {
        sem_->acquire_timeout(next - now);
      } else if (next > now) {
        sg4::this_actor::sleep_until(next);
      }
    }
    finalize(std::min(sg4::Engine::get_clock(), end_s_));
    finished_ = true;
  }

  void setup() {
    carbon_now_ = inputs_.carbon_gco2_per_kwh->value_at(0);
    price_now_ = inputs_.price_usd_per_kwh->value_at(0);
    temp_now_ = inputs_.outdoor_temp_c->value_at(0);
    pv_now_ = inputs_.solar_w->value_at(0);
    wind_now_ = inputs_.wind_w->value_at(0);
    cfe_now_ = inputs_.grid_cfe_share->value_at(0);
    if (inputs_.marginal_gco2_per_kwh) marginal_now_ = inputs_.marginal_gco2_per_kwh->value_at(0);
    schedule_trace_step(0);
    // Rounds that only time triggers (ticks, trace steps) are skipped when no policy needs them.
    // Without ticks the policies still get one round at t = 0, to see the initial state (idle
    // nodes whose power-down timers start then).
    periodic_rounds_ = policy_.needs_periodic_rounds();  // sim/policy/README.md, contract
    if (periodic_rounds_ && sc_.policies.tick_s > 0) push_timer(sc_.policies.tick_s, SimTimer::tick, 0, 0);
    if (!periodic_rounds_) push_timer(0, SimTimer::policy_wake, 0, 0);
    for (std::size_t i = 0; i < nodes_.size(); ++i) update_node_power(i, 0);
    recompute_site(0);
  }

  // ------------------------------------------------------------------------------- timers
  void push_timer(Seconds t, SimTimer::Kind k, std::uint32_t target, std::uint64_t gen) {
    timers_.push(SimTimer{t, timer_seq_++, k, target, gen});
  }

  void schedule_trace_step(Seconds now) {
    Seconds nx = kInf;
    for (StepInput* in : {inputs_.carbon_gco2_per_kwh.get(), inputs_.price_usd_per_kwh.get(),
                          inputs_.outdoor_temp_c.get(), inputs_.solar_w.get(), inputs_.wind_w.get(),
                          inputs_.grid_cfe_share.get()})
      nx = std::min(nx, in->next_change_after(now));
    if (inputs_.marginal_gco2_per_kwh) nx = std::min(nx, inputs_.marginal_gco2_per_kwh->next_change_after(now));
    if (nx < end_s_) push_timer(nx, SimTimer::trace, 0, ++trace_gen_);
  }

  void handle_timer(const SimTimer& tm, Seconds now) {
    switch (tm.kind) {
      case SimTimer::policy_wake:
        events_.push_back(dcsim::Timer{tm.t});
        break;
      case SimTimer::tick:
        events_.push_back(dcsim::Timer{tm.t});
        push_timer(tm.t + sc_.policies.tick_s, SimTimer::tick, 0, 0);
        break;
      case SimTimer::boot_done: {
        NodeRt& nd = nodes_[tm.target];
        if (nd.boot_gen != tm.generation || views_[tm.target].state != NodeState::booting) break;
        set_node_state(tm.target, NodeState::on, now);
        events_.push_back(NodeBooted{tm.target});
        record_event(now, "booted", tm.target, 0);
        break;
      }
      case SimTimer::shutdown_done: {
        NodeRt& nd = nodes_[tm.target];
        if (nd.boot_gen != tm.generation || views_[tm.target].state != NodeState::shutting_down) break;
        set_node_state(tm.target, NodeState::off, now);
        events_.push_back(NodeShutDown{tm.target});
        record_event(now, "shut_down", tm.target, 0);
        break;
      }
      case SimTimer::battery_bound:
        // The battery reached a bound: the site balance is recomputed by recompute_site().
        if (tm.generation == battery_gen_) battery_hit_ = true;
        break;
      case SimTimer::trace:
        if (tm.generation != trace_gen_) break;
        carbon_now_ = inputs_.carbon_gco2_per_kwh->value_at(now);
        price_now_ = inputs_.price_usd_per_kwh->value_at(now);
        temp_now_ = inputs_.outdoor_temp_c->value_at(now);
        pv_now_ = inputs_.solar_w->value_at(now);
        wind_now_ = inputs_.wind_w->value_at(now);
        cfe_now_ = inputs_.grid_cfe_share->value_at(now);
        if (inputs_.marginal_gco2_per_kwh) marginal_now_ = inputs_.marginal_gco2_per_kwh->value_at(now);
        schedule_trace_step(now);
        if (periodic_rounds_) events_.push_back(TraceStep{});
        break;
    }
  }

  // --------------------------------------------------------------------------------- jobs
  void submit_job(std::uint32_t j, Seconds now) {
    JobRt& r = jobs_[j];
    ++submitted_;
    if (r.deps_left > 0) {
      r.state = JobState::waiting_deps;
      return;
    }
    enqueue(j, now);
  }

  void enqueue(std::uint32_t j, Seconds) {
    JobRt& r = jobs_[j];
    r.state = JobState::queued;
    queue_.push_back(&r.job.request);
    events_.push_back(JobSubmitted{r.job.request.id});
  }

  void decide(Seconds now) {
    decide_now_ = now;
    // One view, refreshed in place: the forecast and calendar functions are set once.
    ClusterView& v = view_;
    if (!v.hour_of_day) {
      v.forecast = forecasts_;
      v.hour_of_day = hour_fn_;
    }
    v.now_s = now;
    v.end_s = end_s_;
    v.nodes = views_;
    v.queue = queue_;
    v.running = running_;
    v.gpus_per_node = gpus_per_node_;
    v.gpus_free = gpus_free_;
    v.it_power_w = values_[ch_it];
    v.facility_power_w = values_[ch_facility];
    v.onsite_generation_w = pv_now_ + wind_now_;
    v.battery_soc = battery_ ? battery_->soc() : 0.0;
    v.carbon_now_gco2_per_kwh = carbon_now_;
    v.summary = node_summary_;
    v.idle_nodes = idle_nodes_;
    v.changed_nodes = dirty_nodes_;
    v.round = ++round_;
    decisions_.clear();
    if (!events_next_.empty()) {
      events_.insert(events_.begin(), events_next_.begin(), events_next_.end());
      events_next_.clear();
    }
    policy_.decide(v, events_, decisions_);
    events_.clear();
    for (std::uint32_t n : dirty_nodes_) dirty_flag_[n] = 0;
    dirty_nodes_.clear();
    for (const Decision& d : decisions_) std::visit([&](const auto& x) { apply(x, now); }, d);
  }

  std::uint32_t job_index(JobId id) const {
    auto it = index_of_.find(id);
    if (it == index_of_.end()) throw InvariantError("policy referred to unknown job " + std::to_string(id));
    return it->second;
  }

  void apply(const StartJob& d, Seconds now) {
    const std::uint32_t j = job_index(d.job);
    JobRt& r = jobs_[j];
    if (r.state != JobState::queued)
      throw InvariantError(std::string(policy_.name()) + " started job " + std::to_string(d.job) + " which is not queued");
    int total = 0;
    for (const Slice& s : d.allocation) {
      if (s.node >= nodes_.size() || views_[s.node].state != NodeState::on || s.gpus <= 0 ||
          views_[s.node].gpus_free < s.gpus)
        throw InvariantError(std::string(policy_.name()) + " gave job " + std::to_string(d.job) +
                             " an unavailable allocation on node " + std::to_string(s.node));
      total += s.gpus;
    }
    const int want = d.gpus > 0 ? d.gpus : r.job.request.gpus;
    if (total != want || total <= 0)
      throw InvariantError(std::string(policy_.name()) + " gave job " + std::to_string(d.job) + " " +
                           std::to_string(total) + " GPUs, expected " + std::to_string(want));
    queue_.erase(std::find(queue_.begin(), queue_.end(), &r.job.request));
    begin_run(j, d.allocation, total, now, -1.0, -1.0);
    events_next_.push_back(JobStarted{r.job.request.id});
  }

  // Puts a job on `alloc` (total GPUs) and starts its worker. view_start_s / expected_end_s < 0:
  // a fresh start (now, now + walltime estimate or t0).
  void begin_run(std::uint32_t j, const Allocation& alloc, int total, Seconds now,
                 Seconds view_start_s, Seconds expected_end_s) {
    JobRt& r = jobs_[j];
    r.state = JobState::running;
    r.alloc = alloc;
    r.gpus = total;
    r.start_s = now;
    if (r.first_start_s < 0) r.first_start_s = now;
    ++r.run_gen;
    const AcceleratorSpec& acc = *nodes_[alloc.front().node].acc;
    // The job's speed scales with its GPU count through the profile (physics/dvfs.hpp).
    r.t0_s = runtime_at_fmax_s(r.job.profile, acc, total);
    for (const Slice& s : alloc) {
      node_changing(s.node);
      views_[s.node].gpus_free -= s.gpus;
      node_changed(s.node);
      gpus_free_ -= s.gpus;
      nodes_[s.node].jobs.push_back(j);
    }
    r.running_index = running_.size();
    running_.push_back(RunningJobView{&r.job.request, r.alloc, view_start_s >= 0 ? view_start_s : now,
                                      expected_end_s >= 0 ? expected_end_s
                                      : now + (r.job.request.walltime_estimate_s > 0
                                                   ? r.job.request.walltime_estimate_s
                                                   : r.t0_s)});
    r.energy = EnergyAccumulator{0, now, r.energy.energy_j};
    r.emis_mark = emis_factor_cum_;
    r.emis_marg_mark = emis_marg_factor_cum_;
    r.freq_last = now;
    for (const Slice& s : alloc) refresh_node(s.node, now);
    start_worker(j);
  }

  // Resizing a running elastic job: its progress is kept (the fraction of work done so far at
  // the speeds of its current run, the restart cost of that run excluded), its worker stopped,
  // its GPUs exchanged at once, and it continues on the new set after cost_s (re-sharding:
  // checkpoint + restart, paid like a preemption's restart). Energy of the interval before is
  // settled on the old allocation; the new one draws power from now on.
  void apply(const ResizeJob& d, Seconds now) {
    const std::uint32_t j = job_index(d.job);
    JobRt& r = jobs_[j];
    if (r.state != JobState::running) return;  // ended or preempted earlier in the round
    const JobRequest& q = r.job.request;
    const std::string who = std::string(policy_.name()) + " resized job " + std::to_string(d.job);
    if (!q.elastic) throw InvariantError(who + ", which is not elastic");
    const int lo = q.min_gpus > 0 ? q.min_gpus : 1;
    const int hi = std::max(q.max_gpus > 0 ? q.max_gpus : q.gpus, q.gpus);
    int total = 0;
    for (std::size_t k = 0; k < d.allocation.size(); ++k) {
      const Slice& s = d.allocation[k];
      int held = 0;
      for (const Slice& o : r.alloc)
        if (o.node == s.node) held += o.gpus;
      bool dup = false;
      for (std::size_t m = 0; m < k; ++m) dup = dup || d.allocation[m].node == s.node;
      if (s.node >= nodes_.size() || views_[s.node].state != NodeState::on || s.gpus <= 0 || dup ||
          views_[s.node].gpus_free + held < s.gpus)
        throw InvariantError(who + " onto an unavailable slice of node " + std::to_string(s.node));
      total += s.gpus;
    }
    if (total < lo || total > hi)
      throw InvariantError(who + " to " + std::to_string(total) + " GPUs, expected [" +
                           std::to_string(lo) + ", " + std::to_string(hi) + "]");
    if (d.cost_s < 0) throw InvariantError(who + " with a negative cost");
    const Seconds elapsed = std::max(0.0, now - r.start_s - r.restart_in_run_s);
    const double expected = std::max(kEps, r.t0_s * r.remaining * slowdown_now(r));
    const double done = std::clamp(elapsed / expected, 0.0, 1.0);
    r.remaining *= (1.0 - done);
    const int old_gpus = r.gpus;
    const RunningJobView old_view = running_[r.running_index];
    kill_worker(worker_of_.at(j));
    const Allocation old_alloc = r.alloc;
    // Nodes are re-derived once, after the exchange: a node the job keeps must not see a
    // moment without it (a spurious p-state change under a cap would cost transition energy).
    in_resize_ = true;
    stop_running(j, now);
    in_resize_ = false;
    r.restart_cost_s = d.cost_s;
    // What a scheduler may assume: the remaining estimate scales with 1/GPUs, plus the cost.
    const Seconds est_left = std::max(0.0, old_view.expected_end_s - now) * old_gpus / total;
    begin_run(j, d.allocation, total, now, old_view.start_s, now + d.cost_s + est_left);
    for (const Slice& o : old_alloc) {
      bool kept = false;
      for (const Slice& s : d.allocation) kept = kept || s.node == o.node;
      if (!kept) refresh_node(o.node, now);
    }
    ++resizes_;
    record_event(now, "resize", static_cast<std::int64_t>(q.id), total);
    events_.push_back(JobResized{q.id});
    redecide_ = true;
  }

  void start_worker(std::uint32_t j) {
    JobRt& r = jobs_[j];
    WorkerSlot* w = nullptr;
    if (!idle_workers_.empty()) {
      w = idle_workers_.back();
      idle_workers_.pop_back();
    } else {
      workers_.push_back(std::make_unique<WorkerSlot>());
      w = workers_.back().get();
      w->sem = sg4::Semaphore::create(0);
      sg4::ActorPtr a = sg4::Actor::create("worker", nodes_[r.alloc.front().node].host, [this, w] { worker(w); });
      w->actor = a;
    }
    const JobProfile& p = r.job.profile;
    const double fixed_share = p.memory_share + p.io_share;
    const double compute_s = r.t0_s * p.compute_share * r.remaining;  // at f_max
    w->job = j;
    w->gen = r.run_gen;
    w->parts.clear();
    w->comm_bytes.clear();
    for (const Slice& s : r.alloc) {
      const double speed_max = nodes_[s.node].host->get_pstate_speed(0);
      w->parts.push_back({nodes_[s.node].host, {compute_s * speed_max, s.gpus}});
      // Multi-node jobs exchange gradients over the site network. A hierarchical all-reduce
      // (NCCL: reduce inside the node over NVLink, ring across nodes) sends about one GPU's
      // ring volume out of every node, whatever its GPU count: 2·(k−1)/k · gradient bytes per
      // step (JobProfile::comm_bytes_per_gpu, workloads/profiles.yaml). Modelled as one
      // transfer per node to its ring successor, overlapping the computation as data-parallel
      // training does; the job ends when both are done, so a slow network slows it.
      w->comm_bytes.push_back(r.alloc.size() > 1 ? p.comm_bytes_per_gpu * r.remaining : 0.0);
    }
    double ckpt = 0;
    if (p.checkpoint_interval_s > 0 && p.checkpoint_cost_s > 0)
      ckpt = std::floor(r.t0_s * r.remaining / p.checkpoint_interval_s) * p.checkpoint_cost_s;
    w->fixed_s = r.t0_s * fixed_share * r.remaining + ckpt + r.restart_cost_s;
    r.restart_in_run_s = r.restart_cost_s;
    r.restart_cost_s = 0;
    worker_of_[j] = w;
    w->sem->release();
  }

  void worker(WorkerSlot* w) {
    sg4::Actor::self()->daemonize();
    while (true) {
      w->sem->acquire();
      const std::uint32_t j = w->job;
      const std::uint64_t gen = w->gen;
      std::vector<sg4::ExecPtr>& execs = w->execs;
      execs.clear();
      for (const auto& [host, amt] : w->parts) {
        if (amt.first <= 0) continue;
        // Keep the ExecPtr: start() returns a raw pointer, and chaining on a temporary
        // ExecPtr destroys the activity (a crash in SimGrid 3.32).
        sg4::ExecPtr ex = sg4::this_actor::exec_init(amt.first);
        ex->set_host(host);
        ex->set_thread_count(amt.second);  // each thread (GPU) executes the full amount
        ex->start();
        execs.push_back(std::move(ex));
      }
      std::vector<sg4::CommPtr>& comms = w->comms;
      comms.clear();
      for (std::size_t i = 0; i < w->parts.size(); ++i) {
        if (w->comm_bytes[i] < 1.0) continue;
        sg4::Host* to = w->parts[(i + 1) % w->parts.size()].first;
        comms.push_back(sg4::Comm::sendto_async(w->parts[i].first, to,
                                                static_cast<std::uint64_t>(w->comm_bytes[i])));
      }
      for (auto& e : execs) e->wait();
      for (auto& c : comms) c->wait();
      comms.clear();
      execs.clear();
      if (w->fixed_s > 0) sg4::this_actor::sleep_for(w->fixed_s);
      completions_.push_back(Completion{j, gen});
      idle_workers_.push_back(w);
      sem_->release();
    }
  }

  void finish_job(std::uint32_t j, Seconds now) {
    JobRt& r = jobs_[j];
    stop_running(j, now);
    r.state = JobState::done;
    r.end_s = now;
    r.outcome = JobOutcome::completed;
    ++completed_;
    events_.push_back(JobFinished{r.job.request.id});
    write_job(r);
    for (std::uint32_t d : r.dependents) {
      if (--jobs_[d].deps_left == 0 && jobs_[d].state == JobState::waiting_deps) enqueue(d, now);
    }
  }

  // Detach a running job from its nodes and close its accounting.
  void stop_running(std::uint32_t j, Seconds now) {
    JobRt& r = jobs_[j];
    settle_job(r, now);
    r.run_time += now - r.start_s;
    r.power_w = 0;
    // remove from running_ (swap with last, fix index)
    const std::size_t idx = r.running_index;
    if (idx + 1 != running_.size()) {
      running_[idx] = std::move(running_.back());
      jobs_[job_index(running_[idx].request->id)].running_index = idx;
    }
    running_.pop_back();
    for (const Slice& s : r.alloc) {
      node_changing(s.node);
      views_[s.node].gpus_free += s.gpus;
      node_changed(s.node);
      gpus_free_ += s.gpus;
      auto& js = nodes_[s.node].jobs;
      js.erase(std::find(js.begin(), js.end(), j));
      if (views_[s.node].gpus_free == views_[s.node].gpus_total) views_[s.node].idle_since_s = now;
    }
    if (!in_resize_)
      for (const Slice& s : r.alloc) refresh_node(s.node, now);
    worker_of_.erase(j);
  }

  // Brings a job's energy, emissions and frequency integrals up to `now`.
  void settle_job(JobRt& r, Seconds now) {
    r.energy.advance(now);
    r.emis_g += r.power_w * (emis_factor_cum_ - r.emis_mark);
    r.emis_mark = emis_factor_cum_;
    r.emis_marg_g += r.power_w * (emis_marg_factor_cum_ - r.emis_marg_mark);
    r.emis_marg_mark = emis_marg_factor_cum_;
    r.freq_int += r.freq_now * (now - r.freq_last);
    r.freq_last = now;
  }

  void apply(const PreemptJob& d, Seconds now) {
    const std::uint32_t j = job_index(d.job);
    JobRt& r = jobs_[j];
    if (r.state != JobState::running) return;
    WorkerSlot* w = worker_of_.at(j);
    // Progress: elapsed run time over the job's expected remaining time at current speeds.
    const Seconds elapsed = now - r.start_s;
    const double expected = std::max(kEps, r.t0_s * r.remaining * slowdown_now(r));
    const double done = std::clamp(elapsed / expected, 0.0, 1.0);
    r.remaining *= (1.0 - done);
    r.restart_cost_s = r.job.profile.checkpoint_cost_s;
    // Kill the worker actor (its executions are cancelled with it); a new one is made on demand.
    kill_worker(w);
    stop_running(j, now);
    r.state = JobState::queued;
    queue_.push_back(&r.job.request);
    ++preemptions_;
    record_event(now, "preempt", static_cast<std::int64_t>(r.job.request.id), r.remaining);
    events_next_.push_back(JobPreempted{r.job.request.id});
  }

  void kill_worker(WorkerSlot* w) {
    w->actor->kill();  // its executions are cancelled with it
    w->gen = 0;
  }

  double slowdown_now(const JobRt& r) const {
    const NodeRt& nd = nodes_[r.alloc.front().node];
    return slowdown(r.job.profile, nd.power->freq_mhz(nd.eff_pstate), nd.power->freq_mhz(0));
  }

  void apply(const RejectJob& d, Seconds now) {
    const std::uint32_t j = job_index(d.job);
    JobRt& r = jobs_[j];
    if (r.state != JobState::queued) return;
    queue_.erase(std::find(queue_.begin(), queue_.end(), &r.job.request));
    r.state = JobState::done;
    r.outcome = JobOutcome::rejected;
    r.reason = d.reason;
    r.end_s = now;
    ++rejected_;
    write_job(r);
  }

  void apply(const SetPState& d, Seconds now) {
    if (d.node >= nodes_.size()) throw InvariantError("SetPState on unknown node");
    NodeRt& nd = nodes_[d.node];
    const int p = std::clamp(d.pstate, 0, nd.power->pstate_count() - 1);
    if (nd.gov_pstate == p) return;
    nd.gov_pstate = p;
    refresh_node(d.node, now);
  }

  void apply(const SetPowerCap& d, Seconds now) {
    const Watts cap = d.cap_w > 0 ? d.cap_w : 0;
    switch (d.scope) {
      case CapScope::device:
        for (std::size_t i = 0; i < nodes_.size(); ++i)
          if (d.id == 0xffffffffu || d.id == i) nodes_[i].device_cap_w = cap;
        break;
      case CapScope::node:
        if (d.id < nodes_.size()) nodes_[d.id].node_cap_w = cap;
        break;
      case CapScope::rack: {
        if (d.id >= topo_->rack_count()) throw InvariantError("SetPowerCap on unknown rack");
        const auto members = topo_->nodes_of_rack(d.id);
        for (NodeId n : members) nodes_[n].rack_share_cap_w = cap > 0 ? cap / static_cast<double>(members.size()) : 0;
        break;
      }
      case CapScope::site:
        site_cap_w_ = cap;
        for (auto& nd : nodes_) nd.rack_share_cap_w = cap > 0 ? cap / static_cast<double>(nodes_.size()) : 0;
        break;
    }
    record_event(now, "cap", d.scope == CapScope::site ? -1 : static_cast<std::int64_t>(d.id), cap);
    for (std::size_t i = 0; i < nodes_.size(); ++i) refresh_node(i, now);
  }

  void apply(const PowerOff& d, Seconds now) {
    if (d.node >= nodes_.size()) throw InvariantError("PowerOff on unknown node");
    NodeView& v = views_[d.node];
    if (v.state != NodeState::on || v.gpus_free != v.gpus_total) return;  // busy or not on: ignored
    const NodeSpec& s = *nodes_[d.node].spec;
    set_node_state(d.node, NodeState::shutting_down, now);
    record_event(now, "power_off", d.node, 0);
    push_timer(now + s.shutdown_s, SimTimer::shutdown_done, d.node, ++nodes_[d.node].boot_gen);
  }

  void apply(const PowerOn& d, Seconds now) {
    if (d.node >= nodes_.size()) throw InvariantError("PowerOn on unknown node");
    NodeView& v = views_[d.node];
    if (v.state != NodeState::off && v.state != NodeState::shutting_down) return;
    const NodeSpec& s = *nodes_[d.node].spec;
    set_node_state(d.node, NodeState::booting, now);
    record_event(now, "power_on", d.node, 0);
    push_timer(now + s.boot_s, SimTimer::boot_done, d.node, ++nodes_[d.node].boot_gen);
  }

  void apply(const WakeAt& d, Seconds now) {
    if (d.at > now && d.at < end_s_) push_timer(d.at, SimTimer::policy_wake, 0, 0);
  }

  void apply(const SetBatteryMode& d, Seconds now) {
    if (battery_mode_ != d.mode) record_event(now, "battery_mode", -1, d.mode);
    battery_mode_ = d.mode;
  }

  void set_node_state(std::size_t n, NodeState s, Seconds now) {
    NodeView& v = views_[n];
    const bool was_on = v.state == NodeState::on;
    node_changing(n);
    v.state = s;
    node_changed(n);
    v.state_since_s = now;
    const bool is_on = s == NodeState::on;
    if (was_on && !is_on) {
      --nodes_on_;
      gpus_free_ -= v.gpus_free;
      gpus_on_ -= v.gpus_total;
    } else if (!was_on && is_on) {
      ++nodes_on_;
      gpus_free_ += v.gpus_free;
      gpus_on_ += v.gpus_total;
      v.idle_since_s = now;
    }
    update_node_power(n, now);
  }

  // ------------------------------------------------------------------------------- power
  // Effective p-state of a node: the governor's choice, lowered until the most intense job on
  // it fits every cap that applies (device, node, share of rack/site).
  int effective_pstate(std::size_t n) const {
    const NodeRt& nd = nodes_[n];
    int p = nd.gov_pstate;
    if (nd.device_cap_w <= 0 && nd.node_cap_w <= 0 && nd.rack_share_cap_w <= 0) return p;
    const int g = nd.spec->accelerators_per_node;
    Watts per_device = kInf;
    if (nd.device_cap_w > 0) per_device = std::min(per_device, nd.device_cap_w);
    const Watts host = host_power_w(*nd.spec, nd.host_load, 1.0);  // budget with fans at full speed
    if (nd.node_cap_w > 0) per_device = std::min(per_device, (nd.node_cap_w - host) / g);
    if (nd.rack_share_cap_w > 0) per_device = std::min(per_device, (nd.rack_share_cap_w - host) / g);
    for (std::uint32_t j : nd.jobs) {
      const JobProfile& pr = jobs_[j].job.profile;
      p = std::max(p, nd.power->highest_pstate_under(per_device, pr.utilisation, pr.intensity));
    }
    return p;
  }

  // Re-derive a node's p-state and power after a change of its jobs, caps or governor.
  void refresh_node(std::size_t n, Seconds now) {
    NodeRt& nd = nodes_[n];
    double load = 0;
    for (std::uint32_t j : nd.jobs) {
      const JobRt& r = jobs_[j];
      int g = 0;
      for (const Slice& s : r.alloc)
        if (s.node == n) g += s.gpus;
      load += r.job.profile.host_load * g / static_cast<double>(nd.spec->accelerators_per_node);
    }
    nd.host_load = std::min(1.0, load);
    const int p = effective_pstate(n);
    if (p != nd.eff_pstate) {
      nd.eff_pstate = p;
      nd.host->set_pstate(static_cast<unsigned long>(p));
      views_[n].pstate = p;
      nd.energy.energy_j += nd.acc->pstate_transition_j * nd.spec->accelerators_per_node;
      pstate_transition_j_ += nd.acc->pstate_transition_j * nd.spec->accelerators_per_node;
      ++pstate_changes_;
      record_event(now, "pstate", static_cast<std::int64_t>(n), nd.power->freq_mhz(p));
    }
    update_node_power(n, now);
  }

  Watts job_device_power(const NodeRt& nd, const JobRt& r) const {
    return nd.power->power_w(nd.eff_pstate, r.job.profile.utilisation, r.job.profile.intensity);
  }

  void update_node_power(std::size_t n, Seconds now) {
    NodeRt& nd = nodes_[n];
    const NodeView& v = views_[n];
    Watts accel = 0, host = 0;
    int busy_now = 0;
    switch (v.state) {
      case NodeState::off: host = nd.spec->off_power_w; break;
      case NodeState::booting: host = nd.spec->boot_power_w; break;
      case NodeState::shutting_down: host = nd.spec->shutdown_power_w; break;
      case NodeState::on: {
        int busy = 0;
        for (std::uint32_t j : nd.jobs) {
          const JobRt& r = jobs_[j];
          int g = 0;
          for (const Slice& s : r.alloc)
            if (s.node == n) g += s.gpus;
          busy += g;
          accel += g * job_device_power(nd, r);
        }
        accel += (v.gpus_total - busy) * nd.power->power_w(nd.eff_pstate, 0.0, 0.0);
        busy_now = busy;
        // Fans follow the larger of the host load and the accelerators' heat (node_power.hpp).
        const double heat = nd.acc->tdp_w > 0 ? accel / (v.gpus_total * nd.acc->tdp_w) : 0.0;
        host = host_power_w(*nd.spec, nd.host_load, std::min(1.0, heat));
        break;
      }
    }
    if (accel < 0 || host < 0) throw InvariantError("negative power on node " + std::to_string(n));
    accel_total_ += accel - nd.accel_w;
    host_total_ += host - nd.host_w;
    nd.accel_w = accel;
    nd.host_w = host;
    const double bf = busy_now * nd.power->freq_mhz(nd.eff_pstate);
    busy_freq_sum_ += bf - nd.busy_freq;
    busy_gpus_ += busy_now - nd.busy_gpus;
    nd.busy_freq = bf;
    nd.busy_gpus = busy_now;
    nd.energy.set(now, accel + host);
    if (node_avg_) node_avg_->set(n, now, accel + host);
    if (rack_avg_) {
      const RackId r = views_[n].rack;
      rack_power_[r] += (accel + host) - (nd.accel_w_prev + nd.host_w_prev);
      rack_avg_->set(r, now, rack_power_[r]);
    }
    nd.accel_w_prev = accel;
    nd.host_w_prev = host;
    // Jobs on the node: their power share changed.
    for (std::uint32_t j : nd.jobs) update_job_power(j, now);
  }

  void update_job_power(std::uint32_t j, Seconds now) {
    JobRt& r = jobs_[j];
    settle_job(r, now);
    Watts p = 0;
    for (const Slice& s : r.alloc) {
      const NodeRt& nd = nodes_[s.node];
      p += s.gpus * job_device_power(nd, r) +
           nd.host_w * s.gpus / static_cast<double>(nd.spec->accelerators_per_node);
    }
    r.power_w = p;
    r.energy.power_w = p;
    const NodeRt& lead = nodes_[r.alloc.front().node];
    r.freq_now = lead.power->freq_mhz(lead.eff_pstate);
  }

  // --------------------------------------------------------------------------------- site
  // Adds the piece [last_t_, t) at the current site values to the series and totals.
  void integrate_to(Seconds t) {
    if (t <= last_t_) return;
    const Seconds dt = t - last_t_;
    averager_->add_piece(last_t_, t, values_);
    for (std::size_t c = 0; c < ch_count; ++c)
      if (c != ch_cap && c != ch_soc) totals_[c] += values_[c] * dt;
    // emissions factor: grams per joule of IT energy (for per-job attribution)
    if (values_[ch_it] > 0) {
      emis_factor_cum_ += values_[ch_emissions] / 3.6 / values_[ch_it] * dt;
      emis_marg_factor_cum_ += values_[ch_marginal_emissions] / 3.6 / values_[ch_it] * dt;
    }
    if (battery_) battery_->step(dt, values_[ch_bat_discharge] - values_[ch_bat_charge]);
    hour_buf_[0] = values_[ch_facility];
    hour_buf_[1] = values_[ch_grid_clean] + values_[ch_onsite_used];
    hourly_->add_piece(last_t_, t, hour_buf_);
    last_t_ = t;
  }

  void recompute_site(Seconds now) {
    Values& v = values_;
    const Watts it = accel_total_ + host_total_;
    v[ch_it] = it;
    v[ch_accel] = accel_total_;
    v[ch_host] = host_total_;
    const auto& site = sc_.site;
    Watts loss = 0, cooling = 0, misc = 0;
    if (site.cooling.model == "constant-pue") {
      cooling = (site.cooling.pue - 1.0) * it;
    } else {
      const Watts pdu = conversion_loss_w(site.pdu, it, site.pdu.rated_w > 0 ? site.pdu.rated_w : design_it_w_);
      const Watts ups = conversion_loss_w(site.ups, it + pdu, site.ups.rated_w > 0 ? site.ups.rated_w : design_it_w_);
      loss = pdu + ups;
      misc = site.cooling.misc_fraction * design_it_w_;
      cooling = cooling_power(site.cooling, it + loss + misc, temp_now_, design_it_w_).cooling_w;
    }
    v[ch_cooling] = cooling;
    v[ch_loss] = loss;
    v[ch_misc] = misc;
    const Watts facility = it + loss + cooling + misc;
    v[ch_facility] = facility;
    v[ch_pue] = it > 0 ? facility / it : 0;  // replaced by the energy ratio when sampled
    v[ch_util] = gpus_total_ > 0 ? static_cast<double>(gpus_total_ - gpus_free_ - (gpus_total_ - gpus_on_)) / gpus_total_ : 0;
    v[ch_running] = static_cast<double>(running_.size());
    v[ch_queued] = static_cast<double>(queue_.size());
    v[ch_nodes_on] = nodes_on_;
    v[ch_freq] = 0;  // derived per interval from the hidden channels
    v[ch_busy_freq] = busy_freq_sum_;
    v[ch_busy_gpus] = busy_gpus_;
    v[ch_cap] = site_cap_w_ > 0 ? site_cap_w_ : std::numeric_limits<double>::quiet_NaN();
    v[ch_temp] = temp_now_;
    v[ch_pv] = pv_now_;
    v[ch_wind] = wind_now_;
    // Supply balance: demand = grid import + PV + wind + discharge − charge − curtailment − export.
    const Watts gen = pv_now_ + wind_now_;
    Watts charge = 0, discharge = 0;
    if (battery_) {
      // Bus power of the battery, piecewise constant until the next change or until the state
      // of charge reaches a bound (a timer is set for that instant).
      const BatterySpec& bs = sc_.site.supply.battery;
      const double cap = battery_->capacity_j(), stored = battery_->stored_j();
      const bool can_discharge = stored - bs.soc_min * cap > 1e-6 * cap;
      const bool can_charge = bs.soc_max * cap - stored > 1e-6 * cap;
      const Watts pmax = battery_->power_limit_w();
      const Watts surplus = gen - facility;
      if (battery_mode_ > 0) charge = pmax;
      else if (battery_mode_ < 0) discharge = std::min(pmax, std::max(0.0, -surplus));
      else if (surplus > 0) charge = std::min(surplus, pmax);
      else discharge = std::min(-surplus, pmax);
      if (!can_charge) charge = 0;
      if (!can_discharge) discharge = 0;
      Seconds tb = kInf;
      if (discharge > 0) tb = (stored - bs.soc_min * cap) * bs.discharge_efficiency / discharge;
      if (charge > 0) tb = (bs.soc_max * cap - stored) / (bs.charge_efficiency * charge);
      ++battery_gen_;
      if (tb < kInf && now + tb < end_s_) push_timer(now + tb, SimTimer::battery_bound, 0, battery_gen_);
    }
    const Watts net = facility + charge - discharge - gen;
    Watts import = 0, exported = 0, curtailed = 0;
    if (net >= 0) import = net;
    else if (site.supply.grid.export_allowed > 0) exported = -net;
    else curtailed = -net;
    v[ch_bat_charge] = charge;
    v[ch_bat_discharge] = discharge;
    v[ch_battery] = discharge - charge;
    v[ch_soc] = battery_ ? battery_->soc() : std::numeric_limits<double>::quiet_NaN();
    v[ch_grid] = import - exported;
    v[ch_grid_import] = import;
    v[ch_grid_export] = exported;
    v[ch_curtailed] = curtailed;
    v[ch_carbon] = carbon_now_;
    // 24/7 CFE: carbon-free supply used by the site = on-site generation consumed (not exported
    // or curtailed, battery discharge counted when it was charged from it: approximated as
    // on-site) + grid import × the grid's carbon-free share.
    v[ch_grid_clean] = import * cfe_now_;
    v[ch_onsite_used] = std::max(0.0, facility - import);
    v[ch_emissions] = import / 1000.0 * carbon_now_ / 1000.0;  // kW · g/kWh = g/h → kg/h
    v[ch_marginal] = marginal_now_;
    v[ch_marginal_emissions] = import / 1000.0 * marginal_now_ / 1000.0;
    v[ch_price] = price_now_ * 1000.0;  // USD/kWh → USD/MWh
    v[ch_cost] = import / 1000.0 * price_now_;
    if (facility > peak_facility_w_) peak_facility_w_ = facility;
  }

  // ------------------------------------------------------------------------------ output
  void record_event(Seconds t, const char* kind, std::int64_t target, double value) {
    if (!sc_.output.events) return;
    rec_.add_event(EventRecord{t, kind, target, value});
  }

  void write_job(const JobRt& r) {
    JobRecord rec;
    rec.id = r.job.request.id;
    rec.profile = r.job.request.profile;
    rec.year = r.job.profile.model_year > 0 ? r.job.profile.model_year : cal_.year_at(r.job.request.submit_s);
    rec.submit_s = r.job.request.submit_s;
    rec.start_s = r.first_start_s;
    rec.end_s = r.end_s;
    rec.gpus = r.gpus > 0 ? r.gpus : r.job.request.gpus;
    rec.energy_j = r.energy.energy_j;
    rec.emissions_g = r.emis_g;
    if (inputs_.marginal_gco2_per_kwh) rec.emissions_marginal_g = r.emis_marg_g;
    rec.mean_freq_mhz = r.run_time > 0 ? r.freq_int / r.run_time : 0;
    rec.delay_s = r.first_start_s >= 0 ? r.first_start_s - r.job.request.submit_s : -1;
    rec.optimisation = r.job.profile.optimisation;
    rec.quality_cost = r.job.profile.quality_cost;
    rec.outcome = to_string(r.outcome);
    rec.reason = r.reason;
    job_energy_total_ += rec.energy_j;
    if (r.outcome == JobOutcome::completed) {
      delay_sum_ += rec.delay_s;
      ++delay_n_;
    }
    rec_.add_job(rec);
  }

  void finalize(Seconds t) {
    // Transfers of jobs still running at the end: SimGrid 3.32 prints a backtrace when an
    // unfinished communication is destroyed (as the daemon workers are killed at the end), and
    // cancelling them raises in the waiting workers. One simulation per process: keep them
    // alive until the process exits.
    static auto* in_flight = new std::vector<sg4::CommPtr>();
    for (auto& w : workers_)
      for (auto& c : w->comms) in_flight->push_back(c);
    integrate_to(t);
    averager_->flush_partial(t);
    hourly_->flush_partial(t);
    for (std::size_t n = 0; n < nodes_.size(); ++n) nodes_[n].energy.advance(t);
    // Jobs still running or queued at the end.
    for (std::uint32_t j = 0; j < jobs_.size(); ++j) {
      JobRt& r = jobs_[j];
      if (r.state == JobState::running) {
        settle_job(r, t);
        r.run_time += t - r.start_s;
        r.reason = "running at the end of the simulated span";
        r.end_s = -1;
        ++unfinished_;
        write_job(r);
      } else if (r.state == JobState::queued || r.state == JobState::waiting_deps) {
        r.reason = r.state == JobState::queued ? "queued at the end of the simulated span"
                                               : "waiting for dependencies at the end of the simulated span";
        ++unfinished_;
        write_job(r);
      } else if (r.state == JobState::future) {
        ++not_submitted_;
      }
    }
    final_t_ = t;
    check_invariants();
    build_summary();
  }

  void check_invariants() {
    std::ostringstream err;
    if (!interrupted_ && final_t_ < end_s_ - 1e-6)
      err << "simulated time stopped at " << final_t_ << " s before the end " << end_s_ << " s; ";
    {
      NodeSummary recount = summarise(views_);
      recount.topology_version = node_summary_.topology_version;
      if (recount != node_summary_) err << "the policies' node summary drifted from the nodes' states; ";
    }
    const std::uint64_t accounted = completed_ + unfinished_ + rejected_ + killed_;
    if (accounted != submitted_)
      err << "jobs lost: " << submitted_ << " submitted but " << accounted << " accounted for; ";
    Joules nodes_e = 0;
    for (const auto& nd : nodes_) nodes_e += nd.energy.energy_j;
    const Joules it_e = totals_[ch_it] + pstate_transition_j_;
    if (std::abs(nodes_e - it_e) > 1e-6 * std::max(1.0, it_e))
      err << "IT energy not conserved: nodes " << nodes_e << " J vs site " << it_e << " J; ";
    const Joules parts = totals_[ch_it] + totals_[ch_cooling] + totals_[ch_loss] + totals_[ch_misc];
    if (std::abs(parts - totals_[ch_facility]) > 1e-6 * std::max(1.0, parts))
      err << "facility energy differs from the sum of its components; ";
    const Joules supply = totals_[ch_grid_import] + totals_[ch_pv] + totals_[ch_wind] +
                          totals_[ch_bat_discharge] - totals_[ch_bat_charge] - totals_[ch_curtailed] -
                          totals_[ch_grid_export];
    if (std::abs(supply - totals_[ch_facility]) > 1e-6 * std::max(1.0, supply))
      err << "supply does not match demand; ";
    if (battery_) {
      const BatterySpec& bs = sc_.site.supply.battery;
      const double soc = battery_->soc();
      if (soc < bs.soc_min - 1e-6 || soc > bs.soc_max + 1e-6)
        err << "battery state of charge " << soc << " left its bounds; ";
    }
    if (!err.str().empty() && !interrupted_) throw InvariantError("run-end check failed: " + err.str());
  }

  void build_summary() {
    auto& s = summary_.values;
    const double kwh = 1.0 / kJoulesPerKwh;
    s["it_energy_kwh"] = totals_[ch_it] * kwh;
    s["accelerator_energy_kwh"] = totals_[ch_accel] * kwh;
    s["host_energy_kwh"] = totals_[ch_host] * kwh;
    s["cooling_energy_kwh"] = totals_[ch_cooling] * kwh;
    s["loss_energy_kwh"] = totals_[ch_loss] * kwh;
    s["misc_energy_kwh"] = totals_[ch_misc] * kwh;
    s["facility_energy_kwh"] = totals_[ch_facility] * kwh;
    s["pue"] = totals_[ch_it] > 0 ? totals_[ch_facility] / totals_[ch_it] : 0;
    s["peak_facility_power_kw"] = peak_facility_w_ / 1000.0;
    s["mean_facility_power_kw"] = final_t_ > 0 ? totals_[ch_facility] / final_t_ / 1000.0 : 0;
    s["grid_import_kwh"] = totals_[ch_grid_import] * kwh;
    s["grid_export_kwh"] = totals_[ch_grid_export] * kwh;
    s["pv_energy_kwh"] = totals_[ch_pv] * kwh;
    s["wind_energy_kwh"] = totals_[ch_wind] * kwh;
    s["curtailed_kwh"] = totals_[ch_curtailed] * kwh;
    s["emissions_tco2"] = totals_[ch_emissions] / 3600.0 / 1000.0;  // kg/h · s → kg → t
    s["cost_usd"] = totals_[ch_cost] / 3600.0;
    s["mean_utilisation"] = final_t_ > 0 ? totals_[ch_util] / final_t_ : 0;
    s["jobs_submitted"] = static_cast<double>(submitted_);
    s["jobs_completed"] = static_cast<double>(completed_);
    s["jobs_unfinished"] = static_cast<double>(unfinished_);
    s["jobs_rejected"] = static_cast<double>(rejected_);
    s["jobs_killed"] = static_cast<double>(killed_);
    s["jobs_not_submitted"] = static_cast<double>(not_submitted_);
    s["preemptions"] = static_cast<double>(preemptions_);
    s["resizes"] = static_cast<double>(resizes_);
    s["mean_job_delay_h"] = delay_n_ > 0 ? delay_sum_ / static_cast<double>(delay_n_) / 3600.0 : 0;
    s["pstate_changes"] = static_cast<double>(pstate_changes_);
    s["simulated_s"] = final_t_;
    s["gpus"] = gpus_total_;
    s["nodes"] = static_cast<double>(nodes_.size());
    s["job_energy_kwh"] = job_energy_total_ * kwh;
    if (battery_) s["battery_health"] = battery_->health();
    // Carbon accounting (physics/carbon.hpp): market-based with contracted renewables, the
    // hourly 24/7 carbon-free-energy score, embodied carbon amortised over the simulated span.
    const GridSpec& g = sc_.site.supply.grid;
    const double grid_kwh = totals_[ch_grid_import] * kwh;
    const double loc_kg = totals_[ch_emissions] / 3600.0;
    const double mean_ci = grid_kwh > 0 ? loc_kg * 1000.0 / grid_kwh : 0.0;
    s["emissions_market_tco2"] = market_based_kg(grid_kwh, mean_ci, g.contracted_renewable_fraction) / 1000.0;
    s["cfe_score"] = cfe_score(cfe_load_kwh_, cfe_clean_kwh_);
    EmbodiedInventory inv;
    inv.accelerators = gpus_total_;
    inv.hosts = static_cast<int>(nodes_.size());
    inv.battery_kwh = sc_.site.supply.battery.capacity_mwh * 1000.0;
    s["embodied_tco2"] = embodied_kg(sc_.site.embodied, inv, final_t_) / 1000.0;
    s["total_emissions_tco2"] = s["emissions_tco2"] + s["embodied_tco2"];
    // Marginal (consequential) emissions of the grid import: ∫ import · MEF dt.
    if (inputs_.marginal_gco2_per_kwh) s["emissions_marginal_tco2"] = totals_[ch_marginal_emissions] / 3600.0 / 1000.0;
    summary_.text["interrupted"] = interrupted_ ? "yes" : "no";
  }

 public:
  // ------------------------------------------------------------------------- state (public
  // for the run function that wires inputs and output before the simulation starts)
  using Values = std::vector<double>;
  const Scenario& sc_;
  Policy& policy_;
  Recorder& rec_;
  const RunOptions& opt_;
  Calendar cal_;
  Seconds end_s_ = 0;
  SiteInputs inputs_;
  std::optional<Battery> battery_;
  int battery_mode_ = 0;
  Forecasts forecasts_;
  std::function<double(Seconds)> hour_fn_;
  std::unique_ptr<IntervalAverager> averager_;
  std::unique_ptr<EntityAverager> rack_avg_, node_avg_;
  // Hourly load and carbon-free supply for the 24/7 CFE score.
  std::vector<double> cfe_load_kwh_, cfe_clean_kwh_, hour_buf_ = std::vector<double>(2, 0.0);
  std::unique_ptr<IntervalAverager> hourly_ = std::make_unique<IntervalAverager>(
      2, 0.0, 3600.0, [this](Seconds, const std::vector<double>& avg) {
        cfe_load_kwh_.push_back(avg[0] / 1000.0);
        cfe_clean_kwh_.push_back(std::min(avg[0], avg[1]) / 1000.0);
      });
  std::vector<double> rack_power_, entity_row_;
  Values values_ = Values(ch_count, 0.0);
  Values totals_ = Values(ch_count, 0.0);
  bool interrupted_ = false;
  Seconds decide_now_ = 0;

 private:
  std::unique_ptr<SiteTopology> topo_;
  BuiltPlatform built_;
  std::vector<const NodeSpec*> node_types_;
  std::vector<std::unique_ptr<AcceleratorPower>> accel_power_;
  std::map<std::string, std::size_t> type_index_;
  std::vector<NodeRt> nodes_;
  std::vector<NodeView> views_;
  std::vector<JobRt> jobs_;
  std::unordered_map<JobId, std::uint32_t> index_of_;
  std::vector<const JobRequest*> queue_;
  std::vector<RunningJobView> running_;
  std::vector<Event> events_, events_next_;
  std::vector<Decision> decisions_;
  ClusterView view_;
  std::priority_queue<SimTimer, std::vector<SimTimer>, std::greater<>> timers_;
  std::uint64_t timer_seq_ = 0, trace_gen_ = 0, battery_gen_ = 0;
  std::deque<Completion> completions_;
  std::vector<std::unique_ptr<WorkerSlot>> workers_;
  std::vector<WorkerSlot*> idle_workers_;
  std::unordered_map<std::uint32_t, WorkerSlot*> worker_of_;
  sg4::SemaphorePtr sem_;
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
  Watts site_cap_w_ = 0;
  int nodes_on_ = 0;
  double busy_freq_sum_ = 0, busy_gpus_ = 0;
  Watts accel_total_ = 0, host_total_ = 0;
  Watts peak_facility_w_ = 0;
  Seconds last_t_ = 0, final_t_ = 0;
  double marginal_now_ = 0;
  double carbon_now_ = 0, price_now_ = 0, temp_now_ = 0, pv_now_ = 0, wind_now_ = 0, cfe_now_ = 0;
  double emis_factor_cum_ = 0, emis_marg_factor_cum_ = 0;
  Joules pstate_transition_j_ = 0, job_energy_total_ = 0;
  std::uint64_t submitted_ = 0, completed_ = 0, unfinished_ = 0, rejected_ = 0, killed_ = 0,
                not_submitted_ = 0, preemptions_ = 0, pstate_changes_ = 0, resizes_ = 0;
  double delay_sum_ = 0;
  std::uint64_t delay_n_ = 0;
  RunSummary summary_;
  bool battery_hit_ = false;
  bool redecide_ = false;
  bool in_resize_ = false;
  bool finished_ = false;
};

}  // namespace

RunSummary run_simulation(const Scenario& scenario, std::vector<Job> jobs, Policy& policy,
                          Recorder& recorder, const RunOptions& options) {
  try {
    // SimGrid's engine is a process-wide singleton: one simulation per process.
    std::vector<std::string> args = {"dcsim", "--log=root.thres:critical",
                                     "--cfg=contexts/stack-size:256"};
    for (const auto& a : options.simgrid_args) args.push_back(a);
    // Extra SimGrid configuration from the environment (e.g. the sanitizer stage selects
    // another context factory): DCSIM_SIMGRID_ARGS="--cfg=contexts/factory:ucontext".
    if (const char* extra = std::getenv("DCSIM_SIMGRID_ARGS"); extra && *extra) {
      std::istringstream in(extra);
      for (std::string a; in >> a;) args.push_back(a);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    int argc = static_cast<int>(argv.size());
    // SimGrid installs its own SIGINT handler (it exits the process with status 1): keep the
    // caller's handlers so an interrupt stops the run cleanly (RunOptions::stop).
    struct sigaction old_int {}, old_term {};
    sigaction(SIGINT, nullptr, &old_int);
    sigaction(SIGTERM, nullptr, &old_term);
    sg4::Engine engine(&argc, argv.data());
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    if (options.simgrid_energy_plugin) sg_host_energy_plugin_init();

    Sim sim(scenario, jobs, policy, recorder, options);
    sim.build_platform();
    sim.inputs_ = load_site_inputs(scenario, sim.cal_);
    const BatterySpec& b = scenario.site.supply.battery;
    if (b.capacity_mwh > 0) sim.battery_.emplace(b);
    StepInput* carbon = sim.inputs_.carbon_gco2_per_kwh.get();
    StepInput* price = sim.inputs_.price_usd_per_kwh.get();
    StepInput* pv = sim.inputs_.solar_w.get();
    StepInput* wind = sim.inputs_.wind_w.get();
    // Policies see forecasts: the actual mean over the window times a deterministic relative
    // error (traces/forecast.hpp) drawn per (window, issue time); accounting uses the actual.
    static const traces::TimeSeries unit = traces::TimeSeries::constant(1.0);
    const double sd = scenario.policies.forecast_error;
    auto fc_carbon = std::make_shared<traces::Forecast>(unit, traces::ForecastOptions{sd, 0.0, scenario.seed, "forecast-carbon"});
    auto fc_price = std::make_shared<traces::Forecast>(unit, traces::ForecastOptions{sd, 0.0, scenario.seed, "forecast-price"});
    auto fc_gen = std::make_shared<traces::Forecast>(unit, traces::ForecastOptions{sd, 0.0, scenario.seed, "forecast-generation"});
    const Seconds* issued = &sim.decide_now_;
    sim.forecasts_.carbon_gco2_per_kwh = [carbon, fc_carbon, issued](Seconds a, Seconds z) {
      return carbon->mean_over(a, z) * fc_carbon->noise_factor(a, z, *issued);
    };
    sim.forecasts_.price_usd_per_kwh = [price, fc_price, issued](Seconds a, Seconds z) {
      return price->mean_over(a, z) * fc_price->noise_factor(a, z, *issued);
    };
    sim.forecasts_.onsite_generation_w = [pv, wind, fc_gen, issued](Seconds a, Seconds z) {
      return (pv->mean_over(a, z) + wind->mean_over(a, z)) * fc_gen->noise_factor(a, z, *issued);
    };
    const Calendar* cal = &sim.cal_;
    sim.hour_fn_ = [cal](Seconds t) { return cal->hour_of_day(t); };

    RunMetadata meta;
    meta.scenario_name = scenario.name;
    meta.scenario_yaml = scenario.resolved_yaml;
    meta.seed = scenario.seed;
    meta.time_units = sim.cal_.cf_time_units();
    meta.sample_s = scenario.time.sample_s;
    meta.simgrid_version = simgrid_version();
    meta.input_checksums = options.input_checksums;
    for (std::size_t i = 0; i < sim.inputs_.reports.size(); ++i)
      meta.attributes["trace_report_" + std::to_string(i)] = sim.inputs_.reports[i];
    auto specs = site_series_specs();
    const bool marginal = sim.inputs_.marginal_gco2_per_kwh != nullptr;
    if (marginal)
      for (const SeriesSpec& m : marginal_series_specs()) specs.push_back(m);
    recorder.begin(meta, specs);
    sim.begin_entities(recorder);
    std::vector<double> row;
    Recorder* rec = &recorder;
    Sim* simp = &sim;
    const Seconds dt = scenario.time.sample_s, end = sim.end_s_;
    sim.averager_ = std::make_unique<IntervalAverager>(
        ch_count, 0.0, scenario.time.sample_s,
        [rec, &row, simp, dt, end, marginal](Seconds t, const std::vector<double>& avg) {
          row.assign(avg.begin(), avg.begin() + ch_written);
          if (marginal) {
            row.push_back(avg[ch_marginal]);
            row.push_back(avg[ch_marginal_emissions]);
          }
          // Ratios per interval are ratios of energies, not means of instantaneous ratios.
          const double nan = std::numeric_limits<double>::quiet_NaN();
          row[ch_pue] = avg[ch_it] > 0 ? avg[ch_facility] / avg[ch_it] : nan;
          row[ch_freq] = avg[ch_busy_gpus] > 0 ? avg[ch_busy_freq] / avg[ch_busy_gpus] : nan;
          rec->append_sample(t, row);
          simp->emit_entities(*rec, t, std::min(t + dt, end));
        });
    sim.run();
    if (sim.interrupted_) throw RunInterrupted("run interrupted");
    RunSummary s = sim.summary();
    if (options.simgrid_energy_plugin) {
      double e = 0;
      for (sg4::Host* h : engine.get_all_hosts()) e += sg_host_get_consumed_energy(h);
      s.values["simgrid_host_energy_j"] = e;
    }
    s.text["scenario"] = scenario.name;
    recorder.finish(s);
    return s;
  } catch (...) {
    recorder.abort();
    throw;
  }
}

}  // namespace dcsim
