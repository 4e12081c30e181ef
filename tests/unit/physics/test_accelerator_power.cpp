#include <catch2/catch.hpp>

#include <cmath>

#include "fixtures/platforms/specs.hpp"
#include "physics/accelerator_power.hpp"

using namespace dcsim;

TEST_CASE("accelerator power is idle plus utilisation times intensity times the dynamic range",
          "[physics][accelerator]") {
  const AcceleratorPower p(fixtures::three_state_gpu());
  CHECK(p.idle_w() == 100);
  CHECK(p.pstate_count() == 3);
  CHECK(p.freq_mhz(1) == 1500);
  CHECK(p.power_w(0, 1.0, 1.0) == Approx(500));
  CHECK(p.power_w(1, 0.5, 0.8) == Approx(100 + 0.5 * 0.8 * 300));  // 220 W
  CHECK(p.power_w(2, 0.0, 1.0) == Approx(100));
  SECTION("utilisation is clamped to [0, 1] and p-states to the table") {
    CHECK(p.power_w(0, 1.7, 1.0) == Approx(500));
    CHECK(p.power_w(0, -0.3, 1.0) == Approx(100));
    CHECK(p.power_w(9, 1.0, 1.0) == Approx(300));
  }
}

TEST_CASE("a utilisation exponent below one makes power concave in utilisation",
          "[physics][accelerator]") {
  auto spec = fixtures::three_state_gpu();
  spec.utilisation_exponent = 0.5;
  const AcceleratorPower p(spec);
  // 100 + 0.25^0.5 · 1 · 400 = 300 W (linear would give 200 W)
  CHECK(p.power_w(0, 0.25, 1.0) == Approx(300));
  CHECK(p.power_w(0, 1.0, 1.0) == Approx(500));
}

TEST_CASE("the cap picks the fastest p-state that fits, else the slowest",
          "[physics][accelerator][capping]") {
  const AcceleratorPower p(fixtures::three_state_gpu());
  CHECK(p.highest_pstate_under(1000, 1, 1) == 0);
  CHECK(p.highest_pstate_under(450, 1, 1) == 1);   // 500 W > 450, 400 W fits
  CHECK(p.highest_pstate_under(400, 1, 1) == 1);   // the bound is inclusive
  CHECK(p.highest_pstate_under(250, 1, 1) == 2);   // nothing fits: slowest
  // half utilisation: 100 + 0.5·400 = 300 W at p-state 0 fits a 300 W cap
  CHECK(p.highest_pstate_under(300, 0.5, 1) == 0);
  // a light kernel (intensity 0.25) fits 250 W at full speed: 100 + 0.25·400 = 200 W
  CHECK(p.highest_pstate_under(250, 1, 0.25) == 0);
}

TEST_CASE("the binary search agrees with a linear scan on a long table", "[physics][accelerator]") {
  const auto spec = fixtures::law_gpu();
  const AcceleratorPower p(spec);
  for (double cap = 150; cap <= 1100; cap += 7.3) {
    for (double u : {0.3, 0.8, 1.0}) {
      int expect = p.pstate_count() - 1;
      for (int s = 0; s < p.pstate_count(); ++s) {
        if (p.power_w(s, u, 1.0) <= cap) {
          expect = s;
          break;
        }
      }
      REQUIRE(p.highest_pstate_under(cap, u, 1.0) == expect);
    }
  }
}

TEST_CASE("a frequency maps to the slowest p-state at or above it", "[physics][accelerator]") {
  const AcceleratorPower p(fixtures::three_state_gpu());
  CHECK(p.pstate_at_or_above(3000) == 0);
  CHECK(p.pstate_at_or_above(1600) == 0);
  CHECK(p.pstate_at_or_above(1500) == 1);
  CHECK(p.pstate_at_or_above(100) == 2);
}

TEST_CASE("requested caps are brought into the device's allowed range", "[physics][accelerator]") {
  const AcceleratorPower p(fixtures::three_state_gpu());
  CHECK(p.clamp_cap_w(100) == 200);
  CHECK(p.clamp_cap_w(350) == 350);
  CHECK(p.clamp_cap_w(600) == 500);
}

TEST_CASE("a group cap is shared by its devices after the other loads", "[physics][capping]") {
  CHECK(device_cap_from_group_cap_w(10000, 2000, 8) == Approx(1000));
  CHECK(device_cap_from_group_cap_w(1000, 2000, 8) == 0);
  CHECK(device_cap_from_group_cap_w(1000, 0, 0) == 0);
}

TEST_CASE("an accelerator without p-states is rejected", "[physics][accelerator]") {
  auto spec = fixtures::three_state_gpu();
  spec.pstates.clear();
  CHECK_THROWS_AS(AcceleratorPower(spec), std::invalid_argument);
}

