// Energy policies end to end: exact bookkeeping of node states and transitions, the site's
// supply balance at every sample with solar and a battery, and carbon-aware shifting on the
// California 2023 carbon file. One simulation per process (each TEST_CASE runs alone; tests
// that compare two runs fork, tests/integration/child.hpp).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>

#include "app/run_scenario.hpp"
#include "child.hpp"
#include "helpers.hpp"
#include "core/calendar.hpp"
#include "engine/engine.hpp"
#include "inputs/site_inputs.hpp"
#include "physics/accelerator_power.hpp"
#include "physics/node_power.hpp"
#include "policy/registry.hpp"

using namespace dcsim;

namespace {

const std::string kDir = std::string(DCSIM_SOURCE_DIR) + "/tests/integration/scenarios/";

Job make_job(JobId id, Seconds submit, int gpus, Flops work) {
  return testing::test_job(id, submit, gpus, work);
}

}  // namespace

TEST_CASE("a node that boots, runs, idles and shuts down has exactly the energy of each state times "
          "its duration",
          "[engine][scaling][energy]") {
  Scenario sc = load_checked_scenario(kDir + "one-node-scaling.yaml", {});
  DiagnosticSink sink;
  auto policy = make_policy_stack(sc.policies, sink);
  REQUIRE(policy);
  MemoryRecorder rec;
  // Submitted at 2 h: the node has been off since it idled for 30 min at the start.
  const RunSummary s = run_simulation(sc, {make_job(1, 7200.0, 8, 2.0e19)}, *policy, rec, {});
  REQUIRE(rec.jobs.size() == 1);
  REQUIRE(rec.jobs[0].outcome == JobOutcome::completed);

  std::map<std::string, std::vector<double>> when;
  for (const auto& e : rec.events) when[std::string(name_of(e.kind))].push_back(e.time_s);
  // off at 30 min, on again at 2 h, off 30 min after the job.
  REQUIRE(when["power_off"].size() == 2);
  REQUIRE(when["shut_down"].size() == 2);
  REQUIRE(when["power_on"].size() == 1);
  REQUIRE(when["booted"].size() == 1);
  REQUIRE(when["power_off"][0] == Approx(1800.0));
  REQUIRE(when["power_on"][0] == Approx(7200.0));

  const NodeSpec& n = sc.site.platform.node_types.begin()->second;
  const AcceleratorSpec& a = sc.site.platform.accelerators.at(n.accelerator);
  const AcceleratorPower ap(a);
  const int g = n.accelerators_per_node;
  const Watts idle_accel = g * ap.power_w(0, 0, 0);
  const Watts idle_on = idle_accel + host_power_w(n, 0.0, std::min(1.0, idle_accel / (g * a.tdp_w)));
  const Job j = make_job(1, 0, 8, 0);
  const Watts busy_accel = g * ap.power_w(0, j.profile.utilisation, j.profile.intensity);
  const Watts busy_on = busy_accel + host_power_w(n, j.profile.host_load, std::min(1.0, busy_accel / (g * a.tdp_w)));

  const double end = sc.time.duration_s;
  const double t_off1 = when["power_off"][0], t_down1 = when["shut_down"][0];
  const double t_on = when["power_on"][0], t_up = when["booted"][0];
  const double t_start = rec.jobs[0].start_s, t_end = rec.jobs[0].end_s;
  const double t_off2 = when["power_off"][1], t_down2 = when["shut_down"][1];
  REQUIRE(t_down1 - t_off1 == Approx(n.shutdown_s));
  REQUIRE(t_up - t_on == Approx(n.boot_s));
  REQUIRE(t_start == Approx(t_up));
  REQUIRE(t_off2 - t_end == Approx(1800.0).margin(1.0));
  const double expected = idle_on * t_off1 + n.shutdown_power_w * (t_down1 - t_off1) +
                          n.off_power_w * (t_on - t_down1) + n.boot_power_w * (t_up - t_on) +
                          busy_on * (t_end - t_start) + idle_on * (t_off2 - t_end) +
                          n.shutdown_power_w * (t_down2 - t_off2) + n.off_power_w * (end - t_down2);
  const double got = s.values.at("it_energy_kwh") * kJoulesPerKwh;
  INFO("expected " << expected << " J, got " << got << " J");
  REQUIRE(std::abs(got - expected) <= 1e-9 * expected);
  // The job's own energy: its GPUs and its share of the host while it ran.
  REQUIRE(rec.jobs[0].energy_j == Approx(busy_on * (t_end - t_start)).epsilon(1e-9));
}

