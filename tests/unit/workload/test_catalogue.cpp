// Catalogue mechanics: scaling efficiency, intensity from measured watts, model growth by year,
// job profiles built from a duration on the reference, the rule for other accelerators, and the
// reference energy law. Hand-calculated values use the round catalogue of
// tests/fixtures/workload/catalogue.hpp.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/error.hpp"
#include "fixtures/workload/catalogue.hpp"
#include "physics/accelerator_power.hpp"
#include "workload/estimate.hpp"

using namespace dcsim;

TEST_CASE("scaling efficiency multiplies a factor per doubling inside a node and another across nodes") {
  ScalingSpec s{0.9, 0.8, 8};
  CHECK(s.efficiency(1) == Approx(1.0));
  CHECK(s.efficiency(2) == Approx(0.9));
  CHECK(s.efficiency(8) == Approx(0.729));          // 0.9^3
  CHECK(s.efficiency(32) == Approx(0.729 * 0.64));  // 0.9^3 · 0.8^2
}

TEST_CASE("intensity is derived from a measured power so that the law gives the watts back") {
  const ReferencePlatform ref = test::round_reference();  // idle 100, full 1100
  // 600 W at u 0.8: i = 500 / (0.8 · 1000) = 0.625
  CHECK(intensity_for_power(ref, 600, 0.8) == Approx(0.625));
  ProfileSpec p;
  p.utilisation = 0.8;
  p.reference_power_w = 600;
  JobProfile jp;
  jp.utilisation = 0.8;
  jp.intensity = p.reference_intensity(ref);
  CHECK(reference_device_power_w(jp, ref) == Approx(600));
}

TEST_CASE("model growth interpolates parameters and work log-linearly between anchor years") {
  const Catalogue c = test::round_catalogue();  // 2010: 1e6, 1e18; 2020: 1e8, 1e20
  CHECK(c.growth.params_at(2010, 1.0) == Approx(1e6));
  CHECK(c.growth.params_at(2015, 1.0) == Approx(1e7));    // half-way in log space
  CHECK(c.growth.work_at(2015, 1.0) == Approx(1e19));
  CHECK(c.growth.work_at(2020, 1.0) == Approx(1e20));
  SECTION("before the first anchor the first segment's trend continues") {
    CHECK(c.growth.params_at(2005, 1.0) == Approx(1e5));
  }
  SECTION("past the last anchor parameters and work grow by the configured factor per year") {
    CHECK(c.growth.params_at(2023, 2.0) == Approx(8e8));
    CHECK(c.growth.work_at(2023, 2.0) == Approx(8e20));
    CHECK(c.growth.work_at(2023, 1.0) == Approx(1e20));
    CHECK(c.growth.gpus_at(2023) == 8);
  }
  SECTION("GPU counts are interpolated in log space and rounded") {
    CHECK(c.growth.gpus_at(2015) == 3);  // sqrt(8) = 2.83
  }
}

TEST_CASE("a job's work is what the reference does in its duration") {
  const Catalogue c = test::round_catalogue();
  const ProfileSpec& p = c.by_name("compute");
  // 4 GPUs, 2 h: 7200 s · 4 · 1e15 FLOP/s · mfu 0.5 · eff(4) 0.81 = 1.16640e19
  const JobProfile jp = make_profile(p, c.reference, 4, 7200);
  CHECK(jp.work_flops == Approx(7200 * 4 * 1e15 * 0.5 * 0.81));
  CHECK(jp.scaling_efficiency == Approx(0.81));
  CHECK(reference_runtime_s(jp, 4, c.reference) == Approx(7200));
  // Checkpoint: 1e8 params · 16 B / (4 GPUs · 1e9 B/s) = 0.4 s
  CHECK(jp.checkpoint_cost_s == Approx(0.4));
}

TEST_CASE("reference energy is run time × GPUs × (device + host share) × PUE") {
  const Catalogue c = test::round_catalogue();
  const JobProfile jp = make_profile(c.by_name("compute"), c.reference, 4, 7200);
  // device 100 + 1·0.5·1000 = 600 W; host (800 + 0.5·1600)/8 = 200 W; 7200 s · 4 · 800 W
  CHECK(reference_energy_j(jp, 4, c.reference) == Approx(7200.0 * 4 * 800));
  SECTION("a stated PUE multiplies the energy") {
    ReferencePlatform ref = c.reference;
    ref.pue = 1.5;
    CHECK(reference_energy_j(jp, 4, ref) == Approx(7200.0 * 4 * 800 * 1.5));
  }
  SECTION("a host-only job draws one GPU slot's share of host power for its CPU run time") {
    const JobProfile h = make_profile(c.by_name("host_only"), c.reference, 0, 3600);
    CHECK(h.cpu_runtime_s == Approx(3600));
    CHECK(reference_energy_j(h, 0, c.reference) == Approx(3600.0 * 200));
  }
}

