"""Fleet plans and trends (issue 19, items 1 and 2), through the engine: `dcsim run` on small
scenarios, read back from the result file. The hand calculations use the built-in catalogue
(DGX A100 and DGX H100: 8 GPUs each) and the EmbodiedSpec defaults (150 kg per GPU, 2,500 kg
per host, 5-year life): a node's footprint is 8 · 150 + 2,500 = 3,700 kgCO2e."""
from __future__ import annotations

import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest

import dcsim_analysis as da
from conftest import SOURCE_DIR, dcsim_binary, run_dcsim

PLATFORM = SOURCE_DIR / "platforms/sites/quickstart-h200.yaml"
DAY = 86400.0
FOOTPRINT_KG = 8 * 150 + 2500


def fleet_scenario(tmp: Path, name: str, *, booking: str = "amortised", extra: str = "",
                   groups: str | None = None, limits: str = "{power_capacity_mw: 1, racks: 4}") -> Path:
    groups = groups or (
        "      - {type: dgx-a100, count: 2, install: 2023-06-01, retire: 2024-01-11}\n"
        "      - {type: dgx-h100, count: 2, install: 2024-01-06}\n")
    p = tmp / f"{name}.yaml"
    p.write_text(
        f"name: {name}\n"
        "time: {start: 2024-01-01, duration: 20d, sample: 1h}\n"
        "site:\n"
        f"  platform: {PLATFORM}\n"
        "  cooling: {model: constant-pue, pue: 1.2}\n"
        "  supply: {grid: {carbon_gco2_per_kwh: 400, price_usd_per_kwh: 0.08}}\n"
        f"  embodied: {{booking: {booking}}}\n"
        "  fleet:\n"
        f"    limits: {limits}\n"
        "    groups:\n" + groups +
        "workload: {generator: fixed, fixed_profile: generative_modelling, jobs: 40, gpus_per_job: 8,\n"
        "           work_flops_per_job: 2.0e19, interarrival: 12h}\n"
        f"output: {{file: {tmp / name}.h5, per_node: true}}\n" + extra)
    return p


def run(tmp: Path, scenario: Path, *sets: str) -> Path:
    out = tmp / (scenario.stem + ".h5")
    args = ["run", scenario, "-o", out, "-q"]
    for s in sets:
        args += ["--set", s]
    run_dcsim(args)
    return out


def test_nodes_are_present_only_between_their_install_and_retire_dates_and_energy_holds(tmp_path):
    out = run(tmp_path, fleet_scenario(tmp_path, "window"))
    with h5py.File(out) as f:
        gpus = f["installed_gpus"][:]
        t = f["time"][:]
        node_w = f["node_power_w"][:]          # (time, node): nodes 0-1 A100, 2-3 H100
        s = {k[len("summary_"):]: f.attrs[k] for k in f.attrs if k.startswith("summary_")}
        it = f["it_power_w"][:]
        fac = f["facility_power_w"][:]
        em = f["emissions_rate_kg_per_h"][:]
    day = t / DAY
    before, both, after = day < 5, (day >= 5) & (day < 10), day >= 10
    assert np.all(gpus[before] == 16) and np.all(gpus[both] == 32) and np.all(gpus[after] == 16)
    # Not installed yet / retired: exactly nothing drawn; installed: at least idle power.
    assert np.all(node_w[before][:, 2:] == 0) and np.all(node_w[after][:, :2] == 0)
    assert np.all(node_w[both] > 0)
    assert s["gpus"] == 32 and s["gpus_installed_end"] == 16
    assert s["fleet_nodes_installed"] == 2 and s["fleet_nodes_retired"] == 2
    # Energy: the nodes' power sums to the IT series at every sample, and the series to the summary.
    np.testing.assert_allclose(node_w.sum(axis=1), it, rtol=1e-6)  # per-node series are float32
    assert it.sum() * 3600 / 3.6e6 == pytest.approx(s["it_energy_kwh"], rel=1e-9)
    np.testing.assert_allclose(fac, 1.2 * it, rtol=1e-9)
    assert em.sum() / 1000 == pytest.approx(s["emissions_tco2"], rel=1e-9)
    assert s["emissions_tco2"] == pytest.approx(s["facility_energy_kwh"] * 400 / 1e6, rel=1e-9)
    # Work on the retired nodes was checkpointed and finished elsewhere: every job completed.
    jobs = da.jobs(out)
    assert (jobs["outcome"] == "completed").all()


