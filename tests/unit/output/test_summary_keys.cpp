// Specification of the run summary's key table (output/summary_keys.hpp): a registered key
// reads as its value or as "not written", an unregistered (mistyped) key is an error on read
// and on the engine's check before the writer, never a silent 0.
#include <catch2/catch.hpp>

#include "output/recorder.hpp"

using namespace dcsim;

TEST_CASE("registered summary keys include the per-deployment serving keys and nothing else") {
  CHECK(is_summary_key("facility_energy_kwh"));
  CHECK(is_summary_key("serving_0_ttft_p99_s"));
  CHECK(is_summary_key("serving_12_gco2_per_1k_tokens"));
  CHECK_FALSE(is_summary_key("facility_energy_kWh"));
  CHECK_FALSE(is_summary_key("serving__arrivals"));
  CHECK_FALSE(is_summary_key("serving_x_arrivals"));
  CHECK_FALSE(is_summary_key("serving_1_"));
  CHECK_FALSE(is_summary_key("serving_1_pue"));
}

TEST_CASE("a mistyped summary key is an error where it is read, and absent keys are not 0") {
  RunSummary s;
  s.values["pue"] = 1.25;
  CHECK(summary_value(s, "pue") == 1.25);
  CHECK_FALSE(summary_value(s, "pv_capacity_factor"));  // registered, not written by this run
  CHECK_THROWS_WITH(summary_value(s, "peu"), Catch::Contains("no key 'peu'"));
}

TEST_CASE("the summary check names every unregistered key") {
  RunSummary s;
  s.values["pue"] = 1.2;
  s.text["scenario"] = "x";
  CHECK_NOTHROW(check_summary_keys(s));
  s.values["jobs_complete"] = 3;
  s.text["scenaro"] = "y";
  CHECK_THROWS_WITH(check_summary_keys(s), Catch::Contains("jobs_complete") && Catch::Contains("scenaro"));
}
