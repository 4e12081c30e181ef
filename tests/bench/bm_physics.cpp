// Power integration, the engine's per-change work: one accumulator update, one accelerator
// power evaluation, one piece added to the site averager (29 written + 4 hidden channels, the
// engine's site channels, 15-minute bins), one per-rack entity update.
#include <benchmark/benchmark.h>

#include <vector>

#include "physics/accelerator_power.hpp"
#include "physics/energy.hpp"

using namespace dcsim;

namespace {

constexpr std::size_t kChannels = 33;

AcceleratorSpec h200_like() {
  AcceleratorSpec a;
  a.name = "bench";
  a.idle_power_w = 130;
  a.tdp_w = 700;
  a.power_limit_min_w = 200;
  a.power_limit_max_w = 700;
  a.utilisation_exponent = 0.8;
  for (int i = 0; i < 8; ++i) a.pstates.push_back(PState{1980.0 - 150.0 * i, 0, 720.0 - 60.0 * i});
  return a;
}

void BM_EnergyAccumulator_set(benchmark::State& state) {
  EnergyAccumulator e;
  double t = 0;
  for (auto _ : state) {
    t += 1.5;
    e.set(t, 1000.0 + (static_cast<long long>(t) & 7));
    benchmark::DoNotOptimize(e.energy_j);
  }
}
BENCHMARK(BM_EnergyAccumulator_set);

void BM_AcceleratorPower_power_w(benchmark::State& state) {
  const AcceleratorPower p(h200_like());
  int k = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(p.power_w(k & 7, 0.9, 0.8));
    ++k;
  }
}
BENCHMARK(BM_AcceleratorPower_power_w);

void BM_AcceleratorPower_highest_pstate_under(benchmark::State& state) {
  const AcceleratorPower p(h200_like());
  double cap = 300;
  for (auto _ : state) {
    benchmark::DoNotOptimize(p.highest_pstate_under(cap, 0.9, 0.8));
    cap = cap > 700 ? 300 : cap + 7;
  }
}
BENCHMARK(BM_AcceleratorPower_highest_pstate_under);

// Pieces of `piece_s` seconds: 60 s (several changes per bin, the engine under load) and
// 3,600 s (one piece spanning 4 bins).
void BM_IntervalAverager_add_piece(benchmark::State& state) {
  const double piece_s = static_cast<double>(state.range(0));
  double sink_sum = 0;
  IntervalAverager avg(kChannels, 0, 900, [&](Seconds, const std::vector<double>& a) { sink_sum += a[0]; });
  std::vector<double> values(kChannels, 1.0);
  double t = 0;
  for (auto _ : state) {
    values[0] = t;
    avg.add_piece(t, t + piece_s, values);
    t += piece_s;
  }
  benchmark::DoNotOptimize(sink_sum);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IntervalAverager_add_piece)->Arg(60)->Arg(3600);

// 313 racks (the `large` site), one rack changes per call; one bin closed every 1,000 changes.
void BM_EntityAverager_set(benchmark::State& state) {
  constexpr std::size_t kRacks = 313;
  EntityAverager e(kRacks, 0);
  std::vector<double> out(kRacks);
  double t = 0;
  std::size_t i = 0, k = 0;
  double bin = 0;
  for (auto _ : state) {
    t += 0.9;
    e.set(i, t, 1000.0 + static_cast<double>(i));
    i = i + 1 == kRacks ? 0 : i + 1;
    if (++k == 1000) {
      k = 0;
      e.emit(bin, t, out);
      bin = t;
    }
  }
  benchmark::DoNotOptimize(out.data());
}
BENCHMARK(BM_EntityAverager_set);

}  // namespace
