# Shared by tests/cli/sweep_*.sh (sourced; not a test itself). Expects $dcsim and $src.
# The sweep under test: tests/fixtures/sweeps/eight-runs.yaml (8 two-day runs).
set -u
sweep=$src/tests/fixtures/sweeps/eight-runs.yaml
check_py=$src/tests/cli/sweep_check.py
py=/usr/bin/python3
tmp=$(mktemp -d /tmp/dcsim-sweep-test.XXXXXX)
passed=0
failed=0

# check NAME COMMAND...: one assertion.
check() {
  local name=$1
  shift
  if "$@" >"$tmp/check.out" 2>&1; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name"
    sed 's/^/    /' "$tmp/check.out" | head -40
  fi
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# Seconds since the epoch with milliseconds.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

grep_q() { grep -Eq -- "$1" "$2"; }

# write_failing_sweep DIR: DIR/fail.yaml, a 4-run sweep whose 2 runs on DIR/broken-platform.yaml
# (a platform file that exists but is not a valid platform) load as scenarios but fail to run.
write_failing_sweep() {
  mkdir -p "$1"
  printf 'nodes: 3\n' >"$1/broken-platform.yaml"
  cat >"$1/fail.yaml" <<YAML
name: with-a-failure
base: $src/tests/fixtures/sweeps/tiny-scenario.yaml
grid:
  site.platform: [$src/platforms/sites/quickstart-h200.yaml, $1/broken-platform.yaml]
  site.cooling.pue: [1.1, 1.3]
YAML
}
