// Trace importers: SWF, Alibaba GPU 2023 (the repository's copy), Helios load series, Azure LLM
// inference, and the dcsim CSV job format; malformed lines name the file and line.
#include <catch2/catch.hpp>
#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.hpp"
#include "fixtures/workload/catalogue.hpp"
#include "workload/estimate.hpp"
#include "workload/generator.hpp"
#include "workload/importers.hpp"

using namespace dcsim;

namespace {
const std::string kFix = std::string(DCSIM_SOURCE_DIR) + "/tests/fixtures/workload/";

TraceImportSpec spec_for(const std::string& format, const std::string& file) {
  TraceImportSpec s;
  s.format = parse_name<JobTraceFormat>(format).value();
  s.file = file;
  s.default_profile = "compute";
  return s;
}

Seconds runtime(const Job& j, const Catalogue& c) { return reference_runtime_s(j.profile, j.request.gpus, c.reference); }

// Expects an InputError whose first diagnostic names `file` and `line`.
template <class F>
Diagnostic input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.diagnostics().at(0);
  }
  FAIL("expected an InputError");
  return {};
}
}  // namespace

TEST_CASE("SWF: 18 fields per line become jobs; comments, unknown sizes and preceding jobs handled") {
  const Catalogue c = test::round_catalogue();
  const ImportResult r = import_trace(spec_for("swf", kFix + "small.swf"), c, 1);
  REQUIRE(r.jobs.size() == 5);
  CHECK(r.skipped == 1);  // job 5 has neither a processor count nor a run time
  const Job& j1 = r.jobs[0];
  CHECK(j1.request.id == 1);
  CHECK(j1.request.submit_s == Approx(0));       // relative to the first job (submit 100)
  CHECK(j1.request.gpus == 8);
  CHECK(j1.request.profile == "memory");          // by-gpus: >= 2 GPUs
  CHECK(runtime(j1, c) == Approx(3600));
  CHECK(j1.request.walltime_estimate_s == Approx(7200));
  CHECK(j1.request.user == "u3");
  const Job& j2 = r.jobs[1];
  CHECK(j2.request.submit_s == Approx(60));
  CHECK(j2.request.gpus == 1);
  CHECK(j2.request.profile == "compute");
  const Job& j3 = r.jobs[2];
  CHECK(j3.request.gpus == 16);                   // requested processors when allocation unknown
  CHECK(j3.request.depends_on == std::vector<JobId>{1});
  CHECK(runtime(r.jobs[3], c) == Approx(900));   // requested time when run time unknown
  CHECK(r.jobs[4].request.depends_on.empty());    // preceding job 99 is not in the file
  CHECK(r.notes.size() == 1);
  SECTION("processors per GPU divide the processor count") {
    TraceImportSpec s = spec_for("swf", kFix + "small.swf");
    s.procs_per_gpu = 4;
    CHECK(import_trace(s, c, 1).jobs[0].request.gpus == 2);
  }
  SECTION("a by-column rule maps the queue to profiles") {
    TraceImportSpec s = spec_for("swf", kFix + "small.swf");
    s.profile_rule = ProfileRule::by_column;
    s.profile_column = "queue";
    s.profile_map = {{"2", "memory"}};
    const auto jobs = import_trace(s, c, 1).jobs;
    CHECK(jobs[0].request.profile == "compute");  // queue 1: default profile
    CHECK(jobs[1].request.profile == "memory");   // queue 2
  }
}

TEST_CASE("an importer reports every bad line with its line number, not only the first") {
  const Catalogue c = test::round_catalogue();
  std::istringstream in("1 100 5 3600 8 -1 -1 8 7200 -1 1 3 1 1 1 1 -1 -1\n"
                        "2 200 5 x 8 -1 -1 8 7200 -1 1 3 1 1 1 1 -1 -1\n"
                        "3 300 5 3600 8 -1 -1 8 7200 -1 1 3 1 1 1 1 -1 -1\n"
                        "4 400 5\n"
                        "5 500 5 3600 8 -1 -1 8 7200 -1 1 3 1 1 y 1 -1 -1\n");
  try {
    import_swf(in, "t.swf", spec_for("swf", "t.swf"), c, 1);
    FAIL("expected InputError");
  } catch (const InputError& e) {
    const auto& d = e.diagnostics();
    REQUIRE(d.size() == 3);
    CHECK(d[0].line == 2);
    CHECK(d[0].key_path == "run_time");
    CHECK(d[1].line == 4);
    CHECK(d[1].message == "expected 18 whitespace-separated SWF fields, got 3");
    CHECK(d[2].line == 5);
    CHECK(d[2].key_path == "queue");
  }
}

