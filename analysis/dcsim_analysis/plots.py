"""Standard plots of dcsim results, saved as PNG.

Every function returns a ``matplotlib.figure.Figure`` built without pyplot (no display or
GUI backend needed: saving as PNG renders with Agg), so they work headless, in scripts and in
notebooks (a Figure as the last expression of a cell is displayed inline). :func:`save_png` writes one;
:func:`plot_standard_set` writes the standard set for a run or a sweep.

Inputs are a result file path or an ``xarray.Dataset`` from :func:`load_run`; comparison plots
take the DataFrame of :func:`compare` (or what ``compare`` accepts).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

# No pyplot and no matplotlib.use(): Figure objects draw through Agg when saved as PNG whatever
# the backend, so the package works headless and leaves a notebook's backend alone.
import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from . import io, metrics

# Facility power = IT + cooling + losses (SCHEMA.md). When a run also splits IT power into
# accelerators and hosts, those two replace the IT layer.
STACK = [
    (("accelerator_power_w",), "accelerators", "#1f77b4"),
    (("host_power_w",), "hosts (CPU, memory)", "#aec7e8"),
    (("misc_power_w",), "other IT (network, storage)", "#9edae5"),
    (("it_power_w",), "IT", "#1f77b4"),
    (("cooling_power_w",), "cooling", "#2ca02c"),
    (io.LOSSES_POWER, "conversion losses", "#ff7f0e"),
]
MAX_POINTS = 4000  # longer series are averaged into coarser intervals (energy-preserving)


def _as_run(run: "str | os.PathLike[str] | xr.Dataset") -> xr.Dataset:
    return run if isinstance(run, xr.Dataset) else io.load_run(run)


def _coarsen(ds: xr.Dataset) -> xr.Dataset:
    n = ds.sizes.get(io.SITE_DIM, 0)
    if n <= MAX_POINTS:
        return ds
    factor = int(np.ceil(n / MAX_POINTS))
    numeric = [v for v in ds.data_vars if ds[v].dtype.kind in "fiu" and ds[v].dims == (io.SITE_DIM,)]
    dt = float(metrics.interval_seconds(ds)[0])
    out = ds[numeric].coarsen({io.SITE_DIM: factor}, boundary="trim",
                              coord_func={io.SITE_DIM: "min"}).mean(keep_attrs=True)
    out.attrs = dict(ds.attrs, sample_s=dt * factor)  # each value now averages `factor` intervals
    return out


LONG_SPAN_DAYS = 60  # series over a longer span are drawn as daily means with a min-max band


def _span_days(ds: xr.Dataset) -> float:
    n = ds.sizes.get(io.SITE_DIM, 0)
    if n == 0:
        return 0.0
    return float(np.sum(metrics.interval_seconds(ds))) / 86400.0


def _daily(ds: xr.Dataset, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Daily mean, min and max of one site series (interval averages on a fixed grid), by
    calendar day of ``time``. Returns (day starts, mean, min, max); the mean of a day is the
    mean of its intervals, so it preserves energy."""
    t = ds[io.SITE_DIM].values
    frame = pd.DataFrame({"v": np.asarray(values, dtype=float)},
                         index=pd.DatetimeIndex(t) if np.issubdtype(t.dtype, np.datetime64)
                         else pd.to_datetime(t, unit="s"))
    g = frame["v"].resample("1D")
    mean, lo, hi = g.mean(), g.min(), g.max()
    return mean.index.values, mean.values, lo.values, hi.values


