"""The narrated serving examples (issue 15 item 6), rerun on 7-day horizons with
scripts/serving_examples.py (the script that generates the table in
scenarios/examples/README.md from year-long runs): the relations the README narrates hold in
the rerun, and in the committed table too.

- H200 needs less energy per 1,000 tokens and fewer GPUs than H100 for the same traffic;
- a 70 % power cap raises p99 TTFT (compute-bound prefill at a lower clock) and lowers energy
  per token, on both accelerators;
- autoscaling uses less serving energy than the always-on fleet for the same traffic;
- with training on the same site, jobs complete and serving keeps its SLO."""
from __future__ import annotations

import json
import re
import subprocess

import pytest

from conftest import SOURCE_DIR, dcsim_binary

SCRIPT = SOURCE_DIR / "scripts" / "serving_examples.py"
README = SOURCE_DIR / "scenarios" / "examples" / "README.md"


@pytest.fixture(scope="module")
def rows(require_binary, tmp_path_factory):
    d = tmp_path_factory.mktemp("serving-examples")
    js = d / "rows.json"
    proc = subprocess.run(["/usr/bin/python3", str(SCRIPT), "--dcsim", str(dcsim_binary()), "--out", str(d),
                           "--horizon", "7d", "--json", str(js)],
                          cwd=SOURCE_DIR, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr
    return {r["scenario"]: r for r in json.loads(js.read_text())}


def check_relations(r: dict[str, dict]) -> None:
    h200, h100 = r["serving-70b-h200"], r["serving-70b-h100"]
    assert h200["wh_per_1k_tokens"] < h100["wh_per_1k_tokens"]
    assert h200["gpus_mean"] < h100["gpus_mean"]
    for acc in ("h200", "h100"):
        free, cap = r[f"serving-70b-{acc}"], r[f"serving-70b-{acc}-cap70"]
        assert cap["ttft_p99_s"] > free["ttft_p99_s"], acc
        assert cap["wh_per_1k_tokens"] < free["wh_per_1k_tokens"], acc
    auto, on = r["serving-autoscaling"], r["serving-always-on"]
    assert auto["requests"] == pytest.approx(on["requests"], rel=0.02)
    assert auto["serving_energy_mwh"] < on["serving_energy_mwh"]
    both = r["serving-with-training"]
    assert both["jobs_completed"] > 0
    assert both["slo_attainment"] > 0.99


def test_the_examples_relations_hold_in_a_rerun(rows):
    assert len(rows) == 7
    check_relations(rows)


def test_the_committed_table_has_the_same_relations():
    text = README.read_text()
    table = text.split("<!-- serving-examples-table:begin -->", 1)[1].split("<!-- serving-examples-table:end -->", 1)[0]
    r = {}
    for line in table.splitlines():
        m = re.match(r"\| .*\(`([a-z0-9-]+)`\) \| ([\d.]+) \| ([\d.]+) \| (\d+) ms \| ([\d.]+) % \| ([\d,]+) / ([\d,]+) \| ", line)
        if m:
            r[m[1]] = {"wh_per_1k_tokens": float(m[2]), "gco2e_per_1k_tokens": float(m[3]),
                       "ttft_p99_s": float(m[4]) / 1e3, "slo_attainment": float(m[5]) / 100,
                       "gpus_mean": float(m[6].replace(",", ""))}
    assert len(r) == 7, f"the table in {README} has {len(r)} example rows"
    h200, h100 = r["serving-70b-h200"], r["serving-70b-h100"]
    assert h200["wh_per_1k_tokens"] < h100["wh_per_1k_tokens"]
    assert h200["gpus_mean"] < h100["gpus_mean"]
    for acc in ("h200", "h100"):
        assert r[f"serving-70b-{acc}-cap70"]["ttft_p99_s"] > r[f"serving-70b-{acc}"]["ttft_p99_s"]
        assert r[f"serving-70b-{acc}-cap70"]["wh_per_1k_tokens"] < r[f"serving-70b-{acc}"]["wh_per_1k_tokens"]
    assert r["serving-with-training"]["slo_attainment"] > 0.99
