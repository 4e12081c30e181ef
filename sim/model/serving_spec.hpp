#pragma once
// The `serving` section of a scenario (issue 15): LLM deployments on accelerators, the request
// streams that load them, routing, autoscaling and SLO-aware clock capping. Pure data with the
// documented defaults, every default resolved by the loader (config/serving_loader) so that the
// physics (physics/llm_inference.hpp) and the serving model (sim/serving) read final numbers.
// Key names are the field names without the unit suffix where the YAML takes a duration
// (`iteration_overhead: 1.8ms` → iteration_overhead_s); scenarios/README.md § serving lists
// every key with its unit, range and default, and where each default comes from.
#include <map>
#include <string>
#include <vector>

#include "core/units.hpp"

namespace dcsim {

// The architecture facts of a served model (model cards; docs/REFERENCE.md table).
// After loading, every field is resolved (presets expanded, heads and KV bytes derived).
struct LlmModelSpec {
  std::string preset;            // built-in architecture the fields came from ("" = written out)
  double params = 0;             // parameters N (embeddings included)
  int layers = 0;                // transformer blocks L
  int hidden = 0;                // d_model
  int attention_heads = 0;       // query heads
  int kv_heads = 0;              // key/value heads (< attention_heads with GQA)
  int head_dim = 0;              // d_h (hidden / attention_heads unless given)
  Bytes kv_bytes_per_token = 0;  // 2·L·kv_heads·d_h·bytes(kv_precision) unless given
  std::string precision = "bf16";     // weights and matmuls: fp32 | bf16 | fp16 | fp8 | int8
  std::string kv_precision = "bf16";  // KV-cache elements (defaults to precision)
};

// A distribution of token counts per request (prompt or output).
struct TokenDistributionSpec {
  std::string distribution = "lognormal";  // fixed | uniform | lognormal
  double mean = 0;     // fixed, lognormal: mean tokens
  double cv = 1.0;     // lognormal: coefficient of variation (sd / mean)
  double min = 1;      // every draw is rounded and clamped into [min, max]; uniform: the range
  double max = 1e6;
};

// One source of requests for one deployment.
struct RequestStreamSpec {
  std::string name;
  std::string deployment;              // target deployment (by name)
  std::string arrivals = "poisson";    // poisson | trace
  // poisson: rate(t) = rate_per_s · growth_per_year^(t/365 d) · daily(t) · weekly(t), with the
  // workload generator's cycle shapes (daily: 1 + a·cos(2π(h − peak_hour_utc)/24); weekly:
  // weekdays 1 + w, weekends 1 − 2.5·w, so the weekly mean is 1).
  double rate_per_s = 0;
  double daily_cycle = 0;
  double weekly_cycle = 0;
  double peak_hour_utc = 14;
  double growth_per_year = 1.0;
  Seconds start_s = 0;                 // the stream is active in [start_s, end_s) (end_s 0 = the run's end)
  Seconds end_s = 0;
  TokenDistributionSpec prompt_tokens;
  TokenDistributionSpec output_tokens;
  // An Azure LLM inference trace (azure-llm CSV: TIMESTAMP, ContextTokens, GeneratedTokens).
  // arrivals: trace → its arrival times and tokens are replayed; poisson → its (prompt, output)
  // pairs are drawn jointly instead of the two distributions.
  std::string file;
  double time_scale = 1.0;             // trace: times multiplied by this (0.5 = twice the rate)
  bool repeat = true;                  // trace: loop it over the run (period = its span + one mean gap)
  int copies = 1;                      // trace: superposed copies, each shifted by a seeded offset
};

struct SloSpec {          // latency targets; 0 = none
  Seconds ttft_s = 0;     // time to first token
  Seconds tpot_s = 0;     // time per output token (after the first)
};

struct AutoscalingSpec {
  bool enabled = false;
  // desired replicas = ceil(observed arrival rate / (target_utilisation · saturation rate of one
  // replica)), clamped into [min_replicas, max_replicas].
  double target_utilisation = 0.7;
  Seconds window_s = 300;            // arrival rate averaged over this window
  Seconds scale_up_delay_s = 60;     // the desired count must stay above the current one this long
  Seconds scale_down_delay_s = 600;  // ... or below it this long
  std::string scaled_down = "off";   // what a scaled-down replica's GPUs draw: off (released) | idle (parked)
};

struct FrequencyCapSpec {  // SLO-aware clock capping (needs an slo)
  bool enabled = false;
  double margin = 0.1;     // lower the clock while p99 ≤ (1 − margin)·target; raise it above target
  Megahertz step_mhz = 90; // one move of the clock
  Megahertz min_mhz = 0;   // lowest clock it may choose (0 = the device's slowest)
  Seconds interval_s = 0;  // decide every interval (0 = every step)
};

struct DeploymentSpec {
  std::string name;
  LlmModelSpec model;
  std::string accelerator;           // accelerator type it runs on ("" = whichever the engine grants)
  int tensor_parallel = 1;           // GPUs per replica
  int replicas = 1;                  // replicas at the start
  int min_replicas = 1;
  int max_replicas = 1;
  // KV cache: kv_cache_gb per replica if > 0, else
  // tp·memory_gb·gpu_memory_utilization − weights − tp·memory_reserve_gb (vLLM's accounting).
  double gpu_memory_utilization = 0.9;
  double memory_reserve_gb = 1.0;
  double kv_cache_gb = 0;
  int block_tokens = 16;             // KV block (page) size
  int max_batch = 256;               // sequences in a batch (vLLM max_num_seqs)
  int max_batched_tokens = 8192;     // tokens in one iteration (vLLM max_num_batched_tokens)
  bool chunked_prefill = false;      // Sarathi-Serve: prefill chunks ride with the decodes
  std::string router = "least-outstanding";  // round-robin | least-outstanding
  // The router holds a request back (in the deployment's queue) while the replica it picks has
  // this many requests waiting; 0 = max_batch. Overload then queues centrally, and replicas
  // that become ready take over the backlog.
  int max_waiting_per_replica = 0;
  // Physics parameters (physics/llm_inference.hpp gives their sources):
  Seconds iteration_overhead_s = 1.8e-3;
  double compute_efficiency = 0.887;
  double memory_efficiency = 0.885;
  double memory_intensity = 0.391;
  double tp_bandwidth_gb_s = 360;
  Seconds tp_latency_s = 1e-6;
  double load_bandwidth_gb_s = 2.0;  // model loading (storage → GPUs), per replica
  Seconds load_time_s = 0;           // 0 = weights / load_bandwidth
  SloSpec slo;
  AutoscalingSpec autoscaling;
  FrequencyCapSpec frequency_cap;
};

struct ServingSpec {
  std::string fidelity = "request";  // request | aggregated
  Seconds step_s = 0;                // the engine's step; resolved by the loader (request 60 s, aggregated = time.sample)
  bool requests_table = true;        // request fidelity: hand every completed request to the output
  // aggregated fidelity: requests simulated per replica at each load point of a sampled table
  int sample_requests = 3000;
  std::vector<DeploymentSpec> deployments;
  std::vector<RequestStreamSpec> streams;
  // Where keys were written, for errors raised after loading ("serving", "serving.deployments",
  // "serving.step", "serving.requests_table"; a key absent from the file is absent here).
  struct SourcePos {
    std::string file;
    int line = 0, column = 0;
  };
  std::map<std::string, SourcePos> positions;

  bool enabled() const { return !deployments.empty(); }
};

}  // namespace dcsim
