#!/usr/bin/python3
"""Generates platforms/accelerators.yaml (the built-in accelerator catalogue).

Run from the repository root:  /usr/bin/python3 platforms/tools/make_accelerators.py
Edit the numbers HERE, not in the YAML (the YAML says it is generated). Users who add their own
accelerators write a YAML catalogue by hand (platforms/README.md) and never need this script.
It prints the H200 derivations (memory law, limiter weight, p-state law) from our measurement.

P-state tables follow one documented law per device (platforms/README.md, "P-state law"):

    v(f)      = v_min + (1 − v_min)·(f − f_min)/(f_max − f_min)         relative voltage
    P_full(f) = P_s + D·(f/f_max)·v(f)²                                 W, intensity-1 kernel,
                                                                         full utilisation, no cap
P_s is the frequency-independent part at load (memory, leakage, board), D the dynamic part at
f_max (CMOS switching power ∝ f·V²).

H200 (our measurement, platforms/calibration/data), physics/accelerator_power.hpp:
- memory law M = m·a·B + k·T from the two measured copies: memcopy_2GB (phases.csv, 4.25 TB/s)
  and the duty run's full-duty copy (duty.csv: kernels/s × 2 GiB moved per kernel, 1 GiB read
  and 1 GiB written, counted as phases.csv counts bytes moved): burst power above each run's
  own idle = a·B + k·T (m = 1) → k, a.
- limiter weight w: the duty curve's GEMM points (duty.csv) under the 700 W limit, with D
  re-solved for each w so that the GEMM phase (u 0.979) lands at 1470 MHz (measured 1466 MHz);
  w minimises the largest relative error of the mean power over the six duties.
The other devices are estimated: see `source`; they take the H200's limiter weight (same NVIDIA
power-management firmware, estimated) and memory law per TB/s (HBM energy per bit taken equal
across HBM2/2e/3/3e, estimated: published figures lie within ±30 %, O'Connor et al., MICRO 2017).
"""
import csv
import math
import os

H200_CAP_FREQ_MHZ = 1470
H200_LIMIT_W = 700.0
H200_GEMM_UTIL = 0.979
H200_IDLE_W = 130.0
DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "calibration", "data")


def vrel(f, fmin, fmax, vmin):
    return vmin + (1.0 - vmin) * (f - fmin) / (fmax - fmin)


def full_power(f, fmin, fmax, vmin, ps, d):
    return ps + d * (f / fmax) * vrel(f, fmin, fmax, vmin) ** 2


def memory_law():
    """(a W per TB/s of peak bandwidth, k W per TB/s of traffic) from the two H200 copies."""
    ph = {r["phase"]: r for r in csv.DictReader(open(os.path.join(DATA, "phases.csv")))}
    du = {r["phase"]: r for r in csv.DictReader(open(os.path.join(DATA, "duty.csv")))}
    c1 = ph["memcopy_2GB"]
    t1 = float(c1["items_per_s"]) / 1e12
    p1 = (float(c1["mean_W"]) - float(ph["idle"]["mean_W"])) / (float(c1["mean_util_gpu"]) / 100)
    c2 = du["copy_duty_1.0"]
    t2 = float(c2["kernels_per_s"]) * 2 * 2 ** 30 / 1e12
    p2 = (float(c2["mean_W"]) - float(du["idle"]["mean_W"])) / (float(c2["mean_util_gpu"]) / 100)
    k = (p1 - p2) / (t1 - t2)
    active = p1 - k * t1
    return active / 4.8, k, (t1, p1, t2, p2)


def h200_dynamic(fmin, fmax, vmin, ps, w):
    # The GEMM phase (u 0.979, I 1) sits exactly at the limit at 1470 MHz (1 mW below).
    g = w + (1 - w) * H200_GEMM_UTIL
    target = H200_IDLE_W + (H200_LIMIT_W - H200_IDLE_W) / g - 1e-3
    x = (H200_CAP_FREQ_MHZ / fmax) * vrel(H200_CAP_FREQ_MHZ, fmin, fmax, vmin) ** 2
    return (target - ps) / x


