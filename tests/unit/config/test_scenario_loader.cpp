// Specification of scenario loading: defaults, extends, overrides, policy parameters, limits,
// validate. Fixtures: tests/fixtures/scenarios/.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "config/scenario_loader.hpp"

using namespace dcsim;

namespace {

const std::string kDir = std::string(DCSIM_SOURCE_DIR) + "/tests/fixtures/scenarios/";

LoadOptions no_platform(std::vector<std::string> sets = {}) {
  LoadOptions o;
  o.set_overrides = std::move(sets);
  o.load_platform = false;
  return o;
}

std::vector<Diagnostic> errors_of(const std::string& file, std::vector<std::string> sets) {
  try {
    load_scenario(kDir + file, no_platform(std::move(sets)));
  } catch (const InputError& e) {
    return e.diagnostics();
  }
  return {};
}

}  // namespace

TEST_CASE("a base scenario is read with its values and every other default", "[scenario]") {
  Scenario s = load_scenario(kDir + "base.yaml", no_platform());
  CHECK(s.name == "base");
  CHECK(s.seed == 7);
  CHECK(s.time.start.year == 2024);
  CHECK(s.time.years == 1);
  CHECK(s.time.duration_s == 366 * 86400.0);  // 2024 is a leap year
  CHECK(s.time.sample_s == 900);
  CHECK(s.site.cooling.model == CoolingModel::constant_pue);
  CHECK(s.site.cooling.pue == 1.3);
  CHECK(s.site.cooling.supply_temp_c == 18);  // default of specs.hpp
  REQUIRE(s.site.supply.grid.carbon_gco2_per_kwh.has_value());
  CHECK(*s.site.supply.grid.carbon_gco2_per_kwh == 400);
  CHECK(s.workload.generator == WorkloadGenerator::fixed);
  CHECK(s.workload.jobs == 100);
  CHECK(s.policies.scheduler.name == "fcfs");
  REQUIRE(s.policies.energy.size() == 1);
  CHECK(s.policies.energy[0].name == "power-down-idle");
  CHECK(s.policies.energy[0].numbers.at("after") == 1800);
  CHECK(s.policies.energy[0].key_path == "policies.energy.0");
  CHECK(s.output.file == "results/base.h5");
  CHECK(s.site.platform.file == std::string(DCSIM_SOURCE_DIR) + "/platforms/sites/quickstart-h200.yaml");
  REQUIRE(s.input_files.size() == 2);
  CHECK(s.input_files[0] == kDir + "base.yaml");
}

TEST_CASE("the platform file is loaded by the platform loader", "[scenario]") {
  Scenario s = load_scenario(kDir + "base.yaml");
  REQUIRE(s.site.platform.nodes.size() == 1);
  CHECK(s.site.platform.nodes[0].node_type == "dgx-h200");
  CHECK(s.site.platform.nodes[0].count == 16);
}

TEST_CASE("a bad platform file's errors come with the scenario's", "[scenario]") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "dcsim-scenario-bad-platform";
  fs::create_directories(dir);
  { std::ofstream(dir / "p.yaml") << "name: p\nnodes:\n  - {type: no-such-node, count: 2}\n"; }
  { std::ofstream(dir / "s.yaml") << "seed: -3\nsite: {platform: p.yaml}\n"; }
  try {
    load_scenario((dir / "s.yaml").string());
    FAIL("no error");
  } catch (const InputError& e) {
    bool seed = false, platform = false;
    for (const auto& d : e.diagnostics()) {
      if (d.key_path == "seed" && d.line == 1) seed = true;
      if (fs::path(d.file).filename() == "p.yaml" && d.line == 3) platform = true;
    }
    CHECK(seed);
    CHECK(platform);
  }
  fs::remove_all(dir);
}

TEST_CASE("extends merges mappings key by key and replaces lists", "[scenario]") {
  Scenario s = load_scenario(kDir + "child.yaml", no_platform());
  CHECK(s.name == "child");
  CHECK(s.seed == 7);                                    // from the base
  CHECK(s.time.sample_s == 900);                         // base's time.sample kept
  CHECK(s.time.duration_s == (366 + 365) * 86400.0);     // child's years: 2
  CHECK(s.site.cooling.model == CoolingModel::constant_pue);         // base
  CHECK(s.site.cooling.pue == 1.15);                     // child
  CHECK_FALSE(s.site.supply.grid.carbon_gco2_per_kwh);   // removed by `~`
  CHECK(s.site.supply.grid.carbon_file.find("eia_erco_2022_hourly.csv") != std::string::npos);
  CHECK(*s.site.supply.grid.price_usd_per_kwh == 0.08);  // base
  CHECK(s.site.supply.battery.charge_efficiency == Approx(0.9));  // √0.81
  REQUIRE(s.policies.energy.size() == 1);                // list replaced, not appended
  CHECK(s.policies.energy[0].name == "carbon-aware-shift");
  CHECK(s.policies.energy[0].numbers.at("window") == 86400);
  CHECK(s.policies.energy[0].numbers.at("forecast_error") == 0.1);
  CHECK(s.policies.energy[0].strings.at("mode") == "strict");
  CHECK(s.resolved_yaml.find("extends") == std::string::npos);
  CHECK(s.input_files.size() == 5);  // child, base, platform, carbon, weather
}

