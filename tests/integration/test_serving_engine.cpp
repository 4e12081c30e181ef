// LLM serving inside the engine (issue 15 phase 2, engine/serving.cpp), on SimGrid: a serving
// run draws more than the idle site by exactly the serving replicas' energy above idle, its
// deployment series integrate to its totals, the site balance holds with it, its emissions are
// its energy times the facility overhead and the grid intensity; with training on the same site
// the jobs complete on the GPUs serving leaves and serving is not affected (serving first).
// One simulation per process (in_child).
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <stdexcept>

#include "app/run_scenario.hpp"
#include "child.hpp"
#include "engine/engine.hpp"
#include "helpers.hpp"
#include "physics/accelerator_power.hpp"
#include "policy/registry.hpp"

using namespace dcsim;

namespace {

const std::string kScenario = std::string(DCSIM_SOURCE_DIR) + "/tests/integration/scenarios/serving.yaml";
constexpr double kPeak = 989.4e12;
constexpr Seconds kSpan = 6 * 3600.0;

enum Field : std::size_t {
  facility_kwh, it_kwh, accel_kwh, serving_kwh, tokens, completed, arrivals, series_serving_kwh, series_facility_kwh,
  parts_kwh, jobs_done, jobs_submitted, series_requests, emissions_kg, serving_emissions_kg, slo, ttft_p99,
  loading_kwh, n_fields
};

// Runs the scenario (serving on or off) with `jobs` 8-GPU training jobs of `hours` each at t = 0.
std::vector<double> run(bool serving, int jobs, double hours) {
  return testing::in_child([=]() -> std::vector<double> {
    Scenario sc = load_checked_scenario(kScenario, {});
    if (!serving) sc.serving = ServingSpec{};
    std::vector<Job> js;
    for (int i = 0; i < jobs; ++i)
      js.push_back(testing::test_job(static_cast<JobId>(i + 1), 0, 8, hours * 3600 * 8 * kPeak * 0.5,
                                     testing::TestProfile{1.0, 0.0, 0.0, 0.5, 1.0, 0.25, 0.5}));
    DiagnosticSink sink;
    auto policy = make_policy_stack(sc.policies, sink);
    sink.throw_if_any();
    MemoryRecorder rec;
    const RunSummary s = run_simulation(sc, std::move(js), *policy, rec, {});
    auto v = [&](const char* k) {
      auto it = s.values.find(k);
      return it == s.values.end() ? 0.0 : it->second;
    };
    std::vector<double> out(n_fields, 0.0);
    out[facility_kwh] = v("facility_energy_kwh");
    out[it_kwh] = v("it_energy_kwh");
    out[accel_kwh] = v("accelerator_energy_kwh");
    out[serving_kwh] = v("serving_energy_kwh");
    out[tokens] = v("serving_tokens_out");
    out[completed] = v("serving_0_completed");
    out[arrivals] = v("serving_0_arrivals");
    out[parts_kwh] = v("it_energy_kwh") + v("cooling_energy_kwh") + v("loss_energy_kwh") + v("misc_energy_kwh");
    out[jobs_done] = v("jobs_completed");
    out[jobs_submitted] = v("jobs_submitted");
    out[emissions_kg] = v("emissions_tco2") * 1000.0;
    out[serving_emissions_kg] = v("serving_emissions_kg");
    out[slo] = v("serving_0_slo_attainment");
    out[ttft_p99] = v("serving_0_ttft_p99_s");
    out[loading_kwh] = v("serving_0_loading_energy_kwh");
    out[series_facility_kwh] = testing::sum_series(rec, "facility_power_w", sc.time.sample_s, kSpan) / kJoulesPerKwh;
    if (serving) {
      const auto& g = rec.entity_groups.at("deployment");
      if (g.series.size() != 13 || g.series[9].name != "serving_power_w" || g.series[0].name != "serving_requests_per_s" ||
          g.rows.size() != rec.rows.size() || g.ids.size() != 1)
        throw std::runtime_error("the deployment series are not as analysis/SCHEMA.md says");
      for (std::size_t i = 0; i < g.rows.size(); ++i) {
        const double dt = std::min(sc.time.sample_s, kSpan - g.times[i]);
        out[series_serving_kwh] += g.rows[i][9] * dt / kJoulesPerKwh;
        out[series_requests] += g.rows[i][0] * dt;
      }
    }
    return out;
  });
}

}  // namespace

