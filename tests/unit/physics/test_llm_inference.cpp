#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "fixtures/platforms/specs.hpp"
#include "physics/llm_inference.hpp"

using namespace dcsim;

namespace {

// The catalogue's H200-SXM (platforms/accelerators.yaml): the documented p-state law with the
// H200's parameters, 989.4 TFLOP/s bf16, 4.8 TB/s, 141 GB.
AcceleratorSpec h200() {
  AcceleratorSpec a = fixtures::law_gpu();
  a.name = "H200-SXM";
  a.peak_tflops = {{"bf16", 989.4}, {"fp16", 989.4}, {"fp8", 1978.9}};
  a.memory_gb = 141;
  a.memory_bandwidth_tbps = 4.8;
  return a;
}

LlmModelSpec spec(double params, int layers, int hidden, int heads, int kv_heads, int head_dim) {
  LlmModelSpec m;
  m.params = params;
  m.layers = layers;
  m.hidden = hidden;
  m.attention_heads = heads;
  m.kv_heads = kv_heads;
  m.head_dim = head_dim;
  return m;
}
LlmModelSpec gpt2_medium() { return spec(355e6, 24, 1024, 16, 16, 64); }
LlmModelSpec llama2_7b() { return spec(6.74e9, 32, 4096, 32, 32, 128); }
LlmModelSpec llama3_8b() { return spec(8.03e9, 32, 4096, 32, 8, 128); }
LlmModelSpec llama3_70b() { return spec(70.6e9, 80, 8192, 64, 8, 128); }

DeploymentSpec deployment(Seconds overhead_s, int tp = 1) {
  DeploymentSpec d;
  d.iteration_overhead_s = overhead_s;
  d.tensor_parallel = tp;
  return d;
}

BatchShape decode(double seqs, double context_each) {
  BatchShape b;
  b.decode_seqs = seqs;
  b.decode_context = seqs * context_each;
  return b;
}

// Full power of the law at the table's p-state p (what the model's p-state table holds).
double full_power(const AcceleratorSpec& a, int p) { return a.pstates[static_cast<std::size_t>(p)].full_power_w; }

}  // namespace

TEST_CASE("model sizing: weights from parameters and precision, KV bytes per token from the "
          "architecture (docs/REFERENCE.md table)",
          "[physics][llm]") {
  const LlmModel g = llm_model(gpt2_medium());
  CHECK(g.weight_bytes == Approx(710e6));
  CHECK(g.kv_bytes_per_token == Approx(96 * 1024));     // 96 KiB
  CHECK(llm_model(llama2_7b()).kv_bytes_per_token == Approx(512 * 1024));
  CHECK(llm_model(llama3_8b()).kv_bytes_per_token == Approx(128 * 1024));
  CHECK(llm_model(llama3_70b()).kv_bytes_per_token == Approx(320 * 1024));
  SECTION("fp8 weights and KV halve both; a given KV size wins") {
    LlmModelSpec m = llama3_70b();
    m.precision = "fp8";
    m.kv_precision = "fp8";
    CHECK(llm_model(m).weight_bytes == Approx(70.6e9));
    CHECK(llm_model(m).kv_bytes_per_token == Approx(160 * 1024));
    m.kv_bytes_per_token = 1000;
    CHECK(llm_model(m).kv_bytes_per_token == 1000);
  }
  SECTION("the KV cache is the memory left by the weights (vLLM's accounting) or a given size") {
    const DeploymentSpec d = deployment(1.8e-3, 2);
    // 2 · 141 GB · 0.9 − 141.2 GB − 2 · 1 GB
    CHECK(kv_cache_capacity_bytes(llm_model(llama3_70b()), d, h200()) ==
          Approx(2 * 141e9 * 0.9 - 141.2e9 - 2e9));
    DeploymentSpec given = d;
    given.kv_cache_gb = 10;
    CHECK(kv_cache_capacity_bytes(llm_model(llama3_70b()), given, h200()) == Approx(10e9));
  }
  SECTION("unknown precisions are an error") { CHECK_THROWS_AS(bytes_per_element("int3"), std::invalid_argument); }
}

