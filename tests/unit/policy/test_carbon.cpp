// Carbon- and renewable-aware policies on hand-built views with hand-made forecasts.
#include <array>
#include <catch2/catch.hpp>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "core/rng.hpp"
#include "fixtures/views.hpp"
#include "policy/carbon.hpp"
#include "policy/composite.hpp"
#include "policy/scheduler.hpp"

using namespace dcsim;
using dcsim::fixtures::only;
using dcsim::fixtures::series_mean;
using dcsim::fixtures::ViewBuilder;

namespace {
constexpr Seconds h = 3600;

ShiftOptions shift(Seconds step_s) {
  ShiftOptions o;
  o.step_s = step_s;
  return o;
}
}  // namespace

// Hourly forecast 300, 250, 100, 120, 400 gCO2e/kWh. A 1-hour job due by 5 h may start at
// 0, 1, 2, 3 or 4 h (its latest start): the cleanest hour is 2 h (100).
TEST_CASE(
    "carbon-aware-shift holds a deferrable job until the cleanest window before its deadline") {
  ViewBuilder b;
  b.nodes(1);
  b.carbon({300, 250, 100, 120, 400});
  auto& j = b.queue(1, 8, 1 * h);
  j.deferrable = true;
  j.deadline_s = 5 * h;
  CarbonAwareShift p(shift(h));
  p.plan(b.view(), {});
  REQUIRE(p.planned_start(1));
  CHECK(*p.planned_start(1) == 2 * h);
  CHECK_FALSE(p.admits(j));
  const auto w = only<WakeAt>(p.decide(b.view(), {}));
  REQUIRE(w.size() == 1);
  CHECK(w[0].at == 2 * h);
  b.now(2 * h);
  p.plan(b.view(), {});
  CHECK(p.admits(j));
}

TEST_CASE(
    "carbon-aware-shift admits jobs that are not deferrable and jobs whose deadline forces them") {
  ViewBuilder b;
  b.nodes(1);
  b.carbon({300, 250, 100, 120, 400});
  auto& plain = b.queue(1, 8, h);
  auto& tight = b.queue(2, 8, 2 * h);
  tight.deferrable = true;
  tight.deadline_s = 2 * h;  // latest start = now
  CarbonAwareShift p(shift(h));
  p.plan(b.view(), {});
  CHECK(p.admits(plain));
  CHECK(p.admits(tight));
}

TEST_CASE("carbon-aware-shift without a deadline shifts within `window`") {
  ViewBuilder b;
  b.nodes(1);
  b.carbon({300, 300, 300, 50, 300});
  auto& j = b.queue(1, 8, h);
  j.deferrable = true;
  SECTION("window 4 h reaches the clean hour 3") {
    ShiftOptions o = shift(h);
    o.deferral.window_s = 4 * h;
    CarbonAwareShift p(o);
    p.plan(b.view(), {});
    CHECK(*p.planned_start(1) == 3 * h);
  }
  SECTION("window 2 h does not: ties keep the earliest start") {
    ShiftOptions o = shift(h);
    o.deferral.window_s = 2 * h;
    CarbonAwareShift p(o);
    p.plan(b.view(), {});
    CHECK(*p.planned_start(1) == 0);
  }
}

TEST_CASE("carbon-aware-shift in a composite lets fcfs start the job behind a held one") {
  ViewBuilder b;
  b.nodes(1);
  b.carbon({300, 100});
  auto& j = b.queue(1, 8, h);
  j.deferrable = true;
  j.deadline_s = 3 * h;
  b.queue(2, 8, h);
  std::vector<std::unique_ptr<Policy>> energy;
  energy.push_back(std::make_unique<CarbonAwareShift>(shift(h)));
  CompositePolicy c(std::make_unique<ListScheduler>(SchedulerOptions{}), std::move(energy));
  const auto ds = c.decide(b.view(), {});
  const auto st = only<StartJob>(ds);
  REQUIRE(st.size() == 1);
  CHECK(st[0].job == 2);
  REQUIRE(only<WakeAt>(ds).size() == 1);
  CHECK(only<WakeAt>(ds)[0].at == h);
}

