// Hdf5Recorder: the run file read back through the HDF5 C API (analysis/SCHEMA.md).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <cmath>
#include <fstream>
#include <iterator>

#include "output/h5.hpp"
#include "sample_run.hpp"

using namespace dcsim;
using namespace dcsim::testing;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

bool is_dim_only(hid_t ds) {
  if (H5DSis_scale(ds) <= 0) return false;
  char name[128] = {};
  H5DSget_scale_name(ds, name, sizeof name);
  return std::string(name).rfind("This is a netCDF dimension but not a netCDF variable.", 0) == 0;
}

std::vector<double> column(const std::string& file, const std::string& var) {
  h5::Handle f = h5::open_file_readonly(file);
  h5::Handle d = h5::open_dataset(f.get(), var);
  return h5::read_doubles(d.get());
}

}  // namespace

TEST_CASE("A finished run file carries its provenance, summary and complete = 1 as root attributes") {
  const auto dir = scratch_dir("provenance");
  const std::string path = (dir / "run.h5").string();
  SampleRun s;
  s.seed = 18446744073709551615ull;  // 2^64 - 1: does not fit an int64
  s.scenario_yaml = std::string(200 * 1024, 'y');  // 200 kB: beyond HDF5's 64 KiB attribute header
  write_sample(path, s);

  h5::Handle f = h5::open_file_readonly(path);
  const hid_t id = f.get();
  CHECK(h5::get_string_attr(id, "schema_version") == kSchemaVersion);
  CHECK(h5::get_string_attr(id, "dcsim_file_kind") == "run");
  CHECK(h5::get_int_attr(id, "complete") == 1);
  CHECK(h5::get_string_attr(id, "Conventions") == "CF-1.8");
  CHECK(h5::get_string_attr(id, "title") == "dcsim run: sample");
  CHECK(h5::get_string_attr(id, "scenario_name") == "sample");
  CHECK(h5::get_string_attr(id, "scenario_yaml") == s.scenario_yaml);
  CHECK(h5::get_string_attr(id, "seed_text") == "18446744073709551615");
  CHECK(h5::get_int_attr(id, "seed") == -1);  // the same 64 bits as int64
  CHECK(h5::get_string_attr(id, "simgrid_version") == "3.32");
  CHECK(h5::get_string_attr(id, "hdf5_version") == "1.10.8");
  CHECK_FALSE(h5::get_string_attr(id, "dcsim_version").empty());
  CHECK_FALSE(h5::get_string_attr(id, "git_revision").empty());
  CHECK(h5::get_string_attr(id, "input_checksums") ==
        R"({"platforms/h100.yaml": "cd34", "scenarios/data/carbon/uk.csv": "ab12"})");
  CHECK(h5::get_string_attr(id, "time_units") == kTimeUnits);
  CHECK(h5::get_double_attr(id, "sample_s") == 900.0);
  CHECK(h5::get_double_attr(id, "summary_facility_energy_kwh") == 1234.5);
  CHECK(h5::get_double_attr(id, "summary_jobs_completed") == 2.0);
  CHECK(h5::get_string_attr(id, "summary_policy") == "fcfs");
}

TEST_CASE("String attributes are variable-length UTF-8") {
  const auto dir = scratch_dir("vlen");
  const std::string path = (dir / "run.h5").string();
  SampleRun s;
  s.scenario_yaml = "name: \xC3\xA9t\xC3\xA9\n";  // "été"
  write_sample(path, s);
  h5::Handle f = h5::open_file_readonly(path);
  h5::Handle a(H5Aopen(f.get(), "scenario_yaml", H5P_DEFAULT), H5Aclose);
  h5::Handle t(H5Aget_type(a.get()), H5Tclose);
  CHECK(H5Tis_variable_str(t.get()) > 0);
  CHECK(H5Tget_cset(t.get()) == H5T_CSET_UTF8);
  CHECK(h5::get_string_attr(f.get(), "scenario_yaml") == s.scenario_yaml);
}