TEST_CASE("SWF: a line without 18 fields is an input error naming the file and line") {
  const Catalogue c = test::round_catalogue();
  const Diagnostic d = input_error([&] { import_trace(spec_for("swf", kFix + "malformed.swf"), c, 1); });
  CHECK(d.file == kFix + "malformed.swf");
  CHECK(d.line == 3);
  CHECK(d.message == "expected 18 whitespace-separated SWF fields, got 7");
  SECTION("a field that is not a number names its SWF field") {
    std::istringstream in("1 100 5 x 8 -1 -1 8 7200 -1 1 3 1 1 1 1 -1 -1\n");
    const Diagnostic d2 = input_error([&] { import_swf(in, "t.swf", spec_for("swf", "t.swf"), c, 1); });
    CHECK(d2.line == 1);
    CHECK(d2.key_path == "run_time");
    CHECK(d2.message == "expected a number, got \"x\"");
  }
}

TEST_CASE("Alibaba GPU 2023: the pod list imports 8,152 jobs with the published GPU counts") {
  const Catalogue c = test::round_catalogue();
  const std::string file = std::string(DCSIM_SOURCE_DIR) + "/scenarios/data/gpu_traces/alibaba_openb_pod_list_default.csv";
  const ImportResult r = import_trace(spec_for("alibaba-gpu-2023", file), c, 1);
  CHECK(r.jobs.size() == 8152);
  std::map<int, int> by_gpus;
  for (const Job& j : r.jobs) by_gpus[j.request.gpus]++;
  CHECK(by_gpus == std::map<int, int>{{0, 1088}, {1, 6989}, {2, 16}, {4, 15}, {8, 44}});
  SECTION("0-GPU pods are host-only jobs that keep their run time") {
    // openb-pod-0000..: find the first 0-GPU pod and check it against its row
    for (const Job& j : r.jobs) {
      if (j.request.gpus != 0) continue;
      CHECK(j.request.profile == "host_only");
      CHECK(j.profile.cpu_runtime_s > 0);
      CHECK(j.profile.work_flops == 0);
      break;
    }
  }
  SECTION("the import runs through generate_jobs as a trace generator") {
    WorkloadSpec w;
    w.generator = WorkloadGenerator::trace;
    w.traces = {spec_for("alibaba-gpu-2023", file)};
    std::vector<std::string> notes;
    GenerateOptions go;
    go.notes = &notes;
    const auto jobs = generate_jobs(w, Calendar{}, 200 * kDay, 1, c, go);
    // The trace spans 149 days: every pod is imported, and the 1,088 0-GPU pods are skipped
    // and counted (workloads/README.md, "GPU-less jobs").
    CHECK(jobs.size() == 8152 - 1088);
    for (const Job& j : jobs) CHECK(j.request.gpus > 0);
    CHECK(std::find(notes.begin(), notes.end(), "trace " + file + ": 1088 jobs without a GPU skipped") != notes.end());
  }
}

TEST_CASE("Alibaba GPU 2023: sharing pods keep their lifetime at their share of the GPU") {
  const Catalogue c = test::round_catalogue();
  std::istringstream in(
      "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n"
      "p0,1000,1024,1,1000,,LS,Running,0,3600,0\n"
      "p1,1000,1024,1,250,,BE,Running,100,3700,100\n"
      "p2,1000,1024,0,0,,BE,Failed,200,1200,\n");
  const ImportResult r = import_alibaba_gpu_2023(in, "pods.csv", spec_for("alibaba-gpu-2023", "pods.csv"), c, 1);
  REQUIRE(r.jobs.size() == 3);
  CHECK(runtime(r.jobs[0], c) == Approx(3600));
  CHECK(runtime(r.jobs[1], c) == Approx(3600));
  CHECK(r.jobs[1].profile.utilisation == Approx(0.25));  // compute profile u 1.0 · 250/1000
  CHECK(r.jobs[1].request.preemptible);                   // best effort
  CHECK(r.jobs[0].request.priority == 1);                 // latency sensitive
  CHECK(r.jobs[2].request.gpus == 0);
  CHECK(r.jobs[2].profile.cpu_runtime_s == Approx(1000));  // never scheduled: deletion − creation
  SECTION("a malformed line names the file and line") {
    std::istringstream bad(
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n"
        "p0,1000,1024,1,1000,,LS,Running,0,3600,0\n"
        "p1,1000,1024,one,1000,,LS,Running,0,3600,0\n");
    const Diagnostic d = input_error([&] {
      import_alibaba_gpu_2023(bad, "pods.csv", spec_for("alibaba-gpu-2023", "pods.csv"), c, 1);
    });
    CHECK(d.file == "pods.csv");
    CHECK(d.line == 3);
    CHECK(d.key_path == "num_gpu");
  }
}

