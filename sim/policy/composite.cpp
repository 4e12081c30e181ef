// CompositePolicy: scheduler + energy policies; the order of a round is documented in
// composite.hpp and sim/policy/README.md.
#include "policy/composite.hpp"

#include <algorithm>

namespace dcsim {

CompositePolicy::CompositePolicy(std::unique_ptr<Policy> scheduler,
                                 std::vector<std::unique_ptr<Policy>> energy)
    : scheduler_(std::move(scheduler)), energy_(std::move(energy)) {
  for (auto& p : energy_)
    if (JobGate* g = p->job_gate()) gates_.push_back(g);
  if (scheduler_) scheduler_->set_job_gates(gates_);
}

const ClusterView& CompositePolicy::effective(const ClusterView& view,
                                              const std::vector<Decision>& out, std::size_t first) {
  started_.clear();
  for (std::size_t k = first; k < out.size(); ++k)
    if (const auto* s = std::get_if<StartJob>(&out[k])) started_.push_back(s->job);
  bool held = false;
  if (!gates_.empty()) {
    for (const JobRequest* j : view.queue) {
      for (const JobGate* g : gates_)
        if (!g->admits(*j)) held = true;
      if (held) break;
    }
  }
  if (started_.empty() && !held) return view;

  std::sort(started_.begin(), started_.end());
  eff_ = view;
  if (!started_.empty()) {
    // The engine's node ids are their indices; other views get an index built once per call.
    bool indexed = false;
    const auto index = [&](NodeId id) -> std::int32_t {
      if (id < nodes_.size() && nodes_[id].id == id) return static_cast<std::int32_t>(id);
      if (!indexed) {
        NodeId max_id = 0;
        for (const NodeView& n : nodes_) max_id = std::max(max_id, n.id);
        index_of_.assign(nodes_.empty() ? 0 : static_cast<std::size_t>(max_id) + 1, -1);
        for (std::size_t i = 0; i < nodes_.size(); ++i)
          index_of_[nodes_[i].id] = static_cast<std::int32_t>(i);
        indexed = true;
      }
      return id < index_of_.size() ? index_of_[id] : -1;
    };
    for (std::size_t k = first; k < out.size(); ++k) {
      const auto* s = std::get_if<StartJob>(&out[k]);
      if (s == nullptr) continue;
      for (const Slice& sl : s->allocation) {
        const std::int32_t i = index(sl.node);
        if (i < 0) continue;
        NodeView& n = nodes_[static_cast<std::size_t>(i)];
        if (eff_.summary.valid) add_to_summary(eff_.summary, n, -1);
        patched_.push_back(static_cast<std::uint32_t>(i));
        n.gpus_free -= sl.gpus;
        if (eff_.summary.valid) add_to_summary(eff_.summary, n, +1);
        if (n.state == NodeState::on) eff_.gpus_free -= sl.gpus;
      }
    }
  }
  queue_.clear();
  for (const JobRequest* j : view.queue) {
    if (std::binary_search(started_.begin(), started_.end(), j->id)) continue;
    bool ok = true;
    for (const JobGate* g : gates_) ok = ok && g->admits(*j);
    if (ok) queue_.push_back(j);
  }
  eff_.nodes = nodes_;
  eff_.queue = queue_;
  return eff_;
}

bool CompositePolicy::needs_periodic_rounds() const {
  if (scheduler_ && scheduler_->needs_periodic_rounds()) return true;
  return std::any_of(energy_.begin(), energy_.end(),
                     [](const auto& p) { return p->needs_periodic_rounds(); });
}

void CompositePolicy::sync_mirror(const ClusterView& view) {
  const bool incremental = view.summary.valid && mirror_round_ != 0 &&
                           view.round == mirror_round_ + 1 && nodes_.size() == view.nodes.size();
  mirror_round_ = view.summary.valid ? view.round : 0;
  if (incremental) {
    for (std::uint32_t i : patched_) nodes_[i] = view.nodes[i];
    for (std::uint32_t i : view.changed_nodes) nodes_[i] = view.nodes[i];
  } else {
    nodes_.assign(view.nodes.begin(), view.nodes.end());
  }
  patched_.clear();
}

void CompositePolicy::decide(const ClusterView& view, std::span<const Event> events,
                             std::vector<Decision>& out) {
  for (JobGate* g : gates_) g->plan(view, events);
  const std::size_t first = out.size();
  if (scheduler_) scheduler_->decide(view, events, out);
  if (energy_.empty()) return;
  // The mirror of the nodes that effective() patches follows every round: O(changed nodes) for
  // the engine's views (a skipped round would cost a full copy next time), a copy otherwise.
  sync_mirror(view);
  const ClusterView& ev = effective(view, out, first);
  for (auto& p : energy_) p->decide(ev, events, out);
}

}  // namespace dcsim