TEST_CASE("time is a CF coordinate: float64 seconds since the scenario start, standard calendar") {
  const auto dir = scratch_dir("time");
  const std::string path = (dir / "run.h5").string();
  write_sample(path);
  h5::Handle f = h5::open_file_readonly(path);
  h5::Handle t = h5::open_dataset(f.get(), "time");
  CHECK(H5DSis_scale(t.get()) > 0);
  char name[16] = {};
  H5DSget_scale_name(t.get(), name, sizeof name);
  CHECK(std::string(name) == "time");
  h5::Handle type(H5Dget_type(t.get()), H5Tclose);
  CHECK(H5Tequal(type.get(), H5T_IEEE_F64LE) > 0);
  CHECK(h5::get_string_attr(t.get(), "units") == "seconds since 2024-01-01T00:00:00Z");
  CHECK(h5::get_string_attr(t.get(), "calendar") == "standard");
  CHECK(h5::get_string_attr(t.get(), "standard_name") == "time");
  CHECK(h5::get_string_attr(t.get(), "axis") == "T");
  const auto v = h5::read_doubles(t.get());
  REQUIRE(v.size() == 10);
  CHECK(v[0] == 0.0);
  CHECK(v[9] == 8100.0);  // 9 × 900 s
}

TEST_CASE("Every variable has units and long_name, and every axis an attached dimension scale") {
  const auto dir = scratch_dir("scales");
  const std::string path = (dir / "run.h5").string();
  SampleRun s;
  s.racks = 3;
  write_sample(path, s);
  h5::Handle f = h5::open_file_readonly(path);
  std::size_t variables = 0;
  for (const auto& name : h5::list_root(f.get())) {
    INFO(name);
    h5::Handle d = h5::open_dataset(f.get(), name);
    if (is_dim_only(d.get())) continue;
    ++variables;
    CHECK_FALSE(h5::get_string_attr(d.get(), "units").empty());
    CHECK_FALSE(h5::get_string_attr(d.get(), "long_name").empty());
    if (H5DSis_scale(d.get()) > 0) continue;  // a coordinate is its own scale
    const auto dims = h5::dataset_dims(d.get());
    for (unsigned ax = 0; ax < dims.size(); ++ax) CHECK(H5DSget_num_scales(d.get(), ax) == 1);
  }
  // time + 20 standard series + 19 job + 4 event columns + rack + 2 rack series
  CHECK(variables == 1 + 20 + 19 + 4 + 1 + 2);
}

TEST_CASE("Link and attribute creation order are tracked and indexed on the file and on datasets") {
  const auto dir = scratch_dir("order");
  const std::string path = (dir / "run.h5").string();
  write_sample(path);
  h5::Handle f = h5::open_file_readonly(path);
  h5::Handle root(H5Gopen2(f.get(), "/", H5P_DEFAULT), H5Gclose);
  h5::Handle fcpl(H5Gget_create_plist(root.get()), H5Pclose);
  unsigned links = 0, attrs = 0;
  H5Pget_link_creation_order(fcpl.get(), &links);
  H5Pget_attr_creation_order(fcpl.get(), &attrs);
  CHECK(links == (H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED));
  CHECK(attrs == (H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED));
  h5::Handle d = h5::open_dataset(f.get(), "facility_power_w");
  h5::Handle dcpl(H5Dget_create_plist(d.get()), H5Pclose);
  unsigned dattrs = 0;
  H5Pget_attr_creation_order(dcpl.get(), &dattrs);
  CHECK(dattrs == (H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED));
  // the root lists variables in the order they were created
  const auto names = h5::list_root(f.get());
  REQUIRE(names.size() > 2);
  CHECK(names[0] == "time");
  CHECK(names[1] == "it_power_w");
}

