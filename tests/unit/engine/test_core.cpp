// The engine's logic on the fake executor (no SimGrid): every decision kind applied as
// documented, and the rule for invalid decisions (engine/core.hpp). A scripted policy issues the
// decisions at given times; expected values are hand calculations with the physics functions the
// engine must call. Scenario: tests/fixtures/engine/engine.yaml (four DGX H200 nodes, two racks,
// PUE 1.0, 100 gCO2e/kWh, 1 day sampled hourly).
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "config/scenario_loader.hpp"
#include "core/error.hpp"
#include "engine/engine.hpp"
#include "fixtures/engine/scripted_policy.hpp"
#include "integration/helpers.hpp"
#include "physics/accelerator_power.hpp"
#include "physics/node_power.hpp"

using namespace dcsim;
using dcsim::testing::ScriptedPolicy;

namespace {

const std::string kScenario = std::string(DCSIM_SOURCE_DIR) + "/tests/fixtures/engine/engine.yaml";
constexpr double kPeak = 989.4e12;  // H200 bf16 dense

// A job that runs for t0_s at f_max on `gpus` H200s (MFU 0.5), compute-bound, under the power
// limit (u 1, intensity 0.5: 130 + 0.5·908.2 = 584.1 W).
Job job(JobId id, Seconds submit, int gpus, Seconds t0_s) {
  testing::TestProfile p{1.0, 0.0, 0.0, 0.5, 1.0, 0.25, 0.5};
  return testing::test_job(id, submit, gpus, t0_s * gpus * kPeak * 0.5, p);
}

struct Result {
  RunSummary summary;
  MemoryRecorder rec;
};

Result run_fake(const Scenario& sc, std::vector<Job> jobs, Policy& policy) {
  Result r;
  RunOptions o;
  o.executor = ExecutorKind::fake;
  r.summary = run_simulation(sc, std::move(jobs), policy, r.rec, o);
  return r;
}

const JobRecord& record(const MemoryRecorder& rec, JobId id) {
  for (const auto& j : rec.jobs)
    if (j.id == id) return j;
  FAIL("no record of job " << id);
  return rec.jobs.front();
}

Allocation node_slice(NodeId n, int gpus) { return Allocation{Slice{n, gpus}}; }

std::string error_of(const Scenario& sc, std::vector<Job> jobs, std::vector<ScriptedPolicy::Step> steps) {
  ScriptedPolicy p(std::move(steps));
  try {
    run_fake(sc, std::move(jobs), p);
  } catch (const InvariantError& e) {
    return e.what();
  }
  return "";
}

struct Fixture {
  Scenario sc = load_scenario(kScenario);
  const NodeSpec& node = sc.site.platform.node_types.at("dgx-h200");
  const AcceleratorSpec& acc = sc.site.platform.accelerators.at("H200-SXM");
  AcceleratorPower power{acc};
  // Power of a node whose 8 GPUs all run the test job at p-state p.
  Watts busy_node_w(int p, double u = 1.0, double i = 0.5, double host_load = 0.25) const {
    const Watts dev = power.power_w(p, u, i);
    return 8 * dev + host_power_w(node, host_load, std::min(1.0, dev / acc.tdp_w));
  }
  Watts idle_node_w() const { return 8 * power.idle_w() + host_power_w(node, 0.0, power.idle_w() / acc.tdp_w); }
};

}  // namespace

TEST_CASE("StartJob runs a job on its allocation for its time at f_max and books its energy", "[engine][core]") {
  Fixture f;
  ScriptedPolicy p({{0, {StartJob{1, node_slice(0, 8)}}}});
  const Result r = run_fake(f.sc, {job(1, 0, 8, 7200)}, p);
  const JobRecord& j = record(r.rec, 1);
  CHECK(j.outcome == JobOutcome::completed);
  CHECK(j.start_s == 0);
  CHECK(j.end_s == Approx(7200).epsilon(1e-12));
  CHECK(j.mean_freq_mhz == Approx(1980));
  // IT energy: node 0 busy for 2 h, every node idle otherwise.
  const double want = f.busy_node_w(0) * 7200 + f.idle_node_w() * (86400 * 4 - 7200);
  CHECK(r.summary.values.at("it_energy_kwh") * kJoulesPerKwh == Approx(want).epsilon(1e-9));
  // The job's energy: its GPUs and its share (all) of the node's host power.
  CHECK(j.energy_j == Approx(f.busy_node_w(0) * 7200).epsilon(1e-9));
}

