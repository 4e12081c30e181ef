#pragma once
// Site platform files (platforms/sites/*.yaml): the accelerator and node catalogue they use,
// node groups, network and domain layout. Implemented in platform_loader.cpp (platform owner).
#include <string>

#include "core/error.hpp"
#include "model/specs.hpp"

namespace dcsim {

// Loads and validates a platform file. Every problem is added to `errors` as
// file:line:col: key.path: expected …, got … (nothing is thrown for bad content); returns what
// could be read. The scenario loader calls it for `site.platform`.
PlatformSpec load_platform(const std::string& path, DiagnosticSink& errors);

}  // namespace dcsim
