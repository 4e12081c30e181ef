// The HDF5 writer (Hdf5Recorder): one iteration writes a whole run file.
//   site_series: one simulated year of 15-minute rows (35,040) × 30 site series (the standard
//                set plus extra columns), compressed, chunked (the defaults);
//   jobs:        the job table of the `large` run (100,000 rows) next to a day of samples.
// Files go to the temporary directory and are removed.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "output/hdf5_writer.hpp"
#include "output/schema.hpp"

using namespace dcsim;
namespace fs = std::filesystem;

namespace {

std::string temp_file(const char* name) {
  return (fs::temp_directory_path() / (std::string("dcsim-bench-") + name + "-" + std::to_string(getpid()) + ".h5"))
      .string();
}

RunMetadata meta() {
  RunMetadata m;
  m.scenario_name = "bench";
  m.scenario_yaml = "name: bench\n";
  m.seed = 1;
  m.time_units = "seconds since 2024-01-01T00:00:00Z";
  m.sample_s = 900;
  m.simgrid_version = "3.32";
  return m;
}

std::vector<SeriesSpec> site_series(std::size_t n) {
  std::vector<SeriesSpec> s = standard_site_series();
  for (std::size_t i = s.size(); i < n; ++i) s.push_back({"extra_" + std::to_string(i) + "_w", "W", "extra"});
  s.resize(n);
  return s;
}

void BM_Hdf5_site_series(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const std::vector<SeriesSpec> specs = site_series(30);
  std::vector<double> row(specs.size());
  const std::string path = temp_file("series");
  for (auto _ : state) {
    Hdf5Recorder rec(path);
    rec.begin(meta(), specs);
    for (std::size_t i = 0; i < rows; ++i) {
      for (std::size_t c = 0; c < row.size(); ++c) row[c] = 1e6 * static_cast<double>(c + 1) + static_cast<double>(i % 96);
      rec.append_sample(900.0 * static_cast<double>(i), row);
    }
    rec.finish(RunSummary{});
  }
  fs::remove(path);
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["series"] = static_cast<double>(specs.size());
}
BENCHMARK(BM_Hdf5_site_series)->Arg(35040)->Unit(benchmark::kMillisecond);

void BM_Hdf5_jobs(benchmark::State& state) {
  const auto jobs = static_cast<std::size_t>(state.range(0));
  const std::vector<SeriesSpec> specs = site_series(30);
  std::vector<double> row(specs.size(), 1.0);
  const std::string path = temp_file("jobs");
  JobRecord j;
  j.profile = "llm_pretraining";
  j.year = 2024;
  j.gpus = 64;
  j.optimisation = "";
  j.outcome = JobOutcome::completed;
  for (auto _ : state) {
    Hdf5Recorder rec(path);
    rec.begin(meta(), specs);
    for (std::size_t i = 0; i < 96; ++i) rec.append_sample(900.0 * static_cast<double>(i), row);
    for (std::size_t i = 0; i < jobs; ++i) {
      j.id = i + 1;
      j.submit_s = 300.0 * static_cast<double>(i);
      j.start_s = j.submit_s + 60;
      j.end_s = j.start_s + 3600;
      j.energy_j = 1e9 + static_cast<double>(i);
      rec.add_job(j);
    }
    rec.finish(RunSummary{});
  }
  fs::remove(path);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Hdf5_jobs)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
