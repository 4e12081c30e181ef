#pragma once
// List schedulers with GPU-granular allocation: fcfs, easy-backfill, priority-deadline.
//
// Allocation. A job of g GPUs on nodes of G = view.gpus_per_node GPUs:
//   g <  G : g GPUs of one node, shared with other small jobs;
//   g >= G : n = ceil(g / G) whole nodes, each slice holding all G GPUs of its node (the node is
//            exclusive; GPUs beyond g on the last node stay reserved and idle).
// Only nodes whose state is `on` are usable. A job that cannot fit even on every node of the
// site (g > G·nodes, or a small job larger than every node) is rejected (RejectJob).
//
// Queue order. `submission`: the view's queue order (FCFS). `deadline`: earliest deadline first
// (jobs without a deadline after all jobs with one), then higher priority, then submission order.
// Jobs held by a JobGate (carbon-aware policies) are skipped as if they were not queued.
// Dependencies (JobRequest::depends_on) are honoured only through the queue: the engine queues a
// job only once every job it depends on has completed, so a scheduler never sees a job whose
// dependencies are pending.
//
// Backfilling (EASY, Lifka 1995; Mu'alem & Feitelson, IEEE TPDS 12(6), 2001). When the first
// queued job (the head) does not fit, it gets a reservation: the shadow time t_s is the earliest
// expected end e_r = max(expected_end_s, now) of running jobs (in order of e_r) at which the GPUs
// released would let the head fit, and the head is placed (on paper) on specific nodes at t_s.
// Later jobs are then started now if they fit and either
//   (a) end before the shadow time: now + walltime_estimate_s <= t_s (jobs without an estimate
//       never qualify), or
//   (b) use only GPUs the head's reservation leaves over: per node,
//       avail_long = min(free_now, free_at_shadow - reserved_for_head).
// So no backfilled job can delay the head (given the estimates). If no set of running jobs ever
// frees enough GPUs (nodes off or booting), the head gets no reservation and any job that fits
// may start; the booting nodes will serve the head.
//
// Placement (`pack` | `spread`), over racks and cooling domains, by busy GPUs b (allocated GPUs
// of nodes that are on) per rack and per cooling domain:
//   pack,   small job: the fitting node with the fewest free GPUs (best fit), then the busiest
//           cooling domain, then the busiest rack, then the lowest node index;
//   pack,   whole nodes: one node at a time from the busiest cooling domain, then rack;
//   spread, small job: the least busy cooling domain, then rack, then the node with most free;
//   spread, whole nodes: one node at a time from the least busy cooling domain, then rack
//           (busy counts include the nodes already picked, so a job spreads round-robin).
// Pack concentrates heat and leaves whole racks idle (to power down); spread balances heat.
//
// Elastic jobs (JobRequest::elastic, `elastic: true`): when the job at the head of the queue
// does not fit with `gpus` GPUs, it starts with the largest count in [min_gpus, gpus) that fits
// now — whole nodes' worth (n·G) if that reaches min_gpus, else the most free GPUs of one node —
// and StartJob::gpus carries the count (the engine scales the job's step time). Jobs are not
// grown past `gpus` (max_gpus is not used yet).
//
// Preemption (priority-deadline only, `preemption: true`). When the head has a deadline it
// would miss by waiting (shadow time + estimate > deadline), the scheduler preempts running jobs
// (PreemptJob: the engine checkpoints and requeues them; the checkpoint/restart time itself is
// the job profile's checkpoint_cost_s, charged by the engine) that are preemptible, have a
// priority <= the head's, no deadline or a later one, have run at least `preempt_min_run_s`,
// and would still run longer than `checkpoint_restart_s` (otherwise waiting is cheaper than a
// checkpoint and restart). Victims are taken lowest priority first, then most recently started,
// until the head would fit; if it cannot fit, nobody is preempted. No new preemption is issued
// while earlier ones are pending (until their JobPreempted/JobFinished events).
//
// Complexity per decide (N nodes, Q queued, R running, S started, C nodes changed since the
// previous round; details in README.md): O(C) to bring the free-GPU map and the rack/cooling
// loads up to date from the engine's incremental view (O(N) for a view without it); O(Q) pointer
// comparisons to match the queue with the previous call's (k new jobs read once; deadline order
// updated in O(k log k)); when the head is blocked and some later job fits the GPUs free now,
// O(R + k log R + N) for the shadow time (a heap of expected ends, popped until the head fits);
// O(Q) backfill scan over cached (GPUs, estimate) with O(G) rejection of jobs that cannot fit
// (histograms of free GPUs); O(N) per placed small job and O(n·N) per job of n whole nodes.
// An empty queue or a full cluster returns after O(C); FCFS stops at the head.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "policy/policy.hpp"

