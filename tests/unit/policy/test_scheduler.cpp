// Schedulers on hand-built views: FCFS order and blocking, EASY backfilling on textbook cases
// with hand-computed shadow times, EDF order, pack vs spread placement, preemption, gates.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <deque>

#include "core/rng.hpp"
#include "fixtures/views.hpp"
#include "policy/scheduler.hpp"

using namespace dcsim;
using dcsim::fixtures::only;
using dcsim::fixtures::ViewBuilder;

namespace {

SchedulerOptions fcfs() {
  return {};
}
SchedulerOptions easy() {
  SchedulerOptions o;
  o.name = "easy-backfill";
  o.backfill = Backfill::easy;
  return o;
}

std::vector<StartJob> starts(ListScheduler& s, ViewBuilder& b) {
  return only<StartJob>(s.decide(b.view(), {}));
}

bool same_alloc(const Allocation& a, const Allocation& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].node != b[i].node || a[i].gpus != b[i].gpus) return false;
  return true;
}

class HoldJob final : public JobGate {
 public:
  explicit HoldJob(JobId id) : id_(id) {}
  void plan(const ClusterView&, std::span<const Event>) override {}
  bool admits(const JobRequest& j) const override { return j.id != id_; }

 private:
  JobId id_;
};

}  // namespace

TEST_CASE(
    "fcfs starts jobs in submission order, small jobs sharing a node and large ones taking whole "
    "nodes") {
  ViewBuilder b;
  b.nodes(2);
  b.queue(1, 4);
  b.queue(2, 8);
  b.queue(3, 4);
  ListScheduler s(fcfs());
  const auto st = starts(s, b);
  REQUIRE(st.size() == 3);
  CHECK(st[0].job == 1);
  CHECK(same_alloc(st[0].allocation, {{0, 4}}));
  CHECK(st[1].job == 2);
  CHECK(same_alloc(st[1].allocation, {{1, 8}}));
  CHECK(st[2].job == 3);
  CHECK(same_alloc(st[2].allocation, {{0, 4}}));  // best fit: node 0 has exactly 4 left
}

TEST_CASE("fcfs gives a job of 12 GPUs two whole nodes") {
  ViewBuilder b;
  b.nodes(3);
  b.queue(1, 12);
  ListScheduler s(fcfs());
  const auto st = starts(s, b);
  REQUIRE(st.size() == 1);
  CHECK(same_alloc(st[0].allocation, {{0, 8}, {1, 8}}));
}

TEST_CASE("fcfs: a head that does not fit blocks every later job") {
  ViewBuilder b;
  b.nodes(2);
  b.run(1, 8, {{0, 8}}, 0, 100);
  b.queue(2, 16, 10);  // needs both nodes
  b.queue(3, 1, 10);   // would fit on node 1
  ListScheduler s(fcfs());
  CHECK(starts(s, b).empty());
}

TEST_CASE("schedulers use only nodes that are on") {
  ViewBuilder b;
  b.nodes(3);
  b.node(0).state = NodeState::off;
  b.node(1).state = NodeState::booting;
  b.queue(1, 8);
  b.queue(2, 8);
  ListScheduler s(easy());
  const auto st = starts(s, b);
  REQUIRE(st.size() == 1);
  CHECK(st[0].job == 1);
  CHECK(same_alloc(st[0].allocation, {{2, 8}}));
}

TEST_CASE("a job larger than the whole site is rejected and does not block the queue") {
  ViewBuilder b;
  b.nodes(4);
  b.queue(1, 40);
  b.queue(2, 8);
  ListScheduler s(fcfs());
  const auto ds = s.decide(b.view(), {});
  const auto rej = only<RejectJob>(ds);
  REQUIRE(rej.size() == 1);
  CHECK(rej[0].job == 1);
  const auto st = only<StartJob>(ds);
  REQUIRE(st.size() == 1);
  CHECK(st[0].job == 2);
}

