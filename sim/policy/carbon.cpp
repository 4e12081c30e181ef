// Carbon- and renewable-aware policies; equations, parameters and sources in carbon.hpp.
#include "policy/carbon.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dcsim {

namespace {
constexpr Seconds kInf = std::numeric_limits<Seconds>::infinity();

template <class F>
void for_started(std::span<const Event> events, F&& f) {
  for (const Event& e : events) {
    if (const auto* s = std::get_if<JobStarted>(&e)) f(s->job);
    if (const auto* s = std::get_if<JobFinished>(&e)) f(s->job);
  }
}

bool has_trace_step(std::span<const Event> events) {
  return std::any_of(events.begin(), events.end(),
                     [](const Event& e) { return std::holds_alternative<TraceStep>(e); });
}

double carbon_ahead(const ClusterView& view, Seconds lookahead_s) {
  if (view.forecast.carbon_gco2_per_kwh)
    return view.forecast.carbon_gco2_per_kwh(view.now_s, view.now_s + std::max(lookahead_s, 1.0));
  return view.carbon_now_gco2_per_kwh;
}
}  // namespace

Seconds estimate_of(const JobRequest& j, const DeferralOptions& d) {
  return j.walltime_estimate_s > 0 ? j.walltime_estimate_s : d.default_estimate_s;
}

Seconds latest_start(const JobRequest& j, const DeferralOptions& d) {
  const Seconds e = estimate_of(j, d);
  const Seconds deadline = j.deadline_s ? *j.deadline_s : j.submit_s + d.window_s + e;
  return deadline - e - d.margin_s;
}

void GatePolicy::wake_at(std::vector<Decision>& out, Seconds at) {
  if (at < kInf && at != last_wake_) {
    emit(out, WakeAt{at});
    last_wake_ = at;
  }
}

// ---- carbon-aware-shift -----------------------------------------------------------------------

Seconds CarbonAwareShift::plan_job(const ClusterView& view, const JobRequest& j) const {
  const Seconds now = view.now_s;
  const Seconds latest = latest_start(j, opt_.deferral);
  if (latest <= now) return now;
  const Seconds e = estimate_of(j, opt_.deferral);
  const auto& c = view.forecast.carbon_gco2_per_kwh;
  Seconds best_t = now;
  double best = c(now, now + e);
  auto consider = [&](Seconds t) {
    const double v = c(t, t + e);
    if (v < best) {
      best = v;
      best_t = t;
    }
  };
  for (long k = 1;; ++k) {
    const Seconds t = now + static_cast<double>(k) * opt_.step_s;
    if (t >= latest) break;
    consider(t);
  }
  consider(latest);
  return best_t;
}

void CarbonAwareShift::plan(const ClusterView& view, std::span<const Event> events) {
  now_ = view.now_s;
  active_ = static_cast<bool>(view.forecast.carbon_gco2_per_kwh);
  for_started(events, [&](JobId id) { plans_.erase(id); });
  if (!active_) return;
  if (opt_.replan && has_trace_step(events)) plans_.clear();
  if (plans_.size() > 2 * view.queue.size() + 1024) {  // drop plans of jobs that left the queue
    std::unordered_map<JobId, Seconds> keep;
    for (const JobRequest* j : view.queue)
      if (auto it = plans_.find(j->id); it != plans_.end()) keep.insert(*it);
    plans_.swap(keep);
  }
  for (const JobRequest* j : view.queue) {
    if (!j->deferrable || plans_.count(j->id)) continue;
    plans_.emplace(j->id, plan_job(view, *j));
  }
}

bool CarbonAwareShift::admits(const JobRequest& job) const {
  if (!active_ || !job.deferrable) return true;
  const auto it = plans_.find(job.id);
  return it == plans_.end() || now_ >= it->second;
}

std::optional<Seconds> CarbonAwareShift::planned_start(JobId job) const {
  const auto it = plans_.find(job);
  if (it == plans_.end()) return std::nullopt;
  return it->second;
}

void CarbonAwareShift::decide(const ClusterView& view, std::span<const Event>,
                              std::vector<Decision>& out) {
  if (!active_) return;
  Seconds next = kInf;
  for (const auto& [id, t] : plans_)
    if (t > view.now_s) next = std::min(next, t);
  wake_at(out, next);
}

// ---- carbon-threshold -------------------------------------------------------------------------

void CarbonThreshold::plan(const ClusterView& view, std::span<const Event>) {
  now_ = view.now_s;
  clean_ = !view.forecast.carbon_gco2_per_kwh ||
           carbon_ahead(view, opt_.lookahead_s) <= opt_.threshold_gco2;
}

