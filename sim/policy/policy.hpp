#pragma once
// The Policy interface: pure functions of (read-only view, events) → decisions.
// No SimGrid, no pointer to the engine, no I/O. A run has one scheduling policy and any number
// of energy policies; the engine calls them in that order on every batch of events and applies
// their decisions in order.
//
// Decisions are appended to an output vector the engine owns and reuses (no allocation per
// event in the hot path); this is the only departure from the `→ vector<Decision>` shape in
// docs/ARCHITECTURE.md, for speed.
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "model/cluster_view.hpp"
#include "model/event.hpp"

namespace dcsim {

// A filter an energy policy puts in front of the scheduler (carbon-aware shifting, carbon
// threshold, follow-generation, suspend/resume). Each decide round the composite calls plan()
// on every gate with the unmodified view and the round's events, then runs the scheduler, which
// leaves in the queue every job some gate does not admit. See sim/policy/README.md.
class JobGate {
 public:
  virtual ~JobGate() = default;
  virtual void plan(const ClusterView& view, std::span<const Event> events) = 0;
  virtual bool admits(const JobRequest& job) const = 0;
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string_view name() const = 0;
  virtual void decide(const ClusterView& view, std::span<const Event> events,
                      std::vector<Decision>& out) = 0;
  // Convenience for tests.
  std::vector<Decision> decide(const ClusterView& view, std::span<const Event> events) {
    std::vector<Decision> out;
    decide(view, events, out);
    return out;
  }
  // Whether the policy needs rounds that nothing but time triggers: the periodic tick (Timer
  // events every `policies.tick`) and steps of the input traces (TraceStep). A policy that only
  // reacts to job and node events, and asks for its own wake-ups with WakeAt, returns false; the
  // engine then skips those rounds when no policy of the stack needs them (a large share of all
  // rounds in a long run). Default true: a policy must opt out knowingly.
  virtual bool needs_periodic_rounds() const { return true; }
  // The gate this policy puts in front of the scheduler, if any (energy policies that hold jobs).
  virtual JobGate* job_gate() { return nullptr; }
  // Schedulers honour these gates (ignored by other policies). The pointers must outlive the
  // scheduler's use; CompositePolicy owns both sides.
  virtual void set_job_gates(std::span<JobGate* const> gates) { (void)gates; }
};

// Appends a decision. (emplace with in_place_type: `out.push_back(StartJob{...})` trips a GCC 12
// -Wmaybe-uninitialized false positive inside std::variant under -O2 -Werror.)
template <class D>
void emit(std::vector<Decision>& out, D d) {
  out.emplace_back(std::in_place_type<D>, std::move(d));
}

}  // namespace dcsim
