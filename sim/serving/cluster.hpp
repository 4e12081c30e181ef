#pragma once
// The replicas of one deployment at request level: its request streams, the router and the
// replicas' continuous batching (replica.hpp), advanced event by event.
//
// Routers (the choice is made at a request's arrival, among the replicas that are ready):
//   round-robin         the next ready replica in turn
//   least-outstanding   the ready replica with the fewest requests queued or in its batch
//                       (ties: the lowest index), kept in a segment tree: O(log R) per request
// Requests that arrive while no replica is ready, or while the replica the router picks already
// has max_waiting_per_replica requests waiting, wait in the deployment's queue (FIFO) and are
// routed as replicas become ready or work off their queues (a cold start from zero replicas
// counts in their TTFT; a backlog is taken over by replicas added later).
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <queue>
#include <vector>

#include "core/units.hpp"
#include "model/serving_spec.hpp"
#include "serving/histogram.hpp"
#include "serving/replica.hpp"
#include "serving/traffic.hpp"

namespace dcsim::serving {

// A completed (or rejected) request: the request table's row.
struct RequestRecord {
  std::uint64_t id = 0;
  std::uint32_t deployment = 0;
  std::uint32_t stream = 0;
  std::uint64_t replica = 0;   // the replica id that finished it
  Seconds arrival_s = 0;
  Seconds first_token_s = 0;
  Seconds finish_s = 0;
  std::int32_t prompt_tokens = 0;
  std::int32_t output_tokens = 0;
  std::int32_t preemptions = 0;
  // Rejected at routing (prompt + output can never fit the replica's KV cache): first_token_s
  // and finish_s are the rejection time, no token was produced.
  bool rejected = false;
  Seconds ttft_s() const { return first_token_s - arrival_s; }
  // (finish − first token)/(output − 1); 0 for single-token outputs.
  Seconds tpot_s() const {
    return output_tokens > 1 ? (finish_s - first_token_s) / (output_tokens - 1) : 0.0;
  }
};

// Counts and latency distributions of requests since the last reset. TTFT is recorded when a
// request's first token comes, TPOT and SLO attainment when it finishes.
struct LatencyStats {
  double arrivals = 0;
  double rejected = 0;     // could never fit a replica's KV cache
  double first_tokens = 0;
  double finished = 0;
  double slo_met = 0;      // finished with TTFT ≤ target and TPOT ≤ target (targets that are set)
  LatencyHistogram ttft, tpot;
  void clear();
  void merge(const LatencyStats& o, double scale = 1.0);
};

class Router {
 public:
  enum class Kind { round_robin, least_outstanding };
  explicit Router(Kind k) : kind_(k) {}
  static Kind parse(const std::string& name);
  void resize(std::size_t n);
  void set_active(std::size_t i, bool active, std::size_t outstanding);
  void update(std::size_t i, std::size_t outstanding);
  // -1 when no replica is active.
  long pick();
  std::size_t active_count() const { return active_n_; }

 private:
  void set_leaf(std::size_t i, std::uint64_t v);
  Kind kind_;
  std::size_t n_ = 0, size_ = 1, active_n_ = 0, rr_next_ = 0;
  std::vector<char> active_;
  std::vector<std::uint64_t> value_;  // segment tree of (outstanding << 32 | index)
};

enum class ReplicaState : std::uint8_t { loading, ready, draining, parked, released };
const char* to_string(ReplicaState s);

class Cluster : public ReplicaEvents {
 public:
  struct Options {
    std::uint32_t deployment = 0;
    SloSpec slo;
    std::size_t max_waiting_per_replica = 256;  // the router holds requests back beyond it
    std::vector<RequestRecord>* records = nullptr;  // completed requests go here when set
    // Only requests arriving in [count_from_s, count_to_s) enter the stats (the sampler's window).
    Seconds count_from_s = -std::numeric_limits<double>::infinity();
    Seconds count_to_s = std::numeric_limits<double>::infinity();
  };
  Cluster(Router::Kind router, std::vector<StreamSource> streams, Options o);