TEST_CASE("extends is followed through several levels", "[scenario]") {
  Scenario s = load_scenario(kDir + "grandchild.yaml", no_platform());
  CHECK(s.name == "grandchild");
  CHECK(s.workload.jobs == 50);
  CHECK(s.site.cooling.pue == 1.15);
  CHECK(s.seed == 7);
}

TEST_CASE("every documented key is read", "[scenario]") {
  Scenario s = load_scenario(kDir + "full.yaml", no_platform());
  CHECK(s.time.start.hour == 6);
  CHECK(s.time.duration_s == 90 * 86400.0);
  CHECK(s.time.drain_s == 2 * 86400.0);
  CHECK(s.site.ups.rated_w == 2e7);
  CHECK(s.site.supply.grid.export_allowed == 0);
  CHECK(s.site.supply.wind.shear_exponent == 0.2);
  CHECK(s.site.supply.battery.soc_initial == 0.6);
  CHECK(s.site.embodied.battery_lifetime_years == 12);
  CHECK(s.workload.mix.at("generative_modelling") == 0.4);
  CHECK(s.workload.optimisations.at("pruning") == 0.1);
  CHECK(s.workload.deadline_slack_s == 2 * 86400.0);
  REQUIRE(s.workload.traces.size() == 3);
  CHECK(s.workload.traces[0].limit == 1000);
  CHECK(s.workload.traces[0].profile_map.at("64") == "generative_modelling");
  CHECK(s.workload.traces[1].profile_column == "queue");
  CHECK(s.workload.traces[1].procs_per_gpu == 4);
  CHECK(s.workload.traces[2].aggregate_s == 3600);
  CHECK(s.workload.traces[2].serving_params == 7e9);
  CHECK(s.workload.catalogue_files.size() == 1);
  CHECK(s.workload.fixed_profile == "speech_recognition");
  CHECK(s.workload.work_flops_per_job == 2e20);
  CHECK(s.workload.interarrival_s == 3.6 * 3600);
  CHECK(s.workload.mix_by_year.at(2026).at("generative_modelling") == 0.7);
  REQUIRE(s.workload.deadline_bursts.size() == 1);
  CHECK(s.workload.deadline_bursts[0].window_s == 14 * 86400.0);
  CHECK(s.workload.deadline_bursts[0].factor == 2.5);
  CHECK_FALSE(s.workload.scale_work_with_year);
  CHECK(s.workload.sweep_spread == 0.3);
  CHECK(s.policies.scheduler.name == "easy-backfill");
  CHECK(s.policies.energy[1].numbers.at("enabled") == 1);
  CHECK(s.policies.tick_s == 300);
  CHECK(s.output.per_node);
  CHECK_FALSE(s.output.events);
}

TEST_CASE("overrides given with --set apply after extends, and their errors point at --set", "[scenario]") {
  SECTION("values, new mappings and list items are set") {
    Scenario s = load_scenario(kDir + "child.yaml",
                               no_platform({"seed=99", "site.supply.wind.rated_mw=5",
                                            "policies.energy.0.window=12h", "time.sample=1h"}));
    CHECK(s.seed == 99);
    CHECK(s.site.supply.wind.rated_mw == 5);
    CHECK(s.policies.energy[0].numbers.at("window") == 43200);
    CHECK(s.time.sample_s == 3600);
    CHECK(s.resolved_yaml.find("seed: 99") != std::string::npos);
  }
  SECTION("an unknown key path") {
    auto d = errors_of("base.yaml", {"site.cooling.peu=1.3"});
    REQUIRE(d.size() == 1);
    CHECK(d[0].file == "--set");
    CHECK(d[0].key_path == "site.cooling.peu");
    CHECK(d[0].message.find("did you mean 'pue'") != std::string::npos);
  }
  SECTION("a value of the wrong type") {
    auto d = errors_of("base.yaml", {"site.cooling.pue=high"});
    REQUIRE(d.size() == 1);
    CHECK(d[0].file == "--set");
    CHECK(d[0].key_path == "site.cooling.pue");
    CHECK(d[0].message == "expected a number in [1, 5], got high");
  }
}

