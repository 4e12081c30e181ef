#pragma once
// The one error type of the output module: an HDF5 call failed, a file could not be
// created/renamed, or the Recorder was used out of order. The message names the operation,
// the object and the innermost HDF5 error description.
#include <stdexcept>
#include <string>

namespace dcsim {

class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace dcsim
