#pragma once
// The aggregated fidelity's sampled-iteration model: what a replica of a deployment does in
// steady state as a function of its request rate, measured once by the request-level model
// and then interpolated, so that the cost of a step does not depend on the number of requests.
//
// A table is built per (deployment, accelerator type, power cap, floor p-state, group size G):
//  1. Saturation: one replica with a queue that never empties (the backlogged sample) gives its
//     saturation throughput μ (requests/s), power and batch at capacity.
//  2. Load points λ_k = ρ_k·μ, ρ_k ∈ {0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75,
//     0.8, 0.85, 0.9, 0.95}: G replicas behind the deployment's router, fed by the
//     deployment's streams made stationary at total rate G·λ_k (each stream at its share of
//     the run's requests; Poisson, or the trace replayed with compressed times). After a
//     warm-up of s/5 requests per replica, requests arriving during a window of s per replica
//     are measured until they finish, s = sample_requests·min(20, 1/(1 − ρ_k)) (near
//     saturation the batch relaxes slowly and needs longer windows): mean power per GPU, mean
//     batch and queue, TTFT and TPOT distributions and SLO attainment per request. A point
//     whose requests do not all finish within 20 windows is unstable and ends the table.
//  3. Lookup at rate λ: values are interpolated linearly in λ between the neighbouring points
//     (from the idle state at λ = 0: idle power, empty batch); latency distributions are the
//     same linear mixture of the neighbours' (the lowest point's below it).
// G = min(ready replicas, 4): the router's balancing among more replicas is taken as that of 4.
// Above the last stable point the deployment is at capacity: the fluid backlog of the fleet
// (fleet.cpp) queues the excess.
#include <memory>
#include <vector>

#include "core/units.hpp"
#include "model/serving_spec.hpp"
#include "serving/cluster.hpp"
#include "serving/replica.hpp"
#include "serving/traffic.hpp"

namespace dcsim::serving {

// One deployment's streams as the sampler uses them: spec, trace and share of the requests.
struct StreamMix {
  std::vector<RequestStreamSpec> specs;
  std::vector<std::shared_ptr<const TraceData>> traces;
  std::vector<double> shares;  // sum to 1
};

struct LoadPoint {
  double rate = 0;            // per replica, requests/s
  Watts power_per_gpu_w = 0;
  double batch = 0;           // mean sequences in the batch, per replica
  double queue = 0;           // mean waiting requests, per replica
  double busy = 0;            // fraction of time iterating
  double pstate = 0;          // mean p-state index while iterating
  double tokens_out_per_s = 0;     // per replica
  double tokens_prompt_per_s = 0;
  LatencyStats per_request;   // normalised per arriving request (arrivals = 1)
};

class LoadTable {
 public:
  struct Inputs {
    const DeploymentSpec* deployment = nullptr;
    StreamMix mix;
    ReplicaParams replica;
    Watts cap_w = 0;
    int floor_pstate = 0;
    int group = 1;
    std::uint64_t seed = 0;
    std::string rng_name;  // "serving.table.<deployment>.<key>"
    int sample_requests = 3000;
    bool saturation_only = false;  // just step 1 (the autoscaler's capacity in request fidelity)
  };
  explicit LoadTable(const Inputs& in);

  double saturation_rate() const { return saturation_.rate; }
  const LoadPoint& saturation() const { return saturation_; }
  // The highest rate with a measured steady state (the capacity the fleet routes up to).
  double max_rate() const { return points_.empty() ? 0.0 : points_.back().rate; }
  const std::vector<LoadPoint>& points() const { return points_; }
  Watts idle_power_w() const { return idle_w_; }

  struct Scalars {
    Watts power_per_gpu_w = 0;
    double batch = 0, queue = 0, busy = 0, pstate = 0, tokens_out_per_s = 0, tokens_prompt_per_s = 0;
  };
  Scalars at(double rate) const;
  // Adds the latency statistics of `requests` requests served at `rate`, each delayed by
  // shift_s (a backlog wait in front of the replica).
  void add_latency(double rate, double requests, Seconds shift_s, const SloSpec& slo, LatencyStats& out) const;

 private:
  LoadPoint measure(const Inputs& in, double rate, int point) const;
  void bracket(double rate, std::size_t& lo, std::size_t& hi, double& w) const;
  LoadPoint saturation_;
  std::vector<LoadPoint> points_;
  Watts idle_w_ = 0;
};

}  // namespace dcsim::serving
