#!/usr/bin/env bash
# Roofline across chips (issue 14.1), through `dcsim run` and its result files: the same jobs on
# 2 DGX H200 and on 2 DGX H100 nodes (equal bf16 peak, 989.4 TFLOP/s; HBM 4.8 vs 3.35 TB/s,
# platforms/accelerators.yaml). By the roofline transfer (physics/dvfs.hpp roofline_transfer)
# only the memory part of a step scales with the bandwidth ratio 4.8/3.35 = 1.4328:
#   language_translation (compute 0.30, memory 0.60, io 0.10): t_H100/t_H200 = 0.30 + 0.60·1.4328 + 0.10 = 1.2597
#   image_classification (0.75, 0.15, 0.10):                  0.75 + 0.15·1.4328 + 0.10 = 1.0649
# Both run at f_max on both cards (356 W and 646 W per GPU on the H200, under the 700 W
# limits), so the ratio of job durations is the roofline's. Before issue 14 both ratios were 1.
#
# Usage: roofline_chips.sh <dcsim binary> <source dir>
set -u
DCSIM=${1:?usage: roofline_chips.sh <dcsim> <source dir>}
SRC=${2:?usage: roofline_chips.sh <dcsim> <source dir>}
PY=/usr/bin/python3
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
fail=0
for chip in h200 h100; do
  cat >"$OUT/site-$chip.yaml" <<YAML
name: roofline-$chip
nodes:
  - {type: dgx-$chip, count: 2}
network: {topology: leaf-spine, node_link_gbps: 400, uplink_gbps: 1600, link_latency_s: 1.0e-6, nodes_per_rack: 2, racks_per_row: 1, rows_per_room: 1, racks_per_power_domain: 1, racks_per_cooling_domain: 1, spine_switches: 1}
YAML
  for prof in language_translation image_classification; do
    cat >"$OUT/$chip-$prof.yaml" <<YAML
name: roofline-$chip-$prof
seed: 1
time: {start: 2024-01-01, duration: 20d, sample: 1h}
site:
  platform: $OUT/site-$chip.yaml
  cooling: {model: constant-pue, pue: 1.0}
  supply:
    grid: {carbon_gco2_per_kwh: 400, price_usd_per_kwh: 0.08}
workload:
  generator: fixed
  fixed_profile: $prof
  jobs: 6
  gpus_per_job: 8
  work_flops_per_job: 1.0e19
  arrival_process: regular
  interarrival: 2d
policies:
  scheduler: {name: fcfs}
output: {file: $OUT/$chip-$prof.h5}
YAML
    if ! "$DCSIM" run "$OUT/$chip-$prof.yaml" -q >"$OUT/$chip-$prof.log" 2>&1; then
      echo "FAIL: dcsim run $chip $prof"; cat "$OUT/$chip-$prof.log"; fail=1
    fi
  done
done
((fail)) && exit 1
"$PY" - "$OUT" <<'PY'
import sys, h5py, numpy as np
out = sys.argv[1]
ratio_bw = 4.8 / 3.35
expected = {"language_translation": 0.30 + 0.60 * ratio_bw + 0.10,
            "image_classification": 0.75 + 0.15 * ratio_bw + 0.10}
bad = 0
for prof, want in expected.items():
    d = {}
    for chip in ("h200", "h100"):
        with h5py.File(f"{out}/{chip}-{prof}.h5", "r") as f:
            assert f.attrs["complete"] in (1, True, b"true", "true"), "incomplete result file"
            oc = f["job_outcome"][()].astype(str)
            dur = (f["job_end_time"][()] - f["job_start_time"][()])[oc == "completed"]
            freq = f["job_mean_freq_mhz"][()][oc == "completed"]
        if len(dur) != 6:
            print(f"FAIL {prof} {chip}: {len(dur)} completed jobs, expected 6"); bad += 1
        d[chip] = (dur.mean(), freq.mean())
    got = d["h100"][0] / d["h200"][0]
    ok = abs(got / want - 1) < 0.005 and d["h100"][1] > 1970 and d["h200"][1] > 1970
    print(f"{prof}: mean duration H200 {d['h200'][0]/3600:.3f} h, H100 {d['h100'][0]/3600:.3f} h, "
          f"ratio {got:.4f} (roofline {want:.4f}), clocks {d['h200'][1]:.0f}/{d['h100'][1]:.0f} MHz: {'ok' if ok else 'FAIL'}")
    bad += not ok
sys.exit(1 if bad else 0)
PY
