#pragma once
// Error types. User input is validated once at the edge; every problem becomes a Diagnostic
// and all of them are thrown together as an InputError. Nothing aborts on user input.
#include <stdexcept>
#include <string>
#include <vector>

namespace dcsim {

struct Diagnostic {
  std::string file;      // path as given by the user; empty if not from a file
  int line = 0;          // 1-based; 0 = unknown
  int column = 0;        // 1-based; 0 = unknown
  std::string key_path;  // e.g. "site.cooling.pue"; empty if not applicable
  std::string message;   // "expected a number > 0, got -3"

  // "file:line:col: key.path: message" (parts that are unknown are left out)
  std::string to_string() const;
};

class InputError : public std::runtime_error {
 public:
  explicit InputError(std::vector<Diagnostic> diags);
  explicit InputError(Diagnostic d);
  const std::vector<Diagnostic>& diagnostics() const { return diags_; }

 private:
  std::vector<Diagnostic> diags_;
};

// Collects diagnostics; throw_if_any() throws them together.
class DiagnosticSink {
 public:
  void add(Diagnostic d) { diags_.push_back(std::move(d)); }
  bool empty() const { return diags_.empty(); }
  std::size_t size() const { return diags_.size(); }
  const std::vector<Diagnostic>& all() const { return diags_; }
  void throw_if_any() const;

 private:
  std::vector<Diagnostic> diags_;
};

// An internal invariant was violated (a bug, or a run-end check failing): not user input.
class InvariantError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace dcsim
