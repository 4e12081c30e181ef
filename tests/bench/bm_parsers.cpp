// Parsers of user files on big inputs (issue 18 item 2): every parser is linear in its input.
// Each case builds its input once (in memory or a temporary file), then times one parse per
// iteration; Complexity(oN) prints the fitted exponent (BigO) and its RMS error, so the scaling is
// read as a ratio, never as a timed assert (figures: tests/bench/README.md, "Parsers").
//   ScenarioTopKeys/N   a scenario with N unknown top-level keys: load, read, finish (N errors)
//   ScenarioMix/N       load_scenario with N entries under workload.mix (N unknown profiles)
//   ScenarioSet/N       load_scenario with N `--set` overrides of new keys
//   Sweep/N             load_sweep of a grid of N values (N runs expanded and validated; the
//                       base scenario's parse is cached, as in `dcsim sweep`)
//   Catalogue/N         a workload catalogue of N profiles (5,000 profiles ≈ 8 MiB; the YAML
//                       layer refuses files over 16 MiB)
//   Trace/N             a carbon trace of N hourly rows (load_table_from_text)
//   Swf/N               an SWF job log of N jobs (import_swf)
//   ServingTrace/N      an azure-llm request trace of N records (serving::load_azure_trace)
//   Alibaba/N           an Alibaba GPU 2023 pod list of N pods (import_alibaba_gpu_2023)
//   Helios/N            a Helios cluster load series of N one-minute rows (import_helios)
//   DcsimCsv/N          a dcsim-csv job file of N jobs (import_dcsim_csv)
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "config/scenario_loader.hpp"
#include "config/sweep.hpp"
#include "config/workload_loader.hpp"
#include "config/yaml_reader.hpp"
#include "core/calendar.hpp"
#include "core/error.hpp"
#include "serving/traffic.hpp"
#include "traces/loaders.hpp"
#include "workload/importers.hpp"

#ifndef DCSIM_SOURCE_DIR
#error "DCSIM_SOURCE_DIR must be defined"
#endif

namespace fs = std::filesystem;
using namespace dcsim;

