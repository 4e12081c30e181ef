"""Reading dcsim result files and sweep index files.

A result file is netCDF4-compatible HDF5 (schema: analysis/SCHEMA.md). It holds
- site series on the ``time`` dimension (interval averages, names carry their unit),
- optional per-rack / per-node series on (``time``, ``rack``) / (``time``, ``node``),
- the job table on the ``job`` dimension (``job_*`` variables),
- the event table on the ``event`` dimension (``event_*`` variables),
- root attributes: ``schema_version``, ``complete`` (1 once the run finished), ``seed``,
  ``scenario_yaml`` (the resolved scenario), versions, input checksums and ``summary_*``.

Every reader refuses a file whose ``complete`` attribute is not 1 unless
``allow_incomplete=True``: such a file comes from a run that was killed or failed.
"""
from __future__ import annotations

import contextlib
import json
import os
import warnings
from pathlib import Path
from typing import Any, Iterable, Iterator

import h5py
import numpy as np
import pandas as pd
import xarray as xr

SITE_DIM = "time"
JOB_DIM = "job"
EVENT_DIM = "event"
RUN_DIM = "run"
ENTITY_DIMS = ("rack", "node", "deployment")

# Major versions of the schema this package understands.
SUPPORTED_SCHEMA_MAJOR = 1

# Names of series that plots and metrics look for, schema name first. Later names are
# accepted as synonyms (drafts of the schema used them); readers must not assume any optional
# series is present.
LOSSES_POWER = ("losses_power_w", "loss_power_w")
CARBON_INTENSITY = ("carbon_intensity_g_per_kwh", "carbon_intensity_gco2_per_kwh")
EMISSIONS_RATE = ("emissions_rate_kg_per_h", "emissions_rate_kgco2_per_h")


def first_present(ds: "xr.Dataset", names: "Iterable[str]") -> "str | None":
    """The first of ``names`` that is a variable of ``ds``, else None."""
    for n in names:
        if n in ds.variables:
            return n
    return None


class IncompleteResultError(ValueError):
    """The file is not a complete dcsim result (killed or failed run, or still being written)."""


class SchemaError(ValueError):
    """The file is readable but does not follow the dcsim result schema."""


# ---------------------------------------------------------------------------------------------
# attributes and checks


def _to_python(value: Any) -> Any:
    """HDF5 attribute value → plain Python (str, int, float, list)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray):
        if value.shape == () or value.size == 1:
            return _to_python(value.reshape(-1)[0])
        return [_to_python(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _open_h5(path: Path) -> h5py.File:
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such result file")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise IncompleteResultError(
            f"{path}: cannot be opened as HDF5 ({e}); a run killed while writing leaves such "
            "files, and a file still being written is locked"
        ) from e


def root_attributes(path: "str | os.PathLike[str]") -> dict[str, Any]:
    """All root attributes of a result or index file, as plain Python values."""
    path = Path(path)
    with _open_h5(path) as f:
        try:
            return {k: _to_python(v) for k, v in f.attrs.items()}
        except (OSError, KeyError, RuntimeError, ValueError) as e:
            # A file cut off mid-write (SIGKILL) can open yet have unreadable metadata.
            raise IncompleteResultError(
                f"{path}: its attributes cannot be read ({e}); a run killed while writing "
                "leaves such files"
            ) from e


def is_complete(path: "str | os.PathLike[str]") -> bool:
    """True when the file carries ``complete = 1`` (the run finished and the file was renamed)."""
    try:
        attrs = root_attributes(path)
    except IncompleteResultError:
        return False
    return _complete_flag(attrs)


def _complete_flag(attrs: dict[str, Any]) -> bool:
    c = attrs.get("complete")
    if isinstance(c, str):
        return c.strip().lower() in ("1", "true", "yes")
    try:
        return c is not None and int(c) == 1
    except (TypeError, ValueError):
        return False


def _check(path: Path, allow_incomplete: bool, kind: str | None = None) -> dict[str, Any]:
    attrs = root_attributes(path)
    got_kind = attrs.get("dcsim_file_kind")
    if kind is not None and got_kind is not None and got_kind != kind:
        hint = " (open it with load_sweep)" if got_kind == "sweep_index" else (
            " (open it with load_run)" if got_kind == "run" else "")
        raise SchemaError(f"{path}: is a dcsim '{got_kind}' file, expected '{kind}'{hint}")
    if not allow_incomplete and not _complete_flag(attrs):
        got = attrs.get("complete", "missing")
        raise IncompleteResultError(
            f"{path}: not a complete dcsim result (attribute complete = {got}, expected 1); "
            "the run was killed, failed or is still writing. "
            "Pass allow_incomplete=True to read what is there."
        )
    version = attrs.get("schema_version")
    if version is not None:
        try:
            major = int(str(version).split(".")[0])
        except ValueError:
            major = None
        if major is not None and major > SUPPORTED_SCHEMA_MAJOR:
            raise SchemaError(
                f"{path}: schema_version {version} is newer than this package understands "
                f"(major {SUPPORTED_SCHEMA_MAJOR}); update analysis/"
            )
    return attrs


@contextlib.contextmanager
def _quiet_nat() -> Iterator[None]:
    """NaN times (jobs that never started) decode to NaT as the schema says; numpy warns about
    the NaN → int cast inside xarray's decoder. Silence just that warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "invalid value encountered in cast", RuntimeWarning)
        yield