TEST_CASE("Series are chunked by chunk_rows along an unlimited time dimension, shuffled and deflated unless continuous") {
  const auto dir = scratch_dir("chunks");
  const std::string path = (dir / "run.h5").string();
  write_sample(path, {}, {.chunk_rows = 64, .compression_level = 6});
  h5::Handle f = h5::open_file_readonly(path);
  // Compressed: the coordinate, step-like series, integer and string columns. Not compressed:
  // continuous quantities (SeriesSpec::compress), where deflate gains little for most of its time.
  const std::pair<const char*, bool> vars[] = {{"time", true},           {"queued_jobs", true},
                                               {"job_delay_s", true},    {"job_profile", true},
                                               {"event_value", true},    {"it_power_w", false},
                                               {"facility_power_w", false}, {"job_energy_kwh", false},
                                               {"job_end_time", false}};
  for (const auto& [var, compressed] : vars) {
    INFO(var);
    h5::Handle d = h5::open_dataset(f.get(), var);
    h5::Handle dcpl(H5Dget_create_plist(d.get()), H5Pclose);
    REQUIRE(H5Pget_layout(dcpl.get()) == H5D_CHUNKED);
    hsize_t chunk[1] = {0};
    H5Pget_chunk(dcpl.get(), 1, chunk);
    CHECK(chunk[0] == 64);
    unsigned flags = 0, level[1] = {0};
    size_t nelem = 1;
    if (compressed) {
      CHECK(H5Pget_nfilters(dcpl.get()) == 2);
      CHECK(H5Pget_filter_by_id2(dcpl.get(), H5Z_FILTER_DEFLATE, &flags, &nelem, level, 0, nullptr, nullptr) >= 0);
      CHECK(level[0] == 6);
      CHECK(H5Pget_filter_by_id2(dcpl.get(), H5Z_FILTER_SHUFFLE, &flags, &nelem, level, 0, nullptr, nullptr) >= 0);
    } else {
      CHECK(H5Pget_nfilters(dcpl.get()) == 0);
    }
    h5::Handle space(H5Dget_space(d.get()), H5Sclose);
    hsize_t maxdims[1] = {0};
    H5Sget_simple_extent_dims(space.get(), nullptr, maxdims);
    CHECK(maxdims[0] == H5S_UNLIMITED);
  }
}

TEST_CASE("Rows streamed through many chunks read back exactly, with a partial last chunk") {
  const auto dir = scratch_dir("roundtrip");
  const std::string path = (dir / "run.h5").string();
  SampleRun s;
  s.rows = 50;  // 7 full chunks of 7 rows and one of 1
  s.jobs = 3;
  s.events = 16;
  write_sample(path, s, {.chunk_rows = 7});
  const auto& specs = standard_site_series();
  for (std::size_t c : {std::size_t{0}, std::size_t{3}, specs.size() - 1}) {
    const auto v = column(path, specs[c].name);
    REQUIRE(v.size() == 50);
    for (std::size_t i = 0; i < 50; ++i) CHECK(v[i] == site_value(c, i));
  }
  const auto ev_time = column(path, "event_time");
  REQUIRE(ev_time.size() == 16);
  CHECK(ev_time[15] == 450.0);  // 15 × 30 s
  const auto ev_value = column(path, "event_value");
  CHECK(ev_value[7] == 7.0);
  h5::Handle f = h5::open_file_readonly(path);
  h5::Handle kinds = h5::open_dataset(f.get(), "event_kind");
  const auto k = h5::read_strings(kinds.get());
  REQUIRE(k.size() == 16);
  CHECK(k[0] == "power_on");
  CHECK(k[15] == "pstate");
  h5::Handle dim = h5::open_dataset(f.get(), "event");
  CHECK(h5::dataset_dims(dim.get()) == std::vector<hsize_t>{16});  // the dimension grows with its table
}

