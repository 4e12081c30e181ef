#pragma once
// One replica of a deployment at request level: continuous (iteration-level) batching with a
// paged KV cache, as Orca (Yu et al., OSDI 2022) and vLLM (Kwon et al., SOSP 2023) run it,
// optionally with chunked prefill (Agrawal et al., Sarathi-Serve, OSDI 2024).
//
// Scheduling, at the end of every iteration (and when an idle replica receives a request):
//  - Admission (FCFS, head of line: the first request that does not fit stops it): a waiting
//    request is admitted while the batch (prefilling + decoding sequences) is below max_batch,
//    its prefill fits the iteration's token budget (max_batched_tokens; a lone prompt longer
//    than the budget is admitted on its own) and the KV blocks of its whole prefill are free.
//  - Without chunked prefill (vLLM's default scheduler): an iteration either prefills the
//    admitted requests (the running sequences wait: prefill first) or, if none can be
//    admitted, decodes one token of every running sequence.
//  - With chunked prefill (Sarathi-Serve): every iteration decodes all running sequences and
//    fills the rest of the token budget with prefill chunks (unfinished prefills first, then
//    newly admitted requests).
//  - KV cache: ceil(kv/block_tokens) blocks per sequence of kv cached tokens; a decode step
//    needs a new block for every sequence whose blocks are full. When the free blocks do not
//    suffice, the running sequence that arrived last is preempted (vLLM's policy) by
//    RECOMPUTE: its blocks are freed, it returns to the head of the queue and is later
//    prefilled again over prompt + generated tokens (vLLM's default preemption mode; swapping
//    to host memory is not modelled). A request whose prompt + output can never fit the cache
//    is rejected at arrival (vLLM refuses prompts longer than the cache).
//  - A prefill of L tokens leaves L tokens in the cache and produces one output token (the
//    first token ends the request's TTFT); every decode step adds one token to the cache and
//    produces one. TPOT = (finish − first token)/(output − 1) for output ≥ 2.
// Each iteration's time and power come from physics/llm_inference.hpp under the replica's
// per-device power cap and floor p-state; between iterations the GPUs idle (P_idle).
// Cost: O(1) per decode iteration plus O(log B) per finished sequence (sequences are tracked
// by the decode counter at which they finish, and by KV-block residue class), so the
// request-level cost is linear in requests.
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <queue>
#include <vector>

#include "core/units.hpp"
#include "physics/energy.hpp"
#include "physics/llm_inference.hpp"

namespace dcsim::serving {

enum class RequestState : std::uint8_t { waiting, prefilling, decoding, done };

// A request in flight (request level). The replica's bookkeeping lives here too.
struct Request {
  std::uint64_t id = 0;
  std::uint32_t stream = 0;
  Seconds arrival_s = 0;
  Seconds first_token_s = -1;
  std::int32_t prompt = 1;
  std::int32_t output = 1;
  std::int32_t generated = 0;    // output tokens produced (exact unless decoding)
  std::int32_t preemptions = 0;
  RequestState state = RequestState::waiting;
  // replica bookkeeping
  std::int32_t prefill_len = 0;  // tokens the pending prefill covers (prompt + generated)
  std::int32_t prefilled = 0;    // of which done (chunked prefill)
  std::int32_t kv0 = 0;          // cached tokens when decoding started
  std::int32_t g0 = 0;           // generated tokens when decoding started
  std::int64_t k0 = 0;           // the replica's decode counter when decoding started
  std::int64_t kfin = 0;         // ... and when the request finishes
  std::uint32_t run_pos = 0;     // index in the replica's decoding set
  std::uint32_t epoch = 0;       // invalidates stale finish-heap entries
};

// Slab of requests in flight, indexed by slot.
class RequestPool {
 public:
  std::uint32_t alloc();
  void release(std::uint32_t slot);
  Request& operator[](std::uint32_t s) { return items_[s]; }
  const Request& operator[](std::uint32_t s) const { return items_[s]; }
  std::size_t live() const { return items_.size() - free_.size(); }

 private:
  std::vector<Request> items_;
  std::vector<std::uint32_t> free_;
};

class ReplicaEvents {
 public:
  virtual ~ReplicaEvents() = default;
  virtual void on_first_token(std::uint32_t slot, Seconds t) = 0;
  virtual void on_finish(std::uint32_t slot, Seconds t) = 0;
};

struct ReplicaParams {
  const LlmIterationModel* physics = nullptr;
  double kv_capacity_tokens = 0;
  int block_tokens = 16;
  int max_batch = 256;
  int max_batched_tokens = 8192;
  bool chunked_prefill = false;
};

class Replica {
 public:
  Replica(const ReplicaParams& p, RequestPool& pool, Seconds now);

