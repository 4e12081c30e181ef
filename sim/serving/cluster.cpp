#include "serving/cluster.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/error.hpp"

namespace dcsim::serving {

namespace {
constexpr Seconds kInf = std::numeric_limits<double>::infinity();
constexpr std::uint64_t kNone = ~std::uint64_t{0};
}  // namespace

// ---- stats -------------------------------------------------------------------------------------

void LatencyStats::clear() {
  arrivals = rejected = first_tokens = finished = slo_met = 0;
  ttft.clear();
  tpot.clear();
}

void LatencyStats::merge(const LatencyStats& o, double s) {
  arrivals += o.arrivals * s;
  rejected += o.rejected * s;
  first_tokens += o.first_tokens * s;
  finished += o.finished * s;
  slo_met += o.slo_met * s;
  ttft.merge(o.ttft, s);
  tpot.merge(o.tpot, s);
}

// ---- router ------------------------------------------------------------------------------------

Router::Kind Router::parse(const std::string& name) {
  if (name == "round-robin") return Kind::round_robin;
  if (name == "least-outstanding") return Kind::least_outstanding;
  throw std::invalid_argument("unknown router '" + name + "' (expected round-robin or least-outstanding)");
}

void Router::resize(std::size_t n) {
  if (n <= n_) return;
  std::vector<char> act(n, 0);
  std::copy(active_.begin(), active_.end(), act.begin());
  std::vector<std::uint64_t> old_vals;
  for (std::size_t i = 0; i < n_; ++i) old_vals.push_back(value_[size_ + i]);
  n_ = n;
  while (size_ < n_) size_ *= 2;
  active_ = std::move(act);
  value_.assign(2 * size_, kNone);
  for (std::size_t i = 0; i < old_vals.size(); ++i) value_[size_ + i] = old_vals[i];
  for (std::size_t k = size_ - 1; k >= 1; --k) value_[k] = std::min(value_[2 * k], value_[2 * k + 1]);
}

void Router::set_leaf(std::size_t i, std::uint64_t v) {
  std::size_t k = size_ + i;
  value_[k] = v;
  for (k /= 2; k >= 1; k /= 2) value_[k] = std::min(value_[2 * k], value_[2 * k + 1]);
}

void Router::set_active(std::size_t i, bool active, std::size_t outstanding) {
  if (i >= n_) resize(i + 1);
  if (static_cast<bool>(active_[i]) != active) active_n_ += active ? 1 : static_cast<std::size_t>(-1);
  active_[i] = active ? 1 : 0;
  if (kind_ == Kind::least_outstanding)
    set_leaf(i, active ? (static_cast<std::uint64_t>(outstanding) << 32) | i : kNone);
}

void Router::update(std::size_t i, std::size_t outstanding) {
  if (kind_ != Kind::least_outstanding || i >= n_ || !active_[i]) return;
  set_leaf(i, (static_cast<std::uint64_t>(outstanding) << 32) | i);
}

long Router::pick() {
  if (active_n_ == 0) return -1;
  if (kind_ == Kind::least_outstanding) return static_cast<long>(value_[1] & 0xffffffffu);
  for (std::size_t tries = 0; tries < n_; ++tries) {
    const std::size_t i = rr_next_ % n_;
    rr_next_ = i + 1;
    if (active_[i]) return static_cast<long>(i);
  }
  return -1;
}

const char* to_string(ReplicaState s) {
  switch (s) {
    case ReplicaState::loading: return "loading";
    case ReplicaState::ready: return "ready";
    case ReplicaState::draining: return "draining";
    case ReplicaState::parked: return "parked";
    case ReplicaState::released: return "released";
  }
  return "?";
}

// ---- cluster -----------------------------------------------------------------------------------

Cluster::Cluster(Router::Kind router, std::vector<StreamSource> streams, Options o)
    : router_(router), streams_(std::move(streams)), o_(o) {}

std::size_t Cluster::add_replica(std::uint64_t id, const ReplicaParams& p, Seconds now, Seconds ready_at) {
  Rep r;
  r.id = id;
  r.sim = std::make_unique<Replica>(p, pool_, now);
  r.ready_at = ready_at;
  r.since = now;
  r.state = ready_at <= now ? ReplicaState::ready : ReplicaState::loading;
  reps_.push_back(std::move(r));
  scheduled_.push_back(kInf);
  const std::size_t i = reps_.size() - 1;
  router_.resize(reps_.size());
  if (reps_[i].state == ReplicaState::ready) {
    router_.set_active(i, true, 0);
    dispatch_pending(now);
    if (backlog_) {
      top_up(i, now);
      after_change(i);
    }
  } else {
    loading_.push_back(i);
  }
  return i;
}

void Cluster::drain(std::size_t i, Seconds now, ReplicaState idle_state) {
  Rep& r = reps_[i];
  if (r.state == ReplicaState::released || r.state == ReplicaState::parked) return;
  r.after_drain = idle_state;
  if (r.state == ReplicaState::loading) {
    loading_.erase(std::remove(loading_.begin(), loading_.end(), i), loading_.end());
  }
  router_.set_active(i, false, 0);
  r.state = ReplicaState::draining;
  r.since = now;
  check_drained(i, now);
}

void Cluster::unpark(std::size_t i, Seconds now) {
  Rep& r = reps_[i];
  if (r.state != ReplicaState::parked && r.state != ReplicaState::draining) return;
  r.state = ReplicaState::ready;
  r.since = now;
  router_.set_active(i, true, r.sim->outstanding());
  dispatch_pending(now);
}

void Cluster::remove(std::size_t i, Seconds now) {
  Rep& r = reps_[i];
  if (r.state == ReplicaState::released) return;
  router_.set_active(i, false, 0);
  loading_.erase(std::remove(loading_.begin(), loading_.end(), i), loading_.end());
  const auto evicted = r.sim->evict_all(now);
  r.state = ReplicaState::released;
  r.since = now;
  scheduled_[i] = kInf;
  for (std::uint32_t s : evicted) route(s, now);
}

void Cluster::set_limits(std::size_t i, Watts cap_w, int floor_pstate) {
  reps_[i].sim->set_limits(cap_w, floor_pstate);
}

std::size_t Cluster::waiting() const {
  std::size_t n = pending_.size();
  for (const Rep& r : reps_) n += r.sim->queued();
  return n;
}

std::size_t Cluster::outstanding() const {
  std::size_t n = pending_.size();
  for (const Rep& r : reps_) n += r.sim->outstanding();
  return n;
}

double Cluster::tokens_out() const {
  double n = 0;
  for (const Rep& r : reps_) n += r.sim->tokens_out();
  return n;
}

std::vector<std::size_t> Cluster::take_state_changes() {
  std::vector<std::size_t> out;
  out.swap(changes_);
  return out;
}

void Cluster::after_change(std::size_t i) {
  Rep& r = reps_[i];
  if (r.state == ReplicaState::ready) router_.update(i, r.sim->outstanding());
  const Seconds e = r.sim->next_end();
  if (e != scheduled_[i]) {
    scheduled_[i] = e;
    if (std::isfinite(e)) events_.push({e, i});
  }
}

void Cluster::check_drained(std::size_t i, Seconds t) {
  Rep& r = reps_[i];
  if (r.state != ReplicaState::draining || !r.sim->idle()) return;
  r.state = r.after_drain;
  r.since = t;
  changes_.push_back(i);
}

void Cluster::dispatch_pending(Seconds t) {
  while (!pending_.empty()) {
    const long pick = router_.pick();
    if (pick < 0 || reps_[static_cast<std::size_t>(pick)].sim->queued() >= o_.max_waiting_per_replica) break;
    const std::uint32_t s = pending_.front();
    pending_.pop_front();
    deliver(s, static_cast<std::size_t>(pick), t);
  }
  pending_changed(t);
}

void Cluster::route(std::uint32_t slot, Seconds t) {
  const long pick = pending_.empty() ? router_.pick() : -1;  // FIFO behind the deployment's queue
  if (pick < 0 || reps_[static_cast<std::size_t>(pick)].sim->queued() >= o_.max_waiting_per_replica) {
    pending_.push_back(slot);
    pending_changed(t);
    return;
  }
  deliver(slot, static_cast<std::size_t>(pick), t);
}

void Cluster::deliver(std::uint32_t slot, std::size_t i, Seconds t) {
  Request& r = pool_[slot];
  if (!reps_[i].sim->fits(r)) {
    if (counted(r)) {
      stats_.rejected += 1;
      if (o_.records) {
        RequestRecord rec;
        rec.id = r.id;
        rec.deployment = o_.deployment;
        rec.stream = r.stream;
        rec.replica = reps_[i].id;
        rec.arrival_s = r.arrival_s;
        rec.first_token_s = rec.finish_s = t;
        rec.prompt_tokens = r.prompt;
        rec.output_tokens = r.output;
        rec.rejected = true;
        o_.records->push_back(rec);
      }
    }
    pool_.release(slot);
    return;
  }
  reps_[i].sim->enqueue(slot, t, *this);
  after_change(i);
}

void Cluster::arrive(const Arrival& a, std::uint32_t stream, Seconds t) {
  const std::uint32_t slot = pool_.alloc();
  Request& r = pool_[slot];
  r.id = next_id_++;
  r.stream = stream;
  r.arrival_s = t;
  r.prompt = a.prompt;
  r.output = a.output;
  if (counted(r)) stats_.arrivals += 1;
  route(slot, t);
}

void Cluster::on_first_token(std::uint32_t slot, Seconds t) {
  const Request& r = pool_[slot];
  if (!counted(r)) return;
  stats_.first_tokens += 1;
  stats_.ttft.add(t - r.arrival_s);
}

void Cluster::on_finish(std::uint32_t slot, Seconds t) {
  const Request& r = pool_[slot];
  if (counted(r)) {
    stats_.finished += 1;
    const Seconds ttft = r.first_token_s - r.arrival_s;
    const Seconds tpot = r.output > 1 ? (t - r.first_token_s) / (r.output - 1) : 0.0;
    if (r.output > 1) stats_.tpot.add(tpot);
    const bool ok = (o_.slo.ttft_s <= 0 || ttft <= o_.slo.ttft_s) &&
                    (o_.slo.tpot_s <= 0 || r.output <= 1 || tpot <= o_.slo.tpot_s);
    if (ok) stats_.slo_met += 1;
    if (o_.records) {
      RequestRecord rec;
      rec.id = r.id;
      rec.deployment = o_.deployment;
      rec.stream = r.stream;
      rec.replica = reps_[current_].id;
      rec.arrival_s = r.arrival_s;
      rec.first_token_s = r.first_token_s;
      rec.finish_s = t;
      rec.prompt_tokens = r.prompt;
      rec.output_tokens = r.output;
      rec.preemptions = r.preemptions;
      o_.records->push_back(rec);
    }
  }
  pool_.release(slot);
}

void Cluster::top_up(std::size_t i, Seconds t) {
  // Keeps the replica's queue topped up: it never runs out of waiting requests.
  if (reps_[i].state != ReplicaState::ready || streams_.empty()) return;
  const std::size_t want = std::max<std::size_t>(8, reps_[i].sim->batch() / 2 + 4);
  for (int tries = 0; reps_[i].sim->queued() < want && tries < 1000; ++tries) {
    std::size_t s = 0;
    for (std::size_t k = 1; k < streams_.size(); ++k)
      if (streams_[k].next_time() < streams_[s].next_time()) s = k;
    const Arrival a = streams_[s].pop();
    const std::uint32_t slot = pool_.alloc();
    Request& q = pool_[slot];
    q.id = next_id_++;
    q.stream = static_cast<std::uint32_t>(s);
    q.arrival_s = t;
    q.prompt = a.prompt;
    q.output = a.output;
    if (!reps_[i].sim->fits(q)) {
      pool_.release(slot);
      continue;
    }
    if (counted(q)) stats_.arrivals += 1;
    reps_[i].sim->enqueue(slot, t, *this);
  }
}

void Cluster::run_until(Seconds t_end) {
  while (true) {
    // the earliest of: a stream's next arrival, a replica's iteration end, a replica ready
    Seconds ta = kInf;
    std::size_t sa = 0;
    if (!backlog_) {
      for (std::size_t s = 0; s < streams_.size(); ++s) {
        const Seconds x = streams_[s].next_time();
        if (x < ta) {
          ta = x;
          sa = s;
        }
      }
    }
    while (!events_.empty() && events_.top().first != scheduled_[events_.top().second]) events_.pop();
    const Seconds tr = events_.empty() ? kInf : events_.top().first;
    Seconds tl = kInf;
    std::size_t li = 0;
    for (std::size_t k = 0; k < loading_.size(); ++k) {
      if (reps_[loading_[k]].ready_at < tl) {
        tl = reps_[loading_[k]].ready_at;
        li = k;
      }
    }
    const Seconds t = std::min({ta, tr, tl});
    if (!(t < t_end)) break;
    now_ = t;
    if (tl <= t && tl <= tr && tl <= ta) {
      const std::size_t i = loading_[li];
      loading_.erase(loading_.begin() + static_cast<long>(li));
      Rep& r = reps_[i];
      r.state = ReplicaState::ready;
      r.since = t;
      changes_.push_back(i);
      router_.set_active(i, true, r.sim->outstanding());
      dispatch_pending(t);
      if (backlog_) {
        top_up(i, t);
        after_change(i);
      }
    } else if (tr <= ta) {
      const std::size_t i = events_.top().second;
      events_.pop();
      scheduled_[i] = kInf;
      current_ = i;
      reps_[i].sim->complete_iteration(*this);
      if (backlog_) top_up(i, t);
      after_change(i);
      if (!pending_.empty()) dispatch_pending(t);
      check_drained(i, t);
    } else {
      const Arrival a = streams_[sa].pop();
      arrive(a, static_cast<std::uint32_t>(sa), t);
    }
  }
  now_ = std::max(now_, t_end);
}

}  // namespace dcsim::serving
