// Policy decisions on a large cluster: 1,250 nodes of 8 GPUs (the `large` site), ~1,300 running
// jobs and a queue of 10,000 waiting jobs. One iteration = one decide() call after a
// JobFinished event, the engine's pattern (decisions appended to a reused vector).
//
//   blocked: the head of the queue needs 1,024 GPUs and 3 GPUs are free: nothing starts, but
//            easy-backfill computes the head's reservation and scans the queue (the steady
//            state of a loaded site);
//   room:    125 half-empty nodes (500 GPUs free): the policy starts what fits (decisions are
//            discarded, the view is unchanged, so every iteration does the same work).
//   light:   the common call of a lightly loaded site (the `large` scenario runs at ~4 %
//            utilisation): 50 running jobs, one queued job that fits; the cost is the per-call
//            O(nodes) work of the policies, not the queue.
// Stacks: fcfs, easy-backfill, and easy-backfill + power-down-idle (the `large` scenario's).
// Views: `full` = a hand-built view (every policy reads every node, as in the unit tests);
// `incr` = the engine's incremental view (node summary, idle nodes, no node changed since the
// previous round, consecutive round numbers), what the policies see in a run.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "fixtures/views.hpp"
#include "policy/registry.hpp"

using namespace dcsim;

namespace {

constexpr int kNodes = 1250;
constexpr int kQueued = 10000;

// Queue of kQueued jobs: the head needs `head_gpus`; the rest are 1–64 GPUs with estimates of
// 10 min – 3 days (deterministic stream).
void fill(fixtures::ViewBuilder& b, bool room) {
  b.nodes(kNodes, 8, 4, 16);
  RngStream rng(1, "bench.policy");
  JobId id = 1;
  // Running: one 8-GPU job per full node, one 4-GPU job per half-empty node (room) or one
  // 8-GPU job everywhere but 5 GPUs on the last node (blocked).
  const int half_from = room ? kNodes - 125 : kNodes;
  for (int n = 0; n < kNodes; ++n) {
    int g = n < half_from ? 8 : 4;
    if (!room && n == kNodes - 1) g = 5;
    const Seconds end = 600 + 86400.0 * 3 * rng.uniform();
    b.run(id++, g, {{static_cast<NodeId>(n), g}}, 0, end);
  }
  b.now(300);
  b.queue(id++, 1024, 86400);
  static constexpr int sizes[] = {1, 2, 4, 8, 8, 16, 32, 64};
  for (int i = 1; i < kQueued; ++i) {
    const int g = sizes[rng.next_u64() % 8];
    // Blocked: every job needs at least 4 GPUs, so nothing fits in the 3 free.
    b.queue(id++, room ? g : std::max(g, 4), 600 + 86400.0 * 3 * rng.uniform());
  }
}

std::unique_ptr<Policy> stack(const char* scheduler, bool power_down) {
  PoliciesSpec spec;
  spec.scheduler.name = scheduler;
  if (power_down) spec.energy.push_back(PolicyConfig{"power-down-idle", {{"after", 1800}}, {}, "policies.energy[0]"});
  DiagnosticSink sink;
  std::unique_ptr<Policy> p = make_policy_stack(spec, sink);
  sink.throw_if_any();
  return p;
}

// The engine's incremental fields. The benchmark's view never changes (decisions are discarded),
// but as in the engine the nodes of the previous round's starts are reported changed, so every
// iteration repeats the same work.
struct Incremental {
  std::vector<std::uint32_t> idle, changed;
  void next_round(ClusterView& v, const std::vector<Decision>& out) {
    ++v.round;
    changed.clear();
    for (const Decision& d : out)
      if (const auto* s = std::get_if<StartJob>(&d))
        for (const Slice& sl : s->allocation) changed.push_back(sl.node);
    v.changed_nodes = changed;
  }
  void apply(ClusterView& v) {
    v.summary = summarise(v.nodes);
    v.summary.topology_version = 1;
    idle.clear();
    for (std::size_t i = 0; i < v.nodes.size(); ++i)
      if (node_idle_on(v.nodes[i])) idle.push_back(static_cast<std::uint32_t>(i));
    v.idle_nodes = idle;
    v.changed_nodes = {};
  }
};

void run(benchmark::State& state, const char* scheduler, bool power_down, bool room, bool incr) {
  fixtures::ViewBuilder b;
  fill(b, room);
  ClusterView v = b.view();
  Incremental inc;
  if (incr) inc.apply(v);
  std::unique_ptr<Policy> p = stack(scheduler, power_down);
  std::vector<Decision> out;
  out.reserve(4096);
  const Event ev[] = {JobFinished{1}};
  v.round = 1;
  p->decide(v, ev, out);  // first call indexes the queue
  for (auto _ : state) {
    if (incr) inc.next_round(v, out);
    out.clear();
    p->decide(v, ev, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["decisions"] = static_cast<double>(out.size());
  state.counters["queue"] = static_cast<double>(v.queue.size());
}

void light(benchmark::State& state, const char* scheduler, bool power_down, bool incr) {
  fixtures::ViewBuilder b;
  b.nodes(kNodes, 8, 4, 16);
  for (int n = 0; n < 50; ++n) b.run(static_cast<JobId>(n + 1), 8, {{static_cast<NodeId>(n * 7), 8}}, 0, 7200);
  b.now(300);
  b.queue(1000, 4, 3600);
  ClusterView v = b.view();
  Incremental inc;
  if (incr) inc.apply(v);
  std::unique_ptr<Policy> p = stack(scheduler, power_down);
  std::vector<Decision> out;
  const Event ev[] = {JobSubmitted{1000}};
  for (auto _ : state) {
    if (incr) inc.next_round(v, out);
    out.clear();
    p->decide(v, ev, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["decisions"] = static_cast<double>(out.size());
}

}  // namespace

#define DCSIM_BM_VIEWS(fn, name, ...)                                                   \
  BENCHMARK_CAPTURE(fn, name##_full, __VA_ARGS__, false)->Unit(benchmark::kMicrosecond); \
  BENCHMARK_CAPTURE(fn, name##_incr, __VA_ARGS__, true)->Unit(benchmark::kMicrosecond)
DCSIM_BM_VIEWS(light, fcfs, "fcfs", false);
DCSIM_BM_VIEWS(light, easy_backfill, "easy-backfill", false);
DCSIM_BM_VIEWS(light, easy_backfill_power_down, "easy-backfill", true);
DCSIM_BM_VIEWS(run, fcfs_blocked, "fcfs", false, false);
DCSIM_BM_VIEWS(run, easy_backfill_blocked, "easy-backfill", false, false);
DCSIM_BM_VIEWS(run, easy_backfill_power_down_blocked, "easy-backfill", true, false);
DCSIM_BM_VIEWS(run, fcfs_room, "fcfs", false, true);
DCSIM_BM_VIEWS(run, easy_backfill_room, "easy-backfill", false, true);
DCSIM_BM_VIEWS(run, easy_backfill_power_down_room, "easy-backfill", true, true);
