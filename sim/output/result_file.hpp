#pragma once
// Checks on finished result files, for the sweep runner's resume logic.
#include <string>

namespace dcsim {

// True if `path` is a readable HDF5 file whose root attribute `complete` is 1 (a run file or a
// sweep index written to the end). Never throws: a missing, truncated or foreign file is false.
bool is_complete_result(const std::string& path) noexcept;

}  // namespace dcsim
