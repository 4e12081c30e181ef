#include "physics/battery.hpp"

#include <algorithm>

namespace dcsim {

Battery::Battery(const BatterySpec& spec)
    : spec_(spec),
      nominal_j_(std::max(spec.capacity_mwh, 0.0) * 3.6e9),
      power_max_w_(std::max(spec.power_mw, 0.0) * 1e6) {
  spec_.charge_efficiency = std::clamp(spec_.charge_efficiency, 1e-6, 1.0);
  spec_.discharge_efficiency = std::clamp(spec_.discharge_efficiency, 1e-6, 1.0);
  spec_.soc_min = std::clamp(spec_.soc_min, 0.0, 1.0);
  spec_.soc_max = std::clamp(spec_.soc_max, spec_.soc_min, 1.0);
  stored_j_ = std::clamp(spec_.soc_initial, spec_.soc_min, spec_.soc_max) * nominal_j_;
  clean_j_ = 0;  // until set_clean_fraction(): the initial charge counts as not carbon-free
}

void Battery::set_clean_fraction(double f) { clean_j_ = std::clamp(f, 0.0, 1.0) * stored_j_; }

Watts Battery::max_discharge_w(Seconds dt_s) const {
  if (dt_s <= 0) return 0;
  const Joules avail = std::max(stored_j_ - spec_.soc_min * capacity_j(), 0.0);
  return std::min(power_max_w_, avail * spec_.discharge_efficiency / dt_s);
}

Watts Battery::max_charge_w(Seconds dt_s) const {
  if (dt_s <= 0) return 0;
  const Joules room = std::max(spec_.soc_max * capacity_j() - stored_j_, 0.0);
  return std::min(power_max_w_, room / (spec_.charge_efficiency * dt_s));
}

Battery::Step Battery::step(Seconds dt_s, Watts requested_w, double charge_clean_share) {
  Step r;
  if (dt_s <= 0) return r;
  const double cf_before = clean_fraction();
  if (requested_w > 0) {
    const Watts p = std::min(requested_w, max_discharge_w(dt_s));
    const Joules out = p * dt_s / spec_.discharge_efficiency;
    stored_j_ = std::max(stored_j_ - out, spec_.soc_min * capacity_j());
    clean_j_ = cf_before * stored_j_;
    throughput_j_ += out;
    r.power_w = p;
    r.loss_j = out - p * dt_s;
  } else if (requested_w < 0) {
    const Watts p = std::min(-requested_w, max_charge_w(dt_s));
    const Joules in = p * dt_s * spec_.charge_efficiency;
    const Joules before = stored_j_;
    stored_j_ = std::min(stored_j_ + in, spec_.soc_max * capacity_j());
    clean_j_ += (stored_j_ - before) * std::clamp(charge_clean_share, 0.0, 1.0);
    throughput_j_ += in;
    r.power_w = -p;
    r.loss_j = p * dt_s - in;
  }
  age_s_ += dt_s;
  update_health();
  const Joules top = spec_.soc_max * capacity_j();
  if (stored_j_ > top) {
    r.loss_j += stored_j_ - top;
    clean_j_ *= top / stored_j_;
    stored_j_ = top;
  }
  clean_j_ = std::clamp(clean_j_, 0.0, stored_j_);
  return r;
}

void Battery::update_health() {
  const double cycles = spec_.cycles_to_80pct > 0 ? spec_.cycles_to_80pct : 1e300;
  const double fade = 0.2 * equivalent_full_cycles() / cycles +
                      std::max(spec_.calendar_fade_per_year, 0.0) * age_s_ / kYear365;
  health_ = std::clamp(1.0 - fade, 0.0, 1.0);
}

}  // namespace dcsim
