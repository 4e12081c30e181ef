// Water-filling of a group power budget and the IT power a facility cap allows
// (physics/power_budget.hpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "physics/facility.hpp"
#include "physics/power_budget.hpp"

using namespace dcsim;

TEST_CASE("water-filling gives small demands what they need and shares the rest equally", "[physics][budget]") {
  const DemandBins d{{300.0, 8}, {700.0, 8}};
  SECTION("the demands fit: no level") { CHECK(std::isinf(water_fill_level(d, 8000 + 1e-6))); }
  SECTION("the small ones keep 300 W, the others share the rest") {
    // 8·300 + 8·λ = 6000 → λ = 450
    CHECK(water_fill_level(d, 6000) == Approx(450));
  }
  SECTION("too little for the small ones too: everyone gets the same") {
    CHECK(water_fill_level(d, 3200) == Approx(200));
  }
  SECTION("no budget at all") { CHECK(water_fill_level(d, -5) == 0); }
  SECTION("Σ min(d, λ) equals the budget whenever the level binds") {
    for (double b : {1000.0, 4000.0, 5000.0, 7999.0}) {
      const double l = water_fill_level(d, b);
      double used = 0;
      for (const auto& [dem, n] : d) used += n * std::min(dem, l);
      CHECK(used == Approx(b));
    }
  }
}

TEST_CASE("the IT power under a facility cap is the inverse of facility_power", "[physics][budget]") {
  SiteSpec s;
  s.cooling.model = CoolingModel::chiller_economiser;
  s.ups = typical_ups_loss();
  s.pdu = typical_pdu_loss();
  const Watts design = 1e6;
  for (double t : {5.0, 25.0, 42.0}) {
    INFO(t);
    const Watts it = max_it_under_facility_cap(s, 800e3, t, design);
    CHECK(facility_power(s.cooling, s.ups, s.pdu, it, t, design).total_w == Approx(800e3).epsilon(1e-8));
    CHECK(facility_power(s.cooling, s.ups, s.pdu, it * 1.001, t, design).total_w > 800e3);
  }
  SECTION("a cap below the facility's fixed loads allows no IT power") {
    CHECK(max_it_under_facility_cap(s, 1000, 25, design) == 0);
  }
  SECTION("constant PUE: IT = cap / PUE") {
    SiteSpec c;
    c.cooling.pue = 1.4;
    CHECK(max_it_under_facility_cap(c, 1.4e6, 20, design) == Approx(1e6).epsilon(1e-8));
  }
}
