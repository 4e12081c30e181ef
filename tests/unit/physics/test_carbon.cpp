#include <catch2/catch.hpp>

#include <limits>
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

namespace {
constexpr double kInfinity = std::numeric_limits<double>::infinity();
}

TEST_CASE("a dated node is amortised over its service life inside the run, or booked whole at purchase",
          "[physics][carbon][fleet]") {
  EmbodiedSpec s;  // 8 GPUs: footprint 8·150 + 2500 = 3700 kg
  const double day = 86400;
  CHECK(node_footprint_kg(s, 8) == Approx(3700));
  // Installed 100 days before the run, retired 300 days after install: 200 of its 300 days in a
  // long run, 50 in a 50-day run.
  CHECK(node_embodied_kg(s, 8, -100 * day, 200 * day, 1000 * day) == Approx(3700.0 * 200 / 300));
  CHECK(node_embodied_kg(s, 8, -100 * day, 200 * day, 50 * day) == Approx(3700.0 * 50 / 300));
  // No retire date: the 5-year life, and nothing after it is paid off.
  CHECK(node_embodied_kg(s, 8, 10 * day, kInfinity, 10 * day + 2 * kYear365) == Approx(3700.0 * 2 / 5));
  CHECK(node_embodied_kg(s, 8, 10 * day, kInfinity, 10 * day + 7 * kYear365) == Approx(3700.0));
  // No install date: amortised over the whole run, as before fleet plans.
  CHECK(node_embodied_kg(s, 8, -kInfinity, kInfinity, kYear365) == Approx(740));
  s.at_purchase = true;
  CHECK(node_embodied_kg(s, 8, 10 * day, kInfinity, 20 * day) == Approx(3700));
  CHECK(node_embodied_kg(s, 8, -10 * day, kInfinity, 20 * day) == 0);   // bought before the run
  CHECK(node_embodied_kg(s, 8, 30 * day, kInfinity, 20 * day) == 0);    // bought after it
  CHECK(node_embodied_kg(s, 8, -kInfinity, kInfinity, 20 * day) == Approx(3700));  // at the start
}