def test_embodied_carbon_per_node_is_the_hand_calculation_amortised_and_at_purchase(tmp_path):
    out = run(tmp_path, fleet_scenario(tmp_path, "amortised"))
    # A100s: service life 2023-06-01 → 2024-01-11 = 224 days, 10 of them in the run.
    # H100s: no retire date → the 5-year (5 · 365 days) life; 15 days in the run.
    hand = 2 * FOOTPRINT_KG * 10 / 224 + 2 * FOOTPRINT_KG * 15 / (5 * 365)
    s = da.summary(out)
    assert s["embodied_tco2"] * 1000 == pytest.approx(hand, rel=1e-9)
    with h5py.File(out) as f:
        assert f["embodied_rate_kg_per_h"][:].sum() == pytest.approx(hand, rel=1e-9)  # 1 h samples

    out = run(tmp_path, fleet_scenario(tmp_path, "purchase", booking="at-purchase"))
    # At purchase: the H100s bought on day 5 book their whole footprint; the A100s bought before
    # the run book nothing in it.
    s = da.summary(out)
    assert s["embodied_tco2"] * 1000 == pytest.approx(2 * FOOTPRINT_KG, rel=1e-9)
    with h5py.File(out) as f:
        e = f["embodied_rate_kg_per_h"][:]
        t = f["time"][:]
    assert e.sum() == pytest.approx(2 * FOOTPRINT_KG, rel=1e-9)
    assert np.all(e[t != 5 * DAY] == 0)  # all of it in the sample of the install date


def test_a_yearly_carbon_factor_scales_the_intensity_year_by_year(tmp_path):
    p = tmp_path / "trend.yaml"
    p.write_text(
        "name: trend\n"
        "time: {start: 2024-01-01, years: 3, sample: 1d}\n"
        f"site:\n  platform: {PLATFORM}\n  cooling: {{model: constant-pue, pue: 1.2}}\n"
        "  supply: {grid: {carbon_gco2_per_kwh: 400, price_usd_per_kwh: 0.08, carbon_factor_per_year: 0.5,\n"
        "                  price_factor_per_year: 1.1}}\n"
        "workload: {generator: fixed, jobs: 30, gpus_per_job: 8, interarrival: 30d}\n"
        f"output: {{file: {tmp_path / 'trend.h5'}}}\n")
    out = run(tmp_path, p)
    y = da.yearly(out)
    assert list(y.index) == [2024, 2025, 2026]
    np.testing.assert_allclose(y["carbon_intensity_g_per_kwh"], [400, 200, 100], rtol=1e-12)
    # Operational emissions of each year are that year's energy at that year's intensity.
    np.testing.assert_allclose(y["operational_tco2"], y["facility_energy_mwh"] * [0.4, 0.2, 0.1], rtol=1e-9)
    with h5py.File(out) as f:
        price = f["price_usd_per_mwh"][:]
    np.testing.assert_allclose(sorted(set(np.round(price, 9))), [80, 88, 96.8], rtol=1e-9)
    # A base year after the start: 2024 is one step before it (400 / 0.5 = 800).
    out = run(tmp_path, p, "site.supply.grid.trend_base_year=2025")
    np.testing.assert_allclose(da.yearly(out)["carbon_intensity_g_per_kwh"], [800, 400, 200], rtol=1e-12)


