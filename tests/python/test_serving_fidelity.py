"""The two serving fidelities agree inside the engine over a simulated day (issue 15 item 3):
`dcsim run` of the same scenario with `serving.fidelity: request` and `aggregated` — the
configuration of tests/unit/serving/test_fidelity.cpp (2 × Llama-3-8B on H100, diurnal Poisson
at 8 requests/s ±60 %, lognormal prompts of 2,000 and outputs of 400 tokens), now on the H100
site with the engine's site physics — gives the deployment's energy within 5 % and TTFT and
TPOT p50 and p99 within 10 %. The figures are printed (pytest -s) and quoted in
tests/bench/README.md."""
from __future__ import annotations

import pytest

from conftest import SOURCE_DIR, run_dcsim

SCENARIO = """\
name: serving-fidelity-day
seed: 42
time: {{start: 2024-01-01, duration: 1d, sample: 15min}}
site:
  platform: {platform}
  cooling: {{model: constant-pue, pue: 1.2}}
  supply:
    grid: {{carbon_gco2_per_kwh: 400}}
workload: {{generator: none}}
serving:
  fidelity: {fidelity}
  step: {step}
{extra}  deployments:
    - name: chat
      model: {{preset: llama-3-8b}}
      accelerator: H100-SXM
      tensor_parallel: 1
      replicas: 2
      slo: {{ttft: 500ms, tpot: 50ms}}
  streams:
    - name: users
      deployment: chat
      rate_per_s: 8
      daily_cycle: 0.6
      prompt_tokens: {{distribution: lognormal, mean: 2000, cv: 1.0, max: 16000}}
      output_tokens: {{distribution: lognormal, mean: 400, cv: 1.0, max: 3200}}
"""


@pytest.fixture(scope="module")
def day(require_binary, tmp_path_factory):
    import dcsim_analysis as da

    d = tmp_path_factory.mktemp("fidelity")
    out = {}
    for fid, step, extra in (("request", "1min", "  requests_table: false\n"), ("aggregated", "15min", "")):
        y = d / f"{fid}.yaml"
        y.write_text(SCENARIO.format(platform=SOURCE_DIR / "platforms" / "sites" / "large-10k-h100.yaml",
                                     fidelity=fid, step=step, extra=extra))
        h5 = d / f"{fid}.h5"
        run_dcsim(["run", y, "-q", "-o", h5])
        out[fid] = da.summary(h5)
    return out


def test_request_and_aggregated_agree_over_a_day_in_the_engine(day):
    req, agg = day["request"], day["aggregated"]
    keys = ["energy_kwh", "ttft_p50_s", "ttft_p99_s", "tpot_p50_s", "tpot_p99_s", "completed", "slo_attainment"]
    print("\nengine, one day, 2 x Llama-3-8B on H100:")
    print(f"  {'':12s}" + "".join(f"{k:>16s}" for k in keys))
    for name, s in (("request", req), ("aggregated", agg)):
        print(f"  {name:12s}" + "".join(f"{float(s['serving_0_' + k]):16.6g}" for k in keys))
    print(f"  {'agg/req - 1':12s}" + "".join(
        f"{100 * (float(agg['serving_0_' + k]) / float(req['serving_0_' + k]) - 1):+15.2f}%" for k in keys))
    assert float(req["serving_0_completed"]) > 5e5
    assert float(agg["serving_0_energy_kwh"]) == pytest.approx(float(req["serving_0_energy_kwh"]), rel=0.05)
    for k in ("ttft_p50_s", "ttft_p99_s", "tpot_p50_s", "tpot_p99_s"):
        assert float(agg[f"serving_0_{k}"]) == pytest.approx(float(req[f"serving_0_{k}"]), rel=0.10), k
    assert float(agg["serving_0_completed"]) == pytest.approx(float(req["serving_0_completed"]), rel=0.01)
