"""Plots for long runs and sweeps of any shape (issue 17, item 8), and the headline columns
compare() reads from the run summary. Hand-built files (synthetic.py) with values chosen so
the expected drawing can be worked out by hand."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

import dcsim_analysis as da
import synthetic as sy
from conftest import assert_png

DAYS = 366
H = np.arange(DAYS * 24)
# Facility power swings ±0.5 MW around 1 MW within every day (a sine over the day's hours):
# its daily mean is exactly 1 MW, its daily min and max 0.5 and 1.5 MW (at hours 18 and 6).
FACILITY = 1e6 + 5e5 * np.sin(2 * np.pi * (H % 24) / 24)


def year_series() -> dict[str, np.ndarray]:
    return {
        "it_power_w": FACILITY / 1.25,
        "cooling_power_w": FACILITY * 0.2,
        "losses_power_w": FACILITY * 0.0,
        "facility_power_w": FACILITY,
        "utilisation": np.full(H.size, 0.5),
        "carbon_intensity_g_per_kwh": 300 + 100 * np.cos(2 * np.pi * (H % 24) / 24),
        "emissions_rate_kg_per_h": FACILITY / 1000 * 0.3,
    }


def lines_by_label(fig: Figure) -> dict[str, np.ndarray]:
    ax = fig.axes[0]
    return {ln.get_label(): np.asarray(ln.get_ydata(), dtype=float) for ln in ax.get_lines()}


def test_a_year_of_power_is_drawn_as_daily_means_with_a_min_max_band(tmp_path: Path):
    p = sy.write_run(tmp_path / "year.h5", year_series(), sample_s=3600.0)
    fig = da.plot_power_stack(p)
    ax = fig.axes[0]
    assert "daily means" in ax.get_title()
    facility = lines_by_label(fig)["facility, daily mean"]
    assert facility.size == 2 * DAYS  # one step per day, not 8,784 hourly spikes
    np.testing.assert_allclose(facility, 1.0, rtol=1e-9)  # MW
    band = [c for c in ax.collections if c.get_label() == "facility, daily min-max"]
    assert len(band) == 1
    verts = band[0].get_paths()[0].vertices[:, 1]
    assert verts.min() == pytest.approx(0.5, rel=1e-9) and verts.max() == pytest.approx(1.5, rel=1e-9)
    assert_png(da.save_png(fig, tmp_path / "year.png"))


def test_a_short_run_keeps_its_intervals(tmp_path: Path):
    n = 7 * 24
    series = {k: v[:n] for k, v in year_series().items()}
    fig = da.plot_power_stack(sy.write_run(tmp_path / "week.h5", series, sample_s=3600.0))
    assert lines_by_label(fig)["facility"].size == 2 * n


def test_a_year_of_carbon_intensity_is_drawn_daily(tmp_path: Path):
    p = sy.write_run(tmp_path / "year.h5", year_series(), sample_s=3600.0)
    fig = da.plot_carbon_vs_load(p)
    ci = np.asarray(fig.axes[0].get_lines()[0].get_ydata(), dtype=float)
    assert ci.size == 2 * DAYS
    np.testing.assert_allclose(ci, 300.0, atol=1e-9)  # the cosine averages out over a day


def test_on_site_generation_above_the_facility_is_not_clipped(tmp_path: Path):
    n = 7 * 24
    series = {k: v[:n] for k, v in year_series().items()}
    series["pv_power_w"] = np.where(H[:n] % 24 == 12, 4e6, 0.0)  # 4 MW at noon, far above 1.5 MW
    fig = da.plot_power_stack(sy.write_run(tmp_path / "pv.h5", series, sample_s=3600.0))
    assert fig.axes[0].get_ylim()[1] >= 4.0
    assert not [t for t in fig.axes[0].texts if "beyond the axis" in t.get_text()]


def test_values_beyond_an_axis_get_a_notice():
    from dcsim_analysis.plots import _note_clipping
    fig = Figure()
    ax = fig.add_subplot()
    ax.set_ylim(0, 100)
    assert _note_clipping(ax, np.array([10.0, 50.0, 120.0, 130.0]), unit="%") == 2
    assert any("2 values beyond the axis (up to 130 %)" in t.get_text() for t in ax.texts)
    ax2 = fig.add_subplot(2, 1, 2)
    ax2.set_ylim(0, 100)
    assert _note_clipping(ax2, np.array([10.0, 50.0])) == 0
    assert not ax2.texts


def small_day(scale: float) -> dict[str, np.ndarray]:
    n = 96
    return {"it_power_w": np.full(n, 1e6 * scale), "facility_power_w": np.full(n, 1.25e6 * scale),
            "carbon_intensity_g_per_kwh": np.full(n, 400.0),
            "emissions_rate_kg_per_h": np.full(n, 1.25e3 * scale * 0.4)}


def one_parameter_sweep(tmp_path: Path) -> Path:
    scales = [1.0, 0.9, 0.8]
    runs = [sy.write_run(tmp_path / f"run-{i}.h5", small_day(s), name=f"r{i}") for i, s in enumerate(scales)]
    return sy.write_index(tmp_path / "index.h5", runs, {"site.cooling.pue": [1.1, 1.2, 1.3]})


def test_a_one_parameter_sweep_is_drawn_as_lines_not_a_one_row_heat_map(tmp_path: Path):
    index = one_parameter_sweep(tmp_path)
    fig = da.plot_sweep(index)
    assert not any(ax.images for ax in fig.axes)  # no heat map
    titles = [ax.get_title() for ax in fig.axes]
    assert "facility energy (MWh)" in titles
    assert "mean job delay (h)" not in titles  # no jobs: no empty panel
    ax = fig.axes[titles.index("facility energy (MWh)")]
    x = np.asarray(ax.get_lines()[0].get_xdata(), dtype=float)
    y = np.asarray(ax.get_lines()[0].get_ydata(), dtype=float)
    np.testing.assert_allclose(x, [1.1, 1.2, 1.3])
    np.testing.assert_allclose(y, [30.0, 27.0, 24.0])  # 1.25 MW · 24 h · scale
    written = da.plot_standard_set(index, tmp_path / "png")
    assert [w.name for w in written] == ["index_comparison.png", "index_sweep.png"]
    for w in written:
        assert_png(w)


def test_a_two_parameter_sweep_is_a_heat_map(tmp_path: Path):
    runs = [sy.write_run(tmp_path / f"run-{i}.h5", small_day(s), name=f"r{i}")
            for i, s in enumerate([1.0, 0.9, 0.8, 0.7])]
    index = sy.write_index(tmp_path / "index.h5", runs, {"a.x": [0, 1, 0, 1], "b.y": [0, 0, 1, 1]})
    fig = da.plot_sweep(index, metric="facility_energy_mwh")
    assert any(ax.images for ax in fig.axes)


def test_compare_has_the_summary_headlines_and_nan_without_them(tmp_path: Path):
    summary = {"onsite_generation_kwh": 2500.0, "grid_import_kwh": 28000.0, "grid_export_kwh": 500.0,
               "curtailed_kwh": 100.0, "battery_throughput_kwh": 4000.0, "peak_facility_power_kw": 1600.0,
               "peak_hourly_facility_power_kw": 1500.0, "embodied_tco2": 3.0, "total_emissions_tco2": 15.0,
               "cost_usd": 2400.0, "completed_work_eflop": 12.5, "mean_turnaround_h": 5.0,
               "p95_turnaround_h": 9.0, "mean_slowdown": 1.2, "p95_slowdown": 1.9}
    with_s = sy.write_run(tmp_path / "s.h5", small_day(1.0), name="with", summary=summary)
    without = sy.write_run(tmp_path / "n.h5", small_day(1.0), name="without")
    df = da.compare([with_s, without])
    row = df.loc["with"]
    assert row["onsite_generation_mwh"] == pytest.approx(2.5)
    assert row["grid_import_mwh"] == pytest.approx(28.0)
    assert row["battery_throughput_mwh"] == pytest.approx(4.0)
    assert row["peak_instantaneous_facility_power_mw"] == pytest.approx(1.6)
    assert row["peak_hourly_facility_power_mw"] == pytest.approx(1.5)
    assert row["total_emissions_t"] == pytest.approx(15.0)
    assert row["p95_slowdown"] == pytest.approx(1.9)
    assert np.isnan(df.loc["without"]["cost_usd"])
