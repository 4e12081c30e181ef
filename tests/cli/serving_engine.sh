#!/usr/bin/env bash
# `serving` in `dcsim run` and `dcsim validate` (issue 15 phase 2, engine/serving.cpp).
#  - a request table asked of the aggregated fidelity (it has no individual requests) is refused
#    by both commands with one error naming the file, line and key (exit 2, no result file);
#  - the request fidelity writes the request table by default (`requests_table`): one row per
#    completed or rejected request, read back with h5py: rows = completed + rejected of the
#    summary, its TTFT p99 and SLO attainment agree with the summary's (which come from the
#    fleet's histograms), arrival ≤ first token ≤ end; `requests_table: false` writes none;
#  - with `requests_table: false` the scenario runs, in the request fidelity (1-minute steps)
#    and in the aggregated one with a 30-minute step (longer than the 15-minute sample): the
#    result file holds the `deployment` series and the `serving_*` summary (analysis/SCHEMA.md),
#    read back here with h5py: tokens completed > 0 in every sample, the deployment's power
#    series integrates to its energy total, serving power is inside the accelerator power series,
#    and facility energy exceeds the run without serving.
# Usage: serving_engine.sh DCSIM_BINARY SOURCE_DIR
set -u
dcsim=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
passed=0
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
pass() { echo "ok   $1"; passed=$((passed + 1)); }

scenario() {  # $1: extra serving keys (indented by two spaces)
  cat <<YAML
name: serving-cli-test
seed: 1
time: {start: 2024-01-01, duration: 2h, sample: 15min}
site:
  platform: $src/platforms/sites/quickstart-h200.yaml
  cooling: {model: constant-pue, pue: 1.2}
  supply:
    grid: {carbon_gco2_per_kwh: 400}
workload: {generator: none}
serving:
$1
  deployments:
    - name: chat
      model: {preset: llama-3-8b}
      accelerator: H200-SXM
      replicas: 2
  streams:
    - name: chat
      deployment: chat
      rate_per_s: 5
      prompt_tokens: {distribution: fixed, mean: 500}
      output_tokens: {distribution: fixed, mean: 100}
YAML
}

# refused NAME FILE REGEX: run and validate both exit 2 with one error matching REGEX, no result.
refused() {
  local name=$1 file=$2 want=$3
  rm -f "$tmp"/out.h5*
  "$dcsim" run "$file" -o "$tmp/out.h5" --quiet >"$tmp/stdout" 2>"$tmp/stderr"
  local rc=$?
  if [ $rc -ne 2 ]; then fail "$name run: exit code $rc, expected 2"; else pass "$name run: exit code 2"; fi
  if grep -Eq -- "$want" "$tmp/stderr"; then pass "$name run: $(head -1 "$tmp/stderr")"
  else fail "$name run: error does not match /$want/:"; sed 's/^/    /' "$tmp/stderr"; fi
  local n
  n=$(grep -c '^error:' "$tmp/stderr")
  if [ "$n" -eq 1 ]; then pass "$name run: one error"; else fail "$name run: $n errors, expected 1"; fi
  if ls "$tmp"/out.h5* >/dev/null 2>&1; then fail "$name run: a result file was left behind"; else pass "$name run: no result file"; fi
  "$dcsim" validate "$file" >"$tmp/stdout" 2>"$tmp/stderr"
  rc=$?
  if [ $rc -ne 2 ]; then fail "$name validate: exit code $rc, expected 2"; else pass "$name validate: exit code 2"; fi
  if grep -Eq -- "$want" "$tmp/stderr"; then pass "$name validate: names file, line and key"
  else fail "$name validate: error does not match /$want/:"; sed 's/^/    /' "$tmp/stderr"; fi
}

# The aggregated fidelity has no requests to tabulate: an explicit `requests_table: true` is
# refused at that key (line 12).
scenario "  fidelity: aggregated
  requests_table: true" >"$tmp/table.yaml"
refused "request table of the aggregated fidelity" "$tmp/table.yaml" \
  "table\.yaml:12:[0-9]+: serving\.requests_table: expected requests_table: false with fidelity: aggregated"

# The request fidelity writes the table by default.
scenario "  fidelity: request" >"$tmp/table.yaml"
if "$dcsim" run "$tmp/table.yaml" -o "$tmp/table.h5" --quiet 2>"$tmp/stderr" && [ -f "$tmp/table.h5" ]; then
  pass "the request fidelity runs with its request table"
  if /usr/bin/python3 - "$tmp/table.h5" <<'PY'
