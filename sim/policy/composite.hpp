#pragma once
// One scheduler plus any number of energy policies, run in order on each decide call:
//   1. every energy policy that is a JobGate plans on the unmodified view and events;
//   2. the scheduler decides, skipping jobs some gate holds;
//   3. each energy policy decides in configuration order on the *effective view*: the view
//      with the scheduler's StartJobs of this round applied to the nodes (free GPUs, idle state)
//      and with started and held jobs removed from the queue. So power-down-idle neither powers
//      off a node just given a job nor boots nodes for jobs a carbon policy holds. Energy
//      policies do not see each other's decisions of the round (they are not applied yet), and
//      `running` lists only jobs started before this round.
// The effective view is built only when the round started or held something (O(N + Q), into
// reused buffers); otherwise the energy policies see the engine's view itself.
#include <memory>
#include <vector>

#include "policy/policy.hpp"

namespace dcsim {

class CompositePolicy final : public Policy {
 public:
  CompositePolicy(std::unique_ptr<Policy> scheduler, std::vector<std::unique_ptr<Policy>> energy);
  std::string_view name() const override { return "composite"; }
  using Policy::decide;
  void decide(const ClusterView& view, std::span<const Event> events,
              std::vector<Decision>& out) override;
  Policy* scheduler() { return scheduler_.get(); }
  bool needs_periodic_rounds() const override;
  std::size_t energy_count() const { return energy_.size(); }

 private:
  const ClusterView& effective(const ClusterView& view, const std::vector<Decision>& out,
                               std::size_t first);
  std::unique_ptr<Policy> scheduler_;
  std::vector<std::unique_ptr<Policy>> energy_;
  std::vector<JobGate*> gates_;
  // effective-view storage
  ClusterView eff_;
  // Mirror of view.nodes with this round's starts applied: kept across rounds and refreshed from
  // the engine's changed_nodes (plus the nodes patched last round), else copied whole.
  void sync_mirror(const ClusterView& view);
  std::vector<NodeView> nodes_;
  std::vector<std::uint32_t> patched_;
  std::uint64_t mirror_round_ = 0;
  std::vector<const JobRequest*> queue_;
  std::vector<JobId> started_;
  std::vector<std::int32_t> index_of_;
};

}  // namespace dcsim