TEST_CASE("the expected energy per job averages over the GPU and duration distributions") {
  Catalogue c = test::round_catalogue();
  // compute: E[g] 2.5 · 2 h · 800 W = 4 kWh
  CHECK(expected_energy_kwh(c.by_name("compute"), c.reference) == Approx(4.0));
  // with sigma 1 the mean duration is median · e^0.5
  c.profiles["compute"].duration_sigma = 1.0;
  CHECK(expected_energy_kwh(c.by_name("compute"), c.reference) == Approx(4.0 * std::exp(0.5)));
}

TEST_CASE("training energy by year follows the anchors on the reference") {
  const Catalogue c = test::round_catalogue();
  // 2020: 1e20 FLOPs on 8 GPUs at 1e15 · 0.5 · 0.729 → 1e20 / (8 · 3.645e14) s · 8 · 800 W
  const double t = 1e20 / (8 * 1e15 * 0.5 * 0.729);
  CHECK(training_energy_kwh(c, 2020, 1.0) == Approx(t * 8 * 800 / 3.6e6));
  CHECK(training_energy_kwh(c, 2022, 3.0) == Approx(9 * t * 8 * 800 / 3.6e6));
}

TEST_CASE("on another accelerator the compute intensity follows the achieved FLOP/s unless a measured power is given") {
  const Catalogue c = test::round_catalogue();  // reference: bf16 peak 1000 TFLOP/s, no memory law
  ProfileSpec p = c.by_name("compute");         // shares 0.8 / 0.1 / 0.1, intensity 0.5
  AcceleratorSpec other;
  other.name = "OTHER";
  other.peak_tflops = {{"bf16", 500.0}};  // half the peak; bandwidth unknown: memory scales with the peak
  other.idle_power_w = 50;
  other.pstates = {PState{1000, 1.0, 450}};
  JobProfile jp = make_profile(p, c.reference, 1, 3600);
  adapt_to_accelerator(jp, p, c.reference, other);
  // S = 0.8·2 + 0.1·2 + 0.1 = 1.9; I = 0.5 · 2 / 1.9 (the I/O part leaves the compute units idle)
  CHECK(jp.intensity == Approx(0.5 * 2 / 1.9));
  CHECK(jp.utilisation == Approx(1.0));
  SECTION("an override by accelerator name wins") {
    p.accelerators["OTHER"] = PowerOnAccelerator{true, 0.7, 0.9, 0.0, 0.0, 0.0};
    JobProfile j2 = make_profile(p, c.reference, 1, 3600);
    adapt_to_accelerator(j2, p, c.reference, other);
    CHECK(j2.utilisation == Approx(0.7));
    CHECK(j2.intensity == Approx(0.9));
  }
  SECTION("a measured power in watts sets the device's draw at its top clock") {
    PowerOnAccelerator po{false, 1.0, 1.0, 250.0, 0.0, 0.0};
    p.accelerators["OTHER"] = po;
    JobProfile j4 = make_profile(p, c.reference, 1, 3600);
    adapt_to_accelerator(j4, p, c.reference, other);
    CHECK(AcceleratorPower(other).power_w(0, j4.utilisation, j4.intensity, j4.memory_power_w) == Approx(250));
  }
  SECTION("the same accelerator with another full power keeps the measured watts") {
    AcceleratorSpec same = c.reference.accelerator;
    same.pstates = {PState{2000, 1.0, 600}};  // range 500 W instead of 1000 W
    JobProfile j3 = make_profile(p, c.reference, 1, 3600);
    adapt_to_accelerator(j3, p, c.reference, same);
    // 600 W = 100 + 1 · i · 500 → i = 1.0
    CHECK(j3.intensity == Approx(1.0));
  }
}

TEST_CASE("a profile name not in the catalogue is an input error listing the known ones") {
  const Catalogue c = test::round_catalogue();
  try {
    c.by_name("video");
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    const std::string m = e.diagnostics().at(0).message;
    CHECK(m.find("\"video\"") != std::string::npos);
    CHECK(m.find("compute") != std::string::npos);
  }
}
