"""Hand-built files that follow analysis/SCHEMA.md, with values chosen so the expected results
can be worked out by hand. They test the reader's behaviour on cases the quickstart run does not
show (missing series, incomplete files, sweeps); everything about the real file format is tested
on the output of the dcsim binary (see conftest.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

TIME_UNITS = "seconds since 2024-01-01T00:00:00Z"

UNITS = {
    "it_power_w": "W",
    "cooling_power_w": "W",
    "losses_power_w": "W",
    "facility_power_w": "W",
    "pue": "1",
    "utilisation": "1",
    "battery_power_w": "W",
    "battery_soc": "1",
    "carbon_intensity_g_per_kwh": "g/kWh",
    "emissions_rate_kg_per_h": "kg/h",
}


def _time(n: int, sample_s: float) -> xr.DataArray:
    return xr.DataArray(
        np.arange(n, dtype=float) * sample_s,
        dims="time",
        attrs={"units": TIME_UNITS, "calendar": "standard", "standard_name": "time",
               "long_name": "start of the sampling interval", "axis": "T"},
    )


def run_dataset(
    series: dict[str, Any],
    *,
    sample_s: float = 900.0,
    jobs: list[dict[str, Any]] | None = None,
    complete: int = 1,
    name: str = "synthetic",
    seed: int = 7,
    summary: dict[str, float] | None = None,
) -> xr.Dataset:
    """A run file's content. ``series``: name → 1-D values (all the same length)."""
    n = len(next(iter(series.values())))
    ds = xr.Dataset(coords={"time": _time(n, sample_s)})
    for k, v in series.items():
        ds[k] = xr.DataArray(np.asarray(v, dtype=float), dims="time",
                             attrs={"units": UNITS.get(k, "1"), "long_name": k,
                                    "cell_methods": "time: mean"})
    jobs = jobs or []
    cols = {
        "job_id": ("i8", "1"), "job_profile": ("O", "1"), "job_year": ("i4", "1"),
        "job_submit_time": ("f8", TIME_UNITS), "job_start_time": ("f8", TIME_UNITS),
        "job_end_time": ("f8", TIME_UNITS), "job_gpus": ("i4", "1"),
        "job_energy_kwh": ("f8", "kWh"), "job_emissions_kg": ("f8", "kg"),
        "job_mean_freq_mhz": ("f8", "MHz"), "job_delay_s": ("f8", "s"),
        "job_optimisation": ("O", "1"), "job_quality_cost": ("f8", "1"),
        "job_outcome": ("O", "1"), "job_reason": ("O", "1"),
    }
    for col, (dtype, units) in cols.items():
        key = col[len("job_"):]
        values = np.array([j.get(key, "" if dtype == "O" else np.nan) for j in jobs], dtype=dtype)
        attrs = {"units": units, "long_name": col}
        if units == TIME_UNITS:
            attrs["calendar"] = "standard"
        ds[col] = xr.DataArray(values, dims="job", attrs=attrs)
    ds["event_time"] = xr.DataArray(np.array([0.0, 1800.0]), dims="event",
                                    attrs={"units": TIME_UNITS, "calendar": "standard",
                                           "long_name": "when"})
    ds["event_kind"] = xr.DataArray(np.array(["power_on", "pstate"], dtype=object), dims="event",
                                    attrs={"units": "1", "long_name": "kind"})
    ds["event_target"] = xr.DataArray(np.array([0, 0], dtype="i8"), dims="event",
                                      attrs={"units": "1", "long_name": "target"})
    ds["event_value"] = xr.DataArray(np.array([0.0, 2.0]), dims="event",
                                     attrs={"units": "1", "long_name": "value"})
    ds.attrs = {
        "schema_version": "1.0",
        "dcsim_file_kind": "run",
        "complete": np.int32(complete),
        "scenario_name": name,
        "scenario_yaml": f"name: {name}\nseed: {seed}\n",
        "seed": np.int64(seed),
        "seed_text": str(seed),
        "input_checksums": '{"platforms/a.yaml": "ab12"}',
        "time_units": TIME_UNITS,
        "sample_s": float(sample_s),
    }
    for k, v in (summary or {}).items():
        ds.attrs[f"summary_{k}"] = v
    return ds


def write_run(path: Path, series: dict[str, Any], **kw: Any) -> Path:
    encoding = {v: {"_FillValue": None} for v in ("time", "event_time")}
    run_dataset(series, **kw).to_netcdf(path, engine="h5netcdf", encoding=encoding)
    return path


def write_index(path: Path, runs: list[Path], params: dict[str, list[Any]],
                *, sample_s: float = 900.0) -> Path:
    """A sweep index with the layout of SCHEMA.md (plain arrays instead of virtual datasets:
    the reader cannot tell the difference)."""
    loaded = [xr.open_dataset(r, engine="h5netcdf", decode_times=False) for r in runs]
    n = max(d.sizes["time"] for d in loaded)
    names = sorted({str(v) for d in loaded for v in d.data_vars if d[v].dims == ("time",)})
    ds = xr.Dataset(coords={"time": _time(n, sample_s),
                            "run": np.array([f"run-{i:03d}" for i in range(len(runs))], dtype=object)})
    for v in names:
        data = np.full((len(runs), n), np.nan)
        for i, d in enumerate(loaded):
            if v in d:
                data[i, : d.sizes["time"]] = d[v].values
        ds[v] = xr.DataArray(data, dims=("run", "time"), attrs={"units": UNITS.get(v, "1"),
                                                                "long_name": v})
    ds["run_status"] = xr.DataArray(np.array(["completed"] * len(runs), dtype=object), dims="run")
    ds["run_result_path"] = xr.DataArray(
        np.array([str(Path(r).relative_to(path.parent)) for r in runs], dtype=object), dims="run")
    coords = ["run_status", "run_result_path"]
    for key, values in params.items():
        var = key.replace(".", "_")
        ds[var] = xr.DataArray(np.asarray(values, dtype=float), dims="run",
                               attrs={"parameter": key, "units": "1"})
        coords.append(var)
    ds = ds.set_coords(coords)
    for d in loaded:
        d.close()
    ds.attrs = {"schema_version": "1.0", "dcsim_file_kind": "sweep_index", "complete": np.int32(1),
                "time_units": TIME_UNITS, "sample_s": float(sample_s)}
    ds.to_netcdf(path, engine="h5netcdf", encoding={"time": {"_FillValue": None}})
    return path
