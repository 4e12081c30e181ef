// List schedulers (fcfs, easy-backfill, priority-deadline): equations, rules and complexity are
// documented in scheduler.hpp and sim/policy/README.md.
#include "policy/scheduler.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "core/error.hpp"

namespace dcsim {

namespace {
constexpr Seconds kInf = std::numeric_limits<Seconds>::infinity();
}

// ---- FreeMap ----------------------------------------------------------------------------------

void FreeMap::reset(std::span<const int> totals, int max_total) {
  totals_ = totals;
  v_.assign(totals.size(), 0);
  hist_.assign(static_cast<std::size_t>(max_total) + 1, 0);
  hist_[0] = static_cast<int>(totals.size());
  members_.resize(static_cast<std::size_t>(max_total) + 1);
  for (auto& m : members_) m.clear();
  pos_.resize(totals.size());
  for (std::size_t i = 0; i < totals.size(); ++i) {
    pos_[i] = static_cast<std::uint32_t>(i);
    members_[0].push_back(static_cast<std::uint32_t>(i));
  }
  whole_ = 0;
  sum_ = 0;
}

int FreeMap::smallest_fitting(int g) const {
  for (std::size_t k = static_cast<std::size_t>(std::max(g, 0)); k < hist_.size(); ++k)
    if (hist_[k] > 0) return static_cast<int>(k);
  return -1;
}

int FreeMap::max_single() const {
  for (std::size_t k = hist_.size(); k-- > 0;)
    if (hist_[k] > 0) return static_cast<int>(k);
  return 0;
}

bool FreeMap::fits_single(int g) const { return smallest_fitting(g) >= 0; }

// ---- ListScheduler ----------------------------------------------------------------------------

ListScheduler::ListScheduler(SchedulerOptions opt) : opt_(std::move(opt)) {}

bool ListScheduler::admitted(const JobRequest& j) const {
  for (const JobGate* g : gates_)
    if (!g->admits(j)) return false;
  return true;
}

bool ListScheduler::index_nodes(const ClusterView& view) {
  const auto& nodes = view.nodes;
  const std::size_t n = nodes.size();
  // The engine's views carry a topology version: unchanged means the index is still right.
  const std::uint64_t version = view.summary.valid ? view.summary.topology_version : 0;
  if (version != 0 && version == topology_version_ && node_ids_.size() == n) return true;
  topology_version_ = version;
  // Otherwise one branch-free pass over flat copies of what the index was built from.
  bool same = node_ids_.size() == n;
  if (same) {
    std::uint32_t diff = 0;
    for (std::size_t i = 0; i < n; ++i)
      diff |= (node_ids_[i] ^ nodes[i].id) | (static_cast<std::uint32_t>(totals_[i] ^ nodes[i].gpus_total)) |
              (rack_raw_[i] ^ nodes[i].rack) | (cd_raw_[i] ^ nodes[i].cooling_domain);
    same = diff == 0;
  }
  if (!same) {
    node_ids_.resize(n);
    totals_.resize(n);
    rack_of_.resize(n);
    cd_of_.resize(n);
    rack_raw_.resize(n);
    cd_raw_.resize(n);
    NodeId max_id = 0;
    max_total_ = 0;
    rack_key_.clear();
    cd_key_.clear();
    for (std::size_t i = 0; i < n; ++i) {
      node_ids_[i] = nodes[i].id;
      totals_[i] = std::max(nodes[i].gpus_total, 0);
      rack_raw_[i] = nodes[i].rack;
      cd_raw_[i] = nodes[i].cooling_domain;
      max_total_ = std::max(max_total_, totals_[i]);
      max_id = std::max(max_id, nodes[i].id);
      rack_key_.push_back(nodes[i].rack);
      cd_key_.push_back(nodes[i].cooling_domain);
    }
    if (n > 0 && static_cast<std::size_t>(max_id) > 64 * n + 4096)
      throw InvariantError("scheduler: node ids are expected to be dense (0..N-1)");
    index_of_.assign(n ? static_cast<std::size_t>(max_id) + 1 : 0, -1);
    for (std::size_t i = 0; i < n; ++i) index_of_[nodes[i].id] = static_cast<std::int32_t>(i);
    std::sort(rack_key_.begin(), rack_key_.end());
    rack_key_.erase(std::unique(rack_key_.begin(), rack_key_.end()), rack_key_.end());
    std::sort(cd_key_.begin(), cd_key_.end());
    cd_key_.erase(std::unique(cd_key_.begin(), cd_key_.end()), cd_key_.end());
    for (std::size_t i = 0; i < n; ++i) {
      rack_of_[i] = static_cast<std::uint32_t>(
          std::lower_bound(rack_key_.begin(), rack_key_.end(), nodes[i].rack) - rack_key_.begin());
      cd_of_[i] = static_cast<std::uint32_t>(
          std::lower_bound(cd_key_.begin(), cd_key_.end(), nodes[i].cooling_domain) -
          cd_key_.begin());
    }
    picked_.assign(n, 0);
  }
  whole_capable_nodes_ = 0;
  homogeneous_ = true;
  for (int t : totals_) {
    if (t >= gpn_) ++whole_capable_nodes_;
    homogeneous_ = homogeneous_ && t == max_total_;
  }
  return same;
}

bool ListScheduler::never_fits(const JobRequest& j) const {
  if (j.gpus <= 0) return true;
  if (j.gpus < gpn_) return j.gpus > max_total_;
  return (j.gpus + gpn_ - 1) / gpn_ > whole_capable_nodes_;
}

void ListScheduler::add_busy(std::size_t i, int gpus) {
  rack_busy_[rack_of_[i]] += gpus;
  cd_busy_[cd_of_[i]] += gpus;
}

int ListScheduler::shrink_to_fit(const JobRequest& j) const {
  if (!opt_.elastic || !j.elastic || j.min_gpus <= 0 || j.min_gpus >= j.gpus) return 0;
  if (j.gpus >= gpn_) {
    const int whole = std::min(free_now_.whole_nodes(), (j.gpus + gpn_ - 1) / gpn_ - 1);
    const int g = std::min(whole * gpn_, j.gpus);
    if (whole > 0 && g >= j.min_gpus) return g;
  }
  const int single = std::min({free_now_.max_single(), j.gpus - 1, gpn_ - 1});
  return single >= j.min_gpus ? single : 0;
}

bool ListScheduler::place(int g, const FreeMap& map, Allocation& alloc, bool prefer_busy_now) {
  alloc.clear();
  const std::size_t n = map.size();
  const bool pack = opt_.placement == Placement::pack;
  // Strict orders over candidate nodes (first, with prefer_busy_now, the fewest GPUs free now),
  // the node index breaking ties, so the choice does not depend on the visiting order.
  if (g < gpn_) {
    const int smallest = map.smallest_fitting(g);
    if (smallest < 0) return false;
    const auto better = [&](std::size_t i, std::size_t best) {
      if (prefer_busy_now && free_now_.get(i) != free_now_.get(best))
        return free_now_.get(i) < free_now_.get(best);
      const int v = map.get(i), bv = map.get(best);
      const int cd = cd_busy_[cd_of_[i]], bcd = cd_busy_[cd_of_[best]];
      const int rk = rack_busy_[rack_of_[i]], brk = rack_busy_[rack_of_[best]];
      if (pack) {
        if (v != bv) return v < bv;
        if (cd != bcd) return cd > bcd;
        if (rk != brk) return rk > brk;
      } else {
        if (cd != bcd) return cd < bcd;
        if (rk != brk) return rk < brk;
        if (v != bv) return v > bv;
      }
      return i < best;
    };
    std::size_t best = n;
    const auto consider = [&](std::size_t i) {
      if (best == n || better(i, best)) best = i;
    };
    if (pack && !prefer_busy_now) {
      // Best fit: only the nodes with the smallest fitting free count can win.
      for (std::uint32_t i : map.with_free(smallest)) consider(i);
    } else {
      for (std::size_t i = 0; i < n; ++i)
        if (map.get(i) >= g) consider(i);
    }
    alloc.push_back(Slice{static_cast<NodeId>(best), g});
    return true;
  }
  const int need = (g + gpn_ - 1) / gpn_;
  if (map.whole_nodes() < need) return false;
  // Whole nodes, collected once (on a homogeneous site: the nodes with every GPU free).
  whole_cands_.clear();
  if (homogeneous_) {
    for (std::uint32_t i : map.with_free(max_total_))
      if (map.whole(i)) whole_cands_.push_back(i);
  } else {
    for (std::size_t i = 0; i < n; ++i)
      if (map.whole(i)) whole_cands_.push_back(static_cast<std::uint32_t>(i));
  }
  const auto better = [&](std::size_t i, std::size_t best) {
    if (prefer_busy_now && free_now_.get(i) != free_now_.get(best))
      return free_now_.get(i) < free_now_.get(best);
    const int cd = cd_busy_[cd_of_[i]], bcd = cd_busy_[cd_of_[best]];
    const int rk = rack_busy_[rack_of_[i]], brk = rack_busy_[rack_of_[best]];
    if (cd != bcd) return pack ? cd > bcd : cd < bcd;
    if (rk != brk) return pack ? rk > brk : rk < brk;
    return i < best;
  };
  for (int k = 0; k < need; ++k) {
    std::size_t best = n;
    for (std::uint32_t i : whole_cands_) {
      if (picked_[i]) continue;
      if (best == n || better(i, best)) best = i;
    }
    picked_[best] = 1;
    add_busy(best, totals_[best]);  // so the next pick sees this one (reverted below)
    alloc.push_back(Slice{static_cast<NodeId>(best), totals_[best]});
  }
  for (const Slice& s : alloc) {
    picked_[s.node] = 0;
    add_busy(s.node, -s.gpus);
  }
  return true;
}

void ListScheduler::start(const JobRequest& j, int gpus_chosen, std::vector<Decision>& out) {
  Allocation by_id;
  by_id.reserve(alloc_.size());
  for (const Slice& s : alloc_) by_id.push_back(Slice{node_ids_[s.node], s.gpus});
  const Seconds end = j.walltime_estimate_s > 0 ? now_ + j.walltime_estimate_s : kInf;
  out.emplace_back(std::in_place_type<StartJob>, StartJob{j.id, std::move(by_id), gpus_chosen});
  started_.emplace_back(out.size() - 1, end);
}

bool ListScheduler::reserve_head(const ClusterView& view, const JobRequest& head,
                                 const std::vector<Decision>& out, Seconds& shadow_s) {
  releases_.clear();
  for (const RunningJobView& r : view.running)
    releases_.push_back(Release{std::max(r.expected_end_s, now_), &r.allocation});
  for (const auto& [k, end] : started_)
    if (end < kInf) releases_.push_back(Release{end, &std::get<StartJob>(out[k]).allocation});
  // Releases in order of expected end (ties: running jobs in view order, then this round's
  // starts), taken from a min-heap only until the head fits: O(R + k log R) for k releases.
  for (std::size_t k = 0; k < releases_.size(); ++k) releases_[k].seq = static_cast<std::uint32_t>(k);
  const auto later = [](const Release& a, const Release& b) {
    return a.end != b.end ? a.end > b.end : a.seq > b.seq;
  };
  std::make_heap(releases_.begin(), releases_.end(), later);

  // GPUs free at the shadow time: those free now plus the releases; only the nodes the releases
  // touch (and the head's reservation) differ from free_now_, so the maps are copied and patched.
  shadow_avail_ = free_now_.values();
  int whole = free_now_.whole_nodes(), max_free = free_now_.max_single();
  touched_flag_.resize(totals_.size(), 0);
  touched_.clear();
  const auto touch = [&](std::size_t i) {
    if (!touched_flag_[i]) {
      touched_flag_[i] = 1;
      touched_.push_back(static_cast<std::uint32_t>(i));
    }
  };
  const bool small = head.gpus < gpn_;
  const int need = small ? head.gpus : (head.gpus + gpn_ - 1) / gpn_;
  bool found = false;
  for (auto heap_end = releases_.end(); heap_end != releases_.begin();) {
    std::pop_heap(releases_.begin(), heap_end, later);
    --heap_end;
    const Release& rel = *heap_end;
    for (const Slice& s : *rel.alloc) {
      if (s.node >= index_of_.size() || index_of_[s.node] < 0) continue;
      const auto i = static_cast<std::size_t>(index_of_[s.node]);
      if (view.nodes[i].state != NodeState::on) continue;
      const bool was_whole = totals_[i] > 0 && shadow_avail_[i] == totals_[i];
      touch(i);
      shadow_avail_[i] = std::min(totals_[i], shadow_avail_[i] + s.gpus);
      if (!was_whole && totals_[i] > 0 && shadow_avail_[i] == totals_[i]) ++whole;
      max_free = std::max(max_free, shadow_avail_[i]);
    }
    if (small ? max_free >= need : whole >= need) {
      shadow_s = rel.end;
      found = true;
      break;
    }
  }
  const auto untouch = [&] {
    for (std::uint32_t i : touched_) touched_flag_[i] = 0;
  };
  if (!found) {
    untouch();
    return false;
  }
  // Place the head on paper at the shadow time, then derive what long backfill jobs may use:
  // avail_long = min(free now, free at the shadow time − the head's reservation), per node.
  avail_long_ = free_now_;
  for (std::uint32_t i : touched_) avail_long_.set(i, shadow_avail_[i]);
  if (!place(head.gpus, avail_long_, reservation_, /*prefer_busy_now=*/true)) {
    untouch();
    return false;  // cannot happen: checked above
  }
  for (const Slice& s : reservation_) {
    shadow_avail_[s.node] -= s.gpus;
    touch(s.node);
  }
  for (std::uint32_t i : touched_)
    avail_long_.set(i, std::max(0, std::min(free_now_.get(i), shadow_avail_[i])));
  untouch();
  return true;
}

void ListScheduler::try_preempt(const ClusterView& view, const JobRequest& head, Seconds shadow_s,
                                std::vector<Decision>& out) {
  if (!pending_preempt_.empty() || !head.deadline_s) return;
  const Seconds est = std::max(head.walltime_estimate_s, 0.0);
  if (shadow_s + est <= *head.deadline_s) return;  // waiting still meets the deadline
  victims_.clear();
  for (std::size_t r = 0; r < view.running.size(); ++r) {
    const RunningJobView& rv = view.running[r];
    const JobRequest* q = rv.request;
    if (q == nullptr || !q->preemptible || q->priority > head.priority) continue;
    if (q->deadline_s && *q->deadline_s <= *head.deadline_s) continue;
    if (now_ - rv.start_s < opt_.preempt_min_run_s) continue;
    if (rv.expected_end_s - now_ <= opt_.checkpoint_restart_s) continue;
    victims_.push_back(static_cast<std::uint32_t>(r));
  }
  std::stable_sort(victims_.begin(), victims_.end(), [&](std::uint32_t a, std::uint32_t b) {
    const RunningJobView& x = view.running[a];
    const RunningJobView& y = view.running[b];
    if (x.request->priority != y.request->priority)
      return x.request->priority < y.request->priority;
    return x.start_s > y.start_s;
  });
  scratch_map_.reset(totals_, max_total_);
  for (std::size_t i = 0; i < totals_.size(); ++i) scratch_map_.set(i, free_now_.get(i));
  Allocation tmp;
  for (std::size_t k = 0; k < victims_.size(); ++k) {
    for (const Slice& s : view.running[victims_[k]].allocation) {
      if (s.node >= index_of_.size() || index_of_[s.node] < 0) continue;
      const auto i = static_cast<std::size_t>(index_of_[s.node]);
      scratch_map_.set(i, std::min(totals_[i], scratch_map_.get(i) + s.gpus));
    }
    if (place(head.gpus, scratch_map_, tmp)) {
      for (std::size_t m = 0; m <= k; ++m) {
        const JobId id = view.running[victims_[m]].request->id;
        out.emplace_back(std::in_place_type<PreemptJob>, PreemptJob{id});
        pending_preempt_.push_back(id);
      }
      return;
    }
  }
}

void ListScheduler::sync_queue(std::span<const JobRequest* const> queue) {
  // Match the previous queue against this one in order, by address: matched jobs keep their
  // cached fields (and their place in the deadline order) at their new position; the rest (the
  // tail from the first unmatched job on) is read from the requests. A job inserted in the
  // middle only makes the jobs after it count as new, which costs time, not correctness.
  const std::size_t q = queue.size();
  if (qc_ptr_.size() == q && std::equal(queue.begin(), queue.end(), qc_ptr_.begin())) {
    queue_same_ = true;
    return;
  }
  queue_same_ = false;
  std::size_t k = 0;
  newpos_.assign(qc_ptr_.size(), -1);
  for (std::size_t i = 0; i < qc_ptr_.size() && k < q; ++i)
    if (queue[k] == qc_ptr_[i]) newpos_[i] = static_cast<std::int32_t>(k++);
  tail_ = k;
  nq_.resize(q);
  for (std::size_t i = 0; i < newpos_.size(); ++i)
    if (newpos_[i] >= 0) nq_[static_cast<std::size_t>(newpos_[i])] = qc_[i];
  for (std::size_t t = k; t < q; ++t)
    nq_[t] = Cached{queue[t]->gpus, queue[t]->walltime_estimate_s};
  qc_.swap(nq_);
  qc_ptr_.assign(queue.begin(), queue.end());
}

void ListScheduler::order_by_deadline(std::span<const JobRequest* const> queue) {
  const auto less = [](const OrderKey& a, const OrderKey& b) {
    if (a.deadline != b.deadline) return a.deadline < b.deadline;
    if (a.neg_priority != b.neg_priority) return a.neg_priority < b.neg_priority;
    if (a.submit != b.submit) return a.submit < b.submit;
    return a.id < b.id;
  };
  if (queue_same_ && keys_.size() == queue.size()) return;
  std::size_t kept = 0;
  for (const OrderKey& e : keys_) {
    const std::int32_t np = e.pos < newpos_.size() ? newpos_[e.pos] : -1;
    if (np < 0) continue;
    keys_[kept] = e;
    keys_[kept].pos = static_cast<std::uint32_t>(np);
    ++kept;
  }
  keys_.resize(kept);
  fresh_.clear();
  for (std::size_t t = tail_; t < queue.size(); ++t) {
    const JobRequest& j = *queue[t];
    fresh_.push_back(OrderKey{j.deadline_s ? *j.deadline_s : kInf, -j.priority, j.submit_s, j.id,
                              static_cast<std::uint32_t>(t)});
  }
  std::sort(fresh_.begin(), fresh_.end(), less);
  merged_.resize(keys_.size() + fresh_.size());
  std::merge(keys_.begin(), keys_.end(), fresh_.begin(), fresh_.end(), merged_.begin(), less);
  keys_.swap(merged_);
}

void ListScheduler::set_node(std::size_t i, const NodeView& v) {
  if (on_[i]) add_busy(i, -(totals_[i] - free_now_.get(i)));
  on_[i] = v.state == NodeState::on;
  const int f = on_[i] ? std::clamp(v.gpus_free, 0, totals_[i]) : 0;
  free_now_.set(i, f);
  if (on_[i]) add_busy(i, totals_[i] - f);
}

void ListScheduler::sync_nodes(const ClusterView& view) {
  const bool same_index = index_nodes(view);
  const bool incremental = same_index && view.summary.valid && synced_round_ != 0 &&
                           view.round == synced_round_ + 1;
  synced_round_ = view.summary.valid ? view.round : 0;
  if (incremental) {
    for (std::uint32_t i : view.changed_nodes) set_node(i, view.nodes[i]);
    return;
  }
  const std::size_t n = totals_.size();
  free_now_.reset(totals_, max_total_);
  rack_busy_.assign(rack_key_.size(), 0);
  cd_busy_.assign(cd_key_.size(), 0);
  on_.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) set_node(i, view.nodes[i]);
}

