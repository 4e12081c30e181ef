#pragma once
// The engine: runs one Scenario on SimGrid (S4U). The only module that includes SimGrid; its
// types never appear in this header. Its parts: engine/executor.hpp (the kernel interface, with
// the SimGrid and the fake executor), engine/core.hpp (the run's logic: state, decisions, node
// power, report), engine/site_account.hpp (site power, supply, carbon).
//
// Time is SimGrid's, power is ours (docs/ARCHITECTURE.md): SimGrid decides when executions end
// (host speed per p-state gives DVFS timing), physics decides how many watts each component
// draws; energy is integrated on every change and sampled as interval averages.
#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "config/scenario.hpp"
#include "model/job.hpp"
#include "output/recorder.hpp"
#include "policy/policy.hpp"

namespace dcsim {

// Which discrete-event kernel runs the engine's logic: SimGrid (every run), or the fake executor
// (unit tests of the logic; no network: transfers take no time; engine/fake_executor.hpp).
enum class ExecutorKind { simgrid, fake };

struct RunOptions {
  // Called from the simulation every few hundred controller steps with the simulated time and
  // the fraction done; the caller throttles its output by wall-clock time.
  std::function<void(Seconds sim_now, double fraction)> progress;
  // Set asynchronously (e.g. by a signal handler) to stop the run; the run then throws
  // RunInterrupted and the recorder is aborted.
  const std::atomic<bool>* stop = nullptr;
  // Extra SimGrid command-line configuration (e.g. "--cfg=plugin:host_energy").
  std::vector<std::string> simgrid_args;
  // Enable SimGrid's host energy plugin and report its total in the summary (cross-check).
  bool simgrid_energy_plugin = false;
  // Provenance: input file → sha256, written into the result file.
  std::map<std::string, std::string> input_checksums;
  // Provenance: what the workload generator skipped or changed (written as workload_note_<i>).
  std::vector<std::string> notes;
  ExecutorKind executor = ExecutorKind::simgrid;
};

class RunInterrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Runs the scenario with the given job stream and policy (a composite of the scheduler and the
// energy policies). Writes series, job and event tables through the recorder and finishes it.
// Throws InputError for bad inputs found late (traces), InvariantError when a run-end check
// fails, RunInterrupted when stopped; the recorder is aborted in every failure case.
RunSummary run_simulation(const Scenario& scenario, std::vector<Job> jobs, Policy& policy,
                          Recorder& recorder, const RunOptions& options = {});

// The SimGrid version string ("3.32").
std::string simgrid_version();

}  // namespace dcsim
