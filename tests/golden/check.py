#!/usr/bin/python3
"""Golden test of the narrated example scenarios (scenarios/examples/*.yaml).

Each example's expected summary is kept in tests/golden/<name>.json. The test runs the example
and compares every number in the expected file with the run's summary (relative tolerance
1e-6, absolute 1e-9). A model change shows up as a reviewed change of these files:
regenerate them with `tests/golden/check.py DCSIM --update` and review the diff.

Usage: check.py DCSIM_BINARY SOURCE_DIR [--update [--new]]

--update rewrites the golden files that exist (with every key of KEYS) and lists, per file, the
keys added and every existing value that changed, so a regeneration for added keys can be
confirmed to leave the old values alone; with --new it also writes files for the examples that
have none.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

KEYS = ["facility_energy_kwh", "it_energy_kwh", "cooling_energy_kwh", "loss_energy_kwh",
        "peak_facility_power_kw", "pue", "emissions_tco2", "jobs_completed", "jobs_submitted",
        "mean_job_delay_h", "mean_utilisation", "grid_import_kwh", "pv_energy_kwh", "cfe_score",
        # the headlines of a what-if (issue 17): supply, emissions, cost, time to solution
        "onsite_generation_kwh", "grid_export_kwh", "curtailed_kwh", "battery_throughput_kwh",
        "peak_hourly_facility_power_kw", "embodied_tco2", "total_emissions_tco2", "cost_usd",
        "completed_work_eflop", "mean_turnaround_h", "p95_turnaround_h", "mean_slowdown",
        "p95_slowdown"]


def main() -> int:
    dcsim, src = sys.argv[1], sys.argv[2]
    update = "--update" in sys.argv
    ex_dir = os.path.join(src, "scenarios", "examples")
    gold_dir = os.path.join(src, "tests", "golden")
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for f in sorted(os.listdir(ex_dir)):
            if not f.endswith(".yaml"):
                continue
            name = f[:-5]
            gold = os.path.join(gold_dir, name + ".json")
            if not os.path.exists(gold) and not (update and "--new" in sys.argv):
                continue
            js = os.path.join(tmp, name + ".json")
            r = subprocess.run([dcsim, "run", os.path.join(ex_dir, f), "-q", "-o",
                                os.path.join(tmp, name + ".h5"), "--summary-json", js],
                               capture_output=True, text=True)
            if r.returncode != 0:
                print(f"FAIL {name}: dcsim exited {r.returncode}: {r.stderr.strip()}")
                failed += 1
                continue
            got = json.load(open(js))
            if update:
                old = json.load(open(gold)) if os.path.exists(gold) else {}
                new = {k: got[k] for k in KEYS if k in got}
                added = sorted(k for k in new if k not in old)
                changed = [f"{k}: {old[k]} -> {new.get(k)}" for k in sorted(old)
                           if k not in new or new[k] is None or
                           not math.isclose(new[k], old[k], rel_tol=1e-6, abs_tol=1e-9)]
                json.dump(new, open(gold, "w"), indent=1, sort_keys=True)
                print(f"updated {gold}: added {', '.join(added) or 'nothing'}; "
                      f"changed {'; '.join(changed) or 'nothing'}")
                continue
            want = json.load(open(gold))
            bad = [f"{k}: expected {v}, got {got.get(k)}" for k, v in want.items()
                   if k not in got or got[k] is None or
                   not math.isclose(got[k], v, rel_tol=1e-6, abs_tol=1e-9)]
            if bad:
                print(f"FAIL {name}: " + "; ".join(bad))
                failed += 1
            else:
                print(f"ok   {name}: {len(want)} summary values as expected")
                passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or (passed == 0 and not update) else 0


if __name__ == "__main__":
    sys.exit(main())
