#!/usr/bin/env bash
# A ten-year replay (2015–2025) of a growing lab runs through `dcsim run` and the energy of its
# jobs rises every year at least as fast as its job count (×1.3), driven up further by the model
# growth trend. Usage: growing_lab.sh DCSIM_BINARY SOURCE_DIR
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! "$1" run "$2/scenarios/examples/growing-lab.yaml" -q -o "$tmp/lab.h5"; then
  echo "0 passed, 1 failed"; exit 1
fi
PYTHONPATH=$2/analysis /usr/bin/python3 - "$tmp/lab.h5" <<'PY'
import sys
import dcsim_analysis as da
j = da.jobs(sys.argv[1])
by_year = j.groupby(j.submit_time.dt.year).energy_kwh.sum()
n_by_year = j.groupby(j.submit_time.dt.year).size()
years = [y for y in by_year.index if 2015 <= y <= 2024]
passed = failed = 0
for a, b in zip(years, years[1:]):
    r, rn = by_year[b] / by_year[a], n_by_year[b] / n_by_year[a]
    ok = r >= 1.3 and r > rn
    print(f"{'ok  ' if ok else 'FAIL'} {a}->{b}: energy x{r:.2f}, jobs x{rn:.2f}")
    passed += ok
    failed += not ok
ok = len(years) == 10
print(f"{'ok  ' if ok else 'FAIL'} ten submission years present: {years[0]}..{years[-1]}")
passed += ok
failed += not ok
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
