#!/usr/bin/python3
"""Predicted power and throughput of every measured H200 phase on every chip of the catalogue,
obtained as a user would: `dcsim run` of one job of the phase on one node of each node type
(scenarios/calibration/h200-phase.yaml), reading the result file (h5py).

  predict.py DCSIM SRC            prints the table (markdown) that platforms/README.md quotes
  predict.py DCSIM SRC --check    exits 1 unless platforms/README.md holds exactly that table
                                  (between the markers <!-- predict:begin --> and <!-- predict:end -->)

Each phase is a profile with the H200 signature of the measurement (platforms/calibration/data):
the GEMM (shares compute 1, u 0.979, intensity 1, MFU 650/989.4), the copy (memory 1, u 0.983,
intensity 0.391), the four seed workloads and batch-1 decoding with their catalogue profiles
(workloads/profiles.yaml: shares, MFU, measured watts). On another chip the engine applies the
roofline transfer of the step (physics/dvfs.hpp) and the power transfer (physics/accelerator_power.hpp),
then the chip's power limit. Device power = accelerator_power_w / devices in the first hour (the
job runs throughout); throughput = the H200's measured rate at its top clock × (2 h on the reference at f_max / this run's
job time), so the H200 rows are the engine's own figures too (the GEMM runs throttled there).
Nothing here is fitted to another chip: they are predictions from datasheet facts and the H200.
"""
import csv
import os
import subprocess
import sys
import tempfile

import h5py
import yaml

DCSIM, SRC = sys.argv[1], sys.argv[2]
CHECK = "--check" in sys.argv[3:]
DATA = os.path.join(SRC, "platforms", "calibration", "data")
H200_FMAX = 1980.0   # device.json max_clock_sm_MHz
REF_S = 7200.0       # each phase job runs 2 h on the reference at f_max (duration median_h 2)
BEGIN, END = "<!-- predict:begin -->", "<!-- predict:end -->"

measured = {r["phase"]: r for r in csv.DictReader(open(os.path.join(DATA, "phases.csv")))}
profiles = yaml.safe_load(open(os.path.join(SRC, "workloads", "profiles.yaml")))["profiles"]
signatures = yaml.safe_load(open(os.path.join(SRC, "platforms", "calibration", "h200_phases.yaml")))["phases"]

# phase → (catalogue profile or None, unit, scale of items_per_s for display)
PHASES = [
    ("gemm_bf16_8192", None, "TFLOP/s", 1.0),
    ("memcopy_2GB", None, "TB/s", 1e-12),
    ("image_classification_resnet50", "image_classification", "images/s", 1.0),
    ("language_translation_transformer_base", "language_translation", "tokens/s", 1.0),
    ("speech_recognition_conformer", "speech_recognition", "audio-s/s", 1.0),
    ("generative_gpt2_medium_train", "generative_modelling", "tokens/s", 1.0),
    ("generative_gpt2_medium_decode", "llm_decode", "tokens/s", 1.0),
]


def catalogue(path):
    doc = {"version": 1, "profiles": {}}
    for phase, prof, _, _ in PHASES:
        base = {"description": f"H200 phase {phase}", "class": "calibration", "kind": "training",
                "host_load": 0.0, "gpus": {8: 1.0}, "duration": {"median_h": 2.0, "sigma": 0.0},
                "sources": {"power": "platforms/calibration/data/phases.csv"}}
        if prof is None:
            sig = signatures[phase]
            if phase.startswith("gemm"):
                # MFU at f_max: the measured 650 TFLOP/s ran at the throttled 1466 MHz.
                m = measured[phase]
                mfu = float(m["est_tflops"]) / 989.4 * H200_FMAX / float(m["mean_sm_MHz"])
                base.update(precision="bf16", mfu=round(mfu, 4),
                            shares={"compute": 1.0, "memory": 0.0, "io": 0.0})
            else:
                base.update(precision="bf16", mfu=0.0001, shares={"compute": 0.0, "memory": 1.0, "io": 0.0})
            base["power"] = {"utilisation": sig["utilisation"], "intensity": sig["intensity"]}
        else:
            p = profiles[prof]
            base.update(precision=p["precision"], mfu=p["mfu"], shares=p["shares"], power=p["power"])
        doc["profiles"]["phase_" + phase] = base
    yaml.safe_dump(doc, open(path, "w"))


