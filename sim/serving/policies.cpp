#include "serving/policies.hpp"

#include <algorithm>
#include <cmath>

namespace dcsim::serving {

Autoscaler::Autoscaler(const DeploymentSpec& d)
    : spec_(d.autoscaling), min_(d.min_replicas), max_(d.max_replicas), desired_(d.replicas) {}

int Autoscaler::decide(Seconds t0, Seconds t1, double arrivals, double queued, double saturation_rps,
                       int current) {
  desired_ = current;
  if (!spec_.enabled) return desired_;
  const Seconds dt = t1 - t0;
  window_.push_back({dt, arrivals});
  window_span_ += dt;
  window_arrivals_ += arrivals;
  while (window_.size() > 1 && window_span_ - window_.front().first >= spec_.window_s - 1e-9) {
    window_span_ -= window_.front().first;
    window_arrivals_ -= window_.front().second;
    window_.pop_front();
  }
  const double rate = window_span_ > 0 ? (window_arrivals_ + queued) / window_span_ : 0.0;
  const double per_replica = spec_.target_utilisation * saturation_rps;
  int raw = per_replica > 0 ? static_cast<int>(std::ceil(rate / per_replica - 1e-9)) : max_;
  raw = std::clamp(raw, min_, max_);
  if (queued > 0 && raw < 1 && max_ >= 1) raw = 1;
  if (raw > current) {
    down_since_ = -1;
    if (up_since_ < 0) up_since_ = t1;
    if (t1 - up_since_ >= spec_.scale_up_delay_s - 1e-9) {
      desired_ = raw;
      up_since_ = -1;
    }
  } else if (raw < current) {
    up_since_ = -1;
    if (down_since_ < 0) down_since_ = t1;
    if (t1 - down_since_ >= spec_.scale_down_delay_s - 1e-9) {
      desired_ = raw;
      down_since_ = -1;
    }
  } else {
    up_since_ = down_since_ = -1;
  }
  return desired_;
}

ClockGovernor::ClockGovernor(const DeploymentSpec& d, Megahertz f_max, Megahertz f_min)
    : spec_(d.frequency_cap), slo_(d.slo), f_max_(f_max),
      f_min_(std::max(f_min, d.frequency_cap.min_mhz)), target_(f_max) {}

void ClockGovernor::observe(Seconds t1, Seconds step_s, double finished, Seconds p99_ttft_s,
                            Seconds p99_tpot_s) {
  if (!spec_.enabled) return;
  if (finished > 0) {
    finished_ += finished;
    worst_ttft_ = std::max(worst_ttft_, p99_ttft_s);
    worst_tpot_ = std::max(worst_tpot_, p99_tpot_s);
  }
  const Seconds interval = spec_.interval_s > 0 ? spec_.interval_s : step_s;
  if (t1 + 1e-9 < next_decision_) return;
  next_decision_ = t1 + interval;
  if (finished_ > 0) {
    const double keep = 1.0 - spec_.margin;
    bool missed = false, slack = true;
    if (slo_.ttft_s > 0) {
      missed = missed || worst_ttft_ > slo_.ttft_s;
      slack = slack && worst_ttft_ <= keep * slo_.ttft_s;
    }
    if (slo_.tpot_s > 0) {
      missed = missed || worst_tpot_ > slo_.tpot_s;
      slack = slack && worst_tpot_ <= keep * slo_.tpot_s;
    }
    if (missed) {
      // back up two steps and keep away from the clock that missed for a while
      ban_mhz_ = std::max(ban_mhz_, target_ + spec_.step_mhz);
      ban_until_ = t1 + 10 * interval;
      target_ = std::min(f_max_, target_ + 2 * spec_.step_mhz);
    } else if (slack) {
      const Megahertz lowest = t1 < ban_until_ ? std::max(f_min_, ban_mhz_) : f_min_;
      if (t1 >= ban_until_) ban_mhz_ = 0;
      target_ = std::max(std::min(target_, std::max(lowest, target_ - spec_.step_mhz)), f_min_);
    }
  }
  finished_ = 0;
  worst_ttft_ = worst_tpot_ = 0;
}

}  // namespace dcsim::serving
