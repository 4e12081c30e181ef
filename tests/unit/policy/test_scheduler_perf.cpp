// Decision time of the schedulers on a large queue: 10,000 queued jobs, 1,250 nodes of 8 GPUs,
// a full cluster with one node just freed (the common event: a job ended). The bound is loose
// (a Debug build must pass too); the measured times are printed for the README.
#include <catch2/catch.hpp>
#include <chrono>

#include "core/rng.hpp"
#include "fixtures/views.hpp"
#include "policy/carbon.hpp"
#include "policy/composite.hpp"
#include "policy/scaling.hpp"
#include "policy/scheduler.hpp"

using namespace dcsim;
using dcsim::fixtures::ViewBuilder;

namespace {

void fill(ViewBuilder& b) {
  RngStream rng(7, "policy-perf");
  b.nodes(1250, 8, 4, 10);
  b.now(1000);
  // Nodes 0..1247 busy with 2-node jobs (ends spread over a day); nodes 1248 and 1249 free.
  for (NodeId n = 0; n < 1248; n += 2)
    b.run(100000 + n, 16, {{n, 8}, {n + 1, 8}}, 0, 1000 + rng.uniform(60, 86400));
  const int sizes[] = {1, 2, 4, 8, 16, 32, 64};
  // Head: 3 nodes. At the shadow time (first end) 4 nodes are whole: one is left over, so long
  // jobs can backfill on one of the free nodes.
  b.queue(1, 24, 7200);
  for (JobId j = 2; j <= 10000; ++j) {
    auto& r = b.queue(j, sizes[rng.uniform_int(0, 6)], rng.uniform(600, 48 * 3600.0));
    r.deadline_s = rng.uniform(2000, 200000);
    r.priority = static_cast<int>(rng.uniform_int(0, 3));
  }
}

// Mean time of a call after a first one (the engine calls the scheduler on every event with a
// queue that mostly did not change; the first call reads every request once).
double time_per_decide_ms(ListScheduler& s, const ClusterView& v, std::size_t& starts) {
  std::vector<Decision> out;
  s.decide(v, {}, out);
  const int reps = 20;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) {
    out.clear();
    s.decide(v, {}, out);
  }
  const auto t1 = std::chrono::steady_clock::now();
  starts = out.size();
  return std::chrono::duration<double, std::milli>(t1 - t0).count() / reps;
}

}  // namespace

TEST_CASE(
    "fcfs, easy-backfill and priority-deadline decide on 10,000 jobs x 1,250 nodes in "
    "milliseconds") {
  ViewBuilder b;
  fill(b);
  const ClusterView v = b.view();
  SchedulerOptions fcfs;
  SchedulerOptions easy;
  easy.backfill = Backfill::easy;
  SchedulerOptions edf;
  edf.order = QueueOrder::deadline;
  edf.backfill = Backfill::easy;
  std::size_t n_fcfs = 0, n_easy = 0, n_edf = 0;
  ListScheduler s1(fcfs), s2(easy), s3(edf);
  const double t_fcfs = time_per_decide_ms(s1, v, n_fcfs);
  const double t_easy = time_per_decide_ms(s2, v, n_easy);
  const double t_edf = time_per_decide_ms(s3, v, n_edf);
  WARN("per decide: fcfs " << t_fcfs << " ms (" << n_fcfs << " starts), easy " << t_easy << " ms ("
                           << n_easy << " starts), priority-deadline " << t_edf << " ms (" << n_edf
                           << " starts)");
  CHECK(n_fcfs == 0);  // the 3-node head blocks
  CHECK(n_easy >= 1);  // something backfills on the free node
  CHECK(t_fcfs < 50);
  CHECK(t_easy < 50);
  CHECK(t_edf < 100);
}

TEST_CASE(
    "a composite with carbon-aware-shift holding half of 10,000 jobs decides in milliseconds") {
  ViewBuilder b;
  fill(b);
  std::vector<double> hourly(72);
  for (std::size_t i = 0; i < hourly.size(); ++i) hourly[i] = i % 24 < 12 ? 400 : 100;
  b.carbon(hourly);
  // every other queued job is deferrable with a day of slack: held until the clean half-day
  for (std::size_t k = 0; k < b.queue_size(); k += 2) {
    JobRequest& j = b.queued(k);
    j.deferrable = true;
    j.deadline_s = 1000 + j.walltime_estimate_s + 86400;
  }
  const ClusterView v = b.view();
  std::vector<std::unique_ptr<Policy>> energy;
  energy.push_back(std::make_unique<CarbonAwareShift>(ShiftOptions{}));
  energy.push_back(std::make_unique<PowerDownIdle>(PowerDownOptions{}));
  SchedulerOptions easy;
  easy.backfill = Backfill::easy;
  CompositePolicy c(std::make_unique<ListScheduler>(easy), std::move(energy));
  std::vector<Decision> out;
  const auto t0 = std::chrono::steady_clock::now();
  c.decide(v, {}, out);  // plans 5,000 jobs
  const auto t1 = std::chrono::steady_clock::now();
  const int reps = 20;
  for (int i = 0; i < reps; ++i) {
    out.clear();
    c.decide(v, {}, out);
  }
  const auto t2 = std::chrono::steady_clock::now();
  const double first_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  const double per_ms = std::chrono::duration<double, std::milli>(t2 - t1).count() / reps;
  WARN("composite easy + carbon-aware-shift + power-down: first call (plans 5,000 jobs) "
       << first_ms << " ms, then " << per_ms << " ms per call");
  CHECK(per_ms < 100);
}
