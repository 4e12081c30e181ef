#!/usr/bin/env bash
# The printed summary carries every headline of a what-if (issue 17), each one the JSON
# summary's value (--summary-json) formatted, and names its two peaks.
# Usage: summary_headlines.sh DCSIM_BINARY SOURCE_DIR
set -u
dcsim=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/s.yaml" <<YAML
name: headlines
seed: 3
time: {start: 2024-06-01, duration: 3d, sample: 15min}
site:
  platform: $src/platforms/sites/quickstart-h200.yaml
  cooling: {model: constant-pue, pue: 1.3}
  supply:
    grid: {carbon_gco2_per_kwh: 400, price_usd_per_kwh: 0.1}
    solar: {peak_mw: 0.2, profile_file: $src/scenarios/data/carbon/eia_erco_2022_hourly.csv}
    battery: {capacity_mwh: 0.2, power_mw: 0.05}
workload: {generator: fixed, fixed_profile: generative_modelling, jobs: 12, gpus_per_job: 8, work_flops_per_job: 2e19, arrival_process: poisson, interarrival: 2h}
policies:
  scheduler: {name: fcfs}
YAML
if ! "$dcsim" run "$tmp/s.yaml" -o "$tmp/s.h5" --summary-json "$tmp/s.json" >"$tmp/out" 2>"$tmp/err"; then
  echo "FAIL the run failed:"; cat "$tmp/err"; exit 1
fi
/usr/bin/python3 - "$tmp/out" "$tmp/s.json" <<'PY'
import json, sys
out = open(sys.argv[1]).read()
s = json.load(open(sys.argv[2]))
rows = {}
for line in out.splitlines():
    parts = line.rstrip().rsplit("  ", 1)
    if len(parts) == 2 and parts[0].strip():
        rows[parts[0].strip()] = parts[1].strip()
want = {  # printed label → (summary key, scale, decimals)
    "facility energy (MWh)": ("facility_energy_kwh", 1e-3, 2),
    "IT energy (MWh)": ("it_energy_kwh", 1e-3, 2),
    "on-site generation (MWh)": ("onsite_generation_kwh", 1e-3, 2),
    "grid import (MWh)": ("grid_import_kwh", 1e-3, 2),
    "grid export (MWh)": ("grid_export_kwh", 1e-3, 2),
    "curtailed (MWh)": ("curtailed_kwh", 1e-3, 2),
    "battery throughput (MWh)": ("battery_throughput_kwh", 1e-3, 2),
    "peak power, instant (kW)": ("peak_facility_power_kw", 1, 1),
    "peak power, hourly mean (kW)": ("peak_hourly_facility_power_kw", 1, 1),
    "PV capacity factor": ("pv_capacity_factor", 1, 3),
    "operational emissions (tCO2e)": ("emissions_tco2", 1, 2),
    "embodied emissions (tCO2e)": ("embodied_tco2", 1, 2),
    "total emissions (tCO2e)": ("total_emissions_tco2", 1, 2),
    "energy cost (USD)": ("cost_usd", 1, 0),
    "completed work (EFLOP)": ("completed_work_eflop", 1, 1),
    "mean queue wait (h)": ("mean_job_delay_h", 1, 2),
}
bad = 0
for label, (key, scale, dec) in want.items():
    expect = f"{s[key] * scale:.{dec}f}"
    if rows.get(label) != expect:
        print(f"FAIL {label}: printed {rows.get(label)!r}, summary {key} gives {expect}"); bad += 1
t = f"{s['mean_turnaround_h']:.2f} / {s['p95_turnaround_h']:.2f}"
sl = f"{s['mean_slowdown']:.2f} / {s['p95_slowdown']:.2f}"
for label, expect in [("turnaround mean / p95 (h)", t), ("slowdown mean / p95", sl)]:
    if rows.get(label) != expect:
        print(f"FAIL {label}: printed {rows.get(label)!r}, expected {expect}"); bad += 1
# The scenario has a battery and solar: their headlines are not zero.
for key in ("onsite_generation_kwh", "battery_throughput_kwh", "cost_usd", "embodied_tco2", "completed_work_eflop"):
    if not s[key] > 0:
        print(f"FAIL {key} is {s[key]}, expected > 0"); bad += 1
if s["peak_hourly_facility_power_kw"] > s["peak_facility_power_kw"] * (1 + 1e-9):
    print("FAIL the hourly peak exceeds the instantaneous one"); bad += 1
print(f"{len(want) + 2 - bad} printed headlines match the summary" if not bad else f"{bad} mismatches")
sys.exit(1 if bad else 0)
PY
