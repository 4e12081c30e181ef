#include "serving/replica.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace dcsim::serving {

std::uint32_t RequestPool::alloc() {
  if (!free_.empty()) {
    const std::uint32_t s = free_.back();
    free_.pop_back();
    items_[s] = Request{};
    return s;
  }
  items_.emplace_back();
  return static_cast<std::uint32_t>(items_.size() - 1);
}

void RequestPool::release(std::uint32_t slot) { free_.push_back(slot); }

Replica::Replica(const ReplicaParams& p, RequestPool& pool, Seconds now)
    : p_(p), pool_(pool), phys_(*p.physics), block_(std::max(p.block_tokens, 1)) {
  blocks_cap_ = std::floor(p.kv_capacity_tokens / static_cast<double>(block_));
  class_count_.assign(static_cast<std::size_t>(block_), 0);
  const Watts idle = phys_.idle_power_w();
  energy_ = EnergyAccumulator{idle, now, 0};
  batch_ = EnergyAccumulator{0, now, 0};
  queue_ = EnergyAccumulator{0, now, 0};
  pstate_ = EnergyAccumulator{0, now, 0};
  busy_t_ = EnergyAccumulator{0, now, 0};
}

bool Replica::fits(const Request& r) const {
  return blocks_of(static_cast<double>(r.prompt) + r.output) <= blocks_cap_;
}

void Replica::set_counts(Seconds now) {
  batch_.set(now, static_cast<double>(batch()));
  queue_.set(now, static_cast<double>(waiting_.size()));
}

void Replica::enqueue(std::uint32_t slot, Seconds now, ReplicaEvents&) {
  Request& r = pool_[slot];
  r.state = RequestState::waiting;
  r.prefill_len = r.prompt + r.generated;
  r.prefilled = 0;
  waiting_.push_back(slot);
  if (!busy_) start_iteration(now);
  else queue_.set(now, static_cast<double>(waiting_.size()));
}

bool Replica::try_admit(std::uint32_t slot, double& budget, bool first) {
  Request& r = pool_[slot];
  const double len = r.prefill_len;
  if (batch() >= static_cast<std::size_t>(std::max(p_.max_batch, 1))) return false;
  if (!p_.chunked_prefill && !first && len > budget) return false;
  if (p_.chunked_prefill && budget < 1) return false;
  const int need = blocks_of(len);
  if (blocks_used_ + need > blocks_cap_) return false;
  blocks_used_ += need;
  r.state = RequestState::prefilling;
  r.prefilled = 0;
  prefilling_.push_back(slot);
  if (!p_.chunked_prefill) budget -= len;
  return true;
}

void Replica::remove_running(std::uint32_t slot) {
  Request& r = pool_[slot];
  const std::uint32_t pos = r.run_pos;
  const std::uint32_t last = running_.back();
  running_[pos] = last;
  pool_[last].run_pos = pos;
  running_.pop_back();
  const std::int64_t steps = k_dec_ - r.k0;
  const double kv = static_cast<double>(r.kv0 + steps);
  kv_sum_ -= kv;
  blocks_used_ -= blocks_of(kv);
  --class_count_[block_class(r.kv0, r.k0)];
  r.generated = static_cast<std::int32_t>(r.g0 + steps);
  ++r.epoch;
}

void Replica::enter_decode(std::uint32_t slot) {
  Request& r = pool_[slot];
  r.state = RequestState::decoding;
  r.kv0 = r.prefill_len;
  r.g0 = r.generated;
  r.k0 = k_dec_;
  r.kfin = k_dec_ + (r.output - r.generated);
  r.run_pos = static_cast<std::uint32_t>(running_.size());
  running_.push_back(slot);
  kv_sum_ += r.kv0;
  ++class_count_[block_class(r.kv0, r.k0)];
  finish_.push({r.kfin, {slot, r.epoch}});
}

void Replica::preempt_for(int need) {
  // Free blocks for `need` new blocks by preempting the latest arrivals (vLLM, recompute).
  const std::size_t cls = static_cast<std::size_t>((block_ - k_dec_ % block_) % block_);
  while (blocks_used_ + need > blocks_cap_ && !running_.empty()) {
    std::uint32_t victim = running_[0];
    for (std::uint32_t s : running_) {
      const Request& a = pool_[s];
      const Request& v = pool_[victim];
      if (a.arrival_s > v.arrival_s || (a.arrival_s == v.arrival_s && a.id > v.id)) victim = s;
    }
    Request& v = pool_[victim];
    const bool needed_block = block_class(v.kv0, v.k0) == cls;
    remove_running(victim);
    if (needed_block) --need;
    v.state = RequestState::waiting;
    v.prefill_len = v.prompt + v.generated;
    v.prefilled = 0;
    ++v.preemptions;
    ++preemptions_;
    waiting_.push_front(victim);
  }
}

