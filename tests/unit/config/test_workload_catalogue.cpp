// The workload profile catalogue (workloads/profiles.yaml): strict loading, agreement with the
// platform catalogue, and the calibration to the seed tables on the reference platform
// (8 × H200 nodes, IT energy, PUE 1). The calibration table is printed (and copied into
// workloads/README.md).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <set>

#include "config/platform_loader.hpp"
#include "config/workload_loader.hpp"
#include "core/error.hpp"
#include "physics/accelerator_power.hpp"
#include "physics/dvfs.hpp"
#include "workload/estimate.hpp"
#include "workload/generator.hpp"

using namespace dcsim;

namespace {
const std::string kSrc = DCSIM_SOURCE_DIR;
const std::string kProfiles = kSrc + "/workloads/profiles.yaml";

// Mean reference energy (kWh) of `n` jobs of one profile drawn by the research-lab generator.
double generated_mean_kwh(const Catalogue& cat, const std::string& profile, double n, std::uint64_t seed) {
  WorkloadSpec w;
  w.generator = WorkloadGenerator::research_lab;
  w.jobs_per_year = n;
  w.mix = {{profile, 1.0}};
  w.daily_cycle = 0;
  w.weekly_cycle = 0;
  w.max_gpus_per_job = 1024;
  w.scale_work_with_year = false;
  const auto jobs = generate_jobs(w, Calendar{CivilTime{2024, 1, 1, 0, 0, 0.0}}, kYear365, seed, cat);
  double e = 0;
  for (const Job& j : jobs) e += reference_energy_j(j, cat.reference);
  return kwh_from_joules(e) / double(jobs.size());
}

std::vector<std::string> messages(const std::string& yaml) {
  try {
    load_catalogue_string(yaml, "cat.yaml");
  } catch (const InputError& e) {
    std::vector<std::string> out;
    for (const auto& d : e.diagnostics()) out.push_back(d.to_string());
    return out;
  }
  return {};
}

bool any_contains(const std::vector<std::string>& v, const std::string& s) {
  for (const auto& m : v) {
    if (m.find(s) != std::string::npos) return true;
  }
  return false;
}

const char* kMinimal = R"(version: 1
reference: {accelerator: X, peak_tflops: {bf16: 1000}, idle_power_w: 100, full_power_w: 1100}
profiles:
  p:
    mfu: 0.5
    shares: {compute: 0.8, memory: 0.1, io: 0.1}
    power: {reference_power_w: 600, utilisation: 1.0}
    gpus: {1: 0.5, 4: 0.5}
    duration: {median_h: 2}
growth:
  profile: p
  anchors: [{year: 2010, params: 1e6, work_flops: 1e18, gpus: 1}]
)";
}  // namespace

TEST_CASE("workload catalogue: the seed profiles reproduce the seed tables' energy per job within 5 %") {
  const Catalogue cat = load_catalogue_file(kProfiles);
  struct Row { const char* profile; double seed_kwh; };
  const Row rows[] = {{"image_classification", 25}, {"language_translation", 15}, {"speech_recognition", 18},
                      {"generative_modelling", 40}, {"nlp", 120}, {"computer_vision", 150},
                      {"reinforcement_learning", 170}};
  std::cout << "\nCalibration on the reference platform (8 x H200 nodes, IT energy, PUE "
            << cat.reference.pue << "):\n"
            << "| profile | device W | per-GPU W (incl. host) | mean GPUs | mean h | expected kWh | generated kWh (100k jobs) | seed kWh | error |\n"
            << "|---|---|---|---|---|---|---|---|---|\n";
  for (const Row& r : rows) {
    const ProfileSpec& p = cat.by_name(r.profile);
    JobProfile jp;
    jp.utilisation = p.utilisation;
    jp.intensity = p.reference_intensity(cat.reference);
    jp.host_load = p.host_load;
    const double dev = reference_device_power_w(jp, cat.reference);
    const double per_gpu = dev + reference_host_power_per_gpu_w(jp, cat.reference);
    const double expected = expected_energy_kwh(p, cat.reference);
    const double generated = generated_mean_kwh(cat, r.profile, 100000, 2024);
    char line[256];
    std::snprintf(line, sizeof line, "| %s | %.0f | %.1f | %.2f | %.2f | %.2f | %.2f | %.0f | %+.1f %% |\n", r.profile,
                  dev, per_gpu, p.mean_gpus(), p.duration_median_h * std::exp(0.5 * p.duration_sigma * p.duration_sigma),
                  expected, generated, r.seed_kwh, 100.0 * (generated / r.seed_kwh - 1.0));
    std::cout << line;
    INFO(r.profile);
    CHECK(std::abs(expected / r.seed_kwh - 1.0) < 0.05);
    CHECK(std::abs(generated / r.seed_kwh - 1.0) < 0.05);
    CHECK(p.seed_energy_kwh.value() == r.seed_kwh);
  }
}