def duty_errors(w, law=dict(fmax=1980, fmin=345, step=15, vmin=0.55, ps=300)):
    d = h200_dynamic(law["fmin"], law["fmax"], law["vmin"], law["ps"], w)
    freqs = [law["fmax"] - i * law["step"] for i in range(int((law["fmax"] - law["fmin"]) / law["step"]) + 1)]
    out = []
    for r in csv.DictReader(open(os.path.join(DATA, "duty.csv"))):
        if not r["phase"].startswith("gemm"):
            continue
        u = float(r["duty"]) * H200_GEMM_UTIL
        g = w + (1 - w) * u
        f = next((f for f in freqs if H200_IDLE_W + g * (full_power(f, law["fmin"], law["fmax"], law["vmin"], law["ps"], d) - H200_IDLE_W) <= H200_LIMIT_W), freqs[-1])
        p = H200_IDLE_W + u * (full_power(f, law["fmin"], law["fmax"], law["vmin"], law["ps"], d) - H200_IDLE_W)
        out.append((float(r["duty"]), p / float(r["mean_W"]) - 1, f))
    return out


def fit_limiter_weight():
    best = min((max(abs(e) for _, e, _ in duty_errors(w / 100)), w / 100) for w in range(0, 101))
    return best[1]


MEM_ACTIVE, MEM_K, _COPIES = memory_law()
LIMITER_W = fit_limiter_weight()


NVIDIA_TRANSITION = ("estimated: NVIDIA does not publish clock-switch latency; tens of ms are "
                     "reported for application-clock changes, we use 10 ms and 1 J")

