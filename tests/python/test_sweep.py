"""A real sweep (`dcsim sweep`) over the quickstart: its index opens with load_sweep, the
parameters are coordinates, every row of the index reads the same numbers as its run file, and
compare() recovers the constant PUE each run was given."""
from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import dcsim_analysis as da
from conftest import PUES, REPLICATES, SCHEDULERS, assert_png

def pue_coordinate(runs: xr.Dataset) -> str:
    names = [c for c in da.io.sweep_parameters(runs) if str(runs[c].attrs["parameter"]).endswith("pue")]
    assert len(names) == 1, f"one PUE parameter expected among {da.io.sweep_parameters(runs)}"
    return names[0]


def test_the_index_has_every_run_with_parameters_as_coordinates(small_sweep):
    runs = da.load_sweep(small_sweep)
    n = len(PUES) * len(SCHEDULERS) * REPLICATES
    assert runs.sizes["run"] == n
    assert (runs["run_status"] == "completed").all()
    pue = pue_coordinate(runs)
    assert pue in runs.coords
    assert sorted(set(runs[pue].values.tolist())) == PUES
    assert runs["facility_power_w"].dims == ("run", "time")
    assert runs["time"].dtype == np.dtype("datetime64[ns]")
    by_pue = runs.facility_power_w.mean("time").groupby(pue).mean()
    assert by_pue.sizes[pue] == len(PUES)


@pytest.mark.parametrize("engine", ["h5netcdf", "netcdf4"])
def test_the_index_opens_with_both_engines(small_sweep, engine):
    with xr.open_dataset(small_sweep / "index.h5", engine=engine) as ds:
        assert ds.attrs["dcsim_file_kind"] == "sweep_index"
        assert ds.sizes["run"] == len(PUES) * len(SCHEDULERS) * REPLICATES
        assert np.isfinite(ds["facility_power_w"].values).any()


def test_each_index_row_reads_the_same_numbers_as_its_run_file(small_sweep):
    runs = da.load_sweep(small_sweep)
    for i, path in enumerate(da.io.sweep_run_paths(runs)):
        one = da.load_run(path)
        row = runs["facility_power_w"].isel(run=i).values[: one.sizes["time"]]
        np.testing.assert_array_equal(row, one["facility_power_w"].values)


def test_compare_recovers_the_constant_pue_of_each_run(small_sweep):
    """With the constant-PUE cooling model, facility energy / IT energy is the PUE set."""
    runs = da.load_sweep(small_sweep)
    table = da.compare(runs)
    assert len(table) == runs.sizes["run"]
    pue = pue_coordinate(runs)
    np.testing.assert_allclose(table["pue"].values, table[pue].values.astype(float), rtol=1e-9)
    assert (table["jobs_completed"] > 0).all()  # job tables come from the run files


def test_plot_standard_set_of_the_index_writes_the_comparison_and_the_heat_map(small_sweep, tmp_path):
    written = da.plot_standard_set(small_sweep / "index.h5", tmp_path)
    assert [p.name for p in written] == ["index_comparison.png", "index_heatmap.png"]
    for p in written:
        assert_png(p)
