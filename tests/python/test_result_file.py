"""The result file of the real quickstart run (`dcsim run scenarios/examples/quickstart.yaml`)
opens as analysis/SCHEMA.md promises: with xarray (h5netcdf and netcdf4 engines) and h5py, times
decode, every variable has units, the job table is typed, the provenance round-trips, and the
plot command writes real PNGs. Issues 2 and 6."""
from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

import dcsim_analysis as da
from conftest import ANALYSIS_DIR, QUICKSTART, SOURCE_DIR, assert_png, run_dcsim

ENGINES = ["h5netcdf", "netcdf4"]
NETCDF_DIM_ONLY = "This is a netCDF dimension but not a netCDF variable."

def is_scale(dset: h5py.Dataset) -> bool:
    return bool(h5py.h5ds.is_scale(dset.id))


JOB_COLUMNS = {
    # column (file name without "job_") → numpy kind: i integer, f float, M datetime, O string
    "profile": "O", "year": "i", "submit_time": "M", "start_time": "M", "end_time": "M",
    "gpus": "i", "energy_kwh": "f", "emissions_kg": "f", "mean_freq_mhz": "f", "delay_s": "f",
    "optimisation": "O", "quality_cost": "f", "outcome": "O", "reason": "O",
    "deferrable": "i", "deadline_time": "M", "full_speed_s": "f",
}
OUTCOMES = {"completed", "killed", "rejected", "unfinished"}


@pytest.mark.parametrize("engine", ENGINES)
def test_the_quickstart_result_opens_with_xarray_and_time_decodes_to_datetime64(quickstart_result, engine):
    with xr.open_dataset(quickstart_result, engine=engine) as ds:
        assert ds.attrs["complete"] == 1
        assert ds.attrs["dcsim_file_kind"] == "run"
        assert ds["time"].dtype == np.dtype("datetime64[ns]")
        assert ds.sizes["time"] > 1
        assert "facility_power_w" in ds and ds["facility_power_w"].dims == ("time",)
        # A fixed grid: consecutive samples are sample_s apart, starting at the CF epoch.
        step = np.diff(ds["time"].values) / np.timedelta64(1, "s")
        assert np.all(step == ds.attrs["sample_s"])
        epoch = ds.attrs["time_units"].split("since", 1)[1].strip().rstrip("Z")
        with xr.open_dataset(quickstart_result, engine=engine, decode_times=False) as raw:
            first_s = float(raw["time"].values[0])
        assert ds["time"].values[0] == np.datetime64(epoch) + np.timedelta64(int(first_s), "s")


@pytest.mark.parametrize("engine", ENGINES)
def test_both_engines_read_the_same_numbers(quickstart_result, engine):
    with xr.open_dataset(quickstart_result, engine=engine) as ds, \
            h5py.File(quickstart_result, "r") as f:
        for name in ("facility_power_w", "it_power_w"):
            np.testing.assert_array_equal(ds[name].values, f[name][...])


def test_the_quickstart_result_opens_with_h5py_with_dimension_scales_on_every_axis(quickstart_result):
    with h5py.File(quickstart_result, "r") as f:
        assert f.attrs["complete"] == 1
        assert isinstance(f.attrs["scenario_yaml"], str)  # variable-length UTF-8, not bytes
        checked = 0
        for name, obj in f.items():
            if not isinstance(obj, h5py.Dataset) or is_scale(obj):
                continue
            for axis, dim in enumerate(obj.dims):
                assert len(dim) == 1, f"{name}: axis {axis} has {len(dim)} dimension scales"
            checked += 1
        assert checked > 0


def test_every_variable_has_units_and_a_long_name(quickstart_result):
    with h5py.File(quickstart_result, "r") as f:
        missing = []
        for name, obj in f.items():
            if not isinstance(obj, h5py.Dataset):
                continue
            scale_name = obj.attrs.get("NAME", b"")
            scale_name = scale_name.decode() if isinstance(scale_name, bytes) else scale_name
            if is_scale(obj) and scale_name.startswith(NETCDF_DIM_ONLY):
                continue  # `job` and `event`: dimensions without values, not variables
            for attr in ("units", "long_name"):
                if attr not in obj.attrs:
                    missing.append(f"{name}.{attr}")
        assert not missing, f"variables without units/long_name: {missing}"