ACCELERATORS = [
    dict(name="V100-SXM2", kind="gpu",
         peak={"fp64": 7.8, "fp32": 15.7, "fp16": 125},
         memory_gb=32, bw=0.9, tdp=300, idle=45, lim=(150, 300),
         law=dict(fmax=1530, fmin=135, step=15, vmin=0.55, ps=110, d=240),
         source="NVIDIA Tesla V100 datasheet (SXM2: 7.8/15.7/125 TFLOP/s, 32 GB HBM2, 900 GB/s, "
                "300 W); clocks up to 1530 MHz and 150-300 W limit range: nvidia-smi -q; "
                "docs/REFERENCE.md (Patterson et al. 2021: peak 125 TFLOP/s). idle (45 W with a CUDA "
                "context) and the p-state powers are estimated (P-state law, P_s 110 W, D 240 W), "
                "chosen so a GEMM under the 300 W cap runs near 1350 MHz"),
    dict(name="A100-SXM4-40GB", kind="gpu",
         peak={"fp64": 19.5, "fp32": 19.5, "tf32": 156, "bf16": 312, "fp16": 312, "int8": 624},
         memory_gb=40, bw=1.555, tdp=400, idle=55, lim=(100, 400),
         law=dict(fmax=1410, fmin=210, step=15, vmin=0.55, ps=140, d=330),
         source="NVIDIA A100 Tensor Core GPU datasheet (SXM4 40GB: 19.5 fp64 tensor, 156 tf32, "
                "312 bf16/fp16, 624 int8 dense TFLOP/s; 1,555 GB/s; 400 W); clocks 210-1410 MHz "
                "in 15 MHz steps (docs/REFERENCE.md); 100-400 W limit range: nvidia-smi -q. idle and "
                "p-state powers estimated (P-state law, P_s 140 W, D 330 W)"),
    dict(name="A100-SXM4-80GB", kind="gpu",
         peak={"fp64": 19.5, "fp32": 19.5, "tf32": 156, "bf16": 312, "fp16": 312, "int8": 624},
         memory_gb=80, bw=2.039, tdp=400, idle=60, lim=(100, 400),
         law=dict(fmax=1410, fmin=210, step=15, vmin=0.55, ps=150, d=330),
         source="NVIDIA A100 Tensor Core GPU datasheet (SXM4 80GB: as 40GB, 2,039 GB/s, 400 W); "
                "docs/REFERENCE.md; idle and p-state powers estimated (P-state law, P_s 150 W, D 330 W)"),
    dict(name="H100-SXM", kind="gpu",
         peak={"fp64": 67, "fp32": 67, "tf32": 494.7, "bf16": 989.4, "fp16": 989.4,
               "fp8": 1978.9, "int8": 1978.9},
         memory_gb=80, bw=3.35, tdp=700, idle=115, lim=(200, 700),
         law=dict(fmax=1980, fmin=345, step=15, vmin=0.55, ps=285, d=None),
         source="NVIDIA H100 Tensor Core GPU datasheet (SXM5 80GB: 67 fp64 tensor, 494.7 tf32, "
                "989.4 bf16/fp16, 1978.9 fp8/int8 dense TFLOP/s; 3.35 TB/s; up to 700 W); clocks "
                "345-1980 MHz (docs/REFERENCE.md). idle (115 W) and p-states estimated from our H200 "
                "measurement (same GH100 die: same dynamic part D, 15 W less static for 80 GB "
                "HBM3 instead of 141 GB HBM3e)"),
    dict(name="H200-SXM", kind="gpu",
         peak={"fp64": 67, "fp32": 67, "tf32": 494.7, "bf16": 989.4, "fp16": 989.4,
               "fp8": 1978.9, "int8": 1978.9},
         memory_gb=141, bw=4.8, tdp=700, idle=130, lim=(200, 700),
         law=dict(fmax=1980, fmin=345, step=15, vmin=0.55, ps=300, d=None),
         source="NVIDIA H200 datasheet (141 GB HBM3e, 4.8 TB/s, up to 700 W, compute as H100 "
                "SXM); our measurement (platforms/calibration/data: idle 130 W with a CUDA "
                "context, 200-700 W limit range and 345-1980 MHz in 15 MHz steps from "
                "device.json, bf16 GEMM at 1466 MHz / 677 W under the 700 W cap); p-state law "
                "solved so the GEMM (u 0.979) meets the 700 W limit at 1470 MHz under the limiter law (P_s 300 W; "
                "v_min 0.55 estimated); limiter_burst_weight fitted on duty.csv's GEMM points; memory law "
                "(memory_active_w_per_tbps, memory_power_w_per_tbps) from the two measured copies (phases.csv "
                "memcopy_2GB, duty.csv copy_duty_1.0); make_accelerators.py prints both derivations"),
    dict(name="TPU-v2", kind="tpu",
         peak={"bf16": 46},
         memory_gb=16, bw=0.6, tdp=280, idle=60, lim=(280, 280),
         law=dict(fmax=700, fmin=350, step=70, vmin=0.7, ps=110, d=140),
         source="Patterson et al. 2021 (docs/REFERENCE.md: 46 TFLOP/s peak, 280 W TDP); Jouppi et al., "
                "CACM 2020 (16 GiB HBM, 600 GB/s, 700 MHz). No user power limit (min = max = TDP). "
                "idle and the p-state table are estimated: Google publishes no DVFS states"),
    dict(name="TPU-v3", kind="tpu",
         peak={"bf16": 123},
         memory_gb=32, bw=0.9, tdp=450, idle=80, lim=(450, 450),
         law=dict(fmax=940, fmin=470, step=94, vmin=0.7, ps=130, d=224),
         source="Patterson et al. 2021 (docs/REFERENCE.md: 123 TFLOP/s peak, 450 W TDP); Jouppi et al., "
                "CACM 2020 (32 GiB HBM, 900 GB/s, 940 MHz). No user power limit. idle and p-states "
                "estimated; the P-state law (P_s, D) is sized so the tpu-v3-host node draws "
                "Patterson et al. 2021 Table 3's 283 W per chip at the GPT-2 training load"),
    dict(name="TPU-v4", kind="tpu",
         peak={"bf16": 275, "int8": 275},
         memory_gb=32, bw=1.2, tdp=192, idle=55, lim=(192, 192),
         law=dict(fmax=1050, fmin=525, step=105, vmin=0.7, ps=80, d=100),
         source="Jouppi et al., ISCA 2023 'TPU v4' (275 TFLOP/s bf16/int8, 32 GiB HBM2 at "
                "1.2 TB/s, 1050 MHz, 192 W max / 170 W mean); docs/REFERENCE.md. No user power limit. "
                "idle and p-states estimated"),
]


