#include "app/sweep_cli.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace dcsim {

void add_sweep_options(CLI::App& app, SweepCommand& cmd) {
  app.add_option("sweep", cmd.sweep_file, "sweep file (YAML)")->required();
}

int sweep_command(const SweepCommand&, const std::atomic<bool>&) {
  std::cerr << "dcsim sweep: not available in this build\n";
  return 2;
}

}  // namespace dcsim
