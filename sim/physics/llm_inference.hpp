#pragma once
// LLM inference physics: model sizing, the time of one serving iteration (a batch of prefill
// chunks and decode steps, as continuous batching runs them) from a roofline over the
// accelerator, tensor-parallel communication, a per-iteration overhead, the DVFS law, power
// from activity, and the p-state a power cap imposes.
//
// Equations (one replica of n = tensor_parallel GPUs; "per GPU" = the replica's share ÷ n):
//
//  Model sizing (docs/REFERENCE.md "LLM serving: model architecture facts"; Kwon et al., vLLM, SOSP 2023)
//   W  = N · b_w                               weight bytes; N parameters, b_w bytes per parameter
//                                              of the precision (fp32 4, bf16/fp16 2, fp8/int8 1)
//   kv = 2 · L · H_kv · d_h · b_kv             KV-cache bytes per token (K and V of L layers, H_kv
//                                              KV heads of d_h each, b_kv bytes per element), or given
//   KV capacity = n·M·g − W − n·r              bytes (M device memory, g = gpu_memory_utilization
//                                              0.9 and r = memory_reserve 1 GB: vLLM's accounting,
//                                              r estimated), or a given kv_cache_gb; tokens = ÷ kv
//
//  One iteration (BatchShape): prefill chunks of c_i prompt tokens after x_i tokens already in
//  the KV cache, and D decode sequences with k_j tokens in the KV cache each.
//   F = 2·N·(Σc_i + D) + 4·L·d_attn·(Σ_i c_i·(x_i + (c_i + 1)/2) + Σ_j (k_j + 1))      [FLOP]
//     2·N per token for the matrix multiplies (Kaplan et al. 2020, Table 1: C_forward ≈ 2N);
//     4·d_attn per query–key pair and layer for QKᵀ and A·V (Hoffmann et al. 2022, App. F),
//     causal (a prefill chunk attends to what precedes it); d_attn = attention_heads · d_h.
//   B = W + kv·(Σ_i (x_i + c_i) + Σ_j (k_j + 1))                                         [byte]
//     all weights once per iteration (the batch shares them: Yu et al., Orca, OSDI 2022), the
//     KV cache each sequence's attention reads and the K/V written for the new tokens.
//     Activations and the KV reads of prefill attention's tiles (FlashAttention) are left out.
//
//  Roofline (Williams, Waterman & Patterson, "Roofline", CACM 2009) at p-state p, clock f_p:
//   t_c(p) = F / (n · R · e_c) · s(f_p)     compute; R = effective peak FLOP/s of the precision
//                                           (dvfs.hpp's effective_peak_flops), s(f) = f_max/f the
//                                           compute term of dvfs.hpp's slowdown law
//   t_m    = B / (n · BW · e_m)             HBM traffic; does not depend on the SM clock
//   t_gpu  = max(t_c, t_m)                  prefill is compute-bound, small-batch decode memory-
//                                           bound, large-batch decode compute-bound again
//   e_c = 0.887: our H200 bf16 GEMM, 650 TFLOP/s at 1466 MHz = 0.887 · 989.4 · 1466/1980
//   e_m = 0.885: our H200 device copy, 4.25 TB/s of 4.8 TB/s (platforms/calibration/data)
//   Both are the best a kernel reaches (upper bounds for a serving engine's kernels; small
//   models reach less: README "Calibration and its limits").
//
//  Tensor parallelism (Shoeybi et al., Megatron-LM, 2019): 2 all-reduces per layer of
//   S = (Σc_i + D) · d_model · b_act bytes (b_act = 2, bf16 activations), ring algorithm
//   (Thakur, Rabenseifner & Gropp, IJHPCA 2005; Patarasuk & Yuan, JPDC 2009):
//   t_ar = 2(n−1)·α + 2(n−1)/n · S/β,   t_comm = 2·L·t_ar   (on the critical path; n = 1: 0)
//   β = 360 GB/s per GPU and direction (estimated: ~80 % of NVLink 4's 450 GB/s per direction,
//   H100/H200 datasheets), α = 1 µs per ring step (estimated from NCCL's small-message
//   all-reduce latency of ~10–20 µs on 8 NVLink GPUs).
//
//  Per-iteration overhead t_oh: host work while the GPU waits (scheduling, sampling, kernel
//   launches). Our H200 measurement (HF transformers eager, greedy, batch 1, GPT-2 medium):
//   83 tokens/s = 12.07 ms per token of which the roofline explains 0.17 ms, so t_oh = 11.9 ms
//   for that engine (tests/unit/physics/test_llm_inference.cpp). A production engine with CUDA
//   graphs: 1.8 ms (estimated, derived the same way from Team PyTorch, "Accelerating Generative
//   AI with PyTorch II: GPT, Fast", 2023: Llama-2-7B, batch 1, A100-80GB, torch.compile with
//   CUDA graphs, 107 tokens/s = 9.35 ms per token, of which the roofline explains 7.5 ms).
//
//   t_iter(p) = t_gpu(p) + t_comm + t_oh
//
//  Activity and power (accelerator_power_from_activity_w, THE mapping from activity to watts):
//   busy u = (t_gpu + t_comm)/t_iter; compute a_c = t_c/t_iter; memory a_m = t_m/t_iter;
//   communication a_x = t_comm/t_iter (fractions of the iteration's wall time)
//   I = I_m + (1 − I_m)·a_c/(a_c + a_m + a_x)      intensity between the H200 device copy
//                                                  (I_m = 0.391) and the bf16 GEMM (1)
//   P(p) = AcceleratorPower::power_w(p, u, I) = P_idle + u·I·(P_full[p] − P_idle)
//
//  Power cap (per device): p = max(floor, highest_pstate_under(cap, u, I)) with the iteration's
//   activity at f_max, then slower states while P(p) > cap (the activity of a slower clock
//   differs); floor = the governor's p-state. A clock that is slower than needed is never
//   chosen faster than the floor.
//
// Units: seconds, bytes, FLOP, watts. Sources are given per equation above.
#include <string>
#include <vector>