TEST_CASE("batch-1 decode of GPT-2 medium on the H200 is bound by HBM bandwidth and, with the "
          "HF-eager overhead, reproduces our 83 tokens/s, its power is predicted within 5 % of "
          "the measured 140 W",
          "[physics][llm][calibration]") {
  const AcceleratorSpec a = h200();
  const LlmIterationModel m(llm_model(gpt2_medium()), deployment(11.9e-3), a);
  // one sequence, 32 tokens cached (the middle of the measured 64-token greedy decode)
  const IterationCost c = m.cost(decode(1, 32));
  // by hand: F = 2·355e6 + 4·24·1024·33, B = 710e6 + 98304·33
  const double flops = 2 * 355e6 + 4.0 * 24 * 1024 * 33;
  const double bytes = 710e6 + 98304.0 * 33;
  CHECK(c.compute_s == Approx(flops / (989.4e12 * 0.887)));
  CHECK(c.memory_s == Approx(bytes / (4.8e12 * 0.885)));
  CHECK(c.memory_s > 100 * c.compute_s);  // memory-bound
  const IterationPoint it = m.under_cap(c, 700, 0);
  CHECK(it.pstate == 0);  // far below the cap: full clock
  const double t = bytes / (4.8e12 * 0.885) + 11.9e-3;
  CHECK(it.time_s == Approx(t));
  const double tokens_per_s = 1.0 / it.time_s;
  // power by hand: u = t_m/t, I = 0.391 + 0.609·t_c/(t_c + t_m)
  const double tc = flops / (989.4e12 * 0.887), tm = bytes / (4.8e12 * 0.885);
  const double u = tm / t, intensity = 0.391 + 0.609 * tc / (tc + tm);
  const double watts = 130 + u * intensity * (full_power(a, 0) - 130);
  CHECK(it.power_w == Approx(watts));
  const double measured_tps = 82.8749, measured_w = 139.7195;  // phases.csv, generative_gpt2_medium_decode
  std::printf("GPT-2 medium batch-1 decode on H200 (HF eager, t_oh 11.9 ms): %.2f tokens/s (measured %.2f), "
              "%.1f W (measured %.1f, %+.1f %%), %.3f J/token (measured 1.680)\n",
              tokens_per_s, measured_tps, it.power_w, measured_w, 100 * (it.power_w / measured_w - 1),
              it.power_w * it.time_s);
  CHECK(tokens_per_s == Approx(measured_tps).epsilon(0.005));  // the overhead is fitted to it
  CHECK(it.power_w == Approx(measured_w).epsilon(0.05));        // the check
}

TEST_CASE("the production overhead default (1.8 ms) is what the roofline leaves of gpt-fast's "
          "107 tokens/s for Llama-2-7B at batch 1 on an A100-80GB",
          "[physics][llm][calibration]") {
  AcceleratorSpec a100 = fixtures::law_gpu(1410, 210, 15, 0.55, 150, 300, 60);
  a100.peak_tflops = {{"bf16", 312}};
  a100.memory_bandwidth_tbps = 2.039;
  a100.memory_gb = 80;
  const DeploymentSpec d;  // defaults: iteration_overhead_s = 1.8 ms
  REQUIRE(d.iteration_overhead_s == Approx(1.8e-3));
  const LlmIterationModel m(llm_model(llama2_7b()), d, a100);
  // a short prompt and 200 generated tokens: ~100 tokens cached on average
  const IterationPoint it = m.at(m.cost(decode(1, 100)), 0);
  std::printf("Llama-2-7B batch-1 decode on A100-80GB with the default overhead: %.1f tokens/s "
              "(gpt-fast with CUDA graphs: 107.0)\n", 1.0 / it.time_s);
  CHECK(1.0 / it.time_s == Approx(107.0).epsilon(0.02));
}

