// The `serving` section of a scenario (config/serving_loader): every key, the defaults, the
// cross-checks against the platform, errors at file:line:col; the calibration of the serving
// physics on the catalogue's real H200 entry; the narrated serving examples.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/platform_loader.hpp"
#include "config/scenario_loader.hpp"
#include "physics/llm_inference.hpp"
#include "serving/fleet.hpp"
#include "serving/standalone.hpp"

using namespace dcsim;

namespace {

const std::string kSrc = DCSIM_SOURCE_DIR;

std::string write(const std::string& name, const std::string& body) {
  const std::string dir = (std::filesystem::temp_directory_path() / "dcsim_serving_loader").string();
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/" + name;
  std::ofstream(path) << "name: t\ntime: {start: 2024-01-01, duration: 1d, sample: 15min}\n"
                         "site: {platform: " + kSrc + "/platforms/sites/quickstart-h200.yaml}\n"
                         "workload: {generator: none}\n" + body;
  return path;
}

std::vector<std::string> errors(const std::string& path) {
  std::vector<std::string> out;
  try {
    load_scenario(path);
  } catch (const InputError& e) {
    for (const Diagnostic& d : e.diagnostics()) out.push_back(d.to_string());
  }
  return out;
}

bool has(const std::vector<std::string>& errs, const std::string& what) {
  for (const auto& e : errs)
    if (e.find(what) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("a serving section is read with every key and the defaults resolved", "[serving][config]") {
  const std::string f = write("full.yaml", R"(serving:
  fidelity: aggregated
  step: 5min
  sample_requests: 2000
  deployments:
    - name: chat
      model: {preset: llama-3-70b, precision: fp8}
      accelerator: H200-SXM
      tensor_parallel: 4
      replicas: 3
      min_replicas: 1
      max_replicas: 6
      gpu_memory_utilization: 0.85
      memory_reserve_gb: 2
      block_tokens: 32
      max_batch: 128
      max_batched_tokens: 2048
      chunked_prefill: true
      router: round-robin
      max_waiting_per_replica: 64
      iteration_overhead: 3ms
      compute_efficiency: 0.6
      memory_efficiency: 0.8
      memory_intensity: 0.4
      tp_bandwidth_gb_s: 300
      tp_latency: 2.0e-6
      load_time: 90s
      slo: {ttft: 500ms, tpot: 40ms}
      autoscaling: {target_utilisation: 0.6, window: 10min, scale_up_delay: 1min, scale_down_delay: 30min, scaled_down: idle}
      frequency_cap: {margin: 0.2, step_mhz: 60, min_mhz: 900, interval: 10min}
    - name: custom
      model: {params: 1.3e9, layers: 24, hidden: 2048, attention_heads: 16, kv_heads: 4}
  streams:
    - name: users
      deployment: chat
      rate_per_s: 40
      daily_cycle: 0.5
      weekly_cycle: 0.2
      peak_hour_utc: 13
      growth_per_year: 1.5
      start: 1h
      end: 20h
      prompt_tokens: {distribution: lognormal, mean: 900, cv: 1.5, max: 8000}
      output_tokens: {distribution: uniform, min: 10, max: 400}
    - name: azure
      deployment: custom
      arrivals: trace
      file: )" + kSrc + R"(/scenarios/data/gpu_traces/azure_llm_inference_2023_code.csv
      time_scale: 0.5
      repeat: false
      copies: 3
)");
  const Scenario s = load_scenario(f);
  const ServingSpec& v = s.serving;
  REQUIRE(v.enabled());
  CHECK(v.fidelity == "aggregated");
  CHECK(v.step_s == 300);
  CHECK(v.sample_requests == 2000);
  REQUIRE(v.deployments.size() == 2);
  const DeploymentSpec& d = v.deployments[0];
  CHECK(d.model.preset == "llama-3-70b");
  CHECK(d.model.params == 70.6e9);
  CHECK(d.model.precision == "fp8");
  CHECK(d.model.kv_precision == "fp8");
  CHECK(d.model.kv_bytes_per_token == 2 * 80 * 8 * 128 * 1);  // recomputed for fp8
  CHECK(d.tensor_parallel == 4);
  CHECK(d.replicas == 3);
  CHECK(d.min_replicas == 1);
  CHECK(d.max_replicas == 6);
  CHECK(d.gpu_memory_utilization == 0.85);
  CHECK(d.memory_reserve_gb == 2);
  CHECK(d.block_tokens == 32);
  CHECK(d.max_batch == 128);
  CHECK(d.max_batched_tokens == 2048);
  CHECK(d.chunked_prefill);
  CHECK(d.router == "round-robin");
  CHECK(d.max_waiting_per_replica == 64);
  CHECK(d.iteration_overhead_s == Approx(3e-3));
  CHECK(d.compute_efficiency == 0.6);
  CHECK(d.memory_efficiency == 0.8);
  CHECK(d.memory_intensity == 0.4);
  CHECK(d.tp_bandwidth_gb_s == 300);
  CHECK(d.tp_latency_s == Approx(2e-6));
  CHECK(d.load_time_s == 90);
  CHECK(d.slo.ttft_s == Approx(0.5));
  CHECK(d.slo.tpot_s == Approx(0.04));
  CHECK(d.autoscaling.enabled);
  CHECK(d.autoscaling.target_utilisation == 0.6);
  CHECK(d.autoscaling.window_s == 600);
  CHECK(d.autoscaling.scale_up_delay_s == 60);
  CHECK(d.autoscaling.scale_down_delay_s == 1800);
  CHECK(d.autoscaling.scaled_down == "idle");
  CHECK(d.frequency_cap.enabled);
  CHECK(d.frequency_cap.margin == 0.2);
  CHECK(d.frequency_cap.step_mhz == 60);
  CHECK(d.frequency_cap.min_mhz == 900);
  CHECK(d.frequency_cap.interval_s == 600);
  const DeploymentSpec& c = v.deployments[1];
  CHECK(c.model.head_dim == 128);  // 2048 / 16
  CHECK(c.model.kv_heads == 4);
  CHECK(c.model.kv_bytes_per_token == 2 * 24 * 4 * 128 * 2);
  CHECK(c.tensor_parallel == 1);
  CHECK(c.replicas == 1);
  CHECK(c.max_batch == 256);
  CHECK(c.iteration_overhead_s == Approx(1.8e-3));
  CHECK_FALSE(c.autoscaling.enabled);
  REQUIRE(v.streams.size() == 2);
  const RequestStreamSpec& u = v.streams[0];
  CHECK(u.rate_per_s == 40);
  CHECK(u.daily_cycle == 0.5);
  CHECK(u.weekly_cycle == 0.2);
  CHECK(u.peak_hour_utc == 13);
  CHECK(u.growth_per_year == 1.5);
  CHECK(u.start_s == 3600);
  CHECK(u.end_s == 72000);
  CHECK(u.prompt_tokens.cv == 1.5);
  CHECK(u.output_tokens.distribution == "uniform");
  CHECK(u.output_tokens.max == 400);
  const RequestStreamSpec& a = v.streams[1];
  CHECK(a.arrivals == "trace");
  CHECK(a.time_scale == 0.5);
  CHECK_FALSE(a.repeat);
  CHECK(a.copies == 3);
  SECTION("the request fidelity's step defaults to one minute, the aggregated one's to time.sample") {
    const std::string dep = "  deployments: [{name: d, model: {preset: llama-3-8b}}]\n";
    CHECK(load_scenario(write("r.yaml", "serving:\n" + dep)).serving.step_s == 60);
    CHECK(load_scenario(write("g.yaml", "serving:\n  fidelity: aggregated\n" + dep)).serving.step_s == 900);
  }
}

TEST_CASE("a scenario without a serving section has none", "[serving][config]") {
  CHECK_FALSE(load_scenario(write("none.yaml", "")).serving.enabled());
}

TEST_CASE("serving errors are reported together, each at file:line:col with its key path", "[serving][config]") {
  const std::string f = write("bad.yaml", R"(serving:
  fidelity: fast
  step: 7min
  deployments:
    - name: chat
      model: {preset: llama-9}
      tensor_parallel: 0
      router: random
      bogus: 1
    - name: chat
      model: {params: 7e9, layers: 32}
      accelerator: TPU-v9
    - name: big
      model: {preset: llama-3-70b}
      accelerator: H200-SXM
      tensor_parallel: 1
      min_replicas: 0
      frequency_cap: {step_mhz: 90}
  streams:
    - name: s
      deployment: nowhere
      rate_per_s: -1
      time_scale: 2
    - name: t
      deployment: chat
      arrivals: trace
)");
  const auto e = errors(f);
  CHECK(has(e, f + ":6:13: serving.fidelity: expected one of"));  // 4 header lines first
  CHECK(has(e, f + ":7:3: serving.step: expected a step that divides time.sample (900 s)"));
  CHECK(has(e, "serving.deployments.0.model.preset: expected a built-in model (gpt2-medium"));
  CHECK(has(e, f + ":11:24: serving.deployments.0.tensor_parallel: expected an integer in [1, 64], got 0"));
  CHECK(has(e, "serving.deployments.0.router: expected one of"));
  CHECK(has(e, "serving.deployments.0.bogus"));
  CHECK(has(e, "serving.deployments.1.name: expected a deployment name not used before"));
  CHECK(has(e, "serving.deployments.1.model.hidden: missing required key 'hidden'"));
  CHECK(has(e, "serving.deployments.1.model.attention_heads: missing required key"));
  CHECK(has(e, "serving.deployments.1.accelerator: expected an accelerator of the platform (H200-SXM), got \"TPU-v9\""));
  CHECK(has(e, "serving.deployments.2.tensor_parallel: expected a tensor_parallel (or kv_cache_gb) that leaves room"));
  CHECK(has(e, "serving.deployments.2.min_replicas: expected min_replicas and max_replicas only with autoscaling"));
  CHECK(has(e, "serving.deployments.2.frequency_cap: expected an slo"));
  CHECK(has(e, "serving.streams.0.deployment: expected the name of a deployment"));
  CHECK(has(e, "serving.streams.0.rate_per_s: expected"));
  CHECK(has(e, "serving.streams.0.time_scale: expected no time_scale for arrivals: poisson"));
  CHECK(has(e, "serving.streams.0.prompt_tokens: missing required key"));
  CHECK(has(e, "serving.streams.1.file: missing required key 'file'"));
  CHECK(e.size() >= 18);
}

TEST_CASE("a malformed trace named by a stream is reported with the trace's file and line and "
          "the stream's key",
          "[serving][config]") {
  const std::string trace = (std::filesystem::temp_directory_path() / "dcsim_serving_loader" / "bad.csv").string();
  std::filesystem::create_directories(std::filesystem::path(trace).parent_path());
  std::ofstream(trace) << "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374,44\nnot a date,1,1\n";
  const std::string f = write("trace.yaml", "serving:\n  deployments: [{name: d, model: {preset: llama-3-8b}}]\n"
                                            "  streams:\n    - {name: s, deployment: d, arrivals: trace, file: " + trace + "}\n");
  const auto e = errors(f);
  REQUIRE(e.size() == 1);
  CHECK(has(e, "serving.streams.0.file: the trace file: " + trace + ":3: TIMESTAMP: expected a date-time"));
}

TEST_CASE("request fidelity refuses a run of more than 10^9 requests", "[serving][config]") {
  const std::string f = write("huge.yaml", "serving:\n  deployments: [{name: d, model: {preset: llama-3-8b}}]\n"
                                           "  streams:\n    - {name: s, deployment: d, rate_per_s: 20000, prompt_tokens: {mean: 100}, output_tokens: {mean: 100}}\n");
  const auto e = errors(f);
  CHECK(has(e, "serving.fidelity: expected at most 1e9 requests for fidelity: request, got an estimated 1.728e+09"));
  CHECK(errors(write("huge2.yaml", "serving:\n  fidelity: aggregated\n  deployments: [{name: d, model: {preset: llama-3-8b}}]\n"
                                   "  streams:\n    - {name: s, deployment: d, rate_per_s: 20000, prompt_tokens: {mean: 100}, output_tokens: {mean: 100}}\n"))
            .empty());
}

TEST_CASE("the catalogue's H200-SXM entry reproduces our batch-1 decode measurement of GPT-2 "
          "medium: 83 tokens/s with the HF-eager overhead, power within 5 % of 140 W",
          "[serving][config][calibration]") {
  DiagnosticSink sink;
  const PlatformSpec p = load_platform(kSrc + "/platforms/sites/quickstart-h200.yaml", sink);
  REQUIRE(sink.empty());
  const AcceleratorSpec& h200 = p.accelerators.at("H200-SXM");
  const Scenario s = load_scenario(write("gpt2.yaml", "serving:\n  deployments:\n    - {name: d, model: {preset: gpt2-medium}, iteration_overhead: 11.9ms}\n"));
  const DeploymentSpec& d = s.serving.deployments.at(0);
  const LlmIterationModel m(llm_model(d.model), d, h200);
  BatchShape b;
  b.decode_seqs = 1;
  b.decode_context = 32;
  const IterationPoint it = m.under_cap(m.cost(b), h200.power_limit_max_w, 0);
  std::printf("catalogue H200-SXM, GPT-2 medium batch 1: %.2f tokens/s (measured 82.87), %.1f W (measured 139.7)\n",
              1 / it.time_s, it.power_w);
  CHECK(1 / it.time_s == Approx(82.87).epsilon(0.005));
  CHECK(it.power_w == Approx(139.7).epsilon(0.05));
}

TEST_CASE("the narrated serving examples load, and their fleets run standalone", "[serving][config][examples]") {
  const std::string dir = kSrc + "/scenarios/examples/";
  const Seconds span = 3 * 3600;
  std::printf("serving examples, their first 3 hours standalone (accelerators only):\n  %-24s %10s %12s %10s %8s\n", "example",
              "GPUs peak", "J/1k tokens", "TTFT p99", "SLO");
  for (const char* name : {"serving-70b-h200", "serving-70b-h200-cap70", "serving-70b-h100", "serving-70b-h100-cap70",
                           "serving-autoscaling", "serving-always-on", "serving-with-training"}) {
    INFO(name);
    Scenario s = load_scenario(dir + name + ".yaml");
    REQUIRE(s.serving.enabled());
    s.serving.sample_requests = 300;  // coarse tables: this checks that they run, not their figures
    serving::Fleet fleet(s.serving, s.site.platform.accelerators, Calendar(s.time.start), span, s.seed);
    serving::HostOptions ho;
    for (const auto& pol : s.policies.energy)
      if (pol.name == "power-cap") ho.env.all.power_limit_w = pol.numbers.at("cap_w");
    const serving::HostSummary h = serving::run_host(fleet, span, ho);
    const serving::DeploymentTotals& t = fleet.totals()[0];
    std::printf("  %-24s %10d %12.1f %9.2fs %8.4f\n", name, h.peak_gpus, 1000 * h.energy_j[0] / t.tokens_out,
                t.ttft.quantile(0.99), t.slo_met / t.completed);
    CHECK(t.completed > 0);
    CHECK(h.energy_j[0] == Approx(t.energy_j));
  }
}
