#!/usr/bin/env bash
# The README's first command: installs what is missing, builds dcsim, and runs the default
# what-if scenario end to end, printing its summary table and writing results/quickstart.h5
# and results/quickstart-facility-power.png.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
mkdir -p results
build/release/dcsim run scenarios/examples/quickstart.yaml -o results/quickstart.h5 \
  --plot results/quickstart-facility-power.png