// Property: over random forecasts, jobs and grids (fixed seed), the plan is the earliest
// candidate with the lowest forecast mean, it lies in [now, latest start], the job would end by
// its deadline, and the gate admits the job exactly from the planned start on.
TEST_CASE("carbon-aware-shift never plans past the latest start and picks the cleanest candidate") {
  RngStream rng(2024, "policy-test-shift");
  for (int trial = 0; trial < 400; ++trial) {
    std::vector<double> hourly(96);
    for (double& v : hourly) v = rng.uniform(50, 600);
    const Seconds now = rng.uniform(0, 24 * h);
    const Seconds est = rng.uniform(600, 12 * h);
    const Seconds slack = rng.uniform(0, 36 * h);
    const Seconds step = std::array<double, 3>{900, 1800, 3600}[rng.uniform_int(0, 2)];
    ViewBuilder b;
    b.nodes(1);
    b.now(now);
    b.carbon(hourly);
    auto& j = b.queue(1, 8, est);
    j.deferrable = true;
    j.submit_s = now;
    j.deadline_s = now + est + slack;
    CarbonAwareShift p(shift(step));
    p.plan(b.view(), {});
    const Seconds t = *p.planned_start(1);
    const Seconds latest = *j.deadline_s - est;
    INFO("trial " << trial << " now " << now << " est " << est << " slack " << slack);
    REQUIRE(t >= now);
    REQUIRE(t <= latest);
    REQUIRE(t + est <= *j.deadline_s * (1 + 1e-15));  // (deadline − est) + est, rounded
    const double chosen = series_mean(hourly, h, t, t + est);
    std::vector<Seconds> cands;
    for (long k = 0; now + static_cast<double>(k) * step < latest; ++k)
      cands.push_back(now + static_cast<double>(k) * step);
    cands.push_back(latest);
    for (Seconds c : cands) {
      const double v = series_mean(hourly, h, c, c + est);
      REQUIRE(chosen <= v + 1e-9);
      if (c < t) REQUIRE(chosen < v);  // earliest among equals
    }
    if (t > now) {
      b.now(t - 1);
      p.plan(b.view(), {});
      REQUIRE_FALSE(p.admits(j));
    }
    b.now(t);
    p.plan(b.view(), {});
    REQUIRE(p.admits(j));
  }
}

TEST_CASE("carbon-threshold holds deferrable jobs while the forecast is above the threshold") {
  ThresholdOptions o;
  o.threshold_gco2 = 200;
  ViewBuilder b;
  b.nodes(1);
  b.carbon({300, 300, 150});
  auto& d = b.queue(1, 8, h);
  d.deferrable = true;
  d.deadline_s = 3 * h;  // latest start 2 h
  auto& plain = b.queue(2, 8, h);
  CarbonThreshold p(o);
  p.plan(b.view(), {});
  CHECK_FALSE(p.admits(d));
  CHECK(p.admits(plain));
  const auto w = only<WakeAt>(p.decide(b.view(), {}));
  REQUIRE(w.size() == 1);
  CHECK(w[0].at == 2 * h);  // the deadline forces it then
  SECTION("below the threshold: admitted") {
    b.now(2 * h);
    p.plan(b.view(), {});
    CHECK(p.admits(d));
  }
  SECTION("at the latest start even if dirty") {
    auto& late = b.queue(3, 8, h);
    late.deferrable = true;
    late.deadline_s = 1.5 * h;
    b.now(0.5 * h);
    p.plan(b.view(), {});
    CHECK(p.admits(late));
    CHECK_FALSE(p.admits(d));
  }
}

// Generation forecast 20 kW, IT power 5 kW, 1 kW per GPU: job A (8 GPUs) fits (13 kW), job B
// (8 GPUs) would need 21 kW and is held, job C (4 GPUs) fits (17 kW).
TEST_CASE("follow-generation admits deferrable jobs in queue order while generation covers them") {
  ViewBuilder b;
  b.nodes(4);
  b.generation({20e3});
  b.base().it_power_w = 5e3;
  auto& a = b.queue(1, 8, h);
  auto& bb = b.queue(2, 8, h);
  auto& c = b.queue(3, 4, h);
  for (JobRequest* j : {&a, &bb, &c}) {
    j->deferrable = true;
    j->deadline_s = 10 * h;
  }
  FollowOptions o;
  o.watts_per_gpu = 1000;
  FollowGeneration p(o);
  p.plan(b.view(), {});
  CHECK(p.admits(a));
  CHECK_FALSE(p.admits(bb));
  CHECK(p.admits(c));
}

TEST_CASE("battery-arbitrage charges when clean, discharges when dirty, and sends only changes") {
  BatteryArbitrage p({150, 350, 3600});
  auto mode = [&](double carbon) {
    ViewBuilder b;
    b.nodes(1);
    b.carbon({carbon});
    return only<SetBatteryMode>(p.decide(b.view(), {}));
  };
  auto m = mode(100);
  REQUIRE(m.size() == 1);
  CHECK(m[0].mode == BatteryMode::charge);
  CHECK(mode(120).empty());
  m = mode(200);
  REQUIRE(m.size() == 1);
  CHECK(m[0].mode == BatteryMode::automatic);
  m = mode(400);
  REQUIRE(m.size() == 1);
  CHECK(m[0].mode == BatteryMode::discharge);
  SECTION("without a forecast it uses the current intensity") {
    ViewBuilder b;
    b.nodes(1);
    b.base().carbon_now_gco2_per_kwh = 100;
    const auto r = only<SetBatteryMode>(p.decide(b.view(), {}));
    REQUIRE(r.size() == 1);
    CHECK(r[0].mode == BatteryMode::charge);
  }
}

