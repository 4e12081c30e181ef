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
"""
from __future__ import annotations

import os

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
        return out
    finally:
        ds.close()
