#pragma once
// The workload profile catalogue (workloads/profiles.yaml, loaded by config/workload_loader).
//
// A profile says how one kind of AI job runs on the reference platform and how a job of that
// kind is drawn:
//   - step shares at f_max: compute (scales with 1/f), memory, io (preprocessing, CPU, storage);
//   - power on the reference accelerator: utilisation u and intensity i so that the device draws
//       P = idle_power_w + u^α · i · (full_power_w[p-state 0] − idle_power_w)
//     (α = the accelerator's utilisation_exponent; u from NVML's GPU utilisation and P measured:
//     data/calibration/phases.csv, H200; i is derived from the measured P when it is given);
//   - MFU (achieved fraction of the dense peak of its precision on one accelerator at f_max);
//   - scaling efficiency eff(g) = a^{log2 min(g, n)} · b^{log2 max(g/n, 1)} with n GPUs per node,
//     a = per_doubling_in_node, b = per_doubling_across_nodes;
//   - job size: a discrete distribution of GPU counts; duration on the reference platform:
//     lognormal (median_h, sigma); the job's work is what the reference does in that time:
//       work_flops = duration_s · g · peak_flops(precision) · mfu · eff(g);
//   - host load, checkpoints, gradient traffic, model size, optimisation potential.
// Power split (physics/accelerator_power.hpp split_burst_power): on the reference the burst
// power above idle, i·(full_power_w − idle), is split into a memory part M (the memory law at the
// profile's memory share, or at its measured `memory_traffic_tbps`) and a compute intensity that
// follows the clock; at the top clock the device draws the measured watts either way.
// Rule for other accelerators (issue 14): the step time follows the roofline
// (physics/dvfs.hpp roofline_transfer, or a measured throughput_ratio / mfu), and the power
// follows the work done per second (physics/accelerator_power.hpp transfer_power): the compute
// intensity falls with the achieved FLOP/s relative to the target's peak, the memory power with
// the achieved traffic. A profile may instead give its measured power on a named accelerator:
// (u, i), or `power_w` (the device's mean watts there; the model's compute/memory split is kept
// and scaled to it). On the reference accelerator itself, i is rescaled if its p-state-0 full
// power differs from the catalogue's reference value so that the measured watts are preserved.
//
// Model growth by year: anchors (year, parameters, work of one training, GPUs) interpolated
// log-linearly between anchors, extrapolated before the first with the first segment's slopes
// and past the last by `model_size_growth_per_year` (parameters × g per year, work ∝ parameters,
// GPUs held at the last anchor's count).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/rng.hpp"
#include "core/units.hpp"
#include "model/job.hpp"
#include "model/platform.hpp"

namespace dcsim {

// The platform the catalogue is calibrated on (energies of the seed tables are quoted here): one
// node type, described as the engine runs it (its accelerator's power law and power limit, its
// host, NICs and fans; physics/accelerator_power.hpp, physics/node_power.hpp). Energy of a job
// on the reference (workload/estimate.hpp):
//   E = runtime · g · (P_device + P_host(host_load, heat) / gpus_per_node) · pue,
// on a node whose accelerators all run jobs of the profile (heat = P_device / TDP).
struct ReferencePlatform {
  AcceleratorSpec accelerator;   // name, peak_tflops, idle_power_w, tdp_w, pstates[0].full_power_w
  Watts power_limit_w = 0;       // enforced per-accelerator limit (0 = tdp_w)
  int gpus_per_node = 8;
  Watts host_idle_w = 800;       // per node: CPUs, memory, disks at idle (NodeSpec::host_idle_w)
  Watts host_busy_w = 2400;      // per node at host_load 1
  Watts nic_w = 0;               // per node, constant while on
  Watts fan_idle_w = 0;          // per node; fans rise with the cube of speed (node_power.hpp)
  Watts fan_max_w = 0;
  double pue = 1.0;              // 1.0: facility overhead excluded (IT energy)
  std::string note;
  // The reference's node as the engine's node model sees it.
  NodeSpec node() const;
  Watts enforced_limit_w() const { return power_limit_w > 0 ? power_limit_w : accelerator.tdp_w; }
};

struct ScalingSpec {
  double per_doubling_in_node = 0.97;
  double per_doubling_across_nodes = 0.92;
  int gpus_per_node = 8;
  double efficiency(int gpus) const;
};

// A profile's figures measured on a named accelerator (`accelerators:` in profiles.yaml).
struct PowerOnAccelerator {
  bool has_power = true;       // utilisation and intensity given (else the adaptation rule)
  double utilisation = 1.0;
  double intensity = 1.0;
  Watts power_w = 0;            // measured mean device power here (0 = not given); exclusive
                                // with (utilisation, intensity)
  double throughput_ratio = 0;  // measured: reference step time / step time here (0 = roofline)
  double mfu = 0;               // measured model-FLOPs utilisation here (0 = roofline); at most
                                // one of throughput_ratio and mfu
};

struct ProfileSpec {
  std::string name;
  std::string description;
  std::string workload_class;      // "image_classification", "nlp", "cv", "rl", "inference"...
  JobKind kind = JobKind::training;
  std::string precision = "bf16";
  double mfu = 0.3;
  double compute_share = 1.0;
  double memory_share = 0.0;
  double io_share = 0.0;
  double utilisation = 1.0;        // on the reference accelerator
  double intensity = 1.0;          // on the reference accelerator (derived if reference_power_w)
  std::optional<Watts> reference_power_w;  // measured device power on the reference accelerator
  double memory_traffic_tbps = 0;  // measured HBM traffic on the reference while kernels run (0 = from the memory share)
  std::map<std::string, PowerOnAccelerator> accelerators;  // overrides by accelerator name
  double host_load = 0.3;
  ScalingSpec scaling;
  std::vector<std::pair<int, double>> gpus;  // (GPU count, probability); probabilities sum to 1
  double duration_median_h = 1.0;  // on the reference platform
  double duration_sigma = 0.0;     // of ln(duration)
  double duration_max_h = 0.0;     // 0 = no cap
  double comm_bytes_per_gpu_per_s = 0;   // gradient all-reduce traffic while running (g > 1)
  Seconds checkpoint_interval_s = 0;
  double checkpoint_bytes_per_param = 16;  // weights + optimiser state (mixed precision Adam)
  double checkpoint_write_bytes_per_s = 2e9;  // per GPU
  double model_params = 0;
  double year_elasticity = 1.0;    // work ∝ (training work trend(y)/trend(reference_year))^this
  double optimisation_potential = 0;  // fraction of energy the class_default optimisation saves
  double prefill_tokens_per_s = 0;    // inference profiles: prompt tokens per second (batch 1)
  double decode_tokens_per_s = 0;     // inference profiles: generated tokens per second (batch 1)
  std::optional<double> seed_energy_kwh;  // the seed table's figure (documentation, tests)

