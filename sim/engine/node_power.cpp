// Node power in a run: p-states under power limits and caps, p-state transitions, and the watts
// of each node and job. Every watt comes from sim/physics (AcceleratorPower, host_power_w,
// water_fill_level, max_it_under_facility_cap); this file decides which state applies.
//
// The p-state of a node (one clock for its accelerators) is the slowest of:
//   - the governor's request (SetPState);
//   - for each job on it, the fastest p-state whose device power at the job's signature
//     (utilisation, intensity) fits the enforced per-accelerator limit: the node type's default
//     power limit (the catalogue's default, TDP unless set; NodeSpec::power_limit_w) or a
//     policy's device cap, and the node's share of a node cap ((cap − host budget) / devices,
//     the host budgeted with fans at full speed). This is what the card's power manager does:
//     the measured H200 runs a bf16 GEMM at ≈1,470 MHz and 673–677 W under its 700 W limit;
//   - for each job on it, the fastest p-state under the water-filling level of every capped
//     group (rack, site) it belongs to (physics/power_budget.hpp). A group's budget is its cap
//     (site: on IT power, or the IT power its facility cap allows at the current outdoor
//     temperature); its fixed part is what its nodes draw besides busy accelerators (idle nodes
//     at their idle power, so idle nodes are never throttled; hosts of busy nodes with fans at
//     full speed, so the cap holds whatever the heat); busy accelerators share the rest.
//     Rack and site levels are computed independently and each accelerator takes the lower, so
//     every cap holds (headroom a rack cap leaves unused is not given back to the site).
// A cap that cannot be met even at the slowest p-state is reported in the run's warnings.
//
// P-state transitions (AcceleratorSpec::pstate_transition_s, _j): every change of a node's
// p-state costs each accelerator the transition energy, drawn as extra accelerator power evenly
// over the transition latency (so it is in IT and facility energy, emissions and the series),
// and delays the work of the jobs running there by the latency (once per job and instant: the
// nodes of a job switch together). An energy without a latency is spread over 1 ms.
#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "engine/core.hpp"
#include "physics/node_power.hpp"