def _day_steps(days: np.ndarray, *ys: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Daily values drawn constant over each day (as _steps for intervals)."""
    if len(days) == 0:
        return days, list(ys)
    ends = days + np.timedelta64(1, "D")
    tt = np.empty(2 * len(days), dtype=days.dtype)
    tt[0::2], tt[1::2] = days, ends
    return tt, [np.repeat(np.asarray(y, dtype=float), 2) for y in ys]


def _note_clipping(ax: Any, *series: np.ndarray, unit: str = "") -> int:
    """Writes a notice on ``ax`` when values of ``series`` fall outside its y limits (data an
    axis would otherwise hide without a word). Returns how many values were clipped."""
    lo, hi = ax.get_ylim()
    clipped, worst = 0, None
    for y in series:
        y = np.asarray(y, dtype=float)
        y = y[np.isfinite(y)]
        out = y[(y > hi) | (y < lo)]
        clipped += out.size
        if out.size:
            m = out[np.argmax(np.abs(out))]
            worst = m if worst is None or abs(m) > abs(worst) else worst
    if clipped:
        ax.annotate(f"{clipped} values beyond the axis (up to {worst:.3g}{(' ' + unit) if unit else ''})",
                    (0.99, 0.99), xycoords="axes fraction", ha="right", va="top",
                    fontsize="x-small", color="#d62728")
    return clipped


def _prepare(run: "str | os.PathLike[str] | xr.Dataset") -> xr.Dataset:
    """The run, coarsened for drawing unless its span is long (then the plots draw daily
    means and min-max bands from the full series)."""
    ds = _as_run(run)
    return ds if _span_days(ds) > LONG_SPAN_DAYS else _coarsen(ds)


def _steps(ds: xr.Dataset, *ys: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Interval averages drawn as what they are: constant over [t_i, t_i + Δt). Returns the
    times doubled (each interval's start and end) and each series repeated to match."""
    t = ds[io.SITE_DIM].values
    if len(t) == 0:
        return t, list(ys)
    dt = metrics.interval_seconds(ds)
    if np.issubdtype(t.dtype, np.datetime64):
        ends = t + (dt * 1e9).astype("timedelta64[ns]")
    else:
        ends = t + dt
    tt = np.empty(2 * len(t), dtype=t.dtype)
    tt[0::2], tt[1::2] = t, ends
    return tt, [np.repeat(np.asarray(y, dtype=float), 2) for y in ys]


def _power_scale(peak_w: float) -> tuple[float, str]:
    if peak_w >= 1e6:
        return 1e6, "MW"
    if peak_w >= 1e3:
        return 1e3, "kW"
    return 1.0, "W"


def _date_axis(ax: Any) -> None:
    loc = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))


def _title(ds: xr.Dataset, what: str) -> str:
    name = ds.attrs.get("scenario_name") or Path(str(ds.attrs.get("source_file", ""))).stem
    return f"{what}: {name}" if name else what


def _require(ds: xr.Dataset, names: Sequence[str], what: str) -> None:
    if not any(n in ds for n in names):
        raise ValueError(
            f"{what} needs one of {', '.join(names)}; this run has none of them "
            f"(it has: {', '.join(map(str, ds.data_vars))})"
        )


class WriteError(Exception):
    """A PNG could not be written (disk full, I/O error, directory gone). The message names the
    file and the cause; no partial file is left at the path."""


def save_png(fig: Figure, path: "str | os.PathLike[str]", dpi: int = 110) -> Path:
    """Write ``fig`` as a PNG (creating parent directories) and return the path.

    The PNG is written to ``<path>.tmp-<pid>`` in the same directory, synced and renamed, so a
    failing write never leaves a truncated PNG at ``path``; it raises :class:`WriteError`."""
    path = Path(path)
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            fig.savefig(fh, format="png", dpi=dpi, bbox_inches="tight")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as e:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise WriteError(f"cannot write {path}: {e.strerror or e}") from e
    return path


# ---------------------------------------------------------------------------------------------
# one run


