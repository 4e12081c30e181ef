#include "physics/llm_inference.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "model/job.hpp"
#include "physics/dvfs.hpp"

namespace dcsim {

double bytes_per_element(const std::string& precision) {
  if (precision == "fp32" || precision == "tf32") return 4;
  if (precision == "bf16" || precision == "fp16") return 2;
  if (precision == "fp8" || precision == "int8") return 1;
  throw std::invalid_argument("unknown precision '" + precision +
                              "' (expected fp32, tf32, bf16, fp16, fp8 or int8)");
}

LlmModel llm_model(const LlmModelSpec& s) {
  LlmModel m;
  m.params = s.params;
  m.layers = s.layers;
  m.hidden = s.hidden;
  m.attention_dim = s.attention_heads > 0 && s.head_dim > 0
                        ? static_cast<double>(s.attention_heads) * s.head_dim
                        : static_cast<double>(s.hidden);
  m.weight_bytes = s.params * bytes_per_element(s.precision);
  m.kv_bytes_per_token = s.kv_bytes_per_token > 0
                             ? s.kv_bytes_per_token
                             : 2.0 * s.layers * s.kv_heads * s.head_dim *
                                   bytes_per_element(s.kv_precision.empty() ? s.precision : s.kv_precision);
  m.precision = s.precision;
  return m;
}

Bytes kv_cache_capacity_bytes(const LlmModel& m, const DeploymentSpec& d, const AcceleratorSpec& a) {
  if (d.kv_cache_gb > 0) return d.kv_cache_gb * 1e9;
  const double n = std::max(d.tensor_parallel, 1);
  return n * a.memory_gb * 1e9 * d.gpu_memory_utilization - m.weight_bytes - n * d.memory_reserve_gb * 1e9;
}

Seconds ring_allreduce_s(int n, Bytes bytes, double bandwidth_bytes_per_s, Seconds step_latency_s) {
  if (n <= 1) return 0;
  const double steps = 2.0 * (n - 1);
  return steps * step_latency_s + steps / n * bytes / bandwidth_bytes_per_s;
}

// ==== THE activity → watts mapping (see the header; issue 14 replaces it) ======================
double intensity_from_activity(const DeviceActivity& a, double memory_intensity) {
  const double active = a.compute + a.memory + a.comm;
  return active > 0 ? memory_intensity + (1.0 - memory_intensity) * a.compute / active : 0.0;
}

Watts accelerator_power_from_activity_w(const AcceleratorPower& power, int pstate,
                                        const DeviceActivity& a, double memory_intensity) {
  return power.power_w(pstate, a.busy, intensity_from_activity(a, memory_intensity));
}
// =================================================================================================

LlmIterationModel::LlmIterationModel(const LlmModel& model, const DeploymentSpec& d,
                                     const AcceleratorSpec& a)
    : model_(model),
      power_(a),
      tp_(std::max(d.tensor_parallel, 1)),
      tp_bandwidth_(d.tp_bandwidth_gb_s * 1e9),
      tp_latency_s_(d.tp_latency_s),
      overhead_s_(d.iteration_overhead_s),
      mem_intensity_(d.memory_intensity) {
  compute_rate_ = tp_ * effective_peak_flops(a, model.precision) * d.compute_efficiency;
  hbm_bytes_per_s_ = a.memory_bandwidth_tbps * 1e12 * d.memory_efficiency;
  memory_rate_ = tp_ * hbm_bytes_per_s_;
  if (!(compute_rate_ > 0) || !(memory_rate_ > 0))
    throw std::invalid_argument("accelerator '" + a.name + "' has no compute rate or memory bandwidth");
  // The compute term of the DVFS law (dvfs.hpp): a pure-compute profile's slowdown at f_p.
  JobProfile compute_only;
  compute_only.compute_share = 1;
  compute_only.memory_share = 0;
  compute_only.io_share = 0;
  compute_scale_.reserve(static_cast<std::size_t>(power_.pstate_count()));
  for (int p = 0; p < power_.pstate_count(); ++p)
    compute_scale_.push_back(slowdown(compute_only, power_.freq_mhz(p), power_.max_freq_mhz()));
}

IterationCost LlmIterationModel::cost(const BatchShape& b) const {
  IterationCost c;
  const double tokens = b.tokens();
  const double flops = 2.0 * model_.params * tokens +
                       4.0 * model_.layers * model_.attention_dim * (b.prefill_pairs + b.decode_context + b.decode_seqs);
  const double bytes = model_.weight_bytes +
                       model_.kv_bytes_per_token * (b.prefill_cached + b.prefill_tokens + b.decode_context + b.decode_seqs);
  c.flops = flops / tp_;
  c.bytes = bytes / tp_;
  c.compute_s = flops / compute_rate_;
  c.memory_s = bytes / memory_rate_;
  if (tp_ > 1) {
    const double msg = tokens * model_.hidden * model_.activation_bytes;
    c.comm_s = 2.0 * model_.layers * ring_allreduce_s(tp_, msg, tp_bandwidth_, tp_latency_s_);
  }
  c.overhead_s = overhead_s_;
  return c;
}

IterationPoint LlmIterationModel::at(const IterationCost& c, int pstate) const {
  IterationPoint it;
  it.pstate = std::clamp(pstate, 0, power_.pstate_count() - 1);
  const double tc = c.compute_s * compute_scale_[static_cast<std::size_t>(it.pstate)];
  const double gpu = std::max(tc, c.memory_s);
  it.time_s = gpu + c.comm_s + c.overhead_s;
  if (it.time_s > 0) {
    it.activity.busy = (gpu + c.comm_s) / it.time_s;
    it.activity.compute = tc / it.time_s;
    it.activity.memory = c.memory_s / it.time_s;
    it.activity.comm = c.comm_s / it.time_s;
  }
  it.power_w = accelerator_power_from_activity_w(power_, it.pstate, it.activity, mem_intensity_);
  return it;
}

IterationPoint LlmIterationModel::under_cap(const IterationCost& c, Watts cap_w, int floor_pstate) const {
  const int last = power_.pstate_count() - 1;
  const int floor = std::clamp(floor_pstate, 0, last);
  IterationPoint fast = at(c, floor);
  if (fast.power_w <= cap_w) return fast;
  // The activity at the floor's clock gives the first guess (as the engine's cap does for jobs).
  const double intensity = intensity_from_activity(fast.activity, mem_intensity_);
  int p = std::max(floor, power_.highest_pstate_under_mean(cap_w, fast.activity.busy, intensity));
  IterationPoint it = at(c, p);
  while (it.power_w > cap_w && p < last) it = at(c, ++p);
  return it;
}

Watts LlmIterationModel::loading_power_w(double load_bandwidth_bytes_per_s) const {
  DeviceActivity a;
  a.memory = std::min(1.0, load_bandwidth_bytes_per_s / tp_ / hbm_bytes_per_s_);
  a.busy = a.memory;
  return accelerator_power_from_activity_w(power_, 0, a, mem_intensity_);
}

}  // namespace dcsim