  // A replica on its physics, ready at ready_at (loading until then). Returns its index.
  std::size_t add_replica(std::uint64_t id, const ReplicaParams& p, Seconds now, Seconds ready_at);
  // Stops routing to it; it finishes its requests, then parks or is released (idle_state).
  void drain(std::size_t i, Seconds now, ReplicaState idle_state);
  // A parked replica serves again at once.
  void unpark(std::size_t i, Seconds now);
  // Takes the replica away now: its requests are routed again (they are recomputed elsewhere).
  void remove(std::size_t i, Seconds now);
  void set_limits(std::size_t i, Watts cap_w, int floor_pstate);

  // Processes every event before t.
  void run_until(Seconds t);
  // A backlogged (saturated) replica set: the queue is topped up so that every replica always
  // has requests waiting. Used by the sampler to measure the saturation throughput.
  void set_backlog(bool on) { backlog_ = on; }

  std::size_t replica_count() const { return reps_.size(); }
  const Replica& replica(std::size_t i) const { return *reps_[i].sim; }
  ReplicaState state(std::size_t i) const { return reps_[i].state; }
  Seconds ready_at(std::size_t i) const { return reps_[i].ready_at; }
  Seconds state_since(std::size_t i) const { return reps_[i].since; }
  std::uint64_t replica_id(std::size_t i) const { return reps_[i].id; }
  std::size_t pending() const { return pending_.size(); }
  // Σ pending·dt up to t (requests waiting for a ready replica).
  double pending_integral_at(Seconds t) const { return pending_acc_.energy_at(t); }
  std::size_t outstanding() const;  // pending + every replica's
  std::size_t waiting() const;      // pending + every replica's queue (not yet in a batch)
  LatencyStats& stats() { return stats_; }
  std::uint64_t next_request_id() const { return next_id_; }
  double tokens_out() const;
  Seconds now() const { return now_; }

  // Replica state changes (parked/released after draining) since the last call.
  std::vector<std::size_t> take_state_changes();

 private:
  struct Rep {
    std::uint64_t id = 0;
    std::unique_ptr<Replica> sim;
    ReplicaState state = ReplicaState::loading;
    ReplicaState after_drain = ReplicaState::released;
    Seconds ready_at = 0;
    Seconds since = 0;
  };
  void on_first_token(std::uint32_t slot, Seconds t) override;
  void on_finish(std::uint32_t slot, Seconds t) override;
  void route(std::uint32_t slot, Seconds t);
  void deliver(std::uint32_t slot, std::size_t i, Seconds t);
  void after_change(std::size_t i);
  void check_drained(std::size_t i, Seconds t);
  void arrive(const Arrival& a, std::uint32_t stream, Seconds t);
  void top_up(std::size_t i, Seconds t);
  bool counted(const Request& r) const { return r.arrival_s >= o_.count_from_s && r.arrival_s < o_.count_to_s; }

  Router router_;
  std::vector<StreamSource> streams_;
  Options o_;
  RequestPool pool_;
  std::vector<Rep> reps_;
  std::deque<std::uint32_t> pending_;
  using Item = std::pair<Seconds, std::size_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> events_;  // replica iteration ends
  std::vector<Seconds> scheduled_;  // the end each replica is scheduled at
  std::vector<std::size_t> loading_;
  std::vector<std::size_t> changes_;
  LatencyStats stats_;
  EnergyAccumulator pending_acc_;
  void pending_changed(Seconds t) { pending_acc_.set(t, static_cast<double>(pending_.size())); }
  void dispatch_pending(Seconds t);
  std::uint64_t next_id_ = 0;
  std::size_t current_ = 0;  // replica whose iteration is being completed (for records)
  Seconds now_ = 0;
  bool backlog_ = false;
};

}  // namespace dcsim::serving
