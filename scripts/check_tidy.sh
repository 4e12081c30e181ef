#!/usr/bin/env bash
# Runs clang-tidy (the checks in .clang-tidy) over every sim/ source, using the compile database
# of a configured build (default build/release; scripts/build.sh writes it). Fails on any finding.
# Usage: scripts/check_tidy.sh [build-dir] [file...]   (jobs: DCSIM_BUILD_JOBS, default nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
shift || true
[ -f "$build/compile_commands.json" ] || { echo "check_tidy: no $build/compile_commands.json (run scripts/build.sh first)" >&2; exit 2; }
command -v clang-tidy >/dev/null || { echo "check_tidy: clang-tidy not installed (apt-get install clang-tidy)" >&2; exit 2; }
if [ $# -gt 0 ]; then files=("$@"); else mapfile -t files < <(git ls-files 'sim/*.cpp'); fi
jobs=${DCSIM_BUILD_JOBS:-$(nproc)}
# -extra-arg: the database is GCC's; clang must not stop at GCC-only warning flags.
printf '%s\n' "${files[@]}" | xargs -P "$jobs" -n 4 clang-tidy -p "$build" --quiet \
  --extra-arg=-Wno-unknown-warning-option --extra-arg=-Wno-unused-command-line-argument
echo "check_tidy: ${#files[@]} files clean"