TEST_CASE("invalid StartJob decisions end the run with an error naming the policy", "[engine][core][invalid]") {
  Fixture f;
  SECTION("a job that is not queued") {
    const std::string e =
        error_of(f.sc, {job(1, 0, 8, 3600)}, {{0, {StartJob{1, node_slice(0, 8)}, StartJob{1, node_slice(1, 8)}}}});
    CHECK_THAT(e, Catch::Contains("scripted started job 1 which is not queued"));
  }
  SECTION("GPUs that are not free") {
    const std::string e = error_of(f.sc, {job(1, 0, 8, 3600), job(2, 0, 4, 3600)},
                                   {{0, {StartJob{1, node_slice(0, 8)}, StartJob{2, node_slice(0, 4)}}}});
    CHECK_THAT(e, Catch::Contains("scripted gave job 2 an unavailable allocation on node 0"));
  }
  SECTION("another GPU count than asked") {
    const std::string e = error_of(f.sc, {job(1, 0, 8, 3600)}, {{0, {StartJob{1, node_slice(0, 4)}}}});
    CHECK_THAT(e, Catch::Contains("gave job 1 4 GPUs, expected 8"));
  }
  SECTION("an unknown job") {
    const std::string e = error_of(f.sc, {job(1, 0, 8, 3600)}, {{0, {StartJob{7, node_slice(0, 8)}}}});
    CHECK_THAT(e, Catch::Contains("scripted referred to unknown job 7"));
  }
  SECTION("an unknown node") {
    CHECK_THAT(error_of(f.sc, {}, {{0, {SetPState{9, 1}}}}), Catch::Contains("unknown node 9"));
    CHECK_THAT(error_of(f.sc, {}, {{0, {PowerOff{9}}}}), Catch::Contains("powered off unknown node 9"));
    CHECK_THAT(error_of(f.sc, {}, {{0, {SetPowerCap{CapScope::rack, 5u, 1000}}}}), Catch::Contains("unknown rack"));
  }
}

TEST_CASE("PreemptJob checkpoints a job back into the queue; it restarts with its progress and the restart cost",
          "[engine][core]") {
  Fixture f;
  Job j1 = job(1, 0, 8, 7200);
  j1.profile.checkpoint_cost_s = 300;
  ScriptedPolicy p({{0, {StartJob{1, node_slice(0, 8)}}},
                    {1800, {PreemptJob{1}, PreemptJob{1}}},  // the second is moot: skipped
                    {3600, {StartJob{1, node_slice(2, 8)}}}});
  const Result r = run_fake(f.sc, {j1}, p);
  const JobRecord& j = record(r.rec, 1);
  CHECK(j.outcome == JobOutcome::completed);
  CHECK(j.start_s == 0);
  // 1,800 s done before the preemption; 5,400 s left + 300 s restart from 3,600 s.
  CHECK(j.end_s == Approx(3600 + 5400 + 300).epsilon(1e-12));
  CHECK(r.summary.values.at("preemptions") == 1);
  int preempt_events = 0;
  for (const auto& e : r.rec.events) preempt_events += e.kind == EventKind::preempt;
  CHECK(preempt_events == 1);
}

TEST_CASE("RejectJob records the job as rejected with its reason; a second reject is moot", "[engine][core]") {
  Fixture f;
  ScriptedPolicy p({{0, {RejectJob{1, "too big"}, RejectJob{1, "again"}}}});
  const Result r = run_fake(f.sc, {job(1, 0, 8, 3600)}, p);
  REQUIRE(r.rec.jobs.size() == 1);
  CHECK(r.rec.jobs[0].outcome == JobOutcome::rejected);
  CHECK(r.rec.jobs[0].reason == "too big");
  CHECK(r.summary.values.at("jobs_rejected") == 1);
}

