"""dcsim_analysis's serving functions (serving_metrics.py) on real serving runs (issue 15): the
request fidelity with its request table and the aggregated fidelity without one, both made by
`dcsim run` from scenarios/examples/serving-quickstart.yaml; and the serving-what-if notebook
executed headless on both (as test_notebooks.py does for the other notebooks)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import ANALYSIS_DIR, SOURCE_DIR, assert_png, run_dcsim
from test_notebooks import execute, inline_images, outputs_of

SERVING = SOURCE_DIR / "scenarios" / "examples" / "serving-quickstart.yaml"


@pytest.fixture(scope="module")
def serving_runs(require_binary, tmp_path_factory):
    d = tmp_path_factory.mktemp("serving-analysis")
    req, agg = d / "request.h5", d / "aggregated.h5"
    common = ["--set", "time.duration=3h", "--set", "workload.jobs=4", "-q"]
    run_dcsim(["run", SERVING, "-o", req, "--set", "serving.fidelity=request", "--set", "serving.step=1min", *common])
    run_dcsim(["run", SERVING, "-o", agg, *common])
    return req, agg


def test_kpis_of_a_request_run_come_from_its_request_table_and_agree_with_the_summary(serving_runs):
    import dcsim_analysis as da

    req, _ = serving_runs
    table = da.serving_requests(req)
    _, totals = da.serving(req)
    k = da.serving_kpis(req)
    assert list(k.index) == ["chat-8b"] and k.loc["chat-8b", "source"] == "requests"
    assert set(table["deployment"]) == {"chat-8b"}
    assert len(table) == totals.loc["chat-8b", "completed"] + totals.loc["chat-8b", "rejected"]
    row = k.loc["chat-8b"]
    # J/token and gCO2e/1k tokens are the summary's (the same totals, other units)
    assert row["j_per_output_token"] == pytest.approx(totals.loc["chat-8b", "j_per_output_token"], rel=1e-9)
    assert row["gco2e_per_1k_tokens"] == pytest.approx(totals.loc["chat-8b", "gco2_per_1k_tokens"], rel=1e-9)
    # exact percentiles of the table vs the fleet's log-binned histogram (1 % bins)
    for q in ("ttft_p50_s", "ttft_p99_s", "tpot_p50_s", "tpot_p99_s"):
        assert row[q] == pytest.approx(totals.loc["chat-8b", q], rel=0.03), q
    assert row["slo_attainment"] == pytest.approx(totals.loc["chat-8b", "slo_attainment"], abs=1e-12)


def test_what_if_slo_from_the_request_table(serving_runs):
    import dcsim_analysis as da

    req, agg = serving_runs
    t = da.serving_requests(req)
    done = t[t["outcome"] == "completed"]
    share = float((t["outcome"] == "completed").mean())
    assert da.slo_attainment(req, ttft_s=math.inf).loc["chat-8b"] == pytest.approx(share)
    assert da.slo_attainment(req, ttft_s=0.0).loc["chat-8b"] == 0.0
    med = float(np.median(done["ttft_s"]))
    assert da.slo_attainment(req, ttft_s=med).loc["chat-8b"] == pytest.approx(0.5 * share, abs=0.01)
    p = da.latency_percentiles(req, (0.5, 0.9, 0.999))
    assert p.loc["chat-8b", "ttft_p50_s"] < p.loc["chat-8b", "ttft_p90_s"] < p.loc["chat-8b", "ttft_p99_9_s"]
    with pytest.raises(ValueError, match="request table"):
        da.slo_attainment(agg, ttft_s=1.0)
    with pytest.raises(ValueError, match="request table"):
        da.latency_percentiles(agg, (0.9,))


def test_kpis_of_an_aggregated_run_come_from_its_series(serving_runs):
    import dcsim_analysis as da

    _, agg = serving_runs
    assert da.serving_requests(agg).empty
    series, totals = da.serving(agg)
    k = da.serving_kpis(agg).loc["chat-8b"]
    assert k["source"] == "series"
    s = series.sel(deployment="chat-8b")
    p99 = s["serving_ttft_p99_s"].values
    assert np.nanmin(p99) <= k["ttft_p99_s"] <= np.nanmax(p99)
    w = s["serving_requests_per_s"].values
    ok = np.isfinite(p99) & (w > 0)
    assert k["ttft_p99_s"] == pytest.approx(float(np.sum(p99[ok] * w[ok]) / np.sum(w[ok])), rel=1e-6)  # float32 series
    assert k["slo_attainment"] == totals.loc["chat-8b", "slo_attainment"]
    assert k["wh_per_1k_tokens"] == pytest.approx(k["j_per_output_token"] / 3.6, rel=1e-9)


def test_serving_what_if_notebook_runs_and_saves_non_empty_pngs(serving_runs, tmp_path):
    req, agg = serving_runs
    plots = tmp_path / "plots"
    nb = execute(ANALYSIS_DIR / "notebooks" / "serving-what-if.ipynb", tmp_path, {
        "DCSIM_SOURCE_DIR": str(SOURCE_DIR),
        "DCSIM_RESULTS": f"{req}:{agg}",
        "DCSIM_PLOT_DIR": str(plots),
    })
    assert not outputs_of(nb, "error")
    names = {p.name for p in plots.glob("*.png")}
    assert {"serving_series.png", "serving_slo_what_if.png"} <= names, names
    for png in plots.glob("*.png"):
        assert_png(png)
    assert inline_images(nb) >= 2
    html = "".join(o["data"].get("text/html", "") for o in outputs_of(nb, "execute_result"))
    assert "request" in html and "aggregated" in html  # both runs in the KPI table
    text = "".join(o.get("text", "") for o in outputs_of(nb, "stream"))
    assert "ttft_p99_9_s" in text  # the percentiles only the request table gives
