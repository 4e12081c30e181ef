// The engine's step: completions, arrivals, timers, policy rounds, the span's end and the drain;
// the job state machine (submit → queue → run → finish) and the node state machine.
//
// DVFS timing: a job's time at frequency f is T0·(c·f_max/f + m + io) (physics/dvfs.hpp). The
// compute part c runs as the executor's compute part, whose speed follows the node's p-state, so
// a p-state change mid-run slows it exactly; the memory and I/O parts m + io (and checkpoint
// overhead, restart cost) are the work item's tail, which no frequency change affects.
//
// The drain (time.drain, scenarios/README.md): after the span's end no job is submitted and no
// queued job starts (the policies see an empty queue); jobs running at the end continue until
// they finish or the drain's time is up, whichever comes first; the run, its series and its
// totals end then. Queued jobs are reported unfinished ("queued at the end of the simulated
// span"), jobs still running when the drain ends "running at the end of the drain".
#include "engine/core.hpp"

#include "physics/carbon.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "physics/dvfs.hpp"
#include "physics/node_power.hpp"

namespace dcsim::engine {

RunCore::RunCore(const Scenario& sc, std::vector<Job>& jobs, Policy& policy, Recorder& rec,
                 const RunOptions& opt, const SiteTopology& topo, SiteInputs& inputs, Executor& exec)
    : sc_(sc), policy_(policy), rec_(rec), opt_(opt), topo_(topo), inputs_(inputs), exec_(exec), cal_(sc.time.start) {
  end_s_ = sc.time.duration_s > 0 ? sc.time.duration_s : cal_.span_of_years(static_cast<int>(sc.time.years));
  drain_s_ = std::max(0.0, sc.time.drain_s);
  jobs_.reserve(jobs.size());
  for (auto& j : jobs) {
    JobRt r;
    r.job = std::move(j);
    jobs_.push_back(std::move(r));
  }
  jobs.clear();
  jobs.shrink_to_fit();  // the caller's (moved-from) stream is not needed any more
  const auto by_submit = [](const JobRt& a, const JobRt& b) { return a.job.request.submit_s < b.job.request.submit_s; };
  if (!std::is_sorted(jobs_.begin(), jobs_.end(), by_submit)) std::stable_sort(jobs_.begin(), jobs_.end(), by_submit);
  for (std::uint32_t i = 0; i < jobs_.size(); ++i) index_of_[jobs_[i].job.request.id] = i;
  if (index_of_.size() != jobs_.size()) throw InputError(Diagnostic{sc.file, 0, 0, "workload", "job ids are not unique"});
  for (std::uint32_t i = 0; i < jobs_.size(); ++i) {
    for (JobId d : jobs_[i].job.request.depends_on) {
      auto it = index_of_.find(d);
      if (it == index_of_.end())
        throw InputError(Diagnostic{sc.file, 0, 0, "workload",
                                    "job " + std::to_string(jobs_[i].job.request.id) + " depends on unknown job " +
                                        std::to_string(d)});
      jobs_[it->second].dependents.push_back(i);
      ++jobs_[i].deps_left;
    }
  }
  build_nodes();
  const bool marginal = inputs_.marginal_gco2_per_kwh != nullptr;
  site_ = std::make_unique<SiteAccount>(sc.site, design_it_w_, sc.time.sample_s, marginal,
                                        [this](Seconds t, const std::vector<double>& row) {
                                          const Seconds end = std::min(t + sc_.time.sample_s, finished_ ? final_t_ : run_end());
                                          if (thermal_on()) {
                                            thermal_row_buf_.assign(row.begin(), row.end());
                                            thermal_row(t, end, thermal_row_buf_);
                                            rec_.append_sample(t, thermal_row_buf_);
                                          } else {
                                            rec_.append_sample(t, row);
                                          }
                                          if (rack_avg_) {
                                            entity_row_.resize(rack_avg_->size());
                                            rack_avg_->emit(t, end, entity_row_);
                                            rec_.append_entity_sample("rack", t, entity_row_);
                                          }
                                          if (node_avg_) {
                                            entity_row_.resize(node_avg_->size());
                                            node_avg_->emit(t, end, entity_row_);
                                            rec_.append_entity_sample("node", t, entity_row_);
                                          }
                                          serving_emit(t);
                                        });
  const Calendar* cal = &cal_;
  hour_fn_ = [cal](Seconds t) { return cal->hour_of_day(t); };
  // No silent zeros (scenarios/README.md, "Warnings"): what the user left out is said.
  if (jobs_.empty() && !sc.serving.enabled())
    warn("no jobs: the workload (generator " + std::string(name_of(sc.workload.generator)) +
         (sc.workload.generator == WorkloadGenerator::research_lab && !(sc.workload.jobs_per_year > 0) ? ", jobs_per_year 0" : "") +
         ") submits none over the span, so the figures are those of an idle site (give workload.generator "
         "with jobs, jobs_per_year or traces)");
  const GridSpec& g = sc.site.supply.grid;
  if (!g.carbon_gco2_per_kwh && g.carbon_file.empty() && g.carbon_files.empty())
    warn("no carbon source: neither site.supply.grid.carbon_gco2_per_kwh nor carbon_file(s) is given, "
         "so grid electricity is counted at 0 gCO2e/kWh and the operational emissions are 0");
  if (!g.carbon_files.empty()) {
    // A yearly file no run year reads (each year reads its own or the nearest earlier one).
    const int y0 = cal_.year_at(0), y1 = cal_.year_at(std::max<Seconds>(0, end_s_ - 1e-6));
    std::string unread;
    for (auto it = g.carbon_files.begin(); it != g.carbon_files.end(); ++it) {
      const auto next = std::next(it);
      const bool first = it == g.carbon_files.begin();
      const int from = first ? y0 : std::max(it->first, y0);  // the first file also serves earlier years
      const int to = next == g.carbon_files.end() ? y1 : std::min(next->first - 1, y1);
      if (from > to) unread += (unread.empty() ? "" : ", ") + std::to_string(it->first);
    }
    if (!unread.empty())
      warn("site.supply.grid.carbon_files: no year of the run (" + std::to_string(y0) + ".." + std::to_string(y1) +
           ") reads the file(s) of " + unread + " (a year reads its own file or the nearest earlier one)");
  }
}

void RunCore::build_nodes() {
  const PlatformSpec& ps = sc_.site.platform;
  std::map<std::string, std::size_t> type_index;
  for (const auto& [name, nt] : ps.node_types) {
    node_types_.push_back(&nt);
    accel_power_.push_back(std::make_unique<AcceleratorPower>(ps.accelerators.at(nt.accelerator)));
    type_index[name] = node_types_.size() - 1;
  }
  const std::size_t n = topo_.node_count();
  if (n == 0) throw InputError(Diagnostic{sc_.file, 0, 0, "site.platform", "expected at least one node, got none"});
  nodes_.resize(n);
  views_.resize(n);
  // Nodes are laid out group after group (topology/site_graph.cpp); empty groups hold none.
  std::vector<std::uint32_t> group_of(n, 0);
  {
    std::uint32_t first = 0;
    for (std::size_t g = 0; g < ps.nodes.size(); ++g) {
      group_first_.push_back(first);
      for (int k = 0; k < ps.nodes[g].count && first < n; ++k) group_of[first++] = static_cast<std::uint32_t>(g);
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t ti = type_index.at(topo_.node_type(static_cast<NodeId>(i)));
    NodeRt& nd = nodes_[i];
    nd.type = ti;
    nd.group = group_of[i];
    nd.spec = node_types_[ti];
    nd.acc = &ps.accelerators.at(nd.spec->accelerator);
    nd.power = accel_power_[ti].get();
    nd.type_limit_w = nd.power->clamp_cap_w(nd.spec->power_limit_w > 0 ? nd.spec->power_limit_w
                                                                        : nd.power->default_limit_w());
    nd.device_limit_w = nd.type_limit_w;
    NodeView& v = views_[i];
    v.id = static_cast<NodeId>(i);
    v.rack = topo_.rack_of(static_cast<NodeId>(i));
    v.cooling_domain = topo_.cooling_domain_of(static_cast<NodeId>(i));
    const NodeGroup& grp = ps.nodes[nd.group];
    // Outside its window [install, retire) a node is off with no GPUs: not schedulable, and it
    // draws nothing (update_node_power). install_node/retire_node move it in and out.
    nd.present = grp.install_s <= 0 && grp.retire_s > 0;
    v.state = nd.present ? NodeState::on : NodeState::off;
    v.gpus_total = nd.present ? nd.spec->accelerators_per_node : 0;
    v.gpus_free = v.gpus_total;
    v.pstate_count = nd.power->pstate_count();  // the governors need the table length
    gpus_total_ += v.gpus_total;
    if (nd.present) {
      gpus_on_ += v.gpus_total;
      ++nodes_on_;
    }
    gpus_per_node_ = std::max(gpus_per_node_, nd.spec->accelerators_per_node);
  }
  // The design IT power (loss ratings, fixed loads) is the peak installed nameplate power over
  // the span: with a fixed node set, every node's.
  {
    std::vector<std::pair<Seconds, Watts>> changes;
    for (std::size_t g = 0; g < ps.nodes.size(); ++g) {
      const NodeGroup& grp = ps.nodes[g];
      if (grp.count == 0 || group_first_[g] >= n) continue;
      const NodeRt& nd = nodes_[group_first_[g]];
      const Watts w = grp.count * (nd.spec->accelerators_per_node * nd.acc->tdp_w + nd.spec->host_busy_w +
                                   nd.spec->nic_w + nd.spec->fan_max_w);
      const Seconds from = std::max(grp.install_s, 0.0);
      if (from >= run_end() || grp.retire_s <= from) continue;
      changes.emplace_back(from, w);
      if (grp.retire_s < run_end()) changes.emplace_back(grp.retire_s, -w);
    }
    std::stable_sort(changes.begin(), changes.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : a.second < b.second;
    });
    Watts w = 0;
    for (const auto& c : changes) design_it_w_ = std::max(design_it_w_, w += c.second);
  }
  rack_groups_.resize(topo_.rack_count());
  gpus_free_ = gpus_on_;
  gpus_installed_peak_ = gpus_total_;
  node_summary_ = summarise(views_);
  node_summary_.topology_version = 1;  // bumped at each install or retirement
  idle_pos_.assign(n, -1);
  dirty_flag_.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i)
    if (node_idle_on(views_[i])) {
      idle_pos_[i] = static_cast<std::int32_t>(idle_nodes_.size());
      idle_nodes_.push_back(static_cast<std::uint32_t>(i));
    }
}

