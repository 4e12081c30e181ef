#!/usr/bin/env bash
# `serving` in `dcsim run` and `dcsim validate` (issue 15 phase 2). The engine does not simulate
# serving yet: both commands must refuse a scenario with `serving.deployments` with one error
# naming the file, line and key (never accept it and ignore it), exit 2, and write no result.
# Usage: serving_engine.sh DCSIM_BINARY SOURCE_DIR
set -u
dcsim=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
passed=0
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
pass() { echo "ok   $1"; passed=$((passed + 1)); }

cat >"$tmp/serving.yaml" <<YAML
name: serving-cli-test
seed: 1
time: {start: 2024-01-01, duration: 2h, sample: 15min}
site:
  platform: $src/platforms/sites/quickstart-h200.yaml
  cooling: {model: constant-pue, pue: 1.2}
  supply:
    grid: {carbon_gco2_per_kwh: 400}
workload: {generator: none}
serving:
  deployments:
    - name: chat
      model: {preset: llama-3-8b}
      accelerator: H200-SXM
      replicas: 2
  streams:
    - name: chat
      deployment: chat
      rate_per_s: 5
      prompt_tokens: {distribution: fixed, mean: 500}
      output_tokens: {distribution: fixed, mean: 100}
YAML
# `deployments:` is on line 11 of the file above.
want="serving\.yaml:11:[0-9]+: serving\.deployments: serving runs in the engine are not yet available"

"$dcsim" run "$tmp/serving.yaml" -o "$tmp/out.h5" --quiet >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
if [ $rc -ne 2 ]; then fail "run: exit code $rc, expected 2"; else pass "run: exit code 2"; fi
if grep -Eq -- "$want" "$tmp/stderr"; then pass "run: $(head -1 "$tmp/stderr")"
else fail "run: error does not match /$want/:"; sed 's/^/    /' "$tmp/stderr"; fi
n=$(grep -c '^error:' "$tmp/stderr")
if [ "$n" -eq 1 ]; then pass "run: one error"; else fail "run: $n errors, expected 1"; fi
if ls "$tmp"/out.h5* >/dev/null 2>&1; then fail "run: a result file was left behind"; else pass "run: no result file"; fi

"$dcsim" validate "$tmp/serving.yaml" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
if [ $rc -ne 2 ]; then fail "validate: exit code $rc, expected 2"; else pass "validate: exit code 2"; fi
if grep -Eq -- "$want" "$tmp/stderr"; then pass "validate: names file, line and key"
else fail "validate: error does not match /$want/:"; sed 's/^/    /' "$tmp/stderr"; fi

# The same scenario without `serving` runs (the refusal is about serving, nothing else).
sed '/^serving:/,$d' "$tmp/serving.yaml" >"$tmp/plain.yaml"
if "$dcsim" run "$tmp/plain.yaml" -o "$tmp/plain.h5" --quiet 2>"$tmp/stderr" && [ -f "$tmp/plain.h5" ]; then
  pass "the scenario without serving runs"
else
  fail "the scenario without serving does not run:"; sed 's/^/    /' "$tmp/stderr"
fi

echo "$passed passed, $failures failed"
[ $failures -eq 0 ]
