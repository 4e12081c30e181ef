#include <catch2/catch.hpp>

#include "core/rng.hpp"
#include "physics/battery.hpp"

using namespace dcsim;

namespace {
BatterySpec one_mwh() {
  BatterySpec s;
  s.capacity_mwh = 1;
  s.power_mw = 1;
  s.charge_efficiency = 0.9;
  s.discharge_efficiency = 0.9;
  s.soc_min = 0.1;
  s.soc_max = 0.9;
  s.soc_initial = 0.5;
  s.cycles_to_80pct = 5000;
  s.calendar_fade_per_year = 0;
  return s;
}
}  // namespace

TEST_CASE("discharge stops at the minimum state of charge", "[physics][battery]") {
  Battery b(one_mwh());
  CHECK(b.stored_j() == Approx(1.8e9));
  // 0.5 MW for 1 h would take 2 GJ out of storage; only 1.44 GJ are above SoC 0.1,
  // which deliver 1.44 GJ · 0.9 / 3600 s = 360 kW
  const auto r = b.step(3600, 0.5e6);
  CHECK(r.power_w == Approx(360000));
  CHECK(r.loss_j == Approx(1.44e9 - 360000.0 * 3600));
  CHECK(b.soc() == Approx(0.1).epsilon(1e-4));
}

TEST_CASE("charging is limited by the power rating and the efficiency", "[physics][battery]") {
  Battery b(one_mwh());
  const auto r = b.step(60, -2e6);
  CHECK(r.power_w == Approx(-1e6));
  CHECK(b.stored_j() == Approx(1.8e9 + 1e6 * 60 * 0.9));
  CHECK(r.loss_j == Approx(1e6 * 60 * 0.1));
}

TEST_CASE("capacity fades with equivalent full cycles and with age", "[physics][battery]") {
  SECTION("half an equivalent cycle costs 1 % when 10 cycles cost 20 %") {
    BatterySpec s = one_mwh();
    s.soc_min = 0;
    s.soc_max = 1;
    s.soc_initial = 1;
    s.charge_efficiency = s.discharge_efficiency = 1;
    s.cycles_to_80pct = 10;
    Battery b(s);
    b.step(3600, 1e6);  // 3.6 GJ out: 0.5 equivalent full cycles → fade 0.2·0.5/10
    CHECK(b.equivalent_full_cycles() == Approx(0.5));
    CHECK(b.health() == Approx(0.99));
    CHECK(b.capacity_j() == Approx(0.99 * 3.6e9));
  }
  SECTION("a year on the shelf costs the calendar fade") {
    BatterySpec s = one_mwh();
    s.calendar_fade_per_year = 0.02;
    Battery b(s);
    for (int d = 0; d < 365; ++d) b.step(86400, 0);
    CHECK(b.health() == Approx(0.98));
  }
}

TEST_CASE("the battery never leaves its bounds", "[physics][battery]") {
  BatterySpec s = one_mwh();
  s.cycles_to_80pct = 20000;        // fast fade, to exercise the clamp after fading
  s.calendar_fade_per_year = 0.3;
  Battery b(s);
  RngStream rng(42, "battery-bounds");
  for (int i = 0; i < 20000; ++i) {
    const double dt = 1 + rng.uniform() * 3600;
    const double req = (rng.uniform() * 2 - 1) * 3e6;
    const auto r = b.step(dt, req);
    REQUIRE(std::abs(r.power_w) <= 1e6 + 1e-6);
    REQUIRE(r.loss_j >= -1e-3);
    REQUIRE(b.soc() >= 0.1 - 1e-9);
    REQUIRE(b.soc() <= 0.9 + 1e-9);
    REQUIRE(b.health() >= 0);
    REQUIRE(b.health() <= 1);
  }
  CHECK(b.health() < 0.9);
}

TEST_CASE("energy leaving the battery carries the carbon-free share of the energy that charged it",
          "[physics][battery][cfe]") {
  BatterySpec s;
  s.capacity_mwh = 1;
  s.power_mw = 1;
  s.soc_initial = 0.1;
  Battery b(s);
  b.set_clean_fraction(0.0);
  CHECK(b.clean_fraction() == 0);
  // Charge 0.5 h at 1 MW: half of it carbon-free.
  b.step(1800, -1e6, 0.5);
  const double stored = 0.1 * 3.6e9 + 1e6 * 1800 * 0.94;
  CHECK(b.stored_j() == Approx(stored).epsilon(1e-9));
  CHECK(b.clean_fraction() == Approx(0.5 * 1e6 * 1800 * 0.94 / stored));
  // Discharging keeps the share (a well-mixed store).
  const double cf = b.clean_fraction();
  b.step(600, 5e5);
  CHECK(b.clean_fraction() == Approx(cf));
  b.set_clean_fraction(0.3);
  CHECK(b.clean_fraction() == Approx(0.3));
}
