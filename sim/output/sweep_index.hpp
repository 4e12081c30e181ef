#pragma once
// The sweep index (analysis/SCHEMA.md, "Sweep index"): one HDF5/netCDF-4 file that presents
// every run of a sweep along a leading `run` dimension without copying data. Each site series
// x becomes a virtual dataset x(run, time) whose row r maps onto /x of run r's result file.
// Runs share the time axis (a shorter run must be a prefix of the longest; its missing rows
// and every row of a run without a result file read as NaN). Parameters become variables
// along `run`, listed in each series' `coordinates` attribute so xarray makes them coordinates.
// Written like a run file: "<index>.partial-<pid>", then renamed; errors are OutputError.
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "output/output_error.hpp"

namespace dcsim {

struct SweepRunEntry {
  std::string run_id;       // e.g. "battery_capacity_mwh=20,seed=43"
  std::string result_path;  // run file, relative to the index file's directory (or absolute)
  std::string status;       // "completed" (the file must exist and be complete), "failed", ...
  std::map<std::string, std::variant<double, std::string>> parameters;
};

void write_sweep_index(const std::string& index_path, const std::vector<SweepRunEntry>& runs);

// The variable name of a sweep parameter: every character outside [A-Za-z0-9_] becomes '_'
// (and a leading digit gets a '_' prefix).
std::string sweep_parameter_variable(const std::string& parameter);

}  // namespace dcsim
