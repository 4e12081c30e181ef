// write_sweep_index: virtual datasets over a `run` dimension (analysis/SCHEMA.md, "Sweep index").
#include <catch2/catch.hpp>
#include <cmath>

#include "output/h5.hpp"
#include "output/sweep_index.hpp"
#include "sample_run.hpp"

using namespace dcsim;
using namespace dcsim::testing;
namespace fs = std::filesystem;

namespace {

// runs/a.h5 (10 rows, offset 0), runs/b.h5 (6 rows, offset 100000); c failed without a file.
std::vector<SweepRunEntry> three_runs(const fs::path& dir) {
  fs::create_directories(dir / "runs");
  SampleRun a;
  a.rows = 10;
  write_sample((dir / "runs" / "a.h5").string(), a, {.chunk_rows = 4});
  SampleRun b;
  b.rows = 6;
  b.offset = 100000;
  write_sample((dir / "runs" / "b.h5").string(), b, {.chunk_rows = 4});
  return {
      {"a", "runs/a.h5", "completed", {{"site.battery.capacity_mwh", 10.0}, {"policy", std::string("fcfs")}}},
      {"b", "runs/b.h5", "completed", {{"site.battery.capacity_mwh", 20.0}, {"policy", std::string("easy")}}},
      {"c", "runs/c.h5", "failed", {{"site.battery.capacity_mwh", 40.0}}},
  };
}

std::vector<double> read(const fs::path& file, const std::string& var) {
  h5::Handle f = h5::open_file_readonly(file.string());
  h5::Handle d = h5::open_dataset(f.get(), var);
  return h5::read_doubles(d.get());
}

}  // namespace

TEST_CASE("Row r of every index series is run r's series, NaN past a shorter run's end and for a failed run") {
  const auto dir = scratch_dir("sweep_rows");
  write_sweep_index((dir / "index.h5").string(), three_runs(dir));
  h5::Handle f = h5::open_file_readonly((dir / "index.h5").string());
  h5::Handle d = h5::open_dataset(f.get(), "facility_power_w");  // standard column 3
  REQUIRE(h5::dataset_dims(d.get()) == std::vector<hsize_t>{3, 10});
  h5::Handle dcpl(H5Dget_create_plist(d.get()), H5Pclose);
  CHECK(H5Pget_layout(dcpl.get()) == H5D_VIRTUAL);
  const auto v = h5::read_doubles(d.get());  // (run, time) row-major
  CHECK(v[0 * 10 + 9] == site_value(3, 9));
  CHECK(v[1 * 10 + 5] == site_value(3, 5, 100000));
  CHECK(std::isnan(v[1 * 10 + 6]));  // b has 6 rows
  for (std::size_t i = 0; i < 10; ++i) CHECK(std::isnan(v[2 * 10 + i]));
  CHECK(read(dir / "index.h5", "time").size() == 10);
  CHECK(h5::get_string_attr(d.get(), "units") == "W");
  CHECK(h5::get_string_attr(f.get(), "dcsim_file_kind") == "sweep_index");
  CHECK(h5::get_int_attr(f.get(), "complete") == 1);
}

TEST_CASE("Sweep parameters become variables along run, named safely, listed as coordinates of every series") {
  const auto dir = scratch_dir("sweep_params");
  write_sweep_index((dir / "index.h5").string(), three_runs(dir));
  h5::Handle f = h5::open_file_readonly((dir / "index.h5").string());
  h5::Handle cap = h5::open_dataset(f.get(), "site_battery_capacity_mwh");
  CHECK(h5::read_doubles(cap.get()) == std::vector<double>{10, 20, 40});
  CHECK(h5::get_string_attr(cap.get(), "parameter") == "site.battery.capacity_mwh");
  h5::Handle pol = h5::open_dataset(f.get(), "policy");
  CHECK(h5::read_strings(pol.get()) == std::vector<std::string>{"fcfs", "easy", ""});  // c lacks it
  h5::Handle run = h5::open_dataset(f.get(), "run");
  CHECK(h5::read_strings(run.get()) == std::vector<std::string>{"a", "b", "c"});
  CHECK(H5DSis_attached(cap.get(), run.get(), 0) > 0);
  h5::Handle status = h5::open_dataset(f.get(), "run_status");
  CHECK(h5::read_strings(status.get()) == std::vector<std::string>{"completed", "completed", "failed"});
  h5::Handle it = h5::open_dataset(f.get(), "it_power_w");
  CHECK(h5::get_string_attr(it.get(), "coordinates") ==
        "run_status run_result_path point realization policy site_battery_capacity_mwh");
}