TEST_CASE("The job table converts to kWh and kg, and a job that never started has NaN start, end and delay") {
  const auto dir = scratch_dir("jobs");
  const std::string path = (dir / "run.h5").string();
  write_sample(path);  // 3 jobs; job index 2 was rejected
  const auto energy = column(path, "job_energy_kwh");
  REQUIRE(energy.size() == 3);
  CHECK(energy[0] == Approx(1.0));  // 3.6e6 J
  CHECK(energy[1] == Approx(2.0));
  CHECK(column(path, "job_emissions_kg")[1] == Approx(1.0));  // 1000 g
  const auto start = column(path, "job_start_time");
  CHECK(start[0] == 30.0);
  CHECK(std::isnan(start[2]));
  CHECK(std::isnan(column(path, "job_end_time")[2]));
  CHECK(std::isnan(column(path, "job_delay_s")[2]));
  CHECK(column(path, "job_delay_s")[0] == 30.0);
  CHECK(column(path, "job_gpus")[1] == 16.0);
  CHECK(column(path, "job_id")[2] == 102.0);
  CHECK(column(path, "job_deferrable") == std::vector<double>{0, 1, 0});
  const auto deadline = column(path, "job_deadline_time");
  CHECK(std::isnan(deadline[0]));
  CHECK(deadline[1] == 7200.0);
  const auto full = column(path, "job_full_speed_s");
  CHECK(full[0] == 3000.0);
  CHECK(std::isnan(full[2]));
  h5::Handle f = h5::open_file_readonly(path);
  h5::Handle out = h5::open_dataset(f.get(), "job_outcome");
  CHECK(h5::read_strings(out.get()) == std::vector<std::string>{"completed", "completed", "rejected"});
  h5::Handle reason = h5::open_dataset(f.get(), "job_reason");
  CHECK(h5::read_strings(reason.get())[2] == "larger than the cluster");
  h5::Handle st = h5::open_dataset(f.get(), "job_start_time");
  CHECK(h5::get_string_attr(st.get(), "units") == kTimeUnits);
  CHECK(h5::get_string_attr(st.get(), "calendar") == "standard");
}

TEST_CASE("A run without jobs or events has zero-length job and event dimensions") {
  const auto dir = scratch_dir("empty");
  const std::string path = (dir / "run.h5").string();
  SampleRun s;
  s.jobs = 0;
  s.events = 0;
  write_sample(path, s);
  h5::Handle f = h5::open_file_readonly(path);
  for (const char* v : {"job", "job_id", "job_profile", "event", "event_time", "event_kind"}) {
    INFO(v);
    h5::Handle d = h5::open_dataset(f.get(), v);
    CHECK(h5::dataset_dims(d.get()) == std::vector<hsize_t>{0});
  }
  h5::Handle job = h5::open_dataset(f.get(), "job");
  CHECK(is_dim_only(job.get()));
}

TEST_CASE("Per-rack series are float32 (time, rack) variables with a rack coordinate") {
  const auto dir = scratch_dir("racks");
  const std::string path = (dir / "run.h5").string();
  SampleRun s;
  s.racks = 4;
  s.rows = 30;
  write_sample(path, s, {.chunk_rows = 8});
  h5::Handle f = h5::open_file_readonly(path);
  h5::Handle rack = h5::open_dataset(f.get(), "rack");
  CHECK(H5DSis_scale(rack.get()) > 0);
  CHECK(h5::read_doubles(rack.get()) == std::vector<double>{0, 1, 2, 3});
  h5::Handle d = h5::open_dataset(f.get(), "rack_inlet_temp_c");
  CHECK(h5::dataset_dims(d.get()) == std::vector<hsize_t>{30, 4});
  h5::Handle type(H5Dget_type(d.get()), H5Tclose);
  CHECK(H5Tequal(type.get(), H5T_IEEE_F32LE) > 0);
  h5::Handle time = h5::open_dataset(f.get(), "time");
  CHECK(H5DSis_attached(d.get(), time.get(), 0) > 0);
  CHECK(H5DSis_attached(d.get(), rack.get(), 1) > 0);
  CHECK(h5::get_string_attr(d.get(), "units") == "degC");
  const auto v = h5::read_doubles(d.get());  // row-major (time, rack)
  CHECK(v[13 * 4 + 2] == rack_value(1, 2, 13));
  CHECK(v[29 * 4 + 3] == rack_value(1, 3, 29));
}

