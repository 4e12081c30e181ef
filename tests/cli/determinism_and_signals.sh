#!/usr/bin/env bash
# Determinism: the same scenario and seed give identical data variables (h5diff) across two runs;
# a different seed gives different ones. Signals: SIGINT and SIGTERM stop a run with exit code
# 130 and leave no result file (not even a complete-looking partial one).
# Usage: determinism_and_signals.sh DCSIM_BINARY SOURCE_DIR
set -u
dcsim=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1"; fail=$((fail + 1)); }

q=$src/scenarios/examples/quickstart.yaml
"$dcsim" run "$q" -o "$tmp/a.h5" -q --set time.duration=10d && \
"$dcsim" run "$q" -o "$tmp/b.h5" -q --set time.duration=10d && \
"$dcsim" run "$q" -o "$tmp/c.h5" -q --set time.duration=10d --set seed=43 || ko "runs"
if h5diff -q "$tmp/a.h5" "$tmp/b.h5"; then ok "same seed: identical data variables"; else ko "same seed: files differ"; fi
if h5diff -q "$tmp/a.h5" "$tmp/c.h5" >/dev/null 2>&1; then ko "different seed: identical data"; else ok "different seed: different data"; fi

# A long run (ten years, 1,000 GPUs, 600,000 jobs: ~10 s) interrupted once it is writing its
# result (its partial file exists) and half a second into the simulation.
for sig in INT TERM; do
  rm -f "$tmp"/long.h5*
  "$dcsim" run "$q" -o "$tmp/long.h5" -q --set time.duration=3650d \
    --set site.platform="$src/platforms/sites/phoenix-1k-h200.yaml" --set workload.jobs=600000 \
    --set workload.interarrival=5min 2>"$tmp/err" &
  pid=$!
  for _ in $(seq 600); do
    ls "$tmp"/long.h5.partial-* >/dev/null 2>&1 && break
    sleep 0.05
  done
  sleep 0.5
  kill -s "$sig" "$pid"
  wait "$pid"
  rc=$?
  if [ $rc -eq 130 ]; then ok "SIG$sig: exit code 130"; else ko "SIG$sig: exit code $rc ($(cat "$tmp/err"))"; fi
  if ls "$tmp"/long.h5* >/dev/null 2>&1; then ko "SIG$sig: a file was left: $(ls "$tmp"/long.h5*)"; else ok "SIG$sig: no result file left"; fi
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
