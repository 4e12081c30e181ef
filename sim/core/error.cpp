#include "core/error.hpp"

#include "core/diagnostics.hpp"

#include <ostream>
#include <unordered_map>

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

namespace {

// Calls line(d) for each diagnostic to show and returns, per file in order of first appearance,
// how many were left out.
template <class F>
std::vector<std::pair<std::string, std::size_t>> capped(const std::vector<Diagnostic>& d, std::size_t per_file,
                                                        F&& line) {
  std::unordered_map<std::string, std::size_t> shown;
  std::vector<std::pair<std::string, std::size_t>> left;  // file, left out
  std::unordered_map<std::string, std::size_t> slot;      // file → index in `left`
  for (const auto& x : d) {
    std::size_t& n = shown[x.file];
    if (n < per_file) {
      ++n;
      line(x);
      continue;
    }
    auto [it, fresh] = slot.try_emplace(x.file, left.size());
    if (fresh) left.emplace_back(x.file, 0);
    ++left[it->second].second;
  }
  return left;
}

std::string more_line(const std::string& file, std::size_t more, std::size_t shown) {
  return (file.empty() ? std::string() : file + ": ") + "and " + std::to_string(more) + " more error" +
         (more == 1 ? "" : "s") + " (" + std::to_string(more + shown) + " in all; the first " + std::to_string(shown) +
         " are shown)";
}

std::string join(const std::vector<Diagnostic>& d) {
  std::string s;
  const auto left = capped(d, kMaxPrintedPerFile, [&](const Diagnostic& x) {
    if (!s.empty()) s += "\n";
    s += x.to_string();
  });
  for (const auto& [file, more] : left) s += "\n" + more_line(file, more, kMaxPrintedPerFile);
  return s;
}

}  // namespace

std::size_t print_diagnostics(std::ostream& out, const std::vector<Diagnostic>& diags, std::size_t per_file) {
  const auto left = capped(diags, per_file, [&](const Diagnostic& x) { out << "error: " << x.to_string() << "\n"; });
  std::size_t total = 0;
  for (const auto& [file, more] : left) {
    out << "error: " << more_line(file, more, per_file) << "\n";
    total += more;
  }
  return total;
}

InputError::InputError(std::vector<Diagnostic> diags)
    : std::runtime_error(join(diags)), diags_(std::move(diags)) {}
InputError::InputError(Diagnostic d) : InputError(std::vector<Diagnostic>{std::move(d)}) {}

void DiagnosticSink::throw_if_any() const {
  if (!diags_.empty()) throw InputError(diags_);
}

}  // namespace dcsim