TEST_CASE("Per-entity series can be switched off") {
  const auto dir = scratch_dir("racks_off");
  const std::string path = (dir / "run.h5").string();
  SampleRun s;
  s.racks = 4;
  write_sample(path, s, {.entity_series = false});
  h5::Handle f = h5::open_file_readonly(path);
  CHECK(H5Lexists(f.get(), "rack", H5P_DEFAULT) == 0);
  CHECK(H5Lexists(f.get(), "rack_it_power_w", H5P_DEFAULT) == 0);
}

TEST_CASE("While a run is written only <final>.partial-<pid> exists; finish renames it") {
  const auto dir = scratch_dir("partial");
  const fs::path final_path = dir / "sub" / "dir" / "run.h5";  // parents are created
  Hdf5Recorder rec(final_path.string());
  const fs::path partial = dir / "sub" / "dir" / ("run.h5.partial-" + std::to_string(::getpid()));
  CHECK(rec.partial_path() == partial.string());
  fill_sample(rec, {});
  CHECK(fs::exists(partial));
  CHECK_FALSE(fs::exists(final_path));
  rec.finish(sample_summary());
  CHECK_FALSE(fs::exists(partial));
  CHECK(fs::exists(final_path));
}

TEST_CASE("abort() removes the partial file and leaves no result") {
  const auto dir = scratch_dir("abort");
  const fs::path final_path = dir / "run.h5";
  Hdf5Recorder rec(final_path.string(), {.chunk_rows = 4});
  fill_sample(rec, {});  // 10 rows: two chunks already on disk
  REQUIRE(fs::exists(rec.partial_path()));
  rec.abort();
  CHECK(fs::is_empty(dir));
  CHECK_THROWS_AS(rec.append_sample(1e6, std::vector<double>(20, 0.0)), OutputError);
}

TEST_CASE("A recorder destroyed without finish() (an exception unwinding the run) leaves no file") {
  const auto dir = scratch_dir("unwind");
  try {
    Hdf5Recorder rec((dir / "run.h5").string());
    fill_sample(rec, {});
    throw std::runtime_error("the engine failed");
  } catch (const std::runtime_error&) {
  }
  CHECK(fs::is_empty(dir));
}

TEST_CASE("A finished run replaces an older result of the same name") {
  const auto dir = scratch_dir("replace");
  const std::string path = (dir / "run.h5").string();
  SampleRun s;
  s.rows = 5;
  write_sample(path, s);
  s.rows = 8;
  write_sample(path, s);
  CHECK(column(path, "time").size() == 8);
}

TEST_CASE("The same run written twice gives byte-identical files") {
  const auto dir = scratch_dir("identical");
  SampleRun s;
  s.rows = 100;
  s.racks = 2;
  write_sample((dir / "a.h5").string(), s, {.chunk_rows = 16});
  ::usleep(1'100'000);  // a second later: any time stamp HDF5 kept would now differ
  write_sample((dir / "b.h5").string(), s, {.chunk_rows = 16});
  const auto a = slurp(dir / "a.h5");
  CHECK(a.size() > 0);
  CHECK(a == slurp(dir / "b.h5"));
}

