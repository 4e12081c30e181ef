// Specification of the first-order thermal model and the thermal slowdown limit
// (physics/thermal.hpp): the exact solution between changes, its integral, the limit that holds
// the steady temperature at the slowdown temperature, the coolant of each cooling model and in a
// chiller failure, and the per-chip constants with their overrides.
#include <catch2/catch.hpp>

#include <cmath>

#include "physics/thermal.hpp"

using namespace dcsim;

namespace {
DeviceThermal h200() {
  AcceleratorSpec a;
  a.name = "H200-SXM";
  a.tdp_w = 700;
  return device_thermal(a, ThermalSpec{});
}
}  // namespace

TEST_CASE("the H200's thermal constants are the calibration's, and a scenario overrides them", "[thermal]") {
  const DeviceThermal d = h200();
  CHECK(d.resistance_k_per_w == 0.0354);
  CHECK(d.time_constant_s == 0.31);
  CHECK(d.offset_c == 12);
  CHECK(d.slowdown_c == 89);
  AcceleratorSpec a100;
  a100.name = "A100-SXM4-80GB";
  a100.tdp_w = 400;
  CHECK(device_thermal(a100, {}).resistance_k_per_w == Approx(0.0354 * 700 / 400));
  ThermalSpec o;
  o.resistance_k_per_w = 0.05;
  o.slowdown_c = 80;
  const DeviceThermal d2 = device_thermal(a100, o);
  CHECK(d2.resistance_k_per_w == 0.05);
  CHECK(d2.slowdown_c == 80);
  CHECK(d2.time_constant_s == 0.31);
}

TEST_CASE("the RC solution is exact: steady temperature, decay by e per time constant, its integral", "[thermal]") {
  DeviceThermal d = h200();
  d.time_constant_s = 100;
  const double ss = steady_temp_c(d, 20, 600);
  CHECK(ss == Approx(20 + 12 + 0.0354 * 600));
  CHECK(temp_after_c(d, 40, 20, 600, 100) == Approx(ss + (40 - ss) / std::exp(1.0)));
  CHECK(temp_after_c(d, 40, 20, 600, 1e6) == Approx(ss));
  // Two pieces make one: the solution composes.
  CHECK(temp_after_c(d, temp_after_c(d, 40, 20, 600, 30), 20, 600, 70) == Approx(temp_after_c(d, 40, 20, 600, 100)));
  // The integral against a fine midpoint sum.
  double sum = 0;
  for (int i = 0; i < 100000; ++i) sum += temp_after_c(d, 40, 20, 600, (i + 0.5) * 1e-3) * 1e-3;
  CHECK(temp_integral_ks(d, 40, 20, 600, 100) == Approx(sum).epsilon(1e-9));
}

TEST_CASE("at the thermal power limit the steady temperature is the slowdown temperature", "[thermal]") {
  const DeviceThermal d = h200();
  for (double coolant : {18.0, 27.0, 45.0, 60.0}) {
    const Watts p = thermal_power_limit_w(d, coolant);
    CHECK(steady_temp_c(d, coolant, p) == Approx(89.0));
  }
  CHECK(thermal_power_limit_w(d, 27) == Approx((89 - 39) / 0.0354));
  CHECK(thermal_power_limit_w(d, 80) < 0);  // hotter than the slowdown temperature at zero power
}

TEST_CASE("the coolant at the devices follows the cooling model and rises in a chiller failure", "[thermal]") {
  CoolingSpec c;
  c.model = CoolingModel::chiller;
  c.supply_temp_c = 22;
  CHECK(device_coolant_c(c, 40) == 22);
  c.model = CoolingModel::chiller_economiser;
  c.economiser_below_c = 25;
  CHECK(device_coolant_c(c, 10) == 22);  // outside air mixed down to the set point
  CHECK(device_coolant_c(c, 24) == 24);  // outside air warmer than the set point
  CHECK(device_coolant_c(c, 30) == 22);  // chiller
  c.model = CoolingModel::liquid;
  c.liquid_supply_temp_c = 40;
  CHECK(device_coolant_c(c, 45) == 40);
  ThermalSpec t;
  t.failure_rise_c_per_min = 2;
  t.failure_max_supply_c = 50;
  c.model = CoolingModel::chiller;
  CHECK(failed_coolant_c(c, t, 40, 22, 0) == 22);
  CHECK(failed_coolant_c(c, t, 40, 22, 600) == Approx(42));
  CHECK(failed_coolant_c(c, t, 40, 22, 3600) == 50);
  c.model = CoolingModel::chiller_economiser;
  CHECK(failed_coolant_c(c, t, 10, 22, 3600) == 22);  // in free cooling a failed chiller changes nothing
  c.model = CoolingModel::liquid;
  c.approach_c = 5;
  CHECK(failed_coolant_c(c, t, 45, 40, 60) == 50);  // dry cooler alone: outdoor + approach
  CHECK(failed_coolant_c(c, t, 20, 40, 60) == 40);
}
