#pragma once
// Builders for the output tests: a small, fully deterministic run written through the
// Recorder interface. Every value is a formula of its row index, so tests can recompute it.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
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
  double offset = 0;      // added to every site value (tells runs of a sweep apart)
  std::string scenario_yaml = "name: sample\nseed: 42\n";
};

// Site series value of column c at row i (watts-like numbers, exact in double and float).
inline double site_value(std::size_t c, std::size_t i, double offset = 0) {
  return 1000.0 * double(c + 1) + double(i) + offset;
}
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
  j.outcome = k == 2 ? JobOutcome::rejected : JobOutcome::completed;
  j.reason = k == 2 ? "larger than the cluster" : "";
  j.deferrable = k == 1;
  j.deadline_s = k == 1 ? 7200.0 : -1;             // only job 1 has a deadline
  j.full_speed_s = k == 2 ? -1 : 3000.0;            // job 2 never started
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
    for (std::size_t c = 0; c < row.size(); ++c) row[c] = site_value(c, i, s.offset);
    rec.append_sample(s.sample_s * double(i), row);
    if (s.racks) {
      for (std::size_t k = 0; k < rack_specs.size(); ++k)
        for (std::size_t e = 0; e < s.racks; ++e) rack_row[k * s.racks + e] = rack_value(k, e, i);
      rec.append_entity_sample("rack", s.sample_s * double(i), rack_row);
    }
  }
  for (std::size_t k = 0; k < s.jobs; ++k) rec.add_job(sample_job(k));
  for (std::size_t k = 0; k < s.events; ++k)
    rec.add_event(EventRecord{30.0 * double(k), k % 2 ? EventKind::pstate : EventKind::power_on, std::int64_t(k), double(k)});
}

inline void write_sample(const std::string& path, const SampleRun& s = {}, Hdf5Options o = {}) {
  Hdf5Recorder rec(path, o);
  fill_sample(rec, s);
  rec.finish(sample_summary());
}