void Replica::start_iteration(Seconds now) {
  plan_prefill_.clear();
  plan_decode_ = false;
  plan_decode_seqs_ = 0;
  plan_need_ = 0;
  BatchShape shape;
  double budget = std::max(p_.max_batched_tokens, 1);

  auto decode_part = [&]() {
    if (running_.empty()) return;
    const std::size_t cls = static_cast<std::size_t>((block_ - k_dec_ % block_) % block_);
    int need = static_cast<int>(class_count_[cls]);
    if (blocks_used_ + need > blocks_cap_) {
      preempt_for(need);
      need = static_cast<int>(class_count_[cls]);
    }
    if (running_.empty()) return;
    plan_decode_ = true;
    plan_need_ = need;
    plan_decode_seqs_ = static_cast<double>(running_.size());
    blocks_used_ += need;  // reserved for this step's new tokens
    shape.decode_seqs = plan_decode_seqs_;
    shape.decode_context = kv_sum_;
  };

  if (!p_.chunked_prefill) {
    bool first = true;
    while (!waiting_.empty() && try_admit(waiting_.front(), budget, first)) {
      waiting_.pop_front();
      first = false;
    }
    if (!prefilling_.empty()) {
      for (std::uint32_t s : prefilling_) {
        const Request& r = pool_[s];
        plan_prefill_.push_back({s, r.prefill_len});
        shape.add_prefill(r.prefill_len, 0);
      }
    } else {
      decode_part();
    }
  } else {
    decode_part();
    budget -= plan_decode_seqs_;
    // unfinished prefills first, then new admissions, while the budget lasts
    std::size_t i = 0;
    while (budget >= 1) {
      if (i == prefilling_.size()) {
        if (waiting_.empty() || !try_admit(waiting_.front(), budget, false)) break;
        waiting_.pop_front();
      }
      const std::uint32_t s = prefilling_[i++];
      const Request& r = pool_[s];
      const double rest = r.prefill_len - r.prefilled;
      const double chunk = std::min(rest, std::floor(budget));
      plan_prefill_.push_back({s, static_cast<std::int32_t>(chunk)});
      shape.add_prefill(chunk, r.prefilled);
      budget -= chunk;
    }
  }

  if (plan_prefill_.empty() && !plan_decode_) {
    busy_ = false;
    energy_.set(now, phys_.idle_power_w());
    pstate_.set(now, 0);
    busy_t_.set(now, 0);
    set_counts(now);
    return;
  }
  const IterationCost cost = phys_.cost(shape);
  const IterationPoint it = phys_.under_cap(cost, cap_w_, floor_pstate_);
  busy_ = true;
  iter_end_ = now + it.time_s;
  last_pstate_ = it.pstate;
  energy_.set(now, it.power_w);
  pstate_.set(now, it.pstate);
  busy_t_.set(now, 1);
  ++iterations_;
  set_counts(now);
}

void Replica::complete_iteration(ReplicaEvents& ev) {
  if (!busy_) return;
  const Seconds now = iter_end_;
  busy_ = false;
  if (plan_decode_) {
    ++k_dec_;
    kv_sum_ += plan_decode_seqs_;
    tokens_out_ += plan_decode_seqs_;
    // (the step's new blocks were reserved when it started)
    while (!finish_.empty() && finish_.top().first <= k_dec_) {
      const auto [kfin, se] = finish_.top();
      finish_.pop();
      const auto [slot, epoch] = se;
      Request& r = pool_[slot];
      if (r.epoch != epoch || r.state != RequestState::decoding) continue;  // stale
      remove_running(slot);
      r.state = RequestState::done;
      ev.on_finish(slot, now);
    }
  }
  // prefill chunks: completed prefills produce a token and start decoding
  std::size_t done_prefills = 0;
  for (const auto& [slot, chunk] : plan_prefill_) {
    Request& r = pool_[slot];
    r.prefilled += chunk;
    tokens_prompt_ += chunk;
    if (r.prefilled < r.prefill_len) continue;
    ++done_prefills;
    ++r.generated;
    tokens_out_ += 1;
    if (r.first_token_s < 0) {
      r.first_token_s = now;
      ev.on_first_token(slot, now);
    }
    if (r.generated >= r.output) {
      blocks_used_ -= blocks_of(r.prefill_len);
      r.state = RequestState::done;
      ev.on_finish(slot, now);
    } else {
      enter_decode(slot);
    }
  }
  // prefilling_ holds the admitted in order; the completed ones are at its front
  for (std::size_t i = 0; i < done_prefills; ++i) prefilling_.pop_front();
  start_iteration(now);
}

std::vector<std::uint32_t> Replica::evict_all(Seconds now) {
  std::vector<std::uint32_t> out;
  // the running iteration is abandoned: its energy so far stays counted
  busy_ = false;
  while (!running_.empty()) {
    const std::uint32_t s = running_.back();
    remove_running(s);
    out.push_back(s);
  }
  for (std::uint32_t s : prefilling_) {
    blocks_used_ -= blocks_of(pool_[s].prefill_len);
    out.push_back(s);
  }
  prefilling_.clear();
  for (std::uint32_t s : waiting_) out.push_back(s);
  waiting_.clear();
  // keep queue order roughly FCFS: oldest first
  std::sort(out.begin(), out.end(), [&](std::uint32_t a, std::uint32_t b) {
    const Request& x = pool_[a];
    const Request& y = pool_[b];
    return x.arrival_s != y.arrival_s ? x.arrival_s < y.arrival_s : x.id < y.id;
  });
  for (std::uint32_t s : out) {
    Request& r = pool_[s];
    r.state = RequestState::waiting;
    r.prefill_len = r.prompt + r.generated;
    r.prefilled = 0;
  }
  plan_prefill_.clear();
  plan_decode_ = false;
  blocks_used_ = 0;  // nothing is cached any more (a reserved decode block included)
  kv_sum_ = 0;
  std::fill(class_count_.begin(), class_count_.end(), 0);
  energy_.set(now, phys_.idle_power_w());
  pstate_.set(now, 0);
  busy_t_.set(now, 0);
  set_counts(now);
  return out;
}

}  // namespace dcsim::serving
