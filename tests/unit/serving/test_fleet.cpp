#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "core/error.hpp"
#include "serving/fleet.hpp"
#include "serving/standalone.hpp"
#include "unit/serving/helpers.hpp"

using namespace dcsim;
using namespace dcsim::serving;

namespace {
const Calendar kCal(CivilTime{2024, 1, 1, 0, 0, 0});
const std::string kConv = std::string(DCSIM_SOURCE_DIR) + "/scenarios/data/gpu_traces/azure_llm_inference_2023_conv.csv";

ServingSpec one(const std::string& fidelity, double rate, int replicas = 1) {
  ServingSpec spec;
  spec.fidelity = fidelity;
  spec.step_s = 60;
  DeploymentSpec d = test::deployment("chat", "llama-3-8b", replicas);
  d.slo.ttft_s = 1.0;
  d.slo.tpot_s = 0.05;
  spec.deployments.push_back(d);
  spec.streams.push_back(test::poisson("users", "chat", rate, 600, 200));
  return spec;
}
}  // namespace

TEST_CASE("a replica with nothing to do draws idle power, exactly", "[serving][fleet]") {
  for (const char* f : {"request", "aggregated"}) {
    ServingSpec spec = one(f, 0.0, 2);
    Fleet fleet(spec, test::catalogue(), kCal, 3600, 1);
    const HostSummary h = run_host(fleet, 3600);
    CHECK(h.energy_j[0] == Approx(2 * 130.0 * 3600));
    CHECK(fleet.totals()[0].completed == 0);
  }
}

TEST_CASE("a power cap from the engine keeps every replica under it and raises TPOT, energy per "
          "token changes accordingly",
          "[serving][fleet][dvfs]") {
  for (const char* f : {"request", "aggregated"}) {
    DYNAMIC_SECTION(f) {
      auto run = [&](Watts cap) {
        Fleet fleet(one(f, 25.0), test::catalogue(), kCal, 3600, 5);
        HostOptions ho;
        ho.env.all.power_limit_w = cap;
        double max_w = 0;
        ho.on_step = [&](const StepResult& r) {
          for (const ReplicaStep& rs : r.replicas) max_w = std::max(max_w, rs.power_per_gpu_w);
        };
        run_host(fleet, 3600, ho);
        const DeploymentTotals& t = fleet.totals()[0];
        return std::tuple{max_w, t.tpot.quantile(0.5), t.joules_per_output_token()};
      };
      const auto [w700, tpot700, j700] = run(700);
      const auto [w490, tpot490, j490] = run(490);  // a 70 % cap
      std::printf("[%s] 70 %% cap: max power %.0f → %.0f W, TPOT p50 %.2f → %.2f ms, J/token %.3f → %.3f\n", f, w700,
                  w490, tpot700 * 1e3, tpot490 * 1e3, j700, j490);
      CHECK(w490 <= 490 + 1e-6);
      CHECK(w700 > 490);
      CHECK(tpot490 > 1.05 * tpot700);
    }
  }
}

TEST_CASE("the SLO-aware clock cap lowers the clock while the latency targets hold, saving "
          "energy while nearly every request still meets its targets",
          "[serving][fleet][governor]") {
  for (const char* f : {"request", "aggregated"}) {
    DYNAMIC_SECTION(f) {
      struct Out {
        Joules energy = 0;
        double attainment = 0;
        Megahertz lowest = 1e9;
      };
      auto run = [&](bool governed) {
        ServingSpec spec = one(f, 15.0);
        DeploymentSpec& d = spec.deployments[0];
        d.slo.ttft_s = 2.0;
        d.slo.tpot_s = 0.030;
        d.frequency_cap.enabled = governed;
        d.frequency_cap.step_mhz = 90;
        d.frequency_cap.margin = 0.1;
        Fleet fleet(spec, test::catalogue(), kCal, 4 * 3600, 9);
        HostOptions ho;
        Out o;
        ho.on_step = [&](const StepResult& r) { o.lowest = std::min(o.lowest, r.deployments[0].clock_cap_mhz); };
        const HostSummary h = run_host(fleet, 4 * 3600, ho);
        o.energy = h.energy_j[0];
        o.attainment = fleet.totals()[0].slo_met / fleet.totals()[0].completed;
        return o;
      };
      const Out free = run(false), gov = run(true);
      std::printf("[%s] SLO clock cap (TPOT ≤ 30 ms, TTFT ≤ 2 s): lowest clock %.0f MHz, energy %.2f → %.2f kWh "
                  "(%.1f %%), SLO attainment %.4f → %.4f\n",
                  f, gov.lowest, free.energy / 3.6e6, gov.energy / 3.6e6, 100 * (gov.energy / free.energy - 1),
                  free.attainment, gov.attainment);
      CHECK(free.lowest == 1980);
      CHECK(gov.lowest < 1500);
      CHECK(gov.energy < 0.9 * free.energy);
      CHECK(free.attainment > 0.999);
      CHECK(gov.attainment > 0.97);
    }
  }
}