#include "core/units.hpp"
#include "model/platform.hpp"
#include "model/serving_spec.hpp"
#include "physics/accelerator_power.hpp"

namespace dcsim {

// Bytes per element of a precision: fp32/tf32 4, bf16/fp16 2, fp8/int8 1. Throws
// std::invalid_argument for anything else.
double bytes_per_element(const std::string& precision);

// The physics view of a model (sizes resolved from an LlmModelSpec whose fields are set).
struct LlmModel {
  double params = 0;
  int layers = 0;
  double hidden = 0;           // d_model
  double attention_dim = 0;    // d_attn = attention_heads · head_dim
  Bytes weight_bytes = 0;      // W
  Bytes kv_bytes_per_token = 0;
  double activation_bytes = 2; // b_act
  std::string precision = "bf16";
};
// kv_bytes_per_token = spec's if > 0, else 2·layers·kv_heads·head_dim·bytes(kv_precision).
LlmModel llm_model(const LlmModelSpec& spec);

// KV-cache bytes of one replica (the capacity law above; kv_cache_gb > 0 wins). May be <= 0
// when the weights do not fit (the loader rejects that).
Bytes kv_cache_capacity_bytes(const LlmModel& m, const DeploymentSpec& d, const AcceleratorSpec& a);

// Ring all-reduce of `bytes` over n devices (equation above); 0 for n <= 1.
Seconds ring_allreduce_s(int n, Bytes bytes, double bandwidth_bytes_per_s, Seconds step_latency_s);

// The work of one iteration.
struct BatchShape {
  double prefill_tokens = 0;       // Σ c_i
  double prefill_pairs = 0;        // Σ c_i·(x_i + (c_i + 1)/2): causal query–key pairs
  double prefill_cached = 0;       // Σ x_i: KV tokens a chunked prefill reads
  double decode_seqs = 0;          // D
  double decode_context = 0;       // Σ k_j (KV tokens before the step)
  double tokens() const { return prefill_tokens + decode_seqs; }
  // Adds a prefill chunk of c tokens after x cached ones.
  void add_prefill(double c, double x) {
    prefill_tokens += c;
    prefill_pairs += c * (x + (c + 1) / 2);
    prefill_cached += x;
  }
};

// The iteration at f_max, per GPU (the clock only stretches compute_s).
struct IterationCost {
  Flops flops = 0;         // per GPU
  Bytes bytes = 0;         // per GPU
  Seconds compute_s = 0;   // t_c at f_max
  Seconds memory_s = 0;    // t_m
  Seconds comm_s = 0;      // t_comm
  Seconds overhead_s = 0;  // t_oh
};

// Fractions of wall time over an interval (an iteration, a loading phase).
struct DeviceActivity {
  double busy = 0;     // a kernel runs
  double compute = 0;  // tensor units at their achievable rate
  double memory = 0;   // HBM at its achievable bandwidth
  double comm = 0;     // collective communication
};

// ==== THE activity → watts mapping (issue 14 replaces it with an activity-based power law) ===
// P = AcceleratorPower::power_w(p, busy, I), I = I_m + (1 − I_m)·compute/(compute + memory +
// comm) (I = 0 when nothing is active). I_m: the memory-bound intensity (0.391 on the H200:
// platforms/calibration/h200_phases.yaml, memcopy_2GB; the same ratio is assumed, estimated,
// for every other device).
// intensity_from_activity gives I (used by the power cap's first guess too).
double intensity_from_activity(const DeviceActivity& a, double memory_intensity);
Watts accelerator_power_from_activity_w(const AcceleratorPower& power, int pstate,
                                        const DeviceActivity& a, double memory_intensity);
// ==============================================================================================

// An iteration at a p-state.
struct IterationPoint {
  int pstate = 0;
  Seconds time_s = 0;    // t_iter
  DeviceActivity activity;
  Watts power_w = 0;     // per GPU, mean over the iteration
};

// Everything one deployment needs on one accelerator type, built once (O(p-states)).
class LlmIterationModel {
 public:
  // Throws std::invalid_argument if the accelerator cannot run the precision.
  LlmIterationModel(const LlmModel& model, const DeploymentSpec& d, const AcceleratorSpec& a);

