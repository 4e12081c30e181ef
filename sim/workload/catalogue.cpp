#include "workload/catalogue.hpp"

#include <stdexcept>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "physics/accelerator_power.hpp"
#include "physics/dvfs.hpp"

namespace dcsim {

double ScalingSpec::efficiency(int gpus) const {
  if (gpus <= 1) return 1.0;
  const double g = static_cast<double>(gpus);
  const double n = static_cast<double>(std::max(1, gpus_per_node));
  const double in_node = std::log2(std::min(g, n));
  const double across = std::log2(std::max(g / n, 1.0));
  return std::pow(per_doubling_in_node, in_node) * std::pow(per_doubling_across_nodes, across);
}

double ProfileSpec::mean_gpus() const {
  double m = 0;
  for (const auto& [g, p] : gpus) m += static_cast<double>(g) * p;
  return m;
}

double ProfileSpec::reference_intensity(const ReferencePlatform& ref) const {
  return reference_power_w ? intensity_for_power(ref, *reference_power_w, utilisation) : intensity;
}

PowerOnAccelerator ProfileSpec::power_on(const std::string& accelerator_name) const {
  auto it = accelerators.find(accelerator_name);
  if (it != accelerators.end()) return it->second;
  return {true, utilisation, intensity, 0.0, 0.0, 0.0};
}

const ProfileSpec* Catalogue::find(const std::string& name) const {
  auto it = profiles.find(name);
  return it == profiles.end() ? nullptr : &it->second;
}

const ProfileSpec& Catalogue::by_name(const std::string& name) const {
  if (const ProfileSpec* p = find(name)) return *p;
  std::string known;
  for (const auto& [k, v] : profiles) known += (known.empty() ? "" : ", ") + k;
  Diagnostic d;
  d.file = files.empty() ? "" : files.front();
  d.key_path = "profile";
  d.message = "expected one of the catalogue's profiles (" + known + "), got \"" + name + "\"";
  throw InputError(d);
}

// ---- model growth ----------------------------------------------------------------------------
namespace {

// Log-linear interpolation of f over the anchors; extrapolation before the first anchor with the
// first segment's slope.
template <class F>
double log_interp(const std::vector<YearAnchor>& a, double year, F value) {
  if (a.empty()) return 0.0;
  if (a.size() == 1) return value(a.front());
  std::size_t i = 1;
  while (i + 1 < a.size() && year > static_cast<double>(a[i].year)) ++i;
  const YearAnchor& lo = a[i - 1];
  const YearAnchor& hi = a[i];
  const double x = (year - lo.year) / static_cast<double>(hi.year - lo.year);
  return std::exp(std::log(value(lo)) + x * (std::log(value(hi)) - std::log(value(lo))));
}

}  // namespace

double ModelGrowth::params_at(double year, double growth_after) const {
  if (anchors.empty()) return 0.0;
  const YearAnchor& last = anchors.back();
  if (year > last.year) return last.params * std::pow(growth_after, year - last.year);
  return log_interp(anchors, year, [](const YearAnchor& a) { return a.params; });
}

Flops ModelGrowth::work_at(double year, double growth_after) const {
  if (anchors.empty()) return 0.0;
  const YearAnchor& last = anchors.back();
  // Past the last anchor the work of a training grows like its parameter count (the 2015→2020
  // seed rows: ×100 parameters, ×100 energy).
  if (year > last.year) return last.work_flops * std::pow(growth_after, year - last.year);
  return log_interp(anchors, year, [](const YearAnchor& a) { return a.work_flops; });
}

int ModelGrowth::gpus_at(double year) const {
  if (anchors.empty()) return 1;
  if (year >= anchors.back().year) return anchors.back().gpus;
  const double g = log_interp(anchors, year, [](const YearAnchor& a) { return double(a.gpus); });
  return std::max(1, static_cast<int>(std::lround(g)));
}

// ---- defaults ----------------------------------------------------------------------------------
ReferencePlatform default_reference_platform() {
  ReferencePlatform r;
  r.accelerator.name = "H200-SXM";
  r.accelerator.peak_tflops = {{"bf16", 989.4}, {"fp16", 989.4}, {"fp8", 1978.9}, {"tf32", 494.7}};
  r.accelerator.idle_power_w = 130;
  r.accelerator.tdp_w = 700;
  r.accelerator.power_limit_max_w = 700;
  r.accelerator.pstates = {PState{1980, 1.0, 1035.7}};  // platforms/accelerators.yaml H200-SXM
  r.accelerator.memory_bandwidth_tbps = 4.8;
  r.accelerator.memory_active_w_per_tbps = 41.25;
  r.accelerator.memory_power_w_per_tbps = 37.06;
  r.power_limit_w = 700;
  r.gpus_per_node = 8;
  // platforms/nodes.yaml dgx-h200
  r.host_idle_w = 900;
  r.host_busy_w = 1700;
  r.nic_w = 300;
  r.fan_idle_w = 250;
  r.fan_max_w = 1600;
  r.pue = 1.0;
  return r;
}

NodeSpec ReferencePlatform::node() const {
  NodeSpec n;
  n.name = "reference";
  n.accelerator = accelerator.name;
  n.accelerators_per_node = gpus_per_node;
  n.host_idle_w = host_idle_w;
  n.host_busy_w = host_busy_w;
  n.nic_w = nic_w;
  n.fan_idle_w = fan_idle_w;
  n.fan_max_w = fan_max_w;
  n.power_limit_w = power_limit_w;
  return n;
}

double intensity_for_power(const ReferencePlatform& ref, Watts power_w, double utilisation) {
  const AcceleratorSpec& a = ref.accelerator;
  const Watts full = a.pstates.empty() ? a.tdp_w : a.pstates.front().full_power_w;
  const double u = std::pow(utilisation, a.utilisation_exponent);
  if (u <= 0 || full <= a.idle_power_w) return 0.0;
  return std::clamp((power_w - a.idle_power_w) / (u * (full - a.idle_power_w)), 0.0, 1.0);
}

// ---- sampling -------------------------------------------------------------------------------------
int sample_gpus(const ProfileSpec& p, RngStream& rng) {
  if (p.gpus.empty()) return 1;
  const double u = rng.uniform();
  double c = 0;
  for (const auto& [g, prob] : p.gpus) {
    c += prob;
    if (u < c) return g;
  }
  return p.gpus.back().first;
}

Seconds sample_duration_s(const ProfileSpec& p, RngStream& rng) {
  double h = p.duration_median_h;
  if (p.duration_sigma > 0) h = rng.lognormal(std::log(p.duration_median_h), p.duration_sigma);
  if (p.duration_max_h > 0) h = std::min(h, p.duration_max_h);
  return h * kHour;
}

Flops work_for_duration(const ProfileSpec& p, const ReferencePlatform& ref, int gpus,
                        Seconds duration_ref_s) {
  // The same peak (with its fallbacks) as physics' runtime_at_fmax_s, so the reference runs the
  // job in exactly duration_ref_s.
  return duration_ref_s * static_cast<double>(gpus) * effective_peak_flops(ref.accelerator, p.precision) *
         p.mfu * p.scaling.efficiency(gpus);
}

Seconds checkpoint_cost_s(const ProfileSpec& p, double params, int gpus) {
  if (p.checkpoint_interval_s <= 0 || p.checkpoint_write_bytes_per_s <= 0) return 0;
  return params * p.checkpoint_bytes_per_param /
         (std::max(1, gpus) * p.checkpoint_write_bytes_per_s);
}

JobProfile make_profile(const ProfileSpec& p, const ReferencePlatform& ref, int gpus,
                        Seconds duration_ref_s) {
  JobProfile j;
  j.name = p.name;
  j.precision = p.precision;
  j.mfu = p.mfu;
  j.compute_share = p.compute_share;
  j.memory_share = p.memory_share;
  j.io_share = p.io_share;
  {
    // The burst power above idle splits into a clock-independent memory part and a compute
    // intensity (physics/accelerator_power.hpp split_burst_power).
    const AcceleratorSpec& a = ref.accelerator;
    const Watts range = a.pstates.empty() ? 0.0 : a.pstates.front().full_power_w - a.idle_power_w;
    const double sum = p.compute_share + p.memory_share + p.io_share;
    const PowerSplit split = split_burst_power(a, p.reference_intensity(ref) * range,
                                               sum > 0 ? p.memory_share / sum : 0.0, p.memory_traffic_tbps);
    j.intensity = range > 0 ? split.intensity : p.reference_intensity(ref);
    j.memory_power_w = range > 0 ? split.memory_power_w : 0.0;
  }
  j.utilisation = p.utilisation;
  j.scaling_efficiency = p.scaling.efficiency(gpus);
  j.host_load = p.host_load;
  if (gpus > 0) {
    j.work_flops = work_for_duration(p, ref, gpus, duration_ref_s);
  } else {
    j.cpu_runtime_s = duration_ref_s;
  }
  j.comm_bytes_per_gpu = gpus > 1 ? p.comm_bytes_per_gpu_per_s * duration_ref_s : 0.0;
  j.checkpoint_interval_s = p.checkpoint_interval_s;
  j.model_params = p.model_params;
  j.checkpoint_cost_s = checkpoint_cost_s(p, p.model_params, gpus);
  return j;
}

void adapt_to_accelerator(JobProfile& job, const ProfileSpec& p, const ReferencePlatform& ref,
                          const AcceleratorSpec& target) {
  auto ov = p.accelerators.find(target.name);
  const bool measured = ov != p.accelerators.end();
  if (target.name != ref.accelerator.name && job.work_flops > 0) {
    try {
      const double sum = job.compute_share + job.memory_share + job.io_share;
      const double m_ref = sum > 0 ? job.memory_share / sum : 0.0;
      const RooflineTransfer t = roofline_transfer(job, ref.accelerator, target,
                                                   measured ? ov->second.throughput_ratio : 0.0,
                                                   measured ? ov->second.mfu : 0.0);
      const double peak_ratio = effective_peak_flops(ref.accelerator, job.precision) /
                                effective_peak_flops(target, job.precision);
      // Dynamic power follows the work done per second (physics/accelerator_power.hpp).
      const PowerSplit pw = transfer_power(ref.accelerator, target, {job.intensity, job.memory_power_w}, peak_ratio,
                                           t.time_factor, m_ref, t.memory_share, p.memory_traffic_tbps);
      job.intensity = std::clamp(pw.intensity, 0.0, 1.0);
      job.memory_power_w = pw.memory_power_w;
      job.compute_share = t.compute_share;
      job.memory_share = t.memory_share;
      job.io_share = t.io_share;
      job.mfu = t.mfu;
    } catch (const std::invalid_argument&) {
      // No peak for the precision on one side: the engine reports it when the job starts.
    }
  }
  if (measured && ov->second.has_power) {
    job.utilisation = ov->second.utilisation;
    job.intensity = ov->second.intensity;
    job.memory_power_w = 0;
    return;
  }
  if (measured && ov->second.power_w > 0 && !target.pstates.empty()) {
    // Measured watts on this accelerator: keep the model's compute/memory split, scaled so that
    // the device draws them at its top clock.
    const Watts range = target.pstates.front().full_power_w - target.idle_power_w;
    const double u = std::pow(std::clamp(job.utilisation, 0.0, 1.0), target.utilisation_exponent);
    const Watts burst = job.intensity * range + job.memory_power_w;
    const Watts want = u > 0 ? (ov->second.power_w - target.idle_power_w) / u : 0.0;
    if (burst > 0 && want > 0) {
      job.intensity *= want / burst;
      job.memory_power_w *= want / burst;
    } else if (range > 0) {
      job.intensity = std::max(want, 0.0) / range;
      job.memory_power_w = 0;
    }
    return;
  }
  if (target.name == ref.accelerator.name && !target.pstates.empty() &&
      !ref.accelerator.pstates.empty()) {
    // Same device, other full-power figure: keep the measured watts of the compute part.
    const double ref_range = ref.accelerator.pstates.front().full_power_w - ref.accelerator.idle_power_w;
    const double tgt_range = target.pstates.front().full_power_w - target.idle_power_w;
    const double u_ref = std::pow(job.utilisation, ref.accelerator.utilisation_exponent);
    const double u_tgt = std::pow(job.utilisation, target.utilisation_exponent);
    if (tgt_range > 0 && ref_range > 0 && u_tgt > 0) {
      const double watts = ref.accelerator.idle_power_w + u_ref * job.intensity * ref_range;
      job.intensity = std::clamp((watts - target.idle_power_w) / (u_tgt * tgt_range), 0.0, 1.0);
    }
  }
}

}  // namespace dcsim