TEST_CASE("The ensemble point and the CF realization of every run are int32 coordinates along run") {
  const auto dir = scratch_dir("sweep_realization");
  auto runs = three_runs(dir);
  runs[0].point = 0, runs[0].realization = 0;
  runs[1].point = 0, runs[1].realization = 1;
  runs[2].point = 1, runs[2].realization = 0;
  runs[0].distributions["site.battery.capacity_mwh"] = "latin_hypercube uniform(0, 50)";
  write_sweep_index((dir / "index.h5").string(), runs);
  h5::Handle f = h5::open_file_readonly((dir / "index.h5").string());
  h5::Handle run = h5::open_dataset(f.get(), "run");
  h5::Handle real = h5::open_dataset(f.get(), "realization");
  h5::Handle point = h5::open_dataset(f.get(), "point");
  CHECK(h5::read_doubles(real.get()) == std::vector<double>{0, 1, 0});
  CHECK(h5::read_doubles(point.get()) == std::vector<double>{0, 0, 1});
  h5::Handle type(H5Dget_type(real.get()), H5Tclose);
  CHECK(H5Tget_class(type.get()) == H5T_INTEGER);
  CHECK(H5Tget_size(type.get()) == 4);
  CHECK(h5::get_string_attr(real.get(), "standard_name") == "realization");
  CHECK(H5DSis_attached(real.get(), run.get(), 0) > 0);
  CHECK(H5DSis_attached(point.get(), run.get(), 0) > 0);
  h5::Handle cap = h5::open_dataset(f.get(), "site_battery_capacity_mwh");
  CHECK(h5::get_string_attr(cap.get(), "distribution") == "latin_hypercube uniform(0, 50)");
  h5::Handle pol = h5::open_dataset(f.get(), "policy");
  CHECK_FALSE(h5::has_attr(pol.get(), "distribution"));
}

TEST_CASE("sweep_parameter_variable replaces every character outside [A-Za-z0-9_]") {
  CHECK(sweep_parameter_variable("site.supply.solar.peak_mw") == "site_supply_solar_peak_mw");
  CHECK(sweep_parameter_variable("policy-name") == "policy_name");
  CHECK(sweep_parameter_variable("2x") == "_2x");
}

TEST_CASE("An index the sweep cannot honour is refused and leaves no file") {
  const auto dir = scratch_dir("sweep_refused");
  auto runs = three_runs(dir);
  const fs::path index = dir / "index.h5";
  SECTION("a completed run without a result file") {
    runs[2].status = "completed";
    CHECK_THROWS_WITH(write_sweep_index(index.string(), runs), Catch::Contains("no result file"));
  }
  SECTION("runs on different time axes") {
    SampleRun d;
    d.sample_s = 3600;
    write_sample((dir / "runs" / "d.h5").string(), d);
    runs.push_back({"d", "runs/d.h5", "completed", {}});
    CHECK_THROWS_WITH(write_sweep_index(index.string(), runs), Catch::Contains("do not share the time axis"));
  }
  SECTION("a repeated run id") {
    runs[1].run_id = "a";
    CHECK_THROWS_AS(write_sweep_index(index.string(), runs), OutputError);
  }
  SECTION("a parameter whose variable name is taken") {
    runs[0].parameters["it_power_w"] = 1.0;
    CHECK_THROWS_WITH(write_sweep_index(index.string(), runs), Catch::Contains("clashes"));
  }
  SECTION("no runs at all") { CHECK_THROWS_AS(write_sweep_index(index.string(), {}), OutputError); }
  CHECK_FALSE(fs::exists(index));
  for (const auto& e : fs::directory_iterator(dir)) CHECK(e.path().filename().string().find("partial") == std::string::npos);
}