// Textbook EASY case (whole nodes). 4 nodes: job 1 holds nodes 0–1 until t = 100, job 2 holds
// node 2 until t = 50, node 3 is free; now = 10. The head (job 3, 4 nodes) fits only once both
// have ended: shadow time = 100, and it reserves all 4 nodes, so there are no extra nodes.
// A backfill candidate on node 3 must end by 100: estimate <= 90.
TEST_CASE("easy backfills a job that ends by the shadow time and no job that ends later") {
  auto build = [](ViewBuilder& b, Seconds cand_est) {
    b.nodes(4);
    b.now(10);
    b.run(1, 16, {{0, 8}, {1, 8}}, 0, 100);
    b.run(2, 8, {{2, 8}}, 0, 50);
    b.queue(3, 32, 100);
    b.queue(4, 8, cand_est);
  };
  SECTION("estimate 90 ends exactly at the shadow time 100: backfilled on node 3") {
    ViewBuilder b;
    build(b, 90);
    ListScheduler s(easy());
    const auto st = starts(s, b);
    REQUIRE(st.size() == 1);
    CHECK(st[0].job == 4);
    CHECK(same_alloc(st[0].allocation, {{3, 8}}));
  }
  SECTION("estimate 91 would delay the head: not started") {
    ViewBuilder b;
    build(b, 91);
    ListScheduler s(easy());
    CHECK(starts(s, b).empty());
  }
  SECTION("no estimate: never treated as short") {
    ViewBuilder b;
    build(b, 0);
    ListScheduler s(easy());
    CHECK(starts(s, b).empty());
  }
  SECTION("fcfs starts nothing on the same view") {
    ViewBuilder b;
    build(b, 90);
    ListScheduler s(fcfs());
    CHECK(starts(s, b).empty());
  }
}

// Same platform, head of 3 nodes: at the shadow time 100 it takes 3 of the 4 nodes. The
// reservation prefers nodes busy now (0, 1, 2), so node 3, idle now, is an extra node: a long
// job (ends at 1010 > 100) may use it without delaying the head.
TEST_CASE("easy backfills a long job onto GPUs the head's reservation leaves over") {
  ViewBuilder b;
  b.nodes(4);
  b.now(10);
  b.run(1, 16, {{0, 8}, {1, 8}}, 0, 100);
  b.run(2, 8, {{2, 8}}, 0, 50);
  b.queue(3, 24, 100);
  b.queue(4, 8, 1000);
  b.queue(5, 8, 20);  // short, but nothing is left
  ListScheduler s(easy());
  const auto st = starts(s, b);
  REQUIRE(st.size() == 1);
  CHECK(st[0].job == 4);
  CHECK(same_alloc(st[0].allocation, {{3, 8}}));
}

// GPU-granular shadow time. Node 0: job A (5 GPUs, ends 50) and job C (3 GPUs, ends 200);
// node 1: job B (6 GPUs, ends 80), 2 GPUs free. The head needs 7 GPUs on one node. At t = 50
// there are 5 + 2 = 7 free GPUs in total but at most 5 on one node, so the shadow time is 80
// (node 1 frees all 8), not 50; the head reserves 7 of node 1's 8 GPUs, leaving 1 extra.
TEST_CASE("easy computes the shadow time per node, not from the total of free GPUs") {
  auto build = [](ViewBuilder& b, Seconds est) {
    b.nodes(2);
    b.run(1, 5, {{0, 5}}, 0, 50);
    b.run(2, 3, {{0, 3}}, 0, 200);
    b.run(3, 6, {{1, 6}}, 0, 80);
    b.queue(4, 7, 100);
    b.queue(5, 2, est);
  };
  SECTION("a 2-GPU job ending at 80 backfills on node 1") {
    ViewBuilder b;
    build(b, 80);
    ListScheduler s(easy());
    const auto st = starts(s, b);
    REQUIRE(st.size() == 1);
    CHECK(st[0].job == 5);
    CHECK(same_alloc(st[0].allocation, {{1, 2}}));
  }
  SECTION("a 2-GPU job ending at 81 would take 2 GPUs where only 1 is extra: waits") {
    ViewBuilder b;
    build(b, 81);
    ListScheduler s(easy());
    CHECK(starts(s, b).empty());
  }
}

TEST_CASE("easy without any possible reservation (nodes off) backfills whatever fits") {
  ViewBuilder b;
  b.nodes(3);
  b.node(1).state = NodeState::off;
  b.node(2).state = NodeState::off;
  b.queue(1, 16, 100);
  b.queue(2, 4, 0);
  ListScheduler s(easy());
  const auto st = starts(s, b);
  REQUIRE(st.size() == 1);
  CHECK(st[0].job == 2);
}

