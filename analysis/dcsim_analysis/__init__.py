"""dcsim_analysis: read and plot dcsim result files (HDF5, netCDF4-compatible).

The package depends only on the documented output schema (analysis/SCHEMA.md) and on
Debian's h5py, xarray, pandas, matplotlib (and PyYAML for the provenance).

    import dcsim_analysis as da
    ds = da.load_run("results/quickstart.h5")      # xarray.Dataset of the site series
    da.jobs("results/quickstart.h5")               # pandas.DataFrame, one row per job
    da.plot_standard_set("results/quickstart.h5", "plots/")
"""
from .io import (
    IncompleteResultError,
    SchemaError,
    events,
    is_complete,
    jobs,
    load_entities,
    load_run,
    load_sweep,
    provenance,
    serving,
    summary,
)
from .fleet import plot_growth_vs_efficiency, yearly, yearly_ensemble
from .ensemble import by_realization, ensemble_summary, mean_ci, sensitivity, series_ci
from .metrics import compare, energy_kwh
from .serving_metrics import latency_percentiles, serving_kpis, serving_requests, slo_attainment
from .plots import (
    plot_battery,
    plot_carbon_vs_load,
    plot_ensemble_metric,
    plot_ensemble_series,
    plot_power_stack,
    plot_sensitivity,
    plot_standard_set,
    plot_strategy_comparison,
    plot_sweep,
    plot_sweep_heatmap,
    plot_sweep_line,
    save_png,
)

__version__ = "0.1.0"

__all__ = [
    "IncompleteResultError",
    "SchemaError",
    "by_realization",
    "compare",
    "ensemble_summary",
    "energy_kwh",
    "events",
    "is_complete",
    "jobs",
    "load_entities",
    "load_run",
    "load_sweep",
    "mean_ci",
    "plot_battery",
    "plot_carbon_vs_load",
    "plot_ensemble_metric",
    "plot_ensemble_series",
    "plot_power_stack",
    "plot_sensitivity",
    "plot_standard_set",
    "plot_strategy_comparison",
    "plot_sweep",
    "plot_sweep_heatmap",
    "plot_sweep_line",
    "provenance",
    "save_png",
    "sensitivity",
    "series_ci",
    "serving",
    "serving_kpis",
    "serving_requests",
    "slo_attainment",
    "latency_percentiles",
    "summary",
    "yearly",
    "yearly_ensemble",
    "plot_growth_vs_efficiency",
]