TEST_CASE("suspend-resume suspends long preemptible training when dirty and resumes when clean") {
  SuspendOptions o;  // high 350, low 250, min_remaining 6 h, max_suspend 24 h
  SuspendResume p(o);
  ViewBuilder b;
  b.nodes(2);
  b.carbon(std::vector<double>(48, 400));
  auto& long_job = b.run(1, 8, {{0, 8}}, 0, 10 * h);
  long_job.preemptible = true;
  auto& short_job = b.run(2, 8, {{1, 8}}, 0, 2 * h);
  short_job.preemptible = true;
  p.plan(b.view(), {});
  auto ds = p.decide(b.view(), {});
  const auto pre = only<PreemptJob>(ds);
  REQUIRE(pre.size() == 1);
  CHECK(pre[0].job == 1);
  REQUIRE(only<WakeAt>(ds).size() == 1);
  CHECK(only<WakeAt>(ds)[0].at == 24 * h);  // max_suspend
  // not preempted twice
  CHECK(only<PreemptJob>(p.decide(b.view(), {})).empty());
  SECTION("held while carbon is between low and high, resumed at low") {
    ViewBuilder q;
    q.nodes(2);
    q.carbon({300});
    q.now(h);
    auto& again = q.queue(1, 8, 10 * h);
    p.plan(q.view(), {});
    CHECK_FALSE(p.admits(again));
    ViewBuilder r;
    r.nodes(2);
    r.carbon({250});
    r.now(2 * h);
    p.plan(r.view(), {});
    CHECK(p.admits(again));
    const Event started[] = {JobStarted{1}};
    p.plan(r.view(), started);
    CHECK(p.suspended() == 0);
  }
  SECTION("resumed after max_suspend even if still dirty") {
    ViewBuilder q;
    q.nodes(2);
    q.carbon(std::vector<double>(48, 400));
    q.now(24 * h);
    auto& again = q.queue(1, 8, 10 * h);
    p.plan(q.view(), {});
    CHECK(p.admits(again));
  }
}

TEST_CASE("suspend-resume leaves jobs alone that are not training or whose deadline is too close") {
  SuspendResume p(SuspendOptions{});
  ViewBuilder b;
  b.nodes(2);
  b.carbon({400});
  auto& inf = b.run(1, 8, {{0, 8}}, 0, 10 * h);
  inf.preemptible = true;
  inf.kind = JobKind::inference;
  auto& due = b.run(2, 8, {{1, 8}}, 0, 10 * h);
  due.preemptible = true;
  due.deadline_s = 10 * h + 300;  // remaining 10 h + checkpoint 600 s > slack
  p.plan(b.view(), {});
  CHECK(only<PreemptJob>(p.decide(b.view(), {})).empty());
}

// The check at the policy level: on California's 2023 hourly intensity (Electricity
// Maps, direct emissions; scenarios/data/carbon) with a perfect forecast, shifting 1,000
// deferrable jobs (1–12 h, deadline = submit + estimate + 24 h) with carbon-aware-shift lowers
// their emissions against starting at submission (capacity unconstrained, equal power), and no
// job starts after its latest start.
TEST_CASE("carbon-aware-shift on California 2023 lowers emissions against starting at submission") {
  std::ifstream in(std::string(DCSIM_SOURCE_DIR) +
                   "/scenarios/data/carbon/electricitymaps_US-CAL-CISO_2023_hourly.csv");
  REQUIRE(in);
  std::vector<double> hourly;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string cell;
    for (int c = 0; c < 5 && std::getline(ss, cell, ','); ++c) {
    }
    hourly.push_back(std::stod(cell));  // column 5: direct gCO2eq/kWh
  }
  REQUIRE(hourly.size() == 8760);
  ShiftOptions o;
  o.step_s = 1800;
  CarbonAwareShift p(o);
  RngStream rng(42, "policy-test-california");
  double base = 0, shifted = 0;
  for (JobId id = 1; id <= 1000; ++id) {
    const Seconds submit = std::floor(rng.uniform(0, 8760 * h - 48 * h));
    const Seconds est = rng.uniform(1 * h, 12 * h);
    ViewBuilder jb;
    jb.nodes(1);
    jb.carbon(hourly);
    jb.now(submit);
    auto& j = jb.queue(id, 8, est);
    j.submit_s = submit;
    j.deferrable = true;
    j.deadline_s = submit + est + 24 * h;
    p.plan(jb.view(), {});
    const Seconds start = *p.planned_start(id);
    REQUIRE(start >= submit);
    REQUIRE(start <= *j.deadline_s - est);
    base += est * series_mean(hourly, h, submit, submit + est);
    shifted += est * series_mean(hourly, h, start, start + est);
  }
  const double saving = 1 - shifted / base;
  WARN("carbon-aware-shift saving on CISO 2023 (24 h slack, perfect forecast): " << saving * 100
                                                                                 << " %");
  CHECK(saving > 0.10);
}