void RunCore::begin_entities() {
  if (sc_.output.per_rack && topo_.rack_count() > 0) {
    rack_avg_ = std::make_unique<EntityAverager>(topo_.rack_count(), 0.0);
    rack_power_.assign(topo_.rack_count(), 0.0);
    std::vector<std::int64_t> ids(topo_.rack_count());
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int64_t>(i);
    rec_.begin_entities("rack", ids, {{"rack_it_power_w", "W", "IT power of the rack (nodes incl. booting/off)"}});
  }
  if (sc_.output.per_node) {
    node_avg_ = std::make_unique<EntityAverager>(nodes_.size(), 0.0);
    std::vector<std::int64_t> ids(nodes_.size());
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int64_t>(i);
    rec_.begin_entities("node", ids, {{"node_power_w", "W", "power of the node (accelerators + host)"}});
  }
  serving_entities();
}

// Every change of a node's view goes between these two (node_changing before, node_changed
// after): the summary, the list of idle nodes and the list of nodes changed since the last round
// stay exact, in O(1).
void RunCore::node_changing(std::size_t n) { add_to_summary(node_summary_, views_[n], -1); }
void RunCore::node_changed(std::size_t n) {
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

Seconds RunCore::run_end() const { return end_s_ + drain_s_; }

// ---------------------------------------------------------------------------------- the step
Seconds RunCore::step(Seconds now, std::span<const WorkHandle> done) {
  if (finished_) return kStop;
  if (steps_ == 0) setup();
  ++steps_;
  if (opt_.stop && opt_.stop->load(std::memory_order_relaxed)) {
    interrupted_ = true;
    finalize(std::min(now, run_end()));
    return kStop;
  }
  site_->integrate_to(std::min(now, run_end()));
  // 1. completions
  for (const WorkHandle& h : done)
    if (h.job < jobs_.size() && jobs_[h.job].state == JobState::running && jobs_[h.job].run_gen == h.generation)
      finish_job(h.job, now);
  // 2. arrivals (the span only)
  while (next_arrival_ < jobs_.size() && jobs_[next_arrival_].job.request.submit_s <= now + kEps &&
         jobs_[next_arrival_].job.request.submit_s < end_s_) {
    submit_job(static_cast<std::uint32_t>(next_arrival_));
    ++next_arrival_;
  }
  // 3. timers
  while (!timers_.empty() && timers_.top().t <= now + kEps) {
    SimTimer tm = timers_.top();
    timers_.pop();
    handle_timer(tm, now);
  }
  // The span's end: nothing more is submitted; with a drain, running jobs go on.
  if (!draining_ && now >= end_s_ - kEps && drain_s_ > 0) {
    draining_ = true;
    if (!queue_.empty()) events_.push_back(dcsim::Timer{now});  // the policies see the empty queue
  }
  const bool at_end = now >= run_end() - kEps || (draining_ && running_.empty());
  if (!events_.empty() && !at_end) {
    decide(now);
    // A resize freed or took GPUs: the stack sees it at once (one more round, at most).
    if (redecide_ && !events_.empty()) decide(now);
    redecide_ = false;
  }
  recompute_site(std::min(now, run_end()));
  if (at_end) {
    finalize(std::min(now, run_end()));
    return kStop;
  }
  if (opt_.progress && (steps_ & 0x3ff) == 0) opt_.progress(now, now / run_end());
  Seconds next = run_end();
  if (!draining_) next = std::min(next, end_s_);
  if (next_arrival_ < jobs_.size()) next = std::min(next, jobs_[next_arrival_].job.request.submit_s);
  if (!timers_.empty()) next = std::min(next, timers_.top().t);
  return std::max(next, now);
}

void RunCore::read_inputs(Seconds now) {
  SupplyConditions& c = site_->conditions();
  c.carbon_gco2_per_kwh = inputs_.carbon_gco2_per_kwh->value_at(now);
  c.price_usd_per_kwh = inputs_.price_usd_per_kwh->value_at(now);
  c.grid_cfe_share = inputs_.grid_cfe_share->value_at(now);
  if (inputs_.marginal_gco2_per_kwh) c.marginal_gco2_per_kwh = inputs_.marginal_gco2_per_kwh->value_at(now);
  site_->set_generation(inputs_.solar_w->value_at(now), inputs_.wind_w->value_at(now));
  site_->outdoor_temp_c() = inputs_.outdoor_temp_c->value_at(now);
}

void RunCore::setup() {
  read_inputs(0);
  site_->start_battery_clean_fraction();
  schedule_trace_step(0);
  thermal_setup();
  // Rounds that only time triggers (ticks, trace steps) are skipped when no policy needs them.
  // Without ticks the policies still get one round at t = 0, to see the initial state (idle
  // nodes whose power-down timers start then).
  periodic_rounds_ = policy_.needs_periodic_rounds();  // sim/policy/README.md, contract
  if (periodic_rounds_ && sc_.policies.tick_s > 0) push_timer(sc_.policies.tick_s, SimTimer::tick, 0, 0);
  if (!periodic_rounds_) push_timer(0, SimTimer::policy_wake, 0, 0);
  fleet_setup();
  serving_setup();  // serving first: its replicas take their GPUs before any job starts
  for (std::size_t i = 0; i < nodes_.size(); ++i) refresh_node(i, 0);
  recompute_site(0);
}

// ---------------------------------------------------------------------------------- timers
void RunCore::push_timer(Seconds t, SimTimer::Kind k, std::uint32_t target, std::uint64_t gen) {
  timers_.push(SimTimer{t, timer_seq_++, k, target, gen});
}

void RunCore::schedule_trace_step(Seconds now) {
  Seconds nx = kInf;
  for (StepInput* in : {inputs_.carbon_gco2_per_kwh.get(), inputs_.price_usd_per_kwh.get(), inputs_.outdoor_temp_c.get(),
                        inputs_.solar_w.get(), inputs_.wind_w.get(), inputs_.grid_cfe_share.get()})
    nx = std::min(nx, in->next_change_after(now));
  if (inputs_.marginal_gco2_per_kwh) nx = std::min(nx, inputs_.marginal_gco2_per_kwh->next_change_after(now));
  if (nx < run_end()) push_timer(nx, SimTimer::trace, 0, ++trace_gen_);
}

void RunCore::handle_timer(const SimTimer& tm, Seconds now) {
  switch (tm.kind) {
    case SimTimer::policy_wake: events_.push_back(dcsim::Timer{tm.t}); break;
    case SimTimer::tick:
      events_.push_back(dcsim::Timer{tm.t});
      push_timer(tm.t + sc_.policies.tick_s, SimTimer::tick, 0, 0);
      break;
    case SimTimer::boot_done: {
      NodeRt& nd = nodes_[tm.target];
      if (nd.boot_gen != tm.generation || views_[tm.target].state != NodeState::booting) break;
      set_node_state(tm.target, NodeState::on, now);
      events_.push_back(NodeBooted{tm.target});
      record_event(now, EventKind::booted, tm.target, 0);
      break;
    }
    case SimTimer::shutdown_done: {
      NodeRt& nd = nodes_[tm.target];
      if (nd.boot_gen != tm.generation || views_[tm.target].state != NodeState::shutting_down) break;
      set_node_state(tm.target, NodeState::off, now);
      events_.push_back(NodeShutDown{tm.target});
      record_event(now, EventKind::shut_down, tm.target, 0);
      break;
    }
    case SimTimer::fleet: fleet_event(tm, now); break;
    case SimTimer::battery_bound: break;  // the site balance is recomputed by recompute_site()
    case SimTimer::transition_end: {
      NodeRt& nd = nodes_[tm.target];
      if (nd.transition_gen != tm.generation) break;
      nd.transition_w = 0;
      update_node_power(tm.target, now);
      break;
    }
    case SimTimer::trace: {
      if (tm.generation != trace_gen_) break;
      const Celsius before = site_->outdoor_temp_c();
      read_inputs(now);
      schedule_trace_step(now);
      // A facility cap allows another IT power when the weather changes.
      if (site_->outdoor_temp_c() != before && site_group_.active() && site_group_.basis == CapBasis::facility)
        update_site_budget(now);
      if (site_->outdoor_temp_c() != before) thermal_inputs_changed(now);
      if (periodic_rounds_) events_.push_back(TraceStep{});
      break;
    }
    case SimTimer::serving_step: serving_step(now); break;
    case SimTimer::thermal: thermal_timer(tm, now); break;
  }
}

// ------------------------------------------------------------------------------------ jobs
void RunCore::submit_job(std::uint32_t j) {
  JobRt& r = jobs_[j];
  ++submitted_;
  if (r.deps_left > 0) {
    r.state = JobState::waiting_deps;
    return;
  }
  enqueue(j);
}

void RunCore::enqueue(std::uint32_t j) {
  JobRt& r = jobs_[j];
  r.state = JobState::queued;
  queue_.push_back(&r.job.request);
  events_.push_back(JobSubmitted{r.job.request.id});
}

void RunCore::decide(Seconds now) {
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
  // During the drain no queued job may start: the policies see an empty queue.
  v.queue = draining_ ? std::span<const JobRequest* const>() : std::span<const JobRequest* const>(queue_);
  v.running = running_;
  v.gpus_per_node = gpus_per_node_;
  v.gpus_free = gpus_free_;
  v.it_power_w = site_->value(ch_it);
  v.facility_power_w = site_->value(ch_facility);
  v.onsite_generation_w = site_->conditions().generation_w;
  v.battery_soc = site_->battery() ? site_->battery()->soc() : 0.0;
  v.carbon_now_gco2_per_kwh = site_->conditions().carbon_gco2_per_kwh;
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

std::uint32_t RunCore::job_index(JobId id) const {
  auto it = index_of_.find(id);
  if (it == index_of_.end()) throw InvariantError(std::string(policy_.name()) + " referred to unknown job " + std::to_string(id));
  return it->second;
}

// Puts a job on `alloc` (total GPUs) and starts its work. view_start_s / expected_end_s < 0: a
// fresh start (now, now + walltime estimate or t0).
void RunCore::begin_run(std::uint32_t j, const Allocation& alloc, int total, Seconds now, Seconds view_start_s,
                        Seconds expected_end_s) {
  JobRt& r = jobs_[j];
  r.state = JobState::running;
  r.alloc = alloc;
  r.gpus = total;
  r.start_s = now;
  r.delay_in_run_s = 0;
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
                                    : now + (r.job.request.walltime_estimate_s > 0 ? r.job.request.walltime_estimate_s
                                                                                    : r.t0_s)});
  r.energy = EnergyAccumulator{0, now, r.energy.energy_j};
  r.emis_mark = site_->emissions_factor_cum();
  r.emis_marg_mark = site_->marginal_factor_cum();
  r.freq_last = now;
  for (const Slice& s : alloc) refresh_node(s.node, now);
  start_work(j);
}