def validate(p: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(dcsim_binary()), "validate", str(p)], cwd=SOURCE_DIR,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("case, groups, limits, expected", [
    ("retire-before-install",
     "      - {type: dgx-h100, count: 2, install: 2024-01-06, retire: 2024-01-02}\n", None,
     [":11:", "site.fleet.groups.0.retire", "expected a retire date after the install date"]),
    ("unknown-type",
     "      - {type: dgx-h300, count: 2, install: 2024-01-06}\n", None,
     [":11:", "site.fleet.groups.0.type", "unknown node type 'dgx-h300'", "dgx-h200"]),
    ("over-capacity",
     "      - {type: dgx-h100, count: 200, install: 2024-01-06}\n", "{power_capacity_mw: 1}",
     [":11:", "site.fleet.groups.0.install", "power_capacity_mw = 1 MW", "2024-01-06"]),
    ("too-many-racks",
     "      - {type: dgx-h100, count: 8}\n      - {type: dgx-a100, count: 1, install: 2024-01-03}\n",
     "{racks: 2}", [":12:", "site.fleet.groups.1.install", "racks = 2", "got 3"]),
    ("age-without-install",
     "      - {type: dgx-h100, count: 1, retire_after_years: 4}\n", None,
     ["site.fleet.groups.0.install", "expected an install date"]),
])
def test_a_bad_fleet_plan_is_refused_at_validation_with_file_line_and_key(tmp_path, case, groups, limits, expected):
    p = fleet_scenario(tmp_path, case, groups=groups, **({"limits": limits} if limits else {}))
    proc = validate(p)
    assert proc.returncode != 0, proc.stdout
    err = proc.stderr + proc.stdout
    assert str(p) in err
    for e in expected:
        assert e in err, err


def test_the_fleet_decade_table_of_the_examples_readme_is_what_the_run_gives(tmp_path):
    """scenarios/examples/README.md's yearly table is the run's, at the printed precision."""
    import re
    out = tmp_path / "fleet-decade.h5"
    run_dcsim(["run", SOURCE_DIR / "scenarios/examples/fleet-decade.yaml", "-o", out, "-q"])
    text = (SOURCE_DIR / "scenarios/examples/README.md").read_text()
    table = text[text.index("<!-- fleet-decade table"):text.index("<!-- end fleet-decade table")]
    rows = [[c.strip().replace(",", "") for c in line.strip("|").split("|")]
            for line in table.splitlines() if re.match(r"\| 20\d\d \|", line)]
    assert len(rows) == 10
    y = da.yearly(out)
    for year, gpus, ci, gwh, op, emb, util, kwh_job in rows:
        r = y.loc[int(year)]
        assert float(gpus) == pytest.approx(r.installed_gpus, abs=0.5)
        assert float(ci) == pytest.approx(r.carbon_intensity_g_per_kwh, abs=0.05)
        assert float(gwh) == pytest.approx(r.facility_energy_mwh / 1000, abs=0.005)
        assert float(op) == pytest.approx(r.operational_tco2, abs=0.5)
        assert float(emb) == pytest.approx(r.embodied_tco2, abs=0.5)
        assert float(util) == pytest.approx(r.utilisation, abs=0.0005)
        assert float(kwh_job) == pytest.approx(r.kwh_per_job, abs=0.5)
    # The decarbonisation path year by year: 400 · 0.93^(y − 2025).
    np.testing.assert_allclose(y["carbon_intensity_g_per_kwh"], 400 * 0.93 ** (y.index - 2025), rtol=1e-12)
    s = da.summary(out)
    assert y["embodied_tco2"].sum() == pytest.approx(s["embodied_tco2"], rel=1e-9)
    assert y["operational_tco2"].sum() == pytest.approx(s["emissions_tco2"], rel=1e-9)
    assert s["fleet_nodes_retired"] == 2875 and s["gpus"] == 20000
    m = re.search(r"the ([\d,]+) jobs running on them", text)
    assert m and float(m.group(1).replace(",", "")) == s["fleet_retire_preemptions"]