  double mean_gpus() const;
  // Intensity on the reference: derived from reference_power_w when given, else `intensity`.
  double reference_intensity(const ReferencePlatform& ref) const;
  PowerOnAccelerator power_on(const std::string& accelerator_name) const;
};

struct YearAnchor {
  int year = 0;
  double params = 0;
  Flops work_flops = 0;
  int gpus = 1;
  std::optional<double> seed_energy_kwh;
};

struct ModelGrowth {
  std::vector<YearAnchor> anchors;  // ascending years
  std::string profile = "generative_modelling";  // how an anchor training runs
  int reference_year = 2020;        // the year the profiles' durations are quoted for

  // Fractional year; growth_after = model_size_growth_per_year (× per year past the last anchor).
  double params_at(double year, double growth_after) const;
  Flops work_at(double year, double growth_after) const;
  int gpus_at(double year) const;
};

struct OptimisationSpec {
  std::string name;
  double compute_factor = 1.0;     // × compute work (FLOPs) and compute time
  double memory_factor = 1.0;      // × memory traffic time
  double mfu_factor = 1.0;         // × achieved efficiency (larger batches, tuned kernels)
  double utilisation_factor = 1.0; // × utilisation (capped at 1)
  double intensity_factor = 1.0;   // × intensity (capped at 1)
  double quality_cost = 0;         // accuracy points lost
  bool class_default = false;      // reduces energy by the profile's optimisation_potential
  std::string source;
};

struct Catalogue {
  ReferencePlatform reference;
  std::map<std::string, ProfileSpec> profiles;
  ModelGrowth growth;
  std::map<std::string, OptimisationSpec> optimisations;
  std::map<std::string, double> default_mix;   // profile → share for research-lab
  std::map<int, std::string> trace_gpu_rule;   // default by-gpus rule: min GPUs → profile
  std::vector<std::string> files;              // where it came from

  const ProfileSpec* find(const std::string& name) const;
  const ProfileSpec& by_name(const std::string& name) const;  // throws InputError
};

// Intensity that makes the reference accelerator draw `power_w` at utilisation u:
//   i = (P − idle) / (u^α · (full_power_w[0] − idle)), clamped to [0, 1].
double intensity_for_power(const ReferencePlatform& ref, Watts power_w, double utilisation);

// The optimisation techniques with their documented defaults (see optimisation.hpp).
std::map<std::string, OptimisationSpec> default_optimisations();

// A reference platform of 8×H200 nodes as documented in workloads/README.md.
ReferencePlatform default_reference_platform();

// Draws the GPU count of a job of this profile.
int sample_gpus(const ProfileSpec& p, RngStream& rng);
// Draws a duration on the reference platform (seconds).
Seconds sample_duration_s(const ProfileSpec& p, RngStream& rng);

// The JobProfile of a job of profile p with g GPUs that runs `duration_ref_s` on the reference.
JobProfile make_profile(const ProfileSpec& p, const ReferencePlatform& ref, int gpus,
                        Seconds duration_ref_s);
// The work that runs `duration_ref_s` on the reference with g GPUs.
Flops work_for_duration(const ProfileSpec& p, const ReferencePlatform& ref, int gpus,
                        Seconds duration_ref_s);

// Adapts a job to the accelerator it will run on: its run time and shares by the roofline
// transfer (physics/dvfs.hpp roofline_transfer, or a measured throughput_ratio), its power
// figures by the rule above (or measured ones).
void adapt_to_accelerator(JobProfile& job, const ProfileSpec& p, const ReferencePlatform& ref,
                          const AcceleratorSpec& target);

// Checkpoint cost of a profile for a model of `params` parameters spread over g GPUs.
Seconds checkpoint_cost_s(const ProfileSpec& p, double params, int gpus);

}  // namespace dcsim