def plot_power_stack(run: "str | os.PathLike[str] | xr.Dataset") -> Figure:
    """Power drawn over time, stacked by component (accelerators, hosts, cooling, losses),
    with facility power as a line: the stack meets the line when the components add up."""
    ds = _prepare(run)
    _require(ds, ["facility_power_w", "it_power_w"], "the power stack")
    t = ds[io.SITE_DIM].values
    layers, labels, colours = [], [], []
    have_split = "accelerator_power_w" in ds and "host_power_w" in ds
    for names, label, colour in STACK:
        name = io.first_present(ds, names)
        if name is None or (have_split and name == "it_power_w"):
            continue
        if not have_split and name in ("accelerator_power_w", "host_power_w", "misc_power_w"):
            continue
        if name in ("misc_power_w", "cooling_power_w", *io.LOSSES_POWER) and not (
                np.nanmax(np.abs(ds[name].values), initial=0) > 0):
            continue  # a component that is zero throughout: no empty legend entry
        layers.append(ds[name].values.astype(float))
        labels.append(label)
        colours.append(colour)
    total = ds["facility_power_w"].values.astype(float) if "facility_power_w" in ds else None
    peak = np.nanmax(total) if total is not None else np.nanmax(np.sum(layers, axis=0))
    scale, unit = _power_scale(float(peak) if np.isfinite(peak) else 0.0)
    if total is not None and layers:
        other = total - np.nansum(layers, axis=0)
        if np.nanmax(np.abs(other)) > 0.01 * max(float(peak), 1e-12):
            layers.append(np.clip(other, 0, None))
            labels.append("other")
            colours.append("#c7c7c7")

    onsite = [ds[n].values.astype(float) for n in ("pv_power_w", "wind_power_w") if n in ds]
    onsite_total = np.nansum(onsite, axis=0) if onsite else None
    total_v = total if total is not None else np.full(len(t), np.nan)
    onsite_v = onsite_total if onsite_total is not None else np.full(len(t), np.nan)
    long_run = _span_days(ds) > LONG_SPAN_DAYS
    band = None
    if long_run:  # daily means (the stack), with the facility's daily min-max as a band
        days, total_m, total_lo, total_hi = _daily(ds, total_v)
        onsite_m = _daily(ds, onsite_v)[1]
        layer_m = [_daily(ds, y)[1] for y in layers]
        tt, (total_s, onsite_s, lo_s, hi_s, *layers_s) = _day_steps(
            days, total_m, onsite_m, total_lo, total_hi, *layer_m)
        band = (lo_s, hi_s)
    else:
        tt, (total_s, onsite_s, *layers_s) = _steps(ds, total_v, onsite_v, *layers)

    fig = Figure(figsize=(10, 4.5), layout="constrained")
    ax = fig.add_subplot()
    if layers_s:
        ax.stackplot(tt, [np.nan_to_num(y) / scale for y in layers_s], labels=labels,
                     colors=colours, alpha=0.85, linewidth=0)
    if band is not None and total is not None:
        ax.fill_between(tt, band[0] / scale, band[1] / scale, color="black", alpha=0.15,
                        linewidth=0, label="facility, daily min-max")
    if total is not None:
        ax.plot(tt, total_s / scale, color="black", linewidth=1.0,
                label="facility, daily mean" if long_run else "facility")
    show_onsite = onsite_total is not None and np.nanmax(np.abs(onsite_total), initial=0) > 0
    if show_onsite:
        ax.plot(tt, onsite_s / scale, color="#d62728", linewidth=0.8, linestyle="--",
                label="on-site generation (PV + wind)" + (", daily mean" if long_run else ""))
    ax.set_ylabel(f"power ({unit})")
    drawn = [total_s] + ([onsite_s] if show_onsite else []) + ([band[1]] if band is not None else [])
    top_w = max([float(np.nanmax(y)) for y in drawn if np.isfinite(y).any()] + [0.0])
    top = top_w / scale if top_w > 0 else 1.0
    ax.set_ylim(0, 1.3 * top)  # head room for the legend; on-site generation included
    _note_clipping(ax, *[y / scale for y in drawn], unit=unit)
    ax.set_title(_title(ds, "Facility power" + (" (daily means)" if long_run else "")))
    ax.legend(loc="upper left", fontsize="small", ncols=3)
    _date_axis(ax)
    return fig


def plot_carbon_vs_load(run: "str | os.PathLike[str] | xr.Dataset") -> Figure:
    """Grid carbon intensity against the site's load: over time (left) and as a scatter with
    binned means (right). Carbon-aware scheduling shows as load falling where intensity is
    high."""
    ds = _prepare(run)
    _require(ds, io.CARBON_INTENSITY, "carbon intensity vs load")
    _require(ds, ["utilisation", "it_power_w"], "carbon intensity vs load")
    load_name = "utilisation" if "utilisation" in ds else "it_power_w"
    ci = ds[io.first_present(ds, io.CARBON_INTENSITY)].values.astype(float)
    load = ds[load_name].values.astype(float)
    if load_name == "utilisation":
        load_label, load_plot = "utilisation (%)", load * 100.0
    else:
        scale, unit = _power_scale(float(np.nanmax(load)) if load.size else 0.0)
        load_label, load_plot = f"IT power ({unit})", load / scale
    long_run = _span_days(ds) > LONG_SPAN_DAYS
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2, width_ratios=[1.6, 1])
    twin = ax1.twinx()
    if long_run:  # daily means with their min-max bands: a year of hourly spikes reads as a wall
        days, ci_m, ci_lo, ci_hi = _daily(ds, ci)
        _, ld_m, ld_lo, ld_hi = _daily(ds, load_plot)
        tt, (ci_s, ci_lo_s, ci_hi_s, load_s, ld_lo_s, ld_hi_s) = _day_steps(
            days, ci_m, ci_lo, ci_hi, ld_m, ld_lo, ld_hi)
        ax1.fill_between(tt, ci_lo_s, ci_hi_s, color="#7f7f7f", alpha=0.2, linewidth=0)
        twin.fill_between(tt, ld_lo_s, ld_hi_s, color="#1f77b4", alpha=0.15, linewidth=0)
    else:
        tt, (ci_s, load_s) = _steps(ds, ci, load_plot)
    ax1.plot(tt, ci_s, color="#7f7f7f", linewidth=0.8)
    ax1.set_ylabel("carbon intensity (gCO2e/kWh)" + (", daily mean and range" if long_run else ""),
                   color="#555555")
    twin.plot(tt, load_s, color="#1f77b4", linewidth=0.8)
    twin.set_ylabel(load_label, color="#1f77b4")
    _date_axis(ax1)
    ax1.set_title(_title(ds, "Carbon intensity and load" + (" (daily)" if long_run else "")))

    ax2.scatter(ci, load_plot, s=4, alpha=0.3, color="#1f77b4", linewidths=0)
    ok = np.isfinite(ci) & np.isfinite(load_plot)
    if ok.sum() > 1 and np.ptp(ci[ok]) > 0:
        edges = np.linspace(ci[ok].min(), ci[ok].max(), 11)
        which = np.clip(np.digitize(ci[ok], edges) - 1, 0, 9)
        means = [load_plot[ok][which == k].mean() if np.any(which == k) else np.nan for k in range(10)]
        ax2.plot((edges[:-1] + edges[1:]) / 2, means, color="black", marker="o", markersize=3,
                 label="mean per bin")
        ax2.legend(fontsize="small")
    elif ok.any():
        ax2.annotate(f"constant intensity: {ci[ok][0]:g} gCO2e/kWh", (0.5, 0.97),
                     xycoords="axes fraction", ha="center", va="top", fontsize="small")
    ax2.set_xlabel("carbon intensity (gCO2e/kWh)")
    ax2.set_ylabel(load_label)
    ax2.set_title("load vs intensity")
    return fig