namespace dcsim::engine {

namespace {
constexpr Seconds kMinTransitionS = 1e-3;

std::string watts_text(Watts w) { return std::to_string(static_cast<long long>(std::llround(w))) + " W"; }
}  // namespace

int RunCore::gpus_of_job_on(const JobRt& r, std::size_t n) const {
  int g = 0;
  for (const Slice& s : r.alloc)
    if (s.node == n) g += s.gpus;
  return g;
}

// Re-derive a node's p-state and power after a change of its jobs, state, caps or governor.
void RunCore::refresh_node(std::size_t n, Seconds now) {
  NodeRt& nd = nodes_[n];
  double load = 0;
  for (std::uint32_t j : nd.jobs)
    load += jobs_[j].job.profile.host_load * gpus_of_job_on(jobs_[j], n) / static_cast<double>(nd.spec->accelerators_per_node);
  nd.host_load = std::min(1.0, load + nd.serving_host_load);
  Watts per_device = nd.device_limit_w;
  if (nd.node_cap_w > 0)
    per_device = std::min(per_device, device_cap_from_group_cap_w(nd.node_cap_w, host_power_w(*nd.spec, nd.host_load, 1.0),
                                                                  nd.spec->accelerators_per_node));
  int p = nd.gov_pstate;
  for (std::uint32_t j : nd.jobs) {
    JobRt& r = jobs_[j];
    const JobProfile& pr = r.job.profile;
    if (r.limit_cache_w != per_device || r.limit_cache_power != nd.power) {
      r.limit_cache_p = nd.power->highest_pstate_under(per_device, pr.utilisation, pr.intensity, pr.memory_power_w);
      r.limit_cache_w = per_device;
      r.limit_cache_power = nd.power;
      const bool slowest = r.limit_cache_p == nd.power->pstate_count() - 1;
      // Every run holds each accelerator under its limit unless even the slowest clock exceeds it
      // (then it warns below): the mean power never exceeds the controlled one (w ≥ 0).
      if (!slowest && nd.power->power_w(r.limit_cache_p, pr.utilisation, pr.intensity, pr.memory_power_w) >
                          per_device * (1 + 1e-12))
        throw InvariantError("profile " + pr.name + " would draw more than the " + watts_text(per_device) +
                             " power limit of " + nd.acc->name + " at " +
                             std::to_string(static_cast<long long>(nd.power->freq_mhz(r.limit_cache_p))) + " MHz");
      if (nd.power->controlled_power_w(r.limit_cache_p, pr.utilisation, pr.intensity, pr.memory_power_w) > per_device)
        warn("the power limit of " + watts_text(per_device) + " per " + nd.acc->name + " is below what profile " +
             pr.name + " draws at its lowest clock: it runs there and exceeds the limit");
    }
    p = std::max(p, r.limit_cache_p);
  }
  if (!thermal_.empty() && !nd.jobs.empty()) p = thermal_limit_pstate(n, p);  // engine/thermal.cpp
  nd.limit_pstate = p;
  if (site_group_.active() || rack_groups_[views_[n].rack].active()) update_group_shares(n, now);
  apply_pstate(n, now);
}

Watts RunCore::group_level_for(std::size_t n) const {
  Watts lvl = kInf;
  const CapGroup& rack = rack_groups_[views_[n].rack];
  if (rack.active()) lvl = std::min(lvl, rack.level_w);
  if (site_group_.active()) lvl = std::min(lvl, site_group_.level_w);
  return lvl;
}

void RunCore::apply_pstate(std::size_t n, Seconds now) {
  NodeRt& nd = nodes_[n];
  int p = nd.limit_pstate;
  const Watts lvl = group_level_for(n);
  if (lvl < kInf) {
    for (std::uint32_t j : nd.jobs) {
      const JobProfile& pr = jobs_[j].job.profile;
      const int q = nd.power->highest_pstate_under(lvl, pr.utilisation, pr.intensity, pr.memory_power_w);
      p = std::max(p, q);
      if (nd.power->controlled_power_w(q, pr.utilisation, pr.intensity, pr.memory_power_w) > lvl)
        warn("a rack or site power cap is below what busy accelerators draw at their lowest clock: they run at " +
             std::to_string(static_cast<long long>(nd.power->freq_mhz(q))) + " MHz and the cap is exceeded");
    }
  }
  if (p != nd.eff_pstate) {
    nd.eff_pstate = p;
    exec_.set_pstate(static_cast<std::uint32_t>(n), p);
    views_[n].pstate = p;
    ++pstate_changes_;
    record_event(now, EventKind::pstate, static_cast<std::int64_t>(n), nd.power->freq_mhz(p));
    begin_transition(n, now);
  }
  update_node_power(n, now);
}

void RunCore::begin_transition(std::size_t n, Seconds now) {
  NodeRt& nd = nodes_[n];
  const Joules e = nd.acc->pstate_transition_j * nd.spec->accelerators_per_node;
  const Seconds latency = nd.acc->pstate_transition_s;
  if (e <= 0 && latency <= 0) return;
  pstate_transition_j_ += e;
  const Seconds window = latency > 0 ? latency : kMinTransitionS;
  const Joules left = nd.transition_w * std::max(0.0, nd.transition_until - now);
  nd.transition_w = (left + e) / window;
  nd.transition_until = now + window;
  push_timer(now + window, SimTimer::transition_end, static_cast<std::uint32_t>(n), ++nd.transition_gen);
  if (latency <= 0) return;
  for (std::uint32_t j : nd.jobs) {
    JobRt& r = jobs_[j];
    if (!r.working || r.last_delay_at == now) continue;
    exec_.delay(WorkHandle{j, r.run_gen}, latency);
    r.delay_in_run_s += latency;
    r.last_delay_at = now;
  }
}

// ------------------------------------------------------------------------------ group caps
BudgetShare RunCore::budget_share(std::size_t n) const {
  const NodeRt& nd = nodes_[n];
  const NodeView& v = views_[n];
  BudgetShare s;
  switch (v.state) {
    case NodeState::off: s.reserve_w = nd.spec->off_power_w; return s;
    case NodeState::booting: s.reserve_w = nd.spec->boot_power_w; return s;
    case NodeState::shutting_down: s.reserve_w = nd.spec->shutdown_power_w; return s;
    case NodeState::on: break;
  }
  const int g = nd.spec->accelerators_per_node;
  int busy = 0;
  for (std::uint32_t j : nd.jobs) {
    const JobRt& r = jobs_[j];
    const int k = gpus_of_job_on(r, n);
    busy += k;
    // A busy device's demand is the power its limiter holds (≥ its mean): the level it gets back
    // is compared with the same quantity (highest_pstate_under).
    s.demands.emplace_back(nd.power->controlled_power_w(nd.limit_pstate, r.job.profile.utilisation, r.job.profile.intensity, r.job.profile.memory_power_w), k);
  }
  const Watts idle = nd.power->power_w(nd.eff_pstate, 0.0, 0.0);
  const double idle_heat = nd.acc->tdp_w > 0 ? idle / nd.acc->tdp_w : 0.0;
  // Serving replicas' GPUs draw what the fleet reported for the step: a fixed part of the budget
  // (a replica picks its own clock under the level it is given: engine/serving.cpp).
  const bool hot = busy > 0 || nd.serving_gpus > 0;
  s.reserve_w = host_power_w(*nd.spec, nd.host_load, hot ? 1.0 : std::min(1.0, idle_heat)) +
                (g - busy - nd.serving_gpus) * idle + nd.serving_accel_w;
  return s;
}

namespace {
void add_share(CapGroup& g, const BudgetShare& s, double sign) {
  g.reserve_w += sign * s.reserve_w;
  for (const auto& [d, k] : s.demands) {
    double& c = g.demands[d];
    c += sign * k;
    if (c <= 0.5) g.demands.erase(d);
  }
}
}  // namespace

void RunCore::update_group_shares(std::size_t n, Seconds now) {
  NodeRt& nd = nodes_[n];
  const RackId rack = views_[n].rack;
  BudgetShare s = budget_share(n);
  CapGroup& rg = rack_groups_[rack];
  if (rg.active()) {
    add_share(rg, nd.share, -1);
    add_share(rg, s, +1);
  }
  if (site_group_.active()) {
    add_share(site_group_, nd.share, -1);
    add_share(site_group_, s, +1);
  }
  nd.share = std::move(s);
  if (rg.active() && recompute_level(rg, "rack", rack)) reapply_group(rg, false, rack, now);
  if (site_group_.active() && recompute_level(site_group_, "site", -1)) reapply_group(site_group_, true, 0, now);
}

bool RunCore::recompute_level(CapGroup& g, const char* what, std::int64_t id) {
  const Watts budget = g.it_budget_w - g.reserve_w;
  if (budget < 0 && !g.warned) {
    g.warned = true;
    warn(std::string("the ") + what + (id >= 0 ? " " + std::to_string(id) : std::string()) + " power cap of " +
         watts_text(g.cap_w) + " leaves " + watts_text(g.it_budget_w) +
         " for its nodes, less than they draw without their busy accelerators (" + watts_text(g.reserve_w) +
         "): busy accelerators run at their lowest clock and the cap is exceeded");
  }
  const Watts lvl = water_fill_level(g.demands, budget);
  if (lvl == g.level_w) return false;
  g.level_w = lvl;
  return true;
}

void RunCore::rebuild_group(CapGroup& g, std::span<const std::uint32_t> members, const char* what, std::int64_t id,
                            Seconds now) {
  g.reserve_w = 0;
  g.demands.clear();
  g.warned = false;
  if (g.active()) {
    for (std::uint32_t m : members) {
      nodes_[m].share = budget_share(m);
      add_share(g, nodes_[m].share, +1);
    }
  }
  g.level_w = kInf;
  if (g.active()) recompute_level(g, what, id);
  // Every member is re-derived: a new, changed or removed cap.
  for (std::uint32_t m : members) apply_pstate(m, now);
}

void RunCore::reapply_group(const CapGroup&, bool site, RackId rack, Seconds now) {
  if (site) {
    for (std::size_t i = 0; i < running_.size(); ++i)
      for (const Slice& s : running_[i].allocation) apply_pstate(s.node, now);
  } else {
    for (NodeId m : topo_.nodes_of_rack(rack))
      if (!nodes_[m].jobs.empty()) apply_pstate(m, now);
  }
}

void RunCore::update_site_budget(Seconds now) {
  if (!site_group_.active()) return;
  site_group_.it_budget_w = site_group_.basis == CapBasis::facility
                                ? max_it_under_facility_cap(site_->spec(), site_group_.cap_w, site_->outdoor_temp_c(), design_it_w_)
                                : site_group_.cap_w;
  if (recompute_level(site_group_, "site", -1)) reapply_group(site_group_, true, 0, now);
}

// -------------------------------------------------------------------------------- the watts
void RunCore::update_node_power(std::size_t n, Seconds now) {
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
        const int g = gpus_of_job_on(r, n);
        busy += g;
        accel += g * nd.power->power_w(nd.eff_pstate, r.job.profile.utilisation, r.job.profile.intensity, r.job.profile.memory_power_w);
      }
      accel += (v.gpus_total - busy - nd.serving_gpus) * nd.power->power_w(nd.eff_pstate, 0.0, 0.0) +
               nd.serving_accel_w;
      busy_now = busy;
      // Fans follow the larger of the host load and the accelerators' heat (physics/node_power.hpp).
      const double heat = nd.acc->tdp_w > 0 ? accel / (v.gpus_total * nd.acc->tdp_w) : 0.0;
      host = host_power_w(*nd.spec, nd.host_load, std::min(1.0, heat));
      break;
    }
  }
  accel += nd.transition_w;
  if (!nd.present) accel = host = 0;  // not installed yet, or retired: nothing on the site's feeds
  if (accel < 0 || host < 0) throw InvariantError("negative power on node " + std::to_string(n));
  const Watts before = nd.accel_w + nd.host_w;
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
    const RackId r = v.rack;
    rack_power_[r] += (accel + host) - before;
    rack_avg_->set(r, now, rack_power_[r]);
  }
  thermal_node_power(n, now);
  // Jobs on the node: their power share changed.
  for (std::uint32_t j : nd.jobs) update_job_power(j, now);
}

void RunCore::update_job_power(std::uint32_t j, Seconds now) {
  JobRt& r = jobs_[j];
  settle_job(r, now);
  Watts p = 0;
  for (const Slice& s : r.alloc) {
    const NodeRt& nd = nodes_[s.node];
    p += s.gpus * nd.power->power_w(nd.eff_pstate, r.job.profile.utilisation, r.job.profile.intensity, r.job.profile.memory_power_w) +
         nd.host_w * s.gpus / static_cast<double>(nd.spec->accelerators_per_node);
  }
  r.power_w = p;
  r.energy.power_w = p;
  const NodeRt& lead = nodes_[r.alloc.front().node];
  r.freq_now = lead.power->freq_mhz(lead.eff_pstate);
}

}  // namespace dcsim::engine
