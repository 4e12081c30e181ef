"""Behaviour of dcsim_analysis on hand-built files (synthetic.py) whose expected numbers are
worked out by hand in each test. The real file format is tested in test_result_file.py."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

import dcsim_analysis as da
import synthetic as sy
from conftest import ANALYSIS_DIR, assert_png

N = 96  # one day of 15-minute samples
K = np.arange(N)


def day_series(scale: float = 1.0) -> dict[str, np.ndarray]:
    """IT power 1 MW ± 0.2 MW (one full sine period: mean exactly 1 MW), PUE 1.25 split into
    cooling 0.2 and losses 0.05 of IT, carbon intensity 300 ± 100 g/kWh (a cosine, so its
    product with the sine averages to 300 · 1 MW)."""
    it = scale * (1e6 + 2e5 * np.sin(2 * np.pi * K / N))
    ci = 300 + 100 * np.cos(2 * np.pi * K / N)
    fac = 1.25 * it
    return {
        "it_power_w": it,
        "cooling_power_w": 0.2 * it,
        "losses_power_w": 0.05 * it,
        "facility_power_w": fac,
        "pue": np.full(N, 1.25),
        "utilisation": it / 1.5e6,
        "carbon_intensity_g_per_kwh": ci,
        "emissions_rate_kg_per_h": fac / 1000 * ci / 1000,  # kW · kg/kWh = kg/h
    }


JOBS = [
    dict(id=1, profile="llm", year=2024, submit_time=0.0, start_time=900.0, end_time=7200.0,
         gpus=8, delay_s=900.0, outcome="completed", optimisation="none"),
    dict(id=2, profile="img", year=2024, submit_time=0.0, start_time=2700.0, end_time=9000.0,
         gpus=16, delay_s=2700.0, outcome="completed", optimisation="quantised"),
    dict(id=3, profile="img", year=2025, submit_time=3600.0, start_time=np.nan, end_time=np.nan,
         gpus=64, delay_s=np.nan, outcome="unfinished", optimisation="none"),
]


@pytest.fixture
def run_file(tmp_path: Path) -> Path:
    return sy.write_run(tmp_path / "day.h5", day_series(), jobs=JOBS, name="day",
                        summary={"facility_energy_kwh": 30000.0})


def test_energy_of_one_day_at_a_mean_of_1_mw_is_24_mwh_it_and_30_mwh_facility(run_file):
    row = da.compare([run_file]).iloc[0]
    assert row["it_energy_mwh"] == pytest.approx(24.0, rel=1e-12)
    assert row["facility_energy_mwh"] == pytest.approx(30.0, rel=1e-12)
    assert row["pue"] == pytest.approx(1.25, rel=1e-12)
    # max of 1.25 · (1 + 0.2 sin) MW over the grid: the sample at k = N/4 is exactly the crest
    assert row["peak_facility_power_mw"] == pytest.approx(1.5, rel=1e-12)
    # 1.25 MW · 300 g/kWh = 375 kg/h for 24 h = 9 t (the sin·cos cross term averages to 0)
    assert row["emissions_t"] == pytest.approx(9.0, rel=1e-12)


def test_marginal_emissions_are_the_integral_of_the_marginal_rate_and_nan_without_it(tmp_path, run_file):
    # Without marginal series the column is NaN, not 0.
    assert np.isnan(da.compare([run_file]).iloc[0]["emissions_marginal_t"])
    series = day_series()
    # 1.25 MW at a constant 500 g/kWh marginal intensity: 625 kg/h for 24 h = 15 t.
    series["marginal_intensity_g_per_kwh"] = np.full(N, 500.0)
    series["marginal_emissions_rate_kg_per_h"] = series["facility_power_w"] / 1000 * 500 / 1000
    p = sy.write_run(tmp_path / "marginal.h5", series, jobs=JOBS, name="marginal",
                     summary={"emissions_marginal_tco2": 15.0})
    row = da.compare([p]).iloc[0]
    assert row["emissions_marginal_t"] == pytest.approx(15.0, rel=1e-12)
    assert da.summary(p)["emissions_marginal_tco2"] == pytest.approx(15.0)


def test_mean_job_delay_counts_only_jobs_that_completed(tmp_path):
    running = dict(JOBS[0], id=4, start_time=1800.0, end_time=np.nan, delay_s=1800.0,
                   outcome="unfinished")
    p = sy.write_run(tmp_path / "d.h5", day_series(), jobs=JOBS + [running])
    row = da.compare([p]).iloc[0]
    assert row["mean_job_delay_h"] == pytest.approx((900 + 2700) / 2 / 3600)  # jobs 1 and 2
    assert row["jobs_completed"] == 2


def test_energy_kwh_uses_sample_s_for_every_interval_including_the_last(tmp_path):
    p = sy.write_run(tmp_path / "two.h5", {"facility_power_w": [100.0, 300.0]}, sample_s=10.0)
    # (100 W + 300 W) · 10 s = 4000 J
    assert da.energy_kwh(da.load_run(p)) == pytest.approx(4000 / 3.6e6, rel=1e-12)


def test_jobs_table_has_the_schema_columns_without_prefix_and_nat_for_never_started(run_file):
    df = da.jobs(run_file)
    assert list(df.index) == [1, 2, 3]
    assert df.index.name == "job_id"
    assert str(df["start_time"].dtype) == "datetime64[ns]"
    assert pd.isna(df.loc[3, "start_time"]) and pd.isna(df.loc[3, "delay_s"])
    assert df.loc[2, "start_time"] == np.datetime64("2024-01-01T00:45:00")
    assert df.loc[2, "optimisation"] == "quantised"
    assert df["gpus"].tolist() == [8, 16, 64]


def test_events_table_decodes_times_and_keeps_kinds(run_file):
    ev = da.events(run_file)
    assert ev["kind"].tolist() == ["power_on", "pstate"]
    assert ev["time"].iloc[1] == np.datetime64("2024-01-01T00:30:00")
    assert ev["value"].tolist() == [0.0, 2.0]


def test_summary_strips_the_prefix_and_is_named_after_the_scenario(run_file):
    s = da.summary(run_file)
    assert s["facility_energy_kwh"] == 30000.0
    assert s.name == "day"


def test_provenance_parses_the_scenario_and_the_input_checksums(run_file):
    prov = da.provenance(run_file)
    assert prov["scenario"] == {"name": "day", "seed": 7}
    assert prov["seed"] == 7
    assert prov["input_checksums"] == {"platforms/a.yaml": "ab12"}


def test_a_file_not_marked_complete_is_refused_with_the_reason_and_the_way_out(tmp_path):
    p = sy.write_run(tmp_path / "killed.h5", day_series(), complete=0)
    for reader in (da.load_run, da.jobs, da.events, da.summary, da.provenance):
        with pytest.raises(da.IncompleteResultError, match=r"killed\.h5.*complete = 0.*allow_incomplete"):
            reader(p)
    assert da.load_run(p, allow_incomplete=True).sizes["time"] == N


def test_a_file_without_the_complete_attribute_is_refused(tmp_path):
    p = sy.write_run(tmp_path / "old.h5", day_series())
    with h5py.File(p, "a") as f:
        del f.attrs["complete"]
    with pytest.raises(da.IncompleteResultError, match="complete = missing"):
        da.load_run(p)
    assert not da.is_complete(p)


def test_a_truncated_file_is_reported_as_incomplete_not_as_a_crash(tmp_path, run_file):
    p = tmp_path / "truncated.h5"
    p.write_bytes(run_file.read_bytes()[:2000])
    with pytest.raises(da.IncompleteResultError, match="cannot be opened as HDF5"):
        da.load_run(p)


def test_a_missing_file_raises_file_not_found_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.h5"):
        da.load_run(tmp_path / "nope.h5")


def test_a_newer_major_schema_version_is_refused(tmp_path, run_file):
    with h5py.File(run_file, "a") as f:
        f.attrs["schema_version"] = "2.0"
    with pytest.raises(da.SchemaError, match="schema_version 2.0"):
        da.load_run(run_file)


def test_a_run_without_battery_or_carbon_series_gets_only_the_power_stack(tmp_path):
    series = {k: v for k, v in day_series().items()
              if k not in ("carbon_intensity_g_per_kwh", "emissions_rate_kg_per_h")}
    p = sy.write_run(tmp_path / "plain.h5", series)
    written = da.plot_standard_set(p, tmp_path / "png")
    assert [w.name for w in written] == ["plain_power_stack.png"]
    assert_png(written[0])
    with pytest.raises(ValueError, match="battery_soc"):
        da.plot_battery(p)
    assert np.isnan(da.compare([p]).iloc[0]["emissions_t"])


def test_a_run_with_battery_and_carbon_gets_all_three_plots(tmp_path):
    series = day_series()
    series["battery_power_w"] = np.where(K < N // 2, -2e5, 2e5)
    series["battery_soc"] = np.concatenate([np.linspace(0.2, 0.9, N // 2), np.linspace(0.9, 0.2, N // 2)])
    p = sy.write_run(tmp_path / "full.h5", series)
    written = da.plot_standard_set(p, tmp_path / "png")
    assert sorted(w.name for w in written) == [
        "full_battery.png", "full_carbon_vs_load.png", "full_power_stack.png"]
    for w in written:
        assert_png(w)


@pytest.fixture
def sweep_index(tmp_path: Path) -> Path:
    """A 2 × 2 sweep: battery {0, 10} MWh × solar {0, 5} MW, run r scaled by 1, 1.1, 0.9, 0.8."""
    scales = [1.0, 1.1, 0.9, 0.8]
    runs = [sy.write_run(tmp_path / f"run-{i}.h5", day_series(s), jobs=JOBS, name=f"r{i}")
            for i, s in enumerate(scales)]
    return sy.write_index(tmp_path / "index.h5", runs, {
        "site.supply.battery.capacity_mwh": [0, 10, 0, 10],
        "site.supply.solar.peak_mw": [0, 0, 5, 5],
    })


def test_load_sweep_makes_parameters_coordinates_on_run(sweep_index):
    runs = da.load_sweep(sweep_index)
    assert runs.sizes["run"] == 4
    assert "site_supply_battery_capacity_mwh" in runs.coords
    means = runs.facility_power_w.mean("time").groupby("site_supply_battery_capacity_mwh").mean()
    # battery 0: runs scaled 1.0 and 0.9 → 1.25 MW · 0.95; battery 10: 1.1 and 0.8 → · 0.95
    assert means.sel(site_supply_battery_capacity_mwh=0.0) == pytest.approx(1.25e6 * 0.95)
    assert means.sel(site_supply_battery_capacity_mwh=10.0) == pytest.approx(1.25e6 * 0.95)
    assert da.io.sweep_parameters(runs) == [
        "site_supply_battery_capacity_mwh", "site_supply_solar_peak_mw"]


def test_load_sweep_accepts_the_sweep_directory(sweep_index):
    assert da.load_sweep(sweep_index.parent).sizes["run"] == 4


def test_compare_on_a_sweep_has_one_row_per_run_with_parameters_and_job_metrics(sweep_index):
    df = da.compare(sweep_index)
    assert list(df.index) == ["capacity_mwh=0, peak_mw=0", "capacity_mwh=10, peak_mw=0",
                              "capacity_mwh=0, peak_mw=5", "capacity_mwh=10, peak_mw=5"]
    assert df["run_id"].tolist() == ["run-000", "run-001", "run-002", "run-003"]
    assert df["facility_energy_mwh"].tolist() == pytest.approx([30.0, 33.0, 27.0, 24.0])
    assert df["site_supply_solar_peak_mw"].tolist() == [0, 0, 5, 5]
    assert df["jobs_completed"].tolist() == [2, 2, 2, 2]


def test_sweep_plots_are_the_comparison_and_a_heat_map(sweep_index, tmp_path):
    written = da.plot_standard_set(sweep_index, tmp_path / "png")
    assert [w.name for w in written] == ["index_comparison.png", "index_heatmap.png"]
    for w in written:
        assert_png(w)


def test_load_run_on_a_sweep_index_points_to_load_sweep(sweep_index):
    with pytest.raises(da.SchemaError, match="load_sweep"):
        da.load_run(sweep_index)


def test_run_files_of_a_directory_skip_partial_leftovers_and_the_index(sweep_index):
    (sweep_index.parent / "run-9.h5.partial-1234").write_bytes(b"\x89HDF\r\n\x1a\n")
    names = [p.name for p in da.io.run_files(sweep_index.parent)]
    assert names == ["run-0.h5", "run-1.h5", "run-2.h5", "run-3.h5"]


def test_cli_fails_with_exit_1_and_names_the_file_when_it_is_incomplete(tmp_path):
    p = sy.write_run(tmp_path / "half.h5", day_series(), complete=0)
    proc = subprocess.run([sys.executable, "-m", "dcsim_analysis", "plot", str(p)],
                          cwd=ANALYSIS_DIR, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "half.h5" in proc.stderr and "not a complete dcsim result" in proc.stderr
    assert not list(tmp_path.glob("*.png"))


def test_runs_sharing_a_scenario_name_are_labelled_by_file_name(tmp_path):
    a = sy.write_run(tmp_path / "fcfs.h5", day_series(), name="same")
    b = sy.write_run(tmp_path / "backfill.h5", day_series(0.5), name="same")
    df = da.compare([a, b])
    assert list(df.index) == ["fcfs", "backfill"]
    assert df.loc["backfill", "it_energy_mwh"] == pytest.approx(12.0)


def test_cli_png_option_writes_just_the_facility_power_plot(run_file, tmp_path):
    target = tmp_path / "out" / "facility.png"
    proc = subprocess.run([sys.executable, "-m", "dcsim_analysis", "plot", str(run_file),
                           "--png", str(target)], cwd=ANALYSIS_DIR, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(target)
    assert_png(target)
    assert [p.name for p in target.parent.iterdir()] == ["facility.png"]