TEST_CASE("the same seed gives the same run, request records match the totals", "[serving][fleet]") {
  auto run = [](std::uint64_t seed, std::vector<RequestRecord>* recs) {
    Fleet fleet(one("request", 10.0, 2), test::catalogue(), kCal, 1800, seed);
    HostOptions ho;
    ho.on_step = [&](const StepResult& r) { recs->insert(recs->end(), r.requests.begin(), r.requests.end()); };
    run_host(fleet, 1800, ho);
    return fleet.totals()[0];
  };
  std::vector<RequestRecord> a, b, c;
  const DeploymentTotals ta = run(1, &a), tb = run(1, &b), tc = run(2, &c);
  CHECK(ta.energy_j == tb.energy_j);
  CHECK(ta.completed == tb.completed);
  CHECK(ta.ttft.quantile(0.99) == tb.ttft.quantile(0.99));
  CHECK(ta.energy_j != tc.energy_j);
  REQUIRE(a.size() == b.size());
  CHECK(a.size() == static_cast<std::size_t>(ta.completed));
  std::set<std::uint64_t> replicas;
  double tokens = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].id == b[i].id);
    CHECK(a[i].finish_s == b[i].finish_s);
    CHECK(a[i].ttft_s() > 0);
    CHECK(a[i].finish_s >= a[i].first_token_s);
    replicas.insert(a[i].replica);
    tokens += a[i].output_tokens;
  }
  CHECK(replicas.size() == 2);
  // tokens of the requests finished; the fleet also counts those still running at the end
  CHECK(tokens <= ta.tokens_out);
  CHECK(tokens > 0.95 * ta.tokens_out);
  SECTION("no request table when it is switched off, and none in aggregated fidelity") {
    ServingSpec s = one("request", 10.0);
    s.requests_table = false;
    Fleet f1(s, test::catalogue(), kCal, 600, 1);
    CHECK(run_host(f1, 600).requests == 0);
    Fleet f2(one("aggregated", 10.0), test::catalogue(), kCal, 600, 1);
    CHECK(run_host(f2, 600).requests == 0);
  }
}

TEST_CASE("round robin alternates between replicas, least-outstanding sends a request to the "
          "replica with the fewest requests",
          "[serving][fleet][router]") {
  Router rr(Router::Kind::round_robin);
  rr.resize(3);
  for (std::size_t i = 0; i < 3; ++i) rr.set_active(i, true, 0);
  CHECK(rr.pick() == 0);
  CHECK(rr.pick() == 1);
  CHECK(rr.pick() == 2);
  CHECK(rr.pick() == 0);
  rr.set_active(1, false, 0);
  CHECK(rr.pick() == 2);
  CHECK(rr.pick() == 0);
  Router lor(Router::Kind::least_outstanding);
  lor.resize(3);
  lor.set_active(0, true, 5);
  lor.set_active(1, true, 2);
  lor.set_active(2, true, 7);
  CHECK(lor.pick() == 1);
  lor.update(1, 9);
  CHECK(lor.pick() == 0);
  lor.set_active(0, false, 0);
  CHECK(lor.pick() == 2);
  Router none(Router::Kind::least_outstanding);
  CHECK(none.pick() == -1);
}

TEST_CASE("an Azure conversation trace replayed as traffic serves every one of its requests",
          "[serving][fleet][trace]") {
  ServingSpec spec;
  spec.fidelity = "request";
  spec.step_s = 60;
  spec.deployments.push_back(test::deployment("chat", "llama-2-7b", 1));
  RequestStreamSpec s;
  s.name = "azure";
  s.deployment = "chat";
  s.arrivals = "trace";
  s.file = kConv;
  s.repeat = false;
  spec.streams.push_back(s);
  Fleet fleet(spec, test::catalogue(), kCal, 4200, 1);
  run_host(fleet, 4200);
  const DeploymentTotals& t = fleet.totals()[0];
  CHECK(t.arrivals == 19366);
  CHECK(t.completed + t.rejected == 19366);
  std::printf("Azure conv trace (19,366 requests, 1 h) on 1 × Llama-2-7B/H200: TTFT p50 %.0f ms p99 %.0f ms, "
              "TPOT p50 %.1f ms, %.3f J/output token\n",
              t.ttft.quantile(0.5) * 1e3, t.ttft.quantile(0.99) * 1e3, t.tpot.quantile(0.5) * 1e3,
              t.joules_per_output_token());
  SECTION("the aggregated fidelity counts the same arrivals") {
    spec.fidelity = "aggregated";
    Fleet agg(spec, test::catalogue(), kCal, 4200, 1);
    run_host(agg, 4200);
    CHECK(agg.totals()[0].arrivals == Approx(19366));
    CHECK(agg.totals()[0].energy_j == Approx(t.energy_j).epsilon(0.05));
  }
}

TEST_CASE("a replica the engine takes away hands its requests to the others", "[serving][fleet]") {
  Fleet fleet(one("request", 20.0, 2), test::catalogue(), kCal, 1200, 4);
  const ReplicaId a = fleet.add_replica(0, "H200-SXM", 0, true);
  fleet.add_replica(0, "H200-SXM", 0, true);
  StepEnv env;
  for (Seconds t = 0; t < 600; t += 60) fleet.advance(t, t + 60, env);
  fleet.remove_replica(a, 600);
  bool reported = false;
  for (Seconds t = 600; t < 1200; t += 60) {
    const StepResult r = fleet.advance(t, t + 60, env);
    for (const ReplicaStep& rs : r.replicas) {
      if (rs.id != a) continue;
      CHECK_FALSE(reported);  // a released replica is reported once
      CHECK(rs.state == ReplicaState::released);
      reported = true;
    }
  }
  CHECK(reported);
  const DeploymentTotals& t = fleet.totals()[0];
  CHECK(t.completed > 0.99 * t.arrivals - 200);  // all but those still in flight at the end
}

TEST_CASE("a deployment whose weights fit no accelerator is an error", "[serving][fleet]") {
  ServingSpec spec = one("request", 1.0);
  spec.deployments[0].model = *find_llm_preset("llama-3-70b");
  spec.deployments[0].accelerator = "H100-SXM";  // 141 GB of weights on one 80 GB GPU
  CHECK_THROWS_AS(Fleet(spec, test::catalogue(), kCal, 60, 1), InputError);
  spec.deployments[0].tensor_parallel = 4;
  CHECK_NOTHROW(Fleet(spec, test::catalogue(), kCal, 60, 1));
}