TEST_CASE("SetPState slows a compute-bound job by f_max / f and the transition latency; out-of-table states clamp",
          "[engine][core][dvfs]") {
  Fixture f;
  const int p = 20;
  const double ratio = f.power.freq_mhz(0) / f.power.freq_mhz(p);
  const Seconds latency = f.acc.pstate_transition_s;
  ScriptedPolicy pol({{0, {SetPState{0, p}, StartJob{1, node_slice(0, 8)}, SetPState{1, 10000}}}});
  const Result r = run_fake(f.sc, {job(1, 0, 8, 3600)}, pol);
  const JobRecord& j = record(r.rec, 1);
  // The governor's p-state is set before the job starts: no transition delays the job.
  CHECK(j.end_s == Approx(3600 * ratio).epsilon(1e-12));
  CHECK(j.mean_freq_mhz == Approx(f.power.freq_mhz(p)));
  // Node 1 was clamped to the slowest p-state (one transition each for nodes 0 and 1).
  CHECK(r.summary.values.at("pstate_changes") == 2);
  CHECK(latency > 0);
}

TEST_CASE("a p-state change while a job runs costs the transition energy and delays the job by the latency",
          "[engine][core][dvfs][transition]") {
  Fixture f;
  const int p = 20;
  const Seconds lat = f.acc.pstate_transition_s;
  const Joules e_per = f.acc.pstate_transition_j;
  ScriptedPolicy pol({{0, {StartJob{1, node_slice(0, 8)}}}, {1000, {SetPState{0, p}}}, {2000, {SetPState{0, 0}}}});
  const Result r = run_fake(f.sc, {job(1, 0, 8, 3600)}, pol);
  const JobRecord& j = record(r.rec, 1);
  const double ratio = f.power.freq_mhz(0) / f.power.freq_mhz(p);
  // 1,000 s at f_max, 1,000 s at p (1000/ratio of the work), the rest at f_max, + 2 latencies.
  const Seconds at_fmax_left = 3600 - 1000 - 1000 / ratio;
  const Seconds end = 2000 + at_fmax_left + 2 * lat;
  CHECK(j.end_s == Approx(end).epsilon(1e-12));
  // Hand calculation of IT energy with the transitions: node 0 busy at f_max for
  // [0, 1000) ∪ [2000, end), at p for [1000, 2000), idle after; the other nodes idle all day;
  // 2 transitions × 8 GPUs × e_per.
  const double it = f.busy_node_w(0) * (1000 + end - 2000) + f.busy_node_w(p) * 1000 + f.idle_node_w() * (86400 - end) +
                    3 * f.idle_node_w() * 86400 + 2 * 8 * e_per;
  CHECK(r.summary.values.at("it_energy_kwh") * kJoulesPerKwh == Approx(it).epsilon(1e-9));
  CHECK(r.summary.values.at("pstate_transition_energy_kwh") * kJoulesPerKwh == Approx(16 * e_per));
  // Facility = IT (PUE 1.0); emissions = facility × 100 g/kWh; the series integrate to the totals.
  CHECK(r.summary.values.at("facility_energy_kwh") == Approx(r.summary.values.at("it_energy_kwh")).epsilon(1e-12));
  CHECK(r.summary.values.at("emissions_tco2") == Approx(it / kJoulesPerKwh * 100 / 1e6).epsilon(1e-9));
  CHECK(testing::sum_series(r.rec, "it_power_w", 3600, 86400) == Approx(it).epsilon(1e-9));
}

