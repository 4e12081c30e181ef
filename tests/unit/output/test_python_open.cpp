// The files open as they are in the tools users have: xarray (h5netcdf and netcdf4 engines),
// h5py and ncdump. Runs Debian's /usr/bin/python3 (see docs/ENVIRONMENT.md).
//
// Sample files for the analysis package: set DCSIM_KEEP_SAMPLE=/path/run.h5 to keep a
// plausible two-day run there, and DCSIM_KEEP_SAMPLE_SWEEP=/dir to keep a small sweep (four
// runs under /dir/runs and /dir/index.h5). Example:
//   DCSIM_KEEP_SAMPLE=/tmp/sample.h5 DCSIM_KEEP_SAMPLE_SWEEP=/tmp/sweep
//     build/<dir>/tests/test_output "The sample files*"
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "output/recorder.hpp"
#include "output/sweep_index.hpp"
#include "sample_run.hpp"

using namespace dcsim;
using namespace dcsim::testing;
namespace fs = std::filesystem;

namespace {

const char* kCheckScript = R"PY(
import json, os, sys, warnings
import numpy as np, xarray as xr, h5py
warnings.simplefilter("ignore", RuntimeWarning)  # xarray casting NaN to NaT
mode, path = sys.argv[1], os.path.abspath(sys.argv[2])
os.chdir("/")  # relative paths inside the files must not depend on the reader's cwd

def units_and_names(ds):
    for name, v in ds.variables.items():
        units = v.attrs.get("units", v.encoding.get("units"))
        assert units, f"{name} has no units"
        assert v.attrs.get("long_name"), f"{name} has no long_name"

for engine in ("h5netcdf", "netcdf4"):
    ds = xr.open_dataset(path, engine=engine)
    assert ds.attrs["complete"] == 1
    assert np.issubdtype(ds.time.dtype, np.datetime64), ds.time.dtype
    assert str(ds.time.values[1]).startswith("2024-01-01T00:15:00"), ds.time.values[:2]
    units_and_names(ds)
    if mode == "run":
        assert ds.sizes["job"] == 3 and ds.sizes["event"] == 4 and ds.sizes["rack"] == 3
        assert ds.it_power_w.values[9] == 1009.0
        assert ds.rack_inlet_temp_c.dims == ("time", "rack")
        assert np.issubdtype(ds.job_start_time.dtype, np.datetime64)
        assert np.isnat(ds.job_start_time.values[2]) and not np.isnat(ds.job_start_time.values[0])
        assert ds.job_delay_s.dtype == np.float64  # units "s": not decoded to timedelta64
        assert list(ds.job_outcome.values) == ["completed", "completed", "rejected"]
        assert json.loads(ds.attrs["input_checksums"])["platforms/h100.yaml"] == "cd34"
        assert ds.attrs["scenario_yaml"] == "name: sample\nseed: 42\n"
        assert ds.attrs["summary_facility_energy_kwh"] == 1234.5
        jobs = ds[[v for v in ds.data_vars if ds[v].dims == ("job",)]].to_dataframe()
        assert len(jobs) == 3 and jobs.job_energy_kwh.iloc[1] == 2.0
    elif mode == "empty":
        assert ds.sizes["job"] == 0 and ds.sizes["event"] == 0
        assert ds.job_id.size == 0 and ds.event_kind.size == 0
        assert np.issubdtype(ds.job_end_time.dtype, np.datetime64)
    elif mode == "index":
        assert ds.attrs["dcsim_file_kind"] == "sweep_index"
        assert list(ds.run.values) == ["a", "b", "c"]
        assert ds.facility_power_w.dims == ("run", "time")
        assert ds.facility_power_w.sel(run="b").values[5] == 4005.0 + 100000
        assert np.isnan(ds.facility_power_w.sel(run="b").values[6])
        assert np.isnan(ds.facility_power_w.sel(run="c").values).all()
        assert "site_battery_capacity_mwh" in ds.coords
        means = ds.it_power_w.groupby("site_battery_capacity_mwh").mean(...)
        assert means.sel(site_battery_capacity_mwh=10.0) == np.mean(1000.0 + np.arange(10))
    elif mode == "sample":
        assert ds.sizes["time"] == 192 and ds.sizes["job"] == 20
        assert float(ds.pue.min()) > 1.0
    ds.close()

if mode == "append":  # netCDF-C can append to the file (creation order is tracked)
    import netCDF4
    d = netCDF4.Dataset(path, "a")
    v = d.createVariable("extra_w", "f8", ("time",))
    v.units, v.long_name = "W", "added by netCDF-C"
    v[:] = 2.0
    d.note = "appended"
    d.close()
    ds = xr.open_dataset(path, engine="h5netcdf")
    assert ds.attrs["note"] == "appended" and float(ds.extra_w.sum()) == 2.0 * ds.sizes["time"]
    assert list(ds.job_profile.values) == ["vision-finetune", "llm-pretrain", "vision-finetune"]

with h5py.File(path, "r") as f:
    assert f.attrs["complete"] == 1
    assert isinstance(f.attrs["schema_version"], str)
    if mode == "run":
        assert f["job_profile"].asstr()[1] == "llm-pretrain"
print("ok", mode)
)PY";

int run(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return rc == -1 ? -1 : WEXITSTATUS(rc);
}

fs::path write_script(const fs::path& dir) {
  const fs::path script = dir / "check.py";
  std::ofstream(script) << kCheckScript;
  return script;
}

