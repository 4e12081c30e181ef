// Device temperature and thermal slowdown as the engine runs them (physics/thermal.hpp,
// engine/thermal.cpp), on SimGrid: a device at constant power approaches the RC model's steady
// temperature with its time constant (read from the series); with a hotter supply a job runs at
// the clock that keeps its devices at the slowdown temperature, its run time grows by the DVFS
// law, and the throttle's start and end are events.
// One simulation per process (each TEST_CASE runs alone).
#include <catch2/catch.hpp>

#include <cmath>

#include "app/run_scenario.hpp"
#include "engine/engine.hpp"
#include "fixtures/engine/scripted_policy.hpp"
#include "helpers.hpp"
#include "physics/accelerator_power.hpp"

using namespace dcsim;
using testing::ScriptedPolicy;

namespace {

const std::string kScenario = std::string(DCSIM_SOURCE_DIR) + "/tests/integration/scenarios/thermal.yaml";
constexpr double kPeak = 989.4e12;  // H200 bf16 dense

// One 8-GPU job from t = 0, `hours` long at f_max (compute-bound, intensity 0.6: 675 W, under
// the 700 W limit at f_max).
std::vector<Job> one_job(double hours) {
  return {testing::test_job(1, 0, 8, hours * 3600 * 8 * kPeak * testing::kComputeBound.mfu, testing::kComputeBound)};
}

}  // namespace

TEST_CASE("a device at constant power approaches the RC steady temperature with the model's time constant",
          "[engine][thermal]") {
  Scenario sc = load_checked_scenario(kScenario, {});
  ScriptedPolicy p({{0, {StartJob{1, {Slice{0, 8}}}}}});
  MemoryRecorder rec;
  run_simulation(sc, one_job(10), p, rec, {});
  const AcceleratorSpec& acc = sc.site.platform.accelerators.at("H200-SXM");
  const AcceleratorPower power(acc);
  const Watts p_job = power.power_w(0, 1.0, 0.6), p_idle = power.power_w(0, 0.0, 0.0);
  // By hand: T = 20 + 10 + 0.04 W/K·P; from idle's steady temperature at t = 0 towards the job's.
  const double t_idle = 30 + 0.04 * p_idle, t_job = 30 + 0.04 * p_job, tau = 3600;
  const std::size_t mean = testing::column(rec, "mean_device_temp_c"), mx = testing::column(rec, "max_device_temp_c"),
                    cool = testing::column(rec, "device_coolant_temp_c"), thr = testing::column(rec, "throttled_gpus");
  REQUIRE(rec.rows.size() >= 600);
  const auto at = [&](double t) { return t_job + (t_idle - t_job) * std::exp(-t / tau); };
  for (std::size_t i = 0; i < 600; ++i) {  // the job runs the first 10 h
    const double a = rec.times[i], b = a + 60;
    // Mean over the interval: the exact integral of the exponential.
    const double want = t_job + (t_idle - t_job) * tau * (std::exp(-a / tau) - std::exp(-b / tau)) / 60;
    REQUIRE(rec.rows[i][mean] == Approx(want).epsilon(1e-9));
    REQUIRE(rec.rows[i][mx] == Approx(at(b)).epsilon(1e-9));  // rising: the highest is at the end
    REQUIRE(rec.rows[i][cool] == Approx(20.0));
    REQUIRE(rec.rows[i][thr] == 0.0);  // 30 + 0.04·675 = 57 °C, far below 89 °C
  }
  // The time constant read back from the series: one τ (60 samples) takes 1 − 1/e of the step.
  const double frac = (rec.rows[59][mx] - t_idle) / (t_job - t_idle);
  CHECK(frac == Approx(1 - std::exp(-1.0)).epsilon(1e-9));
  const double tau_read = -60.0 * 60 / std::log((t_job - rec.rows[119][mx]) / (t_job - rec.rows[59][mx]));
  CHECK(tau_read == Approx(tau).epsilon(1e-9));
  CHECK(rec.rows[599][mx] == Approx(t_job).epsilon(1e-3));  // ten τ: steady
  CHECK(rec.summary.values.at("thermal_max_device_temp_c") == Approx(at(36000)).epsilon(1e-9));
  CHECK(rec.summary.values.at("thermal_throttle_events") == 0);
}

