#pragma once
// The Policy interface: pure functions of (read-only view, events) → decisions.
// No SimGrid, no pointer to the engine, no I/O. A run has one scheduling policy and any number
// of energy policies; the engine calls them in that order on every batch of events and applies
// their decisions in order.
//
// Decisions are appended to an output vector the engine owns and reuses (no allocation per
// event in the hot path); this is the only departure from the `→ vector<Decision>` shape in
// ARCHITECTURE.md, for speed.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/cluster_view.hpp"
#include "model/event.hpp"

namespace dcsim {

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
};

}  // namespace dcsim