void RunCore::start_work(std::uint32_t j) {
  JobRt& r = jobs_[j];
  const JobProfile& p = r.job.profile;
  const double tail_share = p.memory_share + p.io_share;
  const double share_sum = p.compute_share + tail_share;
  const double c = share_sum > 0 ? p.compute_share / share_sum : 1.0;
  const Seconds compute_s = r.t0_s * c * r.remaining;  // at f_max
  WorkOrder w;
  for (const Slice& s : r.alloc) {
    // Multi-node jobs exchange gradients over the site network. A hierarchical all-reduce
    // (NCCL: reduce inside the node over NVLink, ring across nodes) sends about one GPU's ring
    // volume out of every node, whatever its GPU count: 2·(k−1)/k · gradient bytes per step
    // (JobProfile::comm_bytes_per_gpu, workloads/profiles.yaml). Modelled as one transfer per
    // node to its ring successor, overlapping the computation as data-parallel training does;
    // the job ends when both are done, so a slow network slows it.
    w.parts.push_back(WorkPart{s.node, compute_s, s.gpus, r.alloc.size() > 1 ? p.comm_bytes_per_gpu * r.remaining : 0.0});
  }
  double ckpt = 0;
  if (p.checkpoint_interval_s > 0 && p.checkpoint_cost_s > 0)
    ckpt = std::floor(r.t0_s * r.remaining / p.checkpoint_interval_s) * p.checkpoint_cost_s;
  w.tail_s = r.t0_s * (1.0 - c) * r.remaining + ckpt + r.restart_cost_s;
  if (r.full_speed_s <= 0) r.full_speed_s = r.t0_s + ckpt;  // the first run, on its first allocation
  r.restart_in_run_s = r.restart_cost_s;
  r.restart_cost_s = 0;
  r.working = true;
  exec_.start(WorkHandle{j, r.run_gen}, w);
}

