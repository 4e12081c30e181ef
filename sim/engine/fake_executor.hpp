#pragma once
// An executor without SimGrid: a plain event loop that computes when each work item ends from
// the node speeds (f_p / f_max of each node's p-state), for unit tests of the engine's logic.
// Transfers take no time (the fake has no network: use the SimGrid executor for anything that
// depends on bandwidth or contention). Everything else follows the Executor contract exactly.
#include <map>
#include <vector>

#include "engine/executor.hpp"

namespace dcsim {

class FakeExecutor final : public Executor {
 public:
  // speed_per_pstate[node][p] = f_p / f_max of that node's accelerators (1 for p-state 0).
  explicit FakeExecutor(std::vector<std::vector<double>> speed_per_pstate);

  Seconds now() const override { return now_; }
  void start(const WorkHandle& h, const WorkOrder& w) override;
  void cancel(const WorkHandle& h) override;
  void delay(const WorkHandle& h, Seconds s) override;
  void set_pstate(std::uint32_t node, int pstate) override;
  void run(ExecutorClient& client) override;

  int pstate(std::uint32_t node) const { return pstate_.at(node); }
  std::size_t active() const { return items_.size(); }

 private:
  struct Part {
    std::uint32_t node;
    Seconds left_s;  // compute left, in seconds at the fastest p-state
  };
  struct Item {
    std::uint64_t generation = 0;
    std::vector<Part> parts;
    Seconds tail_left_s = 0;  // tail plus delays, counted down once the compute is done
  };
  double speed(std::uint32_t node) const;
  Seconds time_left(const Item& it) const;
  void advance(Seconds to);

  std::vector<std::vector<double>> speed_;
  std::vector<int> pstate_;
  std::map<std::uint32_t, Item> items_;  // by job: ordered, so ties end in job order
  Seconds now_ = 0;
};

}  // namespace dcsim
