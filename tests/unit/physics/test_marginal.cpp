#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "physics/marginal.hpp"

using namespace dcsim;

namespace {
// Emissions (kg) and generation (MWh) of one hour of a hand-built mix of coal, gas and wind.
struct Hour {
  double col, ng, wnd;
  double e() const { return col * 820 + ng * 490 + wnd * 11; }
  double g() const { return col + ng + wnd; }
};
struct Table {
  std::vector<double> e, g;
  std::vector<std::uint16_t> bin;
  std::vector<std::uint8_t> follows;
  void add(Hour h, std::uint16_t b, bool f = true) {
    e.push_back(h.e());
    g.push_back(h.g());
    bin.push_back(b);
    follows.push_back(f ? 1 : 0);
  }
};
}  // namespace

TEST_CASE("the EIA fuel factors are the IPCC AR5 life-cycle medians that reproduce avg_CI", "[physics][marginal]") {
  // WND SUN WAT OIL NG COL NUC OTH
  const std::array<double, 8> expected{11, 41, 24, 650, 490, 820, 12, 230};
  for (std::size_t i = 0; i < expected.size(); ++i) CHECK(kEiaFuelFactors[i].g_per_kwh == expected[i]);
}

TEST_CASE("the marginal factor is the least-squares slope of emission changes on generation changes", "[physics][marginal]") {
  Table t;
  t.add({100, 100, 50}, 0);
  t.add({100, 110, 50}, 0);  // ΔG = +10 (gas),          ΔE = +4,900
  t.add({120, 110, 50}, 0);  // ΔG = +20 (coal),         ΔE = +16,400
  t.add({100, 100, 50}, 0);  // ΔG = −30 (coal and gas), ΔE = −21,300
  // mean ΔG = 0, mean ΔE = 0: β = Σ ΔG·ΔE / Σ ΔG² = (49,000 + 328,000 + 639,000) / 1,400
  const MarginalFit f = fit_marginal_factors(t.e, t.g, t.bin, t.follows, 1);
  REQUIRE(f.slope_g_per_kwh.size() == 1);
  CHECK(f.slope_g_per_kwh[0] == Approx(1016000.0 / 1400.0));  // 725.71 g/kWh
  CHECK(f.intercept_kg[0] == Approx(0).margin(1e-9));
  CHECK(f.pairs[0] == 3);
  CHECK(f.fallback_bins == 0);
}

TEST_CASE("each bin of hours gets the slope of its own fuel on the margin", "[physics][marginal]") {
  Table t;
  // Bin 0 (night): gas follows the load; bin 1 (day): coal does, while wind adds a steady +5.
  t.add({100, 100, 50}, 1);
  t.add({100, 110, 50}, 0);
  t.add({100, 95, 50}, 0);
  t.add({100, 125, 50}, 0);
  t.add({110, 125, 55}, 1);   // ΔG = 15, ΔE = 8,200 + 55
  t.add({130, 125, 60}, 1);   // ΔG = 25, ΔE = 16,400 + 55
  t.add({120, 125, 65}, 1);   // ΔG = −5, ΔE = −8,200 + 55
  const MarginalFit f = fit_marginal_factors(t.e, t.g, t.bin, t.follows, 2);
  CHECK(f.slope_g_per_kwh[0] == Approx(490));  // gas only: ΔE = 490·ΔG exactly
  CHECK(f.intercept_kg[0] == Approx(0).margin(1e-6));
  // Bin 1: ΔE = 820·(ΔG − 5) + 55 = 820·ΔG − 4,045: slope 820, intercept −4,045 kg.
  CHECK(f.slope_g_per_kwh[1] == Approx(820));
  CHECK(f.intercept_kg[1] == Approx(-4045));
  CHECK(f.fallback_bins == 0);
}

TEST_CASE("pairs across a break in the hours are not fitted", "[physics][marginal]") {
  Table t;
  t.add({100, 100, 0}, 0);
  t.add({100, 110, 0}, 0);
  t.add({100, 120, 0}, 0);
  t.add({200, 120, 0}, 0, false);  // a day later: this coal jump is not an hour-to-hour change
  t.add({200, 125, 0}, 0);
  const MarginalFit f = fit_marginal_factors(t.e, t.g, t.bin, t.follows, 1);
  CHECK(f.pairs[0] == 3);
  CHECK(f.slope_g_per_kwh[0] == Approx(490));
}

TEST_CASE("a bin with too few pairs takes the pooled slope", "[physics][marginal]") {
  Table t;
  t.add({100, 100, 0}, 0);
  t.add({100, 110, 0}, 0);   // (10, 4900)
  t.add({100, 130, 0}, 0);   // (20, 9800)
  t.add({100, 100, 0}, 0);   // (−30, −14700)
  t.add({110, 100, 0}, 1);   // (10, 8200): bin 1 has a single pair
  const MarginalFit f = fit_marginal_factors(t.e, t.g, t.bin, t.follows, 2);
  CHECK(f.slope_g_per_kwh[0] == Approx(490));
  // pooled: ΔG {10, 20, −30, 10}, mean 2.5; ΔE {4900, 9800, −14700, 8200}, mean 2050.
  // Sxx = 1500 − 4·2.5² = 1475; Sxy = (49,000 + 196,000 + 441,000 + 82,000) − 4·2.5·2050 = 747,500
  CHECK(f.pooled_slope_g_per_kwh == Approx(747500.0 / 1475.0));
  CHECK(f.slope_g_per_kwh[1] == Approx(747500.0 / 1475.0));
  CHECK(f.fallback_bins == 1);
}

TEST_CASE("a table without changes of generation cannot be fitted", "[physics][marginal]") {
  Table t;
  t.add({100, 100, 0}, 0);
  t.add({100, 100, 0}, 0);
  t.add({100, 100, 0}, 0);
  CHECK_THROWS_AS(fit_marginal_factors(t.e, t.g, t.bin, t.follows, 1), std::invalid_argument);
  std::vector<double> shorter(2, 0.0);
  CHECK_THROWS_AS(fit_marginal_factors(shorter, t.g, t.bin, t.follows, 1), std::invalid_argument);
}
