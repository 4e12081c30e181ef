// Job-stream generators: fixed, research-lab (arrival cycles, growth, bursts, sweeps, chains,
// mix by year), determinism byte for byte, and validation.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/error.hpp"
#include "fixtures/workload/catalogue.hpp"
#include "workload/estimate.hpp"
#include "workload/generator.hpp"
#include "workload/job_graph.hpp"

using namespace dcsim;

namespace {
const Calendar kCal{CivilTime{2024, 1, 1, 0, 0, 0.0}};  // a Monday

WorkloadSpec lab(double jobs_per_year) {
  WorkloadSpec s;
  s.generator = WorkloadGenerator::research_lab;
  s.jobs_per_year = jobs_per_year;
  s.mix = {{"compute", 1.0}};
  s.daily_cycle = 0;
  s.weekly_cycle = 0;
  return s;
}
}  // namespace

TEST_CASE("the fixed generator makes N jobs of one profile with the given GPUs, work and spacing") {
  const Catalogue c = test::round_catalogue();
  WorkloadSpec s;
  s.generator = WorkloadGenerator::fixed;
  s.jobs = 5;
  s.fixed_profile = "memory";
  s.gpus_per_job = 4;
  s.work_flops_per_job = 3e18;
  s.interarrival_s = 60;
  const auto jobs = generate_jobs(s, kCal, kYear365, 1, c);
  REQUIRE(jobs.size() == 5);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    CHECK(jobs[i].request.id == i + 1);
    CHECK(jobs[i].request.submit_s == Approx(60.0 * double(i)));
    CHECK(jobs[i].request.gpus == 4);
    CHECK(jobs[i].request.profile == "memory");
    CHECK(jobs[i].profile.work_flops == Approx(3e18));
    CHECK(jobs[i].profile.memory_share == Approx(0.7));
  }
  SECTION("without a work figure the work comes from the profile's duration on the reference") {
    s.work_flops_per_job = 0;
    const auto j2 = generate_jobs(s, kCal, kYear365, 1, c);
    // 1 h · 4 GPUs · 1e15 · 0.25 · 0.81
    CHECK(j2[0].profile.work_flops == Approx(3600 * 4 * 1e15 * 0.25 * 0.81));
    CHECK(reference_runtime_s(j2[0].profile, 4, c.reference) == Approx(3600));
  }
}

TEST_CASE("research-lab arrivals are Poisson with the configured yearly rate") {
  const Catalogue c = test::round_catalogue();
  const auto jobs = generate_jobs(lab(20000), kCal, kYear365, 7, c);
  // Poisson(20000): sd 141; 4 sd = 566
  CHECK(std::abs(double(jobs.size()) - 20000.0) < 566);
  for (std::size_t i = 1; i < jobs.size(); ++i) CHECK(jobs[i].request.submit_s >= jobs[i - 1].request.submit_s);
  CHECK(jobs.back().request.id == jobs.size());
}

TEST_CASE("the daily cycle puts (1+a)/(1-a) times more arrivals at the peak hour than at the trough") {
  const Catalogue c = test::round_catalogue();
  WorkloadSpec s = lab(100000);
  s.daily_cycle = 0.5;
  s.peak_hour_utc = 14;
  const auto jobs = generate_jobs(s, kCal, kYear365, 3, c);
  double peak = 0, trough = 0;
  for (const Job& j : jobs) {
    const double h = kCal.hour_of_day(j.request.submit_s);
    if (h >= 13.5 && h < 14.5) peak += 1;
    if (h >= 1.5 && h < 2.5) trough += 1;
  }
  // rate ratio at ±0.5 h around the extremes = (1 + 0.5·0.99715)/(1 − 0.5·0.99715) ≈ 2.989 (mean of cos over ±0.5 h = sin(π/24)/(π/24))
  CHECK(peak / trough == Approx(2.989).epsilon(0.08));
}

