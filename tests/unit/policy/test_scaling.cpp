// Dynamic scaling policies on hand-built views: power-down-idle (timeout, spare nodes, boot on
// demand), DVFS governors' thresholds, workload-aware DVFS, power caps with demand response.
#include <catch2/catch.hpp>

#include "fixtures/views.hpp"
#include "policy/carbon.hpp"
#include "policy/composite.hpp"
#include "policy/scaling.hpp"
#include "policy/scheduler.hpp"

using namespace dcsim;
using dcsim::fixtures::only;
using dcsim::fixtures::ViewBuilder;

namespace {
std::vector<NodeId> ids_off(const std::vector<Decision>& ds) {
  std::vector<NodeId> r;
  for (const auto& d : only<PowerOff>(ds)) r.push_back(d.node);
  return r;
}
std::vector<NodeId> ids_on(const std::vector<Decision>& ds) {
  std::vector<NodeId> r;
  for (const auto& d : only<PowerOn>(ds)) r.push_back(d.node);
  return r;
}
}  // namespace

// 4 nodes; now = 2000; after = 1800. Node 0 idle since 0 and node 3 idle since 100 have timed
// out; node 1 idle since 500 times out at 2300; node 2 is busy.
TEST_CASE("power-down-idle powers off nodes idle past the timeout, longest idle first") {
  auto build = [](ViewBuilder& b, Seconds now) {
    b.nodes(4);
    b.now(now);
    b.node(0).idle_since_s = 0;
    b.node(1).idle_since_s = 500;
    b.node(3).idle_since_s = 100;
    b.run(7, 8, {{2, 8}}, 0, 1e6);
  };
  SECTION("no spare nodes: nodes 0 and 3 go off, and a wake-up is asked for node 1's timeout") {
    ViewBuilder b;
    build(b, 2000);
    PowerDownIdle p({1800, 0});
    const auto ds = p.decide(b.view(), {});
    CHECK(ids_off(ds) == std::vector<NodeId>{0, 3});
    const auto w = only<WakeAt>(ds);
    REQUIRE(w.size() == 1);
    CHECK(w[0].at == 2300);
  }
  SECTION("two spare nodes' worth of GPUs kept: only node 0 goes off") {
    // supply 24 free GPUs, spare 16 → surplus of one node
    ViewBuilder b;
    build(b, 2000);
    PowerDownIdle p({1800, 2});
    CHECK(ids_off(p.decide(b.view(), {})) == std::vector<NodeId>{0});
  }
  SECTION("before any timeout: nothing goes off, wake-up at the first timeout (1800)") {
    ViewBuilder b;
    build(b, 1000);
    PowerDownIdle p({1800, 0});
    const auto ds = p.decide(b.view(), {});
    CHECK(ids_off(ds).empty());
    const auto w = only<WakeAt>(ds);
    REQUIRE(w.size() == 1);
    CHECK(w[0].at == 1800);
  }
  SECTION("a queued job that needs the idle GPUs keeps them on") {
    ViewBuilder b;
    build(b, 2000);
    b.queue(9, 24);  // 3 whole nodes' worth = all 24 free GPUs
    PowerDownIdle p({1800, 0});
    CHECK(ids_off(p.decide(b.view(), {})).empty());
  }
}

TEST_CASE("power-down-idle boots off nodes when the queue needs more GPUs than are on") {
  ViewBuilder b;
  b.nodes(4);
  b.run(1, 16, {{0, 8}, {1, 8}}, 0, 1e6);
  b.node(2).state = NodeState::off;
  b.node(3).state = NodeState::off;
  SECTION("a 12-GPU job needs 2 whole nodes: both off nodes boot") {
    b.queue(5, 12);
    PowerDownIdle p({1800, 0});
    CHECK(ids_on(p.decide(b.view(), {})) == std::vector<NodeId>{2, 3});
  }
  SECTION("a node already booting counts as supply: only one more boots") {
    b.node(2).state = NodeState::booting;
    b.queue(5, 12);
    PowerDownIdle p({1800, 0});
    CHECK(ids_on(p.decide(b.view(), {})) == std::vector<NodeId>{3});
  }
  SECTION("one spare node is kept on even with an empty queue") {
    PowerDownIdle p({1800, 1});
    CHECK(ids_on(p.decide(b.view(), {})) == std::vector<NodeId>{2});
  }
  SECTION("free GPUs on nodes that are on are used first: a 4-GPU job boots nothing") {
    b.node(0).gpus_free = 4;
    b.queue(5, 4);
    PowerDownIdle p({1800, 0});
    CHECK(ids_on(p.decide(b.view(), {})).empty());
  }
}