BATTERY = ("battery_soc", "battery_power_w", "battery_charge_w", "battery_discharge_w")


def plot_battery(run: "str | os.PathLike[str] | xr.Dataset") -> Figure:
    """Battery state of charge (top) and power at its terminals (bottom: discharging into the
    site above zero, charging below, as ``battery_power_w`` in the schema)."""
    ds = _prepare(run)
    _require(ds, BATTERY, "the battery plot")
    t = ds[io.SITE_DIM].values
    fig = Figure(figsize=(10, 5), layout="constrained")
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    if "battery_soc" in ds:
        # state of charge at the END of each interval: plot it at t + Δt
        soc = ds["battery_soc"].values.astype(float)
        units = str(ds["battery_soc"].attrs.get("units", "1")).strip()
        soc_pct = soc if units in ("%", "percent") else soc * 100.0
        if _span_days(ds) > LONG_SPAN_DAYS:  # daily mean with the day's min-max band
            days, m, lo, hi = _daily(ds, soc_pct)
            tt_d, (m_s, lo_s, hi_s) = _day_steps(days, m, lo, hi)
            ax1.fill_between(tt_d, lo_s, hi_s, color="#2ca02c", alpha=0.3, linewidth=0,
                             label="daily min-max")
            ax1.plot(tt_d, m_s, color="#2ca02c", linewidth=0.8, label="daily mean")
            ax1.legend(loc="upper left", fontsize="small")
        else:
            tt, _ = _steps(ds)
            ends = tt[1::2]
            ax1.fill_between(ends, np.nan_to_num(soc_pct), color="#2ca02c", alpha=0.4, linewidth=0)
            ax1.plot(ends, soc_pct, color="#2ca02c", linewidth=0.8)
        ax1.set_ylim(0, 100)
        _note_clipping(ax1, soc_pct, unit="%")
    ax1.set_ylabel("state of charge (%)")
    ax1.set_title(_title(ds, "Battery"))
    if "battery_power_w" in ds:
        p = ds["battery_power_w"].values.astype(float)
    else:  # synonyms: separate charge / discharge series, both >= 0
        zero = np.zeros(len(t))
        p = (ds["battery_discharge_w"].values.astype(float) if "battery_discharge_w" in ds else zero) - (
            ds["battery_charge_w"].values.astype(float) if "battery_charge_w" in ds else zero)
    p = np.nan_to_num(p)
    scale, unit = _power_scale(float(np.max(np.abs(p))) if len(p) else 0.0)
    if _span_days(ds) > LONG_SPAN_DAYS:  # daily mean of the signed power (the net energy of the day)
        days, m, _, _ = _daily(ds, p)
        tt, (ps,) = _day_steps(days, m)
        ax2.set_title("daily mean", fontsize="small")
    else:
        tt, (ps,) = _steps(ds, p)
    ax2.fill_between(tt, np.clip(ps, 0, None) / scale, color="#d62728", alpha=0.6, linewidth=0,
                     label="discharging")
    ax2.fill_between(tt, np.clip(ps, None, 0) / scale, color="#1f77b4", alpha=0.6, linewidth=0,
                     label="charging")
    ax2.axhline(0, color="black", linewidth=0.5)
    ax2.set_ylabel(f"battery power ({unit})")
    ax2.legend(loc="upper left", fontsize="small")
    _date_axis(ax2)
    return fig


