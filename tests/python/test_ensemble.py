"""Ensembles (issue 19.3): confidence intervals that cover at their stated rate, a sensitivity
ranking that finds the input that drives the output, and a real `dcsim sweep` with Latin
hypercube inputs whose index carries the CF `realization` coordinate."""
from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import dcsim_analysis as da
from dcsim_analysis import ensemble
from conftest import QUICKSTART, assert_png, run_dcsim

LEVEL = 0.9


def coverage(n_ensembles: int, size: int, method: str, rng: np.random.Generator, **kw) -> float:
    """Fraction of ``n_ensembles`` synthetic ensembles (``size`` draws of N(5, 2²)) whose
    interval contains the true mean 5."""
    hits = 0
    for _ in range(n_ensembles):
        ci = da.mean_ci(rng.normal(5.0, 2.0, size), LEVEL, method, **kw)
        hits += ci.lo <= 5.0 <= ci.hi
    return hits / n_ensembles


def test_t_intervals_cover_the_true_mean_at_the_stated_rate():
    """2000 ensembles of 8 draws with known variance: the 90 % Student-t interval covers the
    mean in 90 % of them, within 3 binomial standard deviations (√(0.9·0.1/2000) ≈ 0.0067)."""
    n = 2000
    cov = coverage(n, 8, "t", np.random.default_rng(20260))
    assert abs(cov - LEVEL) <= 3 * np.sqrt(LEVEL * (1 - LEVEL) / n), cov


def test_bootstrap_intervals_cover_the_true_mean_near_the_stated_rate():
    """The percentile bootstrap (ensembles of 30, 1000 resamples) over 2000 ensembles covers
    within 3 binomial sd of 90 %, allowing its known small-sample under-coverage (it uses the
    plug-in variance and normal-like quantiles: about 1.5 points at n = 30) of at most 2 points
    below."""
    n = 2000
    cov = coverage(n, 30, "bootstrap", np.random.default_rng(1), n_boot=1000)
    sd = np.sqrt(LEVEL * (1 - LEVEL) / n)
    assert LEVEL - 0.02 - 3 * sd <= cov <= LEVEL + 3 * sd, cov


def test_a_t_interval_is_the_textbook_one_and_the_bootstrap_is_deterministic():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    ci = da.mean_ci(x, 0.95, "t")
    # mean 2.5, s = 1.29099, t(0.975, 3) = 3.18245: half-width 2.05426
    assert ci.mean == pytest.approx(2.5)
    assert ci.hi - ci.mean == pytest.approx(3.182446 * 1.290994 / 2, rel=1e-5)
    assert (ci.n, ci.method, ci.level) == (4, "t", 0.95)
    b1, b2 = da.mean_ci(x, 0.9, "bootstrap", seed=3), da.mean_ci(x, 0.9, "bootstrap", seed=3)
    assert b1 == b2 and b1.lo < 2.5 < b1.hi
    with pytest.raises(ValueError, match="at least 2"):
        da.mean_ci([1.0], 0.9)
    with pytest.raises(ValueError, match="method"):
        da.mean_ci(x, 0.9, "jackknife")
    with pytest.raises(ValueError, match="level"):
        da.mean_ci(x, 90)


def test_the_sensitivity_ranking_puts_the_driving_input_first():
    rng = np.random.default_rng(1)
    n = 60
    import pandas as pd

    table = pd.DataFrame({"a": rng.uniform(0, 1, n), "b": rng.uniform(0, 1, n), "c": rng.uniform(0, 1, n)})
    table["y"] = 10 * table["b"] + 2 * table["a"] + rng.normal(0, 0.5, n)
    ranking = da.sensitivity(table, "y", ["a", "b", "c"])
    assert list(ranking.index) == ["b", "a", "c"]
    assert ranking.loc["b", "srrc"] > 0.8 and ranking.loc["b", "spearman"] > 0.8
    assert abs(ranking.loc["c", "srrc"]) < 0.2
    assert ranking["srrc_r2"].iloc[0] > 0.8


# ---- a real sweep with Latin hypercube inputs --------------------------------------------------

N_SAMPLES, REPS = 6, 2


