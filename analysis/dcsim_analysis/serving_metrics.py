"""LLM serving what-ifs from a run file (analysis/SCHEMA.md § Serving and § Dimension `request`).

    import dcsim_analysis as da
    da.serving_requests("run.h5")                 # the request table (request fidelity)
    da.serving_kpis("run.h5")                     # one row per deployment: J/token, gCO2e/1k, p50/p99, SLO
    da.slo_attainment("run.h5", ttft_s=0.5)       # a what-if SLO, from the table (exact) or the series
    da.latency_percentiles("run.h5", (0.5, 0.9, 0.99))

Where numbers come from (``source`` column): with a request table the latency percentiles and
the SLO attainment are computed from every request (exact); without one (aggregated fidelity,
or ``requests_table: false``) they are the request-weighted means of the per-interval
percentiles of the ``serving_*_p50_s`` / ``_p99_s`` series (what the series hold; other
quantiles are not available then) and the run's own SLO attainment. Energy per token and
emissions per 1,000 tokens are the run's totals (``summary_serving_<i>_*``): the accelerator
energy of the deployment's replicas (loading included) per output token, and its location-based
emissions (facility overhead included) per 1,000 output tokens.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from .io import _check, _table, root_attributes, serving

REQUEST_DIM = "request"


def _deployment_names(attrs: dict) -> list[str]:
    names = []
    i = 0
    while f"serving_deployment_{i}" in attrs:
        v = attrs[f"serving_deployment_{i}"]
        names.append(v.decode() if isinstance(v, bytes) else str(v))
        i += 1
    return names


def serving_requests(path: "str | os.PathLike[str]", *, allow_incomplete: bool = False,
                     engine: str | None = None) -> pd.DataFrame:
    """The request table as a ``pandas.DataFrame`` (columns: the ``request_*`` names without
    the prefix; ``deployment`` as the deployment's name; times as datetime64). Empty when the
    run wrote none (aggregated fidelity or ``requests_table: false``)."""
    path = Path(path)
    attrs = _check(path, allow_incomplete, "run")
    df = _table(path, REQUEST_DIM, "request_", engine)
    if df.empty:
        return df
    names = _deployment_names(attrs)
    if "deployment" in df.columns and names:
        df["deployment"] = [names[int(d)] if 0 <= int(d) < len(names) else str(d) for d in df["deployment"]]
    return df


def _weighted(series: "pd.DataFrame", col: str, weight: str) -> float:
    v = series[col].to_numpy(dtype=float)
    w = series[weight].to_numpy(dtype=float)
    ok = np.isfinite(v) & np.isfinite(w) & (w > 0)
    return float(np.sum(v[ok] * w[ok]) / np.sum(w[ok])) if ok.any() else float("nan")


def latency_percentiles(path: "str | os.PathLike[str]", quantiles: Iterable[float] = (0.5, 0.99), *,
                        allow_incomplete: bool = False) -> pd.DataFrame:
    """TTFT and TPOT percentiles per deployment (seconds): columns ``ttft_p<q>_s``,
    ``tpot_p<q>_s`` and ``source`` (``requests`` or ``series``). From the series only the
    quantiles 0.5 and 0.99 exist; asking for another without a request table raises
    ``ValueError``."""
    qs = [float(q) for q in quantiles]
    for q in qs:
        if not 0 < q < 1:
            raise ValueError(f"expected quantiles in (0, 1), got {q}")
    label = lambda q: f"{q * 100:g}".replace(".", "_")
    req = serving_requests(path, allow_incomplete=allow_incomplete)
    rows = {}
    if not req.empty:
        done = req[req["outcome"] == "completed"]
        for name, g in done.groupby("deployment", sort=False):
            row = {}
            for q in qs:
                row[f"ttft_p{label(q)}_s"] = float(np.quantile(g["ttft_s"].to_numpy(float), q))
                tp = g["tpot_s"].to_numpy(float)
                tp = tp[np.isfinite(tp)]
                row[f"tpot_p{label(q)}_s"] = float(np.quantile(tp, q)) if tp.size else float("nan")
            row["source"] = "requests"
            rows[name] = row
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = "deployment"
        return out
    missing = [q for q in qs if q not in (0.5, 0.99)]
    if missing:
        raise ValueError(f"{path}: quantiles {missing} need the request table (fidelity: request); "
                         "the series hold p50 and p99 only")
    series, _ = serving(path, allow_incomplete=allow_incomplete)
    for name in series["deployment"].values:
        s = series.sel(deployment=name).to_dataframe()
        row = {}
        for q in qs:
            p = "p50" if q == 0.5 else "p99"
            row[f"ttft_p{label(q)}_s"] = _weighted(s, f"serving_ttft_{p}_s", "serving_requests_per_s")
            row[f"tpot_p{label(q)}_s"] = _weighted(s, f"serving_tpot_{p}_s", "serving_requests_per_s")
        row["source"] = "series"
        rows[str(name)] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "deployment"
    return out


def slo_attainment(path: "str | os.PathLike[str]", *, ttft_s: float | None = None, tpot_s: float | None = None,
                   allow_incomplete: bool = False) -> pd.Series:
    """Share of requests meeting an SLO, per deployment. With ``ttft_s``/``tpot_s`` (a what-if
    target) it is computed from the request table (rejected requests count as missed; a
    single-token output meets any TPOT target) and needs one; without them it is the run's own
    SLO attainment (the table's ``slo_met`` if there is a table, else the summary's)."""
    req = serving_requests(path, allow_incomplete=allow_incomplete)
    if ttft_s is None and tpot_s is None:
        if not req.empty:
            # -1 (no SLO) counts as met, as in the summary
            met = req.assign(ok=(req["slo_met"] != 0) & (req["outcome"] == "completed"))
            return met.groupby("deployment", sort=False)["ok"].mean().rename("slo_attainment")
        _, totals = serving(path, allow_incomplete=allow_incomplete)
        return totals["slo_attainment"].rename("slo_attainment")
    if req.empty:
        raise ValueError(f"{path}: a what-if SLO needs the request table (serving.fidelity: request)")
    ok = req["outcome"] == "completed"
    if ttft_s is not None:
        ok &= req["ttft_s"] <= ttft_s
    if tpot_s is not None:
        ok &= ~(req["tpot_s"] > tpot_s)  # NaN (single token) meets it
    return req.assign(ok=ok).groupby("deployment", sort=False)["ok"].mean().rename("slo_attainment")


def serving_kpis(path: "str | os.PathLike[str]", *, allow_incomplete: bool = False) -> pd.DataFrame:
    """One row per deployment: requests completed, output tokens, energy (kWh), J per output
    token, emissions (kg), gCO2e per 1,000 output tokens, TTFT/TPOT p50 and p99 (s), SLO
    attainment and where the latencies come from (``source``)."""
    _, totals = serving(path, allow_incomplete=allow_incomplete)
    lat = latency_percentiles(path, (0.5, 0.99), allow_incomplete=allow_incomplete)
    slo = slo_attainment(path, allow_incomplete=allow_incomplete)
    out = pd.DataFrame(index=totals.index)
    out["requests_completed"] = totals["completed"]
    out["tokens_out"] = totals["tokens_out"]
    out["energy_kwh"] = totals["energy_kwh"]
    out["j_per_output_token"] = totals["energy_kwh"] * 3.6e6 / totals["tokens_out"]
    out["emissions_kg"] = totals["emissions_kg"]
    out["gco2e_per_1k_tokens"] = totals["emissions_kg"] * 1e6 / totals["tokens_out"]
    out["wh_per_1k_tokens"] = totals["energy_kwh"] * 1e6 / totals["tokens_out"]
    for c in ("ttft_p50_s", "ttft_p99_s", "tpot_p50_s", "tpot_p99_s", "source"):
        out[c] = lat[c].reindex(out.index)
    out["slo_attainment"] = slo.reindex(out.index)
    return out