TEST_CASE("Helios: synthesised jobs reproduce the GPU demand of each size class minute by minute") {
  const Catalogue c = test::round_catalogue();
  const ImportResult r = import_trace(spec_for("helios", kFix + "helios_small.csv"), c, 1);
  // demand (running + pending): minute 0: 16 + 2, minute 1: 24 + 3, minute 2: 12 + 1, minute 3: 0
  const double expected[4] = {18, 27, 13, 0};
  for (int m = 0; m < 4; ++m) {
    const double t = 60.0 * m;
    double running = 0;
    for (const Job& j : r.jobs) {
      if (j.request.submit_s <= t && t < j.request.submit_s + runtime(j, c)) running += j.request.gpus;
    }
    INFO("minute " << m);
    CHECK(running == Approx(expected[m]));
  }
  // ≥8 class: blocks of 8 (two at 0, one at 60, the partly ended one continues as 4 GPUs)
  CHECK(r.jobs.size() == 7);
  int eights = 0;
  for (const Job& j : r.jobs) eights += j.request.gpus == 8 ? 1 : 0;
  CHECK(eights == 3);
}

TEST_CASE("Azure LLM: requests become batch-1 inference jobs with the decode power signature") {
  const Catalogue c = test::round_catalogue();
  TraceImportSpec s = spec_for("azure-llm", kFix + "azure_small.csv");
  s.default_profile = "decode";
  s.serving_params = 1e8;  // as the profile: rates unchanged
  const ImportResult r = import_trace(s, c, 1);
  REQUIRE(r.jobs.size() == 3);
  const Job& j = r.jobs[0];
  CHECK(j.request.kind == JobKind::inference);
  CHECK(j.request.gpus == 1);
  // 2000 prompt tokens at 2000/s + 50 generated at 50/s = 2 s
  CHECK(runtime(j, c) == Approx(2.0));
  CHECK(j.profile.work_flops == Approx(2 * 1e8 * 2050));
  CHECK(reference_device_power_w(j.profile, c.reference) == Approx(100 + 0.1 * 0.1 * 1000));
  CHECK(r.jobs[1].request.submit_s == Approx(0.5));
  CHECK(runtime(r.jobs[1], c) == Approx(4.0));
  SECTION("a larger served model decodes proportionally slower") {
    s.serving_params = 2e8;
    CHECK(runtime(import_trace(s, c, 1).jobs[0], c) == Approx(4.0));
  }
  SECTION("requests can be aggregated into one serving job per window") {
    s.aggregate_s = 60;
    const auto jobs = import_trace(s, c, 1).jobs;
    REQUIRE(jobs.size() == 2);
    CHECK(runtime(jobs[0], c) == Approx(6.0));
    CHECK(jobs[1].request.submit_s == Approx(60));
    CHECK(runtime(jobs[1], c) == Approx(0.5));
  }
}

TEST_CASE("dcsim CSV: the documented columns are read, and what is written reads back the same") {
  const Catalogue c = test::round_catalogue();
  const ImportResult r = import_trace(spec_for("dcsim-csv", kFix + "jobs.csv"), c, 1);
  REQUIRE(r.jobs.size() == 3);
  CHECK(r.jobs[0].request.id == 10);
  CHECK(runtime(r.jobs[0], c) == Approx(7200));
  CHECK(r.jobs[0].request.priority == 1);
  CHECK(r.jobs[0].request.deferrable);
  CHECK(r.jobs[0].request.user == "alice");
  CHECK(r.jobs[1].profile.work_flops == Approx(1e18));
  CHECK(r.jobs[1].request.kind == JobKind::fine_tuning);
  CHECK(r.jobs[1].request.deadline_s.value() == Approx(86400));
  CHECK(r.jobs[2].request.depends_on == std::vector<JobId>{10, 11});
  CHECK(r.jobs[2].request.preemptible);
  std::ostringstream out;
  write_dcsim_csv(out, r.jobs, c.reference);
  std::istringstream back(out.str());
  const ImportResult r2 = import_dcsim_csv(back, "written.csv", spec_for("dcsim-csv", "written.csv"), c);
  CHECK(serialise_jobs(r2.jobs) == serialise_jobs(r.jobs));
}