  void set_limits(Watts cap_w, int floor_pstate) {
    cap_w_ = cap_w;
    floor_pstate_ = floor_pstate;
  }
  // prompt + output fits the KV cache (else the request is rejected before routing).
  bool fits(const Request& r) const;
  // A routed request joins the queue; an idle replica starts an iteration at once.
  void enqueue(std::uint32_t slot, Seconds now, ReplicaEvents& ev);
  // The end of the running iteration (+inf when idle).
  Seconds next_end() const { return busy_ ? iter_end_ : std::numeric_limits<double>::infinity(); }
  // Completes the running iteration (at next_end()) and starts the next one if there is work.
  void complete_iteration(ReplicaEvents& ev);
  // Abandons every request (the replica is taken away); returns them, reset to waiting for a
  // recompute elsewhere, in queue order.
  std::vector<std::uint32_t> evict_all(Seconds now);

  std::size_t outstanding() const { return waiting_.size() + prefilling_.size() + running_.size(); }
  std::size_t batch() const { return prefilling_.size() + running_.size(); }
  std::size_t queued() const { return waiting_.size(); }
  bool idle() const { return !busy_ && outstanding() == 0; }

  // Integrals up to t: energy per GPU (J), Σ batch·dt and Σ queue·dt.
  Joules energy_at(Seconds t) const { return energy_.energy_at(t); }
  double batch_integral_at(Seconds t) const { return batch_.energy_at(t); }
  double queue_integral_at(Seconds t) const { return queue_.energy_at(t); }
  double tokens_out() const { return tokens_out_; }
  double tokens_prompt() const { return tokens_prompt_; }
  std::uint64_t iterations() const { return iterations_; }
  std::uint64_t preemptions() const { return preemptions_; }
  int last_pstate() const { return last_pstate_; }
  Watts current_power_w() const { return energy_.power_w; }
  // Time integral of the p-state index while iterating (for a mean clock).
  double pstate_time_at(Seconds t) const { return pstate_.energy_at(t); }
  double busy_time_at(Seconds t) const { return busy_t_.energy_at(t); }

 private:
  void start_iteration(Seconds now);
  bool try_admit(std::uint32_t slot, double& budget, bool first);
  void enter_decode(std::uint32_t slot);
  void remove_running(std::uint32_t slot);
  void preempt_for(int need);
  int blocks_of(double kv) const { return static_cast<int>(std::ceil(kv / static_cast<double>(block_))); }
  std::size_t block_class(std::int64_t kv0, std::int64_t k0) const {
    const std::int64_t b = block_;
    return static_cast<std::size_t>((((kv0 - k0) % b) + b) % b);
  }
  void set_counts(Seconds now);

  ReplicaParams p_;
  RequestPool& pool_;
  const LlmIterationModel& phys_;
  std::int64_t block_ = 16;
  double blocks_cap_ = 0;
  double blocks_used_ = 0;
  Watts cap_w_ = std::numeric_limits<double>::infinity();
  int floor_pstate_ = 0;

  std::deque<std::uint32_t> waiting_;
  std::deque<std::uint32_t> prefilling_;       // admitted, prefill not finished
  std::vector<std::uint32_t> running_;         // decoding
  std::vector<std::int64_t> class_count_;      // decoding sequences per KV-block residue class
  using FinishItem = std::pair<std::int64_t, std::pair<std::uint32_t, std::uint32_t>>;  // kfin, (slot, epoch)
  std::priority_queue<FinishItem, std::vector<FinishItem>, std::greater<>> finish_;
  std::int64_t k_dec_ = 0;
  double kv_sum_ = 0;  // Σ cached tokens of the decoding sequences

  // the running iteration
  bool busy_ = false;
  Seconds iter_end_ = 0;
  std::vector<std::pair<std::uint32_t, std::int32_t>> plan_prefill_;  // (slot, chunk)
  bool plan_decode_ = false;
  double plan_decode_seqs_ = 0;
  int plan_need_ = 0;

  EnergyAccumulator energy_, batch_, queue_, pstate_, busy_t_;
  double tokens_out_ = 0, tokens_prompt_ = 0;
  std::uint64_t iterations_ = 0, preemptions_ = 0;
  int last_pstate_ = 0;
};

}  // namespace dcsim::serving