TEST_CASE("SetPowerCap on devices sets their enforced limit within the allowed range; out of range is clamped and reported",
          "[engine][core][cap]") {
  Fixture f;
  // Intensity 1 (a GEMM-like job): the default 700 W limit lowers the clock already.
  Job gemm = job(1, 0, 8, 3600);
  gemm.profile.intensity = 1.0;
  Job gemm2 = gemm;
  gemm2.request.id = 2;
  SECTION("the default limit, then 500 W") {
    ScriptedPolicy p({{0, {StartJob{1, node_slice(0, 8)}, SetPowerCap{CapScope::device, 1u, 500}, StartJob{2, node_slice(1, 8)}}}});
    const Result r = run_fake(f.sc, {gemm, gemm2}, p);
    const int p700 = f.power.highest_pstate_under(700, 1.0, 1.0);
    const int p500 = f.power.highest_pstate_under(500, 1.0, 1.0);
    CHECK(record(r.rec, 1).mean_freq_mhz == Approx(f.power.freq_mhz(p700)));
    CHECK(record(r.rec, 2).mean_freq_mhz == Approx(f.power.freq_mhz(p500)));
    CHECK(record(r.rec, 2).end_s == Approx(3600 * f.power.freq_mhz(0) / f.power.freq_mhz(p500)).epsilon(1e-12));
    CHECK(r.summary.text.at("run_warnings").empty());
  }
  SECTION("900 W is clamped to the H200's 700 W and reported") {
    ScriptedPolicy p({{0, {SetPowerCap{CapScope::device, std::nullopt, 900}, StartJob{1, node_slice(0, 8)}}}});
    const Result r = run_fake(f.sc, {gemm}, p);
    CHECK(record(r.rec, 1).mean_freq_mhz == Approx(f.power.freq_mhz(f.power.highest_pstate_under(700, 1.0, 1.0))));
    CHECK_THAT(r.summary.text.at("run_warnings"), Catch::Contains("900 W on H200-SXM is outside its allowed range [200, 700] W; 700 W applied"));
  }
}

TEST_CASE("a rack cap shares its budget among busy accelerators by water-filling and leaves idle nodes alone",
          "[engine][core][cap]") {
  Fixture f;
  // Rack 0 = nodes 0 and 1. Node 0 runs a light job (u 0.5: 357 W per GPU), node 1 a GEMM-like
  // one that wants 700 W; the cap leaves less than both need.
  Job light = job(1, 0, 8, 3600);
  light.profile.utilisation = 0.5;
  Job heavy = job(2, 0, 8, 3600);
  heavy.profile.intensity = 1.0;
  // Hand: fixed part = two hosts budgeted with fans at full speed; the light job's 8 GPUs keep
  // their demand (the controlled power of physics/accelerator_power.hpp); the heavy one's 8 GPUs
  // share the rest. The cap leaves them 600 W each, less than the 700 W they want.
  const Watts fixed = host_power_w(f.node, 0.25, 1.0) * 2;
  const Watts light_w = f.power.controlled_power_w(0, 0.5, 0.5);  // what its limiter holds
  const Watts cap = fixed + 8 * light_w + 8 * 600.0;
  ScriptedPolicy p({{0, {SetPowerCap{CapScope::rack, 0u, cap}, StartJob{1, node_slice(0, 8)}, StartJob{2, node_slice(1, 8)}}}});
  const Result r = run_fake(f.sc, {light, heavy}, p);
  const std::size_t it = testing::column(r.rec, "it_power_w");
  const Watts level = (cap - fixed - 8 * light_w) / 8;
  REQUIRE(level > light_w);
  const int ph = f.power.highest_pstate_under(level, 1.0, 1.0);
  CHECK(record(r.rec, 1).mean_freq_mhz == Approx(1980));
  double node1_mhz_at_start = 0;  // the clock node 1 settles on at t = 0
  for (const auto& ev : r.rec.events)
    if (ev.kind == EventKind::pstate && ev.target == 1 && ev.time_s == 0) node1_mhz_at_start = ev.value;
  CHECK(node1_mhz_at_start == Approx(f.power.freq_mhz(ph)));
  // When the light job ends the heavy one gets the headroom: its mean clock is higher.
  CHECK(record(r.rec, 2).mean_freq_mhz > f.power.freq_mhz(ph));
  // The rack stays under its cap while both run (first hour): rack power = IT − the idle rack 1.
  const double rack0 = r.rec.rows[0][it] - 2 * f.idle_node_w();
  CHECK(rack0 <= cap);
  // The light job draws its mean, below the controlled power it was budgeted: that gap is unused.
  CHECK(rack0 > 0.85 * (cap - 8 * (light_w - f.power.power_w(0, 0.5, 0.5))));
}

