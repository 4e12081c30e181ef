#include "config/serving_loader.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "config/scenario.hpp"
#include "core/text.hpp"
#include "core/error.hpp"
#include "physics/llm_inference.hpp"
#include "serving/presets.hpp"
#include "serving/traffic.hpp"

namespace dcsim {

namespace {

const Range kFraction{.min = 0, .max = 1};
const Range kPosFraction{.min = 0, .max = 1, .min_exclusive = true};
const std::vector<std::string> kPrecisions = {"fp32", "bf16", "fp16", "fp8", "int8"};
constexpr double kMaxRequestLevelRequests = 1e9;

std::string num(double v) { return text::format_g(v, 4); }

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s;
}

int int_key(YamlMap& m, const std::string& key, int def, double lo, double hi) {
  return static_cast<int>(m.integer(key, def, {.min = lo, .max = hi}));
}

void tokens(YamlMap m, TokenDistributionSpec& t, bool required) {
  if (!m.present()) {
    if (required) m.error("missing required key (expected a token distribution: {distribution, mean, cv, min, max})");
    return;
  }
  t.distribution = m.choice("distribution", t.distribution, {"fixed", "uniform", "lognormal"});
  t.min = m.number("min", t.min, {.min = 1, .max = 1e7});
  t.max = m.number("max", t.max, {.min = 1, .max = 1e7});
  if (t.distribution == "uniform") {
    if (!m.has("min") || !m.has("max")) m.error("expected min and max for a uniform distribution, got " +
                                                std::string(m.has("min") ? "no max" : "no min"));
    if (m.has("mean") || m.has("cv")) m.error("expected no mean or cv for a uniform distribution (min and max give it)",
                                              m.has("mean") ? "mean" : "cv");
  } else {
    t.mean = m.required_number("mean", {.min = 1, .max = 1e7});
    if (t.distribution == "lognormal") t.cv = m.number("cv", t.cv, {.min = 0, .max = 20});
    else if (m.has("cv")) m.error("expected no cv for a fixed distribution", "cv");
  }
  if (t.min > t.max) m.error("expected min <= max, got " + num(t.min) + " > " + num(t.max), "max");
}

LlmModelSpec model(YamlMap m) {
  LlmModelSpec s;
  if (!m.present()) {
    m.error("missing required key 'model' (expected {preset: <name>} or params, layers, hidden, attention_heads)");
    return s;
  }
  const std::string preset = m.string("preset", "");
  if (!preset.empty()) {
    if (const LlmModelSpec* p = serving::find_llm_preset(preset)) s = *p;
    else m.error("expected a built-in model (" + join(serving::llm_preset_names()) + "), got \"" + preset + "\"", "preset");
  }
  const bool base = !preset.empty();
  auto req = [&](const std::string& k) {
    if (!base && !m.has(k)) m.error("missing required key '" + k + "' (or give a preset)", k);
  };
  req("params");
  req("layers");
  req("hidden");
  s.params = m.number("params", s.params, {.min = 1e6, .max = 1e14});
  s.layers = int_key(m, "layers", s.layers, 1, 10000);
  s.hidden = int_key(m, "hidden", s.hidden, 1, 1e6);
  const bool kv_given = m.has("kv_bytes_per_token");
  if (!base && !kv_given && !m.has("attention_heads"))
    m.error("missing required key 'attention_heads' (expected the heads to size the KV cache, or kv_bytes_per_token)",
            "attention_heads");
  const int heads_before = s.attention_heads;
  s.attention_heads = int_key(m, "attention_heads", s.attention_heads, 1, 1e5);
  s.kv_heads = int_key(m, "kv_heads", m.has("attention_heads") || !base ? s.attention_heads : s.kv_heads, 1, 1e5);
  if (s.attention_heads > 0 && s.kv_heads > 0 && s.attention_heads % s.kv_heads != 0)
    m.error("expected kv_heads dividing attention_heads (" + std::to_string(s.attention_heads) + "), got " +
                std::to_string(s.kv_heads), "kv_heads");
  if (m.has("head_dim")) {
    s.head_dim = int_key(m, "head_dim", 0, 1, 1e5);
  } else if (s.attention_heads > 0 && (s.attention_heads != heads_before || m.has("hidden") || !base)) {
    if (s.hidden % s.attention_heads != 0)
      m.error("expected attention_heads dividing hidden (" + std::to_string(s.hidden) + ") or a head_dim, got " +
                  std::to_string(s.attention_heads), "attention_heads");
    else s.head_dim = s.hidden / s.attention_heads;
  }
  s.precision = m.choice("precision", s.precision, kPrecisions);
  s.kv_precision = m.choice("kv_precision", s.precision, kPrecisions);
  if (kv_given) {
    s.kv_bytes_per_token = m.number("kv_bytes_per_token", 0, {.min = 1, .max = 1e9});
  } else if (s.attention_heads > 0 && s.head_dim > 0) {
    s.kv_bytes_per_token = 2.0 * s.layers * s.kv_heads * s.head_dim * bytes_per_element(s.kv_precision);
  }
  return s;
}

void deployment(YamlMap m, DeploymentSpec& d, const PlatformSpec& platform, bool platform_loaded) {
  d.name = m.required_string("name");
  d.model = model(m.map("model"));
  d.accelerator = m.string("accelerator", d.accelerator);
  d.tensor_parallel = int_key(m, "tensor_parallel", d.tensor_parallel, 1, 64);
  d.replicas = int_key(m, "replicas", d.replicas, 0, 1e6);
  YamlMap as = m.map("autoscaling");
  const bool scaling = as.present() && as.boolean("enabled", true);
  if (!scaling && (m.has("min_replicas") || m.has("max_replicas")))
    m.error("expected min_replicas and max_replicas only with autoscaling, got them without",
            m.has("min_replicas") ? "min_replicas" : "max_replicas");
  d.min_replicas = int_key(m, "min_replicas", scaling ? std::min(d.replicas, 1) : d.replicas, 0, 1e6);
  d.max_replicas = int_key(m, "max_replicas", scaling ? std::max(d.replicas, 1) : d.replicas, 0, 1e6);
  if (!(d.min_replicas <= d.replicas && d.replicas <= d.max_replicas))
    m.error("expected min_replicas <= replicas <= max_replicas, got " + std::to_string(d.min_replicas) + ", " +
                std::to_string(d.replicas) + ", " + std::to_string(d.max_replicas),
            m.has("max_replicas") ? "max_replicas" : "replicas");
  d.gpu_memory_utilization = m.number("gpu_memory_utilization", d.gpu_memory_utilization, kPosFraction);
  d.memory_reserve_gb = m.number("memory_reserve_gb", d.memory_reserve_gb, {.min = 0, .max = 1e4});
  d.kv_cache_gb = m.number("kv_cache_gb", d.kv_cache_gb, {.min = 0, .max = 1e6, .min_exclusive = true});
  d.block_tokens = int_key(m, "block_tokens", d.block_tokens, 1, 4096);
  d.max_batch = int_key(m, "max_batch", d.max_batch, 1, 1e6);
  d.max_batched_tokens = int_key(m, "max_batched_tokens", d.max_batched_tokens, 1, 1e8);
  d.chunked_prefill = m.boolean("chunked_prefill", d.chunked_prefill);
  d.router = m.choice("router", d.router, {"round-robin", "least-outstanding"});
  d.max_waiting_per_replica = int_key(m, "max_waiting_per_replica", d.max_waiting_per_replica, 0, 1e8);
  d.iteration_overhead_s = m.duration("iteration_overhead", d.iteration_overhead_s, {.min = 0, .max = 10});
  d.compute_efficiency = m.number("compute_efficiency", d.compute_efficiency, kPosFraction);
  d.memory_efficiency = m.number("memory_efficiency", d.memory_efficiency, kPosFraction);
  d.memory_intensity = m.number("memory_intensity", d.memory_intensity, kFraction);
  d.tp_bandwidth_gb_s = m.number("tp_bandwidth_gb_s", d.tp_bandwidth_gb_s, {.min = 0, .max = 1e6, .min_exclusive = true});
  d.tp_latency_s = m.duration("tp_latency", d.tp_latency_s, {.min = 0, .max = 1});
  d.load_bandwidth_gb_s = m.number("load_bandwidth_gb_s", d.load_bandwidth_gb_s, {.min = 0, .max = 1e6, .min_exclusive = true});
  d.load_time_s = m.duration("load_time", d.load_time_s, {.min = 0, .max = 30 * kDay, .min_exclusive = true});
  if (m.has("load_time") && m.has("load_bandwidth_gb_s"))
    m.error("expected either load_time or load_bandwidth_gb_s, got both", "load_time");
  YamlMap slo = m.map("slo");
  d.slo.ttft_s = slo.duration("ttft", 0, {.min = 0, .max = 1e6, .min_exclusive = true});
  d.slo.tpot_s = slo.duration("tpot", 0, {.min = 0, .max = 1e6, .min_exclusive = true});
  if (slo.present() && !slo.has("ttft") && !slo.has("tpot")) slo.error("expected ttft and/or tpot, got neither");
  if (as.present()) {
    AutoscalingSpec& a = d.autoscaling;
    a.enabled = scaling;
    a.target_utilisation = as.number("target_utilisation", a.target_utilisation, kPosFraction);
    a.window_s = as.duration("window", a.window_s, {.min = 0, .max = 30 * kDay, .min_exclusive = true});
    a.scale_up_delay_s = as.duration("scale_up_delay", a.scale_up_delay_s, {.min = 0, .max = 30 * kDay});
    a.scale_down_delay_s = as.duration("scale_down_delay", a.scale_down_delay_s, {.min = 0, .max = 30 * kDay});
    a.scaled_down = as.choice("scaled_down", a.scaled_down, {"off", "idle"});
  }
  YamlMap fc = m.map("frequency_cap");
  if (fc.present()) {
    FrequencyCapSpec& f = d.frequency_cap;
    f.enabled = fc.boolean("enabled", true);
    f.margin = fc.number("margin", f.margin, {.min = 0, .max = 1, .min_exclusive = false});
    f.step_mhz = fc.number("step_mhz", f.step_mhz, {.min = 0, .max = 1e4, .min_exclusive = true});
    f.min_mhz = fc.number("min_mhz", f.min_mhz, {.min = 0, .max = 1e5});
    f.interval_s = fc.duration("interval", f.interval_s, {.min = 0, .max = 30 * kDay});
    if (f.enabled && d.slo.ttft_s <= 0 && d.slo.tpot_s <= 0)
      fc.error("expected an slo (ttft or tpot) for the clock cap to hold, got none");
  }
  if (!platform_loaded || d.model.params <= 0) return;
  // the accelerator: in the platform, carried by a node type with tensor_parallel of it, holding the weights
  const LlmModel lm = llm_model(d.model);
  std::vector<std::string> fits, names;
  int most_per_node = 0;
  for (const auto& [name, a] : platform.accelerators) {
    names.push_back(name);
    if (!d.accelerator.empty() && name != d.accelerator) continue;
    int per_node = 0;
    for (const auto& [n, nt] : platform.node_types)
      if (nt.accelerator == name) per_node = std::max(per_node, nt.accelerators_per_node);
    most_per_node = std::max(most_per_node, per_node);
    if (per_node < d.tensor_parallel) continue;
    const double kv = kv_cache_capacity_bytes(lm, d, a);
    if (kv / std::max(lm.kv_bytes_per_token, 1.0) >= d.block_tokens) fits.push_back(name);
  }
  if (!d.accelerator.empty() && !platform.accelerators.count(d.accelerator)) {
    m.error("expected an accelerator of the platform (" + join(names) + "), got \"" + d.accelerator + "\"", "accelerator");
  } else if (fits.empty()) {
    const std::string where = d.accelerator.empty() ? "any accelerator of the platform" : d.accelerator;
    if (most_per_node > 0 && most_per_node < d.tensor_parallel)
      m.error("expected a tensor_parallel within one node (at most " + std::to_string(most_per_node) + " " + where +
                  " per node), got " + std::to_string(d.tensor_parallel), "tensor_parallel");
    else
      m.error("expected a tensor_parallel (or kv_cache_gb) that leaves room for a KV cache next to the " +
                  num(lm.weight_bytes / 1e9) + " GB of weights on " + where + ", got " +
                  std::to_string(d.tensor_parallel), "tensor_parallel");
  }
}

double estimated_requests(const RequestStreamSpec& s, const serving::TraceData* tr, Seconds span) {
  if (s.arrivals == "trace") {
    if (!tr) return 0;
    const double n = static_cast<double>(tr->t_s.size()) * s.copies;
    return s.repeat ? n * span / (tr->period_s * s.time_scale) : n;
  }
  const Seconds t0 = s.start_s, t1 = s.end_s > 0 ? std::min(s.end_s, span) : span;
  if (t1 <= t0) return 0;
  const double g = s.growth_per_year;
  const double y0 = t0 / kYear365, y1 = t1 / kYear365;
  const double growth = g == 1.0 ? (t1 - t0) : kYear365 * (std::pow(g, y1) - std::pow(g, y0)) / std::log(g);
  return s.rate_per_s * growth;
}

void stream(YamlMap m, RequestStreamSpec& s, Seconds span, double& requests) {
  s.name = m.required_string("name");
  s.deployment = m.required_string("deployment");
  s.arrivals = m.choice("arrivals", s.arrivals, {"poisson", "trace"});
  s.file = m.path("file", "");
  s.start_s = m.duration("start", s.start_s, {.min = 0, .max = 1e4 * kYear365});
  s.end_s = m.duration("end", s.end_s, {.min = 0, .max = 1e4 * kYear365, .min_exclusive = true});
  if (m.has("end") && s.end_s <= s.start_s)
    m.error("expected end > start, got " + num(s.end_s) + " s <= " + num(s.start_s) + " s", "end");
  const bool poisson = s.arrivals == "poisson";
  const std::vector<std::string> poisson_keys = {"rate_per_s", "daily_cycle", "weekly_cycle", "peak_hour_utc",
                                                 "growth_per_year", "prompt_tokens", "output_tokens"};
  const std::vector<std::string> trace_keys = {"time_scale", "repeat", "copies"};
  for (const auto& k : poisson ? trace_keys : poisson_keys)
    if (m.has(k)) {
      m.accept(k);
      m.error("expected no " + k + " for arrivals: " + s.arrivals + " (it applies to " +
                  (poisson ? "trace" : "poisson") + " streams)", k);
    }
  std::shared_ptr<const serving::TraceData> tr;
  if (!s.file.empty()) {
    try {
      tr = serving::load_azure_trace(s.file);
    } catch (const InputError& e) {
      for (const Diagnostic& d : e.diagnostics()) m.error("the trace file: " + d.to_string(), "file");
    }
  }
  if (poisson) {
    s.rate_per_s = m.required_number("rate_per_s", {.min = 0, .max = 1e9});
    s.daily_cycle = m.number("daily_cycle", s.daily_cycle, kFraction);
    s.weekly_cycle = m.number("weekly_cycle", s.weekly_cycle, {.min = 0, .max = 0.4});
    s.peak_hour_utc = m.number("peak_hour_utc", s.peak_hour_utc, {.min = 0, .max = 24});
    s.growth_per_year = m.number("growth_per_year", s.growth_per_year, {.min = 0, .max = 1000, .min_exclusive = true});
    const bool pairs = !s.file.empty();
    if (pairs && (m.has("prompt_tokens") || m.has("output_tokens")))
      m.error("expected either a token file or prompt_tokens/output_tokens, got both",
              m.has("prompt_tokens") ? "prompt_tokens" : "output_tokens");
    tokens(m.map("prompt_tokens"), s.prompt_tokens, !pairs);
    tokens(m.map("output_tokens"), s.output_tokens, !pairs);
  } else {
    if (s.file.empty() && !m.has("file")) m.error("missing required key 'file' (expected an azure-llm trace for arrivals: trace)", "file");
    s.time_scale = m.number("time_scale", s.time_scale, {.min = 0, .max = 1e6, .min_exclusive = true});
    s.repeat = m.boolean("repeat", s.repeat);
    s.copies = int_key(m, "copies", s.copies, 1, 1e5);
  }
  requests += estimated_requests(s, tr.get(), span);
}

}  // namespace

