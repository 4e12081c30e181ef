#!/usr/bin/env bash
# Runs the what-if examples (same site, same year of work) and prints their comparison table
# (markdown). Usage: scenarios/examples/compare.sh [DCSIM_BINARY] [OUTDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dcsim=${1:-$here/../../build/release/dcsim}
out=${2:-results/examples}
mkdir -p "$out"
names=(baseline dynamic-scaling power-cap lightweight-models carbon-aware solar-battery)
for n in "${names[@]}"; do
  "$dcsim" run "$here/$n.yaml" -q -o "$out/$n.h5"
done
PYTHONPATH=$here/../../analysis /usr/bin/python3 - "$out" "${names[@]}" <<'PY'
import sys
import dcsim_analysis as da
out, names = sys.argv[1], sys.argv[2:]
rows = []
base = None
for n in names:
    s = da.summary(f"{out}/{n}.h5")
    g = lambda k: float(s[k]) if k in s else float("nan")
    r = dict(name=n, e=g("facility_energy_kwh") / 1000, peak=g("peak_facility_power_kw"), pue=g("pue"),
             co2=g("emissions_tco2"), delay=g("mean_job_delay_h"), util=g("mean_utilisation"))
    base = base or r
    rows.append(r)
print("| scenario | facility energy (MWh) | vs baseline | peak power (kW) | PUE | emissions (tCO2e) | vs baseline | mean job delay (h) | GPU utilisation |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['name']} | {r['e']:,.0f} | {100 * (r['e'] / base['e'] - 1):+.1f} % | {r['peak']:,.0f} | {r['pue']:.3f} | "
          f"{r['co2']:,.0f} | {100 * (r['co2'] / base['co2'] - 1):+.1f} % | {r['delay']:.2f} | {r['util']:.2f} |")
PY