TEST_CASE("Misuse of the recorder is an OutputError") {
  const auto dir = scratch_dir("misuse");
  const std::string path = (dir / "run.h5").string();
  const std::vector<SeriesSpec> two = {{"a_w", "W", "a"}, {"b_w", "W", "b"}};
  RunMetadata meta = sample_meta({});
  SECTION("a sample before begin()") {
    Hdf5Recorder rec(path);
    CHECK_THROWS_AS(rec.append_sample(0, std::vector<double>{1, 2}), OutputError);
  }
  SECTION("a row with the wrong number of values") {
    Hdf5Recorder rec(path);
    rec.begin(meta, two);
    CHECK_THROWS_WITH(rec.append_sample(0, std::vector<double>{1}), Catch::Contains("expected 2 values, got 1"));
  }
  SECTION("times that do not increase") {
    Hdf5Recorder rec(path);
    rec.begin(meta, two);
    rec.append_sample(900, std::vector<double>{1, 2});
    CHECK_THROWS_AS(rec.append_sample(900, std::vector<double>{1, 2}), OutputError);
  }
  SECTION("time units that are not CF seconds") {
    Hdf5Recorder rec(path);
    meta.time_units = "hours since 2024-01-01";
    CHECK_THROWS_WITH(rec.begin(meta, two), Catch::Contains("seconds since"));
  }
  SECTION("two series with the same name") {
    Hdf5Recorder rec(path);
    CHECK_THROWS_WITH(rec.begin(meta, {{"a_w", "W", "a"}, {"a_w", "W", "again"}}), Catch::Contains("duplicate"));
  }
  SECTION("a series named like a table column") {
    Hdf5Recorder rec(path);
    CHECK_THROWS_AS(rec.begin(meta, {{"job_id", "1", "clash"}}), OutputError);
  }
  SECTION("a name that is not an identifier") {
    Hdf5Recorder rec(path);
    CHECK_THROWS_WITH(rec.begin(meta, {{"it power", "W", "x"}}), Catch::Contains("invalid variable name"));
  }
  SECTION("an entity row without its site row") {
    Hdf5Recorder rec(path);
    rec.begin(meta, two);
    const std::vector<std::int64_t> ids = {0, 1};
    rec.begin_entities("rack", ids, {{"rack_power_w", "W", "rack power"}});
    CHECK_THROWS_AS(rec.append_entity_sample("rack", 0, std::vector<double>{1, 2}), OutputError);
  }
  SECTION("entities declared after the first sample") {
    Hdf5Recorder rec(path);
    rec.begin(meta, two);
    rec.append_sample(0, std::vector<double>{1, 2});
    const std::vector<std::int64_t> ids = {0};
    CHECK_THROWS_AS(rec.begin_entities("rack", ids, {{"rack_power_w", "W", "p"}}), OutputError);
  }
  SECTION("a directory that cannot be created") {
    CHECK_THROWS_AS(Hdf5Recorder("/proc/no/such/dir/run.h5"), OutputError);
  }
  SECTION("zero rows per chunk") { CHECK_THROWS_AS(Hdf5Recorder(path, {.chunk_rows = 0}), OutputError); }
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("An HDF5 failure surfaces as an OutputError naming the operation and HDF5's reason") {
  try {
    h5::open_file_readonly("/nonexistent/dir/x.h5");
    FAIL("no exception");
  } catch (const OutputError& e) {
    const std::string msg = e.what();
    CHECK_THAT(msg, Catch::Contains("open HDF5 file /nonexistent/dir/x.h5"));
    CHECK(msg.size() > std::string("open HDF5 file /nonexistent/dir/x.h5").size() + 2);  // HDF5's reason
  }
}

TEST_CASE("One year at 15 minutes with 25 series (35,040 rows) is written well under a second") {
  const auto dir = scratch_dir("bench");
  const std::string path = (dir / "year.h5").string();
  std::vector<SeriesSpec> specs = standard_site_series();
  for (int k = 0; specs.size() < 25; ++k) specs.push_back({"extra_" + std::to_string(k) + "_w", "W", "extra"});
  RunMetadata meta = sample_meta({});
  const std::size_t rows = 35040;
  std::vector<double> row(specs.size());
  // CPU time, not wall time: the test machines are shared and often oversubscribed.
  const std::clock_t c0 = std::clock();
  const auto t0 = std::chrono::steady_clock::now();
  {
    Hdf5Recorder rec(path);
    rec.begin(meta, specs);
    for (std::size_t i = 0; i < rows; ++i) {
      for (std::size_t c = 0; c < row.size(); ++c) row[c] = 1e6 + 1e3 * std::sin(double(i * (c + 1)) * 1e-3);
      rec.append_sample(900.0 * double(i), row);
    }
    rec.finish(sample_summary());
  }
  const double cpu_s = double(std::clock() - c0) / CLOCKS_PER_SEC;
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto size_mb = double(fs::file_size(path)) / 1e6;
  WARN("35,040 rows x 25 series: " << cpu_s << " s CPU, " << wall_s << " s wall, " << size_mb << " MB");
  CHECK(cpu_s < 1.0);
  CHECK(size_mb < 8.0);  // 35,040 x 26 x 8 B = 7.3 MB uncompressed
  CHECK(column(path, "time").size() == rows);
}

TEST_CASE("A run killed by SIGKILL halfway leaves no complete-looking file, and a re-run succeeds and cleans up") {
  const auto dir = scratch_dir("sigkill");
  const fs::path final_path = dir / "run.h5";
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {  // the "simulator": writes some chunks, then dies without any cleanup
    Hdf5Recorder rec(final_path.string(), {.chunk_rows = 4});
    fill_sample(rec, {});
    ::raise(SIGKILL);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);
  const fs::path left = partial_path_for(final_path.string(), child);
  CHECK_FALSE(fs::exists(final_path));
  CHECK(fs::exists(left));  // only under its temporary name
  write_sample(final_path.string());
  CHECK(fs::exists(final_path));
  CHECK_FALSE(fs::exists(left));  // the dead writer's partial file was removed
  h5::Handle f = h5::open_file_readonly(final_path.string());
  CHECK(h5::get_int_attr(f.get(), "complete") == 1);
}

TEST_CASE("A partial file of a writer that is still running is left alone") {
  const auto dir = scratch_dir("live_partial");
  const fs::path final_path = dir / "run.h5";
  const std::string live = partial_path_for(final_path.string(), ::getppid());  // our parent runs
  std::ofstream(live) << "x";
  CHECK(remove_stale_partials(final_path.string()) == 0);
  CHECK(fs::exists(live));
}

namespace {
// Resident set size of this process, kB (Linux /proc).
long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}
}  // namespace

