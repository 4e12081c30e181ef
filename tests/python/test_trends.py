"""Grid trends by year (issue 19, item 2): decarbonisation targets applied to a base trace
(`site.supply.grid.carbon_targets`) and yearly trace files stitched (`carbon_files`), through
the engine: `dcsim run` on small scenarios, the carbon intensity read back from the result
file's `carbon_intensity_g_per_kwh` series (interval averages, analysis/SCHEMA.md)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest

from conftest import SOURCE_DIR, dcsim_binary, run_dcsim

PLATFORM = SOURCE_DIR / "platforms/sites/quickstart-h200.yaml"


def year_trace(path: Path, year: int, level: float, *, days: int | None = None, phase: float = 0.0) -> Path:
    """An hourly generic carbon trace of one UTC year: a daily and a seasonal swing around `level`."""
    t0 = np.datetime64(f"{year}-01-01T00:00")
    n = (np.datetime64(f"{year + 1}-01-01T00:00") - t0).astype("timedelta64[h]").astype(int)
    if days is not None:
        n = days * 24
    h = np.arange(n)
    v = level * (1 + 0.3 * np.sin(2 * np.pi * h / 24 + phase) + 0.2 * np.cos(2 * np.pi * h / (24 * 365)))
    lines = ["time,carbon_gco2_kwh"]
    lines += [f"{np.datetime_as_string(t0 + np.timedelta64(int(k), 'h'))}:00Z,{x:.6f}" for k, x in zip(h, v)]
    path.write_text("\n".join(lines) + "\n")
    return path


def scenario(tmp: Path, name: str, grid: str, *, years: int, sample: str = "1d") -> Path:
    p = tmp / f"{name}.yaml"
    p.write_text(
        f"name: {name}\n"
        f"time: {{start: 2025-01-01, years: {years}, sample: {sample}}}\n"
        f"site:\n  platform: {PLATFORM}\n  cooling: {{model: constant-pue, pue: 1.2}}\n"
        "  supply:\n    grid:\n" + grid +
        "workload: {generator: fixed, jobs: 4, gpus_per_job: 8, interarrival: 90d}\n"
        f"output: {{file: {tmp / name}.h5}}\n")
    return p


def intensity(tmp: Path, p: Path) -> tuple[np.ndarray, np.ndarray]:
    """(UTC year of each sample, carbon intensity) of a run of scenario p."""
    out = tmp / (p.stem + ".h5")
    run_dcsim(["run", p, "-o", out, "-q"])
    with h5py.File(out) as f:
        t = f["time"][:]
        ci = f["carbon_intensity_g_per_kwh"][:]
    when = np.datetime64("2025-01-01T00:00:00") + (t * 1e6).astype("timedelta64[us]")
    return when.astype("datetime64[Y]").astype(int) + 1970, ci


def test_carbon_targets_are_met_year_by_year_and_keep_the_base_shape(tmp_path):
    base = year_trace(tmp_path / "base_2025.csv", 2025, 300.0)
    grid = f"      carbon_file: {base}\n      price_usd_per_kwh: 0.08\n"
    years, ci0 = intensity(tmp_path, scenario(tmp_path, "base", grid, years=5))
    years2, ci = intensity(tmp_path, scenario(
        tmp_path, "targets", grid + "      carbon_targets: {2026: 200, 2028: 50}\n", years=5))
    assert np.array_equal(years, years2) and sorted(set(years)) == [2025, 2026, 2027, 2028, 2029]
    m0 = {y: ci0[years == y].mean() for y in set(years)}   # 1-day samples: the year's time mean
    m = {y: ci[years == y].mean() for y in set(years)}
    # The base year (the start year, before the first target) keeps the trace; 2027 is the
    # geometric mean of its neighbours; after the last target the target holds.
    expected = {2025: m0[2025], 2026: 200.0, 2027: (200.0 * 50.0) ** 0.5, 2028: 50.0, 2029: 50.0}
    assert m0[2025] == pytest.approx(300.0, rel=0.01)  # the trace's own mean, ~300
    for y, e in expected.items():
        assert m[y] == pytest.approx(e, rel=1e-6), y
    # The shape is kept: within each year the scaled series is the base times one factor.
    for y in expected:
        r = ci[years == y] / ci0[years == y]
        np.testing.assert_allclose(r, expected[y] / m0[y], rtol=1e-9)
    # A base year after the start: years before it hold its mean, then geometric to 2028.
    _, ci3 = intensity(tmp_path, scenario(
        tmp_path, "based", grid + "      trend_base_year: 2026\n      carbon_targets: {2028: 50}\n", years=5))
    m3 = {y: ci3[years == y].mean() for y in set(years)}
    for y, e in {2025: m0[2026], 2026: m0[2026], 2027: (m0[2026] * 50) ** 0.5, 2028: 50.0, 2029: 50.0}.items():
        assert m3[y] == pytest.approx(e, rel=1e-6), y


def test_stitched_yearly_files_give_each_year_its_own_values(tmp_path):
    a = year_trace(tmp_path / "a_2025.csv", 2025, 300.0)
    b = year_trace(tmp_path / "b_2026.csv", 2026, 120.0, phase=1.0)
    grid = (f"      carbon_files: {{2025: {a}, 2026: {b}}}\n      price_usd_per_kwh: 0.08\n")
    years, ci = intensity(tmp_path, scenario(tmp_path, "stitched", grid, years=3, sample="1h"))
    va = np.loadtxt(a, delimiter=",", skiprows=1, usecols=1)
    vb = np.loadtxt(b, delimiter=",", skiprows=1, usecols=1)
    assert len(va) == len(vb) == 8760
    np.testing.assert_allclose(ci[years == 2025], va, rtol=1e-12)
    np.testing.assert_allclose(ci[years == 2026], vb, rtol=1e-12)
    # 2027 has no file: the nearest earlier year's (2026) repeats, as a single file does.
    np.testing.assert_allclose(ci[years == 2027], vb, rtol=1e-12)
    # Targets apply to the stitched base in the same way.
    _, ci2 = intensity(tmp_path, scenario(
        tmp_path, "stitched-targets", grid + "      carbon_targets: {2027: 60}\n", years=3, sample="1h"))
    assert ci2[years == 2025].mean() == pytest.approx(va.mean(), rel=1e-9)
    assert ci2[years == 2026].mean() == pytest.approx((va.mean() * 60) ** 0.5, rel=1e-6)
    assert ci2[years == 2027].mean() == pytest.approx(60.0, rel=1e-6)
    np.testing.assert_allclose(ci2[years == 2027] / vb, 60.0 / vb.mean(), rtol=1e-9)
    # A file that no year of the run reads is said, not silently dropped.
    old = year_trace(tmp_path / "old_2020.csv", 2020, 500.0)
    late = year_trace(tmp_path / "late_2031.csv", 2031, 50.0)
    p = scenario(tmp_path, "unread", f"      carbon_files: {{2020: {old}, 2025: {a}, 2031: {late}}}\n", years=1)
    proc = run_dcsim(["run", p, "-o", tmp_path / "unread.h5", "-q"])
    assert "carbon_files: no year of the run (2025..2025) reads the file(s) of 2020, 2031" in proc.stderr


def dcsim(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(dcsim_binary()), *map(str, args)], cwd=SOURCE_DIR,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case, grid, expected", [
    ("with-factor", "      carbon_gco2_per_kwh: 400\n      carbon_factor_per_year: 0.9\n"
     "      carbon_targets: {2030: 200}\n",
     ["yaml:10:", "site.supply.grid.carbon_targets", "either carbon_targets or carbon_factor_per_year"]),
    ("descending", "      carbon_gco2_per_kwh: 400\n      carbon_targets: {2030: 200, 2027: 300}\n",
     ["yaml:9:", "site.supply.grid.carbon_targets.2027", "ascending order, got 2027 after 2030"]),
    ("not-positive", "      carbon_gco2_per_kwh: 400\n      carbon_targets: {2030: 0}\n",
     ["yaml:9:", "site.supply.grid.carbon_targets.2030", "expected a number in (0, 5000], got 0"]),
    ("not-a-year", "      carbon_gco2_per_kwh: 400\n      carbon_targets: {soon: 100}\n",
     ["yaml:9:", "site.supply.grid.carbon_targets.soon", "expected a calendar year"]),
    ("no-base", "      carbon_targets: {2030: 100}\n",
     ["yaml:8:", "site.supply.grid.carbon_targets", "expected a base to scale"]),
    ("files-and-file", "      carbon_file: @A@\n      carbon_files: {2025: @A@}\n",
     ["yaml:9:", "site.supply.grid.carbon_files", "either carbon_files or carbon_file"]),
    ("missing-file", "      carbon_files: {2025: @A@, 2026: @DIR@/nowhere_2026.csv}\n",
     ["yaml:8:", "site.supply.grid.carbon_files.2026", "nowhere_2026.csv"]),
    ("same-year-twice", "      carbon_files: {2025: @A@, 2025: @A@}\n",
     ["yaml:8:", "site.supply.grid.carbon_files", "duplicate"]),
])
def test_bad_targets_and_yearly_files_are_refused_at_validation(tmp_path, case, grid, expected):
    a = year_trace(tmp_path / "a_2025.csv", 2025, 300.0)
    p = scenario(tmp_path, case, grid.replace("@A@", str(a)).replace("@DIR@", str(tmp_path)), years=2)
    proc = dcsim("validate", p)
    assert proc.returncode != 0, proc.stdout
    err = proc.stderr + proc.stdout
    assert str(p) in err
    for e in expected:
        assert e in err, err


@pytest.mark.parametrize("case, expected", [
    ("wrong-year", ["yaml:8:", "site.supply.grid.carbon_files.2026", "expected a trace of 2026", "got one of 2025"]),
    ("half-year", ["yaml:8:", "site.supply.grid.carbon_files.2025", "expected a trace covering the whole year 2025",
                   "182 days"]),
    ("base-year-outside", ["yaml:9:", "site.supply.grid.trend_base_year", "expected trend_base_year inside the run (2025..2026)",
                           "got 2024"]),
])
def test_yearly_files_not_of_their_year_are_refused_before_any_result(tmp_path, case, expected):
    a = year_trace(tmp_path / "a_2025.csv", 2025, 300.0)
    half = year_trace(tmp_path / "half_2025.csv", 2025, 300.0, days=182)
    grid = {"wrong-year": f"      carbon_files: {{2025: {a}, 2026: {a}}}\n",
            "half-year": f"      carbon_files: {{2025: {half}}}\n",
            "base-year-outside": f"      carbon_file: {a}\n      trend_base_year: 2024\n"
                                 "      carbon_targets: {2026: 100}\n"}[case]
    p = scenario(tmp_path, case, grid, years=2)
    out = tmp_path / f"{case}.h5"
    proc = dcsim("run", p, "-o", out, "-q")
    assert proc.returncode != 0, proc.stdout
    err = proc.stderr + proc.stdout
    assert str(p) in err
    for e in expected:
        assert e in err, err
    assert not out.exists()
    # `dcsim validate` loads the traces too and says the same.
    proc = dcsim("validate", p)
    assert proc.returncode != 0 and all(e in proc.stderr + proc.stdout for e in expected), proc.stderr
