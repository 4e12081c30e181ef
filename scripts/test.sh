#!/usr/bin/env bash
# The README's second command, and what CI runs: builds with warnings as errors and runs every
# test: C++ (ctest: Catch2 unit and integration tests, command-line tests) and Python (pytest
# under /usr/bin/python3, including the notebooks).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release -DDCSIM_WERROR=ON
export DCSIM_SOURCE_DIR=$PWD DCSIM_BINARY=$PWD/build/release/dcsim
status=0
ctest --test-dir build/release --output-on-failure -j "$(nproc)" --timeout 600 || status=$?
PYDEVD_DISABLE_FILE_VALIDATION=1 /usr/bin/python3 -m pytest -q tests/python || status=$?
exit $status
