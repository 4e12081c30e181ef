#!/usr/bin/env bash
# The narrated hot-week example (scenarios/examples/hot-week.yaml): the hottest Phoenix week on
# 1,000 H200 GPUs with a raised set point, with and without its hour of chiller failure.
#
# Specification (issue 14, item 4; the figures of the example's header, direction and rough size):
#   - without the failure no GPU throttles and the hottest GPU is at the RC model's steady
#     temperature of a busy GPU (27 + 12 + 0.0354·531 W ≈ 57.8 °C);
#   - with it the supply air reaches 60 °C, the hottest GPU is held at the 89 °C slowdown
#     temperature (within 0.5 K: p-state transitions), 300–900 throttled GPU-hours, throttle
#     start and end events in the event table, a chiller_failure_start and _end;
#   - running jobs slow: 40–120 completed jobs take 2–15 min longer than at full speed, the mean
#     turnaround grows, the completed jobs' GPU-hours grow;
#   - the facility uses 0.1–1 MWh less (chillers off for an hour), most of it cooling.
# Usage: hot_week.sh <dcsim binary> <source dir>
set -u
DCSIM=${1:?usage: hot_week.sh <dcsim> <source dir>}
SRC=${2:?usage: hot_week.sh <dcsim> <source dir>}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
EX="$SRC/scenarios/examples/hot-week.yaml"
"$DCSIM" run "$EX" -q -o "$OUT/fail.h5" --summary-json "$OUT/fail.json" >"$OUT/fail.log" 2>&1 || { cat "$OUT/fail.log"; exit 1; }
"$DCSIM" run "$EX" -q -o "$OUT/ok.h5" --summary-json "$OUT/ok.json" --set 'site.thermal.chiller_failures=[]' \
  >"$OUT/ok.log" 2>&1 || { cat "$OUT/ok.log"; exit 1; }
"$DCSIM" run "$EX" -q -o "$OUT/cold.h5" --summary-json "$OUT/cold.json" --set site.cooling.supply_temp_c=18 \
  >"$OUT/cold.log" 2>&1 || { cat "$OUT/cold.log"; exit 1; }
"$DCSIM" run "$EX" -q -o "$OUT/cap50.h5" --summary-json "$OUT/cap50.json" --set site.thermal.failure_max_supply_c=50 \
  >"$OUT/cap50.log" 2>&1 || { cat "$OUT/cap50.log"; exit 1; }
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
import h5py
import numpy as np
out = sys.argv[1]
fail, ok = (json.load(open(f"{out}/{n}.json")) for n in ("fail", "ok"))
checks = []
def check(name, cond, got):
    checks.append((name, bool(cond), got))
def slowed(path):
    with h5py.File(path) as f:
        s, e, fs = f["job_start_time"][:], f["job_end_time"][:], f["job_full_speed_s"][:]
        done = (s >= 0) & (e >= 0)
        extra = (e - s - fs)[done]
        kinds = [k.decode() if isinstance(k, bytes) else k for k in f["event_kind"][:]]
        return extra[extra > 1], kinds, float(np.nanmax(f["device_coolant_temp_c"][:])), float(np.nanmax(f["throttled_gpus"][:]))