TEST_CASE("the resolved YAML is deterministic and loads to the same scenario", "[scenario]") {
  Scenario a = load_scenario(kDir + "child.yaml", no_platform());
  Scenario b = load_scenario(kDir + "child.yaml", no_platform());
  CHECK(a.resolved_yaml == b.resolved_yaml);
  // The resolved text keeps each file's relative paths; read from the fixture directory it
  // gives back the same values.
  auto doc = YamlDoc::load_string(a.resolved_yaml, kDir + "resolved.yaml");
  YamlMap root = doc->root_map();
  CHECK(root.map("site").map("cooling").number("pue", 0) == 1.15);
  CHECK(root.map("time").number("years", 0) == 2);
}

TEST_CASE("a policy validator's diagnostics are placed at the parameter", "[scenario]") {
  LoadOptions o = no_platform();
  o.validate_policy = [](const PolicyConfig& p, DiagnosticSink& errs) {
    if (p.name == "power-down-idle" && p.numbers.at("after") < 3600)
      errs.add(Diagnostic{"", 0, 0, "after", "expected a duration >= 3600 s, got 1800 s"});
    if (p.name == "fcfs") errs.add(Diagnostic{"", 0, 0, "", "expected a known scheduler"});
  };
  try {
    load_scenario(kDir + "base.yaml", o);
    FAIL("no error");
  } catch (const InputError& e) {
    auto& d = e.diagnostics();
    REQUIRE(d.size() == 2);
    // sorted by line: scheduler (line 16) before the energy policy (line 18)
    CHECK(d[0].key_path == "policies.scheduler");
    CHECK(d[0].line == 16);
    CHECK(d[1].key_path == "policies.energy.0.after");
    CHECK(d[1].line == 18);
    CHECK(d[1].column == 38);  // the value 30min
  }
}

TEST_CASE("absurd sizes are refused with their estimate", "[scenario][limits]") {
  SECTION("1 ns sampling over 10 years") {
    auto d = errors_of("base.yaml", {"time.years=10", "time.sample=1e-9"});
    REQUIRE(d.size() == 1);
    CHECK(d[0].key_path == "time.sample");
    CHECK(d[0].message.find("expected a sampling interval >= 1 s") != std::string::npos);
    CHECK(d[0].message.find("3.16e+17 samples") != std::string::npos);  // 3653 d / 1 ns
  }
  SECTION("more than 10^8 samples") {
    auto d = errors_of("base.yaml", {"time.years=10", "time.sample=2"});
    REQUIRE(d.size() == 1);
    // 3653 days · 86400 s / 2 s = 1.578e8 samples · 8 bytes = 1.26 GB
    CHECK(d[0].message.find("got 1.58e+08 (~1.26 GB per series)") != std::string::npos);
  }
  SECTION("10^12 fixed jobs") {
    auto d = errors_of("base.yaml", {"workload.jobs=1e12"});
    REQUIRE(d.size() == 1);
    CHECK(d[0].key_path == "workload.jobs");
    // 10^12 jobs × 600 bytes per job record = 600 TB
    CHECK(d[0].message.find("got an estimated 1e+12 (~600 TB of job records)") != std::string::npos);
  }
  SECTION("a growing arrival rate that passes 10^8 jobs") {
    // 5e7 in year 1, 1e8 in year 2: 1.5e8 over two years
    auto d = errors_of("base.yaml", {"workload.generator=research-lab", "workload.jobs_per_year=5e7",
                                     "workload.jobs_growth_per_year=2", "time.years=2"});
    REQUIRE(d.size() == 1);
    CHECK(d[0].key_path == "workload.jobs_per_year");
    CHECK(d[0].message.find("an estimated 1.5e+08") != std::string::npos);
  }
}

TEST_CASE("validate detects the kind of a file from its top-level keys", "[validate]") {
  CHECK(detect_kind({"extends", "name"}) == FileKind::scenario);
  CHECK(detect_kind({"name", "site", "time"}) == FileKind::scenario);
  CHECK(detect_kind({"base", "grid", "replicates"}) == FileKind::sweep);
  CHECK(detect_kind({"accelerators"}) == FileKind::accelerator_catalogue);
  CHECK(detect_kind({"name", "catalogue", "node_types", "nodes", "network"}) == FileKind::platform);
  CHECK(detect_kind({"profiles", "reference"}) == FileKind::workload_catalogue);
}

