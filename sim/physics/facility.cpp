#include "physics/facility.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dcsim {

namespace {
constexpr double kMinLiftK = 10.0;
constexpr double kMaxDryCoolerFlow = 1.5;
constexpr double kMinAirDeltaShare = 1.0 / 3.0;

double cube(double x) { return x * x * x; }

double lift_k(const CoolingSpec& s, Celsius supply_c, Celsius outdoor_c) {
  return std::max(outdoor_c + s.approach_c - (supply_c - s.evaporator_approach_c), kMinLiftK);
}

struct AirPath {
  Watts chiller_w = 0;
  Watts fan_w = 0;
  bool economiser = false;
};

// Air path removing q with design heat q_d; economiser allowed or not.
AirPath air_path(const CoolingSpec& s, Watts q, Watts q_d, Celsius outdoor_c, bool allow_econ) {
  AirPath a;
  if (q <= 0 || q_d <= 0) return a;
  const double load = q / q_d;
  const double dt = std::max(s.air_delta_t_c, 1.0);
  if (allow_econ && outdoor_c < s.economiser_below_c) {
    a.economiser = true;
    const double warm = std::max(outdoor_c - s.supply_temp_c, 0.0);
    const double phi = load * dt / std::max(dt - warm, dt * kMinAirDeltaShare);
    a.fan_w = s.fan_power_fraction * q_d * cube(phi);
    return a;
  }
  a.chiller_w = s.chiller_failed ? 0.0 : q / chiller_cop(s, s.supply_temp_c, outdoor_c);
  a.fan_w = s.fan_power_fraction * q_d * cube(load);
  return a;
}
}  // namespace

Watts conversion_loss_w(const LossSpec& s, Watts load_w, Watts rated_w) {
  const Watts pr = s.rated_w > 0 ? s.rated_w : rated_w;
  if (pr <= 0) return 0;
  const Watts p = std::max(load_w, 0.0);
  return s.no_load * pr + s.proportional * p + s.square * p * p / pr;
}

LossSpec typical_ups_loss() { return LossSpec{0.04, 0.05, 0.0, 0}; }
LossSpec typical_pdu_loss() { return LossSpec{0.015, 0.0, 0.015, 0}; }

double cop_moore(Celsius supply_c) {
  const double t = std::clamp(supply_c, 10.0, 35.0);
  return 0.0068 * t * t + 0.0008 * t + 0.458;
}

double chiller_cop(const CoolingSpec& s, Celsius supply_c, Celsius outdoor_c) {
  return cop_moore(supply_c) * lift_k(s, supply_c, s.rating_outdoor_c) /
         lift_k(s, supply_c, outdoor_c);
}

CoolingResult cooling_power(const CoolingSpec& s, Watts it_heat_w, Celsius outdoor_c,
                            Watts design_it_w) {
  CoolingResult r;
  const Watts q = std::max(it_heat_w, 0.0);
  const Watts q_d = design_it_w > 0 ? design_it_w : q;
  if (s.model == CoolingModel::constant_pue) {
    r.chiller_w = std::max(s.pue - 1.0, 0.0) * q;
  } else if (s.model == CoolingModel::chiller || s.model == CoolingModel::chiller_economiser) {
    const AirPath a = air_path(s, q, q_d, outdoor_c, s.model == CoolingModel::chiller_economiser);
    r.chiller_w = a.chiller_w;
    r.fan_w = a.fan_w;
    r.economiser = a.economiser;
  } else {  // liquid
    const double share = std::clamp(s.liquid_capture, 0.0, 1.0);
    const AirPath a = air_path(s, (1 - share) * q, (1 - share) * q_d, outdoor_c, true);
    r.chiller_w = a.chiller_w;
    r.fan_w = a.fan_w;
    r.economiser = a.economiser;
    const Watts q_liq = share * q, q_liq_d = share * q_d;
    r.pump_w = s.pump_power_fraction * q_liq;
    if (q_liq > 0 && q_liq_d > 0) {
      const double dt_rated = std::max(s.liquid_supply_temp_c - s.approach_c - s.rating_outdoor_c, 1.0);
      const double dt = s.liquid_supply_temp_c - s.approach_c - outdoor_c;
      const double phi = dt > 0 ? (q_liq / q_liq_d) * dt_rated / dt
                                : std::numeric_limits<double>::infinity();
      if (phi <= kMaxDryCoolerFlow) {
        r.dry_cooler_w = s.dry_cooler_fraction * q_liq_d * cube(phi);
      } else {
        Watts rejected = 0;
        if (dt > 0) {
          r.dry_cooler_w = s.dry_cooler_fraction * q_liq_d * cube(kMaxDryCoolerFlow);
          rejected = q_liq_d * kMaxDryCoolerFlow * dt / dt_rated;
        }
        const Watts trim = std::max(q_liq - rejected, 0.0);
        if (!s.chiller_failed) r.chiller_w += trim / chiller_cop(s, s.liquid_supply_temp_c, outdoor_c);
      }
    }
  }
  r.cooling_w = r.chiller_w + r.fan_w + r.pump_w + r.dry_cooler_w;
  r.cop = r.cooling_w > 0 ? q / r.cooling_w : std::numeric_limits<double>::infinity();
  return r;
}

FacilityPower facility_power(const CoolingSpec& cooling, const LossSpec& ups, const LossSpec& pdu,
                             Watts it_w, Celsius outdoor_c, Watts design_it_w) {
  FacilityPower f;
  f.it_w = std::max(it_w, 0.0);
  if (cooling.model == CoolingModel::constant_pue) {
    f.cooling = cooling_power(cooling, f.it_w, outdoor_c, design_it_w);
  } else {
    f.pdu_loss_w = conversion_loss_w(pdu, f.it_w, design_it_w);
    f.ups_loss_w = conversion_loss_w(ups, f.it_w + f.pdu_loss_w, design_it_w);
    const Watts heat = f.it_w + f.pdu_loss_w + f.ups_loss_w;
    f.cooling = cooling_power(cooling, heat, outdoor_c, design_it_w);
    f.misc_w = cooling.misc_fraction * std::max(design_it_w, 0.0);
  }
  f.cooling_w = f.cooling.cooling_w;
  f.total_w = f.it_w + f.pdu_loss_w + f.ups_loss_w + f.cooling_w + f.misc_w;
  f.pue = f.it_w > 0 ? f.total_w / f.it_w : std::numeric_limits<double>::quiet_NaN();
  return f;
}

}  // namespace dcsim