TEST_CASE("in a composite, power-down-idle does not power off a node the scheduler just used") {
  ViewBuilder b;
  b.nodes(1);
  b.now(5000);
  b.queue(1, 8);
  std::vector<std::unique_ptr<Policy>> energy;
  energy.push_back(std::make_unique<PowerDownIdle>(PowerDownOptions{1800, 0}));
  CompositePolicy c(std::make_unique<ListScheduler>(SchedulerOptions{}), std::move(energy));
  const auto ds = c.decide(b.view(), {});
  CHECK(only<StartJob>(ds).size() == 1);
  CHECK(only<PowerOff>(ds).empty());
}

TEST_CASE("DVFS governors pick p-states by load as SimGrid's governors do") {
  // 5 p-states: 0 (fastest) .. 4 (slowest)
  auto gov = [](GovernorKind k) {
    GovernorOptions o;
    o.kind = k;
    return DvfsGovernor(o);
  };
  SECTION("performance: always the fastest; powersave: always the slowest") {
    CHECK(gov(GovernorKind::performance).target(3, 5, 0.1) == 0);
    CHECK(gov(GovernorKind::powersave).target(0, 5, 1.0) == 4);
  }
  SECTION("ondemand: fastest above 0.8, else 4 - floor(5u)") {
    const auto g = gov(GovernorKind::ondemand);
    CHECK(g.target(4, 5, 0.9) == 0);
    CHECK(g.target(0, 5, 0.5) == 2);   // 4 - floor(2.5)
    CHECK(g.target(0, 5, 0.25) == 3);  // 4 - floor(1.25)
    CHECK(g.target(0, 5, 0.0) == 4);
  }
  SECTION("conservative: one step up above 0.8, one step down below 0.2, else hold") {
    const auto g = gov(GovernorKind::conservative);
    CHECK(g.target(2, 5, 0.9) == 1);
    CHECK(g.target(2, 5, 0.1) == 3);
    CHECK(g.target(2, 5, 0.5) == 2);
    CHECK(g.target(0, 5, 0.9) == 0);
    CHECK(g.target(4, 5, 0.0) == 4);
  }
  SECTION("max_pstate bounds the slowest state") {
    GovernorOptions o;
    o.kind = GovernorKind::powersave;
    o.max_pstate = 3;
    CHECK(DvfsGovernor(o).target(0, 5, 0.0) == 3);
  }
}

TEST_CASE("a governor emits SetPState only for nodes that are on and need a change") {
  ViewBuilder b;
  b.nodes(3, 8, 2, 2, 5);
  b.run(1, 6, {{0, 6}}, 0, 100);  // u = 0.75 → ondemand: 4 - floor(3.75) = 1
  b.node(1).pstate = 4;           // idle, already at 4 - 0 = 4
  b.node(2).state = NodeState::off;
  GovernorOptions o;
  o.kind = GovernorKind::ondemand;
  DvfsGovernor g(o);
  const auto ps = only<SetPState>(g.decide(b.view(), {}));
  REQUIRE(ps.size() == 1);
  CHECK(ps[0].node == 0);
  CHECK(ps[0].pstate == 1);
}

TEST_CASE("a governor with a period acts at most once per period and asks to be woken") {
  ViewBuilder b;
  b.nodes(1, 8, 2, 2, 3);
  GovernorOptions o;
  o.kind = GovernorKind::powersave;
  o.period_s = 60;
  DvfsGovernor g(o);
  auto ds = g.decide(b.view(), {});
  CHECK(only<SetPState>(ds).size() == 1);
  REQUIRE(only<WakeAt>(ds).size() == 1);
  CHECK(only<WakeAt>(ds)[0].at == 60);
  b.now(30);
  CHECK(g.decide(b.view(), {}).empty());
}

TEST_CASE("workload-aware slows nodes running only memory-bound jobs") {
  ViewBuilder b;
  b.nodes(3, 8, 2, 2, 4);
  b.run(1, 8, {{0, 8}}, 0, 100).profile = "language_translation";
  b.run(2, 4, {{1, 4}}, 0, 100).profile = "language_translation";
  b.run(3, 4, {{1, 4}}, 0, 100).profile = "image_classification";
  b.node(1).pstate = 2;
  b.node(2).pstate = 2;  // idle: left alone
  WorkloadAwareGovernor g({});
  const auto ps = only<SetPState>(g.decide(b.view(), {}));
  REQUIRE(ps.size() == 2);
  CHECK(ps[0].node == 0);
  CHECK(ps[0].pstate == 3);  // slowest of 4
  CHECK(ps[1].node == 1);
  CHECK(ps[1].pstate == 0);  // shares with a compute-bound job
}

