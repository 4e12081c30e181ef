// Specification of the thermal model's keys (site.thermal, physics/thermal.hpp): what is accepted,
// and that every bad value is reported at its key; nothing is accepted and then ignored.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "config/scenario_loader.hpp"

using namespace dcsim;

namespace {

const std::string kRoot = std::string(DCSIM_SOURCE_DIR);

// A one-day scenario whose site.thermal mapping is `thermal` (on line 6 of the file).
std::string write_scenario(const std::string& name, const std::string& thermal) {
  const auto dir = std::filesystem::temp_directory_path() / "dcsim_test_thermal_keys";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / name).string();
  std::ofstream f(path);
  f << "name: " << name << "\n"
    << "time: {start: 2022-07-01, duration: 2d, sample: 1h}\n"
    << "site:\n"
    << "  platform: " << kRoot << "/platforms/sites/quickstart-h200.yaml\n"
    << "  cooling: {model: chiller}\n"
    << "  thermal: " << thermal << "\n"
    << "workload: {generator: fixed, jobs: 1, gpus_per_job: 8}\n"
    << "policies: {scheduler: {name: fcfs}}\n";
  return path;
}

LoadOptions no_platform() {
  LoadOptions o;
  o.load_platform = false;
  return o;
}

std::vector<Diagnostic> errors_of(const std::string& name, const std::string& thermal) {
  try {
    load_scenario(write_scenario(name, thermal), no_platform());
  } catch (const InputError& e) {
    return e.diagnostics();
  }
  return {};
}

}  // namespace

TEST_CASE("the thermal model is off unless enabled, and its keys are read when it is on", "[scenario][thermal]") {
  Scenario off = load_scenario(write_scenario("off.yaml", "{enabled: false}"), no_platform());
  CHECK_FALSE(off.site.thermal.enabled);
  Scenario on = load_scenario(
      write_scenario("on.yaml",
                     "{enabled: true, resistance_k_per_w: 0.05, time_constant: 2min, offset_c: 8, slowdown_c: 85, "
                     "failure_rise_c_per_min: 3, failure_max_supply_c: 55, failure_step: 30s, chiller_failures: "
                     "[{start: 2022-07-01T12:00:00Z, end: 2022-07-01T13:30:00Z}, {start: 2022-07-02, end: "
                     "2022-07-02T01:00:00Z}]}"),
      no_platform());
  const ThermalSpec& t = on.site.thermal;
  CHECK(t.enabled);
  CHECK(*t.resistance_k_per_w == 0.05);
  CHECK(*t.time_constant_s == 120);
  CHECK(*t.offset_c == 8);
  CHECK(*t.slowdown_c == 85);
  CHECK(t.failure_rise_c_per_min == 3);
  CHECK(t.failure_max_supply_c == 55);
  CHECK(t.failure_step_s == 30);
  REQUIRE(t.chiller_failures.size() == 2);
  CHECK(t.chiller_failures[0].start_s == 12 * 3600);
  CHECK(t.chiller_failures[0].end_s == 13.5 * 3600);
  CHECK(t.chiller_failures[1].start_s == 24 * 3600);
  CHECK(t.chiller_failures[1].end_s == 25 * 3600);
}

TEST_CASE("bad thermal keys are reported at the key", "[scenario][thermal]") {
  SECTION("settings with the model off") {
    auto d = errors_of("off-set.yaml", "{slowdown_c: 80}");
    REQUIRE(d.size() == 1);
    CHECK(d[0].key_path == "site.thermal.slowdown_c");
    CHECK(d[0].line == 6);
    CHECK(d[0].message.find("expected enabled: true") != std::string::npos);
  }
  SECTION("a resistance out of range") {
    auto d = errors_of("r.yaml", "{enabled: true, resistance_k_per_w: -1}");
    REQUIRE(d.size() == 1);
    CHECK(d[0].key_path == "site.thermal.resistance_k_per_w");
  }
  SECTION("an unknown key") {
    auto d = errors_of("unknown.yaml", "{enabled: true, slowdown_temp_c: 80}");
    REQUIRE(d.size() == 1);
    CHECK(d[0].key_path == "site.thermal.slowdown_temp_c");
    CHECK(d[0].message.find("did you mean 'slowdown_c'") != std::string::npos);
  }
  SECTION("a failure that ends before it starts") {
    auto d = errors_of("order.yaml",
                       "{enabled: true, chiller_failures: [{start: 2022-07-01T12:00:00Z, end: 2022-07-01T11:00:00Z}]}");
    REQUIRE(d.size() == 1);
    CHECK(d[0].key_path == "site.thermal.chiller_failures.0.end");
    CHECK(d[0].message.find("expected end after start") != std::string::npos);
  }
  SECTION("overlapping failures") {
    auto d = errors_of("overlap.yaml",
                       "{enabled: true, chiller_failures: [{start: 2022-07-01T12:00:00Z, end: 2022-07-01T14:00:00Z}, "
                       "{start: 2022-07-01T13:00:00Z, end: 2022-07-01T15:00:00Z}]}");
    REQUIRE(d.size() == 1);
    CHECK(d[0].key_path == "site.thermal.chiller_failures.1.start");
  }
  SECTION("a failure without an end, and a date that is not one") {
    auto d = errors_of("missing.yaml", "{enabled: true, chiller_failures: [{start: noon}]}");
    REQUIRE(d.size() == 2);
    const bool start_first = d[0].key_path == "site.thermal.chiller_failures.0.start";
    CHECK(d[start_first ? 0 : 1].key_path == "site.thermal.chiller_failures.0.start");
    CHECK(d[start_first ? 0 : 1].message.find("expected a UTC date-time") != std::string::npos);
    CHECK(d[start_first ? 1 : 0].key_path == "site.thermal.chiller_failures.0.end");
    CHECK(d[start_first ? 1 : 0].message.find("missing required key 'end'") != std::string::npos);
  }
}
