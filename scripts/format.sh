#!/usr/bin/env bash
# Applies clang-format (.clang-format) in place to every C++ file of scripts/format_files.sh.
# Equation and table comments are kept: .clang-format has ReflowComments off, and blocks whose
# alignment matters are fenced with `// clang-format off` / `// clang-format on`.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "format: clang-format not installed (apt-get install clang-format)" >&2; exit 2; }
scripts/format_files.sh | xargs clang-format -i --style=file
echo "format: $(scripts/format_files.sh | wc -l) files formatted"
