#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <map>

#include "physics/llm_inference.hpp"
#include "serving/fleet.hpp"
#include "serving/standalone.hpp"
#include "unit/serving/helpers.hpp"

using namespace dcsim;
using namespace dcsim::serving;

namespace {

ServingSpec surge_spec(const std::string& fidelity) {
  ServingSpec spec;
  spec.fidelity = fidelity;
  spec.step_s = 60;
  DeploymentSpec d = test::deployment("chat", "llama-3-8b", 1);
  d.min_replicas = 1;
  d.max_replicas = 8;
  d.load_time_s = 120;
  d.autoscaling.enabled = true;
  d.autoscaling.target_utilisation = 0.7;
  d.autoscaling.window_s = 60;
  d.autoscaling.scale_up_delay_s = 300;
  d.autoscaling.scale_down_delay_s = 600;
  spec.deployments.push_back(d);
  spec.streams.push_back(test::poisson("base", "chat", 2.0, 600, 200));
  RequestStreamSpec surge = test::poisson("surge", "chat", 150.0, 600, 200);
  surge.start_s = 3600;
  spec.streams.push_back(surge);
  return spec;
}

struct StepLog {
  std::map<long, DeploymentStep> at;  // by t1
  std::map<long, double> energy;      // deployment energy by t1
};

}  // namespace

TEST_CASE("autoscaling: a step in load adds replicas after the configured delay, they load "
          "for the model-loading time and their loading energy is counted",
          "[serving][autoscaling]") {
  for (const char* fidelity : {"request", "aggregated"}) {
    DYNAMIC_SECTION(fidelity) {
      const ServingSpec spec = surge_spec(fidelity);
      const Seconds span = 5400;
      Fleet fleet(spec, test::catalogue(), Calendar(CivilTime{2024, 1, 1, 0, 0, 0}), span, 7);
      StepLog log;
      HostOptions ho;
      ho.on_step = [&](const StepResult& r) {
        log.at[std::lround(r.t1)] = r.deployments[0];
        log.energy[std::lround(r.t1)] = r.deployments[0].energy_j;
      };
      run_host(fleet, span, ho);
      // the surge starts at 3600, is first seen at the step ending 3660 and must persist for
      // scale_up_delay = 300 s: the count rises at 3960
      for (const auto& [t1, st] : log.at) {
        if (t1 < 3960) {
          INFO("t1 = " << t1);
          CHECK(st.replicas_wanted == 1);
          CHECK(st.replicas_requested == 0);
        }
      }
      const DeploymentStep& up = log.at.at(3960);
      std::printf("[%s] at 3960 s: %d replicas wanted (surge ≈ 152 req/s), %d requested\n", fidelity,
                  up.replicas_wanted, up.replicas_requested);
      CHECK(up.replicas_wanted >= 5);
      CHECK(up.replicas_requested == up.replicas_wanted - 1);
      const int added = up.replicas_requested;
      // they load for 120 s: loading at 4020, ready at 4080
      CHECK(log.at.at(4020).replicas_loading == added);
      CHECK(log.at.at(4020).replicas_ready == 1);
      CHECK(log.at.at(4080).replicas_ready == 1 + added);
      CHECK(log.at.at(4080).replicas_loading == 0);
      // loading energy: the added replicas' GPUs at loading power for 120 s
      const DeploymentSpec& d = spec.deployments[0];
      const LlmIterationModel phys(llm_model(d.model), d, test::h200());
      const Joules loading = added * d.tensor_parallel * phys.loading_power_w(d.load_bandwidth_gb_s * 1e9) * 120.0;
      CHECK(fleet.totals()[0].loading_energy_j == Approx(loading));
      CHECK(loading > added * 120.0 * 130);  // at least idle power
      // and it is part of the deployment's energy: the two loading steps draw at least the one
      // serving replica's energy plus the loading
      CHECK(log.energy.at(4020) + log.energy.at(4080) > loading + 2 * 60 * 130);
      // with the replicas ready the queue drains and TTFT recovers
      CHECK(log.at.at(5400).ttft_p99_s < 1.0);
    }
  }
}