void RunCore::finish_job(std::uint32_t j, Seconds now) {
  JobRt& r = jobs_[j];
  stop_running(j, now);
  r.state = JobState::done;
  r.end_s = now;
  r.outcome = JobOutcome::completed;
  ++completed_;
  events_.push_back(JobFinished{r.job.request.id});
  write_job(r);
  for (std::uint32_t d : r.dependents)
    if (--jobs_[d].deps_left == 0 && jobs_[d].state == JobState::waiting_deps) enqueue(d);
}

// Detach a running job from its nodes and close its accounting.
void RunCore::stop_running(std::uint32_t j, Seconds now) {
  JobRt& r = jobs_[j];
  settle_job(r, now);
  r.run_time += now - r.start_s;
  r.power_w = 0;
  r.working = false;
  const std::size_t idx = r.running_index;  // remove from running_ (swap with last, fix index)
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
}

// Brings a job's energy, emissions and frequency integrals up to `now`.
void RunCore::settle_job(JobRt& r, Seconds now) {
  r.energy.advance(now);
  r.emis_g += r.power_w * (site_->emissions_factor_cum() - r.emis_mark);
  r.emis_mark = site_->emissions_factor_cum();
  r.emis_marg_g += r.power_w * (site_->marginal_factor_cum() - r.emis_marg_mark);
  r.emis_marg_mark = site_->marginal_factor_cum();
  r.freq_int += r.freq_now * (now - r.freq_last);
  r.freq_last = now;
}

