#pragma once
// The SimGrid executor: the only code of dcsim that uses S4U (with platform_builder). It owns
// SimGrid's engine (one per process), the platform built from the site topology, a controller
// actor that calls the engine's logic, and a pool of reused worker actors (one per running job)
// that execute work items. SimGrid types stay inside simgrid_executor.cpp.
//
// Shape (chosen for speed, docs/ARCHITECTURE.md): the controller sleeps on a semaphore with a
// timeout until the next time the client asked for or a completion (no polling, no wait_any); a
// job on k nodes starts one execution per node (thread count = its accelerators there) and
// waits them in turn, with its gradient transfers overlapping. Its tail (the clock-independent
// rest: memory/I-O share, checkpoint and restart costs, transition latencies) is no SimGrid
// activity: the controller keeps a heap of tail ends and completes the job at its end.
#include <memory>
#include <string>
#include <vector>

#include "engine/executor.hpp"
#include "model/specs.hpp"
#include "topology/site_graph.hpp"

namespace dcsim {

struct SimGridOptions {
  std::vector<std::string> args;  // extra SimGrid configuration ("--cfg=…")
  bool energy_plugin = false;     // SimGrid's host energy plugin (cross-check of our accounting)
};

class SimGridExecutor final : public Executor {
 public:
  // Starts SimGrid's engine (keeping the caller's SIGINT/SIGTERM handlers: SimGrid installs its
  // own) and builds the platform. Throws InputError for platforms SimGrid cannot build.
  SimGridExecutor(const SiteTopology& topology, const PlatformSpec& platform, const SimGridOptions& options);
  ~SimGridExecutor() override;

  Seconds now() const override;
  void start(const WorkHandle& h, const WorkOrder& w) override;
  void cancel(const WorkHandle& h) override;
  void delay(const WorkHandle& h, Seconds s) override;
  void set_pstate(std::uint32_t node, int pstate) override;
  void run(ExecutorClient& client) override;

  std::size_t host_count() const;
  // Total energy of SimGrid's host energy plugin (J); 0 when the plugin is off.
  double plugin_energy_j() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The SimGrid version string ("3.32").
std::string simgrid_version();

}  // namespace dcsim