TEST_CASE("engine serving only: energy above idle is the replicas' energy above idle, the deployment series integrate "
          "to the totals and the site balance holds",
          "[engine][serving]") {
  const std::vector<double> idle = run(false, 0, 0);
  const std::vector<double> srv = run(true, 0, 0);
  REQUIRE(srv.size() == n_fields);
  INFO("serving " << srv[serving_kwh] << " kWh, facility " << srv[facility_kwh] << " vs idle " << idle[facility_kwh]
                  << " kWh, tokens " << srv[tokens] << ", completed " << srv[completed] << " of " << srv[arrivals]);
  CHECK(srv[tokens] > 0);
  CHECK(srv[completed] > 0.99 * srv[arrivals]);
  CHECK(srv[arrivals] > 0.95 * 20 * kSpan);  // 20 requests/s over six hours (Poisson)
  CHECK(srv[facility_kwh] > idle[facility_kwh]);
  // The replicas' six GPUs draw the serving energy instead of idle power: the site's accelerator
  // energy rises by exactly that difference (idle GPUs elsewhere are unchanged).
  const AcceleratorPower h200(load_checked_scenario(kScenario, {}).site.platform.accelerators.at("H200-SXM"));
  const double idle_six_kwh = 6 * h200.power_w(0, 0.0, 0.0) * kSpan / kJoulesPerKwh;
  CHECK(srv[serving_kwh] > idle_six_kwh);
  CHECK(srv[accel_kwh] - idle[accel_kwh] == Approx(srv[serving_kwh] - idle_six_kwh).epsilon(1e-6));
  // The deployment's power series integrates to its energy total; its request rate to its count.
  CHECK(srv[series_serving_kwh] == Approx(srv[serving_kwh]).epsilon(1e-9));
  CHECK(srv[series_requests] == Approx(srv[completed]).epsilon(1e-9));
  // Site balance: facility = IT + cooling + losses + misc, and the facility series integrates to it.
  CHECK(srv[parts_kwh] == Approx(srv[facility_kwh]).epsilon(1e-9));
  CHECK(srv[series_facility_kwh] == Approx(srv[facility_kwh]).epsilon(1e-9));
  // Emissions: constant PUE 1.25 and 400 g/kWh, all from the grid.
  CHECK(srv[serving_emissions_kg] == Approx(srv[serving_kwh] * 1.25 * 0.4).epsilon(1e-6));
  CHECK(srv[emissions_kg] == Approx(srv[facility_kwh] * 0.4).epsilon(1e-6));
  CHECK(srv[slo] > 0.9);
  CHECK(srv[loading_kwh] == 0);  // initial replicas start loaded
}

TEST_CASE("engine serving with training: the jobs complete on the GPUs serving leaves and serving is unchanged",
          "[engine][serving]") {
  const std::vector<double> alone = run(true, 0, 0);
  // Four 8-GPU jobs of two hours: three run at once on the three nodes serving leaves whole, the
  // fourth after one of them (node 0 keeps 2 free GPUs beside the replicas' 6).
  const std::vector<double> both = run(true, 4, 2.0);
  INFO("jobs " << both[jobs_done] << " of " << both[jobs_submitted] << ", tokens " << both[tokens] << " vs "
               << alone[tokens]);
  CHECK(both[jobs_submitted] == 4);
  CHECK(both[jobs_done] == 4);
  // Serving first: its replicas, traffic and clock are those of the serving-only run.
  CHECK(both[tokens] == alone[tokens]);
  CHECK(both[completed] == alone[completed]);
  CHECK(both[serving_kwh] == Approx(alone[serving_kwh]).epsilon(1e-9));
  CHECK(both[completed] > 0.99 * both[arrivals]);
  CHECK(both[it_kwh] > alone[it_kwh]);
  CHECK(both[parts_kwh] == Approx(both[facility_kwh]).epsilon(1e-9));
  CHECK(both[series_facility_kwh] == Approx(both[facility_kwh]).epsilon(1e-9));
}

