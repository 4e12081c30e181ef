#!/usr/bin/env bash
# No silent zeros (scenarios/README.md, "Warnings"): a run without jobs, without a carbon source,
# or with a site cap below what the site draws idle says so on stderr and in the result's
# provenance (summary_run_warnings); a power cap has no default scope.
# Usage: silent_zeros.sh DCSIM_BINARY SOURCE_DIR
set -u
dcsim=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# attr FILE NAME: a root attribute of a result file.
attr() { $py -c "import h5py,sys; v=h5py.File(sys.argv[1],'r').attrs.get(sys.argv[2], ''); print(v.decode() if isinstance(v, bytes) else v)" "$1" "$2"; }

# Only a platform: no jobs, no carbon source.
cat >"$tmp/bare.yaml" <<YAML
name: bare
time: {start: 2024-01-01, duration: 1d}
site: {platform: $src/platforms/sites/quickstart-h200.yaml}
YAML
if ! "$dcsim" run "$tmp/bare.yaml" -o "$tmp/bare.h5" --quiet 2>"$tmp/bare.err"; then
  fail "the bare scenario does not run:"; cat "$tmp/bare.err"
else
  for w in "warning: no jobs" "warning: no carbon source"; do
    grep -q "$w" "$tmp/bare.err" && echo "ok   stderr: $(grep -m1 "$w" "$tmp/bare.err")" || fail "no '$w' on stderr"
  done
  a=$(attr "$tmp/bare.h5" summary_run_warnings)
  for w in "no jobs" "no carbon source"; do
    case "$a" in *"$w"*) echo "ok   provenance has '$w'" ;; *) fail "summary_run_warnings lacks '$w': $a" ;; esac
  done
fi

# A site cap far below the site's idle draw, and a cap without a scope.
base() {
  cat <<YAML
name: cap
time: {start: 2024-01-01, duration: 2d}
site:
  platform: $src/platforms/sites/quickstart-h200.yaml
  supply: {grid: {carbon_gco2_per_kwh: 400}}
workload: {generator: fixed, fixed_profile: generative_modelling, jobs: 4, gpus_per_job: 8, work_flops_per_job: 1e18}
policies:
  scheduler: {name: fcfs}
  energy:
    - $1
YAML
}
base "{name: power-cap, scope: site, cap_w: 560}" >"$tmp/sitecap.yaml"
if ! "$dcsim" run "$tmp/sitecap.yaml" -o "$tmp/sitecap.h5" --quiet 2>"$tmp/sitecap.err"; then
  fail "the site-cap scenario does not run:"; cat "$tmp/sitecap.err"
elif ! grep -q "warning: the site power cap of 560 W leaves" "$tmp/sitecap.err"; then
  fail "no warning for a site cap below the idle draw:"; cat "$tmp/sitecap.err"
else
  echo "ok   $(grep -m1 'site power cap' "$tmp/sitecap.err" | cut -c1-120)…"
  case "$(attr "$tmp/sitecap.h5" summary_run_warnings)" in *"site power cap of 560 W"*) echo "ok   provenance has the cap warning" ;; *) fail "provenance lacks the cap warning" ;; esac
fi
base "{name: power-cap, cap_w: 560}" >"$tmp/noscope.yaml"
"$dcsim" validate "$tmp/noscope.yaml" >"$tmp/noscope.out" 2>&1
if [ $? -eq 0 ] || ! grep -q "policies.energy.0.scope: missing required parameter 'scope'" "$tmp/noscope.out"; then
  fail "a cap without a scope:"; cat "$tmp/noscope.out"
else
  echo "ok   $(grep -m1 scope "$tmp/noscope.out")"
fi
# A cap as a share of TDP runs (device scope), and says nothing about idle draw.
base "{name: power-cap, scope: device, cap_tdp_fraction: 0.7}" >"$tmp/tdp.yaml"
if ! "$dcsim" run "$tmp/tdp.yaml" -o "$tmp/tdp.h5" --quiet 2>"$tmp/tdp.err"; then
  fail "cap_tdp_fraction does not run:"; cat "$tmp/tdp.err"
else
  echo "ok   cap_tdp_fraction 0.7 runs"
fi
[ $failures -eq 0 ]