def test_site_series_names_end_with_their_unit(quickstart_result):
    ds = da.load_run(quickstart_result)
    for name, var in ds.data_vars.items():
        units = var.attrs["units"]
        if units == "W":
            assert name.endswith("_w"), name
        if name.endswith("_w"):
            assert units == "W", f"{name}: units {units!r}"


def test_facility_power_is_it_plus_cooling_plus_losses_in_every_interval(quickstart_result):
    ds = da.load_run(quickstart_result)
    parts = [n for n in ("it_power_w", "cooling_power_w", "losses_power_w") if n in ds]
    assert "it_power_w" in parts
    total = sum(ds[n] for n in parts)
    np.testing.assert_allclose(ds["facility_power_w"], total, rtol=1e-9, atol=1e-6)


def test_series_energy_equals_the_summary_energy(quickstart_result):
    """Σ P·Δt of the interval averages equals the exact energy the run reports."""
    s = da.summary(quickstart_result)
    key = next((k for k in ("facility_energy_kwh", "facility_energy_mwh") if k in s.index), None)
    if key is None:
        pytest.fail(f"the summary has no facility energy: {list(s.index)}")
    expected_kwh = float(s[key]) * (1000.0 if key.endswith("_mwh") else 1.0)
    got_kwh = da.energy_kwh(da.load_run(quickstart_result), "facility_power_w")
    assert got_kwh == pytest.approx(expected_kwh, rel=1e-9)


def test_jobs_dataframe_has_every_schema_column_with_its_type(quickstart_result):
    df = da.jobs(quickstart_result)
    with xr.open_dataset(quickstart_result, engine="h5netcdf") as ds:
        n_jobs = ds.sizes["job"]
        ids = ds["job_id"].values
    assert n_jobs > 0, "the quickstart runs jobs"
    assert len(df) == n_jobs
    assert df.index.name == "job_id" and list(df.index) == list(ids)
    assert df.index.is_unique
    assert set(JOB_COLUMNS) <= set(df.columns), f"missing: {set(JOB_COLUMNS) - set(df.columns)}"
    for col, kind in JOB_COLUMNS.items():
        dtype = df[col].dtype
        if kind == "O":
            assert pd.api.types.is_string_dtype(dtype), f"{col}: {dtype}"
        else:
            assert dtype.kind == kind, f"{col}: {dtype}, expected kind {kind}"
    assert set(df["outcome"]) <= OUTCOMES
    started = df[df["start_time"].notna()]
    assert len(started) > 0
    # delay_s is start − submit, to the float precision of the stored times
    delay = (started["start_time"] - started["submit_time"]).dt.total_seconds()
    np.testing.assert_allclose(started["delay_s"], delay, atol=1e-3)
    done = df[df["outcome"] == "completed"]
    assert (done["end_time"] >= done["start_time"]).all()
    assert (done["energy_kwh"] > 0).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_jobs_read_with_h5py_equal_jobs_read_through_xarray(quickstart_result, engine):
    """jobs() and events() read the tables with h5py (fast); the xarray engines must agree,
    times decoded to the same nanosecond."""
    pd.testing.assert_frame_equal(da.jobs(quickstart_result), da.jobs(quickstart_result, engine=engine))
    pd.testing.assert_frame_equal(da.events(quickstart_result),
                                  da.events(quickstart_result, engine=engine))


def test_completed_jobs_count_matches_the_summary(quickstart_result):
    s = da.summary(quickstart_result)
    if "jobs_completed" not in s.index:
        pytest.fail(f"the summary has no jobs_completed: {list(s.index)}")
    df = da.jobs(quickstart_result)
    assert int((df["outcome"] == "completed").sum()) == int(s["jobs_completed"])


