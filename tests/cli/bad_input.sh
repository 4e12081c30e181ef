#!/usr/bin/env bash
# Bad input gets a one-line error naming the file, line and key, a non-zero exit, and leaves no
# result file behind. Usage: bad_input.sh DCSIM_BINARY SOURCE_DIR
set -u
dcsim=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

good() {  # a valid small scenario; $1 = extra workload lines
  cat <<YAML
name: bad-input-test
seed: 1
time: {start: 2024-01-01, duration: 2d, sample: 15min}
site:
  platform: $src/platforms/sites/quickstart-h200.yaml
  cooling: {model: constant-pue, pue: 1.2}
  supply:
    grid: {carbon_gco2_per_kwh: 400}
workload:
  generator: fixed
  jobs: 4
$1
policies:
  scheduler: {name: fcfs}
YAML
}

# expect NAME FILE REGEX: dcsim must fail, print an error matching REGEX, write no result.
expect() {
  local name=$1 file=$2 regex=$3
  rm -f "$tmp"/out.h5*
  "$dcsim" run "$file" -o "$tmp/out.h5" --quiet >"$tmp/stdout" 2>"$tmp/stderr"
  local rc=$?
  local ok=1
  if [ $rc -eq 0 ]; then echo "FAIL $name: exit code 0"; ok=0; fi
  if ! grep -Eq -- "$regex" "$tmp/stderr"; then
    echo "FAIL $name: error does not match /$regex/:"; sed 's/^/    /' "$tmp/stderr"; ok=0
  fi
  if ls "$tmp"/out.h5* >/dev/null 2>&1; then echo "FAIL $name: a result file was left behind"; ok=0; fi
  if [ $ok -eq 1 ]; then echo "ok   $name: $(head -1 "$tmp/stderr")"; else failures=$((failures + 1)); fi
}

# Sanity: the good scenario runs.
good "  gpus_per_job: 8" >"$tmp/good.yaml"
if ! "$dcsim" run "$tmp/good.yaml" -o "$tmp/good.h5" --quiet 2>"$tmp/stderr"; then
  echo "FAIL the valid scenario does not run:"; cat "$tmp/stderr"; failures=$((failures + 1))
elif [ ! -f "$tmp/good.h5" ]; then
  echo "FAIL the valid scenario wrote no result"; failures=$((failures + 1))
else
  echo "ok   valid scenario runs"
fi

expect "missing scenario file" "$tmp/does-not-exist.yaml" "does-not-exist\.yaml.*(not found|cannot|No such|does not exist)"

printf 'name: broken\nseed: [1, 2\ntime: {start: 2024-01-01}\n' >"$tmp/malformed.yaml"
expect "malformed YAML" "$tmp/malformed.yaml" "malformed\.yaml:[0-9]+:[0-9]+:"

good "  gpus_per_job: 8" | sed 's/^seed: 1$/sede: 1/' >"$tmp/unknown.yaml"
expect "unknown key" "$tmp/unknown.yaml" "unknown\.yaml:2:1: sede: .*unknown key"

good "  gpus_per_job: -8" >"$tmp/negative.yaml"
expect "negative GPU count" "$tmp/negative.yaml" "negative\.yaml:12:[0-9]+: workload\.gpus_per_job: expected .*got -8"

echo "$((4 + 1 - failures)) passed, $failures failed"
[ $failures -eq 0 ]
