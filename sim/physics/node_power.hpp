#pragma once
// Power of a node's host (everything but its accelerators), and of the whole node.
//
// Equations (node on):
//   P_host(h, a) = P_host_idle + h·(P_host_busy − P_host_idle) + P_nic + P_fan(s)       [W]
//     h host load in [0, 1] (CPU data loading, preprocessing)
//     a accelerator heat fraction in [0, 1] = Σ accelerator power / (n · TDP)
//   P_fan(s) = P_fan_max · s³     (fan affinity law: power ∝ speed³)
//   s = s_0 + (1 − s_0)·max(h, a),   s_0 = (P_fan_idle / P_fan_max)^(1/3)
//     so P_fan(idle) = fan_idle_w and P_fan(full heat) = fan_max_w.
//   P_node = P_host + Σ_i P_accelerator_i
// Node off: off_power_w (BMC, standby). Booting: boot_power_w for boot_s; shutting down:
// shutdown_power_w for shutdown_s (constants of the NodeSpec).
//
// Parameters: NodeSpec (model/platform.hpp): host_idle_w, host_busy_w, nic_w, fan_idle_w,
// fan_max_w. Sources: fan affinity laws (ASHRAE Handbook, HVAC Systems and Equipment, ch. 21);
// node numbers in platforms/nodes.yaml cite their datasheets (maximum system power) and mark
// estimated splits.
#include "core/units.hpp"
#include "model/platform.hpp"

namespace dcsim {

// CPUs/memory/NIC/fans of a node that is on. accel_heat_fraction raises the fans with the
// accelerators' heat; leave it 0 for the host alone.
Watts host_power_w(const NodeSpec& n, double host_load, double accel_heat_fraction = 0.0);

// Fan power at a speed fraction driven by the given load (see the equations above).
Watts fan_power_w(const NodeSpec& n, double load);

// Whole node: host (with fans following the accelerators' heat) + accelerators.
Watts node_power_w(const NodeSpec& n, double host_load, Watts accelerators_w, Watts accelerator_tdp_w);

}  // namespace dcsim