TEST_CASE("The writer's memory does not grow with simulated time") {
  const auto dir = scratch_dir("memory");
  Hdf5Recorder rec((dir / "years.h5").string());
  const auto& specs = standard_site_series();
  rec.begin(sample_meta({}), specs);
  std::vector<std::int64_t> ids(64);
  for (std::size_t e = 0; e < ids.size(); ++e) ids[e] = std::int64_t(e);
  rec.begin_entities("rack", ids, {{"rack_it_power_w", "W", "rack IT power"}});
  std::vector<double> row(specs.size(), 1.0), racks(ids.size(), 2.0);
  const std::size_t rows_per_year = 35040;
  long after_first_year = 0;
  for (std::size_t i = 0; i < 4 * rows_per_year; ++i) {  // four simulated years
    row[0] = double(i);
    rec.append_sample(900.0 * double(i), row);
    rec.append_entity_sample("rack", 900.0 * double(i), racks);
    for (int k = 0; k < 10; ++k) rec.add_event(EventRecord{900.0 * double(i), EventKind::pstate, k, double(k % 4)});
    if (i % 4 == 0) rec.add_job(sample_job(i % 3));
    if (i + 1 == rows_per_year) after_first_year = rss_kb();
  }
  const long after_four_years = rss_kb();
  rec.finish(sample_summary());
  WARN("RSS after 1 year " << after_first_year << " kB, after 4 years " << after_four_years << " kB");
  REQUIRE(after_first_year > 0);
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer keeps freed memory in quarantine, so RSS grows by design: the bound is
  // checked in the release build (scripts/test.sh), not in the sanitizer stage.
  WARN("memory bound not checked under AddressSanitizer");
#else
  // 3 more years add 1.05 M events, 26 k jobs and 105 k rows (~60 MB of data): none of it stays.
  CHECK(after_four_years - after_first_year < 4 * 1024);
#endif
}