namespace dcsim {

enum class QueueOrder { submission, deadline };
enum class Backfill { none, easy };
enum class Placement { pack, spread };

struct SchedulerOptions {
  std::string name = "fcfs";
  QueueOrder order = QueueOrder::submission;
  Backfill backfill = Backfill::none;
  Placement placement = Placement::pack;
  bool preemption = false;
  Seconds preempt_min_run_s = 3600;
  Seconds checkpoint_restart_s = 300;
  bool elastic = true;  // shrink elastic jobs (down to min_gpus) instead of blocking
};

// Free GPUs per node with a histogram, so "does a job of g GPUs fit anywhere?" costs O(G), and
// the nodes of each free count (in no particular order), so placement can look only at the
// nodes that matter (best fit: the smallest fitting count).
class FreeMap {
 public:
  void reset(std::span<const int> totals, int max_total);
  // Inline: the scheduler calls it for every changed node of every decide round.
  void set(std::size_t i, int value) {
    int& v = v_[i];
    if (value == v) return;
    const bool was_whole = whole(i);
    --hist_[static_cast<std::size_t>(v)];
    auto& from = members_[static_cast<std::size_t>(v)];
    const std::uint32_t moved = from.back();
    from[pos_[i]] = moved;
    pos_[moved] = pos_[i];
    from.pop_back();
    auto& to = members_[static_cast<std::size_t>(value)];
    pos_[i] = static_cast<std::uint32_t>(to.size());
    to.push_back(static_cast<std::uint32_t>(i));
    sum_ += value - v;
    v = value;
    ++hist_[static_cast<std::size_t>(v)];
    whole_ += static_cast<int>(whole(i)) - static_cast<int>(was_whole);
  }
  int get(std::size_t i) const { return v_[i]; }
  // Nodes with exactly `k` free GPUs, in no particular order.
  std::span<const std::uint32_t> with_free(int k) const {
    return members_[static_cast<std::size_t>(k)];
  }
  // The smallest free count >= g that some node has, or -1.
  int smallest_fitting(int g) const;
  const std::vector<int>& values() const { return v_; }
  bool whole(std::size_t i) const { return totals_[i] > 0 && v_[i] == totals_[i]; }
  int whole_nodes() const { return whole_; }
  bool fits_single(int g) const;
  int total_free() const { return sum_; }
  int max_single() const;  // largest free count of one node
  std::size_t size() const { return v_.size(); }

 private:
  std::span<const int> totals_;
  std::vector<int> v_;
  std::vector<int> hist_;
  std::vector<std::vector<std::uint32_t>> members_;  // nodes by free count
  std::vector<std::uint32_t> pos_;                   // node's position in its members_ list
  int whole_ = 0;
  int sum_ = 0;
};

class ListScheduler final : public Policy {
 public:
  explicit ListScheduler(SchedulerOptions opt);
  std::string_view name() const override { return opt_.name; }
  using Policy::decide;
  void decide(const ClusterView& view, std::span<const Event> events,
              std::vector<Decision>& out) override;
  void set_job_gates(std::span<JobGate* const> gates) override {
    gates_.assign(gates.begin(), gates.end());
  }
  const SchedulerOptions& options() const { return opt_; }
  // Starts follow job and node events only; with preemption a waiting head can become late as
  // time passes, which the periodic rounds check.
  bool needs_periodic_rounds() const override { return opt_.preemption; }

