// The engine end to end on small scenarios: energy bookkeeping against SimGrid's own host energy
// plugin, conservation of energy between series, totals and components, and the run-end checks.
// Each TEST_CASE runs in its own process (SimGrid's engine is a singleton).
#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>

#include "app/run_scenario.hpp"
#include "child.hpp"
#include "helpers.hpp"
#include "config/scenario_loader.hpp"
#include "engine/engine.hpp"
#include "physics/accelerator_power.hpp"
#include "policy/registry.hpp"
#include "workload/generator.hpp"

using namespace dcsim;

namespace {

const std::string kSmall = std::string(DCSIM_SOURCE_DIR) + "/tests/integration/scenarios/small.yaml";

// Jobs whose power follows SimGrid's linear host model exactly: intensity 1, full utilisation,
// compute-bound (so SimGrid's executions are the whole job), no host load.
std::vector<Job> linear_jobs(int n, int gpus, Seconds spacing) {
  std::vector<Job> jobs;
  for (int i = 0; i < n; ++i) {
    Job j;
    j.request.id = static_cast<JobId>(i + 1);
    j.request.submit_s = spacing * i;
    j.request.gpus = gpus;
    j.request.profile = "linear";
    j.profile.name = "linear";
    j.profile.work_flops = 3.0e18 * (1 + i % 3) * gpus;
    j.profile.mfu = 0.5;
    j.profile.compute_share = 1.0;
    j.profile.memory_share = 0.0;
    j.profile.io_share = 0.0;
    j.profile.intensity = 1.0;
    j.profile.utilisation = 1.0;
    j.profile.host_load = 0.0;
    jobs.push_back(j);
  }
  return jobs;
}

Scenario linear_scenario() {
  Scenario sc = load_checked_scenario(kSmall, {});
  for (auto& [name, nt] : sc.site.platform.node_types) {
    nt.host_busy_w = nt.host_idle_w;  // host power independent of load
    nt.fan_max_w = nt.fan_idle_w;     // fans at constant speed
  }
  for (auto& [name, a] : sc.site.platform.accelerators) a.utilisation_exponent = 1.0;
  return sc;
}


// One 8-GPU job on `sc` with `cap` (if any) appended to its energy policies, in a child process
// (one simulation per process): {1 if it completed, its run time, its mean clock}; {} if the run
// recorded no single job.
std::vector<double> one_capped_job(const Scenario& sc, const PolicyConfig* cap) {
  return testing::in_child([&]() -> std::vector<double> {
    PoliciesSpec ps = sc.policies;
    if (cap) ps.energy.push_back(*cap);
    DiagnosticSink sink;
    auto policy = make_policy_stack(ps, sink);
    if (!policy) throw std::runtime_error(sink.all().front().to_string());
    MemoryRecorder rec;
    run_simulation(sc, linear_jobs(1, 8, 0), *policy, rec, {});
    if (rec.jobs.size() != 1) return {};
    return {rec.jobs[0].outcome == JobOutcome::completed ? 1.0 : 0.0, rec.jobs[0].end_s - rec.jobs[0].start_s,
            rec.jobs[0].mean_freq_mhz};
  });
}
}  // namespace

TEST_CASE("with intensity 1 and a linear power model, dcsim's IT energy equals SimGrid's host energy plugin",
          "[engine][crosscheck]") {
  Scenario sc = linear_scenario();
  DiagnosticSink sink;
  auto policy = make_policy_stack(sc.policies, sink);
  REQUIRE(policy);
  MemoryRecorder rec;
  RunOptions opt;
  opt.simgrid_energy_plugin = true;
  const RunSummary s = run_simulation(sc, linear_jobs(30, 8, 3000.0), *policy, rec, opt);
  const double ours_j = s.values.at("it_energy_kwh") * kJoulesPerKwh;
  const double simgrid_j = s.values.at("simgrid_host_energy_j");
  INFO("dcsim " << ours_j << " J, SimGrid " << simgrid_j << " J");
  REQUIRE(s.values.at("jobs_completed") > 10);
  REQUIRE(std::abs(ours_j - simgrid_j) <= 1e-6 * simgrid_j);
}

