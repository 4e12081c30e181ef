#pragma once
// The one error type of the output module: a file could not be written (an HDF5 call failed,
// the disk is full, a directory vanished, a rename failed) or the Recorder was used out of
// order. When a file is involved the error carries it, the operation and the cause separately
// (file(), operation(), cause()); what() is "<file>: <operation>: <cause>".
// The dcsim command line turns an OutputError into exit code 3 (README, "Exit codes").
#include <stdexcept>
#include <string>

namespace dcsim {

// The exit code of the dcsim command line for an OutputError.
inline constexpr int kExitOutputError = 3;

class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  OutputError(std::string file, std::string operation, std::string cause)
      : std::runtime_error(compose(file, operation, cause)),
        file_(std::move(file)),
        operation_(std::move(operation)),
        cause_(std::move(cause)) {}

  const std::string& file() const noexcept { return file_; }            // empty if none
  const std::string& operation() const noexcept { return operation_; }  // e.g. "write dataset time"
  const std::string& cause() const noexcept { return cause_; }          // e.g. "No space left on device"

 private:
  static std::string compose(const std::string& f, const std::string& op, const std::string& cause) {
    std::string s = f.empty() ? op : f + ": " + op;
    if (!cause.empty()) s += ": " + cause;
    return s;
  }
  std::string file_, operation_, cause_;
};

}  // namespace dcsim