def pstates(a):
    law = a["law"]
    fmax, fmin, step, vmin, ps = law["fmax"], law["fmin"], law["step"], law["vmin"], law["ps"]
    d = law["d"] if law["d"] is not None else h200_dynamic(fmin, fmax, vmin, 300.0, LIMITER_W)
    out = []
    f = fmax
    while f >= fmin - 1e-9:
        out.append((f, vrel(f, fmin, fmax, vmin), full_power(f, fmin, fmax, vmin, ps, d)))
        f -= step
    return out, d


def fmt(x):
    return ("%.3f" % x).rstrip("0").rstrip(".")


def main():
    t1, p1, t2, p2 = _COPIES
    print(f"memory law from the H200 copies: {t1:.3f} TB/s -> {p1:.1f} W, {t2:.3f} TB/s -> {p2:.1f} W above idle: "
          f"a = {MEM_ACTIVE:.2f} W per TB/s of peak (x 4.8 = {MEM_ACTIVE * 4.8:.1f} W), k = {MEM_K:.2f} W per TB/s moved; "
          f"the whole copy {p1 / t1:.1f} W per TB/s")
    print(f"limiter burst weight w = {LIMITER_W:.2f}; GEMM duty errors: " +
          ", ".join(f"{d:.2f}: {100 * e:+.1f} % at {f} MHz" for d, e, f in duty_errors(LIMITER_W)))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    lines = [
        "# dcsim accelerator catalogue. GENERATED by platforms/tools/make_accelerators.py: edit the",
        "# numbers there and re-run it. Every field is documented, with its unit, in",
        "# platforms/README.md. To add your own accelerator, write a catalogue file of the same",
        "# shape and list it under `catalogue:` in your site platform file.",
        "accelerators:",
    ]
    for a in ACCELERATORS:
        table, d = pstates(a)
        lines.append(f"  {a['name']}:")
        lines.append(f"    kind: {a['kind']}")
        peak = ", ".join(f"{k}: {fmt(v)}" for k, v in a["peak"].items())
        lines.append(f"    peak_tflops: {{{peak}}}")
        lines.append(f"    memory_gb: {fmt(a['memory_gb'])}")
        lines.append(f"    memory_bandwidth_tbps: {fmt(a['bw'])}")
        lines.append(f"    tdp_w: {fmt(a['tdp'])}")
        lines.append(f"    idle_power_w: {fmt(a['idle'])}")
        lines.append(f"    power_limit_min_w: {fmt(a['lim'][0])}")
        lines.append(f"    power_limit_max_w: {fmt(a['lim'][1])}")
        lines.append("    pstate_transition_s: 0.01")
        lines.append("    pstate_transition_j: 1")
        lines.append("    utilisation_exponent: 1")
        if a["kind"] == "gpu":
            lines.append(f"    limiter_burst_weight: {LIMITER_W:.2f}   # fitted on the H200 duty curve (estimated for other GPUs)")
        lines.append(f"    memory_active_w_per_tbps: {MEM_ACTIVE:.2f}   # H200 copies (estimated for other HBM devices)")
        lines.append(f"    memory_power_w_per_tbps: {MEM_K:.2f}")
        law = a["law"]
        lines.append(f"    # P-state law: v_min {law['vmin']}, P_s {law['ps']} W, D {d:.1f} W, "
                     f"{law['fmin']}-{law['fmax']} MHz in {law['step']} MHz steps")
        lines.append("    pstates:")
        for f, v, p in table:
            lines.append(f"      - {{freq_mhz: {fmt(f)}, rel_voltage: {v:.3f}, full_power_w: {p:.1f}}}")
        src = a["source"]
        if a["name"] != "H200-SXM":
            src += ("; limiter weight (GPUs) and memory law per TB/s estimated: taken from our H200 measurement "
                    "(same NVIDIA power management; HBM energy per bit taken equal across generations)")
        if a["kind"] == "gpu":
            src += "; transition latency/energy " + NVIDIA_TRANSITION
        else:
            src += "; transition latency/energy estimated (10 ms, 1 J)"
        lines.append(f"    source: \"{src}\"")
    with open(os.path.join(root, "accelerators.yaml"), "w") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
