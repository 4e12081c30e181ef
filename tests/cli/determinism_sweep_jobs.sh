#!/usr/bin/env bash
# Determinism across execution modes: the same 8-run sweep with --jobs 1 and with --jobs 2 gives
# bit-identical data variables for every run id (h5diff compares every dataset).
# Usage: determinism_sweep_jobs.sh DCSIM_BINARY SOURCE_DIR
set -u
dcsim=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
sweep=$src/tests/fixtures/sweeps/eight-runs.yaml
"$dcsim" sweep "$sweep" -o "$tmp/j1" --jobs 1 --quiet >/dev/null 2>"$tmp/e1" || { echo "FAIL --jobs 1: $(tail -1 "$tmp/e1")"; fail=$((fail + 1)); }
"$dcsim" sweep "$sweep" -o "$tmp/j2" --jobs 2 --quiet >/dev/null 2>"$tmp/e2" || { echo "FAIL --jobs 2: $(tail -1 "$tmp/e2")"; fail=$((fail + 1)); }
n=0
for f in "$tmp"/j1/*.h5; do
  id=$(basename "$f")
  [ "$id" = index.h5 ] && continue
  n=$((n + 1))
  if [ ! -f "$tmp/j2/$id" ]; then
    echo "FAIL $id: missing from the --jobs 2 sweep"; fail=$((fail + 1))
  elif h5diff -q "$f" "$tmp/j2/$id"; then
    pass=$((pass + 1))
  else
    echo "FAIL $id: data differ between --jobs 1 and --jobs 2"; fail=$((fail + 1))
  fi
done
if [ $n -eq 8 ]; then echo "ok   8 runs compared"; pass=$((pass + 1)); else echo "FAIL expected 8 runs, got $n"; fail=$((fail + 1)); fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
