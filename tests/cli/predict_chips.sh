#!/usr/bin/env bash
# The prediction table of platforms/README.md (every H200 phase on every chip of the catalogue)
# is what the engine gives now: platforms/calibration/predict.py runs `dcsim run` for each row and
# compares with the README's table. Regenerate the table with
#   /usr/bin/python3 platforms/calibration/predict.py build/release/dcsim .
# and paste it between the markers when the models change on purpose.
# Usage: predict_chips.sh <dcsim binary> <source dir>
exec /usr/bin/python3 "${2:?usage: predict_chips.sh <dcsim> <source dir>}/platforms/calibration/predict.py" "${1:?}" "$2" --check
