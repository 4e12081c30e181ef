// Replays, through the normal (non-fuzzing) build of each parser, the inputs of the libFuzzer
// targets (tests/fuzz/, scripts/fuzz.sh):
//   - tests/fuzz/regressions/<parser>/: inputs that once crashed, hung or tripped a sanitizer.
//     Each must now load or be refused with an InputError, as its name says: a file named
//     `loads-…` must load, any other must give an InputError.
//   - tests/fuzz/corpus/<parser>/: the seed corpora. Each seed must load or give an InputError;
//     seeds taken from files known to be valid must load, so the fuzzers start from inputs
//     that reach past the first error (e.g. their rewritten relative paths resolve).
// Input layouts (trace configuration byte, the sandbox for relative paths): tests/fuzz/fuzz_inputs.hpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz/fuzz_inputs.hpp"

namespace fs = std::filesystem;
using dcsim::fuzz::Outcome;

namespace {

using Runner = Outcome (*)(std::string_view);

const std::map<std::string, Runner>& runners() {
  static const std::map<std::string, Runner> r = {
      {"scenario", &dcsim::fuzz::run_scenario},
      {"platform", &dcsim::fuzz::run_platform},
      {"catalogue", &dcsim::fuzz::run_catalogue},
#ifdef DCSIM_FUZZ_HAS_SWEEP
      {"sweep", &dcsim::fuzz::run_sweep},
#endif
      {"trace", &dcsim::fuzz::run_trace},
      {"swf", &dcsim::fuzz::run_swf},
      {"alibaba", &dcsim::fuzz::run_alibaba},
      {"helios", &dcsim::fuzz::run_helios},
      {"azure", &dcsim::fuzz::run_azure},
      {"jobcsv", &dcsim::fuzz::run_jobcsv},
      {"serving", &dcsim::fuzz::run_serving},
      {"serving_trace", &dcsim::fuzz::run_serving_trace},
  };
  return r;
}

const fs::path kFuzzDir = fs::path(DCSIM_SOURCE_DIR) / "tests" / "fuzz";

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> sorted_files(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

const char* name_of(Outcome o) { return o == Outcome::loaded ? "loaded" : "an InputError"; }

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

TEST_CASE("every input that once crashed a parser now loads or gives the InputError its name says",
          "[fuzz]") {
  std::size_t replayed = 0;
  for (const auto& dir : fs::directory_iterator(kFuzzDir / "regressions")) {
    if (!dir.is_directory()) continue;
    const std::string parser = dir.path().filename().string();
    INFO("regression directory " << dir.path().string());
    const auto it = runners().find(parser);
    if (parser == "sweep" && it == runners().end()) continue;  // sweep parser not built
    REQUIRE(it != runners().end());  // a directory must be named after a parser
    for (const auto& f : sorted_files(dir.path())) {
      const std::string name = f.filename().string();
      INFO("input " << f.string());
      const Outcome want = starts_with(name, "loads-") ? Outcome::loaded : Outcome::input_error;
      Outcome got = Outcome::input_error;
      REQUIRE_NOTHROW(got = it->second(read_bytes(f)));
      CHECK(std::string(name_of(got)) == name_of(want));
      ++replayed;
    }
  }
  // The directory holds the inputs the fuzzers found (issue 8 note): none may go missing.
  CHECK(replayed >= 10);
}

TEST_CASE("every seed of the fuzz corpora loads or gives an InputError, and valid project files load",
          "[fuzz]") {
  // Seeds (named <origin directory>-<file>) that come from valid project files.
  const std::vector<std::pair<std::string, std::string>> must_load = {
      {"scenario", "examples-"},    {"scenario", "validation-"}, {"scenario", "sweeps-tiny"},
      {"platform", "sites-"},       {"catalogue", "workloads-"}, {"sweep", ""},
      {"swf", "small"},             {"alibaba", ""},             {"helios", ""},
      {"azure", ""},                {"jobcsv", "jobs-profiles"}, {"trace", "eia_"},
      {"trace", "electricitymaps_"}, {"trace", "three_days_2022-0"},
      {"serving", "examples-serving-always-on"}, {"serving", "examples-serving-autoscaling"},
      {"serving_trace", "azure_llm_inference_2023_"},
  };
  std::size_t seeds = 0, loaded_as_required = 0;
  for (const auto& [parser, run] : runners()) {
    const auto files = sorted_files(kFuzzDir / "corpus" / parser);
    INFO("parser " << parser);
    CHECK_FALSE(files.empty());
    for (const auto& f : files) {
      const std::string name = f.filename().string();
      INFO("seed " << f.string());
      Outcome got = Outcome::input_error;
      REQUIRE_NOTHROW(got = run(read_bytes(f)));
      ++seeds;
      for (const auto& [p, prefix] : must_load) {
        if (p == parser && starts_with(name, prefix)) {
          CHECK(std::string(name_of(got)) == "loaded");
          ++loaded_as_required;
          break;
        }
      }
    }
  }
  CHECK(seeds >= 150);
  CHECK(loaded_as_required >= 30);
}
