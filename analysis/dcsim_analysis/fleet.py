"""Yearly figures of a run whose fleet or grid changes over the years (issue 19).

Site series are interval averages on a fixed grid (SCHEMA.md), so a calendar year's energy is
Σ P_i · Δt_i over the samples that start in that year (a sample straddling a year boundary is
counted in the year it starts in; with daily or finer samples starting at midnight UTC none
straddles). Columns of :func:`yearly` (index: calendar year, UTC):

- ``facility_energy_mwh`` (MWh): Σ facility_power_w · Δt / 3.6e9
- ``it_energy_mwh`` (MWh): Σ it_power_w · Δt / 3.6e9
- ``operational_tco2`` (tCO2e): Σ emissions_rate_kg_per_h · Δt / 3.6e6 (location-based)
- ``embodied_tco2`` (tCO2e): Σ embodied_rate_kg_per_h · Δt / 3.6e6 (as the run books it:
  amortised or at purchase, ``site.embodied.booking``)
- ``installed_gpus`` (1): time-mean of installed_gpus over the year
- ``carbon_intensity_g_per_kwh`` (g/kWh): time-mean grid intensity
- ``utilisation`` (1): time-mean utilisation
- ``jobs_completed`` (1): jobs of the job table that completed in the year (by end time)
- ``kwh_per_job`` (kWh): their mean energy (IT energy of the job's GPUs and hosts, job table):
  with a workload whose jobs do not grow (``model_size_growth_per_year: 1``) this is the
  fleet's energy efficiency per unit of work, year by year

:func:`yearly_ensemble` gives the same columns over the runs of a sweep (replicates or sampled
inputs: the realizations of an ensemble) as a mean with a confidence interval of the mean
(Student t by default, :func:`dcsim_analysis.ensemble.mean_ci`) and the 5–95 % range of the
realizations themselves; :func:`plot_growth_vs_efficiency` draws the seed's point — efficiency
gains against growth — from it in one plot.
"""
from __future__ import annotations

import os
from typing import Iterable

import numpy as np
import pandas as pd

from . import io


def yearly(path: "str | os.PathLike[str]") -> pd.DataFrame:
    """Energy, operational and embodied emissions per calendar year of one run file."""
    ds = io.load_run(path)
    try:
        dt = float(ds.attrs["sample_s"])
        end = float(ds.attrs.get("summary_simulated_s", np.inf))
        t = pd.DatetimeIndex(ds["time"].values)
        t0 = t[0]
        start_s = (t - t0).total_seconds().to_numpy()
        w = np.clip(end - start_s, 0, dt) if np.isfinite(end) else np.full(len(t), dt)
        years = t.year.to_numpy()

        def total(name: str, scale: float) -> pd.Series:
            v = np.nan_to_num(ds[name].values.astype(float)) * w / scale
            return pd.Series(v).groupby(years).sum()

        def mean(name: str) -> pd.Series:
            v = ds[name].values.astype(float)
            df = pd.DataFrame({"v": v * w, "w": np.where(np.isnan(v), 0, w)}).fillna(0)
            g = df.groupby(years).sum()
            return g["v"] / g["w"]

        out = pd.DataFrame({
            "facility_energy_mwh": total("facility_power_w", 3.6e9),
            "it_energy_mwh": total("it_power_w", 3.6e9),
            "operational_tco2": total("emissions_rate_kg_per_h", 3.6e6),
            "embodied_tco2": total("embodied_rate_kg_per_h", 3.6e6),
            "installed_gpus": mean("installed_gpus"),
            "carbon_intensity_g_per_kwh": mean("carbon_intensity_g_per_kwh"),
            "utilisation": mean("utilisation"),
        })
        out.index.name = "year"
    finally:
        ds.close()
    jt = io.jobs(path)
    done = jt[(jt["outcome"] == "completed") & jt["end_time"].notna()]
    by_year = done.groupby(pd.DatetimeIndex(done["end_time"]).year)["energy_kwh"]
    out["jobs_completed"] = by_year.count().reindex(out.index).fillna(0).astype(float)
    out["kwh_per_job"] = by_year.mean().reindex(out.index)
    return out