TEST_CASE("the series sum to the energy totals and facility energy is IT energy times the PUE",
          "[engine][conservation]") {
  Scenario sc = load_checked_scenario(kSmall, {});
  const Calendar cal(sc.time.start);
  DiagnosticSink sink;
  auto policy = make_policy_stack(sc.policies, sink);
  MemoryRecorder rec;
  std::vector<Job> jobs = linear_jobs(40, 8, 2000.0);
  jobs[3].profile.intensity = 0.55;  // a mix of power levels
  jobs[4].profile.memory_share = 0.4;
  jobs[4].profile.compute_share = 0.6;
  const RunSummary s = run_simulation(sc, jobs, *policy, rec, {});
  REQUIRE(rec.finished);
  const Seconds end = sc.time.duration_s;
  const double it_j = s.values.at("it_energy_kwh") * kJoulesPerKwh;
  const double fac_j = s.values.at("facility_energy_kwh") * kJoulesPerKwh;
  const double it_series = testing::sum_series(rec, "it_power_w", sc.time.sample_s, end);
  const double fac_series = testing::sum_series(rec, "facility_power_w", sc.time.sample_s, end);
  REQUIRE(std::abs(it_series - it_j) <= 1e-9 * it_j);
  REQUIRE(std::abs(fac_series - fac_j) <= 1e-9 * fac_j);
  REQUIRE(std::abs(fac_j - 1.25 * it_j) <= 1e-9 * fac_j);
  // Emissions: facility energy × 300 g/kWh (all from the grid).
  REQUIRE(s.values.at("emissions_tco2") == Approx(fac_j / kJoulesPerKwh * 300 / 1e6).epsilon(1e-9));
  // Sample grid: 2 days of 15 min.
  REQUIRE(rec.rows.size() == 192);
  REQUIRE(rec.times[1] - rec.times[0] == 900.0);
}

TEST_CASE("every submitted job is accounted for at the end and job energy is a share of IT energy",
          "[engine][invariants]") {
  Scenario sc = load_checked_scenario(kSmall, {});
  DiagnosticSink sink;
  auto policy = make_policy_stack(sc.policies, sink);
  MemoryRecorder rec;
  // More work than fits in two days: some jobs end unfinished or queued.
  std::vector<Job> jobs = linear_jobs(200, 16, 600.0);
  const RunSummary s = run_simulation(sc, jobs, *policy, rec, {});
  const double done = s.values.at("jobs_completed"), unf = s.values.at("jobs_unfinished");
  REQUIRE(done > 0);
  REQUIRE(unf > 0);
  REQUIRE(done + unf + s.values.at("jobs_rejected") == s.values.at("jobs_submitted"));
  REQUIRE(rec.jobs.size() == jobs.size());
  double job_e = 0;
  for (const auto& j : rec.jobs) {
    REQUIRE(j.energy_j >= 0);
    job_e += j.energy_j;
    if (j.outcome == JobOutcome::completed) REQUIRE(j.end_s > j.start_s);
  }
  REQUIRE(job_e < s.values.at("it_energy_kwh") * kJoulesPerKwh);
}

TEST_CASE("a device power cap lowers the p-state and slows a compute-bound job by the frequency ratio",
          "[engine][dvfs][cap]") {
  Scenario sc = load_checked_scenario(kSmall, {});
  const AcceleratorSpec& acc = sc.site.platform.accelerators.begin()->second;
  const AcceleratorPower power(acc);
  const Watts cap = 500.0;
  // Without a policy's cap the accelerator's default power limit applies (700 W on the H200).
  const int p0 = power.highest_pstate_under(power.default_limit_w(), 1.0, 1.0);
  const int p = power.highest_pstate_under(cap, 1.0, 1.0);
  REQUIRE(p > p0);  // the cap binds below the default limit
  const double ratio = power.freq_mhz(p0) / power.freq_mhz(p);
  Seconds t[2];
  for (int capped = 0; capped < 2; ++capped) {
    PolicyConfig c;
    c.name = "power-cap";
    c.strings["scope"] = "device";
    c.numbers["cap_w"] = cap;
    c.key_path = "policies.energy[0]";
    const auto r = one_capped_job(sc, capped ? &c : nullptr);
    REQUIRE(r.size() == 3);
    REQUIRE(r[0] == 1.0);
    t[capped] = r[1];
    REQUIRE(r[2] == Approx(power.freq_mhz(capped ? p : p0)));
  }
  REQUIRE(t[1] / t[0] == Approx(ratio).epsilon(1e-6));
}

TEST_CASE("a device cap given as a share of TDP caps each accelerator at that share of its own TDP",
          "[engine][dvfs][cap]") {
  Scenario sc = load_checked_scenario(kSmall, {});
  const AcceleratorSpec& acc = sc.site.platform.accelerators.begin()->second;
  const AcceleratorPower power(acc);
  const double frac = 0.7;
  const int p = power.highest_pstate_under(frac * acc.tdp_w, 1.0, 1.0);
  REQUIRE(p > power.highest_pstate_under(power.default_limit_w(), 1.0, 1.0));  // the share binds
  PolicyConfig c;
  c.name = "power-cap";
  c.strings["scope"] = "device";
  c.numbers["cap_tdp_fraction"] = frac;
  c.key_path = "policies.energy[0]";
  const auto r = one_capped_job(sc, &c);
  REQUIRE(r.size() == 3);
  REQUIRE(r[0] == 1.0);
  REQUIRE(r[2] == Approx(power.freq_mhz(p)));
}