bool CarbonThreshold::admits(const JobRequest& job) const {
  return !job.deferrable || clean_ || now_ >= latest_start(job, opt_.deferral);
}

void CarbonThreshold::decide(const ClusterView& view, std::span<const Event>,
                             std::vector<Decision>& out) {
  if (clean_) return;
  // Held jobs whose deadline will force them: be called back then. Queues are scanned once.
  Seconds next = kInf;
  for (const JobRequest* j : view.queue)
    if (j->deferrable) {
      const Seconds l = latest_start(*j, opt_.deferral);
      if (l > view.now_s) next = std::min(next, l);
    }
  wake_at(out, next);
}

// ---- follow-generation ------------------------------------------------------------------------

void FollowGeneration::plan(const ClusterView& view, std::span<const Event>) {
  now_ = view.now_s;
  held_.clear();
  const auto& gen = view.forecast.onsite_generation_w;
  if (!gen) return;
  Watts committed = view.it_power_w;
  for (const JobRequest* j : view.queue) {
    if (!j->deferrable) continue;
    if (now_ >= latest_start(*j, opt_.deferral)) continue;
    const Seconds e = estimate_of(*j, opt_.deferral);
    const Watts need = opt_.watts_per_gpu * j->gpus;
    if (gen(now_, now_ + e) >= committed + need)
      committed += need;
    else
      held_.insert(j->id);
  }
}

bool FollowGeneration::admits(const JobRequest& job) const {
  return held_.count(job.id) == 0;
}

void FollowGeneration::decide(const ClusterView& view, std::span<const Event>,
                              std::vector<Decision>& out) {
  if (held_.empty()) return;
  Seconds next = kInf;
  for (const JobRequest* j : view.queue)
    if (held_.count(j->id)) {
      const Seconds l = latest_start(*j, opt_.deferral);
      if (l > view.now_s) next = std::min(next, l);
    }
  wake_at(out, next);
}

// ---- battery-arbitrage ------------------------------------------------------------------------

void BatteryArbitrage::decide(const ClusterView& view, std::span<const Event>,
                              std::vector<Decision>& out) {
  const double c = carbon_ahead(view, opt_.lookahead_s);
  const BatteryMode mode = c < opt_.charge_below_gco2      ? BatteryMode::charge
                           : c > opt_.discharge_above_gco2 ? BatteryMode::discharge
                                                           : BatteryMode::automatic;
  if (mode != last_mode_) {
    emit(out, SetBatteryMode{mode});
    last_mode_ = mode;
  }
}

// ---- suspend-resume ---------------------------------------------------------------------------

Seconds SuspendResume::forced_release(const Suspension& s) const {
  Seconds t = s.at + opt_.max_suspend_s;
  if (s.deadline_s)
    t = std::min(t, *s.deadline_s - s.remaining_s - opt_.checkpoint_cost_s - opt_.margin_s);
  return t;
}

void SuspendResume::plan(const ClusterView& view, std::span<const Event> events) {
  now_ = view.now_s;
  has_forecast_ = static_cast<bool>(view.forecast.carbon_gco2_per_kwh);
  carbon_ = carbon_ahead(view, opt_.lookahead_s);
  for_started(events, [&](JobId id) { suspended_.erase(id); });
}

bool SuspendResume::admits(const JobRequest& job) const {
  const auto it = suspended_.find(job.id);
  if (it == suspended_.end()) return true;
  return carbon_ <= opt_.low_gco2 || now_ >= forced_release(it->second);
}

void SuspendResume::decide(const ClusterView& view, std::span<const Event>,
                           std::vector<Decision>& out) {
  const Seconds now = view.now_s;
  if (has_forecast_ && carbon_ > opt_.high_gco2) {
    for (const RunningJobView& r : view.running) {
      const JobRequest* j = r.request;
      if (j == nullptr || !j->preemptible || j->kind != JobKind::training) continue;
      const Seconds remaining = r.expected_end_s - now;
      if (remaining < opt_.min_remaining_s || suspended_.count(j->id)) continue;
      if (j->deadline_s && now + remaining + opt_.checkpoint_cost_s >= *j->deadline_s) continue;
      const Suspension s{now, remaining, j->deadline_s};
      if (forced_release(s) <= now) continue;  // it would have to resume at once
      emit(out, PreemptJob{j->id});
      suspended_.emplace(j->id, s);
    }
  }
  Seconds next = kInf;
  for (const auto& [id, s] : suspended_) {
    const Seconds t = forced_release(s);
    if (t > now) next = std::min(next, t);
  }
  wake_at(out, next);
}

}  // namespace dcsim
