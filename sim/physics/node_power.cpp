#include "physics/node_power.hpp"

#include <algorithm>
#include <cmath>

namespace dcsim {

Watts fan_power_w(const NodeSpec& n, double load) {
  if (n.fan_max_w <= 0) return n.fan_idle_w;
  const double s0 = std::cbrt(std::clamp(n.fan_idle_w / n.fan_max_w, 0.0, 1.0));
  const double s = s0 + (1.0 - s0) * std::clamp(load, 0.0, 1.0);
  return n.fan_max_w * s * s * s;
}

Watts host_power_w(const NodeSpec& n, double host_load, double accel_heat_fraction) {
  const double h = std::clamp(host_load, 0.0, 1.0);
  return n.host_idle_w + h * (n.host_busy_w - n.host_idle_w) + n.nic_w +
         fan_power_w(n, std::max(h, accel_heat_fraction));
}

Watts node_power_w(const NodeSpec& n, double host_load, Watts accelerators_w,
                   Watts accelerator_tdp_w) {
  const double a = accelerator_tdp_w > 0 ? accelerators_w / accelerator_tdp_w : 0.0;
  return host_power_w(n, host_load, a) + accelerators_w;
}

}  // namespace dcsim
