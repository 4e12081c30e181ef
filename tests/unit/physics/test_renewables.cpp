#include <catch2/catch.hpp>

#include "physics/renewables.hpp"

using namespace dcsim;

TEST_CASE("PV output is derated by the NOCT cell temperature", "[physics][renewables]") {
  SolarSpec s;
  s.peak_mw = 1;  // derate 0.86, γ −0.004/°C, NOCT 45 °C
  // 1000 W/m², 25 °C air: cell 25 + 25·1000/800 = 56.25 °C → 1 − 0.004·31.25 = 0.875
  CHECK(pv_cell_temp_c(s, 1000, 25) == Approx(56.25));
  CHECK(pv_power_w(s, 1000, 25) == Approx(1e6 * 0.86 * 0.875));  // 752.5 kW
  // 500 W/m², 20 °C: cell 35.625 °C
  CHECK(pv_power_w(s, 500, 20) == Approx(411725));
  SECTION("cold bright days beat hot ones, never above nameplate") {
    CHECK(pv_power_w(s, 1000, -30) == Approx(941700));
    CHECK(pv_power_w(s, 1000, -30) > pv_power_w(s, 1000, 40));
    CHECK(pv_power_w(s, 1400, -40) <= 1e6);
  }
  SECTION("no sun, no power") {
    CHECK(pv_power_w(s, 0, 25) == 0);
    CHECK(pv_power_w(s, -5, 25) == 0);
  }
}

TEST_CASE("wind speed is extrapolated to hub height and mapped through the power curve",
          "[physics][renewables]") {
  WindSpec w;
  w.rated_mw = 2;  // hub 100 m, α 1/7, cut-in 3, rated 12, cut-out 25 m/s
  CHECK(hub_wind_speed_ms(w, 5) == Approx(5 * 1.3894955));
  // v_hub 6.9475 m/s: 2 MW · (6.9475³ − 27)/(1728 − 27)
  CHECK(wind_power_w(w, 5) == Approx(362536.1));
  CHECK(wind_power_w(w, 2) == 0);            // 2.78 m/s at hub: below cut-in
  CHECK(wind_power_w(w, 10) == Approx(2e6)); // 13.9 m/s: rated
  CHECK(wind_power_w(w, 20) == 0);           // 27.8 m/s: cut out
}
