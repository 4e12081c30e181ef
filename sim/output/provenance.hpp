#pragma once
#include <string>

namespace dcsim {
std::string dcsim_version();        // "0.1.0"
std::string dcsim_git_revision();   // short hash at build time, "unknown" outside git
std::string hdf5_library_version(); // "1.10.8"
// SHA-256 of a file's bytes, hex; throws InputError if it cannot be read.
std::string sha256_file(const std::string& path);
std::string sha256_hex(const std::string& bytes);
}  // namespace dcsim
