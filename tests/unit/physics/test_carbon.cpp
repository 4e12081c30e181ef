#include <catch2/catch.hpp>

#include <vector>

#include "physics/carbon.hpp"

using namespace dcsim;

TEST_CASE("location-based emissions are grid energy times grid intensity", "[physics][carbon]") {
  CHECK(location_based_kg(1000, 400) == Approx(400));
}

TEST_CASE("market-based emissions leave out the contracted renewable share", "[physics][carbon]") {
  CHECK(market_based_kg(1000, 400, 0.25) == Approx(300));
  CHECK(market_based_kg(1000, 400, 1.5) == 0);  // clamped to 100 %
}

TEST_CASE("the 24/7 CFE score counts clean energy hour by hour", "[physics][carbon]") {
  const std::vector<double> load{10, 10, 10};
  const std::vector<double> clean{0, 5, 20};  // the surplus of hour 3 cannot cover hour 1
  CHECK(cfe_score(load, clean) == Approx(15.0 / 30.0));
  CHECK(cfe_score(std::vector<double>{}, std::vector<double>{}) == 1.0);
}

TEST_CASE("embodied carbon is amortised linearly over each item's lifetime", "[physics][carbon]") {
  EmbodiedSpec s;  // 150 kg/GPU, 2500 kg/host, 5 years; 75 kg/kWh battery, 10 years
  EmbodiedInventory inv{8, 1, 100};
  // (8·150 + 2500)/5 = 740 kg per year; 100·75/10 = 750 kg per year
  CHECK(embodied_kg(s, inv, kYear365) == Approx(740 + 750));
  CHECK(embodied_kg_per_s(s, inv) * kYear365 == Approx(1490));
}