TEST_CASE("with solar and a battery, demand equals the supply at every sample and the battery stays "
          "within its bounds",
          "[engine][supply][battery]") {
  Scenario sc = load_checked_scenario(std::string(DCSIM_SOURCE_DIR) + "/scenarios/examples/solar-battery.yaml", {});
  sc.time.duration_s = 30 * 86400.0;  // a month is enough for many charge/discharge cycles
  DiagnosticSink sink;
  auto policy = make_policy_stack(sc.policies, sink);
  REQUIRE(policy);
  MemoryRecorder rec;
  std::vector<Job> jobs;
  for (int i = 0; i < 400; ++i) jobs.push_back(make_job(static_cast<JobId>(i + 1), 1800.0 * i, 8, 5e18));
  const RunSummary s = run_simulation(sc, jobs, *policy, rec, {});
  const auto col = [&](const char* name) { return testing::column(rec, name); };
  const std::size_t fac = col("facility_power_w"), imp = col("grid_import_only_w"), pv = col("pv_power_w"),
                    wind = col("wind_power_w"), ch = col("battery_charge_w"), dis = col("battery_discharge_w"),
                    cur = col("curtailed_w"), exp = col("grid_export_w"), soc = col("battery_soc");
  const BatterySpec& b = sc.site.supply.battery;
  double pv_total = 0, charged = 0;
  for (const auto& r : rec.rows) {
    const double supply = r[imp] + r[pv] + r[wind] + r[dis] - r[ch] - r[cur] - r[exp];
    REQUIRE(std::abs(supply - r[fac]) <= 1e-6 * r[fac]);
    REQUIRE(r[soc] >= b.soc_min - 1e-9);
    REQUIRE(r[soc] <= b.soc_max + 1e-9);
    pv_total += r[pv];
    charged += r[ch];
  }
  REQUIRE(pv_total > 0);   // the sun shone
  REQUIRE(charged > 0);    // and the battery stored some of it
  REQUIRE(s.values.at("pv_energy_kwh") > 0);
}

TEST_CASE("carbon-aware shifting on the California 2023 file lowers emissions against FCFS without "
          "missing a deadline",
          "[engine][carbon]") {
  const std::string base = kDir + "carbon-ca-2023.yaml";
  std::vector<Job> jobs;
  for (int i = 0; i < 300; ++i) {
    Job j = make_job(static_cast<JobId>(i + 1), 3600.0 * 2.3 * i, 8, 1.0e19);
    j.request.deferrable = true;
    j.request.walltime_estimate_s = 6 * 3600.0;
    j.request.deadline_s = j.request.submit_s + 30 * 3600.0;
    jobs.push_back(j);
  }
  double emissions[2], job_emissions[2];
  for (int aware = 0; aware < 2; ++aware) {
    const auto r = testing::in_child([&]() -> std::vector<double> {
      Scenario sc = load_checked_scenario(base, {});
      if (aware) {
        PolicyConfig c;
        c.name = "carbon-aware-shift";
        c.key_path = "policies.energy[0]";
        sc.policies.energy.push_back(c);
      }
      DiagnosticSink sink;
      auto policy = make_policy_stack(sc.policies, sink);
      if (!policy) throw std::runtime_error(sink.all().front().to_string());
      MemoryRecorder rec;
      const RunSummary s = run_simulation(sc, jobs, *policy, rec, {});
      double missed = 0, done = 0, job_g = 0;
      for (const auto& jr : rec.jobs) {
        if (jr.outcome != JobOutcome::completed) continue;
        ++done;
        job_g += jr.emissions_g;
        const JobId id = jr.id;
        if (jr.end_s > *jobs[id - 1].request.deadline_s + 1e-6) ++missed;
      }
      return {s.values.at("emissions_tco2"), missed, done, job_g / 1e6};
    });
    REQUIRE(r.size() == 4);
    REQUIRE(r[2] == 300);  // every job completed
    REQUIRE(r[1] == 0);    // and none after its deadline
    emissions[aware] = r[0];
    job_emissions[aware] = r[3];
  }
  INFO("site: FCFS " << emissions[0] << " t, carbon-aware " << emissions[1] << " t; jobs: FCFS "
                     << job_emissions[0] << " t, carbon-aware " << job_emissions[1] << " t");
  // The jobs' own emissions fall markedly; the site's (idle nodes included) fall too.
  REQUIRE(job_emissions[1] < 0.9 * job_emissions[0]);
  REQUIRE(emissions[1] < emissions[0]);
}