TEST_CASE("validate returns nothing for a good scenario and every problem of a bad one", "[validate]") {
  ValidateOptions o;
  o.load_platform = false;
  CHECK(validate_file(kDir + "full.yaml", o).empty());
  auto d = validate_file(std::string(DCSIM_SOURCE_DIR) + "/tests/fixtures/bad/many-errors.yaml", o);
  CHECK(d.size() == 4);
}

TEST_CASE("validate hands a sweep file to the installed sweep checker", "[validate]") {
  namespace fs = std::filesystem;
  fs::path p = fs::temp_directory_path() / "dcsim-validate-sweep.yaml";
  { std::ofstream(p) << "base: x.yaml\ngrid: {seed: [1, 2]}\n"; }
  ValidateOptions o;
  std::string seen;
  o.validate_sweep = [&](const std::string& path, DiagnosticSink& s) {
    seen = path;
    s.add(Diagnostic{path, 1, 7, "base", "expected an existing file"});
  };
  auto d = validate_file(p.string(), o);
  CHECK(seen == p.string());
  CHECK(d.size() == 1);
  fs::remove(p);
}

namespace {
// A child of base.yaml written into a temporary directory next to a copy of nothing else:
// `extends` names the fixture by its absolute path.
std::string write_child(const std::string& name, const std::string& body) {
  const auto dir = std::filesystem::temp_directory_path() / "dcsim-composition-test";
  std::filesystem::create_directories(dir);
  const auto p = dir / name;
  std::ofstream(p) << "extends: " << kDir << "base.yaml\n" << body;
  return p.string();
}
}  // namespace

TEST_CASE("one composition rule for files and --set: a mix replaces whole, ~ removes", "[scenario][compose]") {
  SECTION("a child's mix replaces the base's mix whole, as --set does") {
    const std::string base_mix =
        write_child("mixbase.yaml", "workload: {generator: research-lab, jobs_per_year: 100, "
                                    "mix: {image_classification: 0.6, language_translation: 0.4}}\n");
    const auto dir = std::filesystem::path(base_mix).parent_path();
    std::ofstream(dir / "mixchild.yaml") << "extends: mixbase.yaml\nworkload: {mix: {generative_modelling: 1}}\n";
    Scenario f = load_scenario((dir / "mixchild.yaml").string(), no_platform());
    REQUIRE(f.workload.mix.size() == 1);
    CHECK(f.workload.mix.at("generative_modelling") == 1);
    CHECK(f.workload.jobs_per_year == 100);  // the rest of workload still merges
    Scenario s = load_scenario(base_mix, no_platform({"workload.mix={generative_modelling: 1}"}));
    CHECK(s.workload.mix == f.workload.mix);
  }
  SECTION("--set key=~ removes an inherited value, so another may be given") {
    Scenario s = load_scenario(kDir + "base.yaml", no_platform({"time.years=~", "time.duration=90d"}));
    CHECK(s.time.duration_s == 90 * 86400.0);
    const std::string c = write_child("yearsnull.yaml", "time: {years: ~, duration: 10d}\n");
    CHECK(load_scenario(c, no_platform()).time.duration_s == 10 * 86400.0);
  }
  SECTION("a scheduler given anew does not keep the base's parameters") {
    Scenario s = load_scenario(kDir + "base.yaml", no_platform({"policies.scheduler={name: easy-backfill}"}));
    CHECK(s.policies.scheduler.name == "easy-backfill");
  }
  SECTION("a mapping that is not whole still merges under --set") {
    Scenario s = load_scenario(kDir + "base.yaml", no_platform({"site.cooling={pue: 1.4}"}));
    CHECK(s.site.cooling.model == CoolingModel::constant_pue);
    CHECK(s.site.cooling.pue == 1.4);
  }
  SECTION("a mix written in thirds is accepted, a sum off by more than 0.001 is not") {
    const std::string c = write_child("thirds.yaml",
                                      "workload: {generator: research-lab, jobs_per_year: 100, mix: "
                                      "{image_classification: 0.3333, language_translation: 0.3333, "
                                      "speech_recognition: 0.3333}}\n");
    CHECK(load_scenario(c, no_platform()).workload.mix.size() == 3);
    const std::string bad = write_child("nines.yaml",
                                        "workload: {generator: research-lab, jobs_per_year: 100, mix: "
                                        "{image_classification: 0.5, language_translation: 0.498}}\n");
    CHECK_THROWS_AS(load_scenario(bad, no_platform()), InputError);
  }
}