TEST_CASE("a site cap limits facility power at every sample; idle nodes keep their idle power",
          "[engine][core][cap]") {
  Fixture f;
  f.sc.site.cooling.pue = 1.5;
  std::vector<Job> jobs;
  for (JobId i = 1; i <= 3; ++i) {
    jobs.push_back(job(i, 0, 8, 4 * 3600));
    jobs.back().profile.intensity = 1.0;
  }
  const Watts cap = 40000;  // facility W; IT allowed = 40,000 / 1.5
  ScriptedPolicy p({{0, {SetPowerCap{CapScope::site, std::nullopt, cap}, StartJob{1, node_slice(0, 8)},
                         StartJob{2, node_slice(1, 8)}, StartJob{3, node_slice(2, 8)}}}});
  const Result r = run_fake(f.sc, jobs, p);
  const std::size_t fac = testing::column(r.rec, "facility_power_w");
  for (std::size_t i = 0; i < r.rec.rows.size(); ++i) {
    INFO("sample " << i);
    CHECK(r.rec.rows[i][fac] <= cap * (1 + 1e-9));
  }
  CHECK(r.rec.rows[0][fac] > 0.9 * cap);  // the headroom is used
  // Node 3 idles at its idle power: its accelerators are never throttled, it has no p-state event.
  for (const auto& e : r.rec.events) CHECK_FALSE((e.kind == EventKind::pstate && e.target == 3));
  CHECK(r.summary.text.at("run_warnings").empty());
}

TEST_CASE("PowerOff and PowerOn move a node through shutdown, off and boot with each state's power",
          "[engine][core][power]") {
  Fixture f;
  ScriptedPolicy p({{0, {PowerOff{3}}}, {10000, {PowerOn{3}, PowerOn{3}}}, {20000, {PowerOff{0}, PowerOn{1}}}});
  const Result r = run_fake(f.sc, {}, p);
  std::vector<std::string> kinds;
  for (const auto& e : r.rec.events)
    if (e.target == 3) kinds.emplace_back(name_of(e.kind));
  CHECK(kinds == std::vector<std::string>{"power_off", "shut_down", "power_on", "booted"});
  // Node 3's energy: shutdown, off, boot, on; nodes 1-2 idle; node 0 shut down at 20,000 s.
  const auto& n = f.node;
  const double node3 = n.shutdown_power_w * n.shutdown_s + n.off_power_w * (10000 - n.shutdown_s) + n.boot_power_w * n.boot_s +
                       f.idle_node_w() * (86400 - 10000 - n.boot_s);
  const double node0 = f.idle_node_w() * 20000 + n.shutdown_power_w * n.shutdown_s + n.off_power_w * (86400 - 20000 - n.shutdown_s);
  const double want = node3 + node0 + 2 * f.idle_node_w() * 86400;
  CHECK(r.summary.values.at("it_energy_kwh") * kJoulesPerKwh == Approx(want).epsilon(1e-9));
}

TEST_CASE("WakeAt gives the policy a round at the time it asked for", "[engine][core]") {
  Fixture f;
  ScriptedPolicy p({{12345, {}}, {50000, {WakeAt{60000}}}});
  run_fake(f.sc, {}, p);
  CHECK(std::find(p.rounds.begin(), p.rounds.end(), 12345.0) != p.rounds.end());
  CHECK(std::find(p.rounds.begin(), p.rounds.end(), 60000.0) != p.rounds.end());
}