namespace {

// The scenario with autoscaling: one replica at first (max 12, target utilisation 0.3 of a
// replica's saturation rate), 20 requests/s, and from two hours on a second stream of 200
// requests/s; `jobs` 8-GPU training jobs of eight hours at t = 0.
std::vector<double> run_autoscaling(int jobs) {
  return testing::in_child([=]() -> std::vector<double> {
    Scenario sc = load_checked_scenario(kScenario, {});
    DeploymentSpec& d = sc.serving.deployments.at(0);
    d.replicas = 1;
    d.min_replicas = 1;
    d.max_replicas = 12;
    d.autoscaling.enabled = true;
    d.autoscaling.scale_up_delay_s = 120;
    d.autoscaling.target_utilisation = 0.3;
    RequestStreamSpec burst = sc.serving.streams.at(0);
    burst.name = "burst";
    burst.rate_per_s = 200;
    burst.start_s = 2 * 3600.0;
    sc.serving.streams.push_back(burst);
    std::vector<Job> js;
    for (int i = 0; i < jobs; ++i)
      js.push_back(testing::test_job(static_cast<JobId>(i + 1), 0, 8, 8 * 3600 * 8 * kPeak * 0.5,
                                     testing::TestProfile{1.0, 0.0, 0.0, 0.5, 1.0, 0.25, 0.5}));
    DiagnosticSink sink;
    auto policy = make_policy_stack(sc.policies, sink);
    sink.throw_if_any();
    MemoryRecorder rec;
    const RunSummary s = run_simulation(sc, std::move(js), *policy, rec, {});
    double adds_before = 0, adds_after = 0, first_add_after = -1;
    for (const EventRecord& e : rec.events) {
      if (e.kind != EventKind::serving_replica_add) continue;
      if (e.time_s < 2 * 3600.0) ++adds_before;
      else {
        ++adds_after;
        if (first_add_after < 0) first_add_after = e.time_s;
      }
    }
    return {s.values.at("serving_replicas_at_end"), s.values.at("serving_0_loading_energy_kwh"), adds_before,
            adds_after, first_add_after, s.values.at("serving_replicas_denied"), s.values.at("jobs_completed"),
            s.values.at("serving_0_completed"), s.values.at("serving_0_arrivals"), s.values.at("serving_preemptions"),
            s.values.at("preemptions"), s.values.at("jobs_unfinished")};
  });
}

}  // namespace

TEST_CASE("engine serving autoscaling: a step in load adds replicas on free GPUs after the delay, with loading energy",
          "[engine][serving][autoscaling]") {
  const std::vector<double> r = run_autoscaling(0);
  REQUIRE(r.size() == 12);
  INFO("replicas at end " << r[0] << ", loading " << r[1] << " kWh, adds " << r[2] << " + " << r[3] << " (first at "
                          << r[4] << " s), completed " << r[7] << " of " << r[8]);
  CHECK(r[3] >= 4);                        // the burst needs several more replicas
  CHECK(r[0] >= 5);
  CHECK(r[4] >= 2 * 3600.0 + 120 - 1e-6);  // not before the scale-up delay has passed
  CHECK(r[1] > 0);                         // the new replicas loaded their weights
  CHECK(r[5] == 0);                        // GPUs were free for every request
  CHECK(r[7] > 0.95 * r[8]);
}

TEST_CASE("engine serving autoscaling with the other nodes busy training: serving first preempts a job to make room",
          "[engine][serving][autoscaling]") {
  // Three eight-hour jobs hold nodes 1 to 3 over the six-hour span; node 0 has room for four
  // TP-2 replicas, the burst wants more: one job is preempted (back to the queue, its node to
  // serving), the other two keep running.
  const std::vector<double> r = run_autoscaling(3);
  const std::vector<double> alone = run_autoscaling(0);
  REQUIRE(r.size() == 12);
  INFO("replicas at end " << r[0] << " (alone " << alone[0] << "), serving preemptions " << r[9] << ", denied " << r[5]
                          << ", jobs unfinished " << r[11]);
  CHECK(alone[0] > 4);   // the burst wants more than node 0 holds
  CHECK(r[9] >= 1);
  CHECK(r[9] <= 2);
  CHECK(r[10] == r[9]);  // every preemption of the run was serving's
  CHECK(r[0] == alone[0]);
  CHECK(r[5] == 0);
  CHECK(r[6] == 0);      // no job finishes in the span (eight hours of work)
  CHECK(r[11] == 3);     // all three are accounted for: the preempted ones queued, the others running
  CHECK(r[7] > 0.95 * r[8]);
}

