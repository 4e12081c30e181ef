// elastic-resize: the rules, parameters and sources are in elastic.hpp.
#include "policy/elastic.hpp"

#include <algorithm>
#include <tuple>

namespace dcsim {

namespace {
int total_of(const Allocation& a) {
  int t = 0;
  for (const Slice& s : a) t += s.gpus;
  return t;
}
int lo_of(const JobRequest& q) { return std::max(q.min_gpus, 1); }
int hi_of(const JobRequest& q) { return std::max(q.max_gpus > 0 ? q.max_gpus : q.gpus, q.gpus); }
}  // namespace

bool ElasticResize::eligible(const RunningJobView& r, Seconds now) const {
  if (r.request == nullptr || !r.request->elastic) return false;
  const auto it = last_resize_.find(r.request->id);
  return it == last_resize_.end() || now - it->second >= opt_.min_interval_s;
}

void ElasticResize::decide(const ClusterView& view, std::span<const Event> events,
                           std::vector<Decision>& out) {
  for (const Event& e : events) {
    if (const auto* f = std::get_if<JobFinished>(&e)) last_resize_.erase(f->job);
    if (const auto* p = std::get_if<JobPreempted>(&e)) last_resize_.erase(p->job);
  }
  bool any = false;
  for (const RunningJobView& r : view.running) any = any || (r.request && r.request->elastic);
  if (!any || view.nodes.empty()) return;
  NodeId max_id = 0;
  for (const NodeView& n : view.nodes) max_id = std::max(max_id, n.id);
  index_.assign(static_cast<std::size_t>(max_id) + 1, -1);
  free_.assign(view.nodes.size(), -1);
  for (std::size_t i = 0; i < view.nodes.size(); ++i) {
    index_[view.nodes[i].id] = static_cast<std::int32_t>(i);
    if (view.nodes[i].state == NodeState::on) free_[i] = view.nodes[i].gpus_free;
  }
  if (view.queue.empty()) {
    if (opt_.grow) grow(view, out);
  } else if (opt_.shrink) {
    shrink(view, *view.queue.front(), out);
  }
}

void ElasticResize::grow(const ClusterView& view, std::vector<Decision>& out) {
  const Seconds now = view.now_s;
  cands_.clear();
  for (std::size_t i = 0; i < view.running.size(); ++i) {
    const RunningJobView& r = view.running[i];
    if (!eligible(r, now)) continue;
    const int g = total_of(r.allocation), hi = hi_of(*r.request);
    if (g < hi) cands_.push_back(Cand{i, g, lo_of(*r.request), hi});
  }
  std::sort(cands_.begin(), cands_.end(), [&](const Cand& a, const Cand& b) {
    const RunningJobView& x = view.running[a.run];
    const RunningJobView& y = view.running[b.run];
    return std::tie(y.expected_end_s, x.request->id) < std::tie(x.expected_end_s, y.request->id);
  });
  std::vector<std::pair<std::size_t, int>> taken;  // (node index, GPUs) of the current candidate
  for (const Cand& c : cands_) {
    const RunningJobView& r = view.running[c.run];
    Allocation a = r.allocation;
    int want = c.hi - c.gpus;
    taken.clear();
    for (Slice& s : a) {
      if (want == 0) break;
      if (s.node >= index_.size() || index_[s.node] < 0) continue;
      const auto k = static_cast<std::size_t>(index_[s.node]);
      const int add = std::min(std::max(free_[k], 0), want);
      if (add <= 0) continue;
      s.gpus += add;
      want -= add;
      free_[k] -= add;
      taken.emplace_back(k, add);
    }
    for (std::size_t k = 0; k < view.nodes.size() && want >= view.gpus_per_node; ++k) {
      const NodeView& n = view.nodes[k];
      if (free_[k] <= 0 || free_[k] != n.gpus_total) continue;
      bool own = false;
      for (const Slice& s : a) own = own || s.node == n.id;
      if (own) continue;
      const int add = std::min(n.gpus_total, want);
      a.push_back(Slice{n.id, add});
      want -= add;
      free_[k] -= add;
      taken.emplace_back(k, add);
    }
    const int g2 = total_of(a);
    const Seconds left = std::max(0.0, r.expected_end_s - now);
    const bool pays = g2 > c.gpus && left * (1.0 - static_cast<double>(c.gpus) / g2) > opt_.resize_cost_s;
    if (!pays) {
      for (const auto& [k, add] : taken) free_[k] += add;  // give the GPUs back
      continue;
    }
    emit(out, ResizeJob{r.request->id, std::move(a), opt_.resize_cost_s});
    last_resize_[r.request->id] = now;
  }
}

void ElasticResize::shrink(const ClusterView& view, const JobRequest& head,
                           std::vector<Decision>& out) {
  const Seconds now = view.now_s;
  const int G = std::max(view.gpus_per_node, 1);
  const int need = head.elastic ? lo_of(head) : head.gpus;
  if (need <= 0) return;
  const std::size_t N = view.nodes.size();
  // Releasable GPUs per running job and the slices on each node.
  std::vector<int> rel(view.running.size(), 0), slices_left(view.running.size(), 0);
  std::vector<std::vector<std::pair<std::size_t, int>>> on_node(N);  // (running index, GPUs)
  for (std::size_t i = 0; i < view.running.size(); ++i) {
    const RunningJobView& r = view.running[i];
    if (eligible(r, now)) rel[i] = total_of(r.allocation) - lo_of(*r.request);
    slices_left[i] = static_cast<int>(r.allocation.size());
    for (const Slice& s : r.allocation)
      if (s.node < index_.size() && index_[s.node] >= 0)
        on_node[static_cast<std::size_t>(index_[s.node])].emplace_back(i, s.gpus);
  }
  std::vector<std::tuple<std::size_t, NodeId, int>> cut;  // (running index, node, GPUs released)
  if (need < G) {
    std::size_t best = N;
    int best_cost = 0;
    for (std::size_t k = 0; k < N; ++k) {
      if (free_[k] < 0) continue;
      if (free_[k] >= need) return;  // it fits already: the scheduler's business
      int can = 0;
      for (const auto& [i, g] : on_node[k]) can += std::min(g, rel[i]);
      const int cost = need - free_[k];
      if (can >= cost && (best == N || cost < best_cost)) best = k, best_cost = cost;
    }
    if (best == N) return;
    // Most releasable first (then running order).
    auto& js = on_node[best];
    std::stable_sort(js.begin(), js.end(), [&](const auto& a, const auto& b) {
      return std::min(a.second, rel[a.first]) > std::min(b.second, rel[b.first]);
    });
    int left = best_cost;
    for (const auto& [i, g] : js) {
      if (left == 0) break;
      const int take = std::min({g, rel[i], left});
      if (take <= 0) continue;
      cut.emplace_back(i, view.nodes[best].id, take);
      left -= take;
    }
  } else {
    int missing = (need + G - 1) / G;
    for (std::size_t k = 0; k < N; ++k)
      if (free_[k] > 0 && free_[k] == view.nodes[k].gpus_total) --missing;
    if (missing <= 0) return;
    std::vector<std::size_t> order;
    for (std::size_t k = 0; k < N; ++k)
      if (free_[k] >= 0 && free_[k] < view.nodes[k].gpus_total) order.push_back(k);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return view.nodes[a].gpus_total - free_[a] < view.nodes[b].gpus_total - free_[b];
    });
    for (std::size_t k : order) {
      if (missing == 0) break;
      bool ok = !on_node[k].empty();
      for (const auto& [i, g] : on_node[k]) ok = ok && rel[i] >= g && slices_left[i] > 1;
      if (!ok) continue;
      for (const auto& [i, g] : on_node[k]) {
        rel[i] -= g;
        --slices_left[i];
        cut.emplace_back(i, view.nodes[k].id, g);
      }
      --missing;
    }
    if (missing > 0) return;  // the head would not fit: shrink nobody
  }
  // One ResizeJob per job that gives GPUs back.
  std::stable_sort(cut.begin(), cut.end(),
                   [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
  for (std::size_t c = 0; c < cut.size();) {
    const std::size_t i = std::get<0>(cut[c]);
    Allocation a = view.running[i].allocation;
    for (; c < cut.size() && std::get<0>(cut[c]) == i; ++c) {
      for (Slice& s : a)
        if (s.node == std::get<1>(cut[c])) s.gpus -= std::get<2>(cut[c]);
    }
    a.erase(std::remove_if(a.begin(), a.end(), [](const Slice& s) { return s.gpus <= 0; }), a.end());
    const JobId id = view.running[i].request->id;
    emit(out, ResizeJob{id, std::move(a), opt_.resize_cost_s});
    last_resize_[id] = now;
  }
}

}  // namespace dcsim
