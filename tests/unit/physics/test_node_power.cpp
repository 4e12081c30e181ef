#include <catch2/catch.hpp>

#include "fixtures/platforms/specs.hpp"
#include "physics/node_power.hpp"

using namespace dcsim;

TEST_CASE("fans follow the cube law between their idle and maximum power", "[physics][node]") {
  const auto n = fixtures::test_node();  // fans 100–800 W: idle speed (100/800)^(1/3) = 0.5
  CHECK(fan_power_w(n, 0) == Approx(100));
  CHECK(fan_power_w(n, 1) == Approx(800));
  CHECK(fan_power_w(n, 0.5) == Approx(800 * 0.75 * 0.75 * 0.75));  // 337.5 W
}

TEST_CASE("host power is idle plus load share plus NIC and fans", "[physics][node]") {
  const auto n = fixtures::test_node();
  CHECK(host_power_w(n, 0) == Approx(500 + 100 + 100));
  // 500 + 0.5·500 + 100 + 337.5
  CHECK(host_power_w(n, 0.5) == Approx(1187.5));
  CHECK(host_power_w(n, 1) == Approx(1000 + 100 + 800));
  SECTION("hot accelerators spin the fans up even with an idle host") {
    CHECK(host_power_w(n, 0, 1.0) == Approx(500 + 100 + 800));
  }
}

TEST_CASE("node power adds the accelerators and their heat to the host", "[physics][node]") {
  const auto n = fixtures::test_node();
  // accelerators at 2000 W of 4000 W TDP: fans at load 0.5 → 337.5 W
  CHECK(node_power_w(n, 0.2, 2000, 4000) == Approx(500 + 0.2 * 500 + 100 + 337.5 + 2000));
}