bool ListScheduler::fits(const FreeMap& map, int gpus) const {
  return gpus < gpn_ ? map.fits_single(gpus) : map.whole_nodes() >= (gpus + gpn_ - 1) / gpn_;
}

bool ListScheduler::any_fits_after(std::size_t k, bool sorted, std::size_t q) const {
  for (std::size_t m = k + 1; m < q; ++m) {
    const Cached c = qc_[sorted ? keys_[m].pos : m];
    if (fits(free_now_, c.gpus)) return true;
  }
  return false;
}

void ListScheduler::decide(const ClusterView& view, std::span<const Event> events,
                           std::vector<Decision>& out) {
  now_ = view.now_s;
  gpn_ = view.gpus_per_node > 0 ? view.gpus_per_node : 8;
  if (!pending_preempt_.empty()) {
    for (const Event& e : events) {
      JobId done = 0;
      bool match = false;
      if (const auto* p = std::get_if<JobPreempted>(&e)) done = p->job, match = true;
      if (const auto* f = std::get_if<JobFinished>(&e)) done = f->job, match = true;
      if (match) std::erase(pending_preempt_, done);
    }
  }
  sync_nodes(view);
  const auto& queue = view.queue;
  if (queue.empty()) return;
  started_.clear();
  // Nothing can start and nothing may be preempted: skip the queue scan (the common case of a
  // full cluster with a long queue). Oversized jobs are rejected when a later round scans.
  if (free_now_.total_free() == 0 && !opt_.preemption) return;

  const std::size_t q = queue.size();
  const bool sorted = opt_.order == QueueOrder::deadline;
  if (sorted || opt_.backfill == Backfill::easy) sync_queue(queue);
  if (sorted) order_by_deadline(queue);

  bool blocked = false;
  bool reserved = false;
  Seconds shadow = kInf;
  for (std::size_t k = 0; k < q; ++k) {
    const std::size_t pos = sorted ? keys_[k].pos : k;
    if (blocked) {
      // Backfilling: reject cheaply from the cached size and estimate before reading the job.
      if (free_now_.total_free() == 0) break;
      const Cached c = qc_[pos];
      const bool short_job = c.estimate_s > 0 && now_ + c.estimate_s <= shadow;
      const FreeMap& m = !reserved || short_job ? free_now_ : avail_long_;
      if (!fits(m, c.gpus)) continue;
    }
    const JobRequest& j = *queue[pos];
    if (!admitted(j)) continue;
    if (never_fits(j)) {
      out.emplace_back(std::in_place_type<RejectJob>,
                       RejectJob{j.id, j.gpus <= 0 ? "expected a job of at least 1 GPU, got " +
                                                         std::to_string(j.gpus)
                                                   : "job of " + std::to_string(j.gpus) +
                                                         " GPUs cannot fit on this site"});
      continue;
    }
    if (!blocked) {
      int chosen = 0;  // 0 = as requested
      bool ok = place(j.gpus, free_now_, alloc_);
      if (!ok) {
        chosen = shrink_to_fit(j);
        ok = chosen > 0 && place(chosen, free_now_, alloc_);
      }
      if (ok) {
        for (const Slice& s : alloc_) {
          free_now_.set(s.node, free_now_.get(s.node) - s.gpus);
          add_busy(s.node, s.gpus);
        }
        start(j, chosen, out);
        continue;
      }
      blocked = true;
      if (opt_.backfill == Backfill::none && !opt_.preemption) break;
      // If no later job fits the GPUs free now, none can be backfilled (what long jobs may use
      // is a subset of them): skip the reservation.
      if (!opt_.preemption && !any_fits_after(k, sorted, q)) break;
      reserved = reserve_head(view, j, out, shadow);
      if (opt_.preemption) try_preempt(view, j, reserved ? shadow : kInf, out);
      if (opt_.backfill == Backfill::none) break;
      continue;
    }
    // Backfilling behind a blocked head.
    if (free_now_.total_free() == 0) break;
    const Seconds est = j.walltime_estimate_s;
    const bool ends_before_shadow = est > 0 && now_ + est <= shadow;
    if (!reserved || ends_before_shadow) {
      if (!place(j.gpus, free_now_, alloc_)) continue;
      for (const Slice& s : alloc_) {
        free_now_.set(s.node, free_now_.get(s.node) - s.gpus);
        add_busy(s.node, s.gpus);
        if (reserved)
          avail_long_.set(s.node,
                          std::max(0, std::min(free_now_.get(s.node), shadow_avail_[s.node])));
      }
    } else {
      if (!place(j.gpus, avail_long_, alloc_)) continue;
      for (const Slice& s : alloc_) {
        free_now_.set(s.node, free_now_.get(s.node) - s.gpus);
        shadow_avail_[s.node] -= s.gpus;
        add_busy(s.node, s.gpus);
        avail_long_.set(s.node,
                        std::max(0, std::min(free_now_.get(s.node), shadow_avail_[s.node])));
      }
    }
    start(j, 0, out);
  }
}

}  // namespace dcsim
