#!/usr/bin/env bash
# End-to-end calibration (limits): runs dcsim on scenarios/calibration and reads the result files
# (tests/cli/calibration.py, which documents what is checked). Usage: calibration_limits.sh DCSIM SRC
exec /usr/bin/python3 "$(dirname "$0")/calibration.py" "$1" "$2" limits
