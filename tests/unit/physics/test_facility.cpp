#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>

#include "physics/facility.hpp"

using namespace dcsim;

TEST_CASE("conversion loss is a·P_r + b·P + c·P²/P_r (Rasmussen)", "[physics][facility]") {
  const LossSpec s{0.04, 0.05, 0.01, 0};
  // rated 1 MW, load 0.5 MW: 40 kW + 25 kW + 0.01·0.25 MW = 67.5 kW
  CHECK(conversion_loss_w(s, 0.5e6, 1e6) == Approx(67500));
  CHECK(conversion_loss_w(s, 0, 1e6) == Approx(40000));
  SECTION("a rating in the spec overrides the site's design power") {
    LossSpec r = s;
    r.rated_w = 2e6;
    // 80 kW + 25 kW + 0.01·0.25e12/2e6 = 106.25 kW
    CHECK(conversion_loss_w(r, 0.5e6, 1e6) == Approx(106250));
  }
}

TEST_CASE("the fixed losses make PUE rise at low load", "[physics][facility]") {
  CoolingSpec c;
  c.model = CoolingModel::chiller;
  const auto ups = typical_ups_loss(), pdu = typical_pdu_loss();
  const double design = 1e6;
  const auto full = facility_power(c, ups, pdu, 1.0 * design, 25, design);
  const auto half = facility_power(c, ups, pdu, 0.5 * design, 25, design);
  const auto low = facility_power(c, ups, pdu, 0.1 * design, 25, design);
  std::cout << "PUE at 100/50/10 % load, 25 °C, chiller: " << full.pue << " " << half.pue << " "
            << low.pue << "\n";
  CHECK(low.pue > half.pue);
  CHECK(half.pue > full.pue);
  SECTION("hand calculation at full load") {
    // PDU 15 + 15 kW; UPS 40 kW + 5 % of 1.03 MW; heat 1.1215 MW; chiller 1.1215 MW / 2.6756,
    // fans 50 kW · 1.1215³; misc 20 kW
    CHECK(full.pdu_loss_w == Approx(30000));
    CHECK(full.ups_loss_w == Approx(91500));
    CHECK(full.cooling_w == Approx(489687.34));
    CHECK(full.misc_w == Approx(20000));
    CHECK(full.total_w == Approx(1631187.34));
    CHECK(full.pue == Approx(1.63118734));
  }
  SECTION("PUE is undefined without IT load") {
    CHECK(std::isnan(facility_power(c, ups, pdu, 0, 25, design).pue));
  }
}

TEST_CASE("Moore's CoP rises with supply temperature", "[physics][facility]") {
  CHECK(cop_moore(18) == Approx(0.0068 * 324 + 0.0008 * 18 + 0.458));  // 2.6756
  CHECK(cop_moore(27) == Approx(5.4368));
  CHECK(cop_moore(27) > cop_moore(18));
}

TEST_CASE("the chiller's CoP falls with the compressor lift in hot weather", "[physics][facility]") {
  CoolingSpec c;  // T_s 18, approach 5, evaporator approach 13, rating 25 °C
  CHECK(chiller_cop(c, 18, 25) == Approx(2.6756));
  // lift 46 + 5 − 5 = 46 K vs 25 K at rating
  CHECK(chiller_cop(c, 18, 46) == Approx(2.6756 * 25 / 46));
  // cold weather: lift floored at 10 K
  CHECK(chiller_cop(c, 18, -20) == Approx(2.6756 * 2.5));
}

TEST_CASE("hotter outdoor air needs more cooling power", "[physics][facility]") {
  CoolingSpec c;
  c.model = CoolingModel::chiller;
  const auto r25 = cooling_power(c, 1e6, 25, 1e6);
  CHECK(r25.chiller_w == Approx(1e6 / 2.6756));
  CHECK(r25.fan_w == Approx(50000));
  CHECK(r25.cooling_w == Approx(423747.94));
  CHECK_FALSE(r25.economiser);
  double prev = 0;
  for (double t = 15; t <= 48; t += 3) {
    const double w = cooling_power(c, 1e6, t, 1e6).cooling_w;
    INFO("outdoor " << t << " °C");
    CHECK(w >= prev);
    prev = w;
  }
  CHECK(cooling_power(c, 1e6, 45, 1e6).cooling_w > 1.5 * r25.cooling_w);
}