def test_provenance_round_trips_the_scenario_and_seed(quickstart_result):
    prov = da.provenance(quickstart_result)
    scenario = yaml.safe_load(prov["scenario_yaml"])
    assert isinstance(scenario, dict)
    with h5py.File(quickstart_result, "r") as f:
        seed_attr = int(f.attrs["seed"])
    assert int(scenario["seed"]) == seed_attr == prov["seed"]
    original = yaml.safe_load(QUICKSTART.read_text())
    if "seed" in original:  # the resolved scenario keeps what the user wrote
        assert int(original["seed"]) == seed_attr
    if "name" in original:
        assert prov["scenario_name"] == original["name"]
    for key in ("dcsim_version", "git_revision", "simgrid_version", "hdf5_version"):
        assert prov.get(key), f"provenance lacks {key}"


def test_input_checksums_are_the_sha256_of_the_input_files(quickstart_result):
    prov = da.provenance(quickstart_result)
    with h5py.File(quickstart_result, "r") as f:
        json.loads(f.attrs["input_checksums"])  # a JSON object, as the schema says
    sums = prov["input_checksums"]
    assert sums, "the quickstart reads at least its scenario file"
    for path, digest in sums.items():
        p = Path(path) if Path(path).is_absolute() else SOURCE_DIR / path
        assert p.exists(), f"checksummed input {path} not found"
        assert hashlib.sha256(p.read_bytes()).hexdigest() == digest, path


def test_a_copy_marked_incomplete_is_refused_and_readable_on_request(quickstart_copy):
    with h5py.File(quickstart_copy, "a") as f:
        f.attrs["complete"] = np.int32(0)
    with pytest.raises(da.IncompleteResultError, match="allow_incomplete"):
        da.load_run(quickstart_copy)
    assert "facility_power_w" in da.load_run(quickstart_copy, allow_incomplete=True)