TEST_CASE("the weekly cycle makes weekend days quieter than weekdays") {
  const Catalogue c = test::round_catalogue();
  WorkloadSpec s = lab(100000);
  s.weekly_cycle = 0.2;  // weekdays 1.2, weekend 0.5
  const auto jobs = generate_jobs(s, kCal, kYear365, 4, c);
  double weekday = 0, weekend = 0;
  for (const Job& j : jobs) (kCal.day_of_week(j.request.submit_s) < 5 ? weekday : weekend) += 1;
  // per day: weekday/weekend = 1.2 / 0.5 = 2.4
  CHECK((weekday / 5) / (weekend / 2) == Approx(2.4).epsilon(0.05));
}

TEST_CASE("submissions grow by the yearly growth factor") {
  const Catalogue c = test::round_catalogue();
  WorkloadSpec s = lab(20000);
  s.jobs_growth_per_year = 1.5;
  const Seconds two_years = kCal.span_of_years(2);
  const auto jobs = generate_jobs(s, kCal, two_years, 5, c);
  double y1 = 0, y2 = 0;
  for (const Job& j : jobs) (j.request.submit_s < kYear365 ? y1 : y2) += 1;
  // continuous growth 1.5^t: year 1 ∝ (1.5−1)/ln 1.5, year 2 ∝ 1.5 · the same → ratio 1.5
  CHECK(y2 / y1 == Approx(1.5).epsilon(0.04));
  CHECK(y1 == Approx(20000 * 0.5 / std::log(1.5)).epsilon(0.04));
}

TEST_CASE("arrivals burst by the configured factor in the window before a deadline") {
  const Catalogue c = test::round_catalogue();
  WorkloadSpec s = lab(50000);
  s.deadline_bursts = {DeadlineBurst{5, 15, 14 * kDay, 3.0}};
  const auto jobs = generate_jobs(s, kCal, kYear365, 6, c);
  const Seconds d = kCal.at(CivilTime{2024, 5, 15, 0, 0, 0.0});
  double in = 0, before = 0;
  for (const Job& j : jobs) {
    const Seconds t = j.request.submit_s;
    if (t >= d - 14 * kDay && t < d) in += 1;
    if (t >= d - 28 * kDay && t < d - 14 * kDay) before += 1;
  }
  CHECK(in / before == Approx(3.0).epsilon(0.1));
}

TEST_CASE("a hyperparameter sweep submits N variants of one job together") {
  const Catalogue c = test::round_catalogue();
  WorkloadSpec s = lab(200);
  s.sweep_fraction = 1.0;
  s.sweep_variants = 6;
  const auto jobs = generate_jobs(s, kCal, kYear365, 8, c);
  REQUIRE(jobs.size() >= 6);
  REQUIRE(jobs.size() % 6 == 0);
  for (std::size_t k = 0; k + 6 <= jobs.size(); k += 6) {
    std::set<double> works;
    for (std::size_t v = 0; v < 6; ++v) {
      CHECK(jobs[k + v].request.gpus == jobs[k].request.gpus);
      CHECK(jobs[k + v].request.submit_s - jobs[k].request.submit_s == Approx(double(v)).margin(1e-6));
      works.insert(jobs[k + v].profile.work_flops);
    }
    CHECK(works.size() == 6);  // variants differ
  }
}

