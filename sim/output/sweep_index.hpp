#pragma once
// The sweep index (analysis/SCHEMA.md, "Sweep index"): one HDF5/netCDF-4 file that presents
// every run of a sweep along a leading `run` dimension without copying data. Each site series
// x becomes a virtual dataset x(run, time) whose row r maps onto /x of run r's result file.
// Runs share the time axis (a shorter run must be a prefix of the longest; its missing rows
// and every row of a run without a result file read as NaN). Parameters become variables
// along `run`, listed in each series' `coordinates` attribute so xarray makes them coordinates.
// `realization(run)` (CF standard_name "realization", the ensemble member) and `point(run)`
// (the grid/zip point) are auxiliary coordinates too; analysis turns (point, realization) into
// dimensions (dcsim_analysis.ensemble).
// Written like a run file: "<index>.partial-<pid>", then renamed; errors are OutputError.
#include <cstdint>
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
  std::int64_t point = 0;        // grid/zip point: the ensemble the run belongs to
  std::int64_t realization = 0;  // ensemble member within its point (sample × replicates + replicate)
  std::map<std::string, std::string> distributions = {};  // sampled parameter → "uniform(1.1, 1.5)"
};

void write_sweep_index(const std::string& index_path, const std::vector<SweepRunEntry>& runs);

// The variable name of a sweep parameter: every character outside [A-Za-z0-9_] becomes '_'
// (and a leading digit gets a '_' prefix).
std::string sweep_parameter_variable(const std::string& parameter);

}  // namespace dcsim
