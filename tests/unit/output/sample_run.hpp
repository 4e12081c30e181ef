#pragma once
// Builders for the output tests: a small, fully deterministic run written through the
// Recorder interface. Every value is a formula of its row index, so tests can recompute it.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "output/hdf5_writer.hpp"
#include "output/schema.hpp"

namespace dcsim::testing {

inline const char* kTimeUnits = "seconds since 2024-01-01T00:00:00Z";

struct SampleRun {
  std::size_t rows = 10;
  Seconds sample_s = 900;
  std::size_t jobs = 3;
  std::size_t events = 4;
  std::size_t racks = 0;  // > 0: a per-rack group with rack_it_power_w and rack_inlet_temp_c
  std::uint64_t seed = 42;
  std::string scenario_yaml = "name: sample\nseed: 42\n";
};

// Site series value of column c at row i (watts-like numbers, exact in double and float).
inline double site_value(std::size_t c, std::size_t i) { return 1000.0 * double(c + 1) + double(i); }
inline double rack_value(std::size_t s, std::size_t e, std::size_t i) {
  return 100.0 * double(s) + 10.0 * double(e) + double(i % 7);
}

inline JobRecord sample_job(std::size_t k) {
  JobRecord j;
  j.id = 100 + k;
  j.profile = k % 2 ? "llm-pretrain" : "vision-finetune";
  j.year = 2024;
  j.submit_s = 60.0 * double(k);
  j.start_s = k == 2 ? -1 : 60.0 * double(k) + 30.0;  // job 2 never started
  j.end_s = k == 2 ? -1 : 60.0 * double(k) + 3630.0;
  j.gpus = 8 * int(k + 1);
  j.energy_j = 3.6e6 * double(k + 1);  // k+1 kWh
  j.emissions_g = 500.0 * double(k + 1);
  j.mean_freq_mhz = 1410.0;
  j.delay_s = 30.0;
  j.optimisation = "none";
  j.quality_cost = 0.0;
  j.outcome = k == 2 ? "rejected" : "completed";
  j.reason = k == 2 ? "larger than the cluster" : "";
  return j;
}

inline RunMetadata sample_meta(const SampleRun& s) {
  RunMetadata m;
  m.scenario_name = "sample";
  m.scenario_yaml = s.scenario_yaml;
  m.seed = s.seed;
  m.time_units = kTimeUnits;
  m.sample_s = s.sample_s;
  m.input_checksums = {{"scenarios/data/carbon/uk.csv", "ab12"}, {"platforms/h100.yaml", "cd34"}};
  m.simgrid_version = "3.32";
  return m;
}

inline RunSummary sample_summary() {
  RunSummary sum;
  sum.values = {{"facility_energy_kwh", 1234.5}, {"jobs_completed", 2}};
  sum.text = {{"policy", "fcfs"}};
  return sum;
}

// Everything but finish(): begin, entities, samples, jobs, events.
inline void fill_sample(Recorder& rec, const SampleRun& s) {
  const auto& specs = standard_site_series();
  rec.begin(sample_meta(s), specs);
  std::vector<std::int64_t> ids;
  for (std::size_t e = 0; e < s.racks; ++e) ids.push_back(std::int64_t(e));
  const std::vector<SeriesSpec> rack_specs = {{"rack_it_power_w", "W", "rack IT power"},
                                              {"rack_inlet_temp_c", "degC", "rack inlet temperature"}};
  if (s.racks) rec.begin_entities("rack", ids, rack_specs);
  std::vector<double> row(specs.size()), rack_row(s.racks * rack_specs.size());
  for (std::size_t i = 0; i < s.rows; ++i) {
    for (std::size_t c = 0; c < row.size(); ++c) row[c] = site_value(c, i);
    rec.append_sample(s.sample_s * double(i), row);
    if (s.racks) {
      for (std::size_t k = 0; k < rack_specs.size(); ++k)
        for (std::size_t e = 0; e < s.racks; ++e) rack_row[k * s.racks + e] = rack_value(k, e, i);
      rec.append_entity_sample("rack", s.sample_s * double(i), rack_row);
    }
  }
  for (std::size_t k = 0; k < s.jobs; ++k) rec.add_job(sample_job(k));
  for (std::size_t k = 0; k < s.events; ++k)
    rec.add_event(EventRecord{30.0 * double(k), k % 2 ? "pstate" : "power_on", std::int64_t(k), double(k)});
}

inline void write_sample(const std::string& path, const SampleRun& s = {}, Hdf5Options o = {}) {
  Hdf5Recorder rec(path, o);
  fill_sample(rec, s);
  rec.finish(sample_summary());
}

// A fresh, empty directory under the build's temporary directory.
inline std::filesystem::path scratch_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("dcsim-output-test-" + std::to_string(::getpid())) / name;
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

}  // namespace dcsim::testing