TEST_CASE("prefill is compute-bound: 2·N FLOPs per prompt token plus causal attention, and "
          "under the 700 W cap the clock drops as for the measured GEMM",
          "[physics][llm]") {
  const AcceleratorSpec a = h200();
  const LlmIterationModel m(llm_model(llama2_7b()), deployment(1.8e-3), a);
  BatchShape b;
  b.add_prefill(1024, 0);
  CHECK(b.prefill_pairs == Approx(1024 * 1025 / 2.0));
  const IterationCost c = m.cost(b);
  const double flops = 2 * 6.74e9 * 1024 + 4.0 * 32 * 4096 * (1024 * 1025 / 2.0);
  const double bytes = 13.48e9 + 524288.0 * 1024;
  CHECK(c.compute_s == Approx(flops / (989.4e12 * 0.887)));
  CHECK(c.memory_s == Approx(bytes / (4.8e12 * 0.885)));
  CHECK(c.compute_s > 3 * c.memory_s);
  const IterationPoint fast = m.at(c, 0);
  REQUIRE(fast.power_w > 700);  // a dense prefill would draw more than the card allows
  const IterationPoint capped = m.under_cap(c, 700, 0);
  CHECK(capped.power_w <= 700);
  CHECK(m.at(c, capped.pstate - 1).power_w > 700);  // the fastest state that fits
  const double f = a.pstates[static_cast<std::size_t>(capped.pstate)].freq_mhz;
  CHECK(capped.time_s == Approx(c.compute_s * 1980.0 / f + 1.8e-3));  // the DVFS law
  std::printf("1024-token prefill of Llama-2-7B on H200 under 700 W: %.0f MHz, %.1f ms, %.0f W (uncapped %.0f W)\n",
              f, capped.time_s * 1e3, capped.power_w, fast.power_w);
  CHECK(f > 1300);
  CHECK(f < 1700);
}

TEST_CASE("decode is memory-bound at batch 1 and compute-bound at batch 256 with short "
          "contexts, and energy per token falls with the batch as the roofline predicts",
          "[physics][llm]") {
  const AcceleratorSpec a = h200();
  const LlmIterationModel m(llm_model(llama3_8b()), deployment(1.8e-3), a);
  const IterationCost c1 = m.cost(decode(1, 100));
  const IterationCost c256 = m.cost(decode(256, 100));
  CHECK(c1.memory_s > c1.compute_s);
  CHECK(c256.compute_s > c256.memory_s);
  double prev = 1e300;
  std::printf("Llama-3-8B decode on H200 (100 tokens cached each):\n  batch  t_iter ms   W    J/token\n");
  for (int b = 1; b <= 256; b *= 2) {
    const IterationCost c = m.cost(decode(b, 100));
    const IterationPoint it = m.under_cap(c, 700, 0);
    // by hand: the roofline time at the chosen clock
    const double f = a.pstates[static_cast<std::size_t>(it.pstate)].freq_mhz;
    const double flops = 2 * 8.03e9 * b + 4.0 * 32 * 4096 * (b * 101.0);
    const double bytes = 16.06e9 + 131072.0 * b * 101;
    const double t = std::max(flops / (989.4e12 * 0.887) * 1980.0 / f, bytes / (4.8e12 * 0.885)) + 1.8e-3;
    CHECK(it.time_s == Approx(t));
    const double j_per_token = it.power_w * it.time_s / b;
    std::printf("  %5d  %8.3f  %5.0f  %.4f\n", b, it.time_s * 1e3, it.power_w, j_per_token);
    CHECK(j_per_token < prev);
    // while memory-bound the step time barely grows: J/token falls almost as 1/batch
    if (c.memory_s > c.compute_s && b > 1) CHECK(j_per_token < 0.6 * prev);
    prev = j_per_token;
  }
  // past the ridge the compute grows with the batch: the last doubling saves far less than half
  const IterationPoint p128 = m.under_cap(m.cost(decode(128, 100)), 700, 0);
  const IterationPoint p256 = m.under_cap(m.cost(decode(256, 100)), 700, 0);
  CHECK(p256.power_w * p256.time_s / 256 > 0.6 * p128.power_w * p128.time_s / 128);
}

