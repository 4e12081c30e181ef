// Marginal emissions end to end: a marginal column read from a trace (with the grid's gap rule),
// the Siler-Evans estimate from an EIA-930 fuel mix, and the accounting of both (site series and
// run summary). Each TEST_CASE runs in its own process (SimGrid's engine is a singleton).
#include <catch2/catch.hpp>

#include <cmath>

#include "app/run_scenario.hpp"
#include "config/scenario_loader.hpp"
#include "engine/engine.hpp"
#include "policy/registry.hpp"
#include "helpers.hpp"

using namespace dcsim;

namespace {

const std::string kDir = std::string(DCSIM_SOURCE_DIR) + "/tests/integration/scenarios/";

RunSummary run_idle(const std::string& file, MemoryRecorder& rec, std::vector<Job> jobs = {}) {
  Scenario sc = load_checked_scenario(kDir + file, {});
  DiagnosticSink sink;
  auto policy = make_policy_stack(sc.policies, sink);
  REQUIRE(policy);
  return run_simulation(sc, jobs, *policy, rec, {});
}

}  // namespace

TEST_CASE("a marginal column of the carbon trace is read, gaps filled by the grid's rule, and accounted",
          "[engine][marginal]") {
  MemoryRecorder rec;
  const RunSummary s = run_idle("marginal-column.yaml", rec);
  REQUIRE(rec.rows.size() == 4);
  const std::size_t mi = testing::column(rec, "marginal_intensity_g_per_kwh");
  const std::size_t me = testing::column(rec, "marginal_emissions_rate_kg_per_h");
  const std::size_t fac = testing::column(rec, "facility_power_w");
  const std::size_t ci = testing::column(rec, "carbon_intensity_g_per_kwh");
  // 700, (empty → interpolated) 600, 500, 900 gCO2e/kWh; the average column stays 300.
  const double moer[] = {700, 600, 500, 900};
  const double p_w = rec.rows[0][fac];  // an idle site: constant facility power, all imported
  REQUIRE(p_w > 0);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(rec.rows[i][mi] == Approx(moer[i]));
    CHECK(rec.rows[i][ci] == Approx(300));
    CHECK(rec.rows[i][fac] == Approx(p_w));
    CHECK(rec.rows[i][me] == Approx(p_w / 1000.0 * moer[i] / 1000.0));  // kW · g/kWh → kg/h
  }
  // ∫ P · MEF dt = P[kW] · (700 + 600 + 500 + 900) g/kWh · 1 h = P · 2.7 kg per kW.
  CHECK(s.values.at("emissions_marginal_tco2") == Approx(p_w / 1000.0 * 2700.0 / 1000.0 / 1000.0));
  CHECK(s.values.at("emissions_tco2") == Approx(p_w / 1000.0 * 4 * 300.0 / 1e6));
}

TEST_CASE("a run on an EIA file with marginal_estimate writes an hour-of-day marginal series whose integral is the summary total",
          "[engine][marginal]") {
  MemoryRecorder rec;
  const RunSummary s = run_idle("marginal-estimate.yaml", rec);
  REQUIRE(rec.rows.size() == 48);
  const std::size_t mi = testing::column(rec, "marginal_intensity_g_per_kwh");
  const std::size_t me = testing::column(rec, "marginal_emissions_rate_kg_per_h");
  const std::size_t imp = testing::column(rec, "grid_import_w");
  double total_kg = 0;
  bool varies = false;
  for (std::size_t i = 0; i < 48; ++i) {
    const double mef = rec.rows[i][mi];
    REQUIRE(std::isfinite(mef));
    // One slope per hour of the day (UTC): day 2 repeats day 1.
    if (i >= 24) CHECK(mef == Approx(rec.rows[i - 24][mi]));
    if (i > 0 && std::abs(mef - rec.rows[0][mi]) > 1.0) varies = true;
    CHECK(rec.rows[i][me] == Approx(rec.rows[i][imp] / 1000.0 * mef / 1000.0));
    total_kg += rec.rows[i][imp] / 1000.0 * mef / 1000.0;  // kg/h × 1 h
  }
  CHECK(varies);
  CHECK(s.values.at("emissions_marginal_tco2") == Approx(total_kg / 1000.0).epsilon(1e-9));
}

TEST_CASE("without marginal data a run has no marginal series, no marginal total and NaN job marginal emissions", "[engine][marginal]") {
  MemoryRecorder rec;
  Job j;
  j.request.id = 1;
  j.request.gpus = 8;
  j.request.profile = "test";
  j.profile.name = "test";
  j.profile.work_flops = 1e18;
  const RunSummary s = run_idle("../../integration/scenarios/small.yaml", rec, {j});
  CHECK(rec.column("marginal_intensity_g_per_kwh") == static_cast<std::size_t>(-1));
  CHECK(rec.column("marginal_emissions_rate_kg_per_h") == static_cast<std::size_t>(-1));
  CHECK(s.values.count("emissions_marginal_tco2") == 0);
  for (const auto& row : rec.rows) CHECK(row.size() == rec.series.size());
  REQUIRE_FALSE(rec.jobs.empty());
  CHECK(std::isnan(rec.jobs[0].emissions_marginal_g));
}

TEST_CASE("a job's marginal emissions follow the marginal intensity over its run", "[engine][marginal]") {
  Scenario sc = load_checked_scenario(kDir + "marginal-column.yaml", {});
  DiagnosticSink sink;
  auto policy = make_policy_stack(sc.policies, sink);
  REQUIRE(policy);
  // One job at constant power over the whole 4 h (too much work to finish).
  Job j;
  j.request.id = 1;
  j.request.gpus = 8;
  j.request.profile = "test";
  j.profile.name = "test";
  j.profile.work_flops = 1e30;
  MemoryRecorder rec;
  run_simulation(sc, {j}, *policy, rec, {});
  REQUIRE(rec.jobs.size() == 1);
  REQUIRE(rec.jobs[0].outcome == JobOutcome::unfinished);
  // Both attributions are the job's power × PUE × intensity integrated over the same 4 h, so
  // their ratio is Σ marginal / Σ average = (700 + 600 + 500 + 900) / (4 · 300) = 2.25.
  REQUIRE(rec.jobs[0].emissions_g > 0);
  CHECK(rec.jobs[0].emissions_marginal_g / rec.jobs[0].emissions_g == Approx(2.25).epsilon(1e-9));
}