import sys
import h5py
import numpy as np
bad = []
with h5py.File(sys.argv[1], "r") as f:
    a = f.attrs
    n = len(f["request_id"])
    want = float(a["summary_serving_0_completed"]) + float(a["summary_serving_0_rejected"])
    if n != want: bad.append(f"{n} rows, summary completed + rejected = {want}")
    out = np.array([x.decode() if isinstance(x, bytes) else x for x in f["request_outcome"][...]])
    done = out == "completed"
    ttft = f["request_ttft_s"][...][done]
    p99 = float(np.quantile(ttft, 0.99))
    s99 = float(a["summary_serving_0_ttft_p99_s"])
    if abs(p99 - s99) > 0.03 * s99: bad.append(f"table TTFT p99 {p99} vs summary {s99}")
    # without an SLO (-1) every request counts as meeting it, as in the summary
    slo = float(np.mean(f["request_slo_met"][...][done] != 0))
    if abs(slo - float(a["summary_serving_0_slo_attainment"])) > 1e-9: bad.append(f"SLO attainment {slo}")
    arr, first, end = (f[k][...][done] for k in ("request_arrival_time", "request_first_token_time", "request_end_time"))
    if not (np.all(arr <= first) and np.all(first <= end)): bad.append("arrival <= first token <= end fails")
    units = [x.decode() if isinstance(x, bytes) else str(x) for x in (f["request_arrival_time"].attrs["units"], f["time"].attrs["units"])]
    if units[0] != units[1]: bad.append(f"time units {units}")
    print(f"{n} requests, TTFT p99 {p99*1e3:.2f} ms (summary {s99*1e3:.2f} ms), SLO attainment {slo:.4f}")
for b in bad: print("  " + b)
sys.exit(1 if bad else 0)
PY
  then pass "table.h5: one row per request, agreeing with the summary"
  else fail "table.h5: its request table"; fi
else
  fail "the request fidelity does not run with its request table:"; sed 's/^/    /' "$tmp/stderr"
fi

# It runs with requests_table: false, and aggregated with a step longer than the sample.
scenario "  requests_table: false" >"$tmp/serving.yaml"
scenario "  fidelity: aggregated
  step: 30min" >"$tmp/agg.yaml"
for f in serving agg; do
  if "$dcsim" validate "$tmp/$f.yaml" >"$tmp/stdout" 2>"$tmp/stderr"; then pass "validate accepts $f.yaml"
  else fail "validate refuses $f.yaml:"; sed 's/^/    /' "$tmp/stderr"; fi
  if "$dcsim" run "$tmp/$f.yaml" -o "$tmp/$f.h5" --quiet 2>"$tmp/stderr" && [ -f "$tmp/$f.h5" ]; then
    pass "$f.yaml runs"
  else
    fail "$f.yaml does not run:"; sed 's/^/    /' "$tmp/stderr"
  fi
done
sed '/^serving:/,$d' "$tmp/serving.yaml" >"$tmp/plain.yaml"
if "$dcsim" run "$tmp/plain.yaml" -o "$tmp/plain.h5" --quiet 2>"$tmp/stderr" && [ -f "$tmp/plain.h5" ]; then
  pass "the scenario without serving runs"
else
  fail "the scenario without serving does not run:"; sed 's/^/    /' "$tmp/stderr"
fi

for f in serving agg; do
if [ -f "$tmp/$f.h5" ] && [ -f "$tmp/plain.h5" ]; then
  if /usr/bin/python3 - "$tmp/$f.h5" "$tmp/plain.h5" <<'PY'
import sys
import h5py
import numpy as np
srv, plain = sys.argv[1], sys.argv[2]
bad = []
with h5py.File(srv, "r") as f, h5py.File(plain, "r") as g:
    a = f.attrs
    name = a["serving_deployment_0"]
    name = name.decode() if isinstance(name, bytes) else str(name)
    if name != "chat": bad.append(f"serving_deployment_0 = {name!r}")
    if float(a["summary_serving_tokens_out"]) <= 0: bad.append("no tokens")
    if float(a["summary_serving_0_completed"]) <= 0: bad.append("no completed requests")
    p = np.asarray(f["serving_power_w"][...], dtype=float)  # (time, deployment)
    if p.shape != (8, 1): bad.append(f"serving_power_w shape {p.shape}")
    e_series = float(p.sum()) * 900 / 3.6e6
    e_total = float(a["summary_serving_0_energy_kwh"])
    if abs(e_series - e_total) > 1e-5 * e_total: bad.append(f"series {e_series} kWh vs total {e_total} kWh")
    acc = np.asarray(f["accelerator_power_w"][...], dtype=float)
    if not np.all(acc >= p[:, 0] - 1e-3 * acc): bad.append("serving power above accelerator power")
    if float(a["summary_facility_energy_kwh"]) <= float(g.attrs["summary_facility_energy_kwh"]):
        bad.append("facility energy not above the run without serving")
    tok = np.asarray(f["serving_tokens_out_per_s"][...], dtype=float)
    if not np.all(tok > 0): bad.append("a sample without tokens")
    print(f"tokens {float(a['summary_serving_tokens_out']):.0f}, serving {e_total:.3f} kWh, "
          f"J/token {float(a['summary_serving_0_j_per_output_token']):.3f}, facility "
          f"{float(a['summary_facility_energy_kwh']):.2f} vs {float(g.attrs['summary_facility_energy_kwh']):.2f} kWh")
    if "request_id" in f or "request" in f: bad.append("a request table although requests_table: false / aggregated")
for b in bad: print("  " + b)
sys.exit(1 if bad else 0)
PY
  then pass "$f.h5 holds the deployment series and the serving summary"
  else fail "$f.h5: its serving content"; fi
fi
done

echo "$passed passed, $failures failed"
[ $failures -eq 0 ]