def run(tmp, node_type, per_node, phase, cat):
    site = os.path.join(tmp, f"site-{node_type}.yaml")
    yaml.safe_dump({"name": f"one-{node_type}", "nodes": [{"type": node_type, "count": 1}],
                    "network": {"topology": "none", "nodes_per_rack": 1}}, open(site, "w"))
    out = os.path.join(tmp, f"{node_type}-{phase}.h5")
    cmd = [DCSIM, "run", os.path.join(SRC, "scenarios", "calibration", "h200-phase.yaml"), "-q", "-o", out,
           "--set", f"site.platform={site}", "--set", "time.duration=60d", "--set", "time.sample=1h",
           "--set", f"workload.catalogue=[{os.path.join(SRC, 'workloads', 'profiles.yaml')}, {cat}]",
           "--set", f"workload.fixed_profile=phase_{phase}", "--set", f"workload.gpus_per_job={per_node}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
    with h5py.File(out, "r") as f:
        if list(f["job_outcome"][:].astype(str)) != ["completed"]:
            sys.exit(f"FAIL: {node_type} {phase}: the job did not complete")
        dur = float(f["job_end_time"][0] - f["job_start_time"][0])
        return float(f["accelerator_power_w"][0]) / per_node, float(f["mean_freq_mhz"][0]), dur


def table():
    nodes = yaml.safe_load(open(os.path.join(SRC, "platforms", "nodes.yaml")))["node_types"]
    accs = yaml.safe_load(open(os.path.join(SRC, "platforms", "accelerators.yaml")))["accelerators"]
    lines = ["| chip | limit W | phase | H200 measured W | H200 measured rate | predicted W | predicted rate | clock MHz |",
             "|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        cat = os.path.join(tmp, "phases.yaml")
        catalogue(cat)
        ref = {}
        for phase, *_ in PHASES:
            ref[phase] = run(tmp, "dgx-h200", 8, phase, cat)
        seen = set()
        for t, n in nodes.items():
            a = n["accelerator"]
            if a in seen:
                continue
            seen.add(a)
            limit = n.get("power_limit_w", accs[a].get("default_power_limit_w", accs[a]["tdp_w"]))
            for phase, prof, unit, scale in PHASES:
                w, mhz, dur = ref[phase] if t == "dgx-h200" else run(tmp, t, n["accelerators_per_node"], phase, cat)
                m = measured[phase]
                rate_m = float(m["est_tflops"]) if unit == "TFLOP/s" else float(m["items_per_s"]) * scale
                # The measured rate at f_max (the GEMM ran throttled), times reference time / run time.
                rate = rate_m * H200_FMAX / float(m["mean_sm_MHz"]) * REF_S / dur
                lines.append(f"| {a} | {limit:g} | {phase} | {float(m['mean_W']):.0f} | {rate_m:,.3g} {unit} | "
                             f"{w:.0f} | {rate:,.3g} {unit} | {mhz:.0f} |")
    return "\n".join(lines)


text = table()
if not CHECK:
    print(text)
    sys.exit(0)
readme = open(os.path.join(SRC, "platforms", "README.md")).read()
if BEGIN not in readme or END not in readme:
    sys.exit(f"FAIL: platforms/README.md has no {BEGIN} … {END} block")
inside = readme.split(BEGIN, 1)[1].split(END, 1)[0].strip()
if inside != text.strip():
    print("FAIL: the prediction table in platforms/README.md differs from what the engine gives now:\n")
    print(text)
    sys.exit(1)
print(text)
print("\nplatforms/README.md's prediction table matches the engine")
