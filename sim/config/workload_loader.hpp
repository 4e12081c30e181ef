#pragma once
// Loads workload profile catalogues (workloads/profiles.yaml; format in workloads/README.md)
// into a workload::Catalogue, strictly: unknown and duplicate keys, wrong types and values out
// of range are all reported together as file:line:col: key.path: expected …, got ….
// Several files are merged in order: a later file's profiles replace earlier ones of the same
// name, its reference/growth/default_mix/trace_gpu_rule sections replace the earlier ones.
#include <string>
#include <vector>

#include "core/error.hpp"
#include "workload/catalogue.hpp"

namespace dcsim {

// Throws InputError with every problem found.
Catalogue load_catalogue(const std::vector<std::string>& files);
Catalogue load_catalogue_file(const std::string& file);
Catalogue load_catalogue_string(const std::string& text, const std::string& name);

// Adds the problems of one file to `errors` and merges what could be read into `into`
// (for the scenario loader, which collects every error of a run before throwing).
void load_catalogue_into(const std::string& file, Catalogue& into, DiagnosticSink& errors);

}  // namespace dcsim