// Runs the check script and returns its exit status; on failure its output goes to the log.
int python_check(const fs::path& dir, const std::string& mode, const fs::path& file) {
  const fs::path log = dir / ("python-" + mode + ".log");
  const int rc = run("/usr/bin/python3 " + write_script(dir).string() + " " + mode + " " + file.string() + " > " +
                     log.string() + " 2>&1");
  std::ifstream in(log);
  std::stringstream out;
  out << in.rdbuf();
  INFO(out.str());
  CHECK(out.str().find("ok " + mode) != std::string::npos);
  return rc;
}

std::string ncdump_header(const fs::path& file, int& rc) {
  const fs::path out = scratch_dir("cdl") / "out.cdl";
  rc = run("ncdump -h " + file.string() + " > " + out.string() + " 2>&1");
  std::ifstream in(out);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("A run file opens in xarray with both engines and in h5py, with datetimes decoded and units everywhere") {
  const auto dir = scratch_dir("py_run");
  SampleRun s;
  s.racks = 3;
  write_sample((dir / "run.h5").string(), s, {.chunk_rows = 4});
  CHECK(python_check(dir, "run", dir / "run.h5") == 0);
}

TEST_CASE("netCDF-C can append variables and attributes to a run file") {
  const auto dir = scratch_dir("py_append");
  write_sample((dir / "run.h5").string());
  CHECK(python_check(dir, "append", dir / "run.h5") == 0);
}

TEST_CASE("A run without jobs or events opens in xarray with zero-length dimensions") {
  const auto dir = scratch_dir("py_empty");
  SampleRun s;
  s.jobs = 0;
  s.events = 0;
  write_sample((dir / "run.h5").string(), s);
  CHECK(python_check(dir, "empty", dir / "run.h5") == 0);
}

TEST_CASE("ncdump -h reads a run file: unlimited time, netCDF strings, no phony dimensions") {
  const auto dir = scratch_dir("ncdump_run");
  write_sample((dir / "run.h5").string());
  int rc = -1;
  const std::string cdl = ncdump_header(dir / "run.h5", rc);
  INFO(cdl);
  CHECK(rc == 0);
  CHECK_THAT(cdl, Catch::Contains("time = UNLIMITED ; // (10 currently)"));
  CHECK_THAT(cdl, Catch::Contains("job = UNLIMITED ; // (3 currently)"));
  CHECK_THAT(cdl, Catch::Contains("double facility_power_w(time) ;"));
  CHECK_THAT(cdl, Catch::Contains("string job_profile(job) ;"));
  CHECK_THAT(cdl, Catch::Contains(std::string("string :schema_version = \"") + kSchemaVersion + "\" ;"));
  CHECK_THAT(cdl, !Catch::Contains("phony_dim"));
}

TEST_CASE("A sweep index opens in xarray with both engines from any working directory, and in ncdump") {
  const auto dir = scratch_dir("py_index");
  fs::create_directories(dir / "runs");
  SampleRun a;
  write_sample((dir / "runs" / "a.h5").string(), a);
  SampleRun b;
  b.rows = 6;
  b.offset = 100000;
  write_sample((dir / "runs" / "b.h5").string(), b);
  write_sweep_index((dir / "index.h5").string(),
                    {{"a", "runs/a.h5", "completed", {{"site.battery.capacity_mwh", 10.0}}},
                     {"b", "runs/b.h5", "completed", {{"site.battery.capacity_mwh", 20.0}}},
                     {"c", "runs/c.h5", "failed", {{"site.battery.capacity_mwh", 40.0}}}});
  CHECK(python_check(dir, "index", dir / "index.h5") == 0);
  int rc = -1;
  const std::string cdl = ncdump_header(dir / "index.h5", rc);
  INFO(cdl);
  CHECK(rc == 0);
  CHECK_THAT(cdl, Catch::Contains("double facility_power_w(run, time) ;"));
  CHECK_THAT(cdl, Catch::Contains("string run(run) ;"));
}

TEST_CASE("The sample files for the analysis package open in xarray (DCSIM_KEEP_SAMPLE keeps them)") {
  const auto dir = scratch_dir("py_sample");
  const char* keep = std::getenv("DCSIM_KEEP_SAMPLE");
  const fs::path sample = keep && *keep ? fs::path(keep) : dir / "sample.h5";
  write_realistic_sample(sample.string());
  CHECK(python_check(dir, "sample", sample) == 0);

  const char* keep_sweep = std::getenv("DCSIM_KEEP_SAMPLE_SWEEP");
  const fs::path sweep = keep_sweep && *keep_sweep ? fs::path(keep_sweep) : dir / "sweep";
  std::vector<SweepRunEntry> runs;
  for (double pv_mw : {0.0, 10.0})
    for (std::uint64_t seed : {42, 43}) {
      const std::string id = "pv" + std::to_string(int(pv_mw)) + "_seed" + std::to_string(seed);
      write_realistic_sample((sweep / "runs" / (id + ".h5")).string(), pv_mw * 1e6);
      runs.push_back({id, "runs/" + id + ".h5", "completed",
                      {{"site.supply.solar.peak_mw", pv_mw}, {"seed", double(seed)},
                       {"policy", std::string(seed == 42 ? "fcfs" : "carbon-aware")}}});
    }
  write_sweep_index((sweep / "index.h5").string(), runs);
  int rc = -1;
  ncdump_header(sweep / "index.h5", rc);
  CHECK(rc == 0);
}
