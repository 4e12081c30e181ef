#pragma once
// Builders for the serving tests: the catalogue's H200 and H100 (the documented p-state law,
// datasheet rates) and deployments / streams with the loader's defaults.
#include <map>
#include <string>

#include "fixtures/platforms/specs.hpp"
#include "model/serving_spec.hpp"
#include "serving/presets.hpp"

namespace dcsim::serving::test {

inline AcceleratorSpec h200() {
  AcceleratorSpec a = fixtures::law_gpu();
  a.name = "H200-SXM";
  a.peak_tflops = {{"bf16", 989.4}, {"fp16", 989.4}, {"fp8", 1978.9}};
  a.memory_gb = 141;
  a.memory_bandwidth_tbps = 4.8;
  return a;
}

inline AcceleratorSpec h100() {
  AcceleratorSpec a = fixtures::law_gpu(1980, 345, 15, 0.55, 285, 738.2, 115);
  a.name = "H100-SXM";
  a.peak_tflops = {{"bf16", 989.4}, {"fp16", 989.4}, {"fp8", 1978.9}};
  a.memory_gb = 80;
  a.memory_bandwidth_tbps = 3.35;
  return a;
}

inline std::map<std::string, AcceleratorSpec> catalogue() { return {{"H200-SXM", h200()}, {"H100-SXM", h100()}}; }

inline DeploymentSpec deployment(const std::string& name, const std::string& preset, int replicas, int tp = 1) {
  DeploymentSpec d;
  d.name = name;
  d.model = *find_llm_preset(preset);
  d.accelerator = "H200-SXM";
  d.tensor_parallel = tp;
  d.replicas = replicas;
  d.min_replicas = replicas;
  d.max_replicas = replicas;
  return d;
}

inline RequestStreamSpec poisson(const std::string& name, const std::string& dep, double rate, double prompt_mean,
                                 double output_mean) {
  RequestStreamSpec s;
  s.name = name;
  s.deployment = dep;
  s.rate_per_s = rate;
  s.prompt_tokens.mean = prompt_mean;
  s.prompt_tokens.cv = 1.0;
  s.prompt_tokens.max = 8 * prompt_mean;
  s.output_tokens.mean = output_mean;
  s.output_tokens.cv = 1.0;
  s.output_tokens.max = 8 * output_mean;
  return s;
}

}  // namespace dcsim::serving::test