// Forecasts as forecasts (issue 19.4): carbon-aware-shift on California 2023 with forecast
// errors that grow with lead time along a correlated trajectory. Two runs give the same schedule
// (a forecast issued at a time is the same whenever it is asked for), the errors change the
// schedule against perfect foresight, and the accounting uses the actual intensity: the recorded
// intensity is the trace's, and the emissions are grid import × that intensity.
TEST_CASE("carbon-aware-shift with forecast errors schedules the same twice and accounts with the "
          "actual intensity",
          "[engine][carbon][forecast]") {
  const std::string base = kDir + "carbon-ca-2023.yaml";
  std::vector<Job> jobs;
  for (int i = 0; i < 120; ++i) {
    Job j = make_job(static_cast<JobId>(i + 1), 3600.0 * 5.1 * i, 8, 1.0e19);
    j.request.deferrable = true;
    j.request.walltime_estimate_s = 6 * 3600.0;
    j.request.deadline_s = j.request.submit_s + 30 * 3600.0;
    jobs.push_back(j);
  }
  auto run = [&](double error) {
    return testing::in_child([&]() -> std::vector<double> {
      Scenario sc = load_checked_scenario(base, {});
      PolicyConfig c;
      c.name = "carbon-aware-shift";
      c.key_path = "policies.energy[0]";
      sc.policies.energy.push_back(c);
      sc.policies.forecast_error = error;
      sc.policies.forecast_error_growth_per_day = error;  // σ(L) = error · (1 + L / 1 day)
      sc.policies.forecast_error_correlation_s = 6 * 3600.0;
      DiagnosticSink sink;
      auto policy = make_policy_stack(sc.policies, sink);
      if (!policy) throw std::runtime_error(sink.all().front().to_string());
      MemoryRecorder rec;
      const RunSummary s = run_simulation(sc, jobs, *policy, rec, {});
      // the actual intensity, loaded as the engine loads it
      const SiteInputs actual = load_site_inputs(sc, Calendar(sc.time.start));
      const std::size_t ci = rec.column("carbon_intensity_g_per_kwh"), gi = rec.column("grid_import_w");
      double max_dev = 0, grid_g = 0;
      for (std::size_t k = 0; k < rec.rows.size(); ++k) {
        const double t = rec.times[k];
        const double want = actual.carbon_gco2_per_kwh->mean_over(t, t + sc.time.sample_s);
        max_dev = std::max(max_dev, std::abs(rec.rows[k][ci] - want) / want);
        grid_g += rec.rows[k][gi] * sc.time.sample_s / kJoulesPerKwh * want;
      }
      std::vector<double> out = {s.values.at("emissions_tco2"), grid_g / 1e6, max_dev};
      for (const auto& jr : rec.jobs) out.push_back(jr.start_s);
      return out;
    });
  };
  const auto a = run(0.3), b = run(0.3), perfect = run(0.0);
  REQUIRE(a.size() == 3 + jobs.size());
  REQUIRE(perfect.size() == a.size());
  CHECK(a == b);  // same forecasts, same decisions, same results
  int moved = 0;
  for (std::size_t i = 3; i < a.size(); ++i) moved += a[i] != perfect[i];
  INFO(moved << " of " << jobs.size() << " jobs start elsewhere than with perfect foresight");
  CHECK(moved > 0);
  for (const auto* r : {&a, &perfect}) {
    CHECK((*r)[2] < 1e-12);                                   // intensity recorded = actual
    CHECK((*r)[0] == Approx((*r)[1]).epsilon(1e-9));          // emissions = import × actual
  }
}
