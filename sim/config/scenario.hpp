#pragma once
// The typed, validated Scenario: every default resolved, every path checked. Produced only by
// config/scenario_loader (from YAML); the engine takes it as is.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/calendar.hpp"
#include "core/units.hpp"
#include "model/job.hpp"
#include "model/platform.hpp"
#include "model/serving_spec.hpp"
#include "model/specs.hpp"

namespace dcsim {

// ---- output -----------------------------------------------------------------------------------
struct OutputSpec {
  std::string file = "results/run.h5";
  bool per_rack = false;
  bool per_node = false;
  bool events = true;
  std::string plot;  // PNG path; empty = none
};

struct TimeSpec {
  CivilTime start{2024, 1, 1, 0, 0, 0};
  double years = 1;
  Seconds duration_s = 0;      // resolved: span in seconds (years → exact calendar span)
  Seconds sample_s = 900;      // series interval
  Seconds drain_s = 0;         // extra time after the span for running jobs to finish (0 = none)
};

struct Scenario {
  std::string name;
  std::string file;
  std::string description;
  std::uint64_t seed = 42;
  TimeSpec time;
  SiteSpec site;
  WorkloadSpec workload;
  PoliciesSpec policies;
  OutputSpec output;
  ServingSpec serving;  // LLM inference serving (config/serving_loader); empty = none
  std::string resolved_yaml;   // the scenario after extends/overrides, for provenance
  std::vector<std::string> input_files;  // every file read, for checksums
};

}  // namespace dcsim
