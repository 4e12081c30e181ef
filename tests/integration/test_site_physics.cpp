// Site physics as the engine runs it, on SimGrid: the facility series is physics'
// facility_power() of the IT series at every sample, for every cooling model; a site cap holds
// on facility power; a battery charged from the grid passes the grid's carbon-free share on; a
// run of p-state changes books the transitions in IT energy, facility energy and emissions.
// One simulation per process (each TEST_CASE runs alone; in_child where a case needs several).
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>

#include "app/run_scenario.hpp"
#include "child.hpp"
#include "engine/engine.hpp"
#include "fixtures/engine/scripted_policy.hpp"
#include "helpers.hpp"
#include "physics/accelerator_power.hpp"
#include "physics/facility.hpp"
#include "physics/node_power.hpp"
#include "policy/registry.hpp"

using namespace dcsim;
using testing::ScriptedPolicy;

namespace {

const std::string kScenario = std::string(DCSIM_SOURCE_DIR) + "/tests/integration/scenarios/site-physics.yaml";
constexpr double kPeak = 989.4e12;

// `n` 8-GPU jobs from t = 0, each `hours` long at f_max (u 1, intensity 0.5, under the limit).
std::vector<Job> jobs_at_zero(int n, double hours) {
  std::vector<Job> v;
  for (int i = 0; i < n; ++i)
    v.push_back(testing::test_job(static_cast<JobId>(i + 1), 0, 8, hours * 3600 * 8 * kPeak * 0.5,
                                  testing::TestProfile{1.0, 0.0, 0.0, 0.5, 1.0, 0.25, 0.5}));
  return v;
}

Watts design_it_w(const Scenario& sc) {
  Watts d = 0;
  for (const NodeGroup& g : sc.site.platform.nodes) {
    const NodeSpec& n = sc.site.platform.node_types.at(g.node_type);
    d += g.count * (n.accelerators_per_node * sc.site.platform.accelerators.at(n.accelerator).tdp_w + n.host_busy_w +
                    n.nic_w + n.fan_max_w);
  }
  return d;
}

}  // namespace

TEST_CASE("the engine's facility series is facility_power() of its IT series at every sample, for each cooling model",
          "[engine][site][facility]") {
  for (const char* model : {"constant-pue", "chiller", "chiller-economiser", "liquid"}) {
    INFO(model);
    const auto bad = testing::in_child([&]() -> std::vector<double> {
      Scenario sc = load_checked_scenario(kScenario, {});
      sc.site.cooling.model = parse_name<CoolingModel>(model).value();
      sc.site.cooling.pue = 1.3;
      ScriptedPolicy p({{0, {StartJob{1, {Slice{0, 8}}}, StartJob{2, {Slice{2, 8}}}}}});
      MemoryRecorder rec;
      run_simulation(sc, jobs_at_zero(2, 30), p, rec, {});
      const std::size_t it = rec.column("it_power_w"), fac = rec.column("facility_power_w"),
                        temp = rec.column("outdoor_temp_c"), run = rec.column("running_jobs");
      const Watts design = design_it_w(sc);
      std::vector<double> out{static_cast<double>(rec.rows.size())};
      for (std::size_t i = 0; i < rec.rows.size(); ++i) {
        const auto& r = rec.rows[i];
        if (r[run] != std::round(r[run])) continue;  // a job ended inside the sample: IT not constant
        const double want = facility_power(sc.site.cooling, sc.site.ups, sc.site.pdu, r[it], r[temp], design).total_w;
        if (std::abs(r[fac] - want) > 1e-9 * want) out.push_back(static_cast<double>(i));
      }
      return out;
    });
    REQUIRE(!bad.empty());
    CHECK(bad[0] == 72);  // three days of hourly samples were compared
    CHECK(bad.size() == 1);  // no sample differs
  }
}

