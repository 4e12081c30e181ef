// Elastic jobs resized while running (policy elastic-resize, decision ResizeJob) end to end:
// completion times against a hand calculation with the resize cost, the event table, and the
// run's energy bookkeeping. One simulation per process (each TEST_CASE runs alone).
#include <catch2/catch.hpp>

#include <cmath>

#include "app/run_scenario.hpp"
#include "engine/engine.hpp"
#include "physics/dvfs.hpp"
#include "policy/registry.hpp"
#include "helpers.hpp"

using namespace dcsim;

namespace {

const std::string kScenario =
    std::string(DCSIM_SOURCE_DIR) + "/tests/integration/scenarios/one-node-elastic.yaml";
constexpr Seconds kCost = 600;  // resize_cost of the scenario

// A compute-bound job (its whole time is one SimGrid execution at f_max) of `work` FLOPs.
Job job(JobId id, Seconds submit, int gpus, Flops work) {
  return testing::test_job(id, submit, gpus, work, testing::kComputeBound);
}

Job elastic(Job j, int lo, int hi) {
  j.request.elastic = true;
  j.request.min_gpus = lo;
  j.request.max_gpus = hi;
  return j;
}

const JobRecord& record(const MemoryRecorder& rec, JobId id) {
  for (const auto& j : rec.jobs)
    if (j.id == id) return j;
  FAIL("no record of job " << id);
  return rec.jobs.front();
}

// The run's energy: series = totals, and job energies are a part of IT energy.
void check_energy(const MemoryRecorder& rec, const RunSummary& s, const Scenario& sc) {
  const double it_j = s.values.at("it_energy_kwh") * kJoulesPerKwh;
  CHECK(testing::sum_series(rec, "it_power_w", sc.time.sample_s, sc.time.duration_s) == Approx(it_j).epsilon(1e-9));
  CHECK(s.values.at("facility_energy_kwh") == Approx(1.1 * s.values.at("it_energy_kwh")).epsilon(1e-9));
  double jobs_j = 0;
  for (const auto& j : rec.jobs) jobs_j += j.energy_j;
  CHECK(jobs_j > 0);
  CHECK(jobs_j < it_j);
}

}  // namespace

TEST_CASE("an elastic job grows into the GPUs another job frees and ends when the hand calculation says",
          "[engine][elastic]") {
  Scenario sc = load_checked_scenario(kScenario, {});
  DiagnosticSink sink;
  auto policy = make_policy_stack(sc.policies, sink);
  REQUIRE(policy);
  const NodeSpec& n = sc.site.platform.node_types.begin()->second;
  const AcceleratorSpec& acc = sc.site.platform.accelerators.at(n.accelerator);
  // A: elastic, 4 GPUs (4..8), 8 h of work on 4 GPUs; B: rigid, 4 GPUs, 2 h. Both start at 0.
  Job a = elastic(job(1, 0, 4, 0), 4, 8);
  const Flops per_gpu_h = 3600.0 * effective_peak_flops(acc, a.profile.precision) * a.profile.mfu;
  a.profile.work_flops = 8 * 4 * per_gpu_h;
  Job b = job(2, 0, 4, 2 * 4 * per_gpu_h);
  const Seconds ta4 = runtime_at_fmax_s(a.profile, acc, 4), tb = runtime_at_fmax_s(b.profile, acc, 4);
  REQUIRE(ta4 == Approx(8 * 3600.0));
  REQUIRE(tb == Approx(2 * 3600.0));
  a.request.walltime_estimate_s = ta4;  // the policy's R = 6 h at 2 h: (6 h)(1 − 4/8) > 600 s
  MemoryRecorder rec;
  const RunSummary s = run_simulation(sc, {a, b}, *policy, rec, {});
  REQUIRE(s.values.at("jobs_completed") == 2);
  CHECK(record(rec, 2).end_s == Approx(tb));
  // At 2 h A has done 2/8 of its work; the rest, 6 h on 4 GPUs, takes 3 h on 8, after the cost.
  const Seconds expected = tb + kCost + (1.0 - tb / ta4) * ta4 * 4.0 / 8.0;  // 2 h + 600 s + 3 h
  CHECK(record(rec, 1).end_s == Approx(expected).epsilon(1e-9));
  CHECK(record(rec, 1).gpus == 8);
  CHECK(s.values.at("resizes") == 1);
  int resizes = 0;
  for (const auto& e : rec.events)
    if (e.kind == EventKind::resize) {
      ++resizes;
      CHECK(e.time_s == Approx(tb));
      CHECK(e.target == 1);
      CHECK(e.value == 8);
    }
  CHECK(resizes == 1);
  check_energy(rec, s, sc);
}

TEST_CASE("an elastic job shrinks to start a waiting job at once and ends later by the hand calculation",
          "[engine][elastic]") {
  Scenario sc = load_checked_scenario(kScenario, {});
  DiagnosticSink sink;
  auto policy = make_policy_stack(sc.policies, sink);
  REQUIRE(policy);
  const NodeSpec& n = sc.site.platform.node_types.begin()->second;
  const AcceleratorSpec& acc = sc.site.platform.accelerators.at(n.accelerator);
  // A: elastic on all 8 GPUs (4..8), 4 h of work on 8 GPUs; B (4 GPUs, 1 h) arrives at 1 h.
  Job a = elastic(job(1, 0, 8, 0), 4, 8);
  const Flops per_gpu_h = 3600.0 * effective_peak_flops(acc, a.profile.precision) * a.profile.mfu;
  a.profile.work_flops = 4 * 8 * per_gpu_h;
  Job b = job(2, 3600, 4, 1 * 4 * per_gpu_h);
  const Seconds ta8 = runtime_at_fmax_s(a.profile, acc, 8), tb = runtime_at_fmax_s(b.profile, acc, 4);
  REQUIRE(ta8 == Approx(4 * 3600.0));
  MemoryRecorder rec;
  const RunSummary s = run_simulation(sc, {a, b}, *policy, rec, {});
  REQUIRE(s.values.at("jobs_completed") == 2);
  // B starts when it arrives: A gives 4 GPUs back at 1 h.
  CHECK(record(rec, 2).start_s == Approx(3600.0));
  CHECK(record(rec, 2).end_s == Approx(3600.0 + tb));
  // A at 1 h: 3/4 of its work left = 3 h on 8 GPUs = 6 h on 4, after the cost. When B ends
  // (2 h) A grows back to 8 (R = 5 h + 600 s remaining in its estimate) for another 600 s.
  const Seconds shrunk_left = (1.0 - 3600.0 / ta8) * ta8 * 2.0;  // 6 h on 4 GPUs
  const Seconds t_grow = 3600.0 + tb;                             // B ends at 2 h
  // At 2 h A has run 1 h on 4 GPUs, of which 600 s was the resize cost.
  const double left_at_grow = 1.0 - (t_grow - 3600.0 - kCost) / shrunk_left;  // fraction of the 3/4
  const Seconds expected = t_grow + kCost + left_at_grow * shrunk_left / 2.0;
  CHECK(record(rec, 1).end_s == Approx(expected).epsilon(1e-9));
  CHECK(s.values.at("resizes") == 2);
  check_energy(rec, s, sc);
}