namespace {

const std::string kSrc = DCSIM_SOURCE_DIR;

// A private directory for the inputs, removed at exit.
struct TmpDir {
  fs::path root;
  TmpDir() {
    std::string t = (fs::temp_directory_path() / "dcsim-bm-parsers-XXXXXX").string();
    if (!mkdtemp(t.data())) throw std::runtime_error("cannot create " + t);
    root = t;
  }
  ~TmpDir() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    const fs::path p = root / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
};
const TmpDir& tmp() {
  static const TmpDir d;
  return d;
}

std::string tiny_scenario() {
  std::ifstream in(kSrc + "/tests/fixtures/sweeps/tiny-scenario.yaml");
  std::stringstream s;
  s << in.rdbuf();
  std::string t = s.str();
  const std::string rel = "../../../platforms";
  t.replace(t.find(rel), rel.size(), kSrc + "/platforms");
  return t;
}

// The YAML layer keeps the trees of the last documents it parsed (by name and text: a sweep's
// base, yaml_reader.hpp); every iteration therefore parses a document of its own name (a fresh
// copy of the file for the loaders that take a path), so that a parse is timed, not a copy.
std::string fresh_copy(benchmark::State& state, const std::string& path) {
  state.PauseTiming();
  static long serial = 0;
  const fs::path p(path);
  const fs::path copy = p.parent_path() / (p.stem().string() + "-" + std::to_string(++serial) + p.extension().string());
  fs::copy_file(p, copy, fs::copy_options::overwrite_existing);
  state.ResumeTiming();
  return copy.string();
}

template <class F>
void per_parse(benchmark::State& state, F parse) {
  std::size_t errors = 0;
  for (auto _ : state) {
    try {
      parse();
    } catch (const InputError& e) {
      errors = e.diagnostics().size();
      if (std::getenv("DCSIM_BM_VERBOSE")) std::fprintf(stderr, "%s\n", e.what());
    }
  }
  state.SetComplexityN(state.range(0));
  state.counters["errors"] = static_cast<double>(errors);
}

void BM_ScenarioTopKeys(benchmark::State& state) {
  const auto n = state.range(0);
  std::string text = tiny_scenario();
  for (long i = 0; i < n; ++i) text += "k" + std::to_string(i) + ": " + std::to_string(i) + "\n";
  long serial = 0;
  per_parse(state, [&] {
    auto doc = YamlDoc::load_string(text, "big-" + std::to_string(++serial) + ".yaml");
    YamlMap root = doc->root_map();
    for (const char* k : {"name", "seed", "time", "site", "workload", "policies", "output"}) root.accept(k);
    root.finish();
    doc->errors().throw_if_any();
  });
}

void BM_ScenarioMix(benchmark::State& state) {
  const auto n = state.range(0);
  std::string mix = "workload:\n  generator: research-lab\n  jobs_per_year: 10\n  mix:\n";
  for (long i = 0; i < n; ++i) mix += "    p" + std::to_string(i) + ": 0.1\n";
  std::string text = tiny_scenario();
  text.replace(text.find("workload:"), text.find("policies:") - text.find("workload:"), mix);
  const std::string path = tmp().write("mix-" + std::to_string(n) + ".yaml", text);
  per_parse(state, [&] {
    const std::string p = fresh_copy(state, path);
    try {
      (void)load_scenario(p);
    } catch (...) {
      fs::remove(p);
      throw;
    }
    fs::remove(p);
  });
}

void BM_ScenarioSet(benchmark::State& state) {
  const auto n = state.range(0);
  const std::string path = tmp().write("set.yaml", tiny_scenario());
  std::vector<std::string> sets;
  for (long i = 0; i < n; ++i) sets.push_back("x" + std::to_string(i) + "=" + std::to_string(i));
  per_parse(state, [&] {
    const std::string p = fresh_copy(state, path);
    try {
      (void)load_scenario(p, sets);
    } catch (...) {
      fs::remove(p);
      throw;
    }
    fs::remove(p);
  });
}

void BM_Sweep(benchmark::State& state) {
  const auto n = state.range(0);
  std::string text = "name: big\nbase: " + kSrc + "/tests/fixtures/sweeps/tiny-scenario.yaml\ngrid:\n  seed: [";
  for (long i = 0; i < n; ++i) text += (i ? ", " : "") + std::to_string(i);
  text += "]\n";
  const std::string path = tmp().write("sweep-" + std::to_string(n) + ".yaml", text);
  per_parse(state, [&] { benchmark::DoNotOptimize(load_sweep(path).runs.size()); });
}

void BM_Catalogue(benchmark::State& state) {
  const auto n = state.range(0);
  std::ifstream in(kSrc + "/workloads/profiles.yaml");
  std::stringstream s;
  s << in.rdbuf();
  const std::string full = s.str();
  // one profile's text (image_classification, up to the next profile), repeated under new names
  const auto a = full.find("  image_classification:");
  const auto b = full.find("\n  language_translation:");
  const std::string body = full.substr(full.find('\n', a) + 1, b - full.find('\n', a));
  std::string text = full.substr(0, full.find("profiles:")) + "profiles:\n";
  for (long i = 0; i < n; ++i) text += "  p" + std::to_string(i) + ":\n" + body;
  long serial = 0;
  per_parse(state, [&] {
    benchmark::DoNotOptimize(
        load_catalogue_string(text, "big-profiles-" + std::to_string(++serial) + ".yaml").profiles.size());
  });
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(text.size()));
}

void BM_Trace(benchmark::State& state) {
  const auto n = state.range(0);
  std::string text = "time,carbon_gco2_kwh\n";
  const double t0 = 946684800;  // 2000-01-01T00:00:00Z
  for (long i = 0; i < n; ++i)
    text += format_iso(civil_from_unix(t0 + 3600.0 * static_cast<double>(i))) + "," + std::to_string(200 + i % 100) + "\n";
  per_parse(state, [&] {
    benchmark::DoNotOptimize(traces::load_table_from_text(text, "big.csv", traces::LoadOptions{}).columns.size());
  });
}

void BM_Swf(benchmark::State& state) {
  const auto n = state.range(0);
  std::string text = "; UnixStartTime: 1700000000\n";
  for (long i = 0; i < n; ++i)
    text += std::to_string(i + 1) + " " + std::to_string(i * 10) + " 0 3600 8 -1 -1 8 7200 -1 1 1 1 1 1 1 -1 -1\n";
  static const Catalogue profiles = load_catalogue_file(kSrc + "/workloads/profiles.yaml");
  TraceImportSpec spec;
  spec.format = JobTraceFormat::swf;
  spec.file = "big.swf";
  per_parse(state, [&] {
    std::istringstream in(text);
    benchmark::DoNotOptimize(import_swf(in, "big.swf", spec, profiles, 1).jobs.size());
  });
}

