// The site's supply balance (physics/site_balance.hpp): who serves the load, what the battery
// does in each mode, and the carbon-free power of the 24/7 CFE score.
#include <catch2/catch.hpp>

#include <cmath>

#include "physics/site_balance.hpp"

using namespace dcsim;

namespace {
BatteryState half_full() {
  BatteryState b;
  b.present = true;
  b.capacity_j = 3.6e9;  // 1 MWh
  b.stored_j = 0.5 * 3.6e9;
  b.power_limit_w = 100e3;
  return b;
}
}  // namespace

TEST_CASE("without a battery the grid imports the deficit and exports or curtails the surplus", "[physics][supply]") {
  SupplyConditions c;
  c.generation_w = 300e3;
  c.grid_cfe_share = 0.4;
  c.carbon_gco2_per_kwh = 500;
  c.price_usd_per_kwh = 0.1;
  BatterySpec spec;
  const SupplyBalance d = supply_balance(500e3, {}, spec, c, true);
  CHECK(d.import_w == Approx(200e3));
  CHECK(d.generation_to_load_w == Approx(300e3));
  CHECK(d.clean_supply_w == Approx(300e3 + 0.4 * 200e3));
  CHECK(d.emissions_kg_per_h == Approx(200 * 500 / 1000.0));
  CHECK(d.cost_usd_per_h == Approx(20));
  const SupplyBalance s = supply_balance(100e3, {}, spec, c, true);
  CHECK(s.export_w == Approx(200e3));
  CHECK(s.clean_supply_w == Approx(100e3));
  CHECK(supply_balance(100e3, {}, spec, c, false).curtailed_w == Approx(200e3));
}

TEST_CASE("the battery absorbs a surplus and covers a deficit in automatic mode", "[physics][supply][battery]") {
  BatterySpec spec;
  SupplyConditions c;
  c.generation_w = 500e3;
  const SupplyBalance sur = supply_balance(450e3, half_full(), spec, c, true);
  CHECK(sur.charge_w == Approx(50e3));
  CHECK(sur.charge_clean_share == Approx(1.0));  // from on-site generation
  // Until soc_max (0.9): 0.4 MWh / (0.94 · 50 kW)
  CHECK(sur.until_battery_bound_s == Approx(0.4 * 3.6e9 / (0.94 * 50e3)));
  c.generation_w = 0;
  BatteryState b = half_full();
  b.clean_fraction = 0.25;
  const SupplyBalance def = supply_balance(150e3, b, spec, c, true);
  CHECK(def.discharge_w == Approx(100e3));
  CHECK(def.import_w == Approx(50e3));
  CHECK(def.clean_supply_w == Approx(0.25 * 100e3));  // the battery passes on its carbon-free share
}

TEST_CASE("charging from the grid carries the grid's carbon-free share into the battery", "[physics][supply][battery][cfe]") {
  BatterySpec spec;
  SupplyConditions c;
  c.generation_w = 20e3;
  c.grid_cfe_share = 0.3;
  c.battery_mode = BatteryMode::charge;
  const SupplyBalance b = supply_balance(10e3, half_full(), spec, c, true);
  CHECK(b.charge_w == Approx(100e3));
  // 10 kW of surplus generation (clean) + 90 kW from the grid at 30 %.
  CHECK(b.charge_clean_share == Approx((10e3 + 90e3 * 0.3) / 100e3));
  CHECK(b.import_w == Approx(90e3));
  CHECK(b.clean_supply_w == Approx(10e3));  // the load is served by generation
  SECTION("an empty battery cannot discharge, a full one cannot charge") {
    BatteryState e = half_full();
    e.stored_j = spec.soc_min * e.capacity_j;
    c.battery_mode = BatteryMode::discharge;
    c.generation_w = 0;
    CHECK(supply_balance(10e3, e, spec, c, true).discharge_w == 0);
    e.stored_j = spec.soc_max * e.capacity_j;
    c.battery_mode = BatteryMode::charge;
    CHECK(supply_balance(10e3, e, spec, c, true).charge_w == 0);
  }
}
