#!/usr/bin/env bash
# Power across chips (issue 14.2), through `dcsim run` and its result files: two chips of equal
# bf16 peak (H200 and H100, 989.4 TFLOP/s) and different HBM bandwidth (4.8 vs 3.35 TB/s), one
# 8-GPU job on one node of each (scenarios/calibration/h200-phase.yaml with the site replaced):
#   - a memory-bound job (shares 0/1/0) runs 4.8/3.35 = 1.4328 times longer on the H100;
#   - a compute-bound job (1/0/0, below the power limit on both) runs equally long;
#   - the energy per unit of work of a memory-heavy job (compute 0.2, memory 0.8, u 1, intensity
#     0.6) is as hand-calculated below from the catalogue's numbers (platforms/accelerators.yaml)
#     and the equations of physics/accelerator_power.hpp (split_burst_power, transfer_power);
#   - a measured power on a named accelerator (`accelerators: {H100-SXM: {power_w: 450}}`) is what
#     the H100 draws, and a profile giving both power_w and intensity there is refused naming the key;
#   - the GEMM on either chip runs into the 700 W limit and lowers its clock (H200: 1470 MHz,
#     measured 1466 MHz, within 5 %).
# Usage: power_chips.sh <dcsim binary> <source dir>
set -u
DCSIM=${1:?usage: power_chips.sh <dcsim> <source dir>}
SRC=${2:?usage: power_chips.sh <dcsim> <source dir>}
exec /usr/bin/python3 - "$DCSIM" "$SRC" <<'PY'
import os, subprocess, sys, tempfile
import h5py, yaml

DCSIM, SRC = sys.argv[1], sys.argv[2]
acc = yaml.safe_load(open(os.path.join(SRC, "platforms", "accelerators.yaml")))["accelerators"]
bad = []

PROFILES = {  # name: (shares, utilisation, intensity)
    "mem_bound": ((0.0, 1.0, 0.0), 0.983, 0.391),
    "compute_bound": ((1.0, 0.0, 0.0), 1.0, 0.5),
    "mem_heavy": ((0.2, 0.8, 0.0), 1.0, 0.6),
    "gemm": ((1.0, 0.0, 0.0), 0.979, 1.0),
    "measured_h100": ((0.2, 0.8, 0.0), 1.0, 0.6),
}

with tempfile.TemporaryDirectory() as tmp:
    cat = os.path.join(tmp, "p.yaml")
    doc = {"version": 1, "profiles": {}}
    for n, ((c, m, io), u, i) in PROFILES.items():
        doc["profiles"][n] = {"description": n, "class": "test", "kind": "training", "precision": "bf16",
                              "mfu": 0.3, "shares": {"compute": c, "memory": m, "io": io},
                              "power": {"utilisation": u, "intensity": i}, "host_load": 0.0,
                              "gpus": {8: 1.0}, "duration": {"median_h": 2.0, "sigma": 0.0},
                              "sources": {"power": "test"}}
    doc["profiles"]["measured_h100"]["accelerators"] = {"H100-SXM": {"power_w": 450}}
    yaml.safe_dump(doc, open(cat, "w"))
    bad_doc = {"version": 1, "profiles": {"both": dict(doc["profiles"]["mem_heavy"])}}
    bad_doc["profiles"]["both"]["accelerators"] = {"H100-SXM": {"power_w": 450, "utilisation": 1.0, "intensity": 0.5}}
    bad_cat = os.path.join(tmp, "bad.yaml")
    yaml.safe_dump(bad_doc, open(bad_cat, "w"))
    r = subprocess.run([DCSIM, "run", os.path.join(SRC, "scenarios", "calibration", "h200-phase.yaml"), "-q",
                        "-o", os.path.join(tmp, "bad.h5"), "--set",
                        f"workload.catalogue=[{os.path.join(SRC, 'workloads', 'profiles.yaml')}, {bad_cat}]",
                        "--set", "workload.fixed_profile=both"], capture_output=True, text=True)
    msg = r.stderr + r.stdout
    if r.returncode == 0 or "power_w" not in msg or "bad.yaml" not in msg:
        bad.append(f"power_w with intensity was not refused naming the file and key: rc {r.returncode}: {msg.strip()[:300]}")
    else:
        print("power_w together with utilisation/intensity: refused:", msg.strip().splitlines()[0][:160])
    res = {}
    for chip in ("h200", "h100"):
        site = os.path.join(tmp, f"site-{chip}.yaml")
        yaml.safe_dump({"name": chip, "nodes": [{"type": f"dgx-{chip}", "count": 1}],
                        "network": {"topology": "none", "nodes_per_rack": 1}}, open(site, "w"))
        for n in PROFILES:
            out = os.path.join(tmp, f"{chip}-{n}.h5")
            cmd = [DCSIM, "run", os.path.join(SRC, "scenarios", "calibration", "h200-phase.yaml"), "-q", "-o", out,
                   "--set", f"site.platform={site}", "--set", "time.duration=1d",
                   "--set", f"workload.catalogue=[{os.path.join(SRC, 'workloads', 'profiles.yaml')}, {cat}]",
                   "--set", f"workload.fixed_profile={n}"]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode:
                sys.exit(f"FAIL: {' '.join(cmd)}: {r.stderr.strip()}")
            with h5py.File(out, "r") as f:
                assert list(f["job_outcome"][:].astype(str)) == ["completed"], f"{chip} {n}: job not completed"
                res[chip, n] = (float(f["accelerator_power_w"][0]) / 8,
                                float(f["job_end_time"][0] - f["job_start_time"][0]),
                                float(f["mean_freq_mhz"][0]))


