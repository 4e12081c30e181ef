#!/usr/bin/env bash
# Fails (listing the files) when a C++ file of scripts/format_files.sh differs from clang-format's
# output; scripts/format.sh applies it.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check_format: clang-format not installed (apt-get install clang-format)" >&2; exit 2; }
bad=()
while read -r f; do
  clang-format --dry-run -Werror --style=file "$f" >/dev/null 2>&1 || bad+=("$f")
done < <(scripts/format_files.sh)
if [ ${#bad[@]} -gt 0 ]; then
  printf 'check_format: %d file(s) not formatted (run scripts/format.sh):\n' "${#bad[@]}" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "check_format: $(scripts/format_files.sh | wc -l) files formatted"