# ---------------------------------------------------------------------------------------------
# several runs

DEFAULT_METRICS = [
    ("facility_energy_mwh", "facility energy (MWh)"),
    ("peak_facility_power_mw", "peak facility power (MW)"),
    ("pue", "PUE"),
    ("emissions_t", "emissions (tCO2e)"),
    ("mean_job_delay_h", "mean job delay (h)"),
]


def _as_table(runs: Any) -> pd.DataFrame:
    return runs if isinstance(runs, pd.DataFrame) else metrics.compare(runs)


def _replicate_groups(df: pd.DataFrame) -> list[str] | None:
    """For a sweep with replicates (``seed`` varies): the other parameters that vary."""
    params = [c for c in df.columns if c not in metrics.METRIC_COLUMNS
              and c not in metrics.NON_PARAMETER_COLUMNS]
    if "seed" not in params or df["seed"].nunique() < 2:
        return None
    others = [p for p in params if p != "seed" and df[p].nunique() > 1]
    return others or None


def plot_strategy_comparison(
    runs: Any,
    metrics_: Sequence[str] | None = None,
    *,
    baseline: str | None = None,
    group_by: "Sequence[str] | str | None" = "auto",
) -> Figure:
    """One bar chart per headline metric, one bar per run (runs: the DataFrame of
    :func:`compare`, or anything ``compare`` accepts). With ``baseline`` (a bar label) each bar
    is annotated with its change relative to that one.

    ``group_by``: columns whose combinations make the bars, the other runs (replicates) being
    averaged, with their standard deviation as error bars. ``"auto"`` groups a sweep with
    replicates (``seed`` varies) by its other varying parameters; ``None`` shows every run."""
    df = _as_table(runs)
    if isinstance(group_by, str) and group_by == "auto":
        group_by = _replicate_groups(df)
    spread = None
    labels = dict(DEFAULT_METRICS)
    cols = list(metrics_) if metrics_ else [m for m, _ in DEFAULT_METRICS if m in df.columns]
    cols = [c for c in cols if c in df.columns and df[c].notna().any()]
    if not cols:
        raise ValueError(f"nothing to compare: none of the metrics are in {list(df.columns)}")
    if group_by:
        keys = [group_by] if isinstance(group_by, str) else list(group_by)
        grouped = df.groupby(keys, sort=False)[cols]
        df, spread = grouped.mean(), grouped.std()
        fmt = lambda v: f"{v:g}" if isinstance(v, (int, float, np.number)) else str(v)  # noqa: E731
        idx = [", ".join(f"{k.split('.')[-1]}={fmt(v)}" for k, v in
                         zip(keys, t if isinstance(t, tuple) else (t,))) for t in df.index]
        df.index, spread.index = idx, idx
    df = df.copy()
    for col in cols:  # MW and MWh read badly below 1: show kW and kWh instead
        if col.endswith(("_mw", "_mwh")) and df[col].abs().max() < 1:
            df[col] = df[col] * 1000
            if spread is not None:
                spread[col] = spread[col] * 1000
            labels[col] = labels.get(col, col).replace("(MW", "(kW")
    n = len(cols)
    fig = Figure(figsize=(3.2 * n, 0.45 * len(df) + 2.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, n, sharey=True))
    names = [str(i) for i in df.index]
    y = np.arange(len(df))
    colours = matplotlib.colormaps["tab10"](np.arange(len(df)) % 10)
    for ax, col in zip(axes, cols):
        vals = df[col].astype(float).values
        err = spread[col].astype(float).values if spread is not None else None
        ax.barh(y, vals, color=colours, xerr=err, error_kw={"elinewidth": 0.8, "capsize": 2})
        ax.set_title(labels.get(col, col), fontsize="medium")
        ax.invert_yaxis() if ax is axes[0] else None
        if baseline is not None and baseline in df.index:
            ref = float(df.loc[baseline, col])
            for yi, v, name in zip(y, vals, names):
                if ref and np.isfinite(v) and name != baseline:
                    ax.annotate(f"{(v - ref) / ref:+.1%}", (v, yi), xytext=(3, 0),
                                textcoords="offset points", va="center", fontsize="x-small")
        ax.margins(x=0.15)
    axes[0].set_yticks(y, names)
    fig.suptitle("Strategy comparison" + (" (mean ± sd over replicates)" if spread is not None else ""))
    return fig