double RunCore::slowdown_now(const JobRt& r) const {
  const NodeRt& nd = nodes_[r.alloc.front().node];
  return slowdown(r.job.profile, nd.power->freq_mhz(nd.eff_pstate), nd.power->freq_mhz(0));
}

// Fraction of the current run's remaining work done by `now`: elapsed run time (restart cost
// and transition delays excluded) over the remaining time at the current speed.
double RunCore::progress_done(const JobRt& r, Seconds now) const {
  const Seconds elapsed = std::max(0.0, now - r.start_s - r.restart_in_run_s - r.delay_in_run_s);
  const double expected = std::max(kEps, r.t0_s * r.remaining * slowdown_now(r));
  return std::clamp(elapsed / expected, 0.0, 1.0);
}

void RunCore::set_node_state(std::size_t n, NodeState s, Seconds now) {
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
  refresh_node(n, now);
}

// ---------------------------------------------------------------------------------- fleet
// A fleet plan's dates (scenarios/README.md, "Fleet plan"). A node installed at t is on and idle
// from t. A node retired at t takes no new work from t; the jobs running on it are preempted
// then (a checkpoint at the retirement: the work done is kept, the job is queued again and pays
// its profile's checkpoint_cost_s as restart cost when it next starts, on other nodes), and the
// node is off with no GPUs and draws nothing from t. Timer generation: 0 install, 1 retire,
// 2 a change of the embodied rate only.
namespace {
constexpr std::uint64_t kInstall = 0, kRetire = 1, kRate = 2, kCooling = 3;
}

