// The engine hands policies incremental views: a node summary, the list of idle nodes, the nodes
// changed since the previous round and the round number, so that a round costs O(changes) instead
// of O(nodes) (issue 10). Policies fed such views must decide exactly as policies fed the same
// views without them (summary.valid = false: every node read). A randomly evolving cluster, fixed
// seed: jobs arrive and end, nodes power off and on, decisions are applied as the engine would.
#include <catch2/catch.hpp>

#include <deque>
#include <memory>
#include <sstream>

#include "core/rng.hpp"
#include "policy/composite.hpp"
#include "policy/scaling.hpp"
#include "policy/scheduler.hpp"

using namespace dcsim;

namespace {

std::string describe(const std::vector<Decision>& ds) {
  std::ostringstream o;
  for (const Decision& d : ds) {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, StartJob>) {
            o << "start " << x.job << " gpus " << x.gpus << " on";
            for (const Slice& s : x.allocation) o << ' ' << s.node << ':' << s.gpus;
          } else if constexpr (std::is_same_v<T, PowerOff>) {
            o << "off " << x.node;
          } else if constexpr (std::is_same_v<T, PowerOn>) {
            o << "on " << x.node;
          } else if constexpr (std::is_same_v<T, WakeAt>) {
            o << "wake " << x.at;
          } else if constexpr (std::is_same_v<T, RejectJob>) {
            o << "reject " << x.job;
          } else {
            o << "other";
          }
        },
        d);
    o << "; ";
  }
  return o.str();
}

struct Running {
  JobId id;
  Allocation alloc;
  Seconds end;
};

// One random cluster run; `placement` and `backfill` choose the scheduler.
void run_case(Placement placement, Backfill backfill, std::uint64_t seed) {
  constexpr int kNodes = 24, kGpus = 8;
  RngStream rng(seed, "policy-test-incremental");
  SchedulerOptions so;
  so.placement = placement;
  so.backfill = backfill;
  PowerDownOptions po;
  po.after_s = 300;
  const auto make_stack = [&] {
    std::vector<std::unique_ptr<Policy>> energy;
    energy.push_back(std::make_unique<PowerDownIdle>(po));
    return CompositePolicy(std::make_unique<ListScheduler>(so), std::move(energy));
  };
  CompositePolicy incremental = make_stack();
  CompositePolicy full = make_stack();

  std::vector<NodeView> nodes(kNodes);
  for (int i = 0; i < kNodes; ++i) {
    nodes[i].id = static_cast<NodeId>(i);
    nodes[i].rack = static_cast<RackId>(i / 4);
    nodes[i].cooling_domain = static_cast<std::uint32_t>(i / 12);
    nodes[i].gpus_total = kGpus;
    nodes[i].gpus_free = kGpus;
  }
  std::deque<JobRequest> store;
  std::vector<const JobRequest*> queue;
  std::vector<Running> running;
  std::vector<std::uint32_t> changed;
  std::vector<char> is_changed(kNodes, 0);
  const auto touch = [&](std::size_t n) {
    if (!is_changed[n]) changed.push_back(static_cast<std::uint32_t>(n));
    is_changed[n] = 1;
  };
  const auto set_free = [&](std::size_t n, int delta, Seconds now) {
    nodes[n].gpus_free += delta;
    if (nodes[n].gpus_free == nodes[n].gpus_total) nodes[n].idle_since_s = now;
    touch(n);
  };
  JobId next = 1;
  int starts = 0, offs = 0, ons = 0;
  for (std::uint64_t round = 1; round <= 600; ++round) {
    const Seconds now = static_cast<Seconds>(round) * 60.0;
    // Jobs that end, nodes that finish booting or shutting down, new arrivals.
    for (std::size_t r = 0; r < running.size();) {
      if (running[r].end <= now) {
        for (const Slice& s : running[r].alloc) set_free(s.node, s.gpus, now);
        running[r] = running.back();
        running.pop_back();
      } else {
        ++r;
      }
    }
    for (std::size_t n = 0; n < nodes.size(); ++n) {
      NodeView& v = nodes[n];
      if ((v.state == NodeState::booting || v.state == NodeState::shutting_down) &&
          rng.bernoulli(0.5)) {
        v.state = v.state == NodeState::booting ? NodeState::on : NodeState::off;
        v.state_since_s = now;
        if (v.state == NodeState::on) v.idle_since_s = now;
        touch(n);
      }
    }
    const int arrivals = static_cast<int>(rng.uniform_int(0, 3));
    for (int a = 0; a < arrivals; ++a) {
      auto& j = store.emplace_back();
      j.id = next++;
      j.gpus = std::array<int, 6>{1, 2, 4, 8, 16, 24}[rng.uniform_int(0, 5)];
      j.walltime_estimate_s = std::floor(rng.uniform(60, 3000));
      queue.push_back(&j);
    }
    // The same view twice: with the engine's incremental fields, and without them.
    std::vector<RunningJobView> rv;
    for (const Running& r : running) {
      RunningJobView x;
      x.request = &store[r.id - 1];
      x.allocation = r.alloc;
      x.start_s = 0;
      x.expected_end_s = r.end;
      rv.push_back(std::move(x));
    }
    std::vector<std::uint32_t> idle;
    for (std::size_t n = 0; n < nodes.size(); ++n)
      if (node_idle_on(nodes[n])) idle.push_back(static_cast<std::uint32_t>(n));
    // The engine's idle list is in no particular order: shuffle it.
    for (std::size_t k = idle.size(); k > 1; --k)
      std::swap(idle[k - 1], idle[static_cast<std::size_t>(rng.uniform_int(0, static_cast<std::int64_t>(k) - 1))]);
    ClusterView v;
    v.now_s = now;
    v.end_s = 1e9;
    v.nodes = nodes;
    v.queue = queue;
    v.running = rv;
    v.gpus_per_node = kGpus;
    ClusterView vi = v;
    vi.summary = summarise(nodes);
    vi.summary.topology_version = 1;
    vi.idle_nodes = idle;
    vi.changed_nodes = changed;
    vi.round = round;
    const auto a = incremental.decide(vi, {});
    const auto b = full.decide(v, {});
    INFO("round " << round);
    REQUIRE(describe(a) == describe(b));
    // Apply the decisions as the engine does.
    for (std::uint32_t n : changed) is_changed[n] = 0;
    changed.clear();
    for (const Decision& d : a) {
      if (const auto* s = std::get_if<StartJob>(&d)) {
        ++starts;
        std::erase_if(queue, [&](const JobRequest* j) { return j->id == s->job; });
        for (const Slice& sl : s->allocation) set_free(sl.node, -sl.gpus, now);
        running.push_back(Running{s->job, s->allocation, now + std::floor(rng.uniform(60, 2400))});
      } else if (const auto* off = std::get_if<PowerOff>(&d)) {
        NodeView& n = nodes[off->node];
        if (node_idle_on(n)) {
          ++offs;
          n.state = NodeState::shutting_down;
          touch(off->node);
        }
      } else if (const auto* on = std::get_if<PowerOn>(&d)) {
        NodeView& n = nodes[on->node];
        if (n.state == NodeState::off) {
          ++ons;
          n.state = NodeState::booting;
          touch(on->node);
        }
      } else if (const auto* r = std::get_if<RejectJob>(&d)) {
        std::erase_if(queue, [&](const JobRequest* j) { return j->id == r->job; });
      }
    }
  }
  // The run exercised what it is meant to: starts, power-offs and boots.
  CHECK(starts > 200);
  CHECK(offs > 5);
  CHECK(ons > 5);
}

}  // namespace

