#!/usr/bin/env bash
# End-to-end calibration (h200): runs dcsim on scenarios/calibration and reads the result files
# (tests/cli/calibration.py, which documents what is checked). Usage: calibration_h200.sh DCSIM SRC
exec /usr/bin/python3 "$(dirname "$0")/calibration.py" "$1" "$2" h200