def ratio(n):
    return res["h100", n][1] / res["h200", n][1]


bw = acc["H200-SXM"]["memory_bandwidth_tbps"] / acc["H100-SXM"]["memory_bandwidth_tbps"]
for n, want in (("mem_bound", bw), ("compute_bound", 1.0)):
    got = ratio(n)
    ok = abs(got / want - 1) < 1e-3
    print(f"{n}: run time H100/H200 {got:.4f}, expected {want:.4f}: {'ok' if ok else 'FAIL'}")
    if not ok:
        bad.append(n)

# Hand calculation for mem_heavy (c 0.2, m 0.8, u 1, I 0.6), physics/accelerator_power.hpp.
H, G = acc["H200-SXM"], acc["H100-SXM"]
eta = 4.2496 / 4.8
R_h = H["pstates"][0]["full_power_w"] - H["idle_power_w"]
R_g = G["pstates"][0]["full_power_w"] - G["idle_power_w"]
burst = 0.6 * R_h
traffic = 0.8 * eta * H["memory_bandwidth_tbps"]
law_h = 0.8 * H["memory_active_w_per_tbps"] * H["memory_bandwidth_tbps"] + H["memory_power_w_per_tbps"] * traffic
M_h = min(burst, law_h)
I_h = (burst - M_h) / R_h
P_h = H["idle_power_w"] + burst                               # at 1980 MHz, under 700 W
S = 0.2 + 0.8 * bw                                            # equal peaks: only memory scales
m_g = 0.8 * bw / S
I_g = I_h / S
M_g = M_h / law_h * (m_g * G["memory_active_w_per_tbps"] * G["memory_bandwidth_tbps"] +
                     G["memory_power_w_per_tbps"] * traffic / S)
P_g = G["idle_power_w"] + I_g * R_g + M_g
e_ratio = P_g * S / P_h                                       # energy per unit of work, H100 / H200
got_e = res["h100", "mem_heavy"][0] * res["h100", "mem_heavy"][1] / (res["h200", "mem_heavy"][0] * res["h200", "mem_heavy"][1])
print(f"mem_heavy: H200 {res['h200', 'mem_heavy'][0]:.2f} W (hand {P_h:.2f}), H100 {res['h100', 'mem_heavy'][0]:.2f} W "
      f"(hand {P_g:.2f}), energy per work H100/H200 {got_e:.4f} (hand {e_ratio:.4f})")
for got, want, what in ((res["h200", "mem_heavy"][0], P_h, "H200 power"), (res["h100", "mem_heavy"][0], P_g, "H100 power"),
                        (got_e, e_ratio, "energy per work ratio"), (ratio("mem_heavy"), S, "run time ratio")):
    if abs(got / want - 1) > 1e-3:
        bad.append(f"mem_heavy {what}: {got:.4f} vs hand {want:.4f}")
# A memory-bound job draws less on the slower-memory chip (compute units partly idle).
if not res["h100", "mem_heavy"][0] < res["h200", "mem_heavy"][0]:
    bad.append("mem_heavy does not draw less on the H100")
for chip, limit in (("h200", 700), ("h100", 700)):
    w, _, mhz = res[chip, "gemm"]
    print(f"gemm on {chip}: {w:.1f} W at {mhz:.0f} MHz (limit {limit} W)")
    if w > limit or mhz >= 1980:
        bad.append(f"gemm on {chip} does not run into its limit: {w:.1f} W at {mhz:.0f} MHz")
if abs(res["h200", "gemm"][2] / 1466.2 - 1) > 0.05:
    bad.append(f"H200 GEMM clock {res['h200', 'gemm'][2]:.0f} MHz not within 5 % of the measured 1466 MHz")
w_meas = res["h100", "measured_h100"][0]
print(f"measured_h100 on the H100: {w_meas:.2f} W (measured power_w 450), on the H200 {res['h200', 'measured_h100'][0]:.2f} W (model)")
if abs(w_meas / 450 - 1) > 1e-3 or abs(res["h200", "measured_h100"][0] / P_h - 1) > 1e-3:
    bad.append("the measured power_w on the H100 is not what it draws, or it leaked onto the H200")
for (chip, n), (w, _, _) in res.items():
    if w > 700 * (1 + 1e-9):
        bad.append(f"{chip} {n}: {w:.1f} W above the 700 W limit")
if bad:
    print("FAILED:\n  " + "\n  ".join(bad))
    sys.exit(1)
print("all checks passed")
PY
