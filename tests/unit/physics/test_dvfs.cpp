#include <catch2/catch.hpp>

#include <iostream>

#include "fixtures/platforms/specs.hpp"
#include "physics/dvfs.hpp"

using namespace dcsim;

namespace {
JobProfile profile(double c, double m, double io, double intensity) {
  JobProfile p;
  p.compute_share = c;
  p.memory_share = m;
  p.io_share = io;
  p.intensity = intensity;
  p.utilisation = 1.0;
  return p;
}
}  // namespace

TEST_CASE("only the compute share of a step scales with the clock", "[physics][dvfs]") {
  const auto p = profile(0.6, 0.3, 0.1, 1);
  CHECK(slowdown(p, 2000, 2000) == Approx(1.0));
  CHECK(slowdown(p, 1000, 2000) == Approx(0.6 * 2 + 0.3 + 0.1));  // 1.6
  SECTION("shares that do not sum to one are normalised") {
    CHECK(slowdown(profile(1, 1, 0, 1), 1000, 2000) == Approx((2.0 + 1.0) / 2.0));
  }
}

TEST_CASE("run time at f_max is work over the achieved aggregate throughput", "[physics][dvfs]") {
  auto a = fixtures::three_state_gpu();  // bf16 peak 1000 TFLOP/s
  JobProfile p;
  p.work_flops = 1e18;
  p.precision = "bf16";
  p.mfu = 0.5;
  p.scaling_efficiency = 0.8;
  // 1e18 / (4 · 1e15 · 0.5 · 0.8) = 625 s
  CHECK(runtime_at_fmax_s(p, a, 4) == Approx(625));
  SECTION("fp16 falls back to bf16 units and fp8 to bf16 when the device has no fp8") {
    p.precision = "fp16";
    CHECK(runtime_at_fmax_s(p, a, 4) == Approx(625));
    p.precision = "fp8";
    CHECK(runtime_at_fmax_s(p, a, 4) == Approx(625));
  }
  SECTION("tf32 falls back to fp32") {
    p.precision = "tf32";
    CHECK(runtime_at_fmax_s(p, a, 4) == Approx(6250));
  }
  SECTION("fp32 on a device without fp32 units runs as three bf16 passes") {
    a.peak_tflops.erase("fp32");
    p.precision = "fp32";
    CHECK(runtime_at_fmax_s(p, a, 4) == Approx(3 * 625));
  }
  SECTION("a precision the device cannot run is an error") {
    p.precision = "fp64";
    CHECK_THROWS_AS(runtime_at_fmax_s(p, a, 4), std::invalid_argument);
  }
}

TEST_CASE("lowering the clock by 30 % slows compute-bound work by about 30 % and memory-bound "
          "work far less, and saves energy on the memory-bound work",
          "[physics][dvfs]") {
  const AcceleratorPower power(fixtures::law_gpu());
  const int slow = power.pstate_at_or_above(0.7 * power.max_freq_mhz());  // 1395 MHz
  REQUIRE(power.freq_mhz(slow) == Approx(1395));
  const auto compute = profile(1.0, 0.0, 0.0, 1.0);
  const auto memory = profile(0.1, 0.8, 0.1, 0.45);

  const auto c0 = operating_point_at(power, compute, 0);
  const auto c1 = operating_point_at(power, compute, slow);
  const auto m0 = operating_point_at(power, memory, 0);
  const auto m1 = operating_point_at(power, memory, slow);
  std::cout << "DVFS at " << c1.freq_mhz << " MHz: compute-bound slowdown " << c1.slowdown
            << " (throughput " << 1 / c1.slowdown << "), memory-bound slowdown " << m1.slowdown
            << ", memory-bound energy ratio " << (m1.device_power_w * m1.slowdown) / m0.device_power_w
            << "\n";
  // throughput falls with the clock: 1395/1980 = 0.705
  CHECK(1.0 / c1.slowdown == Approx(1395.0 / 1980.0));
  CHECK(1.0 / c1.slowdown < 0.72);
  // memory-bound: 0.1·1.419 + 0.9 = 1.042
  CHECK(m1.slowdown == Approx(0.1 * 1980.0 / 1395.0 + 0.9));
  CHECK(m1.slowdown < 1.05);
  // energy per step = power × time: lower at the slower clock for memory-bound work
  CHECK(m1.device_power_w * m1.slowdown < 0.8 * m0.device_power_w * m0.slowdown);
  CHECK(c0.slowdown == 1.0);
}

