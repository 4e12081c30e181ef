#pragma once
// Printing diagnostics for a person: a file with 10^5 bad keys gives a readable report.
#include <cstddef>
#include <iosfwd>
#include <vector>

#include "core/error.hpp"

namespace dcsim {

// At most this many diagnostics of one file are printed; the rest are counted in one line and
// still count for the exit code.
inline constexpr std::size_t kMaxPrintedPerFile = 50;

// Prints `diags` as "error: file:line:col: key: message" lines, in order, at most `per_file` per
// file (Diagnostic::file); then, for each file that had more, one line
// "error: FILE: and N more errors (T in all; the first P are shown)". Returns how many were left out.
std::size_t print_diagnostics(std::ostream& out, const std::vector<Diagnostic>& diags,
                              std::size_t per_file = kMaxPrintedPerFile);

}  // namespace dcsim
