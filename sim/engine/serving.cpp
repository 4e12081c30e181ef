// LLM serving in a run (issue 15 phase 2): the engine drives a serving::Fleet through the call
// sequence of sim/serving/README.md § "Integration" (serving/standalone.cpp run_host is the
// reference), and holds each replica's reported power on the GPUs it occupies.
//
//   placement   replicas are placed before training (serving first): at t = 0 the initial
//               replicas of every deployment, first fit over the nodes in id order, all GPUs of a
//               replica on one node (tensor parallelism stays inside a node), on nodes whose
//               accelerator runs the deployment (Fleet::can_run_on). A replica's GPUs leave the
//               node's free GPUs, so the scheduler never gives them to a job.
//   the step    a timer every serving step (serving.step, on the grid k·step): first the previous
//               step's outcome at its end (released replicas give their GPUs back; the
//               autoscaler's requested replicas are placed, loading from now), then
//               fleet.advance(now, now + step, env). env gives each replica its node's enforced
//               per-device limit (the node type's limit or a policy's device cap, the node cap's
//               per-device share, and the rack/site water-filling level) and the node's governor
//               p-state; the replica picks its own clock under them per iteration
//               (physics/llm_inference.hpp), independently of the training jobs' clock on a
//               shared node. The rack/site level a replica gets counts the replicas as demands
//               of the water-filling (serving_group_levels, below).
//   the power   each replica's mean power per GPU over the step is held on its GPUs over the
//               step (node accelerator power, so IT and facility energy, cooling, losses,
//               supply, battery, emissions and every site series include it; energy exact by
//               construction). Host load: the replica's busy fraction (share of the step it
//               iterates) × its GPUs / the node's (estimated: the serving engine's scheduler
//               keeps a host core busy while the GPUs iterate). Rack and site caps see serving
//               power as a fixed part of the training GPUs' budget, re-read every step.
//   output      per deployment and output sample: the `deployment` series (analysis/SCHEMA.md)
//               aggregated from the steps of the sample (a step longer than the sample spread
//               over its samples by overlap); totals in the summary (`serving_*`).
//   the drain   serving traffic ends with the span (as job submissions do); at the span's end
//               every replica gives its GPUs back, so they idle through time.drain.
//
//   serving first  a replica the autoscaler asks for when no GPUs are free preempts training
//               jobs to make room (preempt_for_replica: the node costing the fewest preempted
//               GPUs, the latest-started jobs first; each goes back to the queue with its
//               checkpoint cost, as PreemptJob does); only if no job can make room is it not
//               placed (serving_replicas_denied, a run warning).
//
//   requests    request fidelity with serving.requests_table (its default): every completed or
//               rejected request as a row of the request table (analysis/SCHEMA.md), handed to the
//               recorder each step (streamed in chunks). Requests still queued or running at the
//               span's end are not rows (summary: serving_<d>_arrivals − completed − rejected).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/error.hpp"
#include "engine/core.hpp"
#include "physics/accelerator_power.hpp"
#include "physics/node_power.hpp"
#include "physics/power_budget.hpp"

