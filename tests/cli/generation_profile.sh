#!/usr/bin/env bash
# A generation profile's normalisation (scenarios/README.md, "Generation profiles"): by the
# trace's peak or by an installed capacity, and the capacity factor the run reports, checked
# against the profile file itself. Usage: generation_profile.sh DCSIM_BINARY SOURCE_DIR
set -u
dcsim=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
csv=$src/scenarios/data/carbon/eia_erco_2022_hourly.csv

scenario() {  # $1 = extra keys of site.supply.wind
  cat <<YAML
name: wind-profile
seed: 1
time: {start: 2022-01-01, duration: 30d, sample: 1h}
site:
  platform: $src/platforms/sites/quickstart-h200.yaml
  cooling: {model: constant-pue, pue: 1.2}
  supply:
    grid: {carbon_gco2_per_kwh: 400}
    wind: {rated_mw: 50, profile_file: $csv$1}
workload: {generator: none}
policies:
  scheduler: {name: fcfs}
YAML
}
failures=0
scenario "" >"$tmp/peak.yaml"
# The ERCOT WND column's peak over 2022, from the file.
peak=$($py -c "import csv,sys; print(max(float(r['WND']) for r in csv.DictReader(open(sys.argv[1]))))" "$csv")
cap=$($py -c "print(2 * $peak)")
scenario ", profile_normalisation: capacity, profile_capacity_mw: $cap" >"$tmp/cap.yaml"
for k in peak cap; do
  if ! "$dcsim" run "$tmp/$k.yaml" -o "$tmp/$k.h5" --quiet --summary-json "$tmp/$k.json" 2>"$tmp/$k.err"; then
    echo "FAIL run $k:"; cat "$tmp/$k.err"; exit 1
  fi
done
$py - "$csv" "$tmp/peak.json" "$tmp/cap.json" "$peak" <<'PY' || failures=$((failures + 1))
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
peak = float(sys.argv[4])
jan = [float(r["WND"]) for r in rows if r["timestamp"].startswith("2022-01")][: 30 * 24]
expected = sum(jan) / len(jan) / peak  # the column's mean over its peak across the span
p = json.load(open(sys.argv[2]))["wind_capacity_factor"]
c = json.load(open(sys.argv[3]))["wind_capacity_factor"]
ok = True
if abs(p - expected) > 0.01 * expected:
    print(f"FAIL trace-peak capacity factor {p:.4f}, expected {expected:.4f} from the file"); ok = False
else:
    print(f"ok   trace-peak: capacity factor {p:.4f} (file: mean/peak {expected:.4f})")
if abs(c - p / 2) > 1e-9 * p:
    print(f"FAIL capacity = 2 x peak: capacity factor {c:.6f}, expected half of {p:.6f}"); ok = False
else:
    print(f"ok   capacity {2 * peak:.0f} MW: capacity factor {c:.4f} = half the trace-peak one")
sys.exit(0 if ok else 1)
PY

# A capacity below the column's peak is refused, with the key named; so is a normalisation
# without a profile file.
scenario ", profile_normalisation: capacity, profile_capacity_mw: 1000" >"$tmp/low.yaml"
if "$dcsim" run "$tmp/low.yaml" -o "$tmp/low.h5" --quiet 2>"$tmp/low.err" ||
   ! grep -q "site.supply.wind.profile_capacity_mw: expected an installed capacity >= the profile's peak" "$tmp/low.err"; then
  echo "FAIL a capacity below the peak:"; cat "$tmp/low.err"; failures=$((failures + 1))
else
  echo "ok   $(head -1 "$tmp/low.err")"
fi
if ! "$dcsim" validate "$tmp/low.yaml" 2>&1 | grep -q "profile_capacity_mw: expected an installed capacity"; then
  echo "FAIL validate does not refuse a capacity below the peak"; failures=$((failures + 1))
fi
scenario ", profile_normalisation: capacity" >"$tmp/nocap.yaml"
if "$dcsim" validate "$tmp/nocap.yaml" >"$tmp/nocap.out" 2>&1 ||
   ! grep -q "missing required key 'profile_capacity_mw'" "$tmp/nocap.out"; then
  echo "FAIL capacity without profile_capacity_mw:"; cat "$tmp/nocap.out"; failures=$((failures + 1))
else
  echo "ok   $(grep -m1 profile_capacity_mw "$tmp/nocap.out")"
fi
[ $failures -eq 0 ]