TEST_CASE("priority-deadline orders by earliest deadline, then higher priority, then submission") {
  ViewBuilder b;
  b.nodes(4);
  b.queue(1, 8);  // no deadline
  b.queue(2, 8).deadline_s = 500;
  auto& c = b.queue(3, 8);
  c.deadline_s = 300;
  auto& d = b.queue(4, 8);
  d.deadline_s = 300;
  d.priority = 5;
  SchedulerOptions o;
  o.order = QueueOrder::deadline;
  ListScheduler s(o);
  const auto st = starts(s, b);
  REQUIRE(st.size() == 4);
  CHECK(st[0].job == 4);
  CHECK(st[1].job == 3);
  CHECK(st[2].job == 2);
  CHECK(st[3].job == 1);
}

// 8 nodes: racks of 2 nodes (racks 0..3), cooling domains of 2 racks (CD 0: nodes 0–3,
// CD 1: nodes 4–7). Node 0 runs a 4-GPU job.
TEST_CASE(
    "placement pack fills the busiest rack and spread the least busy cooling domain and rack") {
  auto place = [](Placement p, int gpus) {
    ViewBuilder b;
    b.nodes(8);
    b.run(9, 4, {{0, 4}}, 0, 1000);
    b.queue(1, gpus);
    SchedulerOptions o;
    o.placement = p;
    ListScheduler s(o);
    auto st = starts(s, b);
    REQUIRE(st.size() == 1);
    return st[0].allocation;
  };
  SECTION("pack: a 2-GPU job goes to node 0 (best fit)") {
    CHECK(same_alloc(place(Placement::pack, 2), {{0, 2}}));
  }
  SECTION("spread: a 2-GPU job goes to the idle cooling domain, first rack, node 4") {
    CHECK(same_alloc(place(Placement::spread, 2), {{4, 2}}));
  }
  SECTION("pack: a 4-node job stays in cooling domain 0 (nodes 1, 2, 3 and then 4)") {
    // node 0 is not whole; the busiest CD is 0 (rack 0 busiest): 1, then rack 1: 2, 3; then CD 1.
    CHECK(same_alloc(place(Placement::pack, 32), {{1, 8}, {2, 8}, {3, 8}, {4, 8}}));
  }
  SECTION("spread: a 4-node job takes one node per rack, alternating cooling domains") {
    // CD busy 4/0 → node 4 (rack 2); 4/8 → CD 0, rack 1 (0 busy) → node 2; 12/8 → CD 1,
    // rack 3 → node 6; 12/16 → CD 0, rack 0 (4) vs rack 1 (8) → node 1.
    CHECK(same_alloc(place(Placement::spread, 32), {{4, 8}, {2, 8}, {6, 8}, {1, 8}}));
  }
}

TEST_CASE("priority-deadline preempts a preemptible job only when the deadline requires it") {
  // 1 node. Job 9 (preemptible, priority 0) runs since t = 0 and expects to end at 10,000.
  // now = 4,000. Job 1 (8 GPUs, 1,000 s, deadline 6,000) would start at 10,000 and end at
  // 11,000 > 6,000 if it waited.
  SchedulerOptions o;
  o.order = QueueOrder::deadline;
  o.backfill = Backfill::easy;
  o.preemption = true;
  o.preempt_min_run_s = 3600;
  o.checkpoint_restart_s = 300;
  auto decide = [&](auto tweak) {
    ViewBuilder b;
    b.nodes(1);
    b.now(4000);
    auto& v = b.run(9, 8, {{0, 8}}, 0, 10000);
    v.preemptible = true;
    auto& h = b.queue(1, 8, 1000);
    h.deadline_s = 6000;
    tweak(b, v, h);
    ListScheduler s(o);
    return only<PreemptJob>(s.decide(b.view(), {}));
  };
  SECTION("deadline at risk: job 9 is preempted") {
    const auto p = decide([](ViewBuilder&, JobRequest&, JobRequest&) {});
    REQUIRE(p.size() == 1);
    CHECK(p[0].job == 9);
  }
  SECTION("not preemptible: kept") {
    CHECK(decide([](ViewBuilder&, JobRequest& v, JobRequest&) { v.preemptible = false; }).empty());
  }
  SECTION("loose deadline (11,000): waiting is enough") {
    CHECK(decide([](ViewBuilder&, JobRequest&, JobRequest& h) { h.deadline_s = 11000; }).empty());
  }
  SECTION("victim of higher priority: kept") {
    CHECK(decide([](ViewBuilder&, JobRequest& v, JobRequest&) { v.priority = 1; }).empty());
  }
  SECTION("victim ran less than preempt_min_run_s: kept") {
    CHECK(decide([](ViewBuilder& b, JobRequest&, JobRequest&) { b.now(3000); }).empty());
  }
}

