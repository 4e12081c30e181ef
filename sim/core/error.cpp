#include "core/error.hpp"

namespace dcsim {

std::string Diagnostic::to_string() const {
  std::string s;
  if (!file.empty()) {
    s += file;
    if (line > 0) {
      s += ":" + std::to_string(line);
      if (column > 0) s += ":" + std::to_string(column);
    }
    s += ": ";
  }
  if (!key_path.empty()) s += key_path + ": ";
  s += message;
  return s;
}

static std::string join(const std::vector<Diagnostic>& d) {
  std::string s;
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (i) s += "\n";
    s += d[i].to_string();
  }
  return s;
}

InputError::InputError(std::vector<Diagnostic> diags)
    : std::runtime_error(join(diags)), diags_(std::move(diags)) {}
InputError::InputError(Diagnostic d) : InputError(std::vector<Diagnostic>{std::move(d)}) {}

void DiagnosticSink::throw_if_any() const {
  if (!diags_.empty()) throw InputError(diags_);
}

}  // namespace dcsim