TEST_CASE("engine serving under a lower device power limit: replicas draw at most the limit and decode slower",
          "[engine][serving][cap]") {
  // The node type's enforced per-GPU limit (NodeSpec::power_limit_w) is what every replica gets;
  // each iteration runs at the fastest clock whose power fits it (physics/llm_inference.hpp), so
  // the mean over a sample stays under it when the limit can be met. 400 W can: at the slowest
  // clocks decode turns compute-bound and draws up to the H200's full power there (324 W at
  // 345 MHz), so a limit under that cannot hold (the replica then runs at its slowest clock).
  const auto run_limit = [](double limit_w) {
    return testing::in_child([=]() -> std::vector<double> {
      Scenario sc = load_checked_scenario(kScenario, {});
      for (auto& [name, nt] : sc.site.platform.node_types) nt.power_limit_w = limit_w;
      DiagnosticSink sink;
      auto policy = make_policy_stack(sc.policies, sink);
      sink.throw_if_any();
      MemoryRecorder rec;
      const RunSummary s = run_simulation(sc, {}, *policy, rec, {});
      const auto& g = rec.entity_groups.at("deployment");
      double peak = 0;
      for (const auto& row : g.rows) peak = std::max(peak, row[9] / 6.0);  // per GPU: three TP-2 replicas
      const bool warned = s.text.at("run_warnings").find("below what its replicas draw at their lowest clock") != std::string::npos;
      return std::vector<double>{peak, s.values.at("serving_0_tpot_p50_s"), s.values.at("serving_0_tokens_out"),
                                 warned ? 1.0 : 0.0};
    });
  };
  const std::vector<double> full = run_limit(0);  // 0: the catalogue's default limit
  const std::vector<double> capped = run_limit(400);
  INFO("peak per-GPU power " << full[0] << " → " << capped[0] << " W, TPOT p50 " << full[1] << " → " << capped[1] << " s");
  CHECK(capped[0] <= 400 + 1e-6);
  CHECK(capped[0] < full[0]);
  CHECK(capped[1] > full[1]);
  CHECK(capped[2] == Approx(full[2]).epsilon(0.01));  // the same traffic is served
  CHECK(full[3] == 0);
  CHECK(capped[3] == 0);
  // A limit the slowest clock cannot meet is exceeded, and the run says so.
  const std::vector<double> low = run_limit(250);
  INFO("at 250 W: " << low[0] << " W per GPU");
  CHECK(low[3] == 1);
  CHECK(low[0] > 250);
}

TEST_CASE("engine serving with a drain: replicas give their GPUs back at the span's end and the balance holds",
          "[engine][serving][drain]") {
  const std::vector<double> r = testing::in_child([]() -> std::vector<double> {
    Scenario sc = load_checked_scenario(kScenario, {});
    sc.time.drain_s = 2 * 3600.0;
    std::vector<Job> js;
    // One job of seven hours: it runs into the drain, which lasts until it ends.
    js.push_back(testing::test_job(1, 0, 8, 7 * 3600 * 8 * kPeak * 0.5, testing::TestProfile{1.0, 0.0, 0.0, 0.5, 1.0, 0.25, 0.5}));
    DiagnosticSink sink;
    auto policy = make_policy_stack(sc.policies, sink);
    sink.throw_if_any();
    MemoryRecorder rec;
    const RunSummary s = run_simulation(sc, std::move(js), *policy, rec, {});
    const auto& g = rec.entity_groups.at("deployment");
    double drain_power = 0, span_power = 0;
    for (std::size_t i = 0; i < g.rows.size(); ++i) (g.times[i] >= kSpan ? drain_power : span_power) += g.rows[i][9];
    const double parts = s.values.at("it_energy_kwh") + s.values.at("cooling_energy_kwh") + s.values.at("loss_energy_kwh") +
                         s.values.at("misc_energy_kwh");
    return {s.values.at("serving_replicas_at_end"), s.values.at("jobs_completed"), s.values.at("drain_used_s"),
            drain_power, span_power, parts, s.values.at("facility_energy_kwh")};
  });
  REQUIRE(r.size() == 7);
  CHECK(r[0] == 0);
  CHECK(r[1] == 1);
  CHECK(r[2] > 3000);
  CHECK(r[3] == 0);
  CHECK(r[4] > 0);
  CHECK(r[5] == Approx(r[6]).epsilon(1e-9));
}

