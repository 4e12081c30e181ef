#pragma once
// The commands of the dcsim program that are not sweeps: run, validate, describe, plot; and the
// one function that turns a scenario file into a finished result file (used by `run` and by
// every sweep worker).
#include <atomic>
#include <string>
#include <vector>

#include "config/scenario.hpp"
#include "engine/engine.hpp"
#include "output/recorder.hpp"

namespace dcsim {

struct RunCommand {
  std::string scenario;
  std::string output;               // empty: the scenario's output.file
  std::vector<std::string> sets;    // --set key.path=value
  std::string plot;                 // PNG of facility power; empty: none
  std::string summary_json;
  bool quiet = false;
};

// Where dcsim's own data lives (platforms/, workloads/, analysis/): $DCSIM_DATA_DIR, else the
// source tree it was built from.
std::string data_dir();

// Loads and validates the scenario (policies included), generates its jobs, runs it and writes
// the result file. Throws InputError, InvariantError, OutputError or RunInterrupted.
struct ScenarioRun {
  Scenario scenario;
  RunSummary summary;
  std::string output;
};
Scenario load_checked_scenario(const std::string& path, const std::vector<std::string>& sets);
ScenarioRun run_scenario_file(const std::string& path, const std::vector<std::string>& sets,
                              const std::string& output, const RunOptions& options);

// The summary table printed after a run.
std::string format_summary_table(const RunSummary& s, const std::string& output);
std::string summary_json(const RunSummary& s);

int run_command(const RunCommand& rc, const std::atomic<bool>& stop);
// Every check a run makes before simulating (catalogue names and mixes, traces, policies, the
// site's input traces and topology); throws InputError with file:line:col where the key is in
// the scenario. `dcsim validate` runs it on every scenario file.
void check_scenario_inputs(const Scenario& sc, const std::vector<std::string>& sets);

int validate_command(const std::vector<std::string>& files, const std::vector<std::string>& sets = {});
int describe_command(const std::string& what);
int plot_command(const std::string& result, const std::string& outdir, const std::string& png = "");

}  // namespace dcsim
