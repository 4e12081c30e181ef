#pragma once
// Site platform files (platforms/sites/*.yaml) and the accelerator / node-type catalogues they
// use (platforms/accelerators.yaml, platforms/nodes.yaml, and any extra catalogue files the
// user lists). Formats: platforms/README.md.
//
// A site file:
//   name: quickstart-h200
//   catalogue: [my-gpus.yaml]          # optional extra catalogue files (relative to this file)
//   use_builtin_catalogue: true        # optional; false = only the listed/inline catalogues
//   accelerators: {...}                # optional inline catalogue entries
//   node_types: {...}
//   nodes: [{type: dgx-h200, count: 16}]
//   network: {topology: leaf-spine, ...}   # NetworkSpec (model/specs.hpp)
// A catalogue file holds `accelerators:` and/or `node_types:` mappings keyed by name.
//
// Validation collects every problem (file:line:col: key.path: expected …, got …): unknown
// node type or accelerator, p-states not in strictly descending frequency, full power rising as
// the clock falls or below idle, negative powers, a power-limit range below idle or reversed,
// duplicate catalogue names, missing catalogue files, unknown keys.
#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "model/platform.hpp"
#include "model/specs.hpp"

namespace dcsim {

// Loads and validates a platform file. Every problem is added to `errors` as
// file:line:col: key.path: expected …, got … (nothing is thrown for bad content); returns what
// could be read. The scenario loader calls it for `site.platform`. Given a catalogue file
// (only `accelerators:` / `node_types:`), it validates that catalogue and returns its entries.
PlatformSpec load_platform(const std::string& path, DiagnosticSink& errors);

// Accelerator and node-type entries by name, with where each was defined ("file:line").
// Named PlatformCatalogue, not Catalogue: dcsim::Catalogue is the workload profile catalogue.
struct PlatformCatalogue {
  std::map<std::string, AcceleratorSpec> accelerators;
  std::map<std::string, NodeSpec> node_types;
  std::map<std::string, std::string> defined_at;  // "accelerator:NAME" / "node:NAME" → file:line
  std::vector<std::string> files;                 // catalogue files read, in order
};

// Adds the entries of one catalogue file to `into` (duplicates and bad entries → errors).
// Does not check node → accelerator references (see check_platform_catalogue_references).
void load_platform_catalogue_file(const std::string& path, PlatformCatalogue& into, DiagnosticSink& errors);

// Every node type's accelerator must exist in the catalogue.
void check_platform_catalogue_references(const PlatformCatalogue& c, DiagnosticSink& errors);

// The directory of the built-in catalogue (accelerators.yaml + nodes.yaml), looked up in order:
// $DCSIM_PLATFORMS_DIR; the ancestors of `near_path` (a directory holding both files, or a
// `platforms/` subdirectory holding them); the ancestors of the working directory; the source
// tree dcsim was built from. Empty if none has them.
std::string builtin_catalogue_dir(const std::string& near_path = "");

// The built-in catalogue, loaded and cross-checked; a diagnostic if it cannot be found.
PlatformCatalogue load_builtin_catalogue(DiagnosticSink& errors, const std::string& near_path = "");

// Validates a standalone catalogue file together with the built-in catalogue it may refer to
// (for `dcsim validate`/`describe` on accelerator or node catalogue files).
void validate_catalogue_file(const std::string& path, DiagnosticSink& errors);

}  // namespace dcsim