TEST_CASE("engine serving and training under a site cap: IT power stays under it, replicas share the level and "
          "decode slower",
          "[engine][serving][cap]") {
  // Eight TP-2 replicas fill nodes 0 and 1 (16 GPUs), two 8-GPU training jobs of 100 h fill nodes
  // 2 and 3: as many serving as training GPUs, the case where serving as a fixed part of the
  // budget made the replicas' level alternate between steps (engine/serving.cpp, "serving in the
  // power caps"). Serving's GPUs are now demands of the water-filling: under a site cap (IT basis)
  // of 75 % of the uncapped run's lowest IT power, IT stays under the cap in every sample after
  // the first round, a replica GPU never draws more than an equal share of what the cap leaves
  // the accelerators (max-min fair: every busy GPU gets the level or less), serving draws less and decodes slower than uncapped, and no slower than
  // the DVFS law allows (t(f) ≤ t(f_max)·f_max/f_min: at most the clock ratio).
  const auto run_cap = [](double cap_w) {
    return testing::in_child([=]() -> std::vector<double> {
      Scenario sc = load_checked_scenario(kScenario, {});
      sc.serving.deployments[0].replicas = 8;
      sc.serving.deployments[0].max_replicas = 8;
      sc.serving.streams[0].rate_per_s = 120;
      if (cap_w > 0) {
        PolicyConfig cap;
        cap.name = "power-cap";
        cap.strings["scope"] = "site";
        cap.strings["basis"] = "it";
        cap.numbers["cap_w"] = cap_w;
        cap.key_path = "policies.energy[0]";
        sc.policies.energy.push_back(cap);
      }
      std::vector<Job> js;
      for (int i = 0; i < 2; ++i)
        js.push_back(testing::test_job(static_cast<JobId>(i + 1), 0, 8, 100 * 3600.0 * 8 * kPeak * 0.5,
                                       testing::TestProfile{1.0, 0.0, 0.0, 0.5, 1.0, 0.25, 0.5}));
      DiagnosticSink sink;
      auto policy = make_policy_stack(sc.policies, sink);
      sink.throw_if_any();
      MemoryRecorder rec;
      const RunSummary s = run_simulation(sc, std::move(js), *policy, rec, {});
      const std::size_t it = rec.column("it_power_w"), acc = rec.column("accelerator_power_w");
      const auto& g = rec.entity_groups.at("deployment");
      double it_min = 1e300, it_max_after_first = 0, worst_share = -1e300, serving_gpu_w = 0, training_gpu_w = 0;
      for (std::size_t i = 0; i < rec.rows.size(); ++i) {
        it_min = std::min(it_min, rec.rows[i][it]);
        if (i == 0) continue;
        it_max_after_first = std::max(it_max_after_first, rec.rows[i][it]);
        const double srv = g.rows[i][9] / 16, trn = (rec.rows[i][acc] - g.rows[i][9]) / 16;
        // an equal share of what the cap leaves the 32 GPUs (the hosts' actual draw is at most
        // their budget, so this bounds the water-filling level from above)
        if (cap_w > 0) worst_share = std::max(worst_share, srv - (cap_w - (rec.rows[i][it] - rec.rows[i][acc])) / 32);
        serving_gpu_w += srv / static_cast<double>(rec.rows.size() - 1);
        training_gpu_w += trn / static_cast<double>(rec.rows.size() - 1);
      }
      return std::vector<double>{it_min, it_max_after_first, worst_share, serving_gpu_w, training_gpu_w,
                                 s.values.at("serving_0_tpot_p50_s"), s.values.at("serving_0_tokens_out"),
                                 s.values.at("serving_0_completed")};
    });
  };
  const std::vector<double> free = run_cap(0);
  REQUIRE(free.size() == 8);
  const double cap = 0.75 * free[0];
  const std::vector<double> capped = run_cap(cap);
  REQUIRE(capped.size() == 8);
  const AcceleratorPower h200(load_checked_scenario(kScenario, {}).site.platform.accelerators.at("H200-SXM"));
  const double clock_ratio = h200.freq_mhz(0) / h200.freq_mhz(h200.pstate_count() - 1);
  INFO("cap " << cap << " W: IT max " << capped[1] << " W (uncapped min " << free[0] << " W); per GPU serving "
              << free[3] << " → " << capped[3] << " W, training " << free[4] << " → " << capped[4]
              << " W; TPOT p50 " << free[5] << " → " << capped[5] << " s");
  CHECK(capped[1] <= cap * (1 + 1e-9));
  CHECK(capped[2] <= 1e-6 * cap);  // a serving GPU never above the equal share of the budget
  CHECK(capped[3] < free[3]);
  CHECK(capped[4] < free[4]);
  CHECK(capped[5] > free[5]);
  CHECK(capped[5] <= free[5] * clock_ratio);
  CHECK(capped[7] == Approx(free[7]).epsilon(0.01));  // the same traffic is served
}