void RunCore::fleet_setup() {
  const PlatformSpec& ps = sc_.site.platform;
  const EmbodiedSpec& e = sc_.site.embodied;
  const Seconds end = run_end();
  for (std::size_t g = 0; g < ps.nodes.size(); ++g) {
    const NodeGroup& grp = ps.nodes[g];
    const auto gi = static_cast<std::uint32_t>(g);
    if (grp.install_s > 0 && grp.install_s < end && grp.retire_s > grp.install_s) push_timer(grp.install_s, SimTimer::fleet, gi, kInstall);
    if (grp.retire_s > 0 && grp.retire_s < end && grp.retire_s > grp.install_s) push_timer(grp.retire_s, SimTimer::fleet, gi, kRetire);
    // Where the embodied rate changes without a node changing: the end of an amortisation life
    // shorter than the service, or of an at-purchase booking's sample interval.
    if (e.at_purchase) {
      const Seconds at = std::isfinite(grp.install_s) ? grp.install_s : 0.0;
      if (at >= 0 && at < end) push_timer(std::min(end, at + sc_.time.sample_s), SimTimer::fleet, gi, kRate);
    } else if (std::isfinite(grp.install_s)) {
      const Seconds paid = grp.install_s + node_service_life_s(e, grp.install_s, grp.retire_s);
      if (paid > 0 && paid < end && paid < grp.retire_s) push_timer(paid, SimTimer::fleet, gi, kRate);
    }
  }
  embodied_rate_kg_per_s_ = embodied_rate_at(0);
  // Dated cooling upgrades (site.cooling_upgrades) use the same timer kind.
  const auto& up = sc_.site.cooling_upgrades;
  for (std::size_t i = 0; i < up.size(); ++i)
    if (up[i].at_s > 0 && up[i].at_s < end) push_timer(up[i].at_s, SimTimer::fleet, static_cast<std::uint32_t>(i), kCooling);
}