TEST_CASE("preemption waits for pending preemptions before issuing new ones") {
  SchedulerOptions o;
  o.order = QueueOrder::deadline;
  o.preemption = true;
  ViewBuilder b;
  b.nodes(1);
  b.now(4000);
  b.run(9, 8, {{0, 8}}, 0, 10000).preemptible = true;
  b.queue(1, 8, 1000).deadline_s = 6000;
  ListScheduler s(o);
  CHECK(only<PreemptJob>(s.decide(b.view(), {})).size() == 1);
  CHECK(only<PreemptJob>(s.decide(b.view(), {})).empty());
  const Event ev[] = {JobPreempted{9}};
  CHECK(only<PreemptJob>(s.decide(b.view(), ev)).size() == 1);
}

TEST_CASE("a job held by a gate is skipped, so it does not block fcfs") {
  ViewBuilder b;
  b.nodes(1);
  b.queue(1, 8);
  b.queue(2, 8);
  ListScheduler s(fcfs());
  HoldJob gate(1);
  JobGate* gates[] = {&gate};
  s.set_job_gates(gates);
  const auto st = starts(s, b);
  REQUIRE(st.size() == 1);
  CHECK(st[0].job == 2);
}

// The deadline order is kept across calls and updated incrementally; over random queue changes
// (fixed seed) it must pick the same job as a brute-force minimum of (deadline, -priority,
// submit, id).
TEST_CASE("priority-deadline keeps its order right while jobs leave, arrive and are requeued") {
  RngStream rng(11, "policy-test-edf");
  SchedulerOptions o;
  o.order = QueueOrder::deadline;
  ListScheduler persistent(o);
  std::deque<JobRequest> store;
  std::vector<const JobRequest*> queue;
  JobId next = 1;
  auto make = [&] {
    auto& j = store.emplace_back();
    j.id = next++;
    j.gpus = 8;
    j.submit_s = static_cast<double>(j.id);
    if (rng.bernoulli(0.8)) j.deadline_s = std::floor(rng.uniform(0, 50));  // many ties
    j.priority = static_cast<int>(rng.uniform_int(0, 2));
    return &j;
  };
  for (int round = 0; round < 300; ++round) {
    // remove a few, append a few, sometimes insert in the middle (a requeued job)
    for (int r = 0; r < 2 && !queue.empty(); ++r)
      queue.erase(queue.begin() + rng.uniform_int(0, static_cast<std::int64_t>(queue.size()) - 1));
    for (int a = 0; a < 3; ++a) queue.push_back(make());
    if (rng.bernoulli(0.2))
      queue.insert(queue.begin() + rng.uniform_int(0, static_cast<std::int64_t>(queue.size())),
                   make());
    std::vector<NodeView> nodes(1);
    nodes[0].gpus_total = 8;
    nodes[0].gpus_free = 8;
    ClusterView v;
    v.nodes = nodes;
    v.queue = queue;
    const auto st = only<StartJob>(persistent.decide(v, {}));
    REQUIRE(st.size() == 1);
    const JobRequest* best = *std::min_element(queue.begin(), queue.end(), [](auto* a, auto* b) {
      const double da = a->deadline_s.value_or(1e300), db = b->deadline_s.value_or(1e300);
      if (da != db) return da < db;
      if (a->priority != b->priority) return a->priority > b->priority;
      return a->id < b->id;
    });
    REQUIRE(st[0].job == best->id);
  }
}