TEST_CASE("power-cap applies the demand-response cap inside its window and wakes at boundaries") {
  PowerCapOptions o;
  o.scope = CapScope::site;
  o.cap_w = 10e6;
  o.dr_cap_w = 8e6;
  o.dr_windows = *parse_hour_windows("17-21");
  PowerCap p(o);
  ViewBuilder b;
  b.nodes(4);
  b.now(12 * 3600.0);
  auto ds = p.decide(b.view(), {});
  auto caps = only<SetPowerCap>(ds);
  REQUIRE(caps.size() == 1);
  CHECK(caps[0].scope == CapScope::site);
  CHECK(caps[0].cap_w == 10e6);
  REQUIRE(only<WakeAt>(ds).size() == 1);
  CHECK(only<WakeAt>(ds)[0].at == Approx(17 * 3600.0));
  // same state later: nothing re-sent
  b.now(13 * 3600.0);
  CHECK(only<SetPowerCap>(p.decide(b.view(), {})).empty());
  b.now(17 * 3600.0);
  ds = p.decide(b.view(), {});
  caps = only<SetPowerCap>(ds);
  REQUIRE(caps.size() == 1);
  CHECK(caps[0].cap_w == 8e6);
  CHECK(only<WakeAt>(ds)[0].at == Approx(21 * 3600.0));
  b.now(21 * 3600.0);
  caps = only<SetPowerCap>(p.decide(b.view(), {}));
  REQUIRE(caps.size() == 1);
  CHECK(caps[0].cap_w == 10e6);
}

TEST_CASE("power-cap at rack scope sends one cap per rack") {
  PowerCapOptions o;
  o.scope = CapScope::rack;
  o.cap_w = 40e3;
  PowerCap p(o);
  ViewBuilder b;
  b.nodes(4);  // 2 nodes per rack → racks 0 and 1
  const auto caps = only<SetPowerCap>(p.decide(b.view(), {}));
  REQUIRE(caps.size() == 2);
  CHECK(caps[0].id == 0);
  CHECK(caps[1].id == 1);
  CHECK(caps[1].cap_w == 40e3);
}

TEST_CASE("demand-response windows parse hour ranges, including ones that wrap midnight") {
  const auto w = parse_hour_windows("6-9, 22-2");
  REQUIRE(w);
  REQUIRE(w->size() == 2);
  CHECK(in_windows(*w, 7));
  CHECK_FALSE(in_windows(*w, 9));
  CHECK(in_windows(*w, 23));
  CHECK(in_windows(*w, 1.5));
  CHECK_FALSE(in_windows(*w, 12));
  SECTION("malformed") {
    CHECK_FALSE(parse_hour_windows("17"));
    CHECK_FALSE(parse_hour_windows("25-3"));
    CHECK_FALSE(parse_hour_windows("a-b"));
    CHECK_FALSE(parse_hour_windows("5-5"));
    CHECK_FALSE(parse_hour_windows("1-2,"));
  }
}

TEST_CASE(
    "in a composite, power-down-idle boots nothing for a job the scheduler just started or a gate "
    "holds") {
  ViewBuilder b;
  b.nodes(3);
  b.node(1).state = NodeState::off;
  b.node(2).state = NodeState::off;
  b.queue(1, 8);  // fits on node 0: started this round
  auto& held = b.queue(2, 8, 3600);
  held.deferrable = true;
  held.deadline_s = 10 * 3600.0;
  b.carbon({500, 500, 100});  // cleanest at 2 h: held until then
  std::vector<std::unique_ptr<Policy>> energy;
  energy.push_back(std::make_unique<CarbonAwareShift>(ShiftOptions{}));
  energy.push_back(std::make_unique<PowerDownIdle>(PowerDownOptions{1800, 0}));
  CompositePolicy c(std::make_unique<ListScheduler>(SchedulerOptions{}), std::move(energy));
  const auto ds = c.decide(b.view(), {});
  const auto st = only<StartJob>(ds);
  REQUIRE(st.size() == 1);
  CHECK(st[0].job == 1);
  CHECK(only<PowerOn>(ds).empty());
  SECTION("once released, the held job makes it boot a node") {
    b.now(2 * 3600.0);
    b.dequeue(1);
    b.node(0).gpus_free = 0;  // job 1 runs there
    const auto later = c.decide(b.view(), {});
    CHECK(only<StartJob>(later).empty());
    CHECK(ids_on(later) == std::vector<NodeId>{1});
  }
}