@pytest.fixture(scope="module")
def lhs_sweep(require_binary, tmp_path_factory):
    """6 Latin hypercube samples of (PUE, grid carbon intensity) × 2 replicates of a 3-day
    quickstart: 12 runs and their index."""
    d = tmp_path_factory.mktemp("lhs")
    spec = d / "lhs.yaml"
    spec.write_text(
        "name: lhs\n"
        f"base: {QUICKSTART}\n"
        "set:\n  time.duration: 3d\n  workload.jobs: 20\n"
        "sample:\n"
        "  method: latin_hypercube\n"
        f"  n: {N_SAMPLES}\n"
        "  seed: 5\n"
        "  inputs:\n"
        "    site.cooling.pue: {uniform: [1.1, 1.7]}\n"
        "    site.supply.grid.carbon_gco2_per_kwh: {normal: [400, 40]}\n"
        f"replicates: {REPS}\n"
    )
    out = d / "out"
    run_dcsim(["sweep", spec, "-o", out, "-j", "2", "-q"])
    assert (out / "index.h5").exists(), "dcsim sweep wrote no index.h5"
    return out


def test_the_index_carries_the_cf_realization_coordinate(lhs_sweep):
    with xr.open_dataset(lhs_sweep / "index.h5", engine="h5netcdf") as raw:
        assert raw.sizes["run"] == N_SAMPLES * REPS
        assert raw["realization"].attrs["standard_name"] == "realization"
    runs = da.load_sweep(lhs_sweep)
    assert "realization" in runs.coords and "point" in runs.coords
    assert sorted(runs["realization"].values.tolist()) == list(range(N_SAMPLES * REPS))
    assert set(runs["point"].values.tolist()) == {0}
    pue = [p for p in ensemble.sampled_inputs(runs) if p.endswith("pue")][0]
    assert runs[pue].attrs["distribution"] == "latin_hypercube uniform(1.1, 1.7)"
    # one PUE per stratum of width 0.1 (Latin hypercube), shared by the replicates of a sample
    values = runs[pue].values.astype(float)
    assert sorted(((values[::REPS] - 1.1) // 0.1).astype(int).tolist()) == list(range(N_SAMPLES))
    np.testing.assert_array_equal(values[::REPS], values[1::REPS])
    # as dimensions
    ens = da.by_realization(runs)
    assert set(ens["facility_power_w"].dims) == {"point", "realization", "time"}
    assert ens.sizes["realization"] == N_SAMPLES * REPS


def test_confidence_intervals_and_the_ranking_of_a_real_sweep(lhs_sweep):
    runs = da.load_sweep(lhs_sweep)
    table = da.compare(runs)
    summary = da.ensemble_summary(runs, ["facility_energy_mwh", "emissions_t"], level=LEVEL)
    assert len(summary) == 1
    row = summary.iloc[0]
    assert row["facility_energy_mwh_n"] == N_SAMPLES * REPS
    assert row["facility_energy_mwh_mean"] == pytest.approx(table["facility_energy_mwh"].mean())
    assert row["facility_energy_mwh_lo"] < row["facility_energy_mwh_mean"] < row["facility_energy_mwh_hi"]
    # facility energy = PUE × IT energy (constant-PUE model): PUE drives it, carbon does not
    ranking = da.sensitivity(runs, "facility_energy_mwh")
    assert str(ranking.index[0]).endswith("pue"), ranking
    assert ranking.iloc[0]["srrc"] > 0.8
    assert abs(ranking.iloc[1]["srrc"]) < 0.3, ranking
    # emissions = energy × intensity: both inputs count
    assert set(da.sensitivity(runs, "emissions_t").index) == set(ensemble.sampled_inputs(runs))


def test_ensemble_plots_draw_bands(lhs_sweep, tmp_path):
    runs = da.load_sweep(lhs_sweep)
    fig = da.plot_ensemble_series(runs, "facility_power_w")
    assert_png(da.save_png(fig, tmp_path / "band.png"))
    fig = da.plot_sensitivity(runs, "emissions_t")
    assert_png(da.save_png(fig, tmp_path / "sens.png"))
    fig = da.plot_ensemble_metric(runs, "emissions_t", method="bootstrap")
    assert_png(da.save_png(fig, tmp_path / "metric.png"))
    written = da.plot_standard_set(lhs_sweep / "index.h5", tmp_path)
    assert [p.name for p in written] == ["index_comparison.png", "index_ensemble.png", "index_sensitivity.png"]