TEST_CASE("SetBatteryMode charges the battery from the grid and records the mode", "[engine][core][battery]") {
  Fixture f;
  f.sc.site.supply.battery.capacity_mwh = 0.1;
  f.sc.site.supply.battery.power_mw = 0.01;
  ScriptedPolicy p({{3600, {SetBatteryMode{BatteryMode::charge}}}, {7200, {SetBatteryMode{BatteryMode::automatic}}}});
  const Result r = run_fake(f.sc, {}, p);
  // One hour at 10 kW into the battery (it does not reach soc_max: 0.05 + 0.0094 MWh < 0.09).
  CHECK(r.summary.values.at("battery_charge_kwh") == Approx(10).epsilon(1e-9));
  int modes = 0;
  for (const auto& e : r.rec.events) modes += e.kind == EventKind::battery_mode;
  CHECK(modes == 2);
}

TEST_CASE("ResizeJob grows an elastic job with its progress kept; invalid resizes end the run", "[engine][core][elastic]") {
  Fixture f;
  Job e = job(1, 0, 4, 7200);
  e.request.elastic = true;
  e.request.min_gpus = 2;
  e.request.max_gpus = 8;
  SECTION("grow from 4 to 8 GPUs at 3,600 s with a 600 s cost") {
    ScriptedPolicy p({{0, {StartJob{1, node_slice(0, 4)}}}, {3600, {ResizeJob{1, node_slice(0, 8), 600}}}});
    const Result r = run_fake(f.sc, {e}, p);
    // Half the work left, at twice the GPUs: 1,800 s after the 600 s cost.
    CHECK(record(r.rec, 1).end_s == Approx(3600 + 600 + 1800).epsilon(1e-12));
    CHECK(r.summary.values.at("resizes") == 1);
  }
  SECTION("out of the job's range") {
    CHECK_THAT(error_of(f.sc, {e}, {{0, {StartJob{1, node_slice(0, 4)}}}, {100, {ResizeJob{1, node_slice(0, 1), 0}}}}),
               Catch::Contains("resized job 1 to 1 GPUs, expected [2, 8]"));
  }
  SECTION("a job that is not elastic") {
    Job plain = job(2, 0, 4, 7200);
    CHECK_THAT(error_of(f.sc, {plain}, {{0, {StartJob{2, node_slice(0, 4)}}}, {100, {ResizeJob{2, node_slice(0, 8), 0}}}}),
               Catch::Contains("resized job 2, which is not elastic"));
  }
  SECTION("a negative cost") {
    CHECK_THAT(error_of(f.sc, {e}, {{0, {StartJob{1, node_slice(0, 4)}}}, {100, {ResizeJob{1, node_slice(0, 8), -1}}}}),
               Catch::Contains("with a negative cost"));
  }
}

TEST_CASE("time.drain lets running jobs finish after the span; queued jobs stay unfinished", "[engine][core][drain]") {
  Fixture f;
  f.sc.time.drain_s = 2 * 86400;
  ScriptedPolicy p({{0, {StartJob{1, node_slice(0, 8)}}}});
  // Job 1 needs 30 h (past the 24 h span); job 2 is never started.
  const Result r = run_fake(f.sc, {job(1, 0, 8, 30 * 3600), job(2, 0, 8, 3600)}, p);
  CHECK(record(r.rec, 1).outcome == JobOutcome::completed);
  CHECK(record(r.rec, 1).end_s == Approx(30 * 3600).epsilon(1e-12));
  CHECK(record(r.rec, 2).outcome == JobOutcome::unfinished);
  CHECK(record(r.rec, 2).reason == "queued at the end of the simulated span");
  // The run ends when the last running job finishes, not at the end of the drain.
  CHECK(r.summary.values.at("simulated_s") == Approx(30 * 3600).epsilon(1e-12));
  CHECK(r.rec.times.back() < 30 * 3600);
  SECTION("without a drain the job is unfinished at the span's end") {
    f.sc.time.drain_s = 0;
    ScriptedPolicy q({{0, {StartJob{1, node_slice(0, 8)}}}});
    const Result r0 = run_fake(f.sc, {job(1, 0, 8, 30 * 3600)}, q);
    CHECK(record(r0.rec, 1).outcome == JobOutcome::unfinished);
    CHECK(r0.summary.values.at("simulated_s") == Approx(86400));
  }
}
