#pragma once
// Built-in model architectures (a deployment's `model: {preset: llama-3-70b}`), from the
// public model cards and papers listed in docs/REFERENCE.md ("LLM serving: model
// architecture facts"): GPT-2 medium (Radford et al. 2019), Llama 2 7B/13B/70B (Touvron et al.
// 2023), Llama 3 8B/70B (Meta model cards, 2024). KV bytes per token are derived (bf16).
#include <string>
#include <vector>

#include "model/serving_spec.hpp"

namespace dcsim::serving {

// nullptr if there is no such preset.
const LlmModelSpec* find_llm_preset(const std::string& name);
std::vector<std::string> llm_preset_names();

}  // namespace dcsim::serving
