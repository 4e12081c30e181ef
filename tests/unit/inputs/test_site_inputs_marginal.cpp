// The marginal-intensity input of a site (inputs/site_inputs): read from a column with the grid's
// fault rules, or estimated from the carbon file's fuel mix; bad files are InputErrors naming
// the file and the column.
#include <catch2/catch.hpp>

#include "config/scenario_loader.hpp"
#include "core/calendar.hpp"
#include "core/error.hpp"
#include "inputs/site_inputs.hpp"

using namespace dcsim;

namespace {
const std::string kRoot = std::string(DCSIM_SOURCE_DIR);
const std::string kScen = kRoot + "/tests/integration/scenarios/marginal-column.yaml";

Scenario scenario() {
  LoadOptions o;
  o.load_platform = false;
  return load_scenario(kScen, o);
}
}  // namespace

TEST_CASE("a marginal column is read hour by hour, its empty cell filled by the grid's gap rule", "[site_inputs][marginal]") {
  const Scenario sc = scenario();
  const Calendar cal(sc.time.start);
  SiteInputs in = load_site_inputs(sc, cal);
  REQUIRE(in.marginal_gco2_per_kwh);
  CHECK(in.marginal_gco2_per_kwh->value_at(0) == Approx(700));
  CHECK(in.marginal_gco2_per_kwh->value_at(3600) == Approx(600));  // interpolated
  CHECK(in.marginal_gco2_per_kwh->value_at(7200) == Approx(500));
  CHECK(in.marginal_gco2_per_kwh->value_at(10800) == Approx(900));
  CHECK(in.carbon_gco2_per_kwh->value_at(3600) == Approx(300));
}

TEST_CASE("with gap_rule error an empty marginal cell is an InputError at its file and line", "[site_inputs][marginal]") {
  Scenario sc = scenario();
  sc.site.supply.grid.gap_rule = GapRule::error;
  const Calendar cal(sc.time.start);
  try {
    load_site_inputs(sc, cal);
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    REQUIRE_FALSE(e.diagnostics().empty());
    const Diagnostic& d = e.diagnostics().front();
    CHECK(d.file.find("marginal_moer.csv") != std::string::npos);
    CHECK(d.line == 5);  // the row of time_s 3600
  }
}

TEST_CASE("a marginal column the file does not have is an InputError naming it", "[site_inputs][marginal]") {
  Scenario sc = scenario();
  sc.site.supply.grid.marginal_column = "moer_lbs_per_mwh";
  const Calendar cal(sc.time.start);
  try {
    load_site_inputs(sc, cal);
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    REQUIRE_FALSE(e.diagnostics().empty());
    const Diagnostic& d = e.diagnostics().front();
    CHECK(d.file.find("marginal_moer.csv") != std::string::npos);
    CHECK(d.key_path == "moer_lbs_per_mwh");
    CHECK(d.message.find("got 'moer_lbs_per_mwh'") != std::string::npos);
  }
}

TEST_CASE("an estimate needs generation by fuel: a file without the EIA fuel columns is an InputError", "[site_inputs][marginal]") {
  Scenario sc = scenario();
  sc.site.supply.grid.marginal_column.clear();
  sc.site.supply.grid.marginal_estimate = MarginalEstimate::hour;
  const Calendar cal(sc.time.start);
  CHECK_THROWS_AS(load_site_inputs(sc, cal), InputError);
}