void BM_ServingTrace(benchmark::State& state) {
  const auto n = state.range(0);
  std::string text = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
  char line[96];
  for (long i = 0; i < n; ++i) {
    std::snprintf(line, sizeof line, "2023-11-16 %02ld:%02ld:%02ld.%03ld0000,%ld,%ld\n", (i / 3600000) % 24,
                  (i / 60000) % 60, (i / 1000) % 60, i % 1000, 100 + i % 900, 10 + i % 90);
    text += line;
  }
  const std::string path = tmp().write("requests-" + std::to_string(n) + ".csv", text);
  per_parse(state, [&] { benchmark::DoNotOptimize(serving::load_azure_trace(path)->t_s.size()); });
}

const Catalogue& repo_catalogue() {
  static const Catalogue c = load_catalogue_file(kSrc + "/workloads/profiles.yaml");
  return c;
}

TraceImportSpec import_spec(const char* file) {
  TraceImportSpec spec;
  spec.file = file;
  return spec;
}

void BM_Alibaba(benchmark::State& state) {
  const auto n = state.range(0);
  std::string text = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n";
  for (long i = 0; i < n; ++i) {
    const long t = i * 60;
    text += "pod-" + std::to_string(i) + ",8000,16384," + std::to_string(1 + i % 8) + ",1000,,LS,Succeeded," +
            std::to_string(t) + "," + std::to_string(t + 3600 + i % 7200) + "," + std::to_string(t + 30) + "\n";
  }
  const TraceImportSpec spec = import_spec("big-openb.csv");
  per_parse(state, [&] {
    std::istringstream in(text);
    benchmark::DoNotOptimize(import_alibaba_gpu_2023(in, "big-openb.csv", spec, repo_catalogue(), 1).jobs.size());
  });
}

// Rows alternate between two load levels, so that every few minutes jobs start and end.
void BM_Helios(benchmark::State& state) {
  const auto n = state.range(0);
  std::string text = "time,running_gpu_num_noless_8,pending_gpu_num_noless_8,running_gpu_num_less_8,pending_gpu_num_less_8\n";
  const double t0 = 1588291200;  // 2020-05-01T00:00:00Z
  for (long i = 0; i < n; ++i) {
    std::string ts = format_iso(civil_from_unix(t0 + 60.0 * static_cast<double>(i)));
    ts[10] = ' ';
    if (!ts.empty() && ts.back() == 'Z') ts.pop_back();
    const bool high = (i / 5) % 2 == 1;
    text += ts + "," + (high ? "160" : "152") + ",0," + (high ? "5" : "4") + ",0\n";
  }
  const TraceImportSpec spec = import_spec("big-helios.csv");
  per_parse(state, [&] {
    std::istringstream in(text);
    benchmark::DoNotOptimize(import_helios(in, "big-helios.csv", spec, repo_catalogue(), 1).jobs.size());
  });
}

void BM_DcsimCsv(benchmark::State& state) {
  const auto n = state.range(0);
  std::string text = "id,submit_s,gpus,profile,duration_s\n";
  for (long i = 0; i < n; ++i)
    text += std::to_string(i + 1) + "," + std::to_string(i * 30) + "," + std::to_string(1 << (i % 4)) +
            ",image_classification," + std::to_string(600 + i % 3600) + "\n";
  const TraceImportSpec spec = import_spec("big-jobs.csv");
  per_parse(state, [&] {
    std::istringstream in(text);
    benchmark::DoNotOptimize(import_dcsim_csv(in, "big-jobs.csv", spec, repo_catalogue()).jobs.size());
  });
}

#define DCSIM_SCALING(bm, hi) \
  BENCHMARK(bm)->RangeMultiplier(10)->Range(1000, hi)->Complexity(benchmark::oN)->Unit(benchmark::kMillisecond)

DCSIM_SCALING(BM_ScenarioTopKeys, 1000000);
DCSIM_SCALING(BM_ScenarioMix, 100000);
DCSIM_SCALING(BM_ScenarioSet, 100000);
DCSIM_SCALING(BM_Sweep, 100000);
BENCHMARK(BM_Catalogue)->Arg(100)->Arg(1000)->Arg(5000)->Complexity(benchmark::oN)->Unit(benchmark::kMillisecond);
DCSIM_SCALING(BM_Trace, 1000000);
DCSIM_SCALING(BM_Swf, 1000000);
DCSIM_SCALING(BM_ServingTrace, 1000000);
DCSIM_SCALING(BM_Alibaba, 1000000);
DCSIM_SCALING(BM_Helios, 1000000);
DCSIM_SCALING(BM_DcsimCsv, 1000000);

}  // namespace
