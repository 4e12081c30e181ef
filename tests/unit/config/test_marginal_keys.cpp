// Specification of the grid's marginal-emission keys (site.supply.grid.marginal_*): what is
// accepted, and that every inconsistent combination is reported at its key with line and column.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "config/scenario_loader.hpp"

using namespace dcsim;

namespace {

const std::string kRoot = std::string(DCSIM_SOURCE_DIR);

// A one-day scenario whose grid mapping is `grid` (on line 8 of the file).
std::string write_scenario(const std::string& name, const std::string& grid) {
  const auto dir = std::filesystem::temp_directory_path() / "dcsim_test_marginal_keys";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / name).string();
  std::ofstream f(path);
  f << "name: " << name << "\n"
    << "time: {start: 2022-01-01, duration: 1d, sample: 1h}\n"
    << "site:\n"
    << "  platform: " << kRoot << "/platforms/sites/quickstart-h200.yaml\n"
    << "  cooling: {model: constant-pue, pue: 1.2}\n"
    << "  supply:\n"
    << "    grid:\n"
    << "      " << grid << "\n"
    << "workload: {generator: fixed, jobs: 1, gpus_per_job: 8}\n"
    << "policies: {scheduler: {name: fcfs}}\n";
  return path;
}

LoadOptions no_platform() {
  LoadOptions o;
  o.load_platform = false;
  return o;
}

std::vector<Diagnostic> errors_of(const std::string& path) {
  try {
    load_scenario(path, no_platform());
  } catch (const InputError& e) {
    return e.diagnostics();
  }
  return {};
}

const std::string kEia = kRoot + "/scenarios/data/carbon/eia_ciso_2022_hourly.csv";

}  // namespace

TEST_CASE("marginal emissions are off unless a column or an estimate is asked for", "[scenario][marginal]") {
  const Scenario s = load_scenario(write_scenario("off.yaml", "{carbon_file: " + kEia + "}"), no_platform());
  CHECK(s.site.supply.grid.marginal_estimate == MarginalEstimate::off);
  CHECK(s.site.supply.grid.marginal_column.empty());
  CHECK_FALSE(s.site.supply.grid.has_marginal());
}

TEST_CASE("marginal_estimate and marginal_column are read", "[scenario][marginal]") {
  const Scenario a = load_scenario(
      write_scenario("est.yaml", "{carbon_file: " + kEia + ", marginal_estimate: month-hour}"), no_platform());
  CHECK(a.site.supply.grid.marginal_estimate == MarginalEstimate::month_hour);
  CHECK(a.site.supply.grid.has_marginal());
  const Scenario b = load_scenario(
      write_scenario("col.yaml", "{carbon_file: " + kEia + ", marginal_file: " + kEia + ", marginal_column: NG}"),
      no_platform());
  CHECK(b.site.supply.grid.marginal_column == "NG");
  CHECK(b.site.supply.grid.marginal_file == kEia);
}

TEST_CASE("inconsistent marginal keys are reported at their key with line and column", "[scenario][marginal]") {
  SECTION("a column and an estimate together") {
    const auto d = errors_of(write_scenario(
        "both.yaml", "{carbon_file: " + kEia + ", marginal_column: moer, marginal_estimate: hour}"));
    REQUIRE(d.size() == 1);
    CHECK(d[0].key_path == "site.supply.grid.marginal_estimate");
    CHECK(d[0].line == 8);
    CHECK(d[0].column > 0);
    CHECK(d[0].message == "expected either marginal_column or marginal_estimate, got both");
  }
  SECTION("an estimate without a carbon file") {
    const auto d = errors_of(write_scenario("noest.yaml", "{carbon_gco2_per_kwh: 300, marginal_estimate: hour}"));
    REQUIRE(d.size() == 1);
    CHECK(d[0].key_path == "site.supply.grid.marginal_estimate");
    CHECK(d[0].line == 8);
    CHECK(d[0].message.find("expected a carbon_file with generation by fuel") == 0);
  }
  SECTION("a column without any file") {
    const auto d = errors_of(write_scenario("nocol.yaml", "{carbon_gco2_per_kwh: 300, marginal_column: moer}"));
    REQUIRE(d.size() == 1);
    CHECK(d[0].key_path == "site.supply.grid.marginal_column");
  }
  SECTION("a marginal file without its column") {
    const auto d = errors_of(write_scenario("nofilecol.yaml", "{carbon_file: " + kEia + ", marginal_file: " + kEia + "}"));
    REQUIRE(d.size() == 1);
    CHECK(d[0].key_path == "site.supply.grid.marginal_file");
    CHECK(d[0].message == "expected marginal_column (the column of marginal_file to read), got none");
  }
  SECTION("an unknown estimate") {
    const auto d = errors_of(write_scenario("badest.yaml", "{carbon_file: " + kEia + ", marginal_estimate: daily}"));
    REQUIRE(d.size() == 1);
    CHECK(d[0].key_path == "site.supply.grid.marginal_estimate");
    CHECK(d[0].message.find("got daily") != std::string::npos);
  }
}
