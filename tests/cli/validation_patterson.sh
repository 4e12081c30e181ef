#!/usr/bin/env bash
# Validation against published training footprints: Patterson et al. 2021, "Carbon Emissions and
# Large Neural Network Training", Table 4 (scenarios/validation/README.md).
#
# Runs the six scenarios of scenarios/validation/ twice each:
#   derived   the scenario as shipped: measured throughput (MFU) given, chip and host power
#             derived by dcsim's accelerator and node models      → days ±10 %, W, MWh, tCO2e ±25 %
#   measured  --set workload.fixed_profile=<run>_measured_power: the chip draws the measured
#             average system power per chip of Table 4               → days, W, MWh, tCO2e ±10 %
# and prints the table published vs simulated (training days, average system power per chip,
# facility MWh, tCO2e, relative errors). Every bound is one assertion; the script ends with
# "N passed, M failed" and fails if M > 0.
#
# Simulated figures come from the job's record in the result file (the one job of each run):
#   days  = (job_end_time − job_start_time) / 86400
#   W     = job_energy_kwh (IT energy: chips + host share) / (duration · chips)
#   MWh   = job_energy_kwh · PUE of the run (summary facility_energy_kwh / it_energy_kwh)
#   tCO2e = job_emissions_kg / 1000 (dcsim's location-based emissions, facility overhead included)
#
# Usage: validation_patterson.sh <dcsim binary> <source dir>
#   VALIDATION_OUT=<dir> keeps the result files there (default: a temporary directory).
set -u
DCSIM=${1:?usage: validation_patterson.sh <dcsim> <source dir>}
SRC=${2:?usage: validation_patterson.sh <dcsim> <source dir>}
PY=/usr/bin/python3

if [[ -n "${VALIDATION_OUT:-}" ]]; then
  OUT=$VALIDATION_OUT
  mkdir -p "$OUT"
else
  OUT=$(mktemp -d)
  trap 'rm -rf "$OUT"' EXIT
fi

RUNS=(evolved-transformer-nas t5 meena gshard-600b switch-transformer gpt3)
run_errors=0
for run in "${RUNS[@]}"; do
  scenario="$SRC/scenarios/validation/$run.yaml"
  profile=$(sed -n 's/^  fixed_profile: *//p' "$scenario")
  for variant in derived measured; do
    sets=()
    [[ $variant == measured ]] && sets=(--set "workload.fixed_profile=${profile}_measured_power")
    if ! "$DCSIM" run "$scenario" -q -o "$OUT/$run-$variant.h5" --summary-json "$OUT/$run-$variant.json" \
        "${sets[@]}" >"$OUT/$run-$variant.log" 2>&1; then
      echo "FAIL: dcsim run $run ($variant):"
      cat "$OUT/$run-$variant.log"
      run_errors=$((run_errors + 1))
    fi
  done
done

"$PY" - "$OUT" "$run_errors" <<'EOF'
import json
import sys

import h5py

out, run_errors = sys.argv[1], int(sys.argv[2])

# Patterson et al. 2021, Table 4 (docs/REFERENCE.md): the published answers.
# run: (label, chips, W per chip, days, MWh, tCO2e)
PUBLISHED = {
    "evolved-transformer-nas": ("Evolved Transformer NAS", 200, 208, 6.8, 7.5, 3.2),
    "t5": ("T5", 512, 310, 20, 85.7, 46.7),
    "meena": ("Meena", 1024, 289, 30, 232, 96.4),
    "gshard-600b": ("GShard-600B", 1024, 288, 3.1, 24.1, 4.3),
    "switch-transformer": ("Switch Transformer", 1024, 245, 27, 179, 59.1),
    "gpt3": ("GPT-3", 10000, 330, 14.8, 1287, 552.1),
}
BOUNDS = {"measured": {"days": 0.10, "W": 0.10, "MWh": 0.10, "tCO2e": 0.10},
          "derived": {"days": 0.10, "W": 0.25, "MWh": 0.25, "tCO2e": 0.25}}
# Rows outside the targets, asserted at a wider bound and flagged in the table (README "Largest
# errors"). None at present: every derived row is within 25 %. Add (run, variant): bound here only
# with an explanation in the README.
KNOWN: dict = {}

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what)


def simulated(run, variant):
    with h5py.File(f"{out}/{run}-{variant}.h5", "r") as f:
        outcome = f["job_outcome"][0]
        outcome = outcome.decode() if isinstance(outcome, bytes) else str(outcome)
        start, end = float(f["job_start_time"][0]), float(f["job_end_time"][0])
        gpus = int(f["job_gpus"][0])
        energy_kwh = float(f["job_energy_kwh"][0])
        emissions_kg = float(f["job_emissions_kg"][0])
    with open(f"{out}/{run}-{variant}.json") as js:
        summary = json.load(js)
    summary = summary.get("values", summary)
    pue = summary["facility_energy_kwh"] / summary["it_energy_kwh"]
    dur = end - start
    return outcome, gpus, {"days": dur / 86400.0, "W": energy_kwh * 3.6e6 / (dur * gpus),
                           "MWh": energy_kwh * pue / 1000.0, "tCO2e": emissions_kg / 1000.0}


def rel(sim, pub):
    return (sim - pub) / pub


if run_errors:
    check(False, f"{run_errors} dcsim run(s) failed")

rows = []
for variant in ("measured", "derived"):
    for run, (label, chips, w, days, mwh, t) in PUBLISHED.items():
        try:
            outcome, gpus, s = simulated(run, variant)
        except (OSError, KeyError, ValueError, IndexError) as e:
            check(False, f"{run} ({variant}): cannot read the result: {e}")
            continue
        check(outcome == "completed", f"{run} ({variant}): job outcome {outcome}, expected completed "
              "(time.duration too short?)")
        check(gpus == chips, f"{run} ({variant}): {gpus} chips, expected {chips}")
        pub = {"days": days, "W": w, "MWh": mwh, "tCO2e": t}
        for key, bound in BOUNDS[variant].items():
            b = bound if key == "days" else KNOWN.get((run, variant), bound)
            e = rel(s[key], pub[key])
            check(abs(e) <= b, f"{run} ({variant}): {key} {s[key]:.4g} vs published {pub[key]:.4g}: "
                  f"{100 * e:+.1f} % outside ±{100 * b:.0f} %")
        rows.append((variant, label, pub, s, (run, variant) in KNOWN))


def cell(sim, pub, fmt):
    return f"{pub:{fmt}} / {sim:{fmt}} ({100 * rel(sim, pub):+.1f} %)"


print()
print("| variant | run | training days | W per chip | MWh | tCO2e |")
print("|---|---|---|---|---|---|")
for variant, label, pub, s, known in rows:
    print(f"| {variant} | {label}{' (known deviation)' if known else ''} | {cell(s['days'], pub['days'], '.2f')} | "
          f"{cell(s['W'], pub['W'], '.0f')} | {cell(s['MWh'], pub['MWh'], '.1f')} | {cell(s['tCO2e'], pub['tCO2e'], '.2f')} |")
print()
print("cells: published / simulated (relative error); bounds: measured ±10 %, derived days ±10 %, "
      "W, MWh, tCO2e ±25 %" + (" (wider bound for rows in KNOWN, flagged)" if KNOWN else ""))
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
EOF
