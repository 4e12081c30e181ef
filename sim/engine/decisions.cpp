// Applying the policies' decisions (the rule for invalid ones is in engine/core.hpp).
#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "engine/core.hpp"

namespace dcsim::engine {

void RunCore::apply(const StartJob& d, Seconds now) {
  const std::uint32_t j = job_index(d.job);
  JobRt& r = jobs_[j];
  if (r.state != JobState::queued)
    throw InvariantError(std::string(policy_.name()) + " started job " + std::to_string(d.job) + " which is not queued");
  if (draining_) return;  // no job starts during the drain (a gate released it late)
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
    throw InvariantError(std::string(policy_.name()) + " gave job " + std::to_string(d.job) + " " + std::to_string(total) +
                         " GPUs, expected " + std::to_string(want));
  queue_.erase(std::find(queue_.begin(), queue_.end(), &r.job.request));
  begin_run(j, d.allocation, total, now, -1.0, -1.0);
  events_next_.push_back(JobStarted{r.job.request.id});
}

// Resizing a running elastic job: its progress is kept (the fraction of work done so far at the
// speeds of its current run, the restart cost of that run excluded), its work cancelled, its GPUs
// exchanged at once, and it continues on the new set after cost_s (re-sharding: checkpoint +
// restart, paid like a preemption's restart). Energy of the interval before is settled on the old
// allocation; the new one draws power from now on.
void RunCore::apply(const ResizeJob& d, Seconds now) {
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
    throw InvariantError(who + " to " + std::to_string(total) + " GPUs, expected [" + std::to_string(lo) + ", " +
                         std::to_string(hi) + "]");
  if (d.cost_s < 0) throw InvariantError(who + " with a negative cost");
  r.remaining *= (1.0 - progress_done(r, now));
  const int old_gpus = r.gpus;
  const RunningJobView old_view = running_[r.running_index];
  exec_.cancel(WorkHandle{j, r.run_gen});
  const Allocation old_alloc = r.alloc;
  // Nodes are re-derived once, after the exchange: a node the job keeps must not see a moment
  // without it (a spurious p-state change under a cap would cost transition energy).
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
  record_event(now, EventKind::resize, static_cast<std::int64_t>(q.id), total);
  events_.push_back(JobResized{q.id});
  redecide_ = true;
}

void RunCore::apply(const PreemptJob& d, Seconds now) {
  const std::uint32_t j = job_index(d.job);
  JobRt& r = jobs_[j];
  if (r.state != JobState::running) return;
  // Progress: elapsed run time over the job's expected remaining time at current speeds.
  r.remaining *= (1.0 - progress_done(r, now));
  r.restart_cost_s = r.job.profile.checkpoint_cost_s;
  exec_.cancel(WorkHandle{j, r.run_gen});
  stop_running(j, now);
  r.state = JobState::queued;
  queue_.push_back(&r.job.request);
  ++preemptions_;
  record_event(now, EventKind::preempt, static_cast<std::int64_t>(r.job.request.id), r.remaining);
  events_next_.push_back(JobPreempted{r.job.request.id});
}

void RunCore::apply(const RejectJob& d, Seconds now) {
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

void RunCore::apply(const SetPState& d, Seconds now) {
  if (d.node >= nodes_.size()) throw InvariantError(std::string(policy_.name()) + " set the p-state of unknown node " + std::to_string(d.node));
  NodeRt& nd = nodes_[d.node];
  const int p = std::clamp(d.pstate, 0, nd.power->pstate_count() - 1);
  if (nd.gov_pstate == p) return;
  nd.gov_pstate = p;
  refresh_node(d.node, now);
}

void RunCore::apply(const SetPowerCap& d, Seconds now) {
  const Watts cap = d.cap_w > 0 ? d.cap_w : 0;
  const std::string who = std::string(policy_.name());
  switch (d.scope) {
    case CapScope::device: {
      if (d.id && *d.id >= nodes_.size()) throw InvariantError(who + " capped the accelerators of unknown node " + std::to_string(*d.id));
      const std::size_t lo = d.id ? *d.id : 0, hi = d.id ? *d.id + 1 : nodes_.size();
      for (std::size_t i = lo; i < hi; ++i) {
        NodeRt& nd = nodes_[i];
        Watts limit = nd.type_limit_w;
        // A share of TDP: each accelerator's own TDP (cap_tdp_fraction of the power-cap policy).
        const Watts dev_cap = d.tdp_fraction > 0 ? d.tdp_fraction * nd.acc->tdp_w : cap;
        if (dev_cap > 0) {
          limit = nd.power->clamp_cap_w(dev_cap);
          if (limit != dev_cap)
            warn(who + ": a device power limit of " + std::to_string(static_cast<long long>(std::llround(dev_cap))) + " W on " +
                 nd.acc->name + " is outside its allowed range [" +
                 std::to_string(static_cast<long long>(std::llround(nd.power->limit_min_w()))) + ", " +
                 std::to_string(static_cast<long long>(std::llround(nd.power->limit_max_w()))) + "] W; " +
                 std::to_string(static_cast<long long>(std::llround(limit))) + " W applied");
        }
        nd.device_limit_w = limit;
      }
      break;
    }
    case CapScope::node:
      if (!d.id || *d.id >= nodes_.size()) throw InvariantError(who + " capped an unknown node");
      nodes_[*d.id].node_cap_w = cap;
      break;
    case CapScope::rack: {
      if (!d.id || *d.id >= topo_.rack_count()) throw InvariantError(who + " capped an unknown rack");
      CapGroup& g = rack_groups_[*d.id];
      g.cap_w = cap;
      g.basis = CapBasis::it;
      g.it_budget_w = cap;
      const auto members = topo_.nodes_of_rack(*d.id);
      rebuild_group(g, members, "rack", *d.id, now);
      break;
    }
    case CapScope::site: {
      site_group_.cap_w = cap;
      site_group_.basis = d.basis;
      site_group_.it_budget_w = d.basis == CapBasis::facility
                                    ? max_it_under_facility_cap(site_->spec(), cap, site_->outdoor_temp_c(), design_it_w_)
                                    : cap;
      std::vector<std::uint32_t> all(nodes_.size());
      for (std::uint32_t i = 0; i < all.size(); ++i) all[i] = i;
      rebuild_group(site_group_, all, "site", -1, now);
      break;
    }
  }
  record_event(now, EventKind::cap, d.scope == CapScope::site ? -1 : d.id ? static_cast<std::int64_t>(*d.id) : -1, cap);
  if (d.scope == CapScope::device || d.scope == CapScope::node) {
    const std::size_t lo = d.id ? *d.id : 0, hi = d.id ? *d.id + 1 : nodes_.size();
    for (std::size_t i = lo; i < hi; ++i) refresh_node(i, now);
  }
}

void RunCore::apply(const PowerOff& d, Seconds now) {
  if (d.node >= nodes_.size()) throw InvariantError(std::string(policy_.name()) + " powered off unknown node " + std::to_string(d.node));
  NodeView& v = views_[d.node];
  if (v.state != NodeState::on || v.gpus_free != v.gpus_total) return;  // busy or not on: moot
  const NodeSpec& s = *nodes_[d.node].spec;
  set_node_state(d.node, NodeState::shutting_down, now);
  record_event(now, EventKind::power_off, d.node, 0);
  push_timer(now + s.shutdown_s, SimTimer::shutdown_done, d.node, ++nodes_[d.node].boot_gen);
}

void RunCore::apply(const PowerOn& d, Seconds now) {
  if (d.node >= nodes_.size()) throw InvariantError(std::string(policy_.name()) + " powered on unknown node " + std::to_string(d.node));
  NodeView& v = views_[d.node];
  if (v.state != NodeState::off && v.state != NodeState::shutting_down) return;
  if (!nodes_[d.node].present) return;  // not installed (yet) or retired: moot (site.fleet)
  const NodeSpec& s = *nodes_[d.node].spec;
  set_node_state(d.node, NodeState::booting, now);
  record_event(now, EventKind::power_on, d.node, 0);
  push_timer(now + s.boot_s, SimTimer::boot_done, d.node, ++nodes_[d.node].boot_gen);
}

void RunCore::apply(const WakeAt& d, Seconds now) {
  if (d.at > now && d.at < run_end()) push_timer(d.at, SimTimer::policy_wake, 0, 0);
}

void RunCore::apply(const SetBatteryMode& d, Seconds now) {
  if (battery_mode_ != d.mode) record_event(now, EventKind::battery_mode, -1, static_cast<double>(d.mode));
  battery_mode_ = d.mode;
  site_->conditions().battery_mode = d.mode;
}

}  // namespace dcsim::engine
