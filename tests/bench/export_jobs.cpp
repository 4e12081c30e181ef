// bench_jobs: writes the job stream of a scenario (the jobs dcsim would run) as the plain text
// file of job_stream.hpp, for the bare-engine baseline and the plain event loop.
//
//   bench_jobs <scenario.yaml> <out.tsv|-> [--set key.path=value]...
//
// The jobs come from the same generator call as `dcsim run` (the scenario's workload, calendar,
// span and seed, power adapted to the site's first accelerator); each job's run time is the
// engine's T0 = runtime_at_fmax_s (physics/dvfs.hpp) on that accelerator, and its busy power
// per accelerator AcceleratorPower::power_w(0, utilisation, intensity).
#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "app/run_scenario.hpp"
#include "config/workload_loader.hpp"
#include "core/error.hpp"
#include "job_stream.hpp"
#include "physics/accelerator_power.hpp"
#include "physics/dvfs.hpp"
#include "workload/generator.hpp"

namespace fs = std::filesystem;
using namespace dcsim;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <scenario.yaml> <out.tsv|-> [--set key=value]...\n", argv[0]);
    return 2;
  }
  std::vector<std::string> sets;
  for (int i = 3; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--set") sets.emplace_back(argv[i + 1]);
  try {
    const Scenario sc = load_checked_scenario(argv[1], sets);
    std::vector<std::string> cats = sc.workload.catalogue_files;
    if (cats.empty()) cats.push_back((fs::path(data_dir()) / "workloads" / "profiles.yaml").string());
    const Catalogue cat = load_catalogue(cats);
    validate_workload(sc.workload, cat);
    if (sc.site.platform.nodes.empty()) throw std::runtime_error("the scenario has no nodes");
    const NodeSpec& nt = sc.site.platform.node_types.at(sc.site.platform.nodes.front().node_type);
    const AcceleratorSpec& acc = sc.site.platform.accelerators.at(nt.accelerator);
    GenerateOptions go;
    go.accelerator = &acc;
    const Calendar cal(sc.time.start);
    const std::vector<Job> jobs = generate_jobs(sc.workload, cal, sc.time.duration_s, sc.seed, cat, go);

    bench::JobStream s;
    for (const NodeGroup& g : sc.site.platform.nodes) s.nodes += g.count;
    s.gpus_per_node = nt.accelerators_per_node;
    s.span_s = sc.time.duration_s;
    const int total = s.nodes * s.gpus_per_node;
    const AcceleratorPower power(acc);
    s.jobs.reserve(jobs.size());
    for (const Job& j : jobs) {
      bench::BenchJob b;
      b.submit_s = j.request.submit_s;
      b.gpus = std::clamp(j.request.gpus, 1, total);
      b.runtime_s = j.request.gpus > 0 ? runtime_at_fmax_s(j.profile, acc, b.gpus) : j.profile.cpu_runtime_s;
      b.idle_w = power.idle_w();
      b.busy_w = power.power_w(0, j.profile.utilisation, j.profile.intensity);
      for (JobId d : j.request.depends_on) b.deps.push_back(static_cast<std::uint32_t>(d - 1));  // ids are 1..N
      s.jobs.push_back(std::move(b));
    }
    bench::write_stream(s, argv[2]);
    std::fprintf(stderr, "bench_jobs: %zu jobs, %d nodes × %d GPUs, span %.0f s\n", s.jobs.size(), s.nodes,
                 s.gpus_per_node, s.span_s);
  } catch (const InputError& e) {
    std::fprintf(stderr, "bench_jobs: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_jobs: %s\n", e.what());
    return 1;
  }
  return 0;
}
