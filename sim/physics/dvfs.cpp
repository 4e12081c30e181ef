#include "physics/dvfs.hpp"

#include <algorithm>
#include <stdexcept>

namespace dcsim {

double slowdown(const JobProfile& p, Megahertz f, Megahertz f_max) {
  const double c = std::max(p.compute_share, 0.0);
  const double m = std::max(p.memory_share, 0.0);
  const double io = std::max(p.io_share, 0.0);
  const double sum = c + m + io;
  if (sum <= 0 || f_max <= 0) return 1.0;
  if (f <= 0) throw std::invalid_argument("slowdown: frequency must be > 0");
  return (c * f_max / f + m + io) / sum;
}

FlopsPerSecond effective_peak_flops(const AcceleratorSpec& a, const std::string& precision) {
  auto has = [&](const char* k) { return a.peak_tflops.count(k) > 0 && a.peak_flops(k) > 0; };
  if (has(precision.c_str())) return a.peak_flops(precision);
  auto first_of = [&](std::initializer_list<const char*> keys) -> FlopsPerSecond {
    for (const char* k : keys) {
      if (has(k)) return a.peak_flops(k);
    }
    return 0;
  };
  FlopsPerSecond f = 0;
  if (precision == "bf16") f = first_of({"fp16"});
  else if (precision == "fp16") f = first_of({"bf16"});
  else if (precision == "fp8" || precision == "int8") f = first_of({"bf16", "fp16"});
  else if (precision == "tf32") f = first_of({"fp32"});
  if (f <= 0 && (precision == "fp32" || precision == "tf32")) {
    // No fp32 units (TPUs): fp32 matmuls run as three bf16 passes (XLA precision HIGH).
    f = first_of({"bf16"}) / 3.0;
  }
  if (f > 0) return f;
  throw std::invalid_argument("accelerator '" + a.name + "' has no peak throughput for precision '" +
                              precision + "' (nor a fallback)");
}

Seconds runtime_at_fmax_s(const JobProfile& p, const AcceleratorSpec& a, int gpus) {
  const double rate = std::max(gpus, 1) * effective_peak_flops(a, p.precision) *
                      std::max(p.mfu, 1e-9) * std::max(p.scaling_efficiency, 1e-9);
  return p.work_flops / rate;
}

RooflineTransfer roofline_transfer(const JobProfile& p, const AcceleratorSpec& reference,
                                   const AcceleratorSpec& target, double throughput_ratio,
                                   double measured_mfu) {
  const double sum = p.compute_share + p.memory_share + p.io_share;
  const double c = sum > 0 ? p.compute_share / sum : 1.0;
  const double m = sum > 0 ? p.memory_share / sum : 0.0;
  const double io = sum > 0 ? p.io_share / sum : 0.0;
  const double peak = effective_peak_flops(reference, p.precision) / effective_peak_flops(target, p.precision);
  const double bw = reference.memory_bandwidth_tbps > 0 && target.memory_bandwidth_tbps > 0
                        ? reference.memory_bandwidth_tbps / target.memory_bandwidth_tbps
                        : peak;
  const double s = c * peak + m * bw + io;
  RooflineTransfer t;
  t.compute_share = c * peak / s;
  t.memory_share = m * bw / s;
  t.io_share = io / s;
  t.time_factor = measured_mfu > 0       ? std::max(p.mfu, 1e-9) * peak / measured_mfu
                  : throughput_ratio > 0 ? 1.0 / throughput_ratio
                                         : s;
  t.mfu = p.mfu * peak / t.time_factor;
  return t;
}

OperatingPoint operating_point_at(const AcceleratorPower& power, const JobProfile& p, int pstate) {
  OperatingPoint op;
  op.pstate = std::clamp(pstate, 0, power.pstate_count() - 1);
  op.freq_mhz = power.freq_mhz(op.pstate);
  op.device_power_w = power.power_w(op.pstate, p.utilisation, p.intensity, p.memory_power_w);
  op.slowdown = slowdown(p, op.freq_mhz, power.max_freq_mhz());
  return op;
}

OperatingPoint operating_point_under_cap(const AcceleratorPower& power, const JobProfile& p,
                                         Watts cap_w) {
  return operating_point_at(power, p, power.highest_pstate_under(cap_w, p.utilisation, p.intensity, p.memory_power_w));
}

}  // namespace dcsim