TEST_CASE("pretrain, fine-tune and evaluate chains are a dependency DAG") {
  const Catalogue c = test::round_catalogue();
  WorkloadSpec s = lab(300);
  s.chain_fraction = 1.0;
  const auto jobs = generate_jobs(s, kCal, kYear365, 9, c);
  REQUIRE(jobs.size() % 3 == 0);
  for (std::size_t k = 0; k < jobs.size(); k += 3) {
    const Job& pre = jobs[k];
    const Job& ft = jobs[k + 1];
    const Job& ev = jobs[k + 2];
    CHECK(pre.request.kind == JobKind::training);
    CHECK(ft.request.kind == JobKind::fine_tuning);
    CHECK(ev.request.kind == JobKind::evaluation);
    CHECK(pre.request.depends_on.empty());
    CHECK(ft.request.depends_on == std::vector<JobId>{pre.request.id});
    CHECK(ev.request.depends_on == std::vector<JobId>{ft.request.id});
    // fine-tune work = 5 % of pretraining work at equal efficiency
    const double ref_ft = pre.profile.work_flops * 0.05 * ft.profile.scaling_efficiency / pre.profile.scaling_efficiency;
    CHECK(ft.profile.work_flops == Approx(ref_ft));
  }
  const JobGraph g(jobs);
  CHECK(g.longest_chain() == 3);
  CHECK(g.edges() == 2 * jobs.size() / 3);
}

TEST_CASE("a dependency cycle or an unknown dependency is an input error") {
  std::vector<Job> jobs(2);
  jobs[0].request.id = 1;
  jobs[1].request.id = 2;
  jobs[0].request.depends_on = {2};
  jobs[1].request.depends_on = {1};
  CHECK_THROWS_AS(JobGraph(jobs, "jobs.csv"), InputError);
  jobs[1].request.depends_on = {7};
  try {
    JobGraph g(jobs, "jobs.csv");
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    CHECK(e.diagnostics().at(0).file == "jobs.csv");
    CHECK(e.diagnostics().at(0).message.find("got 7") != std::string::npos);
  }
}

TEST_CASE("the mix of profiles changes with the year") {
  const Catalogue c = test::round_catalogue();
  const Calendar cal{CivilTime{2023, 1, 1, 0, 0, 0.0}};
  WorkloadSpec s = lab(5000);
  s.mix.clear();
  s.mix_by_year = {{2023, {{"compute", 1.0}}}, {2024, {{"memory", 1.0}}}};
  const auto jobs = generate_jobs(s, cal, cal.span_of_years(2), 10, c);
  for (const Job& j : jobs) {
    CHECK(j.request.profile == (cal.year_at(j.request.submit_s) == 2023 ? "compute" : "memory"));
  }
}

TEST_CASE("job work follows the model-growth trend with the profile's elasticity") {
  const Catalogue c = test::round_catalogue();  // work 1e18 (2010) → 1e20 (2020), elasticity 1
  const Calendar cal{CivilTime{2015, 1, 1, 0, 0, 0.0}};
  WorkloadSpec s = lab(2000);
  const auto jobs = generate_jobs(s, cal, kYear365, 11, c);
  REQUIRE(!jobs.empty());
  for (const Job& j : jobs) {
    const double fy = cal.fractional_year(j.request.submit_s);
    const double scale = c.growth.work_at(fy, 1.0) / 1e20;  // ≈ 0.1 in 2015
    CHECK(reference_runtime_s(j.profile, j.request.gpus, c.reference) == Approx(7200 * scale).epsilon(1e-9));
    CHECK(j.profile.model_year == 2015);
  }
}

TEST_CASE("the same seed gives the same job stream byte for byte; another seed another") {
  const Catalogue c = test::round_catalogue();
  WorkloadSpec s = lab(3000);
  s.mix = {{"compute", 0.5}, {"memory", 0.5}};
  s.daily_cycle = 0.3;
  s.weekly_cycle = 0.2;
  s.sweep_fraction = 0.1;
  s.chain_fraction = 0.1;
  s.deferrable_fraction = 0.5;
  s.optimisations = {{"quantisation", 0.25}, {"pruning", 0.1}};
  s.deadline_bursts = {DeadlineBurst{11, 15, 10 * kDay, 2.0}};
  const std::string a = serialise_jobs(generate_jobs(s, kCal, kYear365, 42, c));
  const std::string b = serialise_jobs(generate_jobs(s, kCal, kYear365, 42, c));
  const std::string other = serialise_jobs(generate_jobs(s, kCal, kYear365, 43, c));
  CHECK(a.size() > 100000);
  CHECK(a == b);
  CHECK(a != other);
}