def _open_xr(path: Path, engine: str | None, **kw: Any) -> xr.Dataset:
    with _quiet_nat():
        return xr.open_dataset(path, engine=engine or "h5netcdf", **kw)


def _vars_on(ds: xr.Dataset, dims: tuple[str, ...]) -> list[str]:
    return [str(v) for v in ds.data_vars if tuple(ds[v].dims) == dims]


# ---------------------------------------------------------------------------------------------
# one run


def load_run(
    path: "str | os.PathLike[str]",
    *,
    allow_incomplete: bool = False,
    engine: str | None = None,
) -> xr.Dataset:
    """The site series of one run as an ``xarray.Dataset`` on the ``time`` dimension.

    ``time`` is decoded to ``datetime64`` (start of each averaging interval); every variable
    keeps its ``units`` and ``long_name``; the root attributes (seed, schema_version, summary_*,
    scenario_yaml, …) are in ``ds.attrs``. Series a run did not model (e.g. no battery) are
    simply absent. The data are loaded into memory and the file is closed.

    Raises ``FileNotFoundError`` for a missing file and ``IncompleteResultError`` for a file
    that is not marked complete (unless ``allow_incomplete=True``).
    """
    path = Path(path)
    _check(path, allow_incomplete, "run")
    with _open_xr(path, engine) as ds:
        names = _vars_on(ds, (SITE_DIM,))
        if SITE_DIM not in ds.dims:
            raise SchemaError(f"{path}: no '{SITE_DIM}' dimension: not a dcsim result file")
        out = ds[names].load()
    out.attrs = dict(out.attrs)
    out.attrs.setdefault("source_file", str(path))
    return out


def load_entities(
    path: "str | os.PathLike[str]",
    dim: str = "rack",
    *,
    allow_incomplete: bool = False,
    engine: str | None = None,
) -> xr.Dataset:
    """The optional per-rack (``dim="rack"``) or per-node (``dim="node"``) series.

    They are opt-in in the scenario (``output.per_rack`` / ``output.per_node``) because a
    10,000-GPU year of them is large; this returns them lazily (the file stays open until the
    Dataset is closed). Raises ``KeyError`` when the run did not record them.
    """
    if dim not in ENTITY_DIMS:
        raise ValueError(f"dim: expected one of {ENTITY_DIMS}, got {dim!r}")
    path = Path(path)
    _check(path, allow_incomplete, "run")
    ds = _open_xr(path, engine)
    names = [str(v) for v in ds.data_vars if dim in ds[v].dims]
    if not names:
        ds.close()
        raise KeyError(f"{path}: no per-{dim} series in this run (enable output.per_{dim})")
    sub = ds[names]
    sub.set_close(ds.close)  # closing the result closes the file
    return sub


