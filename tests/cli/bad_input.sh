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
  # `dcsim validate` makes every check a run makes before simulating: the same error, non-zero exit.
  "$dcsim" validate "$file" >"$tmp/vstdout" 2>"$tmp/vstderr"
  local vrc=$?
  if [ $vrc -eq 0 ]; then echo "FAIL $name: validate exit code 0"; ok=0; fi
  if ! cat "$tmp/vstdout" "$tmp/vstderr" | grep -Eq -- "$regex"; then
    echo "FAIL $name: validate does not report /$regex/:"; sed 's/^/    /' "$tmp/vstdout" "$tmp/vstderr"; ok=0
  fi
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

# Errors found after loading, before simulating (catalogue names, policies, traces): placed at
# file:line:col, with a suggestion for a misspelt value, and raised by validate too.
good "  gpus_per_job: 8
  fixed_profile: generative_modeling" >"$tmp/fixedprof.yaml"
expect "misspelt fixed_profile" "$tmp/fixedprof.yaml" \
  "fixedprof\.yaml:13:[0-9]+: workload\.fixed_profile: expected a profile of the catalogue.*did you mean 'generative_modelling'"

good "" | sed 's/generator: fixed/generator: research-lab/; s/jobs: 4/jobs_per_year: 2000/' >"$tmp/mix.yaml"
sed -i 's/^policies:/  mix: {image_clasification: 1}\npolicies:/' "$tmp/mix.yaml"
expect "misspelt profile in mix" "$tmp/mix.yaml" \
  "mix\.yaml:[0-9]+:[0-9]+: workload\.mix\.image_clasification: expected a profile of the catalogue.*did you mean 'image_classification'"

good "  gpus_per_job: 8" | sed 's/{name: fcfs}/{name: easy_backfill}/' >"$tmp/sched.yaml"
expect "misspelt scheduler" "$tmp/sched.yaml" \
  "sched\.yaml:[0-9]+:[0-9]+: policies\.scheduler\.name: expected a scheduling policy.*did you mean 'easy-backfill'"

good "  gpus_per_job: 8" >"$tmp/energy.yaml"
printf '  energy:\n    - {name: carbon-aware-shfit, window: 24h}\n' >>"$tmp/energy.yaml"
expect "misspelt energy policy" "$tmp/energy.yaml" \
  "energy\.yaml:[0-9]+:[0-9]+: policies\.energy\.0\.name: expected an energy policy.*did you mean 'carbon-aware-shift'"

good "  gpus_per_job: 8" >"$tmp/choice.yaml"
printf '  energy:\n    - {name: power-cap, cap_w: 5000, scope: rak}\n' >>"$tmp/choice.yaml"
expect "misspelt policy choice" "$tmp/choice.yaml" \
  "choice\.yaml:[0-9]+:[0-9]+: policies\.energy\.0\.scope: expected one of .*did you mean 'rack'"

# validate takes --set, applied as run applies it.
good "  gpus_per_job: 8" >"$tmp/okset.yaml"
if "$dcsim" validate "$tmp/okset.yaml" --set workload.fixed_profile=generative_modeling >"$tmp/vout" 2>&1; then
  echo "FAIL validate --set: a misspelt profile given with --set passed"; failures=$((failures + 1))
elif ! grep -q "did you mean 'generative_modelling'" "$tmp/vout"; then
  echo "FAIL validate --set: no suggestion:"; sed 's/^/    /' "$tmp/vout"; failures=$((failures + 1))
else
  echo "ok   validate --set: $(grep -m1 fixed_profile "$tmp/vout")"
fi

echo "$((4 + 6 + 1 - failures)) passed, $failures failed"
[ $failures -eq 0 ]
