#include "engine/fake_executor.hpp"

#include <algorithm>
#include <stdexcept>

namespace dcsim {

FakeExecutor::FakeExecutor(std::vector<std::vector<double>> speed_per_pstate)
    : speed_(std::move(speed_per_pstate)), pstate_(speed_.size(), 0) {}

double FakeExecutor::speed(std::uint32_t node) const {
  const auto& s = speed_.at(node);
  return s.at(static_cast<std::size_t>(pstate_[node]));
}

void FakeExecutor::start(const WorkHandle& h, const WorkOrder& w) {
  Item it;
  it.generation = h.generation;
  for (const WorkPart& p : w.parts)
    if (p.compute_s > 0) it.parts.push_back({p.node, p.compute_s});
  it.tail_left_s = w.tail_s;
  items_[h.job] = std::move(it);
}

void FakeExecutor::cancel(const WorkHandle& h) {
  auto i = items_.find(h.job);
  if (i != items_.end() && i->second.generation == h.generation) items_.erase(i);
}

void FakeExecutor::delay(const WorkHandle& h, Seconds s) {
  auto i = items_.find(h.job);
  if (i != items_.end() && i->second.generation == h.generation) i->second.tail_left_s += s;
}

void FakeExecutor::set_pstate(std::uint32_t node, int pstate) {
  if (node >= pstate_.size() || pstate < 0 || static_cast<std::size_t>(pstate) >= speed_[node].size())
    throw std::out_of_range("FakeExecutor: p-state out of range");
  pstate_[node] = pstate;
}

Seconds FakeExecutor::time_left(const Item& it) const {
  Seconds compute = 0;
  for (const Part& p : it.parts) compute = std::max(compute, p.left_s / speed(p.node));
  return compute + it.tail_left_s;
}

void FakeExecutor::advance(Seconds to) {
  const Seconds dt = to - now_;
  if (dt <= 0) return;
  for (auto& [job, it] : items_) {
    Seconds compute = 0;
    for (const Part& p : it.parts) compute = std::max(compute, p.left_s / speed(p.node));
    if (dt < compute) {
      for (Part& p : it.parts) p.left_s = std::max(0.0, p.left_s - speed(p.node) * dt);
    } else {
      it.parts.clear();
      it.tail_left_s = std::max(0.0, it.tail_left_s - (dt - compute));
    }
  }
  now_ = to;
}

void FakeExecutor::run(ExecutorClient& client) {
  std::vector<WorkHandle> done;
  while (true) {
    const Seconds next = client.step(now_, done);
    done.clear();
    if (next == ExecutorClient::kStop) return;
    Seconds t = std::max(next, now_);
    for (const auto& [job, it] : items_) t = std::min(t, now_ + time_left(it));
    advance(t);
    for (auto i = items_.begin(); i != items_.end();) {
      if (time_left(i->second) <= 1e-9 * std::max(1.0, now_)) {
        done.push_back({i->first, i->second.generation});
        i = items_.erase(i);
      } else {
        ++i;
      }
    }
  }
}

}  // namespace dcsim
