"""Checks on sweep output directories for tests/cli/sweep_*.sh (run with /usr/bin/python3).

  sweep_check.py same DIR_A DIR_B      every run file of A exists in B with identical data
  sweep_check.py complete DIR N [allow-partial]
                                       exactly N complete run files, no partial files left
  sweep_check.py index DIR N P1 P2 ..  DIR/index.h5 opens in xarray (h5netcdf and netCDF4) with
                                       N runs, all completed, parameters P… as coordinates
Exit status 0 if the check holds; the reason is printed otherwise.
"""
import glob
import os
import sys

import h5py
import numpy as np

# Root attributes that legitimately differ between two executions of the same run.
VOLATILE_ATTRS = {"created", "created_utc", "wall_time_s", "hostname", "host", "command_line",
                  "command", "pid", "user", "working_directory", "output_file"}


def run_files(d):
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(d, "*.h5")) if os.path.basename(p) != "index.h5")


def equal(vx, vy):
    """Exact equality of two values read from HDF5 (NaN equals NaN; compound fields one by one)."""
    if isinstance(vx, np.ndarray) and isinstance(vy, np.ndarray):
        if vx.shape != vy.shape or vx.dtype.names != vy.dtype.names:
            return False
        if vx.dtype.names:
            return all(equal(vx[f], vy[f]) for f in vx.dtype.names)
        if vx.dtype.kind == "f":
            return np.array_equal(vx, vy, equal_nan=True)
        return bool(np.array_equal(vx, vy))
    if isinstance(vx, float) and isinstance(vy, float) and np.isnan(vx) and np.isnan(vy):
        return True
    return bool(np.all(vx == vy))


def same(a, b):
    fa, fb = run_files(a), run_files(b)
    if fa != fb:
        print(f"different run files: {fa} vs {fb}")
        return False
    bad = []
    for name in fa:
        with h5py.File(os.path.join(a, name), "r") as x, h5py.File(os.path.join(b, name), "r") as y:
            dx, dy = {}, {}
            x.visititems(lambda k, o: dx.__setitem__(k, o) if isinstance(o, h5py.Dataset) else None)
            y.visititems(lambda k, o: dy.__setitem__(k, o) if isinstance(o, h5py.Dataset) else None)
            if sorted(dx) != sorted(dy):
                bad.append(f"{name}: datasets differ {sorted(set(dx) ^ set(dy))}")
                continue
            for k in dx:
                if not equal(dx[k][()], dy[k][()]):
                    bad.append(f"{name}:{k} values differ")
            for k in set(x.attrs) | set(y.attrs):
                if k in VOLATILE_ATTRS:
                    continue
                if k not in x.attrs or k not in y.attrs:
                    bad.append(f"{name}: attribute {k} only in one file")
                elif not np.array_equal(np.asarray(x.attrs[k]), np.asarray(y.attrs[k])):
                    bad.append(f"{name}: attribute {k} differs: {x.attrs[k]!r} vs {y.attrs[k]!r}"[:300])
    for m in bad:
        print(m)
    return not bad and len(fa) > 0


def complete(d, n, allow_partial=False):
    files = run_files(d)
    partial = [] if allow_partial else glob.glob(os.path.join(d, "*.partial-*"))
    ok = True
    if partial:
        print("partial files left:", partial)
        ok = False
    done = 0
    for f in files:
        with h5py.File(os.path.join(d, f), "r") as h:
            if int(h.attrs.get("complete", 0)) == 1:
                done += 1
            else:
                print(f, "is not complete")
                ok = False
    if done != n:
        print(f"{done} complete run files, expected {n}")
        ok = False
    return ok


def index(d, n, params):
    import xarray as xr
    ok = True
    for engine in ("h5netcdf", "netcdf4"):
        with xr.open_dataset(os.path.join(d, "index.h5"), engine=engine) as ds:
            if ds.sizes.get("run") != n:
                print(f"{engine}: run dimension {ds.sizes.get('run')}, expected {n}")
                ok = False
            status = [str(s) for s in ds["run_status"].values]
            if status != ["completed"] * n:
                print(f"{engine}: statuses {status}")
                ok = False
            for p in params:
                if p not in ds.coords:
                    print(f"{engine}: parameter {p} is not a coordinate ({list(ds.coords)})")
                    ok = False
            series = [v for v in ds.data_vars if ds[v].dims == ("run", "time")]
            if not series:
                print(f"{engine}: no (run, time) series")
                ok = False
            elif np.isnan(ds[series[0]].values).all():
                print(f"{engine}: {series[0]} is all NaN")
                ok = False
    return ok


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "same":
        r = same(sys.argv[2], sys.argv[3])
    elif cmd == "complete":
        r = complete(sys.argv[2], int(sys.argv[3]), "allow-partial" in sys.argv[4:])
    elif cmd == "index":
        r = index(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    else:
        raise SystemExit(f"unknown check {cmd}")
    sys.exit(0 if r else 1)