TEST_CASE("a cap gives the operating point of the fastest p-state that fits",
          "[physics][dvfs][capping]") {
  const AcceleratorPower power(fixtures::three_state_gpu());
  const auto op = operating_point_under_cap(power, profile(1, 0, 0, 1), 450);
  CHECK(op.pstate == 1);
  CHECK(op.freq_mhz == 1500);
  CHECK(op.device_power_w == Approx(400));
  CHECK(op.slowdown == Approx(2000.0 / 1500.0));
}

TEST_CASE("roofline transfer: the compute part follows the peak, the memory part the bandwidth, I/O neither") {
  AcceleratorSpec ref, fast_mem, fast_peak, no_bw;
  ref.peak_tflops = {{"bf16", 1000}};
  ref.memory_bandwidth_tbps = 4.0;
  fast_mem = ref;
  fast_mem.memory_bandwidth_tbps = 8.0;  // same peak, twice the bandwidth
  fast_peak = ref;
  fast_peak.peak_tflops = {{"bf16", 2000}};  // twice the peak, same bandwidth
  no_bw = fast_peak;
  no_bw.memory_bandwidth_tbps = 0;
  JobProfile p;
  p.precision = "bf16";
  p.mfu = 0.4;
  p.compute_share = 0.3;
  p.memory_share = 0.6;
  p.io_share = 0.1;
  p.work_flops = 1e18;
  p.scaling_efficiency = 1;
  SECTION("twice the bandwidth: S = 0.3 + 0.6/2 + 0.1 = 0.7") {
    const RooflineTransfer t = roofline_transfer(p, ref, fast_mem);
    CHECK(t.time_factor == Approx(0.7));
    CHECK(t.compute_share == Approx(0.3 / 0.7));
    CHECK(t.memory_share == Approx(0.3 / 0.7));
    CHECK(t.io_share == Approx(0.1 / 0.7));
    CHECK(t.mfu == Approx(0.4 / 0.7));  // same peak, the step is shorter: more of the peak reached
    JobProfile q = p;
    q.compute_share = t.compute_share;
    q.memory_share = t.memory_share;
    q.io_share = t.io_share;
    q.mfu = t.mfu;
    CHECK(runtime_at_fmax_s(q, fast_mem, 8) == Approx(0.7 * runtime_at_fmax_s(p, ref, 8)));
  }
  SECTION("twice the peak: S = 0.3/2 + 0.6 + 0.1 = 0.85, and the achieved share of the peak falls") {
    const RooflineTransfer t = roofline_transfer(p, ref, fast_peak);
    CHECK(t.time_factor == Approx(0.85));
    CHECK(t.compute_share == Approx(0.15 / 0.85));
    CHECK(t.mfu == Approx(0.4 * 0.5 / 0.85));
  }
  SECTION("a compute-bound profile follows the peak only") {
    p.compute_share = 1;
    p.memory_share = 0;
    p.io_share = 0;
    CHECK(roofline_transfer(p, ref, fast_mem).time_factor == Approx(1.0));
    CHECK(roofline_transfer(p, ref, fast_peak).time_factor == Approx(0.5));
  }
  SECTION("without a bandwidth the memory part scales with the peak: S = (0.3 + 0.6)/2 + 0.1 = 0.55") {
    CHECK(roofline_transfer(p, ref, no_bw).time_factor == Approx(0.55));
  }
  SECTION("a measured MFU on the target sets the time: 0.4 / 0.1 = 4 times the reference on a chip of the same peak") {
    const RooflineTransfer t = roofline_transfer(p, ref, fast_mem, 0, 0.1);
    CHECK(t.time_factor == Approx(4.0));
    CHECK(t.mfu == Approx(0.1));
    CHECK(t.compute_share == Approx(0.3 / 0.7));
  }
  SECTION("a measured throughput replaces the roofline's time and keeps its split") {
    const RooflineTransfer t = roofline_transfer(p, ref, fast_mem, 1.25);
    CHECK(t.time_factor == Approx(0.8));
    CHECK(t.compute_share == Approx(0.3 / 0.7));
    CHECK(t.mfu == Approx(0.4 / 0.8));
  }
}