  const LlmModel& model() const { return model_; }
  const AcceleratorPower& power() const { return power_; }
  int tensor_parallel() const { return tp_; }
  double memory_intensity() const { return mem_intensity_; }
  int pstate_count() const { return power_.pstate_count(); }

  IterationCost cost(const BatchShape& b) const;
  // The iteration at p-state p (clamped to the table).
  IterationPoint at(const IterationCost& c, int pstate) const;
  // The iteration under a per-device power cap, never faster than floor_pstate.
  IterationPoint under_cap(const IterationCost& c, Watts cap_w, int floor_pstate) const;

  // Idle (a live context, nothing running): P_idle, per GPU.
  Watts idle_power_w() const { return power_.idle_w(); }
  // Loading weights at load_bandwidth: the HBM is written at that rate ÷ n; per GPU.
  Watts loading_power_w(double load_bandwidth_bytes_per_s) const;

 private:
  LlmModel model_;
  AcceleratorPower power_;
  int tp_ = 1;
  double compute_rate_ = 0;   // n · R · e_c, FLOP/s of the replica at f_max
  double memory_rate_ = 0;    // n · BW · e_m, byte/s
  double tp_bandwidth_ = 0;   // β, byte/s
  Seconds tp_latency_s_ = 0;  // α
  Seconds overhead_s_ = 0;
  double mem_intensity_ = 0.391;
  double hbm_bytes_per_s_ = 0;       // BW·e_m of one GPU
  std::vector<double> compute_scale_;  // s(f_p) per p-state (dvfs.hpp slowdown, compute only)
};

}  // namespace dcsim
