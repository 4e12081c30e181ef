#pragma once
// Plain platform data: accelerator and node specifications, as loaded from platforms/*.yaml.
// Units are in the field names. Behaviour (power as a function of state) is in sim/physics.
#include <map>
#include <string>
#include <vector>

#include "core/units.hpp"

namespace dcsim {

// One DVFS operating point. Index 0 of a table is the fastest state.
struct PState {
  Megahertz freq_mhz = 0;
  double rel_voltage = 0;      // V / V_max, 0 if unknown
  // Power of the whole device at this state running a kernel of intensity 1 at full
  // utilisation, with no power limit applied (W). Idle power is AcceleratorSpec::idle_power_w.
  Watts full_power_w = 0;
};

struct AcceleratorSpec {
  std::string name;                         // catalogue key, e.g. "H200-SXM"
  std::string kind = "gpu";                 // "gpu" | "tpu"
  std::map<std::string, double> peak_tflops;  // dense, per precision: fp64, fp32, tf32, bf16, fp16, fp8, int8
  double memory_gb = 0;
  double memory_bandwidth_tbps = 0;         // TB/s
  Watts tdp_w = 0;
  Watts idle_power_w = 0;
  Watts power_limit_min_w = 0;
  Watts power_limit_max_w = 0;
  Watts default_power_limit_w = 0;          // enforced limit out of the box (0 = tdp_w)
  std::vector<PState> pstates;              // descending frequency
  Seconds pstate_transition_s = 0;          // latency of one p-state switch
  Joules pstate_transition_j = 0;           // energy of one p-state switch
  // P = idle + u^α·intensity·(full − idle): α = 1 is linear in utilisation; α < 1 reproduces
  // the measured concave power-vs-duty curve of the H200 (physics/accelerator_power.hpp).
  double utilisation_exponent = 1.0;
  // Power limiter (physics/accelerator_power.hpp): the power the device's manager holds under
  // its limit is idle + (w + (1 − w)·u^α)·(burst − idle), a blend of the power while kernels run
  // (weight w) and the mean power; 0 = the mean power alone.
  double limiter_burst_weight = 0.0;
  // Memory power (physics/accelerator_power.hpp): while a step is memory-bound the memory system
  // draws memory_active_w_per_tbps · memory_bandwidth_tbps, plus memory_power_w_per_tbps per TB/s
  // of achieved HBM traffic. 0 = no memory term (all dynamic power scales with the clock).
  double memory_active_w_per_tbps = 0.0;
  double memory_power_w_per_tbps = 0.0;
  std::string source;                       // citation of the numbers

  Megahertz max_freq_mhz() const { return pstates.empty() ? 0 : pstates.front().freq_mhz; }
  double peak_flops(const std::string& precision) const {
    auto it = peak_tflops.find(precision);
    return it == peak_tflops.end() ? 0.0 : it->second * 1e12;
  }
};

struct NodeSpec {
  std::string name;                // catalogue key, e.g. "dgx-h200"
  std::string accelerator;         // key into the accelerator catalogue
  int accelerators_per_node = 8;
  Watts host_idle_w = 0;           // CPUs + memory + disks at idle
  Watts host_busy_w = 0;           // CPUs + memory at full host load (data loading, preprocessing)
  Watts nic_w = 0;                 // network interfaces (constant while on)
  Watts fan_idle_w = 0;            // fans at idle; fan power rises with the cube of speed
  Watts fan_max_w = 0;
  Watts off_power_w = 0;           // BMC and standby when powered off
  Seconds boot_s = 0;              // power-on to ready
  Watts boot_power_w = 0;          // average draw while booting
  Seconds shutdown_s = 0;
  Watts shutdown_power_w = 0;
  // Enforced power limit of each accelerator (W); 0 = the accelerator's default power limit.
  // Within the accelerator's allowed range [power_limit_min_w, power_limit_max_w].
  Watts power_limit_w = 0;
  std::string description;         // host CPUs, memory, NICs (free text, for `dcsim describe`)
  std::string source;
};

}  // namespace dcsim