def serving(
    path: "str | os.PathLike[str]",
    *,
    allow_incomplete: bool = False,
    engine: str | None = None,
) -> tuple[xr.Dataset, pd.DataFrame]:
    """A serving run's per-deployment series and totals (analysis/SCHEMA.md § Serving).

    Returns ``(series, totals)``: ``series`` is an ``xarray.Dataset`` of the ``serving_*``
    variables on ``(time, deployment)``, loaded into memory, with the ``deployment`` coordinate
    replaced by the deployments' names and ``time`` decoded; ``totals`` is a ``pandas.DataFrame``
    indexed by deployment name with one column per ``summary_serving_<i>_<quantity>`` attribute
    (``tokens_out``, ``energy_kwh``, ``j_per_output_token``, ``ttft_p99_s``, ...). Raises
    ``KeyError`` when the run has no serving.
    """
    path = Path(path)
    attrs = _check(path, allow_incomplete, "run")
    with _open_xr(path, engine) as ds:
        names = [str(v) for v in ds.data_vars if "deployment" in ds[v].dims]
        if not names:
            raise KeyError(f"{path}: no serving deployments in this run (the scenario has no serving section)")
        series = ds[names].load()
    count = series.sizes["deployment"]
    labels = [str(_to_python(attrs.get(f"serving_deployment_{i}", str(i)))) for i in range(count)]
    series = series.assign_coords(deployment=labels)
    rows: dict[str, dict[str, float]] = {label: {} for label in labels}
    for key, value in attrs.items():
        if not key.startswith("summary_serving_"):
            continue
        head, _, quantity = key[len("summary_serving_"):].partition("_")
        if head.isdigit() and int(head) < count and quantity:
            rows[labels[int(head)]][quantity] = float(_to_python(value))
    totals = pd.DataFrame.from_dict(rows, orient="index")
    totals.index.name = "deployment"
    return series, totals


