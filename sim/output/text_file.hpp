#pragma once
// Small text outputs (the JSON summary, the Slurm script): written whole or not at all.
#include <string>

#include "output/output_error.hpp"

namespace dcsim {

// Writes `text` to "<path>.tmp-<pid>" in the same directory, fsyncs it and renames it to `path`.
// Any failure (open, write, fsync, close, rename: ENOSPC, EIO, EDQUOT, a directory that is gone)
// removes the temporary file, leaves an existing `path` as it was, and throws
// OutputError(path, operation, cause).
void write_text_file(const std::string& path, const std::string& text);

}  // namespace dcsim