TEST_CASE("the limiter holds a blend of burst and mean power so light duty runs at a lower clock than the mean alone allows",
          "[physics][accelerator][capping]") {
  auto spec = fixtures::three_state_gpu();  // idle 100 W, full 500 / 400 / 300 W
  spec.limiter_burst_weight = 0.5;
  const AcceleratorPower p(spec);
  // Half duty, intensity 1: controlled = 100 + (0.5 + 0.5·0.5)·(full − 100) = 400 W at p-state 0.
  CHECK(p.controlled_power_w(0, 0.5, 1.0) == Approx(400));
  CHECK(p.highest_pstate_under(350, 0.5, 1.0) == 1);  // 325 W fits at p-state 1
  CHECK(p.power_w(1, 0.5, 1.0) == Approx(250));       // the mean stays below the limit
  SECTION("weight 0 limits the mean power (the law before issue 14)") {
    const AcceleratorPower q(fixtures::three_state_gpu());
    CHECK(q.highest_pstate_under(350, 0.5, 1.0) == 0);  // mean 300 W fits at full clock
  }
  SECTION("at full duty the weight does not matter") {
    CHECK(p.controlled_power_w(0, 1.0, 1.0) == Approx(p.power_w(0, 1.0, 1.0)));
  }
}

TEST_CASE("the memory term of the power does not follow the clock", "[physics][accelerator]") {
  const AcceleratorPower p(fixtures::three_state_gpu());
  for (int s = 0; s < 3; ++s) CHECK(p.power_w(s, 1.0, 0.0, 200) == Approx(300));
  CHECK(p.power_w(2, 0.5, 0.5, 100) == Approx(100 + 0.5 * (0.5 * 200 + 100)));
}

TEST_CASE("a job's burst power splits into the memory law and a compute intensity", "[physics][accelerator]") {
  auto a = fixtures::three_state_gpu();  // range 400 W at p-state 0
  a.memory_bandwidth_tbps = 2.0;
  a.memory_active_w_per_tbps = 20;  // 40 W while memory-bound
  a.memory_power_w_per_tbps = 30;
  // m 0.5: law = 0.5·20·2 + 30·(0.5·η·2) = 20 + 30η W
  const double law = 20 + 30 * kHbmStreamingEfficiency;
  const PowerSplit s = split_burst_power(a, 200, 0.5);
  CHECK(s.memory_power_w == Approx(law));
  CHECK(s.intensity == Approx((200 - law) / 400));
  SECTION("a measured traffic replaces the share's") {
    CHECK(split_burst_power(a, 200, 0.5, 1.0).memory_power_w == Approx(20 + 30));
  }
  SECTION("the memory part never exceeds the burst") {
    const PowerSplit t = split_burst_power(a, 10, 0.5);
    CHECK(t.memory_power_w == Approx(10));
    CHECK(t.intensity == Approx(0));
  }
}

TEST_CASE("on another chip the compute intensity follows the achieved FLOP/s and the memory power the traffic",
          "[physics][accelerator]") {
  auto r = fixtures::three_state_gpu();
  r.memory_bandwidth_tbps = 2.0;
  r.memory_active_w_per_tbps = 20;
  r.memory_power_w_per_tbps = 30;
  auto t = r;
  t.memory_bandwidth_tbps = 1.0;
  // Equal peaks, half the bandwidth, shares c 0.5 m 0.5: S = 0.5 + 0.5·2 = 1.5, m_t = 1/1.5.
  const PowerSplit ref = split_burst_power(r, 200, 0.5);
  const PowerSplit got = transfer_power(r, t, ref, 1.0, 1.5, 0.5, 1.0 / 1.5);
  CHECK(got.intensity == Approx(ref.intensity / 1.5));
  const double traffic = 0.5 * kHbmStreamingEfficiency * 2.0;
  CHECK(got.memory_power_w == Approx((1.0 / 1.5) * 20 * 1.0 + 30 * traffic / 1.5));
  SECTION("a GEMM keeps intensity 1 on a chip of another peak") {
    CHECK(transfer_power(r, t, {1.0, 0.0}, 3.0, 3.0, 0.0, 0.0).intensity == Approx(1.0));
  }
}

TEST_CASE("nameplate energy per FLOP: node power at TDP over the 16-bit peak, the larger of bf16 and fp16", "[power]") {
  AcceleratorSpec a;
  a.tdp_w = 700;
  a.peak_tflops = {{"bf16", 989.4}, {"fp16", 989.4}};
  NodeSpec n;
  n.accelerators_per_node = 8;
  n.host_busy_w = 1000;
  n.nic_w = 100;
  n.fan_max_w = 200;
  CHECK(nameplate_joules_per_flop(a, n) == Approx((8 * 700.0 + 1300) / (8 * 989.4e12)).epsilon(1e-12));
  AcceleratorSpec v;  // no bf16 (a V100): the fp16 peak counts
  v.tdp_w = 300;
  v.peak_tflops = {{"fp16", 125}};
  CHECK(nameplate_joules_per_flop(v, n) == Approx((8 * 300.0 + 1300) / (8 * 125e12)).epsilon(1e-12));
  AcceleratorSpec none;  // no 16-bit peak at all: never the more efficient one
  none.tdp_w = 100;
  none.peak_tflops = {{"fp64", 10}};
  CHECK(std::isinf(nameplate_joules_per_flop(none, n)));
}
