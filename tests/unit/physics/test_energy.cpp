// Energy integrated on change, and interval averages that sum exactly to it.
#include <catch2/catch.hpp>

#include <vector>

#include "physics/energy.hpp"

using namespace dcsim;

TEST_CASE("10 s at 100 W then 5 s at 300 W is 2500 J", "[physics][energy]") {
  EnergyAccumulator e{100.0, 0.0, 0.0};
  e.set(10.0, 300.0);
  REQUIRE(e.energy_j == Approx(1000.0).epsilon(1e-15));
  e.advance(15.0);
  REQUIRE(e.energy_j == Approx(2500.0).epsilon(1e-15));
  REQUIRE(e.energy_at(20.0) == Approx(4000.0).epsilon(1e-15));
}

TEST_CASE("a change at the same instant adds no energy", "[physics][energy]") {
  EnergyAccumulator e{50.0, 0.0, 0.0};
  e.set(4.0, 70.0);
  e.set(4.0, 90.0);
  REQUIRE(e.energy_j == Approx(200.0));
  REQUIRE(e.power_w == 90.0);
}

TEST_CASE("interval averages over a fixed grid sum to the exact energy", "[physics][energy]") {
  std::vector<double> starts, avg;
  IntervalAverager a(1, 0.0, 10.0, [&](Seconds t, const std::vector<double>& v) {
    starts.push_back(t);
    avg.push_back(v[0]);
  });
  // 0–3 s at 100 W, 3–25 s at 300 W, 25–27 s at 0 W (end of run at 27 s).
  a.add_piece(0, 3, {100.0});
  a.add_piece(3, 25, {300.0});
  a.add_piece(25, 27, {0.0});
  a.flush_partial(27);
  REQUIRE(starts == std::vector<double>{0, 10, 20});
  // bin 0: (3·100 + 7·300)/10 = 240; bin 1: 300; bin 2 [20, 27): (5·300 + 2·0)/7
  REQUIRE(avg[0] == Approx(240.0));
  REQUIRE(avg[1] == Approx(300.0));
  REQUIRE(avg[2] == Approx(1500.0 / 7.0));
  const double exact = 3 * 100.0 + 22 * 300.0;
  REQUIRE(avg[0] * 10 + avg[1] * 10 + avg[2] * 7 == Approx(exact).epsilon(1e-12));
}

TEST_CASE("a piece spanning many bins emits each of them", "[physics][energy]") {
  int n = 0;
  double sum = 0;
  IntervalAverager a(2, 0.0, 900.0, [&](Seconds, const std::vector<double>& v) {
    ++n;
    sum += v[0] * 900.0;
    REQUIRE(v[1] == Approx(2.0));
  });
  a.add_piece(0, 86400, {1000.0, 2.0});
  REQUIRE(n == 96);
  REQUIRE(sum == Approx(86400.0 * 1000.0).epsilon(1e-12));
}
