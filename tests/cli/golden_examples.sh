#!/usr/bin/env bash
# The narrated examples' summaries against their golden files (tests/golden/check.py).
exec /usr/bin/python3 "$2/tests/golden/check.py" "$1" "$2"