TEST_CASE("workload catalogue: the measured H200 phase powers come back from the profiles") {
  const Catalogue cat = load_catalogue_file(kProfiles);
  const std::pair<const char*, double> measured[] = {{"image_classification", 646}, {"language_translation", 356},
                                                     {"speech_recognition", 544}, {"generative_modelling", 637},
                                                     {"llm_decode", 140}};
  for (const auto& [name, watts] : measured) {
    const ProfileSpec& p = cat.by_name(name);
    JobProfile jp;
    jp.utilisation = p.utilisation;
    jp.intensity = p.reference_intensity(cat.reference);
    INFO(name);
    CHECK(reference_device_power_w(jp, cat.reference) == Approx(watts));
  }
}

TEST_CASE("workload catalogue: energy per training by year reproduces 2010/2015/2020 within 10 % and follows the trend") {
  const Catalogue cat = load_catalogue_file(kProfiles);
  struct Row { int year; double params; double seed_kwh; };
  const Row rows[] = {{2010, 10e6, 100}, {2015, 100e6, 1200}, {2020, 10e9, 120000}};
  std::cout << "\nEnergy per training by year (growth profile " << cat.growth.profile << ", reference platform):\n"
            << "| year | parameters | GPUs | work (FLOPs) | energy kWh | seed kWh | error |\n|---|---|---|---|---|---|---|\n";
  for (const Row& r : rows) {
    const double e = training_energy_kwh(cat, r.year, 1.0);
    char line[200];
    std::snprintf(line, sizeof line, "| %d | %.3g | %d | %.3g | %.0f | %.0f | %+.1f %% |\n", r.year,
                  cat.growth.params_at(r.year, 1.0), cat.growth.gpus_at(r.year), cat.growth.work_at(r.year, 1.0), e,
                  r.seed_kwh, 100.0 * (e / r.seed_kwh - 1.0));
    std::cout << line;
    INFO(r.year);
    CHECK(cat.growth.params_at(r.year, 1.0) == Approx(r.params));
    CHECK(std::abs(e / r.seed_kwh - 1.0) < 0.10);
  }
  // Between anchors: work and parameters log-linear (2012.5 is the geometric mean of 2010 and 2015).
  CHECK(cat.growth.params_at(2012.5, 1.0) == Approx(std::sqrt(10e6 * 100e6)));
  const double e2012 = training_energy_kwh(cat, 2012, 1.0);
  CHECK(e2012 > training_energy_kwh(cat, 2010, 1.0));
  CHECK(e2012 < training_energy_kwh(cat, 2015, 1.0));
  // Past 2020 by the configured trend: ×2 per year → 2023 needs 8× the 2020 energy.
  for (double g : {1.0, 2.0, 3.0}) {
    const double e2023 = training_energy_kwh(cat, 2023, g);
    char line[160];
    std::snprintf(line, sizeof line, "| 2023 (model_size_growth_per_year %.0f) | %.3g | %d | %.3g | %.0f | – | – |\n", g,
                  cat.growth.params_at(2023, g), cat.growth.gpus_at(2023), cat.growth.work_at(2023, g), e2023);
    std::cout << line;
    CHECK(e2023 == Approx(training_energy_kwh(cat, 2020, 1.0) * g * g * g));
  }
}

TEST_CASE("workload catalogue: the reference agrees with the platform catalogue's H200 and DGX H200") {
  const Catalogue cat = load_catalogue_file(kProfiles);
  PlatformCatalogue pc;
  DiagnosticSink errs;
  load_platform_catalogue_file(kSrc + "/platforms/accelerators.yaml", pc, errs);
  load_platform_catalogue_file(kSrc + "/platforms/nodes.yaml", pc, errs);
  REQUIRE(errs.empty());
  const AcceleratorSpec& h200 = pc.accelerators.at(cat.reference.accelerator.name);
  CHECK(cat.reference.accelerator.idle_power_w == Approx(h200.idle_power_w));
  CHECK(cat.reference.accelerator.pstates.front().full_power_w == Approx(h200.pstates.front().full_power_w));
  CHECK(cat.reference.accelerator.peak_flops("bf16") == Approx(h200.peak_flops("bf16")));
  CHECK(cat.reference.accelerator.utilisation_exponent == Approx(h200.utilisation_exponent));
  const NodeSpec& dgx = pc.node_types.at("dgx-h200");
  CHECK(cat.reference.gpus_per_node == dgx.accelerators_per_node);
  CHECK(cat.reference.accelerator.tdp_w == Approx(h200.tdp_w));
  CHECK(cat.reference.enforced_limit_w() == Approx(h200.default_power_limit_w));
  CHECK(cat.reference.host_idle_w == Approx(dgx.host_idle_w));
  CHECK(cat.reference.host_busy_w == Approx(dgx.host_busy_w));
  CHECK(cat.reference.nic_w == Approx(dgx.nic_w));
  CHECK(cat.reference.fan_idle_w == Approx(dgx.fan_idle_w));
  CHECK(cat.reference.fan_max_w == Approx(dgx.fan_max_w));
}