TEST_CASE("optimisation shares apply techniques to about that share of jobs") {
  const Catalogue c = test::round_catalogue();
  WorkloadSpec s = lab(10000);
  s.optimisations = {{"quantisation", 0.25}};
  const auto jobs = generate_jobs(s, kCal, kYear365, 12, c);
  double n = 0;
  for (const Job& j : jobs) n += j.profile.optimisation == "quantisation" ? 1 : 0;
  CHECK(n / double(jobs.size()) == Approx(0.25).margin(0.02));
}

TEST_CASE("jobs are adapted to the platform's accelerator when one is given") {
  const Catalogue c = test::round_catalogue();
  WorkloadSpec s;
  s.generator = WorkloadGenerator::fixed;
  s.jobs = 1;
  s.fixed_profile = "compute";
  s.gpus_per_job = 1;
  AcceleratorSpec same = c.reference.accelerator;
  same.pstates = {PState{2000, 1.0, 600}};
  GenerateOptions o;
  o.accelerator = &same;
  const auto jobs = generate_jobs(s, kCal, kYear365, 1, c, o);
  CHECK(jobs.at(0).profile.intensity == Approx(1.0));
}

TEST_CASE("an invalid workload reports every problem at its key") {
  const Catalogue c = test::round_catalogue();
  WorkloadSpec s = lab(10);
  s.mix = {{"video", 1.0}};
  s.weekly_cycle = 0.6;
  s.optimisations = {{"magic", 0.5}};
  try {
    generate_jobs(s, kCal, kYear365, 1, c);
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    std::set<std::string> keys;
    for (const auto& d : e.diagnostics()) keys.insert(d.key_path);
    CHECK(keys.count("workload.mix.video") == 1);
    CHECK(keys.count("workload.weekly_cycle") == 1);
    CHECK(keys.count("workload.optimisations.magic") == 1);
  }
}

TEST_CASE("a growing lab replayed 2015-2025 uses more energy each year, as the growth trends say") {
  // Round catalogue: work of a training ×100 from 2010 to 2020 (×1.585 per year), then ×1.5 per
  // year (model_size_growth_per_year); submissions ×1.2 per year. The yearly energy is the
  // integral of an exponential, so consecutive years differ by exactly the product of the rates.
  const Catalogue c = test::round_catalogue();
  const Calendar cal{CivilTime{2015, 1, 1, 0, 0, 0.0}};
  WorkloadSpec s = lab(3000);
  s.jobs_growth_per_year = 1.2;
  s.model_size_growth_per_year = 1.5;
  const auto jobs = generate_jobs(s, cal, cal.span_of_years(10), 2015, c);
  std::map<int, double> kwh;
  for (const Job& j : jobs) kwh[cal.year_at(j.request.submit_s)] += kwh_from_joules(reference_energy_j(j, c.reference));
  REQUIRE(kwh.size() == 10);
  for (int y = 2015; y < 2024; ++y) {
    const double expected = y < 2020 ? 1.2 * std::pow(10.0, 0.2) : (y == 2020 ? 0.0 : 1.2 * 1.5);
    if (expected == 0.0) continue;  // 2020 → 2021 crosses the change of trend
    INFO(y << " → " << y + 1);
    CHECK(kwh[y + 1] / kwh[y] == Approx(expected).epsilon(0.06));
  }
  CHECK(kwh[2024] > 50 * kwh[2015]);
}

