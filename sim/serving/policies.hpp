#pragma once
// Serving policies, decided at the end of every step from what the step measured.
//
// Autoscaler (replicas on load; the shape of Kubernetes' Horizontal Pod Autoscaler with its
// stabilisation windows, kubernetes.io/docs "Horizontal Pod Autoscaling", and of Knative's
// scale to zero):
//   rate  = arrivals over the last window_s / window_s (requests/s; the deployment's queue
//           counts as arrivals still to serve)
//   raw   = ceil(rate / (target_utilisation · μ)), μ = saturation throughput of one replica
//           (load_table.hpp's backlogged sample), clamped into [min_replicas, max_replicas];
//           raw ≥ 1 while requests wait and max_replicas ≥ 1
//   The count moves to raw once raw has stayed above the current count for scale_up_delay_s
//   (below it for scale_down_delay_s), measured from the first step end at which it did.
// SLO-aware clock capping (frequency_cap): every interval_s, from the largest step p99 TTFT and
//   TPOT of the interval: all set targets met with margin (p99 ≤ (1 − margin)·target) → the
//   clock target drops by step_mhz (not below min_mhz, the device's slowest clock, or a banned
//   clock); any target missed → it rises by 2·step_mhz (not above f_max) and the clocks up to
//   one step above the one that missed are banned for 10 intervals (lower slowly, recover
//   fast: the latency rises steeply once the clock leaves too little capacity); otherwise it
//   holds; an interval without finished requests holds. Each replica runs at the slowest of
//   its p-state for that clock (AcceleratorPower::pstate_at_or_above) and the engine's
//   governor p-state.
#include <deque>
#include <utility>

#include "core/units.hpp"
#include "model/serving_spec.hpp"

namespace dcsim::serving {

class Autoscaler {
 public:
  Autoscaler(const DeploymentSpec& d);
  bool enabled() const { return spec_.enabled; }
  // After the step [t0, t1) with `arrivals` arrivals and `queued` requests waiting at its end;
  // `current` is the replica count it asked for so far. Returns the new desired count.
  int decide(Seconds t0, Seconds t1, double arrivals, double queued, double saturation_rps, int current);
  int desired() const { return desired_; }

 private:
  AutoscalingSpec spec_;
  int min_ = 0, max_ = 0, desired_ = 0;
  std::deque<std::pair<Seconds, double>> window_;  // (duration, arrivals) of recent steps
  Seconds window_span_ = 0;
  double window_arrivals_ = 0;
  Seconds up_since_ = -1, down_since_ = -1;
};

class ClockGovernor {
 public:
  // f_max, f_min: the fastest and slowest clocks of the deployment's accelerators.
  ClockGovernor(const DeploymentSpec& d, Megahertz f_max, Megahertz f_min);
  bool enabled() const { return spec_.enabled; }
  Megahertz target_mhz() const { return target_; }
  // After a step: the p99s of the requests that finished in it (finished = how many).
  void observe(Seconds t1, Seconds step_s, double finished, Seconds p99_ttft_s, Seconds p99_tpot_s);

 private:
  FrequencyCapSpec spec_;
  SloSpec slo_;
  Megahertz f_max_ = 0, f_min_ = 0, target_ = 0;
  Seconds next_decision_ = 0;
  Megahertz ban_mhz_ = 0;    // no lower than this until ban_until_ (a clock that missed)
  Seconds ban_until_ = 0;
  double finished_ = 0;
  Seconds worst_ttft_ = 0, worst_tpot_ = 0;
};

}  // namespace dcsim::serving