TEST_CASE("workload catalogue: every profile documents its sources and the file loads cleanly") {
  const Catalogue cat = load_catalogue_file(kProfiles);
  CHECK(cat.profiles.size() >= 9);
  for (const auto& [name, p] : cat.profiles) {
    INFO(name);
    CHECK(p.compute_share + p.memory_share + p.io_share == Approx(1.0));
    double total = 0;
    for (const auto& [g, prob] : p.gpus) total += prob;
    CHECK(total == Approx(1.0));
  }
  CHECK(cat.by_name("nlp").optimisation_potential == Approx(0.35));
  CHECK(cat.by_name("computer_vision").optimisation_potential == Approx(0.40));
  CHECK(cat.by_name("reinforcement_learning").optimisation_potential == Approx(0.30));
}

TEST_CASE("workload catalogue: a minimal catalogue loads and derives the intensity from watts") {
  const Catalogue c = load_catalogue_string(kMinimal, "cat.yaml");
  const ProfileSpec& p = c.by_name("p");
  CHECK(p.intensity == Approx(0.5));  // (600 − 100) / (1 · 1000)
  CHECK(p.mean_gpus() == Approx(2.5));
  CHECK(c.optimisations.count("quantisation") == 1);  // defaults present
}

TEST_CASE("workload catalogue: bad catalogues report every problem with file, line and key") {
  SECTION("an unknown key") {
    std::string y = kMinimal;
    y.replace(y.find("    mfu: 0.5"), 12, "    mfu: 0.5\n    colour: red");
    const auto m = messages(y);
    CHECK(any_contains(m, "cat.yaml:"));
    CHECK(any_contains(m, "colour"));
  }
  SECTION("shares that do not sum to 1 and probabilities that do not") {
    std::string y = kMinimal;
    y.replace(y.find("io: 0.1"), 7, "io: 0.3");
    y.replace(y.find("4: 0.5"), 6, "4: 0.6");
    const auto m = messages(y);
    CHECK(any_contains(m, "expected compute + memory + io = 1, got 1.2"));
    CHECK(any_contains(m, "expected probabilities summing to 1, got 1.1"));
  }
  SECTION("a power outside the reference's range") {
    std::string y = kMinimal;
    y.replace(y.find("reference_power_w: 600"), 22, "reference_power_w: 2000");
    CHECK(any_contains(messages(y), "expected a power between the reference's idle (100 W) and full (1100 W) power, got 2000"));
  }
  SECTION("a GPU count that is not an integer") {
    std::string y = kMinimal;
    y.replace(y.find("{1: 0.5"), 7, "{one: 0.5");
    CHECK(any_contains(messages(y), "expected a GPU count (integer >= 0) as key, got \"one\""));
  }
  SECTION("a missing reference is reported and the profiles are still checked") {
    std::string y = kMinimal;
    y.erase(y.find("reference:"), y.find("profiles:") - y.find("reference:"));
    y.replace(y.find("io: 0.1"), 7, "io: 0.3");
    const auto m = messages(y);
    CHECK(any_contains(m, "reference"));
    CHECK(any_contains(m, "expected compute + memory + io = 1, got 1.2"));
  }
  SECTION("anchors out of order and a growth profile that does not exist") {
    std::string y = kMinimal;
    y.replace(y.find("profile: p\n  anchors"), 10, "profile: q");
    y.replace(y.find("gpus: 1}]"), 9, "gpus: 1}, {year: 2005, params: 1e5, work_flops: 1e17}]");
    const auto m = messages(y);
    CHECK(any_contains(m, "expected years in increasing order, got 2005 after 2010"));
    CHECK(any_contains(m, "growth.profile: expected a profile of the catalogue, got \"q\""));
  }
}

TEST_CASE("workload catalogue: on the catalogue H200 under its 700 W limit every profile runs at full clock") {
  // The calibration assumes f_max; the engine picks the fastest p-state under the power limit.
  const Catalogue cat = load_catalogue_file(kProfiles);
  PlatformCatalogue pc;
  DiagnosticSink errs;
  load_platform_catalogue_file(kSrc + "/platforms/accelerators.yaml", pc, errs);
  REQUIRE(errs.empty());
  const AcceleratorSpec& h200 = pc.accelerators.at("H200-SXM");
  const AcceleratorPower power(h200);
  for (const auto& [name, p] : cat.profiles) {
    JobProfile jp = make_profile(p, cat.reference, 8, 3600);
    adapt_to_accelerator(jp, p, cat.reference, h200);
    const OperatingPoint op = operating_point_under_cap(power, jp, h200.power_limit_max_w);
    INFO(name);
    CHECK(op.pstate == 0);
    CHECK(op.slowdown == Approx(1.0));
    CHECK(op.device_power_w == Approx(reference_device_power_w(jp, cat.reference)));
    CHECK(runtime_at_fmax_s(jp, h200, 8) == Approx(3600));
  }
}
