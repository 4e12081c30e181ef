#include "serving/presets.hpp"

#include <map>

namespace dcsim::serving {

namespace {
LlmModelSpec arch(const char* name, double params, int layers, int hidden, int heads, int kv_heads, int head_dim) {
  LlmModelSpec m;
  m.preset = name;
  m.params = params;
  m.layers = layers;
  m.hidden = hidden;
  m.attention_heads = heads;
  m.kv_heads = kv_heads;
  m.head_dim = head_dim;
  m.kv_bytes_per_token = 2.0 * layers * kv_heads * head_dim * 2.0;  // bf16
  return m;
}

const std::map<std::string, LlmModelSpec>& presets() {
  static const std::map<std::string, LlmModelSpec> p = {
      {"gpt2-medium", arch("gpt2-medium", 355e6, 24, 1024, 16, 16, 64)},
      {"llama-2-7b", arch("llama-2-7b", 6.74e9, 32, 4096, 32, 32, 128)},
      {"llama-2-13b", arch("llama-2-13b", 13.0e9, 40, 5120, 40, 40, 128)},
      {"llama-2-70b", arch("llama-2-70b", 69.0e9, 80, 8192, 64, 8, 128)},
      {"llama-3-8b", arch("llama-3-8b", 8.03e9, 32, 4096, 32, 8, 128)},
      {"llama-3-70b", arch("llama-3-70b", 70.6e9, 80, 8192, 64, 8, 128)},
  };
  return p;
}
}  // namespace

const LlmModelSpec* find_llm_preset(const std::string& name) {
  const auto& p = presets();
  auto it = p.find(name);
  return it == p.end() ? nullptr : &it->second;
}

std::vector<std::string> llm_preset_names() {
  std::vector<std::string> out;
  for (const auto& [k, v] : presets()) out.push_back(k);
  return out;
}

}  // namespace dcsim::serving