TEST_CASE("under the power-cap policy at site scope, facility power stays at or under the cap after the first round "
          "and idle nodes keep their idle clock",
          "[engine][site][cap]") {
  Scenario sc = load_checked_scenario(kScenario, {});
  PolicyConfig cap;
  cap.name = "power-cap";
  cap.strings["scope"] = "site";
  cap.numbers["cap_w"] = 40000;
  cap.key_path = "policies.energy[0]";
  sc.policies.energy.push_back(cap);
  DiagnosticSink sink;
  auto policy = make_policy_stack(sc.policies, sink);
  REQUIRE(policy);
  std::vector<Job> jobs = jobs_at_zero(3, 10);
  for (Job& j : jobs) j.profile.intensity = 1.0;  // GEMM-like: they want the full 700 W
  MemoryRecorder rec;
  const RunSummary s = run_simulation(sc, jobs, *policy, rec, {});
  const std::size_t fac = rec.column("facility_power_w"), capc = rec.column("power_cap_w");
  for (std::size_t i = 1; i < rec.rows.size(); ++i) {  // the cap is set in the first round
    INFO("sample " << i);
    CHECK(rec.rows[i][capc] == 40000);
    CHECK(rec.rows[i][fac] <= 40000 * (1 + 1e-9));
  }
  CHECK(s.values.at("jobs_completed") == 3);
  INFO(s.text.at("run_warnings"));
  CHECK(s.text.at("run_warnings").empty());
  // The fourth node never ran a job: no p-state event on it.
  for (const auto& e : rec.events) CHECK_FALSE((e.kind == EventKind::pstate && e.target == 3));
}

TEST_CASE("under the power-cap policy at site scope with basis it, IT power stays at or under the cap and facility "
          "power may exceed it",
          "[engine][site][cap]") {
  Scenario sc = load_checked_scenario(kScenario, {});
  PolicyConfig cap;
  cap.name = "power-cap";
  cap.strings["scope"] = "site";
  cap.strings["basis"] = "it";
  cap.numbers["cap_w"] = 22000;
  cap.key_path = "policies.energy[0]";
  std::vector<Job> jobs = jobs_at_zero(3, 10);
  for (Job& j : jobs) j.profile.intensity = 1.0;
  // The same jobs without the cap (in a child: one simulation per process): the IT power the cap has to cut.
  const auto free_run = testing::in_child([&]() -> std::vector<double> {
    DiagnosticSink sink;
    auto free_policy = make_policy_stack(sc.policies, sink);
    if (!free_policy) return {};
    MemoryRecorder rec;
    run_simulation(sc, jobs, *free_policy, rec, {});
    const std::size_t it = rec.column("it_power_w");
    double m = 0;
    for (const auto& r : rec.rows) m = std::max(m, r[it]);
    return {m};
  });
  REQUIRE(free_run.size() == 1);
  CHECK(free_run[0] > 25000);
  sc.policies.energy.push_back(cap);
  DiagnosticSink sink;
  auto policy = make_policy_stack(sc.policies, sink);
  REQUIRE(policy);
  MemoryRecorder rec;
  const RunSummary s = run_simulation(sc, jobs, *policy, rec, {});
  const std::size_t it = rec.column("it_power_w"), fac = rec.column("facility_power_w");
  double max_it = 0, max_fac = 0;
  for (std::size_t i = 1; i < rec.rows.size(); ++i) {
    INFO("sample " << i);
    CHECK(rec.rows[i][it] <= 22000 * (1 + 1e-9));
    max_it = std::max(max_it, rec.rows[i][it]);
    max_fac = std::max(max_fac, rec.rows[i][fac]);
  }
  CHECK(max_it > 0.9 * 22000);  // discrete p-states leave some headroom under the cap
  CHECK(max_fac > 22000);       // cooling and losses come on top of an IT cap
  CHECK(s.values.at("jobs_completed") == 3);
}

TEST_CASE("the power-cap policy refuses basis facility for a rack cap", "[engine][site][cap]") {
  PolicyConfig cap;
  cap.name = "power-cap";
  cap.strings["scope"] = "rack";
  cap.strings["basis"] = "facility";
  cap.numbers["cap_w"] = 30000;
  cap.key_path = "policies.energy[0]";
  PoliciesSpec ps;
  ps.energy.push_back(cap);
  DiagnosticSink sink;
  CHECK_FALSE(make_policy_stack(ps, sink));
  REQUIRE(sink.size() == 1);
  CHECK_THAT(sink.all()[0].message, Catch::Contains("basis: facility only with scope: site"));
}

