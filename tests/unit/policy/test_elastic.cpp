// Specification of elastic-resize on hand-built views (no simulation): when running elastic
// jobs grow, when they shrink, by how much, and when they are left alone.
#include <catch2/catch.hpp>

#include "fixtures/views.hpp"
#include "policy/elastic.hpp"
#include "policy/registry.hpp"

using namespace dcsim;
using dcsim::fixtures::only;
using dcsim::fixtures::ViewBuilder;

namespace {
ElasticResize policy(Seconds cost = 300, Seconds interval = 3600) {
  return ElasticResize(ElasticResizeOptions{true, true, cost, interval});
}
JobRequest& elastic(JobRequest& j, int lo, int hi) {
  j.elastic = true;
  j.min_gpus = lo;
  j.max_gpus = hi;
  return j;
}
int total(const Allocation& a) {
  int t = 0;
  for (const Slice& s : a) t += s.gpus;
  return t;
}
}  // namespace

TEST_CASE("a running elastic job grows into the free GPUs of its node when nothing waits", "[policy][elastic]") {
  ViewBuilder b;
  b.nodes(1);
  elastic(b.run(1, 4, {{0, 4}}, 0, 10000), 2, 8);
  auto p = policy();
  const auto r = only<ResizeJob>(p.decide(b.now(1000).view(), {}));
  REQUIRE(r.size() == 1);
  CHECK(r[0].job == 1);
  REQUIRE(r[0].allocation.size() == 1);
  CHECK(r[0].allocation[0].node == 0);
  CHECK(r[0].allocation[0].gpus == 8);
  CHECK(r[0].cost_s == 300);
}

TEST_CASE("a job of whole nodes grows onto whole free nodes, up to max_gpus", "[policy][elastic]") {
  ViewBuilder b;
  b.nodes(4);
  b.run(9, 8, {{0, 8}}, 0, 50000);  // node 0 busy with a rigid job
  elastic(b.run(1, 8, {{1, 8}}, 0, 20000), 8, 24);
  auto p = policy();
  const auto r = only<ResizeJob>(p.decide(b.now(0).view(), {}));
  REQUIRE(r.size() == 1);
  CHECK(total(r[0].allocation) == 24);
  REQUIRE(r[0].allocation.size() == 3);
  CHECK(r[0].allocation[0].node == 1);
  CHECK(r[0].allocation[1].node == 2);
  CHECK(r[0].allocation[2].node == 3);
}

TEST_CASE("a job grows only if the time it saves exceeds the resize cost", "[policy][elastic]") {
  ViewBuilder b;
  b.nodes(1);
  // 4 → 8 GPUs halves the remaining time R: it pays iff R/2 > cost.
  elastic(b.run(1, 4, {{0, 4}}, 0, 1600), 1, 8);
  SECTION("R = 600 s saves 300 s: not more than a 300 s cost") {
    auto p = policy(300);
    CHECK(only<ResizeJob>(p.decide(b.now(1000).view(), {})).empty());
  }
  SECTION("R = 600 s saves 300 s: more than a 299 s cost") {
    auto p = policy(299);
    CHECK(only<ResizeJob>(p.decide(b.now(1000).view(), {})).size() == 1);
  }
}

TEST_CASE("nothing grows while a job waits, and a rigid job never grows", "[policy][elastic]") {
  ViewBuilder b;
  b.nodes(2);
  b.run(1, 4, {{0, 4}}, 0, 10000);  // not elastic
  elastic(b.run(2, 4, {{1, 4}}, 0, 10000), 1, 8);
  SECTION("a waiting job that does not fit blocks growth") {
    b.queue(3, 16);
    auto p = policy();
    CHECK(only<ResizeJob>(p.decide(b.view(), {})).empty());
  }
  SECTION("with an empty queue only the elastic job grows") {
    auto p = policy();
    const auto r = only<ResizeJob>(p.decide(b.view(), {}));
    REQUIRE(r.size() == 1);
    CHECK(r[0].job == 2);
  }
}

