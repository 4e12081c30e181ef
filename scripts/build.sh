#!/usr/bin/env bash
# Configures and builds dcsim with a CMake preset (default: release) into build/<preset>.
# Usage: scripts/build.sh [preset] [extra cmake -D options...]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
shift || true
jobs=${DCSIM_BUILD_JOBS:-$(nproc)}
cmake --preset "$preset" "$@" >/dev/null
cmake --build "build/$preset" -j "$jobs"
