#include <catch2/catch.hpp>

#include "fixtures/platforms/specs.hpp"
#include "physics/accelerator_power.hpp"

using namespace dcsim;

TEST_CASE("accelerator power is idle plus utilisation times intensity times the dynamic range",
          "[physics][accelerator]") {
  const AcceleratorPower p(fixtures::three_state_gpu());
  CHECK(p.idle_w() == 100);
  CHECK(p.pstate_count() == 3);
  CHECK(p.freq_mhz(1) == 1500);
  CHECK(p.power_w(0, 1.0, 1.0) == Approx(500));
  CHECK(p.power_w(1, 0.5, 0.8) == Approx(100 + 0.5 * 0.8 * 300));  // 220 W
  CHECK(p.power_w(2, 0.0, 1.0) == Approx(100));
  SECTION("utilisation is clamped to [0, 1] and p-states to the table") {
    CHECK(p.power_w(0, 1.7, 1.0) == Approx(500));
    CHECK(p.power_w(0, -0.3, 1.0) == Approx(100));
    CHECK(p.power_w(9, 1.0, 1.0) == Approx(300));
  }
}

TEST_CASE("a utilisation exponent below one makes power concave in utilisation",
          "[physics][accelerator]") {
  auto spec = fixtures::three_state_gpu();
  spec.utilisation_exponent = 0.5;
  const AcceleratorPower p(spec);
  // 100 + 0.25^0.5 · 1 · 400 = 300 W (linear would give 200 W)
  CHECK(p.power_w(0, 0.25, 1.0) == Approx(300));
  CHECK(p.power_w(0, 1.0, 1.0) == Approx(500));
}

TEST_CASE("the cap picks the fastest p-state that fits, else the slowest",
          "[physics][accelerator][capping]") {
  const AcceleratorPower p(fixtures::three_state_gpu());
  CHECK(p.highest_pstate_under(1000, 1, 1) == 0);
  CHECK(p.highest_pstate_under(450, 1, 1) == 1);   // 500 W > 450, 400 W fits
  CHECK(p.highest_pstate_under(400, 1, 1) == 1);   // the bound is inclusive
  CHECK(p.highest_pstate_under(250, 1, 1) == 2);   // nothing fits: slowest
  // half utilisation: 100 + 0.5·400 = 300 W at p-state 0 fits a 300 W cap
  CHECK(p.highest_pstate_under(300, 0.5, 1) == 0);
  // a light kernel (intensity 0.25) fits 250 W at full speed: 100 + 0.25·400 = 200 W
  CHECK(p.highest_pstate_under(250, 1, 0.25) == 0);
}

TEST_CASE("the binary search agrees with a linear scan on a long table", "[physics][accelerator]") {
  const auto spec = fixtures::law_gpu();
  const AcceleratorPower p(spec);
  for (double cap = 150; cap <= 1100; cap += 7.3) {
    for (double u : {0.3, 0.8, 1.0}) {
      int expect = p.pstate_count() - 1;
      for (int s = 0; s < p.pstate_count(); ++s) {
        if (p.power_w(s, u, 1.0) <= cap) {
          expect = s;
          break;
        }
      }
      REQUIRE(p.highest_pstate_under(cap, u, 1.0) == expect);
    }
  }
}

TEST_CASE("a frequency maps to the slowest p-state at or above it", "[physics][accelerator]") {
  const AcceleratorPower p(fixtures::three_state_gpu());
  CHECK(p.pstate_at_or_above(3000) == 0);
  CHECK(p.pstate_at_or_above(1600) == 0);
  CHECK(p.pstate_at_or_above(1500) == 1);
  CHECK(p.pstate_at_or_above(100) == 2);
}

TEST_CASE("requested caps are brought into the device's allowed range", "[physics][accelerator]") {
  const AcceleratorPower p(fixtures::three_state_gpu());
  CHECK(p.clamp_cap_w(100) == 200);
  CHECK(p.clamp_cap_w(350) == 350);
  CHECK(p.clamp_cap_w(600) == 500);
}

TEST_CASE("a group cap is shared by its devices after the other loads", "[physics][capping]") {
  CHECK(device_cap_from_group_cap_w(10000, 2000, 8) == Approx(1000));
  CHECK(device_cap_from_group_cap_w(1000, 2000, 8) == 0);
  CHECK(device_cap_from_group_cap_w(1000, 0, 0) == 0);
}

TEST_CASE("an accelerator without p-states is rejected", "[physics][accelerator]") {
  auto spec = fixtures::three_state_gpu();
  spec.pstates.clear();
  CHECK_THROWS_AS(AcceleratorPower(spec), std::invalid_argument);
}