TEST_CASE("an elastic job that does not fit starts with fewer GPUs, down to its minimum") {
  ViewBuilder b;
  b.nodes(2);
  b.run(9, 4, {{0, 4}}, 0, 1000);
  b.run(8, 8, {{1, 8}}, 0, 1000);  // 4 GPUs free, all on node 0
  auto& j = b.queue(1, 8, 100);
  SECTION("elastic, min 2: starts on the 4 free GPUs, StartJob::gpus = 4") {
    j.elastic = true;
    j.min_gpus = 2;
    ListScheduler s(fcfs());
    const auto st = starts(s, b);
    REQUIRE(st.size() == 1);
    CHECK(st[0].gpus == 4);
    CHECK(same_alloc(st[0].allocation, {{0, 4}}));
  }
  SECTION("elastic, min 6: does not fit even shrunk, blocks") {
    j.elastic = true;
    j.min_gpus = 6;
    ListScheduler s(fcfs());
    CHECK(starts(s, b).empty());
  }
  SECTION("not elastic: blocks") {
    ListScheduler s(fcfs());
    CHECK(starts(s, b).empty());
  }
  SECTION("elastic disabled in the scheduler: blocks") {
    j.elastic = true;
    j.min_gpus = 2;
    SchedulerOptions o;
    o.elastic = false;
    ListScheduler s(o);
    CHECK(starts(s, b).empty());
  }
}

TEST_CASE("an elastic multi-node job shrinks to the whole nodes that are free") {
  ViewBuilder b;
  b.nodes(3);
  b.run(9, 8, {{0, 8}}, 0, 1000);
  auto& j = b.queue(1, 24, 100);  // 3 nodes requested, 2 free
  j.elastic = true;
  j.min_gpus = 8;
  ListScheduler s(fcfs());
  const auto st = starts(s, b);
  REQUIRE(st.size() == 1);
  CHECK(st[0].gpus == 16);
  CHECK(same_alloc(st[0].allocation, {{1, 8}, {2, 8}}));
}

// A scheduler kept across calls (with its queue cache and deadline order) must decide exactly
// as a fresh one on every view; random queue changes and cluster states, fixed seed.
TEST_CASE("schedulers kept across calls decide exactly as fresh ones while the queue changes") {
  for (const bool edf : {false, true}) {
    RngStream rng(edf ? 5 : 6, "policy-test-cache");
    SchedulerOptions o;
    o.backfill = Backfill::easy;
    o.order = edf ? QueueOrder::deadline : QueueOrder::submission;
    ListScheduler persistent(o);
    std::deque<JobRequest> store;
    std::vector<const JobRequest*> queue;
    JobId next = 1;
    auto make = [&] {
      auto& j = store.emplace_back();
      j.id = next++;
      j.gpus = std::array<int, 5>{1, 2, 4, 8, 16}[rng.uniform_int(0, 4)];
      j.walltime_estimate_s = rng.bernoulli(0.1) ? 0 : std::floor(rng.uniform(10, 500));
      if (rng.bernoulli(0.5)) j.deadline_s = std::floor(rng.uniform(0, 1000));
      return &j;
    };
    for (int round = 0; round < 300; ++round) {
      for (int r = 0; r < 2 && !queue.empty(); ++r)
        queue.erase(queue.begin() +
                    rng.uniform_int(0, static_cast<std::int64_t>(queue.size()) - 1));
      for (int a = 0; a < 2; ++a) queue.push_back(make());
      if (rng.bernoulli(0.2))
        queue.insert(queue.begin() + rng.uniform_int(0, static_cast<std::int64_t>(queue.size())),
                     make());
      // 4 nodes; each node's GPUs are partly taken by one running job ending at a random time.
      std::vector<NodeView> nodes(4);
      std::deque<JobRequest> run_store;
      std::vector<RunningJobView> running;
      for (NodeId n = 0; n < 4; ++n) {
        nodes[n].id = n;
        nodes[n].rack = n / 2;
        const int busy = static_cast<int>(rng.uniform_int(0, 8));
        nodes[n].gpus_free = 8 - busy;
        if (busy > 0) {
          auto& rj = run_store.emplace_back();
          rj.id = 1000000 + n;
          RunningJobView rv;
          rv.request = &rj;
          rv.allocation = {{n, busy}};
          rv.expected_end_s = std::floor(rng.uniform(0, 600));
          running.push_back(rv);
        }
      }
      ClusterView v;
      v.nodes = nodes;
      v.queue = queue;
      v.running = running;
      ListScheduler fresh(o);
      const auto a = persistent.decide(v, {});
      const auto b = fresh.decide(v, {});
      const auto sa = only<StartJob>(a);
      const auto sb = only<StartJob>(b);
      INFO("edf " << edf << " round " << round);
      REQUIRE(sa.size() == sb.size());
      for (std::size_t i = 0; i < sa.size(); ++i) {
        REQUIRE(sa[i].job == sb[i].job);
        REQUIRE(same_alloc(sa[i].allocation, sb[i].allocation));
      }
    }
  }
}
