// Device temperature and thermal slowdown in a run (scenario key site.thermal). The laws are
// physics/thermal.hpp's; this file holds each device's temperature, integrates it on change like
// the power (exact exponential between changes of its power or coolant), applies the thermal
// power limit to the node's p-state (engine/node_power.cpp: the slowest p-state wins, and
// SimGrid re-times the work at the new host speed, as for a power cap), writes the thermal
// series and events, and steps the coolant through chiller failures.
//
// The devices of a node are filled in the order of its jobs (each job's GPUs on it, then serving
// GPUs, then idle ones): device i keeps its temperature when the node's jobs change, so a
// device taken by a new job starts from the temperature it had (with τ of a fraction of a second
// this matters only when a scenario sets a long time_constant).
//
// Serving replicas' GPUs (engine/serving.cpp) have a temperature here (their mean power per GPU)
// but their clock is the serving model's own: the thermal limit is not applied to them (open).
// The facility-cap budget (physics/power_budget.hpp) is computed with the normal cooling spec
// even during a chiller failure.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "engine/core.hpp"

namespace dcsim::engine {

namespace {
constexpr double kSteadyK = 1e-9;  // a device this close to its steady temperature is steady
}

bool RunCore::thermal_on() const { return sc_.site.thermal.enabled; }

std::vector<SeriesSpec> thermal_series_specs() {
  return {{"mean_device_temp_c", "degC", "mean accelerator temperature (first-order thermal model)", false},
          {"max_device_temp_c", "degC", "highest accelerator temperature in the interval", false},
          {"throttled_gpus", "1", "busy accelerators whose clock the thermal slowdown sets (interval mean)", false},
          {"device_coolant_temp_c", "degC", "coolant temperature at the accelerators (supply air or liquid loop)", false}};
}

void RunCore::thermal_setup() {
  if (!thermal_on()) return;
  const ThermalSpec& th = sc_.site.thermal;
  thermal_types_.clear();
  for (const NodeSpec* t : node_types_) {
    const AcceleratorSpec* acc = nullptr;
    for (const NodeRt& nd : nodes_)
      if (nd.spec == t) {
        acc = nd.acc;
        break;
      }
    thermal_types_.push_back(acc ? device_thermal(*acc, th) : DeviceThermal{});
  }
  coolant_c_ = device_coolant_c(sc_.site.cooling, site_->outdoor_temp_c());
  thermal_.assign(nodes_.size(), NodeThermal{});
  for (std::size_t n = 0; n < nodes_.size(); ++n) {
    NodeThermal& t = thermal_[n];
    const DeviceThermal& d = thermal_types_[nodes_[n].type];
    const int g = nodes_[n].spec->accelerators_per_node;
    t.power_w.assign(static_cast<std::size_t>(g), 0.0);
    // Devices start at the steady temperature of their power at t = 0 (set by the first
    // thermal_node_power); until then at the inlet temperature.
    t.temp_c.assign(static_cast<std::size_t>(g), device_inlet_c(d, coolant_c_));
    t.started = false;
    thermal_devices_ += g;
  }
  for (std::size_t i = 0; i < th.chiller_failures.size(); ++i)
    if (th.chiller_failures[i].start_s < run_end())
      push_timer(th.chiller_failures[i].start_s, SimTimer::thermal, static_cast<std::uint32_t>(i), 0);
}

// Adds the node's devices over [last, t) to the bins of the site series (exact).
void RunCore::thermal_advance(std::size_t n, Seconds t) {
  NodeThermal& th = thermal_[n];
  if (t <= th.last) return;
  const DeviceThermal& d = thermal_types_[nodes_[n].type];
  const Seconds dt_bin = sc_.time.sample_s;
  Seconds a = th.last;
  while (a < t) {
    const auto bin = static_cast<std::int64_t>(std::floor(a / dt_bin + 1e-12));
    const Seconds bin_end = static_cast<double>(bin + 1) * dt_bin;
    const Seconds b = std::min(t, bin_end);
    const Seconds w = b - a;
    ThermalBin& acc = thermal_bins_[bin];
    for (std::size_t i = 0; i < th.temp_c.size(); ++i) {
      const Celsius t0 = th.temp_c[i];
      const Celsius ss = steady_temp_c(d, coolant_c_, th.power_w[i]);
      if (std::fabs(t0 - ss) < kSteadyK) {
        acc.sum_ks += ss * w;
        acc.max_c = std::max(acc.max_c, ss);
        th.temp_c[i] = ss;
        continue;
      }
      acc.sum_ks += temp_integral_ks(d, t0, coolant_c_, th.power_w[i], w);
      const Celsius t1 = temp_after_c(d, t0, coolant_c_, th.power_w[i], w);
      acc.max_c = std::max({acc.max_c, t0, t1});
      th.temp_c[i] = t1;
    }
    acc.throttled_s += th.throttled_gpus * w;
    thermal_throttled_gpu_s_ += th.throttled_gpus * w;
    a = b;
  }
  th.last = t;
}

// After a change of the node's power: the per-device powers from now on, and its throttle state.
void RunCore::thermal_node_power(std::size_t n, Seconds now) {
  if (thermal_.empty()) return;  // thermal model off, or before thermal_setup()
  NodeThermal& th = thermal_[n];
  thermal_advance(n, now);
  const NodeRt& nd = nodes_[n];
  const int g = nd.spec->accelerators_per_node;
  std::size_t i = 0;
  const auto fill = [&](int k, Watts w) {
    for (int c = 0; c < k && i < th.power_w.size(); ++c) th.power_w[i++] = w;
  };
  const Watts extra = g > 0 ? nd.transition_w / g : 0.0;
  if (views_[n].state == NodeState::on) {
    for (std::uint32_t j : nd.jobs) {
      const JobRt& r = jobs_[j];
      fill(gpus_of_job_on(r, n), nd.power->power_w(nd.eff_pstate, r.job.profile.utilisation, r.job.profile.intensity) + extra);
    }
    if (nd.serving_gpus > 0) fill(nd.serving_gpus, nd.serving_accel_w / nd.serving_gpus + extra);
    fill(g, nd.power->power_w(nd.eff_pstate, 0.0, 0.0) + extra);
  } else {
    fill(g, extra);  // off, booting, shutting down: the accelerators draw nothing of their own
  }
  if (!th.started) {  // t = 0: every device at its steady temperature
    const DeviceThermal& d = thermal_types_[nd.type];
    for (std::size_t k = 0; k < th.temp_c.size(); ++k) th.temp_c[k] = steady_temp_c(d, coolant_c_, th.power_w[k]);
    th.started = true;
  }
  const bool throttled = !nd.jobs.empty() && views_[n].state == NodeState::on && th.limiting &&
                         nd.eff_pstate == th.pstate;
  th.throttled_gpus = throttled ? nd.busy_gpus : 0;
  if (throttled != th.throttled) {
    th.throttled = throttled;
    if (throttled) ++thermal_throttle_events_;
    record_event(now, throttled ? EventKind::thermal_throttle_start : EventKind::thermal_throttle_end, static_cast<std::int64_t>(n),
                 nd.power->freq_mhz(nd.eff_pstate));
  }
}

// In refresh_node: the fastest p-state at which every job's devices stay at or below the
// slowdown temperature, given the p-state `p` the other per-device limits allow.
int RunCore::thermal_limit_pstate(std::size_t n, int p) {
  NodeThermal& th = thermal_[n];
  const NodeRt& nd = nodes_[n];
  const DeviceThermal& d = thermal_types_[nd.type];
  const Watts limit = thermal_power_limit_w(d, coolant_c_);
  int q = 0;
  for (std::uint32_t j : nd.jobs) {
    const JobProfile& pr = jobs_[j].job.profile;
    const int k = nd.power->highest_pstate_under(std::max(limit, 0.0), pr.utilisation, pr.intensity);
    q = std::max(q, k);
    if (nd.power->power_w(k, pr.utilisation, pr.intensity) > limit)
      warn("the coolant is too hot for " + nd.acc->name + " running profile " + pr.name +
           ": at its lowest clock it stays above its slowdown temperature of " +
           std::to_string(static_cast<long long>(std::lround(d.slowdown_c))) + " °C");
  }
  th.pstate = q;
  th.limiting = q > p;
  return std::max(p, q);
}

// The coolant changed (weather, a chiller failure): every device integrated up to now at the old
// one, then the limits re-derived on busy nodes (their work is re-timed where the clock moves).
void RunCore::thermal_set_coolant(Celsius c, Seconds now) {
  if (c == coolant_c_) return;
  for (std::size_t n = 0; n < nodes_.size(); ++n) thermal_advance(n, now);
  thermal_coolant_advance(now);
  coolant_c_ = c;
  for (std::size_t n = 0; n < nodes_.size(); ++n)
    if (!nodes_[n].jobs.empty()) refresh_node(n, now);
}

Celsius RunCore::thermal_coolant_now(Seconds now) const {
  const CoolingSpec& cs = sc_.site.cooling;
  const Celsius out = site_->outdoor_temp_c();
  if (failure_index_ >= 0) {
    const ChillerFailureSpec& f = sc_.site.thermal.chiller_failures[static_cast<std::size_t>(failure_index_)];
    return failed_coolant_c(cs, sc_.site.thermal, out, failure_start_c_, now - f.start_s);
  }
  return device_coolant_c(cs, out);
}

void RunCore::thermal_inputs_changed(Seconds now) {
  if (!thermal_on()) return;
  thermal_set_coolant(thermal_coolant_now(now), now);
}

// Chiller failure timers: target = the failure's index; generation 0 = its start, 1 = a step of
// the rise, 2 = its end.
void RunCore::thermal_timer(const SimTimer& tm, Seconds now) {
  const ThermalSpec& th = sc_.site.thermal;
  const ChillerFailureSpec& f = th.chiller_failures[tm.target];
  if (tm.generation == 0) {
    failure_start_c_ = coolant_c_;
    failure_index_ = static_cast<int>(tm.target);
    site_->set_chiller_failed(true);
    record_event(now, EventKind::chiller_failure_start, -1, coolant_c_);
    if (f.end_s < run_end()) push_timer(f.end_s, SimTimer::thermal, tm.target, 2);
  } else if (tm.generation == 2) {
    failure_index_ = -1;
    site_->set_chiller_failed(false);
    chiller_failed_s_ += f.end_s - f.start_s;
    record_event(now, EventKind::chiller_failure_end, -1, coolant_c_);
    thermal_set_coolant(thermal_coolant_now(now), now);
    return;
  }
  if (failure_index_ != static_cast<int>(tm.target)) return;
  thermal_set_coolant(thermal_coolant_now(now), now);
  const Seconds next = now + th.failure_step_s;
  if (next < f.end_s && next < run_end()) push_timer(next, SimTimer::thermal, tm.target, 1);
}

// The coolant temperature over [last, t) into the bins (it is the same for every device).
void RunCore::thermal_coolant_advance(Seconds t) {
  const Seconds dt_bin = sc_.time.sample_s;
  Seconds a = coolant_last_t_;
  while (a < t) {
    const auto bin = static_cast<std::int64_t>(std::floor(a / dt_bin + 1e-12));
    const Seconds b = std::min(t, static_cast<double>(bin + 1) * dt_bin);
    thermal_bins_[bin].coolant_ks += coolant_c_ * (b - a);
    a = b;
  }
  coolant_last_t_ = std::max(coolant_last_t_, t);
}

// The thermal columns of the site row for the bin [t, end).
void RunCore::thermal_row(Seconds t, Seconds end, std::vector<double>& row) {
  for (std::size_t n = 0; n < nodes_.size(); ++n) thermal_advance(n, end);
  thermal_coolant_advance(end);
  const auto bin = static_cast<std::int64_t>(std::floor(t / sc_.time.sample_s + 1e-12));
  auto it = thermal_bins_.find(bin);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Seconds w = end - t;
  if (it == thermal_bins_.end() || w <= 0 || thermal_devices_ == 0) {
    row.insert(row.end(), {nan, nan, 0.0, nan});
  } else {
    const ThermalBin& b = it->second;
    const double mean = b.sum_ks / (static_cast<double>(thermal_devices_) * w);
    row.insert(row.end(), {mean, b.max_c, b.throttled_s / w, b.coolant_ks / w});
    thermal_sum_ks_ += b.sum_ks;
    thermal_max_c_ = std::max(thermal_max_c_, b.max_c);
  }
  if (it != thermal_bins_.end()) thermal_bins_.erase(it);
}

void RunCore::thermal_summary() {
  if (!thermal_on()) return;
  auto& s = summary_.values;
  s["thermal_mean_device_temp_c"] =
      final_t_ > 0 && thermal_devices_ > 0 ? thermal_sum_ks_ / (static_cast<double>(thermal_devices_) * final_t_) : 0;
  s["thermal_max_device_temp_c"] = thermal_max_c_;
  s["thermal_throttled_gpu_hours"] = thermal_throttled_gpu_s_ / 3600.0;
  s["thermal_throttle_events"] = static_cast<double>(thermal_throttle_events_);
  Seconds failed = chiller_failed_s_;
  if (failure_index_ >= 0)
    failed += final_t_ - sc_.site.thermal.chiller_failures[static_cast<std::size_t>(failure_index_)].start_s;
  s["chiller_failure_hours"] = failed / 3600.0;
}

}  // namespace dcsim::engine