def _param_label(sweep: Any, name: str) -> str:
    """The scenario key of a sweep parameter (attribute ``parameter``) when known."""
    if isinstance(sweep, xr.Dataset) and name in sweep.variables:
        return str(sweep[name].attrs.get("parameter", name))
    return name


def _sweep_table(sweep: Any) -> tuple[pd.DataFrame, list[str]]:
    """compare() of a sweep and its parameters that vary (numbers first, seed left out)."""
    if isinstance(sweep, pd.DataFrame):
        df = sweep
        params = [c for c in df.columns if c not in metrics.METRIC_COLUMNS
                  and c not in metrics.NON_PARAMETER_COLUMNS]
    else:
        ds = sweep if isinstance(sweep, xr.Dataset) else io.load_sweep(sweep)
        df = metrics.compare(ds)
        params = io.sweep_parameters(ds)
    if "status" in df.columns:  # failed runs have no numbers
        df = df[df["status"] == "completed"]
    params = [p for p in params if p in df.columns and p != "seed"
              and p not in metrics.NON_PARAMETER_COLUMNS
              and p not in metrics.METRIC_COLUMNS and df[p].nunique() > 1]
    params.sort(key=lambda p: not pd.api.types.is_numeric_dtype(df[p]))  # numbers first
    return df, params


def plot_sweep_line(
    sweep: Any,
    x: str | None = None,
    metrics_: Sequence[str] | None = None,
) -> Figure:
    """A one-parameter sweep as lines: each metric (default: the comparison's headline metrics
    that have values) against the parameter, the mean over replicates with a min-max band when
    there are several. ``sweep`` as for :func:`plot_sweep_heatmap`."""
    df, params = _sweep_table(sweep)
    x = x or (params[0] if params else None)
    if x is None:
        raise ValueError("a sweep line plot needs a parameter that varies between runs")
    labels = dict(DEFAULT_METRICS)
    cols = list(metrics_) if metrics_ else [m for m, _ in DEFAULT_METRICS]
    cols = [c for c in cols if c in df.columns and df[c].notna().any()
            and np.nanmax(np.abs(df[c].astype(float).values)) > 0]  # no empty panels
    if not cols:
        raise ValueError(f"nothing to plot: none of the metrics have values in {list(df.columns)}")
    g = df.groupby(x, sort=True)[cols]
    mean, lo, hi = g.mean(), g.min(), g.max()
    numeric = pd.api.types.is_numeric_dtype(df[x])
    xs = mean.index.values.astype(float) if numeric else np.arange(len(mean))
    fig = Figure(figsize=(3.4 * len(cols), 3.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(cols)))
    for ax, c in zip(axes, cols):
        ax.plot(xs, mean[c].values, marker="o", color="#1f77b4")
        if (hi[c] > lo[c]).any():
            ax.fill_between(xs, lo[c].values, hi[c].values, color="#1f77b4", alpha=0.2, linewidth=0,
                            label="min-max over replicates")
            ax.legend(fontsize="x-small")
        ax.set_title(labels.get(c, c), fontsize="medium")
        ax.set_xlabel(_param_label(sweep, x))
        if not numeric:
            ax.set_xticks(xs, [str(v) for v in mean.index])
    fig.suptitle("Sweep over " + _param_label(sweep, x))
    return fig


def plot_sweep(sweep: Any, metric: str = "emissions_t") -> Figure:
    """The plot that fits the sweep's shape: lines for one varying parameter
    (:func:`plot_sweep_line`), a heat map of ``metric`` for two or more
    (:func:`plot_sweep_heatmap`, over the first two)."""
    _, params = _sweep_table(sweep)
    if len(params) <= 1:
        return plot_sweep_line(sweep)
    return plot_sweep_heatmap(sweep, metric=metric)