double RunCore::embodied_rate_at(Seconds t) const {
  const PlatformSpec& ps = sc_.site.platform;
  const EmbodiedSpec& e = sc_.site.embodied;
  EmbodiedInventory bat;
  bat.battery_kwh = sc_.site.supply.battery.capacity_mwh * 1000.0;
  double rate = embodied_kg_per_s(e, bat);
  for (std::size_t g = 0; g < ps.nodes.size(); ++g) {
    const NodeGroup& grp = ps.nodes[g];
    if (grp.count == 0 || group_first_[g] >= nodes_.size()) continue;
    const double f = grp.count * node_footprint_kg(e, nodes_[group_first_[g]].spec->accelerators_per_node);
    if (e.at_purchase) {
      // The footprint is booked evenly over the sample interval from the install date.
      const Seconds at = std::isfinite(grp.install_s) ? grp.install_s : 0.0;
      const Seconds len = std::min(sc_.time.sample_s, run_end() - at);
      if (at >= 0 && len > 0 && t >= at && t < at + len) rate += f / len;
    } else {
      const Seconds life = node_service_life_s(e, grp.install_s, grp.retire_s);
      Seconds hi = grp.retire_s;
      if (std::isfinite(grp.install_s)) hi = std::min(hi, grp.install_s + life);
      if (life > 0 && t >= grp.install_s && t < hi) rate += f / life;
    }
  }
  return rate;
}

