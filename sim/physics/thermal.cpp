#include "physics/thermal.hpp"

#include <algorithm>
#include <cmath>

namespace dcsim {

namespace {
// The H200 calibration (platforms/calibration/thermal_fit.py on samples.csv; header comment).
constexpr double kH200ResistanceKPerW = 0.0354;
constexpr Seconds kH200TauS = 0.31;
constexpr Celsius kH200OffsetC = 12;   // estimated: 37.0 °C fitted inlet − 25 °C assumed room
constexpr Watts kH200TdpW = 700;
}  // namespace

DeviceThermal device_thermal(const AcceleratorSpec& a, const ThermalSpec& o) {
  DeviceThermal d;
  d.time_constant_s = kH200TauS;
  d.offset_c = kH200OffsetC;
  if (a.name == "H200-SXM") {
    d.resistance_k_per_w = kH200ResistanceKPerW;
    d.slowdown_c = 89;
    d.source = "R and tau fitted on platforms/calibration/data/samples.csv (our H200); offset and "
               "slowdown temperature estimated";
  } else if (a.name == "H100-SXM") {
    d.resistance_k_per_w = kH200ResistanceKPerW;
    d.slowdown_c = 89;
    d.source = "estimated: the H200's constants (same SXM5 board and 700 W heatsink)";
  } else {
    const Watts tdp = a.tdp_w > 0 ? a.tdp_w : kH200TdpW;
    d.resistance_k_per_w = kH200ResistanceKPerW * kH200TdpW / tdp;
    d.slowdown_c = a.kind == "tpu" ? 85 : (a.name.rfind("V100", 0) == 0 ? 87 : 89);
    d.source = "estimated: a heatsink sized for the TDP at the H200's die rise (R = 0.0354 K/W x 700 W / TDP)";
  }
  d.estimated = true;  // the offset and the slowdown temperature are estimated on every chip
  if (o.resistance_k_per_w) d.resistance_k_per_w = *o.resistance_k_per_w;
  if (o.time_constant_s) d.time_constant_s = *o.time_constant_s;
  if (o.offset_c) d.offset_c = *o.offset_c;
  if (o.slowdown_c) d.slowdown_c = *o.slowdown_c;
  return d;
}

Celsius device_inlet_c(const DeviceThermal& d, Celsius coolant_c) { return coolant_c + d.offset_c; }

Celsius steady_temp_c(const DeviceThermal& d, Celsius coolant_c, Watts power_w) {
  return device_inlet_c(d, coolant_c) + d.resistance_k_per_w * power_w;
}

Celsius temp_after_c(const DeviceThermal& d, Celsius t0_c, Celsius coolant_c, Watts power_w, Seconds dt) {
  const Celsius ss = steady_temp_c(d, coolant_c, power_w);
  if (dt <= 0) return t0_c;
  if (d.time_constant_s <= 0) return ss;
  return ss + (t0_c - ss) * std::exp(-dt / d.time_constant_s);
}

double temp_integral_ks(const DeviceThermal& d, Celsius t0_c, Celsius coolant_c, Watts power_w, Seconds dt) {
  if (dt <= 0) return 0;
  const Celsius ss = steady_temp_c(d, coolant_c, power_w);
  if (d.time_constant_s <= 0) return ss * dt;
  return ss * dt + (t0_c - ss) * d.time_constant_s * -std::expm1(-dt / d.time_constant_s);
}

Watts thermal_power_limit_w(const DeviceThermal& d, Celsius coolant_c) {
  return (d.slowdown_c - device_inlet_c(d, coolant_c)) / d.resistance_k_per_w;
}

Celsius device_coolant_c(const CoolingSpec& c, Celsius outdoor_c) {
  if (c.model == CoolingModel::liquid) return c.liquid_supply_temp_c;
  if (c.model == CoolingModel::chiller_economiser && outdoor_c < c.economiser_below_c)
    return std::max(outdoor_c, c.supply_temp_c);
  return c.supply_temp_c;
}

bool chiller_carries_air(const CoolingSpec& c, Celsius outdoor_c) {
  return !(c.model == CoolingModel::chiller_economiser && outdoor_c < c.economiser_below_c);
}

Celsius failed_coolant_c(const CoolingSpec& c, const ThermalSpec& t, Celsius outdoor_c, Celsius start_c,
                         Seconds since_s) {
  if (c.model == CoolingModel::liquid) return std::max(c.liquid_supply_temp_c, outdoor_c + c.approach_c);
  if (!chiller_carries_air(c, outdoor_c)) return device_coolant_c(c, outdoor_c);
  const Celsius top = std::max(t.failure_max_supply_c, start_c);
  return std::min(top, start_c + t.failure_rise_c_per_min * std::max(since_s, 0.0) / 60.0);
}

}  // namespace dcsim
