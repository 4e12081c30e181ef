#pragma once
// Scenario files → a typed, validated Scenario (the format is documented, key by key, in
// scenarios/README.md). Composition:
//   - `extends: base.yaml` (path relative to the file naming it; recursive; cycles refused):
//     the base is loaded first and this file is laid over it — mappings merge key by key,
//     anything else (scalars, lists) replaces the base's value;
//   - `--set key.path=value` overrides (value parsed as YAML) applied after `extends`;
//     an override of an unknown key is an unknown-key error like one in a file.
// Every problem — in the scenario, its bases, the overrides and the platform file — is collected
// and thrown together as one InputError of `file:line:col: key.path: expected …, got …` lines.
// Sizes that would exhaust the machine (more than 10^8 samples per series, sub-second sampling
// over more than a day, more than 10^8 jobs, per-node series over 10^10 values) are refused up
// front with their estimated size.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/scenario.hpp"
#include "config/yaml_reader.hpp"
#include "core/error.hpp"

namespace dcsim {

// Checks a policy's name and parameters (the policy registry provides one). It adds diagnostics
// to the sink; a diagnostic whose key_path is a parameter name (e.g. "after") or empty is
// placed by the loader at that parameter (or the policy) in the file, with the full key path.
using PolicyValidator = std::function<void(const PolicyConfig&, DiagnosticSink&)>;

struct LoadOptions {
  std::vector<std::string> set_overrides;   // "key.path=value", in order
  PolicyValidator validate_policy;           // optional
  bool load_platform = true;                 // false: only check that the platform file exists
};

Scenario load_scenario(const std::string& path, const std::vector<std::string>& set_overrides = {});
Scenario load_scenario(const std::string& path, const LoadOptions& options);

// The scenario document after `extends` and overrides, before typing (for sweeps: the resolved
// text hashes to a run id). Problems found so far are in the returned document's errors();
// unreadable files and syntax errors throw InputError. `files` receives the scenario and its
// bases, in the order read.
std::unique_ptr<YamlDoc> resolve_scenario_document(const std::string& path,
                                                   const std::vector<std::string>& set_overrides,
                                                   std::vector<std::string>* files = nullptr);

// Resource estimate of a scenario, checked by load_scenario (limits above).
struct SizeEstimate {
  double samples = 0;          // per series
  double jobs = 0;             // submitted over the span (generator estimate)
  double nodes = 0;
  double per_node_values = 0;  // samples × nodes when per-node series are on
};
SizeEstimate estimate_size(const Scenario& s);

// ---- dcsim validate ----------------------------------------------------------------------
enum class FileKind { scenario, platform, accelerator_catalogue, workload_catalogue, sweep, unknown };
const char* to_string(FileKind k);
// Decides a file's kind from its top-level keys: `base` → sweep; `accelerators` (alone or with
// `source`) → accelerator catalogue; `profiles` → workload catalogue; `node_types`, `nodes` or
// `catalogue` without `site` → platform; anything else with a mapping → scenario.
FileKind detect_kind(const std::vector<std::string>& top_level_keys);

struct ValidateOptions {
  std::vector<std::string> set_overrides;   // applied to every scenario file checked
  PolicyValidator validate_policy;
  // The checks a run makes after loading and before simulating (catalogue names, traces,
  // policy construction; the app provides them): a scenario that loads is passed to it.
  std::function<void(const Scenario&, DiagnosticSink&)> validate_scenario;
  bool load_platform = true;   // false: a scenario's platform file is only checked to exist
  // Checkers for the kinds other modules own (sweep expansion, catalogues); a kind without a
  // checker is only checked to be well-formed YAML. Platform files use load_platform().
  std::function<void(const std::string& path, DiagnosticSink&)> validate_sweep;
  std::function<void(const std::string& path, DiagnosticSink&)> validate_accelerator_catalogue;
  std::function<void(const std::string& path, DiagnosticSink&)> validate_workload_catalogue;
};

// What a scenario asks for that the engine cannot run yet (each a Diagnostic naming the file,
// line and key); empty when the engine runs all of it. `dcsim validate` reports these and the
// engine refuses the run with them (nothing a user writes is accepted and then ignored).
std::vector<Diagnostic> engine_unsupported(const Scenario& s);

// Every problem of one file (empty: the file is valid). Never throws for bad input.
std::vector<Diagnostic> validate_file(const std::string& path, const ValidateOptions& options = {});
// The kind validate_file decided (for its report); unknown if the file cannot be parsed.
FileKind detect_file_kind(const std::string& path);

}  // namespace dcsim
