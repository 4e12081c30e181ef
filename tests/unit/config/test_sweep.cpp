// Specification of sweep files: parsing, deterministic expansion (grid × zip × replicates),
// stable run ids, parameter names, and errors placed at the sweep file's key or value.
// Base scenario: tests/fixtures/sweeps/tiny-scenario.yaml (seed 7, PUE 1.2, 4 jobs).
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "config/scenario_loader.hpp"
#include "config/sweep.hpp"
#include "output/provenance.hpp"

using namespace dcsim;
using Approx = Catch::Detail::Approx;
namespace fs = std::filesystem;

namespace {

const std::string kBase = std::string(DCSIM_SOURCE_DIR) + "/tests/fixtures/sweeps/tiny-scenario.yaml";

// Writes a sweep file (its first line is `base: <tiny scenario>`) into a fresh directory.
std::string sweep_file(const std::string& body, const std::string& name = "s.yaml") {
  static int n = 0;
  const fs::path dir = fs::temp_directory_path() / ("dcsim-test-sweep-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
  fs::create_directories(dir);
  const std::string path = (dir / name).string();
  std::ofstream(path) << "base: " << kBase << "\n" << body;
  return path;
}

std::vector<Diagnostic> errors_of(const std::string& path) {
  try {
    load_sweep(path);
  } catch (const InputError& e) {
    return e.diagnostics();
  }
  return {};
}

double num(const SweepRun& r, const std::string& p) { return std::get<double>(r.parameters.at(p)); }

LoadOptions no_platform(std::vector<std::string> sets) {
  LoadOptions o;
  o.set_overrides = std::move(sets);
  o.load_platform = false;
  return o;
}

const char* kFull =
    "grid:\n"
    "  site.cooling.pue: [1.1, 1.3]\n"
    "  workload.jobs: [2, 3, 5]\n"
    "zip:\n"
    "  site.supply.grid.carbon_gco2_per_kwh: [100, 300]\n"
    "  site.supply.grid.price_usd_per_kwh: [0.05, 0.15]\n"
    "replicates: 2\n";

}  // namespace

TEST_CASE("grid, zip and replicates expand to the product of their sizes in nested-loop order", "[sweep]") {
  const Sweep sw = load_sweep(sweep_file(kFull));
  // 2 PUEs × 3 job counts × 2 zip rows × 2 replicates
  REQUIRE(sw.runs.size() == 24);
  CHECK(sw.base_seed == 7);
  for (std::size_t i = 0; i < sw.runs.size(); ++i) CHECK(sw.runs[i].index == i);
  // replicate fastest: run 0 and 1 differ only in the seed
  CHECK(num(sw.runs[0], "cooling.pue") == 1.1);
  CHECK(num(sw.runs[0], "workload.jobs") == 2);
  CHECK(num(sw.runs[0], "grid.carbon_gco2_per_kwh") == 100);
  CHECK(num(sw.runs[0], "grid.price_usd_per_kwh") == 0.05);
  CHECK(sw.runs[0].seed == 7);
  CHECK(sw.runs[1].seed == 8);
  CHECK(num(sw.runs[1], "grid.carbon_gco2_per_kwh") == 100);
  // then the zip row: both zipped keys change together
  CHECK(num(sw.runs[2], "grid.carbon_gco2_per_kwh") == 300);
  CHECK(num(sw.runs[2], "grid.price_usd_per_kwh") == 0.15);
  CHECK(num(sw.runs[2], "workload.jobs") == 2);
  // then the grid's last key, then its first
  CHECK(num(sw.runs[4], "workload.jobs") == 3);
  CHECK(num(sw.runs[4], "cooling.pue") == 1.1);
  CHECK(num(sw.runs[12], "cooling.pue") == 1.3);
  CHECK(num(sw.runs[12], "workload.jobs") == 2);
  // the last run: index 23 = 1·12 + 2·4 + 1·2 + 1
  CHECK(num(sw.runs[23], "cooling.pue") == 1.3);
  CHECK(num(sw.runs[23], "workload.jobs") == 5);
  CHECK(num(sw.runs[23], "grid.price_usd_per_kwh") == 0.15);
  CHECK(sw.runs[23].seed == 8);
}

TEST_CASE("a run's overrides load, through the scenario loader, the scenario its parameters say", "[sweep]") {
  const Sweep sw = load_sweep(sweep_file(kFull));
  const SweepRun& r = sw.runs[23];
  const Scenario sc = load_scenario(sw.base, no_platform(r.overrides));
  CHECK(sc.site.cooling.pue == 1.3);
  CHECK(sc.workload.jobs == 5);
  CHECK(*sc.site.supply.grid.carbon_gco2_per_kwh == 300);
  CHECK(*sc.site.supply.grid.price_usd_per_kwh == 0.15);
  CHECK(sc.seed == 8);
}

TEST_CASE("run ids are 12 hex digits of the SHA-256 of the resolved scenario, stable and distinct", "[sweep]") {
  const Sweep a = load_sweep(sweep_file(kFull));
  const Sweep b = load_sweep(sweep_file(kFull, "elsewhere.yaml"));  // another file, another directory
  REQUIRE(a.runs.size() == b.runs.size());
  std::set<std::string> ids;
  for (std::size_t i = 0; i < a.runs.size(); ++i) {
    CHECK(a.runs[i].id == b.runs[i].id);
    CHECK(a.runs[i].id.size() == 12);
    CHECK(a.runs[i].id.find_first_not_of("0123456789abcdef") == std::string::npos);
    ids.insert(a.runs[i].id);
  }
  CHECK(ids.size() == a.runs.size());
  // the id is the hash of what the scenario loader resolves from the run's overrides
  const Scenario sc = load_scenario(a.base, no_platform(a.runs[5].overrides));
  CHECK(a.runs[5].id == sha256_hex(sc.resolved_yaml).substr(0, 12));
  CHECK(sc.resolved_yaml.find("seed: 8") != std::string::npos);
}

TEST_CASE("a run's id does not depend on the sweep it is in, only on its scenario", "[sweep]") {
  // the same scenario (PUE 1.3, seed 7) reached by a grid and by a one-value set
  const Sweep grid = load_sweep(sweep_file("grid: {site.cooling.pue: [1.1, 1.3]}\n"));
  const Sweep fixed = load_sweep(sweep_file("set: {site.cooling.pue: 1.3}\n"));
  REQUIRE(grid.runs.size() == 2);
  REQUIRE(fixed.runs.size() == 1);
  CHECK(grid.runs[1].id == fixed.runs[0].id);
  CHECK(grid.runs[0].id != fixed.runs[0].id);
}

TEST_CASE("set overrides apply to every run and are not parameters, and seed is always a parameter", "[sweep]") {
  const Sweep sw = load_sweep(sweep_file("set: {workload.jobs: 9}\ngrid: {site.cooling.pue: [1.1, 1.5]}\n"));
  REQUIRE(sw.runs.size() == 2);
  for (const auto& r : sw.runs) {
    CHECK(r.parameters.size() == 2);
    CHECK(r.parameters.count("seed") == 1);
    CHECK(r.parameters.count("workload.jobs") == 0);
    CHECK(load_scenario(sw.base, no_platform(r.overrides)).workload.jobs == 9);
  }
  CHECK(num(sw.runs[1], "seed") == 7);
}

TEST_CASE("a sweep without axes is its base scenario once, and replicates alone vary the seed", "[sweep]") {
  CHECK(load_sweep(sweep_file("")).runs.size() == 1);
  const Sweep sw = load_sweep(sweep_file("replicates: 3\n"));
  REQUIRE(sw.runs.size() == 3);
  CHECK(sw.runs[0].seed == 7);
  CHECK(sw.runs[2].seed == 9);
}

TEST_CASE("parameter names are the last two key segments, lengthened when two would clash", "[sweep]") {
  const Sweep sw = load_sweep(sweep_file(
      "grid:\n"
      "  site.cooling.pue: [1.1]\n"
      "  site.supply.grid.carbon_gco2_per_kwh: [100]\n"
      "  policies.scheduler.name: [fcfs, easy-backfill]\n"));
  const auto& p = sw.runs[1].parameters;
  CHECK(p.count("cooling.pue") == 1);
  CHECK(p.count("grid.carbon_gco2_per_kwh") == 1);
  CHECK(std::get<std::string>(p.at("scheduler.name")) == "easy-backfill");
  CHECK(sw.name == "s");
  CHECK(sw.output_dir == "results/s");

  const Sweep clash = load_sweep(sweep_file(
      "grid:\n"
      "  site.cooling.pue: [1.1]\n"
      "zip:\n"
      "  site.supply.grid.carbon_gco2_per_kwh: [100]\n"
      "  site.supply.grid.price_usd_per_kwh: [0.1]\n"));
  CHECK(clash.runs[0].parameters.count("grid.price_usd_per_kwh") == 1);
  CHECK(clash.grid[0].parameter == "cooling.pue");
}

TEST_CASE("name and output_dir are read from the sweep file", "[sweep]") {
  const Sweep sw = load_sweep(sweep_file("name: my-study\noutput_dir: out/here\n"));
  CHECK(sw.name == "my-study");
  CHECK(sw.output_dir == "out/here");
}

TEST_CASE("bad sweep files are reported at the sweep file's line and column", "[sweep]") {
  SECTION("an unknown scenario key in grid points at the key") {
    const auto path = sweep_file("grid:\n  site.cooling.peu: [1.1, 1.2]\n");
    const auto d = errors_of(path);
    REQUIRE(d.size() == 1);
    CHECK(d[0].file == path);
    CHECK(d[0].line == 3);
    CHECK(d[0].column == 3);
    CHECK(d[0].key_path == "site.cooling.peu");
    CHECK(d[0].message.find("unknown key 'peu'") != std::string::npos);
  }
  SECTION("an unknown mapping in the middle of a zip key path points at the key") {
    const auto path = sweep_file("zip:\n  workload.jobs: [1, 2]\n  site.colling.pue: [1.1, 1.2]\n");
    const auto d = errors_of(path);
    REQUIRE(d.size() == 1);
    CHECK(d[0].file == path);
    CHECK(d[0].line == 4);
    CHECK(d[0].column == 3);
    CHECK(d[0].key_path == "site.colling");
  }
  SECTION("an unknown key in set points at the key") {
    const auto path = sweep_file("set:\n  time.duraton: 1d\n");
    const auto d = errors_of(path);
    REQUIRE(d.size() == 1);
    CHECK(d[0].line == 3);
    CHECK(d[0].column == 3);
    CHECK(d[0].key_path == "time.duraton");
  }
  SECTION("a value of the wrong type points at that value") {
    //                            col: 1234567890123456789012345678
    const auto path = sweep_file("grid:\n  site.cooling.pue: [1.1, abc]\n");
    const auto d = errors_of(path);
    REQUIRE(d.size() == 1);
    CHECK(d[0].line == 3);
    CHECK(d[0].column == 27);
    CHECK(d[0].key_path == "site.cooling.pue");
    CHECK(d[0].message.find("abc") != std::string::npos);
  }
  SECTION("a value out of range points at that value") {
    const auto path = sweep_file("grid:\n  workload.jobs: [1,\n    -4]\n");
    const auto d = errors_of(path);
    REQUIRE(d.size() == 1);
    CHECK(d[0].line == 4);
    CHECK(d[0].column == 5);
    CHECK(d[0].message.find("-4") != std::string::npos);
  }
  SECTION("an unknown key of the sweep file itself") {
    const auto path = sweep_file("grids:\n  site.cooling.pue: [1.1]\n");
    const auto d = errors_of(path);
    REQUIRE(d.size() == 1);
    CHECK(d[0].line == 2);
    CHECK(d[0].key_path == "grids");
    CHECK(d[0].message.find("unknown key 'grids'") != std::string::npos);
  }
  SECTION("zipped lists of different lengths") {
    const auto path = sweep_file("zip:\n  workload.jobs: [1, 2]\n  site.cooling.pue: [1.1, 1.2, 1.3]\n");
    const auto d = errors_of(path);
    REQUIRE(d.size() == 1);
    CHECK(d[0].line == 4);
    CHECK(d[0].message.find("expected 2 values") != std::string::npos);
    CHECK(d[0].message.find("got 3") != std::string::npos);
  }
  SECTION("an axis that is not a list, and an empty list") {
    const auto path = sweep_file("grid:\n  site.cooling.pue: 1.1\n  workload.jobs: []\n");
    const auto d = errors_of(path);
    REQUIRE(d.size() == 2);
    CHECK(d[0].line == 3);
    CHECK(d[0].message.find("expected a list") != std::string::npos);
    CHECK(d[1].line == 4);
    CHECK(d[1].message.find("empty list") != std::string::npos);
  }
  SECTION("a key swept in both grid and zip") {
    const auto path = sweep_file("grid:\n  workload.jobs: [1, 2]\nzip:\n  workload.jobs: [3, 4]\n");
    const auto d = errors_of(path);
    REQUIRE(d.size() == 1);
    CHECK(d[0].line == 5);
    CHECK(d[0].message.find("first at line 3") != std::string::npos);
  }
  SECTION("replicates when the seed is swept") {
    const auto path = sweep_file("grid: {seed: [1, 2]}\nreplicates: 3\n");
    const auto d = errors_of(path);
    REQUIRE(d.size() == 1);
    CHECK(d[0].line == 3);
    CHECK(d[0].key_path == "replicates");
  }
  SECTION("replicates below one") {
    const auto d = errors_of(sweep_file("replicates: 0\n"));
    REQUIRE(d.size() == 1);
    CHECK(d[0].key_path == "replicates");
  }
  SECTION("two runs that are the same scenario") {
    const auto d = errors_of(sweep_file("grid: {site.cooling.pue: [1.2, 1.3, 1.2]}\n"));
    REQUIRE(d.size() == 1);
    CHECK(d[0].message.find("runs 0 (") != std::string::npos);
    CHECK(d[0].message.find("and 2 (") != std::string::npos);
  }
  SECTION("a base scenario that does not exist") {
    const fs::path dir = fs::path(sweep_file("")).parent_path();
    const std::string path = (dir / "nobase.yaml").string();
    std::ofstream(path) << "name: x\nbase: missing.yaml\n";
    const auto d = errors_of(path);
    REQUIRE(d.size() == 1);
    CHECK(d[0].file == path);
    CHECK(d[0].line == 2);
    CHECK(d[0].key_path == "base");
  }
  SECTION("no base at all") {
    const fs::path dir = fs::path(sweep_file("")).parent_path();
    const std::string path = (dir / "nokey.yaml").string();
    std::ofstream(path) << "name: x\ngrid: {seed: [1]}\n";
    const auto d = errors_of(path);
    REQUIRE(d.size() == 1);
    CHECK(d[0].file == path);
    CHECK(d[0].line == 1);
    CHECK(d[0].message.find("missing required key 'base'") != std::string::npos);
  }
}

TEST_CASE("validate_sweep_file collects the problems without throwing", "[sweep]") {
  DiagnosticSink sink;
  validate_sweep_file(sweep_file("grid:\n  site.cooling.peu: [1.1]\n  workload.jbos: [1]\n"), sink);
  CHECK(sink.size() == 2);
  DiagnosticSink ok;
  validate_sweep_file(sweep_file("grid:\n  site.cooling.pue: [1.1]\n"), ok);
  CHECK(ok.empty());
}

TEST_CASE("the repository's sweep files expand", "[sweep]") {
  for (const auto& f : {"/tests/fixtures/sweeps/eight-runs.yaml", "/scenarios/sweeps/quickstart-pue-scheduler.yaml"}) {
    INFO(f);
    const Sweep sw = load_sweep(std::string(DCSIM_SOURCE_DIR) + f);
    CHECK(!sw.runs.empty());
  }
  CHECK(load_sweep(std::string(DCSIM_SOURCE_DIR) + "/tests/fixtures/sweeps/eight-runs.yaml").runs.size() == 8);
}

TEST_CASE("sweep values reach the run as written: quoted strings, special characters, mappings", "[sweep]") {
  const Sweep sw = load_sweep(sweep_file(
      "grid:\n"
      "  description: [plain, \"with: colon, comma [and] #hash\", \"8\"]\n"
      "  policies.scheduler: [{name: fcfs}, {name: easy-backfill}]\n"));
  REQUIRE(sw.runs.size() == 6);
  const Scenario a = load_scenario(sw.base, no_platform(sw.runs[2].overrides));
  CHECK(a.description == "with: colon, comma [and] #hash");
  CHECK(a.policies.scheduler.name == "fcfs");
  const Scenario b = load_scenario(sw.base, no_platform(sw.runs[5].overrides));
  CHECK(b.description == "8");
  CHECK(b.policies.scheduler.name == "easy-backfill");
  // a quoted number is a string parameter; a mapping is its flow text
  CHECK(std::get<std::string>(sw.runs[5].parameters.at("description")) == "8");
  CHECK(std::get<std::string>(sw.runs[5].parameters.at("policies.scheduler")) == "{name: easy-backfill}");
}

// ---- uncertain inputs: the `sample` section (Latin hypercube) --------------------------------

namespace {
const char* kSample =
    "sample:\n"
    "  method: latin_hypercube\n"
    "  n: 10\n"
    "  seed: 3\n"
    "  inputs:\n"
    "    site.cooling.pue: {uniform: [1.1, 1.6]}\n"
    "    site.supply.grid.carbon_gco2_per_kwh: {normal: [400, 40]}\n"
    "    workload.work_flops_per_job: {triangular: [1.0e19, 2.0e19, 4.0e19]}\n"
    "replicates: 2\n";
}  // namespace

TEST_CASE("a Latin hypercube puts exactly one point in each of the n strata of every input", "[sweep]") {
  for (std::size_t n : {2u, 7u, 50u}) {
    const auto u = latin_hypercube(n, 3, 11);
    REQUIRE(u.size() == n);
    for (std::size_t j = 0; j < 3; ++j) {
      std::set<std::size_t> strata;
      for (const auto& row : u) {
        CHECK(row[j] >= 0.0);
        CHECK(row[j] < 1.0);
        strata.insert(static_cast<std::size_t>(row[j] * static_cast<double>(n)));
      }
      CHECK(strata.size() == n);
    }
  }
  // deterministic for the seed, different for another seed
  CHECK(latin_hypercube(20, 2, 5) == latin_hypercube(20, 2, 5));
  CHECK(latin_hypercube(20, 2, 5) != latin_hypercube(20, 2, 6));
}

TEST_CASE("the normal quantile function inverts the normal CDF", "[sweep]") {
  for (double p : {1e-10, 1e-4, 0.01, 0.02425, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.9999}) {
    const double x = normal_quantile(p);
    CHECK(0.5 * std::erfc(-x / std::sqrt(2.0)) == Approx(p).epsilon(1e-8));
  }
  CHECK(normal_quantile(0.5) == Approx(0).margin(1e-12));
  CHECK(normal_quantile(0.975) == Approx(1.959964).epsilon(1e-6));
}

TEST_CASE("sampled inputs expand as n samples times replicates with their ensemble numbers", "[sweep]") {
  const Sweep sw = load_sweep(sweep_file(std::string("grid:\n  workload.jobs: [3, 4]\n") + kSample));
  // 2 grid points × 10 samples × 2 replicates
  REQUIRE(sw.runs.size() == 40);
  REQUIRE(sw.sample.inputs.size() == 3);
  CHECK(sw.sample.inputs[0].distribution == "uniform(1.1, 1.6)");
  CHECK(sw.sample.inputs[1].distribution == "normal(400, 40)");
  CHECK(sw.sample.inputs[2].distribution == "triangular(1e+19, 2e+19, 4e+19)");
  for (const auto& r : sw.runs) {
    CHECK(r.point == r.index / 20);
    CHECK(r.sample == static_cast<std::int64_t>((r.index / 2) % 10));
    CHECK(r.replicate == r.index % 2);
    CHECK(r.realization == r.index % 20);
    CHECK(r.seed == 7 + r.replicate);  // the same seeds for every sample (common random numbers)
    const double pue = num(r, "cooling.pue");
    CHECK(pue >= 1.1);
    CHECK(pue < 1.6);
    const double w = num(r, "workload.work_flops_per_job");
    CHECK(w >= 1.0e19);
    CHECK(w <= 4.0e19);
    // the run's scenario has the sampled value
    CHECK(std::find(r.overrides.begin(), r.overrides.end(),
                    "site.cooling.pue=" + format_parameter_value(r.parameters.at("cooling.pue"))) != r.overrides.end());
  }
  // replicates of one sample share the inputs; each grid point has the same sample
  CHECK(num(sw.runs[0], "cooling.pue") == num(sw.runs[1], "cooling.pue"));
  CHECK(num(sw.runs[0], "cooling.pue") == num(sw.runs[20], "cooling.pue"));
  // one PUE per stratum of width 0.05
  std::set<int> strata;
  for (std::size_t s = 0; s < 10; ++s) strata.insert(static_cast<int>((num(sw.runs[2 * s], "cooling.pue") - 1.1) / 0.05));
  CHECK(strata.size() == 10);
  // the normal input: mean and spread near the distribution's (LHS: close even for n = 10)
  double sum = 0;
  for (std::size_t s = 0; s < 10; ++s) sum += num(sw.runs[2 * s], "grid.carbon_gco2_per_kwh");
  CHECK(sum / 10 == Approx(400).margin(15));
  // the same file gives the same sample; another seed another
  const Sweep again = load_sweep(sweep_file(std::string("grid:\n  workload.jobs: [3, 4]\n") + kSample));
  for (std::size_t i = 0; i < sw.runs.size(); ++i) CHECK(again.runs[i].id == sw.runs[i].id);
  std::string other = kSample;
  other.replace(other.find("seed: 3"), 7, "seed: 4");
  const Sweep reseeded = load_sweep(sweep_file(other));
  CHECK(num(reseeded.runs[0], "cooling.pue") != num(sw.runs[0], "cooling.pue"));
}

TEST_CASE("bad sample sections are reported at the sweep file's key", "[sweep]") {
  auto one = [](const std::string& body) {
    const auto path = sweep_file(body);
    const auto d = errors_of(path);
    REQUIRE(!d.empty());
    CHECK(d[0].file == path);
    return d;
  };
  const std::string head = "sample:\n  method: latin_hypercube\n  n: 4\n  seed: 1\n  inputs:\n";
  SECTION("an unknown method") {
    const auto d = one("sample:\n  method: sobol\n  n: 4\n  seed: 1\n  inputs:\n    site.cooling.pue: {uniform: [1, 2]}\n");
    CHECK(d[0].line == 3);
    CHECK(d[0].key_path == "sample.method");
    CHECK(d[0].message.find("latin_hypercube") != std::string::npos);
  }
  SECTION("a missing seed") {
    const auto d = one("sample:\n  method: latin_hypercube\n  n: 4\n  inputs:\n    site.cooling.pue: {uniform: [1, 2]}\n");
    CHECK(d[0].key_path == "sample.seed");
    CHECK(d[0].message.find("missing") != std::string::npos);
  }
  SECTION("n below 2") {
    const auto d = one("sample:\n  method: latin_hypercube\n  n: 1\n  seed: 1\n  inputs:\n    site.cooling.pue: {uniform: [1, 2]}\n");
    CHECK(d[0].line == 4);
    CHECK(d[0].key_path == "sample.n");
  }
  SECTION("no inputs") {
    const auto d = one("sample:\n  method: latin_hypercube\n  n: 4\n  seed: 1\n");
    CHECK(d[0].message.find("inputs") != std::string::npos);
  }
  SECTION("an unknown distribution, with a suggestion") {
    const auto d = one(head + "    site.cooling.pue: {uniformm: [1, 2]}\n");
    CHECK(d[0].line == 7);
    CHECK(d[0].message.find("exactly one distribution") != std::string::npos);
  }
  SECTION("two distributions for one input") {
    const auto d = one(head + "    site.cooling.pue: {uniform: [1, 2], normal: [1, 0.1]}\n");
    CHECK(d[0].line == 7);
    CHECK(d[0].message.find("got 2") != std::string::npos);
  }
  SECTION("a uniform range with lo >= hi") {
    const auto d = one(head + "    site.cooling.pue: {uniform: [2, 1]}\n");
    CHECK(d[0].line == 7);
    CHECK(d[0].key_path == "sample.inputs.site.cooling.pue.uniform");
    CHECK(d[0].message.find("lo < hi") != std::string::npos);
  }
  SECTION("a normal with sd <= 0") {
    const auto d = one(head + "    site.cooling.pue: {normal: [1.2, 0]}\n");
    CHECK(d[0].message.find("sd > 0") != std::string::npos);
  }
  SECTION("a triangular with the mode outside its range") {
    const auto d = one(head + "    site.cooling.pue: {triangular: [1.1, 2, 1.5]}\n");
    CHECK(d[0].message.find("lo <= mode <= hi") != std::string::npos);
  }
  SECTION("the wrong number of parameters") {
    const auto d = one(head + "    site.cooling.pue: {uniform: [1.1, 1.2, 1.3]}\n");
    CHECK(d[0].message.find("[lo, hi]") != std::string::npos);
  }
  SECTION("an input also in the grid") {
    const auto d = one("grid:\n  site.cooling.pue: [1.1, 1.2]\n" + head + "    site.cooling.pue: {uniform: [1, 2]}\n");
    CHECK(d[0].line == 9);
    CHECK(d[0].message.find("again") != std::string::npos);
  }
  SECTION("sampling the seed") {
    const auto d = one(head + "    seed: {uniform: [1, 2]}\n");
    CHECK(d[0].message.find("replicates vary the seed") != std::string::npos);
  }
  SECTION("a sampled value out of the scenario key's range points at the input") {
    // PUE must be >= 1: a normal around 1.0 draws values below it
    const auto d = one(head + "    site.cooling.pue: {normal: [1.0, 0.2]}\n");
    CHECK(d[0].line == 7);
    CHECK(d[0].column == 5);
    CHECK(d[0].key_path == "site.cooling.pue");
  }
  SECTION("an unknown key of the sample section") {
    const auto d = one("sample:\n  method: latin_hypercube\n  n: 4\n  seed: 1\n  sed: 2\n  inputs:\n    site.cooling.pue: {uniform: [1, 2]}\n");
    CHECK(d[0].line == 6);
    CHECK(d[0].message.find("unknown key 'sed'") != std::string::npos);
  }
}