TEST_CASE("dcsim CSV: bad values and unknown columns are input errors naming file, line and column") {
  const Catalogue c = test::round_catalogue();
  const Diagnostic d = input_error([&] { import_trace(spec_for("dcsim-csv", kFix + "bad_jobs.csv"), c, 1); });
  CHECK(d.file == kFix + "bad_jobs.csv");
  CHECK(d.line == 3);
  CHECK(d.key_path == "gpus");
  CHECK(d.message == "expected a number, got \"two\"");
  SECTION("an unknown column") {
    std::istringstream in("id,submit_s,gpus,profile,duration_s,colour\n1,0,1,compute,60,red\n");
    const Diagnostic d2 = input_error([&] { import_dcsim_csv(in, "x.csv", spec_for("dcsim-csv", "x.csv"), c); });
    CHECK(d2.line == 1);
    CHECK(d2.key_path == "colour");
  }
  SECTION("an unknown profile") {
    std::istringstream in("id,submit_s,gpus,profile,duration_s\n1,0,1,video,60\n");
    const Diagnostic d3 = input_error([&] { import_dcsim_csv(in, "x.csv", spec_for("dcsim-csv", "x.csv"), c); });
    CHECK(d3.line == 2);
    CHECK(d3.key_path == "profile");
  }
  SECTION("a dependency cycle is caught when the stream is finalised") {
    std::istringstream in("id,submit_s,gpus,profile,duration_s,depends_on\n1,0,1,compute,60,2\n2,0,1,compute,60,1\n");
    auto jobs = import_dcsim_csv(in, "x.csv", spec_for("dcsim-csv", "x.csv"), c).jobs;
    CHECK_THROWS_AS(finalise_stream(jobs, kYear365), InputError);
  }
}

TEST_CASE("a missing trace file is an input error") {
  // (An unknown format cannot reach import_trace: the loader reads it through the
  // JobTraceFormat name table, tests/unit/config/test_choices.cpp.)
  const Catalogue c = test::round_catalogue();
  CHECK_FALSE(parse_name<JobTraceFormat>("philly"));
  CHECK(input_error([&] { import_trace(spec_for("swf", kFix + "nope.swf"), c, 1); }).key_path == "file");
}

TEST_CASE("Helios: the Earth vc6YE month replays its GPU demand at every minute") {
  const Catalogue c = test::round_catalogue();
  const std::string file = std::string(DCSIM_SOURCE_DIR) + "/scenarios/data/gpu_traces/helios_earth_vc6YE_cluster_sequence_1min.csv";
  const ImportResult r = import_trace(spec_for("helios", file), c, 1);
  // Demand per minute from the file itself.
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  std::vector<double> demand;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string x;
    while (std::getline(ss, x, ',')) f.push_back(x);
    // running/pending ≥8 and <8 are columns 12..15 (0-based)
    demand.push_back(std::stod(f[12]) + std::stod(f[13]) + std::stod(f[14]) + std::stod(f[15]));
  }
  REQUIRE(demand.size() == 44640);
  // Sweep-line over job starts and ends: running GPUs at each minute.
  std::vector<double> delta(demand.size() + 2, 0.0);
  for (const Job& j : r.jobs) {
    const auto s = static_cast<std::size_t>(std::lround(j.request.submit_s / 60.0));
    const auto e = static_cast<std::size_t>(std::lround((j.request.submit_s + runtime(j, c)) / 60.0));
    delta[s] += j.request.gpus;
    delta[std::min(e, delta.size() - 1)] -= j.request.gpus;
  }
  double running = 0;
  std::size_t mismatches = 0;
  for (std::size_t m = 0; m < demand.size(); ++m) {
    running += delta[m];
    if (std::abs(running - demand[m]) > 1e-6) ++mismatches;
  }
  CHECK(mismatches == 0);
  CHECK(r.jobs.size() > 1000);
}

TEST_CASE("Azure LLM: the code trace imports one inference job per request") {
  Catalogue c = test::round_catalogue();
  const std::string file = std::string(DCSIM_SOURCE_DIR) + "/scenarios/data/gpu_traces/azure_llm_inference_2023_code.csv";
  TraceImportSpec s = spec_for("azure-llm", file);
  s.default_profile = "decode";
  const ImportResult r = import_trace(s, c, 1);
  CHECK(r.jobs.size() == 8819);
  // 2023-11-16 18:17:03 to 19:14:19: the last request about 57 minutes after the first
  CHECK(r.jobs.back().request.submit_s == Approx(57 * 60 + 15.3).margin(2.0));
}