TEST_CASE("a battery charged from the grid only passes the grid's carbon-free share on: the CFE score does not rise",
          "[engine][site][battery][cfe]") {
  // A grid whose carbon-free share is 30 % every hour (EIA format: nuclear 30, gas 70).
  const std::string trace = "/tmp/dcsim-cfe-grid.csv";
  {
    std::ofstream f(trace);
    f << "timestamp,WND,SUN,WAT,OIL,NG,COL,NUC,OTH,avg_CI\n";
    for (int h = 0; h < 24 * 40; ++h) {
      char ts[64];
      std::snprintf(ts, sizeof ts, "2024-%02d-%02d %02d:00:00+00:00", 6 + (h / 24 >= 30), 1 + (h / 24) % 30, h % 24);
      f << ts << ",0,0,0,0,70,0,30,0," << (h % 24 < 6 ? 150 : 450) << "\n";
    }
  }
  const auto score = [&](bool battery) {
    return testing::in_child([&]() -> std::vector<double> {
      Scenario sc = load_checked_scenario(kScenario, {"site.supply.grid={carbon_gco2_per_kwh: ~, carbon_file: " + trace + "}"});
      sc.site.cooling.model = CoolingModel::constant_pue;
      if (battery) {
        sc.site.supply.battery.capacity_mwh = 0.2;
        sc.site.supply.battery.power_mw = 0.05;
      }
      // Charge from the grid at night, discharge in the day, every day.
      std::vector<ScriptedPolicy::Step> steps;
      for (int d = 0; d < 3; ++d) {
        steps.push_back({d * 86400.0, {SetBatteryMode{BatteryMode::charge}}});
        steps.push_back({d * 86400.0 + 6 * 3600, {SetBatteryMode{BatteryMode::discharge}}});
      }
      steps.front().decisions.push_back(StartJob{1, {Slice{0, 8}}});
      ScriptedPolicy p(steps);
      MemoryRecorder rec;
      const RunSummary s = run_simulation(sc, jobs_at_zero(1, 60), p, rec, {});
      return std::vector<double>{s.values.at("cfe_score"), s.values.count("battery_discharge_kwh") ? s.values.at("battery_discharge_kwh") : 0};
    });
  };
  const auto without = score(false), with = score(true);
  REQUIRE(without.size() == 2);
  REQUIRE(with.size() == 2);
  CHECK(with[1] > 100);  // the battery did discharge into the site
  CHECK(without[0] == Approx(0.30).epsilon(1e-9));
  CHECK(with[0] == Approx(0.30).epsilon(1e-9));
}

TEST_CASE("on SimGrid, a run of p-state changes books the transitions in IT energy, facility energy and emissions",
          "[engine][site][transition]") {
  Scenario sc = load_checked_scenario(kScenario, {});
  sc.site.cooling.model = CoolingModel::constant_pue;
  sc.site.cooling.pue = 1.25;
  const NodeSpec& node = sc.site.platform.node_types.at("dgx-h200");
  const AcceleratorSpec& acc = sc.site.platform.accelerators.at("H200-SXM");
  const AcceleratorPower pw(acc);
  const int p = 20;
  ScriptedPolicy pol({{0, {StartJob{1, {Slice{0, 8}}}}}, {1000, {SetPState{0, p}}}, {2000, {SetPState{0, 0}}}});
  MemoryRecorder rec;
  const RunSummary s = run_simulation(sc, jobs_at_zero(1, 1), pol, rec, {});
  const auto busy = [&](int q) {
    const Watts dev = pw.power_w(q, 1.0, 0.5);
    return 8 * dev + host_power_w(node, 0.25, dev / acc.tdp_w);
  };
  const Watts idle = 8 * pw.idle_w() + host_power_w(node, 0.0, pw.idle_w() / acc.tdp_w);
  const double ratio = pw.freq_mhz(0) / pw.freq_mhz(p);
  const Seconds end = 2000 + (3600 - 1000 - 1000 / ratio) + 2 * acc.pstate_transition_s;
  REQUIRE(rec.jobs.size() == 1);
  CHECK(rec.jobs[0].end_s == Approx(end).epsilon(1e-9));
  const double span = 3 * 86400;
  const double it = busy(0) * (1000 + end - 2000) + busy(p) * 1000 + idle * (span - end) + 3 * idle * span +
                    2 * 8 * acc.pstate_transition_j;
  CHECK(s.values.at("it_energy_kwh") * kJoulesPerKwh == Approx(it).epsilon(1e-9));
  CHECK(s.values.at("facility_energy_kwh") * kJoulesPerKwh == Approx(1.25 * it).epsilon(1e-9));
  CHECK(s.values.at("emissions_tco2") == Approx(1.25 * it / kJoulesPerKwh * 400 / 1e6).epsilon(1e-9));
}
