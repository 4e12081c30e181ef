#pragma once
// elastic-resize: grow running elastic jobs into idle GPUs and shrink them to start waiting jobs
// (adaptive batch size: a data-parallel job keeps its per-GPU batch and changes its GPU count).
//
// Elastic jobs (JobRequest::elastic) may run on between lo = max(min_gpus, 1) and
// hi = max(max_gpus, gpus) GPUs. Their speed follows the job model's scaling law: run time at
// f_max = work / (GPUs · peak · MFU · scaling_efficiency) (physics/dvfs.hpp), i.e. ∝ 1/GPUs; the
// policy sees only that law's consequence through the view's expected ends.
//
// Each call, on the effective view (after the scheduler's starts of the round):
//
//   grow   (`grow`, default on) when no job waits in the (gated) queue: for each running elastic
//          job below hi, not resized in the last `min_interval`, largest expected remaining time
//          R = expected_end − now first: add free GPUs of the nodes it already holds, then whole
//          free nodes while at least one node's worth is missing (a job never spreads onto a
//          partly used foreign node), up to hi. The resize is made only if it pays for itself
//          under the scaling law: R · (1 − g/g') > resize_cost (g → g' GPUs).
//   shrink (`shrink`, default on) when the first waiting job (queue order) does not fit now:
//          its need n = its min_gpus if elastic (else gpus); if n < G (GPUs per node) the node
//          that needs the fewest GPUs released, else ceil(n/G) nodes each freed whole; GPUs are
//          taken from running elastic jobs (not resized in the last `min_interval`, never below
//          lo, a job keeps at least one slice), most releasable GPUs first. Nothing is shrunk
//          unless the head then fits; the engine re-runs the stack at once after a resize, so
//          the scheduler starts the head in the same instant.
//
// Every ResizeJob carries cost_s = resize_cost (re-sharding: checkpoint + restart on the new GPU
// set), which the engine charges to the job like a preemption's restart.
//
// Parameters: grow (flag, true), shrink (flag, true), resize_cost (s, default 300, ≥ 0),
// min_interval (s, default 3600, ≥ 0): anti-thrashing, as Pollux re-allocates only every
// scheduling interval and Optimus only when the estimated gain exceeds the cost.
// Cost: O(N + R·S + Q) per call (S slices per job); O(R) when no elastic job runs.
//
// Sources: Qiao et al., "Pollux: Co-adaptive Cluster Scheduling for Goodput-Optimized Deep
// Learning", OSDI 2021 (re-allocating GPUs of running jobs, adaptive batch size); Peng et al.,
// "Optimus: An Efficient Dynamic Resource Scheduler for Deep Learning Clusters", EuroSys 2018
// (growing jobs by marginal gain, checkpoint-based resizing cost).
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "policy/policy.hpp"

namespace dcsim {

struct ElasticResizeOptions {
  bool grow = true;
  bool shrink = true;
  Seconds resize_cost_s = 300;
  Seconds min_interval_s = 3600;
};

class ElasticResize final : public Policy {
 public:
  explicit ElasticResize(ElasticResizeOptions opt) : opt_(opt) {}
  std::string_view name() const override { return "elastic-resize"; }
  using Policy::decide;
  void decide(const ClusterView& view, std::span<const Event> events,
              std::vector<Decision>& out) override;

 private:
  struct Cand {
    std::size_t run;  // index in view.running
    int gpus = 0, lo = 0, hi = 0;
  };
  bool eligible(const RunningJobView& r, Seconds now) const;
  void grow(const ClusterView& view, std::vector<Decision>& out);
  void shrink(const ClusterView& view, const JobRequest& head, std::vector<Decision>& out);

  ElasticResizeOptions opt_;
  std::unordered_map<JobId, Seconds> last_resize_;
  std::vector<int> free_;          // per node index: free GPUs (nodes that are on), −1 otherwise
  std::vector<std::int32_t> index_;  // node id → index in view.nodes
  std::vector<Cand> cands_;
};

}  // namespace dcsim