def plot_sweep_heatmap(
    sweep: Any,
    x: str | None = None,
    y: str | None = None,
    metric: str = "emissions_t",
    *,
    aggregate: str = "mean",
) -> Figure:
    """A heat map of ``metric`` over two sweep parameters (replicates aggregated with
    ``aggregate``). ``sweep``: a Dataset from :func:`load_sweep`, an index path, or the
    DataFrame of :func:`compare` with parameter columns. Without ``x``/``y`` the first two
    parameters that vary are used (one parameter gives a single row)."""
    df, params = _sweep_table(sweep)
    x = x or (params[0] if params else None)
    y = y or (next((p for p in params if p != x), None))
    if x is None:
        raise ValueError("a sweep heat map needs at least one parameter that varies between runs")
    if metric not in df.columns:
        raise ValueError(f"metric {metric!r} not in {list(df.columns)}")
    if y is None:
        table = df.pivot_table(columns=x, values=metric, aggfunc=aggregate)
        table.index = [metric]
    else:
        table = df.pivot_table(index=y, columns=x, values=metric, aggfunc=aggregate)
    fig = Figure(figsize=(1.2 * table.shape[1] + 3, 0.8 * table.shape[0] + 2), layout="constrained")
    ax = fig.add_subplot()
    values = table.values.astype(float)
    im = ax.imshow(values, cmap="viridis", aspect="auto", origin="lower")
    ax.set_xticks(range(table.shape[1]), [f"{c:g}" if isinstance(c, (int, float)) else str(c) for c in table.columns])
    ax.set_yticks(range(table.shape[0]), [f"{r:g}" if isinstance(r, (int, float)) else str(r) for r in table.index])
    ax.set_xlabel(_param_label(sweep, x))
    ax.set_ylabel(_param_label(sweep, y) if y else "")
    finite = values[np.isfinite(values)]
    mid = (finite.min() + finite.max()) / 2 if finite.size else 0
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize="small",
                    color="white" if v < mid else "black")
    label = dict(DEFAULT_METRICS).get(metric, metric)
    fig.colorbar(im, ax=ax, label=label)
    ax.set_title(f"{label}, {aggregate} over replicates")
    return fig


# ---------------------------------------------------------------------------------------------


def has_battery(ds: xr.Dataset) -> bool:
    """A run models a battery when its battery series exist and are not all NaN / zero."""
    for n in BATTERY:
        if n in ds and np.nanmax(np.abs(np.nan_to_num(ds[n].values.astype(float)))) > 0:
            return True
    return False


def plot_standard_set(
    path: "str | os.PathLike[str]", outdir: "str | os.PathLike[str] | None" = None
) -> list[Path]:
    """Write the standard PNGs for a result file (power stack; carbon intensity vs load and
    battery state when the run has those series) or for a sweep index (strategy comparison and
    a heat map per pair of parameters). Returns the files written; default ``outdir`` is the
    input's directory. File names start with the input's stem."""
    path = Path(path)
    out = Path(outdir) if outdir is not None else path.parent
    stem = path.stem
    written: list[Path] = []
    if metrics._is_index(path):
        sweep = io.load_sweep(path)
        table = metrics.compare(sweep)
        written.append(save_png(plot_strategy_comparison(table), out / f"{stem}_comparison.png"))
        from . import ensemble
        if ensemble.sampled_inputs(sweep):  # uncertain inputs: bands and the ranking, no heat map
            written.append(save_png(plot_ensemble_series(sweep), out / f"{stem}_ensemble.png"))
            written.append(save_png(plot_sensitivity(sweep), out / f"{stem}_sensitivity.png"))
            return written
        varying = _sweep_table(table)[1] if io.sweep_parameters(sweep) else []
        if len(varying) == 1:  # one parameter: lines, not a 1 × n heat map
            written.append(save_png(plot_sweep_line(table), out / f"{stem}_sweep.png"))
        elif len(varying) >= 2:
            written.append(save_png(plot_sweep_heatmap(sweep), out / f"{stem}_heatmap.png"))
        return written
    ds = io.load_run(path)
    written.append(save_png(plot_power_stack(ds), out / f"{stem}_power_stack.png"))
    if io.first_present(ds, io.CARBON_INTENSITY) and ("utilisation" in ds or "it_power_w" in ds):
        written.append(save_png(plot_carbon_vs_load(ds), out / f"{stem}_carbon_vs_load.png"))
    if has_battery(ds):
        written.append(save_png(plot_battery(ds), out / f"{stem}_battery.png"))
    return written


# ---- ensembles (dcsim_analysis.ensemble) ------------------------------------------------------