void RunCore::fleet_event(const SimTimer& tm, Seconds now) {
  if (tm.generation == kCooling) {
    // The facility laws use the new cooling from now on (recompute_site at the step's end); a
    // facility-basis cap allows another IT power under it.
    site_->set_cooling(sc_.site.cooling_upgrades[tm.target].cooling);
    record_event(now, EventKind::cooling_upgrade, tm.target, 0);
    if (site_group_.active() && site_group_.basis == CapBasis::facility) update_site_budget(now);
    return;
  }
  const PlatformSpec& ps = sc_.site.platform;
  const std::uint32_t g = tm.target;
  const std::uint32_t first = group_first_[g];
  const auto last = static_cast<std::uint32_t>(std::min<std::size_t>(first + ps.nodes[g].count, nodes_.size()));
  if (tm.generation == kInstall) {
    for (std::uint32_t n = first; n < last; ++n) install_node(n, now);
    record_event(now, EventKind::fleet_install, g, ps.nodes[g].count);
  } else if (tm.generation == kRetire) {
    for (std::uint32_t n = first; n < last; ++n) retire_node(n, now);
    record_event(now, EventKind::fleet_retire, g, ps.nodes[g].count);
  }
  if (tm.generation != kRate) ++node_summary_.topology_version;
  embodied_rate_kg_per_s_ = embodied_rate_at(now);
}

void RunCore::install_node(std::size_t n, Seconds now) {
  NodeRt& nd = nodes_[n];
  if (nd.present) return;
  NodeView& v = views_[n];
  node_changing(n);
  v.gpus_total = nd.spec->accelerators_per_node;
  v.gpus_free = v.gpus_total;
  node_summary_.gpus_total += v.gpus_total;
  node_changed(n);
  gpus_total_ += v.gpus_total;
  gpus_installed_peak_ = std::max<long long>(gpus_installed_peak_, gpus_total_);
  nd.present = true;
  ++nodes_installed_;
  set_node_state(n, NodeState::on, now);
  events_.push_back(NodeBooted{static_cast<NodeId>(n)});
}

void RunCore::retire_node(std::size_t n, Seconds now) {
  NodeRt& nd = nodes_[n];
  if (!nd.present) return;
  // Checkpoint and requeue what runs here (a job on several nodes leaves all of them).
  while (!nd.jobs.empty()) {
    const std::uint32_t j = nd.jobs.front();
    apply(PreemptJob{jobs_[j].job.request.id}, now);
    ++retire_preemptions_;
  }
  NodeView& v = views_[n];
  ++nd.boot_gen;  // a boot or shutdown in progress never completes
  if (v.state != NodeState::off) set_node_state(n, NodeState::off, now);
  node_changing(n);
  node_summary_.gpus_total -= v.gpus_total;
  gpus_total_ -= v.gpus_total;
  v.gpus_total = 0;
  v.gpus_free = 0;
  node_changed(n);
  nd.present = false;
  ++nodes_retired_;
  refresh_node(n, now);
  events_.push_back(NodeShutDown{static_cast<NodeId>(n)});
}

void RunCore::recompute_site(Seconds now) {
  SiteLoad load;
  load.accelerators_w = accel_total_;
  load.hosts_w = host_total_;
  load.utilisation =
      gpus_total_ > 0 ? static_cast<double>(gpus_total_ - gpus_free_ - (gpus_total_ - gpus_on_)) / gpus_total_ : 0;
  load.running_jobs = static_cast<double>(running_.size());
  load.queued_jobs = static_cast<double>(queue_.size());
  load.nodes_on = nodes_on_;
  load.busy_freq_sum = busy_freq_sum_;
  load.busy_gpus = busy_gpus_;
  load.site_cap_w = site_group_.cap_w;
  load.installed_gpus = static_cast<double>(gpus_total_);
  load.embodied_kg_per_h = embodied_rate_kg_per_s_ * 3600.0;
  const Seconds tb = site_->recompute(now, load);
  // The battery reaches a bound at the dispatched power: the balance changes then.
  ++battery_gen_;
  if (tb < kInf && now + tb < run_end()) push_timer(now + tb, SimTimer::battery_bound, 0, battery_gen_);
}

void RunCore::record_event(Seconds t, EventKind kind, std::int64_t target, double value) {
  if (!sc_.output.events) return;
  rec_.add_event(EventRecord{t, kind, target, value});
}

void RunCore::warn(const std::string& message) {
  if (std::find(warnings_.begin(), warnings_.end(), message) == warnings_.end()) warnings_.push_back(message);
}

}  // namespace dcsim::engine
