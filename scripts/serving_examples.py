#!/usr/bin/python3
"""Run the narrated serving examples (issue 15 item 6) and tabulate them from their result files.

    /usr/bin/python3 scripts/serving_examples.py [--dcsim build/release/dcsim] [--out DIR]
        [--set key=value ...] [--json FILE] [--write-doc scenarios/examples/README.md]

Every number comes from a `dcsim run` of a scenario in scenarios/examples/ and is read back from
its result file with dcsim_analysis (serving_kpis, the `deployment` series, the summary):

- Wh/1k tok: the deployment's accelerator energy (model loading included) per 1,000 output tokens;
- gCO2e/1k tok: its location-based emissions (facility overhead included) per 1,000 output tokens;
- TTFT p99: the run's p99 time to first token (aggregated fidelity: the request-weighted mean of
  the interval p99s, dcsim_analysis.latency_percentiles);
- GPUs mean / peak: replicas ready (mean over the run) and ready + loading (peak interval) ×
  tensor parallelism;
- emissions: the deployment's, in tCO2e over the run.

`--set` is passed to every run; `--horizon 7d` reruns them shorter (the tests do).
`--write-doc FILE` replaces the text between the markers
`<!-- serving-examples-table:begin -->` and `<!-- serving-examples-table:end -->` in FILE.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "analysis"))

EXAMPLES = [
    # (scenario, label)
    ("serving-70b-h200", "70B, H200"),
    ("serving-70b-h200-cap70", "70B, H200, 70 % cap"),
    ("serving-70b-h100", "70B, H100"),
    ("serving-70b-h100-cap70", "70B, H100, 70 % cap"),
    ("serving-autoscaling", "8B, autoscaled"),
    ("serving-always-on", "8B, always on (24)"),
    ("serving-with-training", "70B + training year"),
]
BEGIN, END = "<!-- serving-examples-table:begin -->", "<!-- serving-examples-table:end -->"


def run_one(dcsim: Path, name: str, out: Path, sets: list[str], horizon: str | None) -> tuple[Path, float]:
    res = out / f"{name}.h5"
    args = [str(dcsim), "run", str(ROOT / "scenarios" / "examples" / f"{name}.yaml"), "-o", str(res), "-q"]
    for s in sets:
        args += ["--set", s]
    if horizon:
        args += ["--set", f"time.duration={horizon}"]
    t0 = time.monotonic()
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    if horizon and proc.returncode == 2 and "expected either years or duration" in proc.stderr:
        # the scenario (or its base) gives time.years: drop it for the shorter horizon
        args += ["--set", "time.years=~"]
        t0 = time.monotonic()
        proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if proc.returncode != 0 or not res.exists():
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return res, wall


def row_of(path: Path, label: str, wall: float) -> dict:
    import numpy as np
    import dcsim_analysis as da

    k = da.serving_kpis(path).iloc[0]
    series, _ = da.serving(path)
    s = series.isel(deployment=0)
    prov = da.provenance(path)
    dep = prov["scenario"]["serving"]["deployments"][0]
    tp = int(dep.get("tensor_parallel", 1))
    summ = da.summary(path)
    ready = s["serving_replicas_ready"].values.astype(float)
    loading = s["serving_replicas_loading"].values.astype(float)
    return {
        "example": label,
        "scenario": path.stem,
        "accelerator": dep["accelerator"],
        "wh_per_1k_tokens": float(k["wh_per_1k_tokens"]),
        "gco2e_per_1k_tokens": float(k["gco2e_per_1k_tokens"]),
        "ttft_p99_s": float(k["ttft_p99_s"]),
        "tpot_p99_s": float(k["tpot_p99_s"]),
        "slo_attainment": float(k["slo_attainment"]),
        "gpus_mean": float(np.nanmean(ready)) * tp,
        "gpus_peak": float(np.nanmax(ready + loading)) * tp,
        "requests": float(k["requests_completed"]),
        "emissions_t": float(k["emissions_kg"]) / 1000.0,
        "serving_energy_mwh": float(k["energy_kwh"]) / 1000.0,
        "site_facility_mwh": float(summ["facility_energy_kwh"]) / 1000.0,
        "jobs_completed": float(summ.get("jobs_completed", 0.0)),
        "serving_preemptions": float(summ.get("serving_preemptions", 0.0)),
        "wall_s": wall,
    }


def markdown(rows: list[dict], sets: list[str], horizon: str | None = None) -> str:
    head = ("| example | Wh / 1k tokens | gCO2e / 1k tokens | TTFT p99 | SLO met | GPUs mean / peak "
            "| requests | emissions (t) | run wall time |\n|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        lines.append(
            f"| {r['example']} (`{r['scenario']}`) | {r['wh_per_1k_tokens']:.3f} | {r['gco2e_per_1k_tokens']:.3f} "
            f"| {r['ttft_p99_s'] * 1e3:.0f} ms | {r['slo_attainment'] * 100:.2f} % "
            f"| {r['gpus_mean']:,.0f} / {r['gpus_peak']:,.0f} | {r['requests']:.3g} | {r['emissions_t']:,.1f} "
            f"| {r['wall_s']:.0f} s |")
    note = ("Generated by `/usr/bin/python3 scripts/serving_examples.py --write-doc scenarios/examples/README.md`"
            + (f" with `--set {' --set '.join(sets)}`" if sets else "") + (f" `--horizon {horizon}`" if horizon else "")
            + "; every figure read back from the run's file.")
    return note + "\n\n" + "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dcsim", type=Path, default=ROOT / "build" / "release" / "dcsim")
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "examples")
    ap.add_argument("--set", dest="sets", action="append", default=[])
    ap.add_argument("--horizon", help="a shorter span for every run (time.duration, e.g. 7d)")
    ap.add_argument("--only", action="append", default=[], help="scenario names to run (default: all)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--write-doc", type=Path)
    ap.add_argument("--rows-json", type=Path, action="append", default=[],
                    help="no runs: the rows of earlier --json files (in the examples' order)")
    a = ap.parse_args()
    rows = []
    if a.rows_json:
        got = {r["scenario"]: r for f in a.rows_json for r in json.loads(f.read_text())}
        rows = [got[n] for n, _ in EXAMPLES if n in got]
    else:
        a.out.mkdir(parents=True, exist_ok=True)
    for name, label in EXAMPLES if not a.rows_json else []:
        if a.only and name not in a.only:
            continue
        path, wall = run_one(a.dcsim, name, a.out, a.sets, a.horizon)
        rows.append(row_of(path, label, wall))
        print(f"{name}: {wall:.1f} s", file=sys.stderr)
    text = markdown(rows, a.sets, a.horizon)
    print(text)
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))
    if a.write_doc:
        doc = a.write_doc.read_text()
        if BEGIN not in doc or END not in doc:
            raise SystemExit(f"{a.write_doc}: no {BEGIN} … {END} markers")
        pre, rest = doc.split(BEGIN, 1)
        _, post = rest.split(END, 1)
        a.write_doc.write_text(pre + BEGIN + "\n" + text + "\n" + END + post)
    return 0


if __name__ == "__main__":
    sys.exit(main())