TEST_CASE("the economiser switches the chiller off below its threshold", "[physics][facility]") {
  CoolingSpec c;
  c.model = CoolingModel::chiller_economiser;  // threshold 15 °C, fans 5 % of design at design flow
  const auto cold = cooling_power(c, 1e6, 10, 1e6);
  CHECK(cold.economiser);
  CHECK(cold.chiller_w == 0);
  CHECK(cold.cooling_w == Approx(50000));
  SECTION("fan power falls with the cube of the flow") {
    CHECK(cooling_power(c, 0.5e6, 10, 1e6).cooling_w == Approx(50000 * 0.125));
  }
  SECTION("above the threshold the chiller runs") {
    const auto warm = cooling_power(c, 1e6, 20, 1e6);
    CHECK_FALSE(warm.economiser);
    CHECK(warm.chiller_w > 0);
    CHECK(warm.cooling_w > 5 * cold.cooling_w);
  }
  SECTION("outside air warmer than the supply needs more flow") {
    c.economiser_below_c = 22;
    // warm by 3 K of a 12 K air ΔT: flow 12/9, fans 50 kW·(4/3)³
    CHECK(cooling_power(c, 1e6, 21, 1e6).cooling_w == Approx(50000 * std::pow(12.0 / 9.0, 3)));
  }
}

TEST_CASE("constant PUE lumps all overhead into cooling", "[physics][facility]") {
  CoolingSpec c;
  c.model = CoolingModel::constant_pue;
  c.pue = 1.4;
  CHECK(cooling_power(c, 1e6, 30, 1e6).cooling_w == Approx(400000));
  const auto f = facility_power(c, typical_ups_loss(), typical_pdu_loss(), 1e6, 30, 2e6);
  CHECK(f.total_w == Approx(1.4e6));
  CHECK(f.pue == Approx(1.4));
  CHECK(f.ups_loss_w == 0);
}

TEST_CASE("a liquid loop removes most heat with pumps and a dry cooler", "[physics][facility]") {
  CoolingSpec c;
  c.model = CoolingModel::liquid;  // capture 0.8, pumps 2 %, dry cooler 2 %, coolant 40 °C
  const auto r = cooling_power(c, 1e6, 25, 1e6);
  // air share 0.2 MW on the chiller (CoP 2.6756) + its fans 5 % of 0.2 MW; pumps 16 kW;
  // dry cooler at design flow 16 kW
  CHECK(r.chiller_w == Approx(0.2e6 / 2.6756));
  CHECK(r.fan_w == Approx(10000));
  CHECK(r.pump_w == Approx(16000));
  CHECK(r.dry_cooler_w == Approx(16000));
  CoolingSpec air;
  air.model = CoolingModel::chiller;
  CHECK(r.cooling_w < cooling_power(air, 1e6, 25, 1e6).cooling_w);
  SECTION("when the dry cooler cannot keep up a trim chiller takes the rest") {
    const auto hot = cooling_power(c, 1e6, 34, 1e6);
    // dry cooler at 1.5× flow: 0.02·0.8 MW·3.375 = 54 kW, rejects 0.8 MW·1.5·1/10 = 120 kW;
    // trim 680 kW at CoP 8.816·10/12; air share 0.2 MW at CoP 2.6756·25/34
    CHECK(hot.dry_cooler_w == Approx(54000));
    CHECK(hot.chiller_w == Approx(92558.98 + 101659.44));
  }
}

TEST_CASE("with the default power path, PUE stays within 1.03–2.0 from −20 to 48 °C and from "
          "30 to 100 % load",
          "[physics][facility]") {
  for (const char* model : {"chiller", "chiller-economiser", "liquid"}) {
    CoolingSpec c;
    c.model = parse_name<CoolingModel>(model).value();
    double lo = 10, hi = 0;
    for (double t = -20; t <= 48; t += 1) {
      for (double load = 0.3; load <= 1.0; load += 0.1) {
        const double pue = facility_power(c, LossSpec{}, LossSpec{}, load * 1e6, t, 1e6).pue;
        lo = std::min(lo, pue);
        hi = std::max(hi, pue);
      }
    }
    std::cout << model << ": PUE from " << lo << " to " << hi << "\n";
    INFO(model);
    CHECK(lo >= 1.03);
    CHECK(hi <= 2.0);
  }
}