def plot_ensemble_series(
    sweep: Any,
    variable: str = "facility_power_w",
    *,
    level: float = 0.9,
) -> Figure:
    """A site series of an ensemble sweep over time: for each grid/zip point the mean over its
    realizations with the Student-t ``level`` confidence band of that mean (shaded) and the
    range of the realizations (light). ``sweep``: an index, its directory or a
    :func:`load_sweep` Dataset."""
    from . import ensemble

    ds = sweep if isinstance(sweep, xr.Dataset) else io.load_sweep(sweep)
    if variable not in ds:
        raise KeyError(f"no series {variable!r} in the sweep index")
    ens = ensemble.by_realization(ds[[variable]])
    ci = ensemble.series_ci(ens[variable], "realization", level)
    scale, unit = (1.0, ds[variable].attrs.get("units", ""))
    if unit == "W":
        scale, unit = _power_scale(float(np.nanmax(np.abs(ens[variable].values))))
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax = fig.subplots()
    colours = matplotlib.colormaps["tab10"]
    t = ens["time"].values
    for k, p in enumerate(ens["point"].values):
        c = colours(k % 10)
        one = ci.sel(point=p)
        lo_all = ens[variable].sel(point=p).min("realization") / scale
        hi_all = ens[variable].sel(point=p).max("realization") / scale
        label = f"point {int(p)}" if ens.sizes["point"] > 1 else "mean"
        ax.fill_between(t, lo_all.values, hi_all.values, color=c, alpha=0.12, linewidth=0,
                        step="post", label="range of realizations" if k == 0 else None)
        ax.fill_between(t, (one["lo"] / scale).values, (one["hi"] / scale).values, color=c, alpha=0.35,
                        linewidth=0, step="post", label=f"{level:.0%} CI of the mean (t)" if k == 0 else None)
        ax.step(t, (one["mean"] / scale).values, where="post", color=c, linewidth=1, label=label)
    ax.set_ylabel(f"{ds[variable].attrs.get('long_name', variable)} ({unit})")
    _date_axis(ax)
    ax.legend(fontsize="x-small")
    n = int(ci["n"].max())
    ax.set_title(f"{variable}: mean over {n} realizations with its {level:.0%} confidence band",
                 fontsize="medium")
    return fig


def plot_ensemble_metric(
    sweep: Any,
    metric: str = "emissions_t",
    x: str | None = None,
    *,
    level: float = 0.9,
    method: str = "t",
) -> Figure:
    """A summary metric (a :func:`compare` column) per grid/zip point: its mean over the
    ensemble with the ``level`` confidence interval (``method`` "t" or "bootstrap"), as a
    line with a band against ``x`` (default: the first point parameter) or as error bars."""
    from . import ensemble

    ds = sweep if isinstance(sweep, xr.Dataset) else io.load_sweep(sweep)
    params = ensemble.point_parameters(ds)
    x = x or (params[0] if params else None)
    s = ensemble.ensemble_summary(ds, [metric], level=level, method=method,
                                  group_by=[x] if x else None)
    labels = dict(DEFAULT_METRICS)
    fig = Figure(figsize=(5.5, 3.8), layout="constrained")
    ax = fig.subplots()
    m, lo, hi = (s[f"{metric}_{k}"].values.astype(float) for k in ("mean", "lo", "hi"))
    if x and pd.api.types.is_numeric_dtype(s.index):
        xs = s.index.values.astype(float)
        order = np.argsort(xs)
        ax.plot(xs[order], m[order], marker="o", color="#1f77b4", label="mean")
        ax.fill_between(xs[order], lo[order], hi[order], color="#1f77b4", alpha=0.25, linewidth=0,
                        label=f"{level:.0%} CI ({method})")
        ax.set_xlabel(_param_label(ds, x))
    else:
        xs = np.arange(len(s))
        ax.errorbar(xs, m, yerr=[m - lo, hi - m], fmt="o", capsize=3, label=f"mean, {level:.0%} CI ({method})")
        ax.set_xticks(xs, [str(v) for v in s.index] if x else ["all runs"])
    ax.set_ylabel(labels.get(metric, metric))
    ax.legend(fontsize="x-small")
    ax.set_title(f"{labels.get(metric, metric)} over the ensemble", fontsize="medium")
    return fig


def plot_sensitivity(sweep: Any, output: str = "emissions_t", *, by: str = "srrc") -> Figure:
    """Bars of the sensitivity ranking (:func:`dcsim_analysis.sensitivity`) of the sampled
    inputs on ``output``: standardised rank regression coefficients and Spearman's ρ."""
    from . import ensemble

    r = ensemble.sensitivity(sweep, output, by=by)
    fig = Figure(figsize=(6, 0.5 * len(r) + 2), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(r))
    ax.barh(y - 0.18, r["srrc"].values, height=0.36, color="#1f77b4", label="SRRC")
    ax.barh(y + 0.18, r["spearman"].values, height=0.36, color="#ff7f0e", label="Spearman ρ")
    ax.set_yticks(y, [str(i) for i in r.index])
    ax.invert_yaxis()
    ax.axvline(0, color="k", linewidth=0.6)
    ax.set_xlim(-1.05, 1.05)
    ax.legend(fontsize="x-small")
    ax.set_title(f"sensitivity of {output} (rank regression R² = {r['srrc_r2'].iloc[0]:.2f})",
                 fontsize="medium")
    return fig