void read_serving(YamlMap m, const TimeSpec& time, const PlatformSpec& platform, bool platform_loaded,
                  ServingSpec& out) {
  if (!m.present()) return;
  out.fidelity = m.choice("fidelity", out.fidelity, {"request", "aggregated"});
  const Seconds sample = time.sample_s;
  const Seconds def_step = out.fidelity == "request" ? (std::fmod(sample, 60.0) == 0 ? 60.0 : sample) : sample;
  out.step_s = m.duration("step", def_step, {.min = 0, .max = 30 * kDay, .min_exclusive = true});
  if (m.has("step")) {
    const double r = sample / out.step_s, q = out.step_s / sample;
    if (std::fabs(r - std::round(r)) > 1e-9 && std::fabs(q - std::round(q)) > 1e-9)
      m.error("expected a step that divides time.sample (" + num(sample) + " s) or is a multiple of it, got " +
                  num(out.step_s) + " s", "step");
  }
  out.requests_table = m.boolean("requests_table", out.requests_table);
  out.sample_requests = int_key(m, "sample_requests", out.sample_requests, 100, 1e6);
  if (out.fidelity == "request" && m.has("sample_requests"))
    m.error("expected sample_requests only with fidelity: aggregated", "sample_requests");
  std::set<std::string> names;
  out.positions["serving"] = {m.pos().file, m.pos().line, m.pos().column};
  for (const char* k : {"deployments", "step", "requests_table"})
    if (m.has(k)) {
      const YamlPos kp = m.key_pos(k);
      out.positions[std::string("serving.") + k] = {kp.file, kp.line, kp.column};
    }
  YamlList deps = m.list("deployments");
  if (deps.size() == 0) m.error("missing required key 'deployments' (expected at least one deployment)", "deployments");
  for (const auto& item : deps) {
    if (!item.is_map()) {
      item.error("expected a deployment (a mapping with name and model), got " + item.describe());
      continue;
    }
    YamlMap dm = item.as_map();
    DeploymentSpec d;
    deployment(dm, d, platform, platform_loaded);
    if (!d.name.empty() && !names.insert(d.name).second)
      dm.error("expected a deployment name not used before, got \"" + d.name + "\"", "name");
    out.deployments.push_back(std::move(d));
  }
  std::set<std::string> stream_names;
  double requests = 0;
  for (const auto& item : m.list("streams")) {
    if (!item.is_map()) {
      item.error("expected a request stream (a mapping with name and deployment), got " + item.describe());
      continue;
    }
    YamlMap sm = item.as_map();
    RequestStreamSpec s;
    stream(sm, s, time.duration_s, requests);
    if (!s.name.empty() && !stream_names.insert(s.name).second)
      sm.error("expected a stream name not used before, got \"" + s.name + "\"", "name");
    if (!s.deployment.empty() && !names.count(s.deployment))
      sm.error("expected the name of a deployment (" + join({names.begin(), names.end()}) + "), got \"" +
                   s.deployment + "\"", "deployment");
    out.streams.push_back(std::move(s));
  }
  if (out.fidelity == "request" && requests > kMaxRequestLevelRequests)
    m.error("expected at most 1e9 requests for fidelity: request, got an estimated " + num(requests) +
                " over the run: use fidelity: aggregated", "fidelity");
}

}  // namespace dcsim