TEST_CASE("Summary names outside [A-Za-z0-9_] are written with '_' instead of failing the run") {
  const auto dir = scratch_dir("summary_names");
  const std::string path = (dir / "run.h5").string();
  Hdf5Recorder rec(path);
  fill_sample(rec, {});
  RunSummary sum;
  sum.values = {{"energy.total-kwh", 5.0}};
  rec.finish(sum);
  h5::Handle f = h5::open_file_readonly(path);
  CHECK(h5::get_double_attr(f.get(), "summary_energy_total_kwh") == 5.0);
}

TEST_CASE("The request table streams through chunks, with NaN for a rejected request's first token, TTFT and TPOT") {
  const auto dir = scratch_dir("requests");
  const std::string path = (dir / "run.h5").string();
  const std::vector<SeriesSpec> one = {{"a_w", "W", "a"}};
  {
    Hdf5Recorder rec(path, {.chunk_rows = 16});
    rec.begin(sample_meta({}), one);
    rec.begin_requests();
    for (int i = 0; i < 100; ++i) {  // 6 full chunks and a partial one
      ServingRequestRecord r;
      r.id = static_cast<std::uint64_t>(i);
      r.deployment = i % 2;
      r.replica = 10 + i % 3;
      r.node = i % 3;
      r.arrival_s = i;
      r.prompt_tokens = 500;
      r.output_tokens = 150;
      if (i == 7) {
        r.end_s = i + 0.001;
        r.outcome = "rejected";
        r.slo_met = 0;
      } else {
        r.first_token_s = i + 0.05;
        r.end_s = i + 1.0;
        r.ttft_s = 0.05;
        r.tpot_s = 0.95 / 149;
        r.slo_met = 1;
        r.outcome = "completed";
      }
      rec.add_request(r);
    }
    rec.append_sample(0, std::vector<double>{1});
    rec.finish(sample_summary());
  }
  const auto id = column(path, "request_id");
  REQUIRE(id.size() == 100);
  CHECK(id[99] == 99.0);
  CHECK(column(path, "request_deployment")[3] == 1.0);
  CHECK(column(path, "request_arrival_time")[42] == 42.0);
  CHECK(std::isnan(column(path, "request_first_token_time")[7]));
  CHECK(std::isnan(column(path, "request_ttft_s")[7]));
  CHECK(std::isnan(column(path, "request_tpot_s")[7]));
  CHECK(column(path, "request_ttft_s")[8] == 0.05);
  CHECK(column(path, "request_end_time")[7] == Approx(7.001));
  h5::Handle f = h5::open_file_readonly(path);
  h5::Handle out = h5::open_dataset(f.get(), "request_outcome");
  const auto o = h5::read_strings(out.get());
  REQUIRE(o.size() == 100);
  CHECK(o[7] == "rejected");
  CHECK(o[8] == "completed");
  h5::Handle dim = h5::open_dataset(f.get(), "request");
  CHECK(h5::dataset_dims(dim.get()) == std::vector<hsize_t>{100});
  CHECK(is_dim_only(dim.get()));
  h5::Handle at = h5::open_dataset(f.get(), "request_arrival_time");
  CHECK(h5::get_string_attr(at.get(), "units") == kTimeUnits);
}

TEST_CASE("A run that asks for no request table has no request dimension, and misuse of it is an OutputError") {
  const auto dir = scratch_dir("requests-none");
  const std::string path = (dir / "run.h5").string();
  write_sample(path);
  h5::Handle f = h5::open_file_readonly(path);
  CHECK(H5Lexists(f.get(), "request", H5P_DEFAULT) == 0);
  CHECK(H5Lexists(f.get(), "request_id", H5P_DEFAULT) == 0);
  const std::string p2 = (dir / "misuse.h5").string();
  Hdf5Recorder rec(p2);
  rec.begin(sample_meta({}), {{"a_w", "W", "a"}});
  CHECK_THROWS_WITH(rec.add_request(ServingRequestRecord{}), Catch::Contains("before begin_requests"));
  rec.begin_requests();
  CHECK_THROWS_WITH(rec.begin_requests(), Catch::Contains("called twice"));
  rec.abort();
}