def yearly_ensemble(
    runs: "str | os.PathLike[str] | Iterable[str | os.PathLike[str]]",
    *,
    level: float = 0.9,
    method: str = "t",
) -> pd.DataFrame:
    """:func:`yearly` over the realizations of an ensemble: ``runs`` is a sweep's output
    directory or index (its complete runs) or a list of run files. Columns: a MultiIndex
    (quantity, statistic) with statistics ``mean``, ``lower``, ``upper`` (the ``level``
    confidence interval of the mean by ``method``, see :func:`dcsim_analysis.ensemble.mean_ci`),
    ``p05`` and ``p95`` (the realizations' 5 % and 95 % quantiles: the spread of outcomes, not of
    the mean) and ``n``. Index: calendar year, plus a row ``"total"`` for the quantities that
    add up over years (energies, emissions, jobs). Raises ValueError for fewer than 2 runs."""
    from .ensemble import mean_ci

    files = _ensemble_files(runs)
    if len(files) < 2:
        raise ValueError(f"an ensemble needs at least 2 runs, got {len(files)}")
    tables = [yearly(f) for f in files]
    additive = ["facility_energy_mwh", "it_energy_mwh", "operational_tco2", "embodied_tco2", "jobs_completed"]
    for t in tables:
        t.loc["total"] = pd.Series({c: t[c].sum() for c in additive})
    years = tables[0].index
    rows = {}
    for y in years:
        row = {}
        for c in tables[0].columns:
            v = np.array([t.at[y, c] if y in t.index else np.nan for t in tables], dtype=float)
            v = v[np.isfinite(v)]
            if v.size < 2:
                continue
            ci = mean_ci(v, level=level, method=method)
            row.update({(c, "mean"): ci.mean, (c, "lower"): ci.lo, (c, "upper"): ci.hi,
                        (c, "p05"): float(np.quantile(v, 0.05)), (c, "p95"): float(np.quantile(v, 0.95)),
                        (c, "n"): float(v.size)})
        rows[y] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.columns = pd.MultiIndex.from_tuples(out.columns, names=["quantity", "statistic"])
    out.index.name = "year"
    out.attrs.update({"level": level, "method": method, "runs": len(files)})
    return out


def _ensemble_files(runs) -> list:
    from pathlib import Path

    if isinstance(runs, (str, os.PathLike)):
        p = Path(runs)
        if p.is_dir() and (p / "index.h5").exists():
            p = p / "index.h5"
        if p.suffix == ".h5" and p.name == "index.h5":
            sweep = io.load_sweep(p, allow_incomplete=True)
            ok = np.asarray(sweep["run_status"].values).astype(str) == "completed"
            rel = np.asarray(sweep["run_result_path"].values).astype(str)[ok]
            return [p.parent / r for r in rel]
        return io.run_files(p)
    return [Path(r) for r in runs]


def plot_growth_vs_efficiency(ens: pd.DataFrame, *, ax=None, base_year: int | None = None):
    """The seed's point in one plot: installed GPUs, facility energy and operational emissions
    (growth) against energy per completed job and grid intensity (efficiency), each relative to
    ``base_year`` (default: the first year), with the ensemble's 5–95 % range as a band.
    ``ens`` is :func:`yearly_ensemble`'s table. Returns the matplotlib Axes."""
    import matplotlib.pyplot as plt

    e = ens.drop(index="total", errors="ignore")
    e.index = e.index.astype(int)
    base = int(base_year if base_year is not None else e.index.min())
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    lines = [
        ("installed_gpus", "installed GPUs", "-"),
        ("facility_energy_mwh", "facility energy", "-"),
        ("operational_tco2", "operational emissions", "-"),
        ("kwh_per_job", "energy per completed job", "--"),
        ("carbon_intensity_g_per_kwh", "grid intensity", "--"),
    ]
    for q, label, style in lines:
        if (q, "mean") not in e.columns:
            continue
        b = e.at[base, (q, "mean")]
        if not np.isfinite(b) or b == 0:
            continue
        ax.plot(e.index, e[(q, "mean")] / b, style, label=label)
        ax.fill_between(e.index, e[(q, "p05")] / b, e[(q, "p95")] / b, alpha=0.2)
    ax.set_yscale("log")
    ax.set_xlabel("year")
    ax.set_ylabel(f"relative to {base}")
    ax.set_title(f"Growth (solid) against efficiency (dashed), mean and 5–95 % of {ens.attrs.get('runs', '?')} runs")
    ax.legend(fontsize="small")
    ax.grid(True, which="both", alpha=0.3)
    return ax