TEST_CASE("the fixed generator can submit as a Poisson process with the given mean gap") {
  const Catalogue c = test::round_catalogue();
  WorkloadSpec s;
  s.generator = WorkloadGenerator::fixed;
  s.jobs = 20000;
  s.fixed_profile = "compute";
  s.gpus_per_job = 8;
  s.interarrival_s = 3.6 * kHour;
  s.arrival_process = ArrivalProcess::poisson;
  const auto jobs = generate_jobs(s, kCal, 1e12, 5, c);
  REQUIRE(jobs.size() == 20000);
  // mean gap 3.6 h (sd of the mean 0.7 %); coefficient of variation of the gaps 1 (exponential)
  const double mean_gap = jobs.back().request.submit_s / 20000.0;
  CHECK(mean_gap == Approx(3.6 * kHour).epsilon(0.03));
  double sq = 0;
  for (std::size_t i = 1; i < jobs.size(); ++i) {
    const double g = jobs[i].request.submit_s - jobs[i - 1].request.submit_s;
    sq += (g - mean_gap) * (g - mean_gap);
  }
  CHECK(std::sqrt(sq / 19999.0) / mean_gap == Approx(1.0).epsilon(0.05));
  // An unknown process cannot reach the generator: the loader reads it through the
  // ArrivalProcess name table (tests/unit/config/test_choices.cpp).
}

TEST_CASE("elastic_fraction makes about that share of jobs elastic, with GPU bounds from the request") {
  const Catalogue c = test::round_catalogue();
  WorkloadSpec s;
  s.generator = WorkloadGenerator::fixed;
  s.jobs = 4000;
  s.fixed_profile = "compute";
  s.gpus_per_job = 8;
  s.elastic_fraction = 0.3;
  s.elastic_min_share = 0.25;
  s.elastic_max_factor = 3;
  const auto jobs = generate_jobs(s, kCal, kYear365, 5, c);
  double n = 0;
  for (const Job& j : jobs) {
    if (!j.request.elastic) continue;
    ++n;
    CHECK(j.request.min_gpus == 2);   // round(0.25 · 8)
    CHECK(j.request.max_gpus == 24);  // round(3 · 8)
  }
  CHECK(n / double(jobs.size()) == Approx(0.3).margin(0.03));
}

TEST_CASE("without elastic_fraction no job is elastic and the random streams are those of before") {
  const Catalogue c = test::round_catalogue();
  WorkloadSpec s = lab(2000);
  s.deferrable_fraction = 0.5;
  const auto plain = generate_jobs(s, kCal, kYear365, 9, c);
  for (const Job& j : plain) CHECK_FALSE(j.request.elastic);
  // Elastic flags are drawn after the others of a job: the first job's estimate and deferrable
  // flag do not depend on them.
  s.elastic_fraction = 1.0;
  const auto all = generate_jobs(s, kCal, kYear365, 9, c);
  REQUIRE(!all.empty());
  CHECK(all[0].request.elastic);
  CHECK(all[0].request.walltime_estimate_s == plain[0].request.walltime_estimate_s);
  CHECK(all[0].request.deferrable == plain[0].request.deferrable);
}

TEST_CASE("GPU-less jobs of an imported trace are skipped with their dependants and counted in a note") {
  const Catalogue c = test::round_catalogue();
  const auto path = std::filesystem::temp_directory_path() / "dcsim-gpuless-trace.csv";
  std::ofstream(path) << "id,submit_s,gpus,profile,duration_s,depends_on\n"
                         "1,0,8,compute,3600,\n"
                         "2,10,0,host_only,3600,\n"
                         "3,20,4,compute,3600,2\n"
                         "4,30,1,compute,3600,\n";
  WorkloadSpec s;
  s.generator = WorkloadGenerator::trace;
  TraceImportSpec t;
  t.format = JobTraceFormat::dcsim_csv;
  t.file = path.string();
  s.traces.push_back(t);
  std::vector<std::string> notes;
  GenerateOptions go;
  go.notes = &notes;
  const std::vector<Job> jobs = generate_jobs(s, kCal, 86400, 1, c, go);
  REQUIRE(jobs.size() == 2);
  for (const Job& j : jobs) CHECK(j.request.gpus > 0);
  bool noted = false;
  for (const auto& n : notes)
    noted = noted || n == "trace " + path.string() + ": 1 jobs without a GPU skipped (and 1 jobs depending on them)";
  CHECK(noted);
  std::filesystem::remove(path);
}