TEST_CASE("a power cap raises the time per output token of compute-bound decode by the DVFS "
          "law and leaves memory-bound decode nearly unchanged",
          "[physics][llm][dvfs]") {
  const AcceleratorSpec a = h200();
  const LlmIterationModel m(llm_model(llama3_8b()), deployment(1.8e-3), a);
  const IterationCost big = m.cost(decode(256, 100));
  const IterationPoint free = m.under_cap(big, 700, 0);
  const IterationPoint capped = m.under_cap(big, 400, 0);
  REQUIRE(capped.pstate > free.pstate);
  CHECK(capped.power_w <= 400);
  const double f0 = a.pstates[static_cast<std::size_t>(free.pstate)].freq_mhz;
  const double f1 = a.pstates[static_cast<std::size_t>(capped.pstate)].freq_mhz;
  const double t0 = std::max(big.compute_s * 1980 / f0, big.memory_s) + big.overhead_s;
  const double t1 = std::max(big.compute_s * 1980 / f1, big.memory_s) + big.overhead_s;
  CHECK(free.time_s == Approx(t0));
  CHECK(capped.time_s == Approx(t1));
  std::printf("batch-256 decode, 400 W cap: %.0f → %.0f MHz, TPOT %.2f → %.2f ms (×%.3f)\n", f0, f1,
              free.time_s * 1e3, capped.time_s * 1e3, capped.time_s / free.time_s);
  CHECK(capped.time_s / free.time_s > 1.2);
  SECTION("memory-bound decode under the same cap") {
    const IterationCost small = m.cost(decode(1, 100));
    const IterationPoint s0 = m.under_cap(small, 700, 0);
    const IterationPoint s1 = m.under_cap(small, 400, 0);
    CHECK(s1.time_s / s0.time_s < 1.01);
  }
  SECTION("a floor p-state from a governor is never made faster") {
    const IterationPoint floor = m.under_cap(m.cost(decode(1, 100)), 700, 40);
    CHECK(floor.pstate == 40);
  }
}

TEST_CASE("tensor parallelism splits the work over the GPUs and adds two ring all-reduces per "
          "layer",
          "[physics][llm]") {
  const AcceleratorSpec a = h200();
  DeploymentSpec d = deployment(1.8e-3, 8);
  const LlmIterationModel m8(llm_model(llama3_70b()), d, a);
  const LlmIterationModel m1(llm_model(llama3_70b()), deployment(1.8e-3, 1), a);
  const BatchShape b = decode(64, 1000);
  const IterationCost c8 = m8.cost(b), c1 = m1.cost(b);
  CHECK(c8.memory_s == Approx(c1.memory_s / 8));
  CHECK(c8.compute_s == Approx(c1.compute_s / 8));
  CHECK(c1.comm_s == 0);
  // ring all-reduce of 64·8192·2 bytes over 8 GPUs: 2·7·1 µs + 2·7/8·S/360 GB/s, 2 per layer
  const double s = 64.0 * 8192 * 2;
  const double ar = 14 * 1e-6 + 14.0 / 8 * s / 360e9;
  CHECK(ring_allreduce_s(8, s, 360e9, 1e-6) == Approx(ar));
  CHECK(c8.comm_s == Approx(2 * 80 * ar));
  CHECK(ring_allreduce_s(1, s, 360e9, 1e-6) == 0);
}

TEST_CASE("the activity-to-watts mapping interpolates the intensity between the memory copy "
          "and the GEMM and is idle power with nothing active",
          "[physics][llm][power]") {
  const AcceleratorSpec a = h200();
  const AcceleratorPower p(a);
  DeviceActivity none;
  CHECK(accelerator_power_from_activity_w(p, 0, none, 0.391) == Approx(130));
  DeviceActivity gemm{1, 1, 0, 0};
  CHECK(accelerator_power_from_activity_w(p, 0, gemm, 0.391) == Approx(full_power(a, 0)));
  DeviceActivity copy{1, 0, 1, 0};
  CHECK(accelerator_power_from_activity_w(p, 0, copy, 0.391) == Approx(130 + 0.391 * (full_power(a, 0) - 130)));
  DeviceActivity half{0.5, 0.5, 0.5, 0};
  CHECK(accelerator_power_from_activity_w(p, 10, half, 0.391) ==
        Approx(130 + 0.5 * (0.391 + 0.609 * 0.5) * (full_power(a, 10) - 130)));
  SECTION("the measured memory copy (u 0.983) is reproduced as in h200_phases.yaml") {
    DeviceActivity mc{0.983, 0, 0.983, 0};
    CHECK(accelerator_power_from_activity_w(p, 0, mc, 0.391) == Approx(479.2).epsilon(0.01));
  }
}
