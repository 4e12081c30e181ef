#!/usr/bin/env bash
# A year of the 1,000-GPU H200 site (platforms/sites/phoenix-1k-h200.yaml) in Phoenix and in San
# Jose weather, chiller with economiser (scenarios/examples/pue-phoenix.yaml, pue-san-jose.yaml).
#
# Specification (issue 3):
#   - the Phoenix summer (June–August) PUE is above the San Jose summer PUE;
#   - both sites' PUE stays within the physically sensible 1.03–2.0 at every hourly sample;
#   - and, as sanity checks of the run itself: each file covers the whole year (8,760 hourly
#     samples) and each site's summer PUE is above its own winter (December–February) PUE.
# Monthly and summer PUE are energy ratios (facility energy / IT energy over the months), read
# from the hourly facility_power_w and it_power_w series with h5py; the per-sample check uses
# the `pue` series (interval energy ratio). Prints the monthly table and "N passed, M failed".
#
# Usage: pue_climate.sh <dcsim binary> <source dir>   (PUE_OUT=<dir> keeps the result files)
set -u
DCSIM=${1:?usage: pue_climate.sh <dcsim> <source dir>}
SRC=${2:?usage: pue_climate.sh <dcsim> <source dir>}
PY=/usr/bin/python3

if [[ -n "${PUE_OUT:-}" ]]; then
  OUT=$PUE_OUT
  mkdir -p "$OUT"
else
  OUT=$(mktemp -d)
  trap 'rm -rf "$OUT"' EXIT
fi

run_errors=0
for site in phoenix san-jose; do
  if ! "$DCSIM" run "$SRC/scenarios/examples/pue-$site.yaml" -q -o "$OUT/$site.h5" >"$OUT/$site.log" 2>&1; then
    echo "FAIL: dcsim run pue-$site.yaml:"
    cat "$OUT/$site.log"
    run_errors=$((run_errors + 1))
  fi
done

"$PY" - "$OUT" "$run_errors" <<'EOF'
import datetime as dt
import sys

import h5py
import numpy as np

out, run_errors = sys.argv[1], int(sys.argv[2])
LOW, HIGH = 1.03, 2.0
SUMMER, WINTER = (6, 7, 8), (12, 1, 2)
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what)


def load(site):
    with h5py.File(f"{out}/{site}.h5", "r") as f:
        t = f["time"][:]
        units = f["time"].attrs["units"]
        units = units.decode() if isinstance(units, bytes) else str(units)
        epoch = dt.datetime.fromisoformat(units.split("since ", 1)[1].replace("Z", "+00:00"))
        months = np.array([(epoch + dt.timedelta(seconds=float(s))).month for s in t])
        return {"months": months, "pue": f["pue"][:], "facility": f["facility_power_w"][:],
                "it": f["it_power_w"][:], "temp": f["outdoor_temp_c"][:]}


def ratio(d, months):
    sel = np.isin(d["months"], months)
    return float(d["facility"][sel].sum() / d["it"][sel].sum())


if run_errors:
    check(False, f"{run_errors} dcsim run(s) failed")

data = {}
for site in ("phoenix", "san-jose"):
    try:
        data[site] = load(site)
    except (OSError, KeyError, ValueError) as e:
        check(False, f"{site}: cannot read the result: {e}")

for site, d in data.items():
    check(len(d["pue"]) == 8760, f"{site}: {len(d['pue'])} hourly samples, expected 8760 (a whole year)")
    loaded = d["it"] > 0
    pue = d["pue"][loaded]
    check(bool(loaded.all()), f"{site}: {int((~loaded).sum())} samples without IT load")
    lo, hi = float(pue.min()), float(pue.max())
    check(LOW <= lo and hi <= HIGH, f"{site}: hourly PUE {lo:.3f}–{hi:.3f} leaves {LOW}–{HIGH}")
    check(ratio(d, SUMMER) > ratio(d, WINTER),
          f"{site}: summer PUE {ratio(d, SUMMER):.3f} not above winter {ratio(d, WINTER):.3f}")

if len(data) == 2:
    phx, sj = ratio(data["phoenix"], SUMMER), ratio(data["san-jose"], SUMMER)
    check(phx > sj, f"Phoenix summer PUE {phx:.3f} not above San Jose's {sj:.3f}")

    print()
    print("| site | " + " | ".join(dt.date(2000, m, 1).strftime("%b") for m in range(1, 13))
          + " | Jun–Aug | year | hourly min–max |")
    print("|---|" + "---|" * 15)
    for site, d in data.items():
        cells = [f"{ratio(d, (m,)):.2f}" for m in range(1, 13)]
        pue = d["pue"][d["it"] > 0]
        print(f"| {site} PUE | " + " | ".join(cells) + f" | {ratio(d, SUMMER):.3f} | {ratio(d, tuple(range(1, 13))):.3f} | "
              f"{float(pue.min()):.2f}–{float(pue.max()):.2f} |")
        temps = [f"{float(d['temp'][d['months'] == m].mean()):.1f}" for m in range(1, 13)]
        print(f"| {site} °C | " + " | ".join(temps) + f" | | | max {float(d['temp'].max()):.1f} |")
    print()
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
EOF
