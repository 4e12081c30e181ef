#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "serving/fleet.hpp"
#include "serving/standalone.hpp"
#include "unit/serving/helpers.hpp"

using namespace dcsim;
using namespace dcsim::serving;

namespace {
struct Run {
  double energy_j = 0, ttft50 = 0, ttft99 = 0, tpot50 = 0, tpot99 = 0, completed = 0, tokens = 0, slo = 0;
  double wall_s = 0;
};

Run run(ServingSpec spec, Seconds span) {
  const auto w0 = std::chrono::steady_clock::now();
  Fleet fleet(spec, test::catalogue(), Calendar(CivilTime{2024, 1, 1, 0, 0, 0}), span, 42);
  HostSummary h = run_host(fleet, span);
  Run r;
  const DeploymentTotals& t = fleet.totals()[0];
  r.energy_j = h.energy_j[0];
  CHECK(h.energy_j[0] == Approx(t.energy_j).epsilon(1e-9));  // what the engine integrates = the fleet's
  r.ttft50 = t.ttft.quantile(0.5);
  r.ttft99 = t.ttft.quantile(0.99);
  r.tpot50 = t.tpot.quantile(0.5);
  r.tpot99 = t.tpot.quantile(0.99);
  r.completed = t.completed;
  r.tokens = t.tokens_out;
  r.slo = t.completed > 0 ? t.slo_met / t.completed : 0;
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  return r;
}
}  // namespace

TEST_CASE("the request-level and aggregated fidelities agree within 5 % on energy and 10 % on "
          "p50 and p99 TTFT and TPOT over a simulated day",
          "[serving][fidelity]") {
  ServingSpec spec;
  // 2 × Llama-3-8B on H100 (KV-limited batches), peak load 80 % of their saturation
  DeploymentSpec d = test::deployment("chat", "llama-3-8b", 2);
  d.accelerator = "H100-SXM";
  d.slo.ttft_s = 0.5;
  d.slo.tpot_s = 0.05;
  spec.deployments.push_back(d);
  RequestStreamSpec s = test::poisson("users", "chat", 8.0, 2000, 400);
  s.daily_cycle = 0.6;
  spec.streams.push_back(s);
  spec.fidelity = "request";
  const Run req = run(spec, kDay);
  spec.fidelity = "aggregated";
  const Run agg = run(spec, kDay);
  std::printf("fidelity over a day (2 × Llama-3-8B on H100, diurnal Poisson):\n"
              "  %-10s %12s %9s %9s %9s %9s %10s %8s %8s\n", "fidelity", "energy kWh", "TTFT p50", "TTFT p99",
              "TPOT p50", "TPOT p99", "completed", "SLO", "wall s");
  for (const auto& [name, r] : {std::pair{"request", req}, std::pair{"aggregated", agg}})
    std::printf("  %-10s %12.3f %8.1fms %8.1fms %8.2fms %8.2fms %10.0f %8.4f %8.2f\n", name, r.energy_j / 3.6e6,
                r.ttft50 * 1e3, r.ttft99 * 1e3, r.tpot50 * 1e3, r.tpot99 * 1e3, r.completed, r.slo, r.wall_s);
  std::printf("  aggregated/request: energy %+.2f %%, TTFT p50 %+.2f %%, p99 %+.2f %%, TPOT p50 %+.2f %%, p99 %+.2f %%\n",
              100 * (agg.energy_j / req.energy_j - 1), 100 * (agg.ttft50 / req.ttft50 - 1),
              100 * (agg.ttft99 / req.ttft99 - 1), 100 * (agg.tpot50 / req.tpot50 - 1),
              100 * (agg.tpot99 / req.tpot99 - 1));
  CHECK(agg.energy_j == Approx(req.energy_j).epsilon(0.05));
  CHECK(agg.ttft50 == Approx(req.ttft50).epsilon(0.10));
  CHECK(agg.ttft99 == Approx(req.ttft99).epsilon(0.10));
  CHECK(agg.tpot50 == Approx(req.tpot50).epsilon(0.10));
  CHECK(agg.tpot99 == Approx(req.tpot99).epsilon(0.10));
  CHECK(agg.completed == Approx(req.completed).epsilon(0.01));
}