def test_ncdump_reads_the_header(quickstart_result):
    ncdump = shutil.which("ncdump")
    if ncdump is None:
        pytest.skip("ncdump (netcdf-bin) not installed")
    proc = subprocess.run([ncdump, "-h", str(quickstart_result)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "facility_power_w(time)" in proc.stdout
    assert "phony_dim" not in proc.stdout


def test_plot_command_writes_non_empty_pngs(quickstart_result, tmp_path):
    out = tmp_path / "plots"
    proc = subprocess.run(
        [sys.executable, "-m", "dcsim_analysis", "plot", str(quickstart_result), "-o", str(out)],
        cwd=ANALYSIS_DIR, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    written = [Path(line) for line in proc.stdout.split()]
    assert out / "quickstart_power_stack.png" in written
    assert sorted(written) == sorted(out.glob("*.png"))
    for png in written:
        assert_png(png)


def test_compare_agrees_with_the_run_summary(quickstart_result):
    """compare() works from the series; the summary comes from the engine's exact accounting."""
    row = da.compare([quickstart_result]).iloc[0]
    s = da.summary(quickstart_result)
    assert "pue" in s.index, f"the summary has no pue: {list(s.index)}"
    assert row["pue"] == pytest.approx(float(s["pue"]), rel=1e-9)
    assert row["pue"] >= 1.0
    checked = ["pue"]
    # location-based emissions: the integral of emissions_rate_kg_per_h
    for key, factor in (("emissions_tco2", 1.0), ("emissions_kg", 1e-3)):
        if key in s.index:
            assert row["emissions_t"] == pytest.approx(float(s[key]) * factor, rel=1e-9), key
            checked.append(key)
    if "mean_job_delay_h" in s.index:
        assert row["mean_job_delay_h"] == pytest.approx(float(s["mean_job_delay_h"]), rel=1e-9)
        checked.append("mean_job_delay_h")
    for key, factor in (("peak_facility_power_kw", 1e3), ("peak_facility_power_w", 1.0)):
        if key in s.index:  # the summary may count instantaneous peaks: never below the average
            assert row["peak_facility_power_mw"] * 1e6 <= float(s[key]) * factor * (1 + 1e-9), key
            checked.append(key)
    assert len(checked) >= 3, f"the summary has too little to compare with: {list(s.index)}"


def test_dcsim_plot_makes_the_standard_set_through_the_package(quickstart_result, tmp_path):
    out = tmp_path / "plots"
    proc = run_dcsim(["plot", quickstart_result, "-o", out])
    written = sorted(Path(line) for line in proc.stdout.split() if line.endswith(".png"))
    assert written == sorted(out.glob("*.png")) and written
    for png in written:
        assert_png(png)


def test_per_rack_and_per_node_series_are_opt_in_and_found_by_their_dimension(quickstart_result, tmp_path):
    with pytest.raises(KeyError, match="per_rack"):
        da.load_entities(quickstart_result, "rack")
    out = tmp_path / "entities.h5"
    run_dcsim(["run", QUICKSTART, "-q", "-o", out,
               "--set", "output.per_rack=true", "--set", "output.per_node=true"])
    site = da.load_run(out)
    for dim in ("rack", "node"):
        ents = da.load_entities(out, dim)
        try:
            assert ents.sizes["time"] == site.sizes["time"]
            assert ents.sizes[dim] > 0 and ents[dim].dtype.kind == "i"
            for name, var in ents.data_vars.items():
                assert var.dims == ("time", dim), name
                assert var.dtype == np.float32, name
                assert var.attrs.get("units"), f"{name} has no units"
        finally:
            ents.close()
    assert set(site.data_vars) == set(da.load_run(quickstart_result).data_vars)


def test_a_run_killed_midway_leaves_only_a_partial_file_that_readers_refuse(require_binary, tmp_path):
    """SIGKILL gives the writer no chance to clean up: what is left must never pass for a
    result, and a re-run to the same path must succeed."""
    out = tmp_path / "killed.h5"
    # ~10 s on 1,000 GPUs (dcsim got fast: a small site would finish before the kill).
    long_run = ["--set", "time.duration=7300d", "--set", "workload.jobs=400000",
                "--set", "workload.interarrival=10min", "--set", "time.sample=1h",
                "--set", f"site.platform={SOURCE_DIR}/platforms/sites/phoenix-1k-h200.yaml",
                "--set", "output.per_node=true"]
    proc = subprocess.Popen([str(require_binary), "run", str(QUICKSTART), "-q", "-o", str(out),
                             *long_run], cwd=SOURCE_DIR,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        partial = None
        deadline = time.monotonic() + 120
        while partial is None and proc.poll() is None and time.monotonic() < deadline:
            partial = next(iter(tmp_path.glob("killed.h5.partial-*")), None)
            time.sleep(0.005)
        time.sleep(0.2)  # let it write some rows
        assert proc.poll() is None, "the run ended before it could be killed: make it longer"
        assert partial is not None, "no <file>.partial-<pid> appeared while the run was going"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not out.exists(), "a killed run left a file under the final name"
    assert partial.exists()
    assert not da.is_complete(partial)
    with pytest.raises(da.IncompleteResultError, match="killed.h5.partial"):
        da.load_run(partial)
    assert da.io.run_files(tmp_path) == []  # the directory holds no result
    run_dcsim(["run", QUICKSTART, "-q", "-o", out])
    assert da.is_complete(out) and da.load_run(out).sizes["time"] > 0


def test_the_summary_headlines_agree_with_each_other_and_with_the_job_table(quickstart_result):
    """The what-if headlines of the summary (issue 17): each one obtained again from the run's
    series or job table, so none of them can be a constant."""
    s = da.summary(quickstart_result)
    df = da.jobs(quickstart_result)
    done = df[df["outcome"] == "completed"]
    assert len(done) > 0
    kwh = lambda k: float(s[k])  # noqa: E731
    assert kwh("onsite_generation_kwh") == pytest.approx(kwh("pv_energy_kwh") + kwh("wind_energy_kwh"))
    assert kwh("battery_throughput_kwh") == pytest.approx(
        kwh("battery_charge_kwh") + kwh("battery_discharge_kwh"), abs=1e-9)
    assert kwh("total_emissions_tco2") == pytest.approx(kwh("emissions_tco2") + kwh("embodied_tco2"))
    assert kwh("embodied_tco2") > 0
    ds = da.load_run(quickstart_result)
    cost = float((ds["cost_rate_usd_per_h"].values * float(ds.attrs["sample_s"])).sum()) / 3600.0
    assert kwh("cost_usd") == pytest.approx(cost, rel=1e-6)
    # The hourly peak is at most the instantaneous one, and at least the largest interval mean
    # of a series sampled every 15 min only when the hour is flat: bound it both ways.
    hourly = ds["facility_power_w"].coarsen(time=4, boundary="trim").mean().max().item() / 1000
    assert hourly <= kwh("peak_hourly_facility_power_kw") * (1 + 1e-9)
    assert kwh("peak_hourly_facility_power_kw") <= kwh("peak_facility_power_kw") * (1 + 1e-9)
    # Turnaround and slowdown from the job table (full-speed run time: job_full_speed_s).
    turnaround_h = (done["end_time"] - done["submit_time"]).dt.total_seconds() / 3600
    assert kwh("mean_turnaround_h") == pytest.approx(turnaround_h.mean(), rel=1e-6)
    assert kwh("p95_turnaround_h") == pytest.approx(np.percentile(turnaround_h, 95), rel=0.02)
    slowdown = turnaround_h * 3600 / done["full_speed_s"]
    assert (done["full_speed_s"] > 0).all()
    assert kwh("mean_slowdown") == pytest.approx(slowdown.mean(), rel=1e-6)
    assert kwh("mean_slowdown") >= 1.0
    # Completed work: the quickstart's jobs are 2e20 FLOP each (scenarios/examples/quickstart.yaml).
    assert kwh("completed_work_eflop") == pytest.approx(len(done) * 2e20 / 1e18)
    # The quickstart has no deadlines and no deferrable jobs.
    assert df["deadline_time"].isna().all()
    assert set(df["deferrable"]) <= {0, 1}


def test_serving_series_and_totals_are_read_by_deployment_name(require_binary, tmp_path):
    """A serving run (issue 15, analysis/SCHEMA.md § Serving): da.serving gives the deployment
    series under the deployments' names and the totals; the power series integrates to the
    energy total and the output-token series to the token total."""
    out = tmp_path / "serving.h5"
    run_dcsim(["run", SOURCE_DIR / "tests/integration/scenarios/serving.yaml", "-q", "-o", out,
               "--set", "time.duration=2h"])
    series, totals = da.serving(out)
    assert list(series["deployment"].values) == ["chat"]
    assert list(totals.index) == ["chat"]
    for name, var in series.data_vars.items():
        assert name.startswith("serving_") and var.dims == ("time", "deployment"), name
        assert var.attrs.get("units"), f"{name} has no units"
    site = da.load_run(out)
    assert series.sizes["time"] == site.sizes["time"] == 8
    dt = 900.0
    energy_kwh = float(series["serving_power_w"].sum()) * dt / 3.6e6
    assert energy_kwh == pytest.approx(totals.loc["chat", "energy_kwh"], rel=1e-5)
    tokens = float(series["serving_tokens_out_per_s"].sum()) * dt
    assert tokens == pytest.approx(totals.loc["chat", "tokens_out"], rel=1e-5)
    assert totals.loc["chat", "tokens_out"] > 0
    assert (site["accelerator_power_w"].values >= series["serving_power_w"].values[:, 0]).all()
    with pytest.raises(KeyError, match="no serving"):
        da.serving(run_dcsim_quick(tmp_path))


def run_dcsim_quick(tmp_path):
    """A run without serving (the serving scenario with its section removed)."""
    src = (SOURCE_DIR / "tests/integration/scenarios/serving.yaml").read_text()
    plain = tmp_path / "plain.yaml"
    plain.write_text(src.split("\nserving:")[0].replace("../../fixtures/", str(SOURCE_DIR / "tests/fixtures") + "/") + "\n")
    out = tmp_path / "plain.h5"
    run_dcsim(["run", plain, "-q", "-o", out, "--set", "time.duration=1h"])
    return out