namespace {
ServingSpec zero_spec(const std::string& fidelity, const std::string& scaled_down) {
  ServingSpec spec;
  spec.fidelity = fidelity;
  spec.step_s = 60;
  DeploymentSpec d = test::deployment("chat", "llama-3-8b", 1);
  d.min_replicas = 0;
  d.max_replicas = 2;
  d.load_time_s = 120;
  d.autoscaling.enabled = true;
  d.autoscaling.window_s = 60;
  d.autoscaling.scale_up_delay_s = 0;
  d.autoscaling.scale_down_delay_s = 600;
  d.autoscaling.scaled_down = scaled_down;
  spec.deployments.push_back(d);
  RequestStreamSpec a = test::poisson("morning", "chat", 5.0, 600, 200);
  a.end_s = 1800;
  RequestStreamSpec b = test::poisson("evening", "chat", 5.0, 600, 200);
  b.start_s = 5400;
  spec.streams.push_back(a);
  spec.streams.push_back(b);
  return spec;
}
}  // namespace

TEST_CASE("scale to zero: without traffic the replica is scaled down after the delay and then "
          "draws idle power (parked) or nothing (released), and returning traffic waits for a "
          "replica",
          "[serving][autoscaling]") {
  for (const char* fidelity : {"request", "aggregated"}) {
    for (const char* mode : {"idle", "off"}) {
      DYNAMIC_SECTION(fidelity << ", scaled_down " << mode) {
        const ServingSpec spec = zero_spec(fidelity, mode);
        const Seconds span = 7200;
        Fleet fleet(spec, test::catalogue(), Calendar(CivilTime{2024, 1, 1, 0, 0, 0}), span, 3);
        StepLog log;
        std::map<long, ReplicaState> state;
        HostOptions ho;
        ho.on_step = [&](const StepResult& r) {
          log.at[std::lround(r.t1)] = r.deployments[0];
          log.energy[std::lround(r.t1)] = r.deployments[0].energy_j;
          if (!r.replicas.empty()) state[std::lround(r.t1)] = r.replicas[0].state;
        };
        const HostSummary h = run_host(fleet, span, ho);
        // traffic ends at 1800; the first empty step ends at 1860; 600 s later (2460) → 0
        CHECK(log.at.at(2400).replicas_wanted == 1);
        CHECK(log.at.at(2460).replicas_wanted == 0);
        double quiet = 0;  // the deployment's energy while nothing arrives, after the scale-down
        for (long t1 = 2520; t1 <= 5400; t1 += 60) quiet += log.energy.at(t1);
        const Seconds quiet_s = 5400 - 2460;
        if (std::string(mode) == "idle") {
          CHECK(state.at(2460) == ReplicaState::parked);
          CHECK(quiet == Approx(130.0 * quiet_s));  // one GPU at idle power
          // traffic returns at 5400, is seen at 5460: the parked replica serves again at once
          CHECK(log.at.at(5460).replicas_requested == 0);
          CHECK(log.at.at(5460).replicas_ready == 1);
          CHECK(h.peak_gpus == 1);
        } else {
          CHECK(state.at(2460) == ReplicaState::released);
          CHECK(quiet == 0);  // the GPUs went back to the engine
          CHECK(log.at.at(5460).replicas_requested == 1);
          CHECK(log.at.at(5520).replicas_loading == 1);
          CHECK(log.at.at(5580).replicas_ready == 1);
          // the first evening requests waited for the load: ≥ 60 s to be seen + 120 s loading
          CHECK(log.at.at(5640).ttft_p99_s > 120);
          CHECK(fleet.totals()[0].loading_energy_j > 120 * 130.0);
        }
      }
    }
  }
}