TEST_CASE("a job is not resized again within min_interval", "[policy][elastic]") {
  ViewBuilder b;
  b.nodes(1);
  elastic(b.run(1, 4, {{0, 4}}, 0, 100000), 1, 8);
  auto p = policy(300, 3600);
  REQUIRE(only<ResizeJob>(p.decide(b.now(1000).view(), {})).size() == 1);
  CHECK(only<ResizeJob>(p.decide(b.now(4599).view(), {})).empty());
  CHECK(only<ResizeJob>(p.decide(b.now(4600).view(), {})).size() == 1);
}

TEST_CASE("elastic jobs shrink on a node to start a small waiting job", "[policy][elastic]") {
  ViewBuilder b;
  b.nodes(1);
  elastic(b.run(1, 6, {{0, 6}}, 0, 10000), 2, 8);
  b.run(2, 2, {{0, 2}}, 0, 10000);  // rigid
  b.queue(3, 3);                    // needs 3 GPUs of one node; 0 free
  auto p = policy();
  const auto r = only<ResizeJob>(p.decide(b.view(), {}));
  REQUIRE(r.size() == 1);
  CHECK(r[0].job == 1);
  REQUIRE(r[0].allocation.size() == 1);
  CHECK(r[0].allocation[0].gpus == 3);  // 6 − 3: exactly what the head needs
}

TEST_CASE("a job never shrinks below min_gpus, and nobody shrinks if the head still would not fit", "[policy][elastic]") {
  ViewBuilder b;
  b.nodes(1);
  elastic(b.run(1, 6, {{0, 6}}, 0, 10000), 4, 8);
  b.run(2, 2, {{0, 2}}, 0, 10000);
  b.queue(3, 3);  // job 1 could give only 2
  auto p = policy();
  CHECK(only<ResizeJob>(p.decide(b.view(), {})).empty());
}

TEST_CASE("a job of whole nodes gives back whole nodes to start a multi-node waiting job", "[policy][elastic]") {
  ViewBuilder b;
  b.nodes(4);
  elastic(b.run(1, 32, {{0, 8}, {1, 8}, {2, 8}, {3, 8}}, 0, 100000), 8, 32);
  b.queue(2, 16);
  auto p = policy();
  const auto r = only<ResizeJob>(p.decide(b.view(), {}));
  REQUIRE(r.size() == 1);
  CHECK(total(r[0].allocation) == 16);
  REQUIRE(r[0].allocation.size() == 2);
  CHECK(r[0].allocation[0].node == 2);  // nodes 0 and 1 freed whole (least used first, then id)
  CHECK(r[0].allocation[1].node == 3);
}

TEST_CASE("an elastic head needs only its min_gpus; a head that fits shrinks nobody", "[policy][elastic]") {
  ViewBuilder b;
  b.nodes(1);
  elastic(b.run(1, 8, {{0, 8}}, 0, 10000), 2, 8);
  SECTION("elastic head of 8 with min 2: 2 GPUs are released") {
    elastic(b.queue(2, 8), 2, 8);
    auto p = policy();
    const auto r = only<ResizeJob>(p.decide(b.view(), {}));
    REQUIRE(r.size() == 1);
    CHECK(r[0].allocation[0].gpus == 6);
  }
  SECTION("a head that fits now") {
    b.node(0).gpus_free = 2;  // (the view's running job holds 8 of 8; pretend 2 are free)
    b.queue(2, 2);
    auto p = policy();
    CHECK(only<ResizeJob>(p.decide(b.view(), {})).empty());
  }
}

TEST_CASE("elastic-resize is in the catalogue with its parameters", "[policy][elastic]") {
  DiagnosticSink sink;
  PolicyConfig c;
  c.name = "elastic-resize";
  c.numbers["resize_cost"] = 120;
  c.strings["shrink"] = "false";
  auto p = make_policy(c, sink);
  REQUIRE(p);
  CHECK(p->name() == "elastic-resize");
  PolicyConfig bad;
  bad.name = "elastic-resize";
  bad.numbers["resize_cost"] = -1;
  DiagnosticSink sink2;
  CHECK_FALSE(make_policy(bad, sink2));
}
