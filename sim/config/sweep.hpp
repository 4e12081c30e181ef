#pragma once
// Sweep files (scenarios/README.md, "Sweeps") → a deterministic list of runs.
//
//   name: battery-size                 # default: the file's stem
//   base: ../examples/solar-battery.yaml   # the scenario every run starts from (relative to this file)
//   output_dir: results/battery-size   # default: results/<name> (relative to the working directory)
//   set:  {time.duration: 30d}         # overrides applied to every run (not parameters)
//   grid:                              # cartesian product, nested loops in file order
//     site.supply.battery.capacity_mwh: [0, 10, 20]
//     site.supply.solar.peak_mw: [0, 20]
//   zip:                               # lists of equal length, varied together
//     site.cooling.pue: [1.1, 1.3]
//     site.supply.grid.carbon_gco2_per_kwh: [100, 400]
//   sample:                            # uncertain inputs, Latin hypercube sample
//     method: latin_hypercube          # the only method (required)
//     n: 20                            # samples, >= 2 (required)
//     seed: 1                          # seed of the sample, integer >= 0 (required)
//     inputs:                          # key path → one distribution
//       site.cooling.pue: {uniform: [1.1, 1.5]}            # [lo, hi], lo < hi
//       site.supply.grid.carbon_gco2_per_kwh: {normal: [400, 50]}   # [mean, sd], sd > 0
//       policies.forecast_error: {triangular: [0, 0.1, 0.3]}       # [lo, mode, hi], lo < hi
//   replicates: 3                      # seeds base_seed, base_seed+1, base_seed+2
//
// Expansion order (run index 0..N-1): the grid's first key varies slowest and its last key
// fastest, then the zip row, then the sample, then the replicate (fastest of all). N =
// Π|grid axis| × |zip| × n × replicates. Every run is the base scenario with `--set` overrides
// in the order: `set`, grid keys, zip keys, sampled keys, then `seed=<base_seed + replicate>`
// (left out if `seed` is itself swept). The replicates of every sample use the same seeds
// (common random numbers: differences between samples are due to the inputs).
//
// Ensemble: the runs of one grid/zip point (`point`, 0-based in expansion order) are its
// ensemble; `realization` = sample × replicates + replicate numbers its members 0..n·R−1
// (CF standard_name "realization" in the sweep index).
//
// Latin hypercube (McKay, Beckman & Conover 1979, Technometrics 21:239): for each input j (in
// file order) a random permutation π_j of 0..n−1 and u_ij = (π_j(i) + U_ij) / n, U ~ U[0, 1),
// all from RngStream(seed, "latin-hypercube"); so each input's n values fall one in each of
// its n equal-probability strata. Values are the inverse CDF at u: uniform lo + u·(hi − lo);
// normal mean + sd·Φ⁻¹(u) (Acklam's rational approximation refined by one Halley step);
// triangular a + √(u(b−a)(c−a)) for u < (c−a)/(b−a), else b − √((1−u)(b−a)(b−c)).
// The sample is a pure function of (seed, n, inputs in file order): deterministic.
// A sampled value out of the scenario key's range is reported at that input in the sweep file.
//
// Each run is loaded and validated exactly as `dcsim run BASE --set …` would load it; a problem
// caused by a sweep value (unknown key path, wrong type, out of range) is reported at that
// key or value in the sweep file (file:line:col), not at "--set".
//
// Run id: the first 12 hex digits of the SHA-256 of the resolved scenario YAML text (after
// `extends` and the overrides, YamlDoc::emit()). The same scenario text gives the same id in
// any sweep, on any machine; editing the base scenario changes the ids (old results are not
// reused). Two runs of one sweep that resolve to the same text are an error.
//
// Parameter names (the index's coordinates): the last two non-numeric segments of the key
// path joined with '_' (site.supply.battery.capacity_mwh → battery_capacity_mwh), lengthened
// until unique; `seed` is always a parameter.
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "config/scenario_loader.hpp"
#include "config/yaml_reader.hpp"
#include "core/error.hpp"

namespace dcsim {

using SweepParamValue = std::variant<double, std::string>;

struct SweepAxis {
  std::string key;        // scenario key path, e.g. site.cooling.pue
  std::string parameter;  // short name, e.g. cooling.pue (index variable cooling_pue)
  YamlPos key_pos;
  std::vector<std::string> texts;           // each value as YAML text for --set
  std::vector<SweepParamValue> values;      // each value as an index coordinate
  std::vector<YamlPos> value_pos;
  std::string distribution;  // sampled inputs: e.g. "uniform(1.1, 1.5)"; empty for grid/zip
};

struct SweepSample {
  bool present = false;
  std::string method;        // latin_hypercube
  std::int64_t n = 0;
  std::uint64_t seed = 0;
  std::vector<SweepAxis> inputs;  // one axis per input, n values (the sample), in file order
};

// The Latin hypercube sample of `n` points in [0, 1)^dims (u[i][j]: point i, input j), one
// point per stratum [k/n, (k+1)/n) in every dimension; deterministic in (seed, n, dims).
std::vector<std::vector<double>> latin_hypercube(std::size_t n, std::size_t dims, std::uint64_t seed);
// Φ⁻¹(p) of the standard normal distribution, p in (0, 1).
double normal_quantile(double p);

struct SweepRun {
  std::size_t index = 0;
  std::string id;                               // 12 hex digits
  std::uint64_t seed = 0;
  std::vector<std::string> overrides;           // "key.path=value" for `dcsim run --set`
  std::map<std::string, SweepParamValue> parameters;  // parameter name → value
  std::string resolved_yaml;
  std::size_t point = 0;        // grid/zip point (the ensemble the run belongs to)
  std::int64_t sample = -1;     // sample number, -1 without `sample`
  std::uint64_t replicate = 0;  // 0..replicates-1
  std::uint64_t realization = 0;  // sample × replicates + replicate (0 without sample/replicates)
};

struct Sweep {
  std::string file;
  std::string name;
  std::string base;        // the base scenario's path (resolved against the sweep file's directory)
  std::string output_dir;  // as written (relative to the working directory) or results/<name>
  std::vector<std::string> fixed_overrides;  // from `set`
  std::vector<SweepAxis> grid, zip;
  SweepSample sample;
  std::int64_t replicates = 1;
  std::uint64_t base_seed = 0;
  std::vector<SweepRun> runs;
};

struct SweepLoadOptions {
  PolicyValidator validate_policy;  // optional, passed to the scenario loader
};

// Parses, validates and expands a sweep file. Throws InputError with every problem.
Sweep load_sweep(const std::string& path, const SweepLoadOptions& options = {});
// For `dcsim validate`: every problem of a sweep file into the sink; never throws for bad input.
void validate_sweep_file(const std::string& path, DiagnosticSink& sink, const SweepLoadOptions& options = {});

// The run id of a resolved scenario text: the first 12 hex digits of its SHA-256.
std::string sweep_run_id(const std::string& resolved_yaml);
// "cooling.pue=1.3 seed=43": a run's parameters for messages and --list.
std::string describe_parameters(const SweepRun& run);
std::string format_parameter_value(const SweepParamValue& v);

}  // namespace dcsim
