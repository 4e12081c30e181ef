#pragma once
// The executor: what the engine's logic needs from a discrete-event kernel, and nothing more.
// The SimGrid executor (simgrid_executor.hpp) is the only code of dcsim that includes SimGrid;
// the fake executor (fake_executor.hpp) runs the same logic without it, for unit tests.
//
// Contract:
//   - run(client) calls client.step(now, done) first at t = 0, then whenever the time the last
//     step asked for is reached or work completes, until step returns kStop. `done` holds the
//     work items that completed since the previous step, in completion order.
//   - A work item is one job's run on its allocation: per node a compute part (seconds at the
//     fastest p-state, run by `threads` accelerators), optionally a transfer of `comm_bytes` to
//     the next node's part (gradient all-reduce, overlapping the compute), then a fixed tail
//     (memory and I/O time, checkpoints, restart cost) that no clock change affects. The item is
//     done when every compute part and transfer is done and the tail has elapsed, plus every
//     delay added meanwhile.
//   - The compute part of a node runs at speed f_p / f_max of the node's p-state (set_pstate),
//     so a p-state change mid-run slows it exactly (the DVFS law t_c·f_max/f).
//   - cancel(handle) drops a work item (preemption, resize, run end); it is never reported done.
//   - delay(handle, s) makes the item end s later (p-state transition latency).
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "core/units.hpp"

namespace dcsim {

struct WorkPart {
  std::uint32_t node = 0;
  Seconds compute_s = 0;  // at the fastest p-state
  int threads = 1;        // accelerators of the job on this node
  Bytes comm_bytes = 0;   // sent to the next part's node, overlapping the compute
};

struct WorkOrder {
  std::vector<WorkPart> parts;
  Seconds tail_s = 0;
};

// Identifies one run of one job (a preempted and restarted job gets a new generation).
struct WorkHandle {
  std::uint32_t job = 0;
  std::uint64_t generation = 0;
  bool operator==(const WorkHandle&) const = default;
};

class ExecutorClient {
 public:
  static constexpr Seconds kStop = -1;
  virtual ~ExecutorClient() = default;
  // Handles what happened at `now`; returns the next time it must run (≥ now), or kStop.
  virtual Seconds step(Seconds now, std::span<const WorkHandle> done) = 0;
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual Seconds now() const = 0;
  virtual void start(const WorkHandle& h, const WorkOrder& w) = 0;
  virtual void cancel(const WorkHandle& h) = 0;
  virtual void delay(const WorkHandle& h, Seconds s) = 0;
  virtual void set_pstate(std::uint32_t node, int pstate) = 0;
  // Runs the simulation to its end (client.step returned kStop).
  virtual void run(ExecutorClient& client) = 0;
};

}  // namespace dcsim