ex_f, kinds_f, cool_f, thr_f = slowed(f"{out}/fail.h5")
ex_o, kinds_o, cool_o, thr_o = slowed(f"{out}/ok.h5")
check("no failure: no throttling", ok["thermal_throttled_gpu_hours"] == 0 and thr_o == 0, ok["thermal_throttled_gpu_hours"])
check("no failure: hottest GPU ~57.8 C", abs(ok["thermal_max_device_temp_c"] - 57.8) < 0.3, ok["thermal_max_device_temp_c"])
check("no failure: supply stays at 27 C", abs(cool_o - 27) < 1e-9, cool_o)
check("failure: supply reaches 60 C", abs(cool_f - 60) < 1e-9, cool_f)
check("failure: hottest GPU held at 89 C", 89 - 0.1 <= fail["thermal_max_device_temp_c"] <= 89.5, fail["thermal_max_device_temp_c"])
check("failure: 300-900 throttled GPU-hours", 300 < fail["thermal_throttled_gpu_hours"] < 900, fail["thermal_throttled_gpu_hours"])
check("failure: throttle events", kinds_f.count("thermal_throttle_start") > 0 and kinds_f.count("thermal_throttle_start") == kinds_f.count("thermal_throttle_end"), kinds_f.count("thermal_throttle_start"))
check("failure: chiller events", kinds_f.count("chiller_failure_start") == 1 and kinds_f.count("chiller_failure_end") == 1, None)
check("failure: one failure hour", fail["chiller_failure_hours"] == 1, fail["chiller_failure_hours"])
check("failure: 40-120 jobs slowed", 40 <= len(ex_f) <= 120, len(ex_f))
check("failure: slowed by 2-15 min on average", len(ex_f) and 2 <= ex_f.mean() / 60 <= 15, ex_f.mean() / 60 if len(ex_f) else None)
check("no failure: no job slowed", len(ex_o) == 0, len(ex_o))
check("failure: mean turnaround grows", fail["mean_turnaround_h"] > ok["mean_turnaround_h"], fail["mean_turnaround_h"] - ok["mean_turnaround_h"])
check("failure: completed GPU-hours grow", fail["completed_gpu_hours"] > ok["completed_gpu_hours"], fail["completed_gpu_hours"] - ok["completed_gpu_hours"])
d = (ok["facility_energy_kwh"] - fail["facility_energy_kwh"]) / 1000
check("failure: 0.1-1 MWh less facility energy", 0.1 < d < 1, d)
check("failure: most of it cooling", ok["cooling_energy_kwh"] - fail["cooling_energy_kwh"] > 0.5 * d * 1000, ok["cooling_energy_kwh"] - fail["cooling_energy_kwh"])
# "Then try": the default 18 °C set point, and a room that levels off at 50 °C.
cold, cap50 = (json.load(open(f"{out}/{n}.json")) for n in ("cold", "cap50"))
def first_throttle_min(path):
    with h5py.File(path) as f:
        kinds = [k.decode() if isinstance(k, bytes) else k for k in f["event_kind"][:]]
        t = f["event_time"][:]
        t0 = min(t[i] for i, k in enumerate(kinds) if k == "chiller_failure_start")
        return (min(t[i] for i, k in enumerate(kinds) if k == "thermal_throttle_start") - t0) / 60
check("throttling starts 16 min into the failure", abs(first_throttle_min(f"{out}/fail.h5") - 16) < 1e-6, first_throttle_min(f"{out}/fail.h5"))
check("18 C set point: throttling starts after 21 min", abs(first_throttle_min(f"{out}/cold.h5") - 21) < 1e-6, first_throttle_min(f"{out}/cold.h5"))
check("18 C set point: fewer throttled GPU-hours (~474)", 400 < cold["thermal_throttled_gpu_hours"] < fail["thermal_throttled_gpu_hours"], cold["thermal_throttled_gpu_hours"])
check("18 C set point: ~33 MWh more facility energy", 25 < (cold["facility_energy_kwh"] - fail["facility_energy_kwh"]) / 1000 < 40, (cold["facility_energy_kwh"] - fail["facility_energy_kwh"]) / 1000)
check("50 C ceiling: no throttling", cap50["thermal_throttled_gpu_hours"] == 0, cap50["thermal_throttled_gpu_hours"])
check("50 C ceiling: hottest GPU ~80.8 C", abs(cap50["thermal_max_device_temp_c"] - 80.8) < 0.3, cap50["thermal_max_device_temp_c"])
bad = [c for c in checks if not c[1]]
for n, good, got in checks:
    print(("ok   " if good else "FAIL ") + n + ("" if got is None else f"  ({got})"))
print(f"{len(checks) - len(bad)} passed, {len(bad)} failed")
sys.exit(1 if bad else 0)
PY
