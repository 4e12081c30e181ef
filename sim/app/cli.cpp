// The dcsim command line (CLI11): run, validate, describe, plot, sweep.
// Exit codes (README, "Exit codes"): 0 success, 1 run failure (an invariant broke, a sweep run
// failed, plotting failed), 2 bad input or usage, 3 an output file could not be written (disk
// full, I/O error, directory gone: the message names the file and the cause, and no partial file
// is left), 130 interrupted (SIGINT/SIGTERM).
#include "app/cli.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "app/progress.hpp"
#include "app/run_scenario.hpp"
#include "app/sweep_cli.hpp"
#include "config/scenario_loader.hpp"
#include "core/diagnostics.hpp"
#include "core/error.hpp"
#include "engine/engine.hpp"
#include "output/h5.hpp"
#include "output/output_error.hpp"

namespace dcsim {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop.store(true); }

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

void print_errors(const InputError& e) {
  print_diagnostics(std::cerr, e.diagnostics());  // at most 50 per file, then "and N more"
}

}  // namespace

const std::atomic<bool>& stop_flag() { return g_stop; }

namespace {
int cli_dispatch(int argc, char** argv) {
  CLI::App app{"dcsim — discrete-event simulator of AI data centres (energy, power, carbon)"};
  app.set_version_flag("--version", std::string("dcsim ") + DCSIM_VERSION + " (git " + DCSIM_GIT_REV + ")");
  app.require_subcommand(1);

  // ---- run
  RunCommand rc;
  auto* run = app.add_subcommand("run", "run one scenario and write its result file");
  run->add_option("scenario", rc.scenario, "scenario file (YAML)")->required();
  run->add_option("-o,--output", rc.output, "result file (HDF5); default: the scenario's output.file");
  run->add_option("--set", rc.sets, "override a scenario key: key.path=value (repeatable)");
  run->add_option("--plot", rc.plot, "also write a PNG plot of facility power over time");
  run->add_flag("-q,--quiet", rc.quiet, "no progress line and no summary table");
  run->add_option("--summary-json", rc.summary_json, "also write the run summary as JSON");

  // ---- validate
  std::vector<std::string> vfiles, vsets;
  auto* val = app.add_subcommand("validate", "check scenario, platform, workload and sweep files; report every problem");
  val->add_option("files", vfiles, "files to check")->required();
  val->add_option("--set", vsets, "override a key of every scenario checked: key.path=value (repeatable)");

  // ---- describe
  std::string what = "all";
  auto* desc = app.add_subcommand("describe", "list accelerators, node types, workload profiles, policies with their parameters, and the closed choices of a scenario");
  desc->add_option("what", what, "accelerators | nodes | profiles | policies | choices | all")
      ->check(CLI::IsMember({"accelerators", "nodes", "profiles", "policies", "choices", "all"}));

  // ---- plot
  std::string plot_file, plot_dir;
  auto* plot = app.add_subcommand("plot", "make the standard set of PNG plots of a result file");
  plot->add_option("result", plot_file, "result file (HDF5)")->required();
  plot->add_option("-o,--outdir", plot_dir, "output directory (default: next to the result)");

  // ---- sweep
  SweepCommand sc;
  auto* sweep = app.add_subcommand("sweep", "run a parameter sweep (local workers, MPI ranks or a Slurm array)");
  add_sweep_options(*sweep, sc);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  install_signal_handlers();
  try {
    if (*run) return run_command(rc, g_stop);
    if (*val) return validate_command(vfiles, vsets);
    if (*desc) return describe_command(what);
    if (*plot) return plot_command(plot_file, plot_dir);
    if (*sweep) return sweep_command(sc, g_stop);
  } catch (const InputError& e) {
    print_errors(e);
    return 2;
  } catch (const RunInterrupted& e) {
    std::cerr << "dcsim: interrupted; no result was written\n";
    return 130;
  } catch (const InvariantError& e) {
    std::cerr << "dcsim: " << e.what() << "\n";
    return 1;
  } catch (const OutputError& e) {
    std::cerr << (e.file().empty() ? "dcsim: output: " : "dcsim: cannot write ") << e.what() << "\n";
    return kExitOutputError;
  } catch (const std::exception& e) {
    std::cerr << "dcsim: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
}  // namespace

int cli_main(int argc, char** argv) {
  const int rc = cli_dispatch(argc, argv);
  if (h5::hdf5_state_unrecoverable()) {
    // An HDF5 write failed: HDF5's exit handler could crash or complain closing what is left of
    // that file (output/h5.hpp), so end without exit handlers (the streams are flushed by hand).
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    ::_exit(rc == 0 ? kExitOutputError : rc);
  }
  return rc;
}

}  // namespace dcsim
