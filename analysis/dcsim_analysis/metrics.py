"""Headline numbers of runs, computed from the series, for comparing strategies.

Site series are interval averages on a fixed grid of ``sample_s`` seconds (``time`` = start
of each interval), so the energy of a series is exactly Σ P_i · sample_s: no trapezoid, no
interpolation (SCHEMA.md, "Dimension time and site series").

Columns of :func:`compare` (one row per run; index: the run's label, i.e. the scenario name,
or the file name when several runs share a scenario name, or the run id of a sweep):

- ``facility_energy_mwh`` (MWh): Σ facility_power_w · Δt / 3.6e9
- ``it_energy_mwh`` (MWh): Σ it_power_w · Δt / 3.6e9
- ``peak_facility_power_mw`` (MW): largest facility power interval average / 1e6
- ``pue`` (1): facility energy / IT energy (the energy-weighted PUE)
- ``emissions_t`` (tCO2e): Σ emissions_rate_kg_per_h · Δt / 3600 / 1000
- ``emissions_marginal_t`` (tCO2e): Σ marginal_emissions_rate_kg_per_h · Δt / 3600 / 1000
  (marginal accounting; NaN when the run has no marginal data)
- ``mean_job_delay_h`` (h): mean of job_delay_s over the jobs that completed / 3600 (as the
  run summary's ``mean_job_delay_h``)
- ``jobs_completed`` (1): jobs whose outcome is ``completed``

and, read from the run's summary (root attributes ``summary_*``, the figures ``dcsim run``
prints; NaN for a run without them, e.g. a failed sweep run):

- ``onsite_generation_mwh``, ``grid_import_mwh``, ``grid_export_mwh``, ``curtailed_mwh``,
  ``battery_throughput_mwh`` (charge + discharge) (MWh)
- ``peak_instantaneous_facility_power_mw`` (MW): the largest facility power at any instant;
  ``peak_hourly_facility_power_mw`` (MW): the largest hourly mean (``peak_facility_power_mw``
  above is the largest mean over one sampling interval, ``sample_s``)
- ``embodied_t``, ``total_emissions_t`` (tCO2e): embodied carbon amortised over the span, and
  location-based operational + embodied
- ``cost_usd`` (USD): grid energy cost
- ``completed_work_eflop`` (EFLOP): work of the completed jobs
- ``mean_turnaround_h``, ``p95_turnaround_h`` (h): end − submit of completed jobs;
  ``mean_slowdown``, ``p95_slowdown`` (1): turnaround over the full-speed run time
- ``file``: the run file; for a sweep also ``run_id``, ``status`` and one column per sweep
  parameter (the row label is then made of the parameters that vary, e.g.
  ``pue=1.3, scheduler=fcfs, seed=42``).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd
import xarray as xr

from . import io

J_PER_KWH = 3.6e6
NON_PARAMETER_COLUMNS = ("file", "status", "run_id")
METRIC_COLUMNS = (
    "facility_energy_mwh",
    "it_energy_mwh",
    "peak_facility_power_mw",
    "pue",
    "emissions_t",
    "emissions_marginal_t",
    "mean_job_delay_h",
    "jobs_completed",
)
# compare() column → (summary name, factor): figures of the run summary, as printed by dcsim run.
SUMMARY_COLUMNS = {
    "onsite_generation_mwh": ("onsite_generation_kwh", 1e-3),
    "grid_import_mwh": ("grid_import_kwh", 1e-3),
    "grid_export_mwh": ("grid_export_kwh", 1e-3),
    "curtailed_mwh": ("curtailed_kwh", 1e-3),
    "battery_throughput_mwh": ("battery_throughput_kwh", 1e-3),
    "peak_instantaneous_facility_power_mw": ("peak_facility_power_kw", 1e-3),
    "peak_hourly_facility_power_mw": ("peak_hourly_facility_power_kw", 1e-3),
    "embodied_t": ("embodied_tco2", 1.0),
    "total_emissions_t": ("total_emissions_tco2", 1.0),
    "cost_usd": ("cost_usd", 1.0),
    "completed_work_eflop": ("completed_work_eflop", 1.0),
    "mean_turnaround_h": ("mean_turnaround_h", 1.0),
    "p95_turnaround_h": ("p95_turnaround_h", 1.0),
    "mean_slowdown": ("mean_slowdown", 1.0),
    "p95_slowdown": ("p95_slowdown", 1.0),
}
METRIC_COLUMNS = METRIC_COLUMNS + tuple(SUMMARY_COLUMNS)
J_PER_MWH = 3.6e9


def _summary_metrics(attrs: "dict[str, Any] | None") -> dict[str, float]:
    out: dict[str, float] = {}
    for col, (name, factor) in SUMMARY_COLUMNS.items():
        v = (attrs or {}).get("summary_" + name)
        try:
            out[col] = float(v) * factor
        except (TypeError, ValueError):
            out[col] = np.nan
    return out


def interval_seconds(ds: xr.Dataset) -> np.ndarray:
    """Length in seconds of each averaging interval of ``ds`` (one per ``time`` value).

    The schema puts samples on a fixed grid of ``sample_s`` seconds, each the average over
    ``[time, time + sample_s)`` (the last one included), so Δt is ``sample_s`` throughout.
    Without that attribute: ``time_bnds`` if present, else the spacing of ``time``."""
    n = ds.sizes.get(io.SITE_DIM, 0)
    if n == 0:
        return np.zeros(0)
    if "sample_s" in ds.attrs:
        return np.full(n, float(ds.attrs["sample_s"]))
    for bnds in ("time_bnds", "time_bounds"):
        if bnds in ds.variables:
            b = ds[bnds].values
            return _to_seconds(b[:, 1] - b[:, 0])
    t = ds[io.SITE_DIM].values
    if n > 1:
        dt = _to_seconds(np.diff(t))
        return np.append(dt, dt[-1])
    raise ValueError("one sample and no sample_s attribute: cannot tell the interval length")


def _to_seconds(d: np.ndarray) -> np.ndarray:
    if np.issubdtype(d.dtype, np.timedelta64):
        return d / np.timedelta64(1, "s")
    return d.astype(float)


def energy_kwh(ds: xr.Dataset, variable: str = "facility_power_w") -> float:
    """Energy in kWh of a power series (W): Σ P_i · Δt_i / 3.6e6."""
    p = ds[variable].values.astype(float)
    return float(np.nansum(p * interval_seconds(ds)) / J_PER_KWH)


def _metrics_of_series(ds: xr.Dataset) -> dict[str, float]:
    dt = interval_seconds(ds)
    out: dict[str, float] = {}

    def integral(name: str) -> float:
        if name not in ds:
            return np.nan
        x = ds[name].values.astype(float)
        if not np.isfinite(x).any():  # a failed run in a sweep index reads as all NaN
            return np.nan
        return float(np.nansum(x * dt))

    fac = integral("facility_power_w")
    it = integral("it_power_w")
    out["facility_energy_mwh"] = fac / J_PER_MWH
    out["it_energy_mwh"] = it / J_PER_MWH
    out["peak_facility_power_mw"] = (
        float(ds["facility_power_w"].max()) / 1e6 if "facility_power_w" in ds else np.nan
    )
    out["pue"] = fac / it if it > 0 else np.nan  # NaN > 0 is False
    rate = io.first_present(ds, io.EMISSIONS_RATE)
    out["emissions_t"] = integral(rate) / 3600.0 / 1000.0 if rate else np.nan
    out["emissions_marginal_t"] = integral("marginal_emissions_rate_kg_per_h") / 3600.0 / 1000.0
    return out


def _job_metrics(jobs: pd.DataFrame) -> dict[str, float]:
    if jobs.empty:
        return {"mean_job_delay_h": np.nan, "jobs_completed": 0.0}
    # Delay of the jobs that completed, as in the run summary (`summary_mean_job_delay_h`),
    # so the table and the CLI's summary agree.
    completed = jobs[jobs["outcome"] == "completed"] if "outcome" in jobs.columns else jobs
    delay = (completed["delay_s"].astype(float).dropna() if "delay_s" in completed
             else pd.Series(dtype=float))
    done = float(len(completed)) if "outcome" in jobs.columns else np.nan
    return {
        "mean_job_delay_h": float(delay.mean()) / 3600.0 if len(delay) else np.nan,
        "jobs_completed": done,
    }


def run_metrics(path: "str | os.PathLike[str]") -> dict[str, Any]:
    """The :func:`compare` row of one result file."""
    path = Path(path)
    ds = io.load_run(path)
    row: dict[str, Any] = {"run": io.run_label(path, dict(ds.attrs)), "file": str(path)}
    row.update(_metrics_of_series(ds))
    row.update(_job_metrics(io.jobs(path)))
    row.update(_summary_metrics(dict(ds.attrs)))
    return row


def _sweep_rows(sweep: xr.Dataset) -> list[dict[str, Any]]:
    rows = []
    params = io.sweep_parameters(sweep, varying_only=False)
    varying = io.sweep_parameters(sweep, varying_only=True)
    labels = [_param_label(sweep, i, varying) for i in range(sweep.sizes[io.RUN_DIM])]
    if len(set(labels)) < len(labels):  # parameters do not tell runs apart: use the run ids
        varying = []
    paths = io.sweep_run_paths(sweep)
    for i in range(sweep.sizes[io.RUN_DIM]):
        one = sweep.isel({io.RUN_DIM: i})
        site = one[[v for v in one.data_vars if tuple(one[v].dims) == (io.SITE_DIM,)]]
        site.attrs = dict(sweep.attrs)
        run_id = one[io.RUN_DIM].values.item()
        run_id = run_id.decode() if isinstance(run_id, bytes) else str(run_id)
        row: dict[str, Any] = {"run": _param_label(sweep, i, varying) or run_id, "run_id": run_id}
        for p in params:
            v = one[p].values.item()
            row[p] = v.decode() if isinstance(v, bytes) else v
        if "run_status" in one.variables:
            row["status"] = str(one["run_status"].values.item())
        row.update(_metrics_of_series(site))
        job_row = {"mean_job_delay_h": np.nan, "jobs_completed": np.nan}
        job_row.update(_summary_metrics(None))
        f = paths[i]
        if f is not None and f.exists() and io.is_complete(f):
            job_row = _job_metrics(io.jobs(f))
            job_row.update(_summary_metrics(io.root_attributes(f)))
            row["file"] = str(f)
        row.update(job_row)
        rows.append(row)
    return rows


def _param_label(sweep: xr.Dataset, i: int, names: list[str]) -> str:
    """``pue=1.3, scheduler=fcfs, seed=42`` from the varying parameters of run ``i``
    (the last part of each parameter's dotted key)."""
    parts = []
    for n in names:
        v = sweep[n].values[i]
        v = v.decode() if isinstance(v, bytes) else v
        if isinstance(v, (float, np.floating)):
            v = f"{float(v):g}"
        key = str(sweep[n].attrs.get("parameter", n)).split(".")[-1]
        if key == "name":  # policies.scheduler.name → scheduler
            key = str(sweep[n].attrs.get("parameter", n)).split(".")[-2]
        parts.append(f"{key}={v}")
    return ", ".join(parts)


def compare(
    runs: "Iterable[str | os.PathLike[str]] | str | os.PathLike[str] | xr.Dataset",
) -> pd.DataFrame:
    """Headline numbers side by side, one row per run (index: the run's label).

    ``runs`` is a list of result files, a directory of result files, a sweep index file, or a
    Dataset from :func:`load_sweep`. Columns: see the module documentation; sweep parameters
    are extra columns.
    """
    if isinstance(runs, xr.Dataset):
        rows = _sweep_rows(runs)
    elif isinstance(runs, (str, os.PathLike)) and (
        (Path(runs).is_dir() and (Path(runs) / "index.h5").exists()) or _is_index(Path(runs))
    ):
        rows = _sweep_rows(io.load_sweep(runs))
    else:
        rows = [run_metrics(p) for p in io.run_files(runs)]
    if not rows:
        raise ValueError("compare: no runs given")
    df = pd.DataFrame(rows)
    labels = df["run"]
    if labels.duplicated().any():  # e.g. one scenario run with different --set overrides
        stems = pd.Series([Path(f).stem if isinstance(f, str) else None
                           for f in df.get("file", [None] * len(df))])
        if stems.notna().all() and not stems.duplicated().any():
            df["run"] = stems.values
        else:
            df["run"] = [f"{r} #{i}" for i, r in enumerate(labels)]
    return df.set_index("run")


def _is_index(path: Path) -> bool:
    try:
        attrs = io.root_attributes(path)
    except (OSError, ValueError):
        return False
    return attrs.get("dcsim_file_kind") == "sweep_index"