def test_a_dated_cooling_upgrade_changes_the_pue_from_its_date(tmp_path):
    p = tmp_path / "upgrade.yaml"
    p.write_text(
        "name: upgrade\n"
        "time: {start: 2024-01-01, duration: 20d, sample: 1h}\n"
        f"site:\n  platform: {PLATFORM}\n  cooling: {{model: constant-pue, pue: 1.4}}\n"
        "  cooling_upgrades:\n    - {date: 2024-01-08, pue: 1.25}\n    - {date: 2024-01-15, pue: 1.1}\n"
        "  supply: {grid: {carbon_gco2_per_kwh: 400, price_usd_per_kwh: 0.08}}\n"
        "workload: {generator: fixed, jobs: 30, gpus_per_job: 8, interarrival: 12h}\n"
        f"output: {{file: {tmp_path / 'upgrade.h5'}}}\n")
    out = run(tmp_path, p)
    with h5py.File(out) as f:
        t = f["time"][:] / DAY
        pue = f["pue"][:]
    np.testing.assert_allclose(pue[t < 7], 1.4, rtol=1e-12)
    np.testing.assert_allclose(pue[(t >= 7) & (t < 14)], 1.25, rtol=1e-12)
    np.testing.assert_allclose(pue[t >= 14], 1.1, rtol=1e-12)
    p.write_text(p.read_text().replace("{date: 2024-01-15, pue: 1.1}", "{date: 2024-01-05, pue: 1.1}"))
    proc = validate(p)
    assert proc.returncode != 0
    assert "site.cooling_upgrades.1.date" in proc.stderr and "after the previous upgrade" in proc.stderr