TEST_CASE("policies fed the engine's incremental views decide exactly as with full views") {
  for (const Placement p : {Placement::pack, Placement::spread})
    for (const Backfill bf : {Backfill::none, Backfill::easy}) {
      INFO("placement " << (p == Placement::pack ? "pack" : "spread") << " backfill "
                        << (bf == Backfill::easy ? "easy" : "none"));
      run_case(p, bf, 17 + static_cast<std::uint64_t>(p) * 2 + static_cast<std::uint64_t>(bf));
    }
}

TEST_CASE("summarise counts node states, free GPUs of nodes that are on and idle nodes") {
  std::vector<NodeView> n(4);
  n[0].gpus_free = 8;                                              // on, idle
  n[1].gpus_free = 3;                                              // on, busy
  n[2].state = NodeState::booting;                                 // booting: 8 GPUs coming
  n[3].state = NodeState::off;
  const NodeSummary s = summarise(n);
  CHECK(s.valid);
  CHECK(s.nodes_on == 2);
  CHECK(s.nodes_booting == 1);
  CHECK(s.nodes_off == 1);
  CHECK(s.nodes_idle_on == 1);
  CHECK(s.gpus_total == 32);
  CHECK(s.gpus_free_on == 11);
  CHECK(s.gpus_booting == 8);
  // Removing a node, changing it and adding it back gives the summary of the changed nodes.
  NodeSummary t = s;
  add_to_summary(t, n[1], -1);
  n[1].gpus_free = 8;
  add_to_summary(t, n[1], +1);
  CHECK(t.nodes_idle_on == 2);
  CHECK(t.gpus_free_on == 16);
}