// A plausible two-day run of a 10 MW site (for the analysis package's examples): every
// standard series with daily cycles, jobs with all outcomes, events of several kinds, 4 racks.
inline void write_realistic_sample(const std::string& path, double pv_peak_w = 5e6, std::size_t days = 2) {
  constexpr double kPi = 3.14159265358979323846;
  Hdf5Recorder rec(path);
  SampleRun s;
  s.scenario_yaml = "name: sample\nseed: 42\nsite:\n  supply:\n    solar: {peak_mw: " +
                    std::to_string(pv_peak_w / 1e6) + "}\n";
  RunMetadata meta = sample_meta(s);
  const auto& specs = standard_site_series();
  rec.begin(meta, specs);
  const std::vector<std::int64_t> racks = {0, 1, 2, 3};
  const std::vector<SeriesSpec> rack_specs = {{"rack_it_power_w", "W", "rack IT power"},
                                              {"rack_inlet_temp_c", "degC", "rack inlet temperature"}};
  rec.begin_entities("rack", racks, rack_specs);
  const std::size_t rows = 96 * days;
  double soc = 0.5;
  double facility_j = 0, emissions_kg = 0;
  std::vector<double> row(specs.size()), rack_row(8);
  for (std::size_t i = 0; i < rows; ++i) {
    const double hour = std::fmod(double(i) * 0.25, 24.0);
    const double day_phase = 2 * kPi * hour / 24.0;
    const double it = 8e6 + 1.5e6 * std::sin(day_phase);
    const double cooling = it * (0.2 + 0.05 * std::sin(day_phase - 1.0));
    const double losses = 0.07 * it;
    const double facility = it + cooling + losses;
    const double pv = (hour > 6 && hour < 18) ? pv_peak_w * std::sin(kPi * (hour - 6) / 12) : 0.0;
    const double wind = 2e6 + 1e6 * std::cos(double(i) / 20.0);
    const double carbon = 250 + 120 * std::cos(day_phase);
    const double battery = carbon > 300 && soc > 0.2 ? 2e6 : (carbon < 200 && soc < 0.9 ? -2e6 : 0.0);
    soc -= battery * 900 / 3.6e6 / 40e3;  // 40 MWh battery
    const double grid = facility - pv - wind - battery;
    const double emis = std::max(grid, 0.0) / 1e3 * carbon / 1e3;  // kg/h
    facility_j += facility * 900;
    emissions_kg += emis * 0.25;
    const double v[] = {it, cooling, losses, facility, facility / it, 0.6 + 0.3 * std::sin(day_phase),
                        40 + 10 * std::sin(day_phase), 5 + 5 * std::cos(day_phase), pv, wind, battery, soc,
                        grid, carbon, emis, 80 + 40 * std::sin(day_phase - 0.5), 12 + 6 * std::sin(day_phase - 2),
                        1600 + 200 * std::cos(day_phase), 1000, std::nan("")};
    std::copy(std::begin(v), std::end(v), row.begin());
    rec.append_sample(900.0 * double(i), row);
    for (std::size_t e = 0; e < 4; ++e) {
      rack_row[e] = it / 4 * (0.9 + 0.05 * double(e));
      rack_row[4 + e] = 22 + 3 * std::sin(day_phase) + 0.5 * double(e);
    }
    rec.append_entity_sample("rack", 900.0 * double(i), rack_row);
  }
  const char* profiles[] = {"llm-pretrain", "llm-finetune", "vision-train", "inference-batch"};
  const JobOutcome outcomes[] = {JobOutcome::completed, JobOutcome::completed, JobOutcome::completed,
                                 JobOutcome::killed,    JobOutcome::rejected,  JobOutcome::unfinished};
  for (std::size_t k = 0; k < 20; ++k) {
    JobRecord j;
    j.id = k;
    j.profile = profiles[k % 4];
    j.year = 2022 + int(k % 3);
    j.submit_s = 3600.0 * double(k);
    const JobOutcome outcome = outcomes[k % 6];
    const bool started = outcome != JobOutcome::rejected;
    j.start_s = started ? j.submit_s + 300.0 * double(k % 5) : -1;
    j.end_s = started && outcome != JobOutcome::unfinished ? j.start_s + 7200.0 * double(1 + k % 4) : -1;
    j.delay_s = started ? j.start_s - j.submit_s : 0;
    j.gpus = 8 << (k % 5);
    j.energy_j = started ? 3.6e6 * 50.0 * double(j.gpus) / 8.0 : 0;
    j.emissions_g = j.energy_j / 3.6e6 * 250.0 * 1.3;
    j.mean_freq_mhz = started ? 1500 + 20.0 * double(k % 7) : 0;
    j.optimisation = k % 3 ? "none" : "mixed-precision";
    j.quality_cost = k % 3 ? 0.0 : 0.01;
    j.outcome = outcome;
    j.reason = outcome == JobOutcome::killed ? "node failure" : outcome == JobOutcome::rejected ? "larger than the cluster" : "";
    rec.add_job(j);
  }
  const EventKind kinds[] = {EventKind::power_on, EventKind::pstate,    EventKind::pstate,
                             EventKind::cap,      EventKind::power_off, EventKind::booted};
  for (std::size_t k = 0; k < 30; ++k) {
    const EventKind kind = kinds[k % 6];
    rec.add_event(EventRecord{1800.0 * double(k), kind, kind == EventKind::cap ? -1 : std::int64_t(k % 10),
                              kind == EventKind::pstate ? double(k % 4) : kind == EventKind::cap ? 9e6 : 0.0});
  }
  RunSummary sum;
  sum.values = {{"facility_energy_kwh", facility_j / 3.6e6}, {"emissions_kg", emissions_kg},
                {"jobs_completed", 10}, {"jobs_killed", 3}, {"jobs_rejected", 3}, {"pv_peak_w", pv_peak_w}};
  sum.text = {{"policy", "fcfs"}};
  rec.finish(sum);
}

inline std::filesystem::path scratch_root() {
  return std::filesystem::temp_directory_path() / ("dcsim-output-test-" + std::to_string(::getpid()));
}
// Removes this process's scratch files at exit (keep them with DCSIM_KEEP_SCRATCH=1).
inline struct ScratchCleaner {
  ~ScratchCleaner() {
    if (std::getenv("DCSIM_KEEP_SCRATCH")) return;
    std::error_code ec;
    std::filesystem::remove_all(scratch_root(), ec);
  }
} scratch_cleaner;

// A fresh, empty directory under the system's temporary directory.
inline std::filesystem::path scratch_dir(const std::string& name) {
  auto d = scratch_root() / name;
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

}  // namespace dcsim::testing