def test_the_fleet_ensemble_table_is_what_the_sweep_gives_with_intervals_computed_by_hand(tmp_path):
    """scenarios/examples/README.md's ensemble table (issue 19 item 5) is what `dcsim sweep` of
    fleet-decade-ensemble.yaml gives through dcsim_analysis.yearly_ensemble, and its statistics
    are the textbook ones: the mean and Student-t 90 % interval of the 10 runs' yearly values, the
    5 % / 95 % quantiles; the narrated rankings hold (Spearman ρ of the sampled inputs)."""
    import re
    from scipy import stats

    out = tmp_path / "ens"
    run_dcsim(["sweep", SOURCE_DIR / "scenarios/sweeps/fleet-decade-ensemble.yaml", "-o", out, "-q"], timeout=1800)
    sweep = da.load_sweep(out)
    assert sweep.sizes["run"] == 10 and sorted(set(sweep["realization"].values.tolist())) == list(range(10))
    paths = [out / p for p in np.asarray(sweep["run_result_path"].values).astype(str)]
    per_run = [da.yearly(p) for p in paths]
    e = da.yearly_ensemble(out)
    # by hand, for every year and quantity of the table
    for q in ("facility_energy_mwh", "operational_tco2", "kwh_per_job", "carbon_intensity_g_per_kwh"):
        for year in range(2025, 2035):
            v = np.array([t.at[year, q] for t in per_run])
            half = stats.t.ppf(0.95, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
            assert e.at[year, (q, "mean")] == pytest.approx(v.mean(), rel=1e-12)
            assert e.at[year, (q, "lower")] == pytest.approx(v.mean() - half, rel=1e-9)
            assert e.at[year, (q, "upper")] == pytest.approx(v.mean() + half, rel=1e-9)
            assert e.at[year, (q, "p05")] == pytest.approx(np.quantile(v, 0.05), rel=1e-12)
            assert e.at[year, (q, "p95")] == pytest.approx(np.quantile(v, 0.95), rel=1e-12)
    tot = np.array([t["facility_energy_mwh"].sum() for t in per_run])
    assert e.at["total", ("facility_energy_mwh", "mean")] == pytest.approx(tot.mean(), rel=1e-12)
    # the committed table, cell by cell at its printed precision
    text = (SOURCE_DIR / "scenarios/examples/README.md").read_text()
    table = text[text.index("<!-- fleet-ensemble table"):text.index("<!-- end fleet-ensemble table")]
    num = r"([\d,.]+)"
    trip = rf"{num} \[{num}, {num}\] \({num}–{num}\)"
    rows = [line for line in table.splitlines() if re.match(r"\| 20\d\d \|", line)]
    assert len(rows) == 10
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        year = int(cells[0])
        for cell, q, scale, tol in ((cells[1], "facility_energy_mwh", 1000, 0.05), (cells[2], "operational_tco2", 1, 0.5),
                                    (cells[4], "kwh_per_job", 1, 0.5), (cells[5], "carbon_intensity_g_per_kwh", 1, 0.5)):
            m = re.fullmatch(trip, cell)
            assert m, f"{year}: {cell!r}"
            for got, stat in zip(m.groups(), ("mean", "lower", "upper", "p05", "p95")):
                assert float(got.replace(",", "")) == pytest.approx(e.at[year, (q, stat)] / scale, abs=tol), (year, q, stat)
        assert float(cells[3].replace(",", "")) == pytest.approx(e.at[year, ("embodied_tco2", "mean")], abs=0.5)
    # the narration: 2034 energy ranked by the workload growth, emissions by both inputs
    g = np.asarray(sweep["workload_jobs_growth_per_year"].values)
    c = np.asarray(sweep["grid_carbon_factor_per_year"].values)
    energy = [t.at[2034, "facility_energy_mwh"] for t in per_run]
    emis = [t.at[2034, "operational_tco2"] for t in per_run]
    assert stats.spearmanr(g, energy)[0] > 0.9
    assert stats.spearmanr(g, emis)[0] > 0.3 and stats.spearmanr(c, emis)[0] > 0.3
    # efficiency against growth: energy per job falls by about a third, energy grows > 20x
    kwh = e[("kwh_per_job", "mean")]
    assert 0.6 < kwh[2030] / kwh[2025] < 0.75
    assert e.at[2034, ("facility_energy_mwh", "mean")] / e.at[2025, ("facility_energy_mwh", "mean")] > 20
    import matplotlib
    matplotlib.use("Agg")
    ax = da.plot_growth_vs_efficiency(e)
    assert len(ax.get_lines()) == 5


def test_retire_when_superseded_retires_a_group_when_a_more_efficient_generation_is_installed(tmp_path):
    """The refresh rule "retire when a newer generation does the same work for less energy"
    (site.fleet retire_when_superseded; physics nameplate_joules_per_flop): the A100s retire on
    the day the H100s (lower nameplate J/FLOP) are installed; a second H100 group is not
    superseded by the H200s installed after it (same peak and TDP: a tie, not less energy), and a
    retire date together with the rule is refused."""
    groups = ("      - {type: dgx-a100, count: 2, install: 2023-06-01, retire_when_superseded: true}\n"
              "      - {type: dgx-h100, count: 2, install: 2024-01-06}\n"
              "      - {type: dgx-h100, count: 1, install: 2024-01-08, retire_when_superseded: true}\n"
              "      - {type: dgx-h200, count: 1, install: 2024-01-09}\n")
    out = run(tmp_path, fleet_scenario(tmp_path, "superseded", groups=groups))
    with h5py.File(out) as f:
        gpus = f["installed_gpus"][:]
        day = f["time"][:] / DAY
        node_w = f["node_power_w"][:]
        s = {k[len("summary_"):]: f.attrs[k] for k in f.attrs if k.startswith("summary_")}
    assert np.all(gpus[day < 5] == 16)                  # the A100s
    assert np.all(gpus[(day >= 5) & (day < 7)] == 16)   # A100s out, H100s in, the same day
    assert np.all(gpus[(day >= 7) & (day < 8)] == 24)
    assert np.all(gpus[day >= 8] == 32)                 # nothing retired by the H200s
    assert np.all(node_w[day >= 5][:, :2] == 0) and np.all(node_w[day < 5][:, :2] > 0)
    assert s["fleet_nodes_retired"] == 2 and s["gpus_installed_end"] == 32
    bad = fleet_scenario(tmp_path, "superseded-bad", groups=(
        "      - {type: dgx-a100, count: 2, install: 2023-06-01, retire: 2024-01-11, retire_when_superseded: true}\n"
        "      - {type: dgx-h100, count: 2, install: 2024-01-06}\n"))
    proc = subprocess.run([str(dcsim_binary()), "validate", str(bad)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "retire_when_superseded" in proc.stderr and "expected either retire or retire_when_superseded" in proc.stderr
    assert f"{bad.name}:" in proc.stderr