 private:
  bool admitted(const JobRequest& j) const;
  // Rebuilds the node index if the node set changed; true if it was kept.
  bool index_nodes(const ClusterView& view);
  // Brings free_now_, rack_busy_ and cd_busy_ up to date with the view: from the engine's
  // changed_nodes when this round directly follows the last one seen, else from every node.
  void sync_nodes(const ClusterView& view);
  void set_node(std::size_t i, const NodeView& v);
  bool never_fits(const JobRequest& j) const;
  // Chooses `g` GPUs from `map` into `alloc` (node indices in slices); false if they do not
  // fit. `prefer_busy_now`: among fitting nodes prefer those with the fewest GPUs free now (used
  // for the head's reservation, so GPUs idle now stay available to backfill).
  bool place(int g, const FreeMap& map, Allocation& alloc, bool prefer_busy_now = false);
  // For an elastic job that does not fit as requested: the largest GPU count in
  // [min_gpus, gpus) that fits now (whole nodes for counts >= G), or 0.
  int shrink_to_fit(const JobRequest& j) const;
  void add_busy(std::size_t i, int gpus);
  // Shadow time and reservation of the head; false if running jobs never free enough.
  bool reserve_head(const ClusterView& view, const JobRequest& head,
                    const std::vector<Decision>& out, Seconds& shadow_s);
  void try_preempt(const ClusterView& view, const JobRequest& head, Seconds shadow_s,
                   std::vector<Decision>& out);
  void start(const JobRequest& j, int gpus_chosen, std::vector<Decision>& out);
  // Whether a job of `gpus` GPUs fits `map` now (one node, or enough whole nodes).
  bool fits(const FreeMap& map, int gpus) const;
  // Whether some queued job after position k (in scan order) fits the GPUs free now.
  bool any_fits_after(std::size_t k, bool sorted, std::size_t q) const;

  SchedulerOptions opt_;
  std::vector<JobGate*> gates_;
  int gpn_ = 8;
  // node indexing (rebuilt when the node set changes)
  std::vector<std::int32_t> index_of_;  // NodeId → index, -1 if unknown
  std::vector<NodeId> node_ids_;
  std::vector<std::uint32_t> rack_of_, cd_of_;  // dense rack / cooling-domain index per node
  std::vector<RackId> rack_key_;
  std::vector<std::uint32_t> cd_key_;
  std::vector<RackId> rack_raw_;            // the view's rack / cooling domain per node, for the
  std::vector<std::uint32_t> cd_raw_;       // per-round "same node set?" check
  std::vector<int> totals_;
  int max_total_ = 0;
  int whole_capable_nodes_ = 0;
  std::uint64_t topology_version_ = 0;  // the view's NodeSummary::topology_version indexed
  bool homogeneous_ = true;             // every node has max_total_ GPUs
  std::vector<std::uint32_t> whole_cands_;
  std::uint64_t synced_round_ = 0;      // the view round free_now_ reflects (0 = none)
  std::vector<char> on_;                // node i was on when last synced
  // per-round scratch (reused, no allocation in steady state)
  FreeMap free_now_, avail_long_, scratch_map_;
  std::vector<int> shadow_avail_;
  std::vector<std::uint32_t> touched_;  // nodes whose shadow_avail_ differs from free_now_
  std::vector<char> touched_flag_;
  Allocation reservation_;
  std::vector<int> rack_busy_, cd_busy_;
  std::vector<char> picked_;
  std::vector<std::uint32_t> order_;
  // Deadline order, kept across rounds: only jobs new to the queue are sorted and merged in.
  struct OrderKey {
    Seconds deadline;
    int neg_priority;
    Seconds submit;
    JobId id;
    std::uint32_t pos;  // position in the current queue
  };
  void order_by_deadline(std::span<const JobRequest* const> queue);
  std::vector<OrderKey> keys_, fresh_, merged_;
  // Queue cache: requested GPUs and estimate per queue position, so the backfill scan does not
  // read every JobRequest. Kept across calls by matching addresses (JobRequests must keep their
  // address for the whole run, which the engine guarantees by owning them in stable storage).
  struct Cached {
    int gpus;
    Seconds estimate_s;
  };
  void sync_queue(std::span<const JobRequest* const> queue);
  std::vector<const JobRequest*> qc_ptr_;
  std::vector<Cached> qc_, nq_;
  std::vector<std::int32_t> newpos_;  // previous position → current position, −1 if gone
  std::size_t tail_ = 0;              // first position not matched with the previous queue
  bool queue_same_ = false;
  struct Release {  // GPUs a running job gives back at its expected end
    Seconds end;
    const Allocation* alloc;  // slices by NodeId
    std::uint32_t seq = 0;    // position before heap ordering (tie-break)
  };
  std::vector<Release> releases_;
  std::vector<std::pair<std::size_t, Seconds>> started_;  // (index in out, expected end)
  std::vector<std::uint32_t> victims_;
  std::vector<JobId> pending_preempt_;
  Allocation alloc_;
  Seconds now_ = 0;
};

}  // namespace dcsim