TEST_CASE("with a hotter supply a job runs at the clock that keeps its devices at the slowdown temperature and "
          "takes longer by the DVFS law",
          "[engine][thermal]") {
  Scenario sc = load_checked_scenario(kScenario, {});
  sc.site.cooling.supply_temp_c = 35;  // inlet 45 °C: 0.04 K/W · 675 W = 27 K above it is 72 °C
  sc.site.thermal.slowdown_c = 65;     // so the job's devices would exceed 65 °C at f_max
  sc.site.thermal.time_constant_s = 0.3;
  ScriptedPolicy p({{0, {StartJob{1, {Slice{0, 8}}}}}});
  MemoryRecorder rec;
  const double hours = 4;
  run_simulation(sc, one_job(hours), p, rec, {});
  const AcceleratorSpec& acc = sc.site.platform.accelerators.at("H200-SXM");
  const AcceleratorPower power(acc);
  // By hand: the thermal power limit (65 − 45)/0.04 = 500 W; the fastest p-state under it.
  const Watts limit = (65.0 - 45.0) / 0.04;
  int q = 0;
  while (q + 1 < power.pstate_count() && power.power_w(q, 1.0, 0.6) > limit) ++q;
  REQUIRE(power.power_w(q, 1.0, 0.6) <= limit);
  REQUIRE(q > 0);
  const double f = power.freq_mhz(q), fmax = power.max_freq_mhz();
  // Compute-bound: t = t0·f_max/f, plus one p-state transition latency (the switch at the start).
  const double want = hours * 3600 * fmax / f + acc.pstate_transition_s;
  REQUIRE(rec.jobs.size() == 1);
  const JobRecord& j = rec.jobs[0];
  CHECK(j.outcome == JobOutcome::completed);
  CHECK(j.end_s - j.start_s == Approx(want).epsilon(1e-6));
  CHECK(j.end_s - j.start_s > hours * 3600 * 1.05);
  CHECK(j.mean_freq_mhz == Approx(f).epsilon(1e-6));
  // Events: the throttle starts with the job at the throttled clock and ends with it.
  int starts = 0, ends = 0;
  for (const EventRecord& e : rec.events) {
    if (e.kind == EventKind::thermal_throttle_start) {
      ++starts;
      CHECK(e.time_s == Approx(0.0).margin(1e-9));
      CHECK(e.value == Approx(f));
      CHECK(e.target == 0);
    }
    if (e.kind == EventKind::thermal_throttle_end) {
      ++ends;
      CHECK(e.time_s == Approx(j.end_s).epsilon(1e-9));
    }
  }
  CHECK(starts == 1);
  CHECK(ends == 1);
  // Series: 8 throttled GPUs while the job runs, its devices at (or just under) 65 °C.
  const std::size_t thr = testing::column(rec, "throttled_gpus"), mx = testing::column(rec, "max_device_temp_c");
  CHECK(rec.rows[10][thr] == Approx(8.0));
  CHECK(rec.rows[10][mx] <= 65.0 + 1e-9);
  CHECK(rec.rows[10][mx] == Approx(45 + 0.04 * power.power_w(q, 1.0, 0.6)).epsilon(1e-9));
  CHECK(rec.rows[10][mx] > 64.0);
  CHECK(rec.summary.values.at("thermal_throttled_gpu_hours") == Approx(8 * (j.end_s - j.start_s) / 3600).epsilon(1e-6));
  CHECK(rec.summary.values.at("thermal_throttle_events") == 1);
}
