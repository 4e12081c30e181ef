// Serving (issue 15) benchmarks: the two fidelities of sim/serving driven through the
// engine's call sequence (serving/standalone.hpp), each against a floor measured in the same
// run.
//
//   BM_Aggregated/<days>/<replicas>/<rate>
//                                     Llama-3-70B on 8-GPU H200 replicas (1,250 = 10,000 GPUs),
//                                     diurnal Poisson load of <rate> requests/s on average
//                                     (14,625/s: 65 % of 1,250 replicas' capacity; 32/s: 10^9
//                                     requests a year), 15-min steps; counters: simulated
//                                     requests, steps
//   BM_RequestLevel/<requests>        4 replicas of Llama-3-8B on H200, Poisson at 120 requests/s
//                                     for requests/120 s, every request simulated (1-min steps)
//   BM_RequestFloor/<requests>        the floor: the same Poisson arrivals and token draws pushed
//                                     through a binary heap (arrival, first token, finish), the
//                                     least a request-level simulator does per request
// The `/1/...` and `/10000` cases are the CI smoke (ctest -L bench).
#include <benchmark/benchmark.h>

#include <cmath>
#include <queue>
#include <vector>

#include "core/rng.hpp"
#include "serving/fleet.hpp"
#include "serving/presets.hpp"
#include "serving/standalone.hpp"
#include "../fixtures/platforms/specs.hpp"

using namespace dcsim;
using namespace dcsim::serving;

namespace {

AcceleratorSpec h200() {
  AcceleratorSpec a = fixtures::law_gpu();
  a.name = "H200-SXM";
  a.peak_tflops = {{"bf16", 989.4}};
  a.memory_gb = 141;
  a.memory_bandwidth_tbps = 4.8;
  return a;
}

RequestStreamSpec stream(double rate, double prompt, double output) {
  RequestStreamSpec s;
  s.name = "users";
  s.deployment = "d";
  s.rate_per_s = rate;
  s.prompt_tokens.mean = prompt;
  s.prompt_tokens.max = 8 * prompt;
  s.output_tokens.mean = output;
  s.output_tokens.max = 8 * output;
  return s;
}

DeploymentSpec deployment(const char* preset, int tp, int replicas) {
  DeploymentSpec d;
  d.name = "d";
  d.model = *find_llm_preset(preset);
  d.accelerator = "H200-SXM";
  d.tensor_parallel = tp;
  d.replicas = d.min_replicas = d.max_replicas = replicas;
  return d;
}

void BM_Aggregated(benchmark::State& state) {
  const double days = static_cast<double>(state.range(0));
  const int replicas = static_cast<int>(state.range(1));
  const double rate = static_cast<double>(state.range(2));
  ServingSpec spec;
  spec.fidelity = "aggregated";
  spec.step_s = 900;
  spec.deployments.push_back(deployment("llama-3-70b", 8, replicas));
  RequestStreamSpec s = stream(rate, 1000, 300);  // ~18 requests/s saturate one replica
  s.daily_cycle = 0.4;
  s.weekly_cycle = 0.1;
  spec.streams.push_back(s);
  double requests = 0, steps = 0;
  for (auto _ : state) {
    Fleet fleet(spec, {{"H200-SXM", h200()}}, Calendar(CivilTime{2024, 1, 1, 0, 0, 0}), days * kDay, 1);
    const HostSummary h = run_host(fleet, days * kDay);
    requests = fleet.totals()[0].arrivals;
    steps = static_cast<double>(h.steps);
    benchmark::DoNotOptimize(h.energy_j[0]);
  }
  state.counters["requests"] = requests;
  state.counters["steps"] = steps;
  state.counters["gpus"] = 8.0 * replicas;
  state.counters["requests_per_s"] = benchmark::Counter(requests, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Aggregated)
    ->Args({1, 125, 1462})
    ->Args({365, 125, 1462})
    ->Args({365, 1250, 32})
    ->Args({365, 1250, 14625})
    ->Unit(benchmark::kSecond)
    ->Iterations(1);

ServingSpec request_spec() {
  ServingSpec spec;
  spec.fidelity = "request";
  spec.step_s = 60;
  spec.requests_table = true;
  spec.deployments.push_back(deployment("llama-3-8b", 1, 4));
  spec.streams.push_back(stream(120.0, 600, 200));
  return spec;
}

void BM_RequestLevel(benchmark::State& state) {
  const double n = static_cast<double>(state.range(0));
  const Seconds span = n / 120.0;
  double done = 0;
  for (auto _ : state) {
    Fleet fleet(request_spec(), {{"H200-SXM", h200()}}, Calendar(CivilTime{2024, 1, 1, 0, 0, 0}), span, 1);
    const HostSummary h = run_host(fleet, span);
    done = fleet.totals()[0].completed;
    benchmark::DoNotOptimize(h.requests);
  }
  state.counters["requests"] = done;
  state.SetItemsProcessed(static_cast<std::int64_t>(done) * state.iterations());
}
BENCHMARK(BM_RequestLevel)->Arg(10000)->Arg(250000)->Arg(500000)->Arg(1000000)->Unit(benchmark::kSecond)->Iterations(1);

void BM_RequestFloor(benchmark::State& state) {
  const double n = static_cast<double>(state.range(0));
  const RequestStreamSpec s = stream(120.0, 600, 200);
  for (auto _ : state) {
    RngStream arrivals(1, "a"), tokens(1, "t");
    const TokenSampler sampler(s, nullptr);
    using Ev = std::pair<double, int>;
    std::priority_queue<Ev, std::vector<Ev>, std::greater<>> heap;
    double t = 0, sum = 0;
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(n); ++i) {
      t += arrivals.exponential(120.0);
      int p = 0, o = 0;
      sampler.draw(tokens, p, o);
      heap.push({t, 0});
      heap.push({t + 1e-5 * p, 1});
      heap.push({t + 1e-5 * p + 5e-3 * o, 2});
      while (!heap.empty() && heap.top().first <= t) {
        sum += heap.top().first;
        heap.pop();
      }
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n) * state.iterations());
}
BENCHMARK(BM_RequestFloor)->Arg(10000)->Arg(250000)->Arg(500000)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