def _decode_cf_time(values: np.ndarray, units: str) -> np.ndarray:
    """CF ``"<unit> since <epoch>"`` numbers → datetime64[ns]; NaN → NaT."""
    unit, epoch = (p.strip() for p in units.split(" since ", 1))
    scale = {"seconds": 1.0, "second": 1.0, "s": 1.0, "minutes": 60.0, "hours": 3600.0,
             "days": 86400.0}[unit.lower()]
    base = pd.Timestamp(epoch)
    if base.tzinfo is not None:
        base = base.tz_convert("UTC").tz_localize(None)
    ns = values.astype(float) * (scale * 1e9)  # as xarray does it, so both paths agree to the ns
    ok = np.isfinite(ns)
    out = np.full(values.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    out[ok] = base.to_datetime64() + ns[ok].astype(np.int64).astype("timedelta64[ns]")
    return out


def _names_in_creation_order(group: h5py.Group) -> list[str]:
    """Link names in the order they were created (the schema's column order); alphabetical if
    the file does not track creation order."""
    names: list[str] = []
    try:
        group.id.links.iterate(lambda n: names.append(n.decode("utf-8")) or None,
                               idx_type=h5py.h5.INDEX_CRT_ORDER)
    except (RuntimeError, ValueError, KeyError):
        names = sorted(group.keys())
    return names


def _table_h5py(path: Path, dim: str, prefix: str) -> pd.DataFrame | None:
    """Read a 1-D table straight with h5py: ~10× faster than through xarray for many files.
    Returns None if the layout is not the expected one (the caller then uses xarray)."""
    with _open_h5(path) as f:
        if dim not in f:
            return pd.DataFrame()
        n = f[dim].shape[0]
        data: dict[str, Any] = {}
        for name in _names_in_creation_order(f):
            obj = f[name]
            if not (name.startswith(prefix) and isinstance(obj, h5py.Dataset)):
                continue
            if obj.ndim != 1 or obj.shape[0] != n:
                return None
            units = _to_python(obj.attrs.get("units", ""))
            if h5py.check_string_dtype(obj.dtype) is not None:
                values = np.array(obj.asstr()[...], dtype=object)
            else:
                values = obj[...]
                if isinstance(units, str) and " since " in units:
                    try:
                        values = _decode_cf_time(values, units)
                    except (KeyError, ValueError):
                        return None
            data[name[len(prefix):]] = values
        return pd.DataFrame(data)


def _table(path: Path, dim: str, prefix: str, engine: str | None) -> pd.DataFrame:
    if engine is None:
        fast = _table_h5py(path, dim, prefix)
        if fast is not None:
            return fast
    with _quiet_nat(), _open_xr(path, engine) as ds:
        if dim not in ds.dims:
            return pd.DataFrame()
        names = _vars_on(ds, (dim,))
        coords = [str(c) for c in ds.coords if tuple(ds[c].dims) == (dim,) and c != dim]
        sub = ds[names + coords].load()
    data = {}
    for name in names + coords:
        col = name[len(prefix):] if name.startswith(prefix) else name
        values = sub[name].values
        if values.dtype.kind in ("S", "O"):
            values = np.array(
                [v.decode("utf-8") if isinstance(v, bytes) else v for v in values], dtype=object
            )
        data[col] = values
    return pd.DataFrame(data)


def jobs(
    path: "str | os.PathLike[str]",
    *,
    allow_incomplete: bool = False,
    engine: str | None = None,
) -> pd.DataFrame:
    """The job table of one run, one row per job, as a ``pandas.DataFrame``.

    Column names are the file's ``job_*`` names without the ``job_`` prefix (``id`` becomes
    the index ``job_id``): profile, year, submit_time, start_time, end_time (datetime64,
    NaT when the job never started / ended), gpus, energy_kwh, emissions_kg, mean_freq_mhz,
    delay_s, optimisation, quality_cost, outcome, reason, emissions_marginal_kg (NaN without
    marginal data; absent in files written before it existed). Units are those of the schema.
    """
    path = Path(path)
    _check(path, allow_incomplete, "run")
    df = _table(path, JOB_DIM, "job_", engine)
    if df.empty:
        return df
    if "id" in df.columns:
        df = df.set_index("id")
        df.index.name = "job_id"
    for col in df.columns:
        if df[col].dtype == object:
            df[col] = df[col].astype("string")
    return df


def events(
    path: "str | os.PathLike[str]",
    *,
    allow_incomplete: bool = False,
    engine: str | None = None,
) -> pd.DataFrame:
    """The event table (p-state changes, power on/off, cap changes, …), one row per event.

    Columns: time (datetime64), kind, target (node or rack id; -1 = site), value.
    Empty DataFrame when the run recorded no events.
    """
    path = Path(path)
    _check(path, allow_incomplete, "run")
    df = _table(path, EVENT_DIM, "event_", engine)
    for col in df.columns:
        if df[col].dtype == object:
            df[col] = df[col].astype("string")
    return df


def summary(
    path: "str | os.PathLike[str]", *, allow_incomplete: bool = False
) -> pd.Series:
    """The run summary (root attributes ``summary_*``) as a ``pandas.Series``.

    The index is the summary name without the prefix (e.g. ``facility_energy_kwh``);
    the series is named after the scenario.
    """
    path = Path(path)
    attrs = _check(path, allow_incomplete)
    values = {
        k[len("summary_"):]: v for k, v in attrs.items() if k.startswith("summary_")
    }
    s = pd.Series(values, dtype=object if any(isinstance(v, str) for v in values.values()) else float)
    s.name = run_label(path, attrs)
    return s


def run_label(path: Path, attrs: dict[str, Any] | None = None) -> str:
    """A short name for a run: the scenario name when recorded, else the file's stem."""
    attrs = attrs if attrs is not None else root_attributes(path)
    name = attrs.get("scenario_name") or attrs.get("name")
    return str(name) if name else Path(path).stem


def _parse_checksums(value: Any) -> dict[str, str]:
    """``input_checksums`` is a JSON object ``{"<path>": "<sha256>"}`` (SCHEMA.md)."""
    if not isinstance(value, str) or not value.strip():
        return {}
    try:
        parsed = json.loads(value)
    except ValueError as e:
        raise SchemaError(f"input_checksums is not a JSON object: {e}") from e
    if not isinstance(parsed, dict):
        raise SchemaError(f"input_checksums: expected a JSON object, got {type(parsed).__name__}")
    return {str(k): str(v) for k, v in parsed.items()}


def provenance(
    path: "str | os.PathLike[str]", *, allow_incomplete: bool = False
) -> dict[str, Any]:
    """Where a run came from: everything needed to reproduce it.

    Keys: ``scenario_yaml`` (the resolved scenario text), ``scenario`` (that text parsed as
    YAML), ``seed`` (int), ``schema_version``, ``dcsim_version``, ``git_revision``,
    ``simgrid_version``, ``hdf5_version``, ``input_checksums`` ({path: sha256}), and every
    other non-summary root attribute as is.
    """
    import yaml  # python3-yaml; only needed here

    path = Path(path)
    attrs = _check(path, allow_incomplete)
    out: dict[str, Any] = {k: v for k, v in attrs.items() if not k.startswith("summary_")}
    text = attrs.get("scenario_yaml")
    out["scenario_yaml"] = text
    out["scenario"] = yaml.safe_load(text) if isinstance(text, str) else None
    if "seed_text" in attrs:  # exact, also for seeds >= 2**63
        out["seed"] = int(attrs["seed_text"])
    elif "seed" in attrs:
        out["seed"] = int(attrs["seed"])
    checksums = _parse_checksums(attrs.get("input_checksums"))
    out["input_checksums"] = checksums
    return out


# ---------------------------------------------------------------------------------------------
# sweeps


SWEEP_RUN_COORDS = ("run_status", "run_result_path", "point", "realization")


def _declared_parameters(ds: xr.Dataset) -> list[str]:
    """Variables along ``run`` that the index marks as sweep parameters (attribute
    ``parameter`` holds the scenario key, e.g. ``site.supply.battery.capacity_mwh``)."""
    return [
        str(v)
        for v in ds.variables
        if tuple(ds[v].dims) == (RUN_DIM,) and "parameter" in ds[v].attrs
    ]


def load_sweep(
    index_path: "str | os.PathLike[str]",
    *,
    allow_incomplete: bool = False,
    engine: str | None = None,
) -> xr.Dataset:
    """Every run of a sweep at once: an ``xarray.Dataset`` with a ``run`` dimension.

    ``index_path`` is the sweep's index file (virtual datasets over the run files) or the
    sweep's output directory holding ``index.h5``. The sweep parameters (one value per run,
    e.g. ``site_supply_battery_capacity_mwh``), ``run_status`` and ``run_result_path`` are
    coordinates on ``run``, so ``runs.facility_power_w.groupby(<parameter>).mean()`` works.
    Job and event tables are not in the index: open the run files (``run_result_path``,
    relative to the index's directory) with :func:`jobs` / :func:`events`.
    """
    path = Path(index_path)
    if path.is_dir():
        path = path / "index.h5"
    _check(path, allow_incomplete, "sweep_index")
    with _open_xr(path, engine) as ds:
        if RUN_DIM not in ds.dims:
            raise SchemaError(f"{path}: no '{RUN_DIM}' dimension: not a dcsim sweep index")
        out = ds.load()
    extra = [v for v in _declared_parameters(out) + list(SWEEP_RUN_COORDS) if v in out.data_vars]
    out = out.set_coords(extra)
    out.attrs = dict(out.attrs)
    out.attrs.setdefault("source_file", str(path))
    return out


def sweep_parameters(sweep: xr.Dataset, *, varying_only: bool = True) -> list[str]:
    """Names of the sweep parameters of a :func:`load_sweep` Dataset (variables on ``run``
    with a ``parameter`` attribute); with ``varying_only`` those whose value differs between
    runs."""
    names = _declared_parameters(sweep)
    if not names:  # an index without the attribute: every other coordinate on run
        names = [
            str(c) for c in sweep.coords
            if c != RUN_DIM and tuple(sweep[c].dims) == (RUN_DIM,) and c not in SWEEP_RUN_COORDS
        ]
    if varying_only:
        names = [n for n in names if pd.Series(sweep[n].values).nunique(dropna=False) > 1]
    return names


def run_files(paths: "Iterable[str | os.PathLike[str]] | str | os.PathLike[str]") -> list[Path]:
    """Result files from a list of paths, a directory (every complete run ``*.h5`` in it; sweep
    indexes and ``*.partial-*`` leftovers of killed runs are skipped) or a single file."""
    if isinstance(paths, (str, os.PathLike)):
        p = Path(paths)
        if p.is_dir():
            return sorted(
                q for q in p.glob("*.h5")
                if is_complete(q) and root_attributes(q).get("dcsim_file_kind", "run") == "run"
            )
        return [p]
    return [Path(p) for p in paths]


def sweep_run_paths(sweep: xr.Dataset) -> list[Path | None]:
    """Absolute path of each run file of a :func:`load_sweep` Dataset (None when the index
    does not record it)."""
    base = Path(str(sweep.attrs.get("source_file", "."))).parent
    if "run_result_path" not in sweep.variables:
        return [None] * sweep.sizes[RUN_DIM]
    out: list[Path | None] = []
    for v in sweep["run_result_path"].values:
        v = v.decode("utf-8") if isinstance(v, bytes) else str(v)
        p = Path(v)
        out.append(p if p.is_absolute() else base / p)
    return out