namespace dcsim::engine {

namespace {
constexpr std::size_t kServingSeries = 13;
const double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

void RunCore::serving_entities() {
  if (!sc_.serving.enabled()) return;
  std::vector<std::int64_t> ids(sc_.serving.deployments.size());
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int64_t>(i);
  rec_.begin_entities("deployment", ids,
                      {{"serving_requests_per_s", "1/s", "requests completed per second"},
                       {"serving_tokens_out_per_s", "1/s", "output tokens generated per second"},
                       {"serving_mean_batch", "1", "mean sequences per batch of a serving replica"},
                       {"serving_queue", "1", "mean requests waiting (deployment and replica queues)"},
                       {"serving_ttft_p50_s", "s", "median time to first token"},
                       {"serving_ttft_p99_s", "s", "99th percentile time to first token"},
                       {"serving_tpot_p50_s", "s", "median time per output token"},
                       {"serving_tpot_p99_s", "s", "99th percentile time per output token"},
                       {"serving_slo_attainment", "1", "share of completed requests meeting the SLO"},
                       {"serving_power_w", "W", "accelerator power of the deployment's replicas"},
                       {"serving_replicas_ready", "1", "mean replicas ready (serving)"},
                       {"serving_replicas_loading", "1", "mean replicas loading their model"},
                       {"serving_j_per_output_token", "J", "accelerator energy per output token"}});
  if (sc_.serving.fidelity == "request" && sc_.serving.requests_table) rec_.begin_requests();
}

void RunCore::serving_setup() {
  if (!sc_.serving.enabled()) return;
  fleet_ = std::make_unique<serving::Fleet>(sc_.serving, sc_.site.platform.accelerators, cal_, end_s_, sc_.seed);
  const std::size_t nd = fleet_->deployment_count();
  serving_requested_.assign(nd, 0);
  serving_dep_w_.assign(nd, 0.0);
  serving_emis_g_.assign(nd, 0.0);
  serving_emis_mark_ = site_->emissions_factor_cum();
  const auto pos = sc_.serving.positions.find("serving.deployments");
  for (std::size_t d = 0; d < nd; ++d) {
    for (int k = 0; k < fleet_->initial_replicas(d); ++k) {
      if (place_replica(d, 0, true)) continue;
      Diagnostic diag;
      diag.file = pos == sc_.serving.positions.end() ? sc_.file : pos->second.file;
      diag.line = pos == sc_.serving.positions.end() ? 0 : pos->second.line;
      diag.column = pos == sc_.serving.positions.end() ? 0 : pos->second.column;
      diag.key_path = "serving.deployments." + std::to_string(d) + ".replicas";
      diag.message = "expected initial replicas that fit the platform (" + std::to_string(fleet_->deployment(d).tensor_parallel) +
                     " GPUs of one node each, on an accelerator that runs " + fleet_->deployment(d).name + "), got " +
                     std::to_string(fleet_->initial_replicas(d)) + ": only " + std::to_string(k) + " fit";
      throw InputError(diag);
    }
  }
  push_timer(0, SimTimer::serving_step, 0, 0);
}

bool RunCore::place_replica(std::size_t d, Seconds t, bool loaded) {
  const int tp = fleet_->deployment(d).tensor_parallel;
  for (std::size_t n = 0; n < nodes_.size(); ++n) {
    NodeView& v = views_[n];
    if (v.state != NodeState::on || v.gpus_free < tp) continue;
    NodeRt& nd = nodes_[n];
    if (!fleet_->can_run_on(d, nd.spec->accelerator)) continue;
    const serving::ReplicaId id = fleet_->add_replica(d, nd.spec->accelerator, t, loaded);
    node_changing(n);
    v.gpus_free -= tp;
    node_changed(n);
    gpus_free_ -= tp;
    nd.serving_gpus += tp;
    ServingRep r;
    r.node = static_cast<std::uint32_t>(n);
    r.gpus = tp;
    r.deployment = static_cast<std::uint32_t>(d);
    r.per_gpu_w = nd.power->power_w(nd.eff_pstate, 0.0, 0.0);  // until the step's advance reports it
    serving_reps_[id] = r;
    serving_node_power(n, t);
    record_event(t, EventKind::serving_replica_add, static_cast<std::int64_t>(n), static_cast<double>(d));
    return true;
  }
  return false;
}

// Serving first (issue 15): make room for one replica of d by preempting training jobs, on the
// node (of an accelerator that runs d, on) where that costs the fewest GPUs of preempted jobs;
// on a node, the most recently started jobs go first (the least work since their start). A
// preempted job goes back to the queue with its checkpoint cost as restart cost (the engine's
// PreemptJob, decisions.cpp). False when no node can be freed that way.
bool RunCore::preempt_for_replica(std::size_t d, Seconds now) {
  const int tp = fleet_->deployment(d).tensor_parallel;
  std::size_t best = nodes_.size();
  int best_cost = 0;
  std::vector<std::uint32_t> best_jobs;
  for (std::size_t n = 0; n < nodes_.size(); ++n) {
    const NodeView& v = views_[n];
    if (v.state != NodeState::on || v.gpus_total - nodes_[n].serving_gpus < tp) continue;
    if (!fleet_->can_run_on(d, nodes_[n].spec->accelerator)) continue;
    std::vector<std::uint32_t> js = nodes_[n].jobs;
    std::sort(js.begin(), js.end(), [&](std::uint32_t a, std::uint32_t b) {
      return jobs_[a].start_s != jobs_[b].start_s ? jobs_[a].start_s > jobs_[b].start_s : a > b;
    });
    int freed = v.gpus_free, cost = 0;
    std::vector<std::uint32_t> take;
    for (std::uint32_t j : js) {
      if (freed >= tp) break;
      freed += gpus_of_job_on(jobs_[j], n);
      cost += jobs_[j].gpus;
      take.push_back(j);
    }
    if (freed < tp || take.empty()) continue;
    if (best == nodes_.size() || cost < best_cost) {
      best = n;
      best_cost = cost;
      best_jobs = std::move(take);
    }
  }
  if (best == nodes_.size()) return false;
  for (std::uint32_t j : best_jobs) {
    apply(PreemptJob{jobs_[j].job.request.id}, now);
    ++serving_preemptions_;
  }
  return true;
}

void RunCore::release_replica_gpus(serving::ReplicaId id, Seconds now) {
  auto it = serving_reps_.find(id);
  if (it == serving_reps_.end()) return;
  const ServingRep r = it->second;
  serving_reps_.erase(it);
  NodeView& v = views_[r.node];
  node_changing(r.node);
  v.gpus_free += r.gpus;
  node_changed(r.node);
  gpus_free_ += r.gpus;
  nodes_[r.node].serving_gpus -= r.gpus;
  if (v.gpus_free == v.gpus_total) v.idle_since_s = now;
  serving_node_power(r.node, now);
  record_event(now, EventKind::serving_replica_release, static_cast<std::int64_t>(r.node), static_cast<double>(r.deployment));
  events_.push_back(dcsim::Timer{now});  // the scheduler may use the GPUs at once
}

// A node's serving watts and host load from its replicas, then the node's state and power.
void RunCore::serving_node_power(std::size_t n, Seconds now) {
  NodeRt& nd = nodes_[n];
  Watts w = 0;
  double load = 0;
  for (const auto& [id, r] : serving_reps_) {
    if (r.node != n) continue;
    w += r.per_gpu_w * r.gpus;
    load += r.host_load * r.gpus / static_cast<double>(nd.spec->accelerators_per_node);
  }
  nd.serving_accel_w = w;
  nd.serving_host_load = load;
  refresh_node(n, now);
}

void RunCore::serving_settle_emissions() {
  if (!fleet_) return;
  const double cum = site_->emissions_factor_cum();
  for (std::size_t d = 0; d < serving_dep_w_.size(); ++d) serving_emis_g_[d] += serving_dep_w_[d] * (cum - serving_emis_mark_);
  serving_emis_mark_ = cum;
}

void RunCore::serving_step(Seconds now) {
  if (!fleet_) return;
  serving_settle_emissions();
  // 1. The previous step's outcome, at its end: released replicas give their GPUs back, the
  //    autoscaler's new replicas are placed (they load from now).
  std::vector<serving::ReplicaId> gone;
  for (const auto& [id, r] : serving_reps_)
    if (r.released) gone.push_back(id);
  for (serving::ReplicaId id : gone) release_replica_gpus(id, now);
  if (now >= end_s_ - kEps) {
    // The span's end (only reached here with a drain): serving stops with the span's traffic,
    // every replica gives its GPUs back and they draw idle power through the drain.
    std::vector<serving::ReplicaId> all;
    for (const auto& [id, r] : serving_reps_) all.push_back(id);
    for (serving::ReplicaId id : all) release_replica_gpus(id, now);
    std::fill(serving_dep_w_.begin(), serving_dep_w_.end(), 0.0);
    return;
  }
  for (std::size_t d = 0; d < serving_requested_.size(); ++d) {
    for (int k = 0; k < serving_requested_[d]; ++k) {
      if (place_replica(d, now, false)) continue;
      if (preempt_for_replica(d, now) && place_replica(d, now, false)) continue;
      serving_denied_ += static_cast<std::uint64_t>(serving_requested_[d] - k);
      warn("serving deployment " + fleet_->deployment(d).name +
           ": the autoscaler asked for replicas while no GPUs were free and no training job could make room; "
           "they were not placed (summary serving_replicas_denied)");
      break;
    }
    serving_requested_[d] = 0;
  }
  // 2. The step.
  const Seconds step = fleet_->step_s();
  const Seconds t1 = std::min(end_s_, static_cast<double>(serving_step_index_ + 1) * step);
  serving::StepEnv env;
  Watts site_level = kInf;
  const std::vector<Watts> rack_level = serving_group_levels(site_level);
  for (const auto& [id, r] : serving_reps_) {
    const NodeRt& nd = nodes_[r.node];
    const Watts limit =
        std::min({serving_device_limit(r.node), rack_level.empty() ? kInf : rack_level[views_[r.node].rack], site_level});
    env.per_replica[id] = serving::ReplicaEnv{limit, nd.gov_pstate};
  }
  const serving::StepResult res = fleet_->advance(now, t1, env);
  serving_requests_out(res);
  std::fill(serving_dep_w_.begin(), serving_dep_w_.end(), 0.0);
  for (const serving::ReplicaStep& rs : res.replicas) {
    auto it = serving_reps_.find(rs.id);
    if (it == serving_reps_.end()) continue;  // reported once more after its release
    ServingRep& r = it->second;
    r.per_gpu_w = rs.power_per_gpu_w;
    r.host_load = std::clamp(rs.busy, 0.0, 1.0);
    r.released = rs.state == serving::ReplicaState::released;
    {
      // Its demand for the next step's water-filling: what it drew, unless a limit held it back
      // (it ran slower than the governor asked, or at the limit): then all its device allows.
      const serving::ReplicaEnv& e = env.of(rs.id);
      const bool held = e.power_limit_w < kInf && (rs.mean_pstate > e.pstate + 1e-3 || rs.power_per_gpu_w >= 0.95 * e.power_limit_w);
      r.demand_w = held ? -1 : rs.power_per_gpu_w;
    }
    serving_dep_w_[rs.deployment] += rs.power_per_gpu_w * rs.gpus;
    // A mean above the limit means iterations the slowest clock could not bring under it.
    const Watts limit = env.of(rs.id).power_limit_w;
    if (rs.power_per_gpu_w > limit * (1 + 1e-9))
      warn("serving deployment " + fleet_->deployment(rs.deployment).name + ": a power limit of " +
           std::to_string(static_cast<long long>(std::llround(limit))) + " W per " + rs.accelerator +
           " is below what its replicas draw at their lowest clock: they run there and exceed the limit");
  }
  // Every node's serving watts and host load in one pass over the replicas, then its power.
  std::vector<Watts> node_w(nodes_.size(), 0.0);
  std::vector<double> node_load(nodes_.size(), 0.0);
  std::vector<char> touched(nodes_.size(), 0);
  for (const auto& [id, r] : serving_reps_) {
    node_w[r.node] += r.per_gpu_w * r.gpus;
    node_load[r.node] += r.host_load * r.gpus / static_cast<double>(nodes_[r.node].spec->accelerators_per_node);
    touched[r.node] = 1;
  }
  for (std::size_t n = 0; n < nodes_.size(); ++n) {
    if (!touched[n]) continue;
    NodeRt& nd = nodes_[n];
    if (nd.serving_accel_w == node_w[n] && nd.serving_host_load == node_load[n]) continue;
    nd.serving_accel_w = node_w[n];
    nd.serving_host_load = node_load[n];
    refresh_node(n, now);
  }
  // 3. Series: the step into the output samples it overlaps (a step of at most the sample lies
  //    in one; a longer one is spread over its samples in proportion to the overlap).
  const Seconds sample = sc_.time.sample_s;
  const Seconds dt = t1 - now;
  for (auto idx = static_cast<std::int64_t>(std::floor((now + 1e-6) / sample));
       static_cast<double>(idx) * sample < t1 - 1e-6; ++idx) {
    const Seconds lo = std::max(now, static_cast<double>(idx) * sample);
    const Seconds hi = std::min(t1, static_cast<double>(idx + 1) * sample);
    if (hi <= lo) continue;
    const double f = (hi - lo) / dt;
    std::vector<ServingSample>& acc = serving_samples_[idx];
    acc.resize(serving_requested_.size());
    for (const serving::DeploymentStep& ds : res.deployments) {
      ServingSample& a = acc[ds.deployment];
      const double req = ds.requests_per_s * dt * f;
      a.dt += dt * f;
      a.requests += req;
      a.tokens += ds.tokens_out_per_s * dt * f;
      a.batch_dt += ds.mean_batch * dt * f;
      a.queue_dt += ds.queue * dt * f;
      a.energy_j += ds.energy_j * f;
      if (req > 0 && std::isfinite(ds.ttft_p50_s) && std::isfinite(ds.ttft_p99_s) && std::isfinite(ds.tpot_p50_s) &&
          std::isfinite(ds.tpot_p99_s)) {
        a.ttft50_w += ds.ttft_p50_s * req;
        a.ttft99_w += ds.ttft_p99_s * req;
        a.tpot50_w += ds.tpot_p50_s * req;
        a.tpot99_w += ds.tpot_p99_s * req;
        a.lat_w += req;
      }
      if (req > 0 && std::isfinite(ds.slo_attainment)) {
        a.slo_w += ds.slo_attainment * req;
        a.slo_n += req;
      }
      a.ready_dt += ds.replicas_ready * dt * f;
      a.loading_dt += ds.replicas_loading * dt * f;
    }
  }
  for (const serving::DeploymentStep& ds : res.deployments) serving_requested_[ds.deployment] = ds.replicas_requested;
  ++serving_step_index_;
  // The next step; with a drain, one more call at the span's end releases the replicas.
  if (t1 < end_s_ - kEps || drain_s_ > 0) push_timer(t1, SimTimer::serving_step, 0, 0);
}

// ------------------------------------------------------------- serving in the power caps
// A replica picks its clock per iteration (physics/llm_inference.hpp), so its power is not one
// p-state's demand as a training job's is; before this change it entered the rack and site
// water-filling only as a fixed part of the budget (its last step's watts) and was given the
// level the training GPUs got. With as many serving as training GPUs under a binding cap that
// level alternates between steps (serving high → training level low → serving limited low →
// level high …) and the sharing is not max-min fair. Now each replica's GPUs are demands in
// the water-filling that sets the replicas' limit: demand = what it drew last step, or, when a
// limit held it back (or it is new), the most its device allows (P at the fastest clock, full
// activity, under the device limit); the level is computed over the group's training demands
// and these, on the budget less the group's non-serving fixed part. Training's own level is
// still computed with serving's reported watts for the step as a fixed part (they are known
// before the step's training power is set), so the cap holds at every instant.
Watts RunCore::serving_device_limit(std::size_t n) const {
  const NodeRt& nd = nodes_[n];
  Watts limit = nd.device_limit_w;
  if (nd.node_cap_w > 0)
    limit = std::min(limit, device_cap_from_group_cap_w(nd.node_cap_w, host_power_w(*nd.spec, nd.host_load, 1.0),
                                                        nd.spec->accelerators_per_node));
  return limit;
}

Watts RunCore::serving_demand_w(const ServingRep& r) const {
  if (r.demand_w >= 0) return r.demand_w;
  const NodeRt& nd = nodes_[r.node];
  return std::min(serving_device_limit(r.node), nd.power->power_w(0, 1.0, 1.0));
}

// Per rack (empty when no rack is capped) and for the site: the replicas' water-filling level.
std::vector<Watts> RunCore::serving_group_levels(Watts& site_level) const {
  site_level = kInf;
  bool any_rack = false;
  for (const CapGroup& g : rack_groups_) any_rack = any_rack || g.active();
  if (!any_rack && !site_group_.active()) return {};
  std::vector<DemandBins> rack_bins(any_rack ? rack_groups_.size() : 0);
  std::vector<Watts> rack_serving(any_rack ? rack_groups_.size() : 0, 0.0);
  DemandBins site_bins = site_group_.demands;
  Watts site_serving = 0;
  for (const auto& [id, r] : serving_reps_) {
    const Watts d = serving_demand_w(r);
    const RackId rk = views_[r.node].rack;
    if (site_group_.active()) {
      site_bins[d] += r.gpus;
      site_serving += r.per_gpu_w * r.gpus;
    }
    if (any_rack && rack_groups_[rk].active()) {
      rack_bins[rk][d] += r.gpus;
      rack_serving[rk] += r.per_gpu_w * r.gpus;
    }
  }
  if (site_group_.active())
    site_level = water_fill_level(site_bins, site_group_.it_budget_w - (site_group_.reserve_w - site_serving));
  std::vector<Watts> out;
  if (!any_rack) return out;
  out.assign(rack_groups_.size(), kInf);
  for (std::size_t k = 0; k < rack_groups_.size(); ++k) {
    const CapGroup& g = rack_groups_[k];
    if (!g.active()) continue;
    DemandBins bins = g.demands;
    for (const auto& [d, c] : rack_bins[k]) bins[d] += c;
    out[k] = water_fill_level(bins, g.it_budget_w - (g.reserve_w - rack_serving[k]));
  }
  return out;
}

// The request table (request fidelity): the step's completed and rejected requests, written as
// they come (the recorder streams them in chunks, so memory stays bounded by one step's).
void RunCore::serving_requests_out(const serving::StepResult& res) {
  if (res.requests.empty()) return;
  ServingRequestRecord o;
  for (const serving::RequestRecord& r : res.requests) {
    const DeploymentSpec& dep = sc_.serving.deployments[r.deployment];
    o.id = r.id;
    o.deployment = static_cast<std::int32_t>(r.deployment);
    o.stream = static_cast<std::int32_t>(r.stream);
    o.replica = static_cast<std::int64_t>(r.replica);
    const auto it = serving_reps_.find(r.replica);
    o.node = it == serving_reps_.end() ? -1 : static_cast<std::int64_t>(it->second.node);
    o.arrival_s = r.arrival_s;
    o.end_s = r.finish_s;
    o.prompt_tokens = r.prompt_tokens;
    o.output_tokens = r.output_tokens;
    o.preemptions = r.preemptions;
    if (r.rejected) {
      o.first_token_s = o.ttft_s = o.tpot_s = -1;
      o.slo_met = dep.slo.ttft_s > 0 || dep.slo.tpot_s > 0 ? 0 : -1;
      o.outcome = "rejected";
    } else {
      o.first_token_s = r.first_token_s;
      o.ttft_s = r.ttft_s();
      o.tpot_s = r.output_tokens > 1 ? r.tpot_s() : -1;
      // the same test as the fleet's SLO attainment (serving/cluster.cpp on_finish)
      const bool has = dep.slo.ttft_s > 0 || dep.slo.tpot_s > 0;
      const bool ok = (dep.slo.ttft_s <= 0 || o.ttft_s <= dep.slo.ttft_s) &&
                      (dep.slo.tpot_s <= 0 || r.output_tokens <= 1 || o.tpot_s <= dep.slo.tpot_s);
      o.slo_met = has ? (ok ? 1 : 0) : -1;
      o.outcome = "completed";
    }
    rec_.add_request(o);
  }
}

void RunCore::serving_emit(Seconds t) {
  if (!sc_.serving.enabled()) return;
  const std::size_t nd = sc_.serving.deployments.size();
  const auto idx = static_cast<std::int64_t>(std::llround(t / sc_.time.sample_s));
  std::vector<ServingSample> acc(nd);
  auto it = serving_samples_.find(idx);
  if (it != serving_samples_.end()) {
    acc = std::move(it->second);
    acc.resize(nd);
    serving_samples_.erase(it);
  }
  std::vector<double> row(kServingSeries * nd, 0.0);
  const auto put = [&](std::size_t s, std::size_t d, double v) { row[s * nd + d] = v; };
  for (std::size_t d = 0; d < nd; ++d) {
    const ServingSample& a = acc[d];
    const double inv = a.dt > 0 ? 1.0 / a.dt : 0.0;
    put(0, d, a.requests * inv);
    put(1, d, a.tokens * inv);
    put(2, d, a.batch_dt * inv);
    put(3, d, a.queue_dt * inv);
    put(4, d, a.lat_w > 0 ? a.ttft50_w / a.lat_w : kNaN);
    put(5, d, a.lat_w > 0 ? a.ttft99_w / a.lat_w : kNaN);
    put(6, d, a.lat_w > 0 ? a.tpot50_w / a.lat_w : kNaN);
    put(7, d, a.lat_w > 0 ? a.tpot99_w / a.lat_w : kNaN);
    put(8, d, a.slo_n > 0 ? a.slo_w / a.slo_n : kNaN);
    put(9, d, a.energy_j * inv);
    put(10, d, a.ready_dt * inv);
    put(11, d, a.loading_dt * inv);
    put(12, d, a.tokens > 0 ? a.energy_j / a.tokens : kNaN);
  }
  rec_.append_entity_sample("deployment", t, row);
}

void RunCore::serving_summary() {
  if (!fleet_) return;
  auto& s = summary_.values;
  const double kwh = 1.0 / kJoulesPerKwh;
  double energy = 0, tokens = 0, completed = 0, arrivals = 0, emis = 0;
  const auto& tot = fleet_->totals();
  for (std::size_t d = 0; d < tot.size(); ++d) {
    const serving::DeploymentTotals& t = tot[d];
    const std::string k = "serving_" + std::to_string(d) + "_";
    s[k + "arrivals"] = t.arrivals;
    s[k + "completed"] = t.completed;
    s[k + "rejected"] = t.rejected;
    s[k + "slo_attainment"] = t.completed > 0 ? t.slo_met / t.completed : kNaN;
    s[k + "tokens_out"] = t.tokens_out;
    s[k + "tokens_prompt"] = t.tokens_prompt;
    s[k + "energy_kwh"] = t.energy_j * kwh;
    s[k + "loading_energy_kwh"] = t.loading_energy_j * kwh;
    s[k + "j_per_output_token"] = t.tokens_out > 0 ? t.energy_j / t.tokens_out : kNaN;
    s[k + "ttft_p50_s"] = t.ttft.empty() ? kNaN : t.ttft.quantile(0.50);
    s[k + "ttft_p99_s"] = t.ttft.empty() ? kNaN : t.ttft.quantile(0.99);
    s[k + "tpot_p50_s"] = t.tpot.empty() ? kNaN : t.tpot.quantile(0.50);
    s[k + "tpot_p99_s"] = t.tpot.empty() ? kNaN : t.tpot.quantile(0.99);
    s[k + "emissions_kg"] = serving_emis_g_[d] / 1000.0;
    s[k + "gco2_per_1k_tokens"] = t.tokens_out > 0 ? serving_emis_g_[d] / t.tokens_out * 1000.0 : kNaN;
    energy += t.energy_j;
    tokens += t.tokens_out;
    completed += t.completed;
    arrivals += t.arrivals;
    emis += serving_emis_g_[d];
  }
  s["serving_energy_kwh"] = energy * kwh;
  s["serving_tokens_out"] = tokens;
  s["serving_requests_completed"] = completed;
  s["serving_requests_arrived"] = arrivals;
  s["serving_emissions_kg"] = emis / 1000.0;
  s["serving_replicas_denied"] = static_cast<double>(serving_denied_);
  s["serving_preemptions"] = static_cast<double>(serving_preemptions_);
  s["serving_replicas_at_end"] = static_cast<double>(serving_reps_.size());
}

}  // namespace dcsim::engine
