#!/usr/bin/python3
"""Per-accelerator (utilisation, intensity) of the `*_measured_power` validation profiles.

Patterson et al. 2021 (Table 4) give the *measured average system power per chip*: the chip
plus its share of host CPU, memory, network interface and fans. dcsim models a node as
(platforms/README.md, sim/physics/node_power.cpp, sim/physics/accelerator_power.cpp):

    P_node = n·P_dev + host_idle + h·(host_busy − host_idle) + nic + fans(max(h, P_dev/TDP))
    fans(x) = fan_max·(s0 + (1 − s0)·x)³,  s0 = (fan_idle/fan_max)^(1/3)
    P_dev  = idle + u·i·(full_power[p-state 0] − idle)          (utilisation exponent 1)

With the profile's host load h and utilisation u fixed, this script solves P_node / n = the
measured power per chip for P_dev (bisection: the left side rises with P_dev) and prints the
intensity i that the validation profile must carry. Run it from the repository root:

    /usr/bin/python3 scenarios/validation/derive_measured_power.py

It reads the node and accelerator figures from platforms/nodes.yaml and
platforms/accelerators.yaml, so a change there shows up here (and in the validation test).
"""
import sys

import yaml

ROWS = [  # profile prefix, node type, measured W per chip (Patterson et al. 2021, Table 4)
    ("evolved_transformer_nas", "tpu-v2-host", 208.0),
    ("t5", "tpu-v3-host", 310.0),
    ("meena", "tpu-v3-host", 289.0),
    ("gshard_600b", "tpu-v3-host", 288.0),
    ("switch_transformer", "tpu-v3-host", 245.0),
    ("gpt3", "v100-8gpu", 330.0),
]
UTILISATION = 0.995   # the llm_pretraining signature's utilisation (GPT-2 medium phase)
HOST_LOAD = 0.3       # the validation profiles' host load


def per_chip_w(node, acc, p_dev):
    n = node["accelerators_per_node"]
    fan_max = node.get("fan_max_w", node.get("fan_idle_w", 0.0))
    fan_idle = node.get("fan_idle_w", 0.0)
    s0 = (fan_idle / fan_max) ** (1.0 / 3.0) if fan_max > 0 else 1.0
    x = min(1.0, max(HOST_LOAD, p_dev / acc["tdp_w"]))
    fans = fan_max * (s0 + (1 - s0) * x) ** 3 if fan_max > 0 else fan_idle
    host = node["host_idle_w"] + HOST_LOAD * (node["host_busy_w"] - node["host_idle_w"]) + node.get("nic_w", 0.0) + fans
    return p_dev + host / n


def main():
    nodes = yaml.safe_load(open("platforms/nodes.yaml"))["node_types"]
    accs = yaml.safe_load(open("platforms/accelerators.yaml"))["accelerators"]
    for prefix, node_type, target in ROWS:
        node = nodes[node_type]
        acc = accs[node["accelerator"]]
        idle, full = acc["idle_power_w"], acc["pstates"][0]["full_power_w"]
        lo, hi = idle, full
        for _ in range(100):
            mid = 0.5 * (lo + hi)
            if per_chip_w(node, acc, mid) < target:
                lo = mid
            else:
                hi = mid
        p_dev = 0.5 * (lo + hi)
        i = (p_dev - idle) / (UTILISATION * (full - idle))
        print(f"{prefix:24s} {node['accelerator']:10s} target {target:5.0f} W/chip  device {p_dev:6.1f} W  "
              f"host share {target - p_dev:5.1f} W  intensity {i:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
