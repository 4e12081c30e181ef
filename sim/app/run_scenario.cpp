#include "app/run_scenario.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "app/progress.hpp"
#include "config/platform_loader.hpp"
#include "config/scenario_loader.hpp"
#include "config/sweep.hpp"
#include "config/workload_loader.hpp"
#include "core/diagnostics.hpp"
#include "core/error.hpp"
#include "output/hdf5_writer.hpp"
#include "output/provenance.hpp"
#include "inputs/site_inputs.hpp"
#include "output/text_file.hpp"
#include "policy/registry.hpp"
#include "topology/site_graph.hpp"
#include "workload/generator.hpp"

namespace fs = std::filesystem;

namespace dcsim {

std::string data_dir() {
  if (const char* d = std::getenv("DCSIM_DATA_DIR"); d && *d) return d;
  return DCSIM_SOURCE_DIR;
}

namespace {

PolicyValidator policy_validator() {
  return [](const PolicyConfig& cfg, DiagnosticSink& sink) { validate_policy(cfg, sink); };
}

std::vector<std::string> catalogue_files_of(const Scenario& sc) {
  if (!sc.workload.catalogue_files.empty()) return sc.workload.catalogue_files;
  return {(fs::path(data_dir()) / "workloads" / "profiles.yaml").string()};
}

std::vector<Job> generate_scenario_jobs(const Scenario& sc, const Calendar& cal,
                                        std::vector<std::string>* notes) {
  const Catalogue cat = load_catalogue(catalogue_files_of(sc));
  validate_workload(sc.workload, cat);
  GenerateOptions go;
  go.notes = notes;
  // Jobs run on the site's (first) accelerator type: power figures are adapted to it.
  if (!sc.site.platform.nodes.empty()) {
    const NodeSpec& nt = sc.site.platform.node_types.at(sc.site.platform.nodes.front().node_type);
    go.accelerator = &sc.site.platform.accelerators.at(nt.accelerator);
  }
  return generate_jobs(sc.workload, cal, sc.time.duration_s, sc.seed, cat, go);
}

// Places diagnostics found after loading (catalogue names, policy construction, traces named
// by key) at the key they name in the scenario (after `extends` and `--set`), so that `run`
// and `validate` report file:line:col like the loader does.
InputError placed(const InputError& e, const std::string& path, const std::vector<std::string>& sets) {
  std::vector<Diagnostic> ds = e.diagnostics();
  bool any = false;
  for (const auto& d : ds) any = any || (d.line == 0 && (d.file.empty() || d.file == path));
  if (!any) return e;
  std::unique_ptr<YamlDoc> doc;
  try {
    doc = resolve_scenario_document(path, sets);
  } catch (const InputError&) {
    return e;
  }
  for (auto& d : ds) {
    if (d.line != 0 || !(d.file.empty() || d.file == path) || d.key_path.empty()) continue;
    if (auto at = doc->locate(d.key_path)) {
      d.file = at->file;
      d.line = at->line;
      d.column = at->column;
    } else if (d.file.empty()) {
      d.file = path;
    }
  }
  return InputError(std::move(ds));
}

// What a run prepares before simulating: the jobs (catalogue names, mixes, traces) and the
// policy stack. Every check here is also what `dcsim validate` runs (check_scenario_inputs).
struct Prepared {
  std::vector<Job> jobs;
  std::unique_ptr<Policy> policy;
  std::vector<std::string> notes;  // what the workload generator skipped or changed (provenance)
};

Prepared prepare_run(const Scenario& sc, const std::vector<std::string>& sets) {
  Prepared p;
  try {
    const Calendar cal(sc.time.start);
    p.jobs = generate_scenario_jobs(sc, cal, &p.notes);
    DiagnosticSink sink;
    p.policy = make_policy_stack(sc.policies, sink);
    sink.throw_if_any();
    if (!p.policy) throw InputError(Diagnostic{sc.file, 0, 0, "policies", "could not build the policies"});
  } catch (const InputError& e) {
    throw placed(e, sc.file, sets);
  }
  return p;
}

std::string fmt(double v, int prec = 1) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(prec) << v;
  return o.str();
}

// A registered key (a mistyped one throws, output/summary_keys.hpp); 0 when the run did not
// write it (the table prints the optional rows only when present).
double val(const RunSummary& s, const std::string& k) { return summary_value(s, k).value_or(0.0); }

}  // namespace

Scenario load_checked_scenario(const std::string& path, const std::vector<std::string>& sets) {
  LoadOptions lo;
  lo.set_overrides = sets;
  lo.validate_policy = policy_validator();
  return load_scenario(path, lo);
}

ScenarioRun run_scenario_file(const std::string& path, const std::vector<std::string>& sets,
                              const std::string& output, const RunOptions& options) {
  ScenarioRun r;
  r.scenario = load_checked_scenario(path, sets);
  Scenario& sc = r.scenario;
  // Before any output file exists (the engine checks again for its other callers).
  if (auto unsupported = engine_unsupported(sc); !unsupported.empty()) throw InputError(std::move(unsupported));
  if (!output.empty()) sc.output.file = output;
  r.output = sc.output.file;
  Prepared prep = prepare_run(sc, sets);
  std::vector<Job> jobs = std::move(prep.jobs);
  std::unique_ptr<Policy>& policy = prep.policy;
  Hdf5Recorder rec(sc.output.file);
  // Provenance: checksums of every input file are written by the recorder's metadata; the
  // engine fills the rest. Input files are listed by the loader.
  RunOptions opt = options;
  std::map<std::string, std::string> sums;
  for (const auto& f : sc.input_files) sums[f] = sha256_file(f);
  for (const auto& f : catalogue_files_of(sc)) sums[f] = sha256_file(f);
  opt.input_checksums = sums;
  opt.notes = prep.notes;
  try {
    r.summary = run_simulation(sc, std::move(jobs), *policy, rec, opt);
  } catch (const InputError& e) {
    throw placed(e, sc.file, sets);
  }
  return r;
}

void check_scenario_inputs(const Scenario& sc, const std::vector<std::string>& sets) {
  // The same preparation as a run (jobs, policies), then what the engine reads before its
  // first event: the site's traces and its topology.
  Prepared p = prepare_run(sc, sets);
  try {
    (void)load_site_inputs(sc, Calendar(sc.time.start));
    const SiteTopology topo = SiteTopology::build(sc.site.platform);
    if (topo.node_count() == 0)
      throw InputError(Diagnostic{sc.file, 0, 0, "site.platform", "expected at least one node, got none"});
  } catch (const InputError& e) {
    throw placed(e, sc.file, sets);
  }
}

std::string format_summary_table(const RunSummary& s, const std::string& output) {
  std::ostringstream o;
  const auto row = [&o](const std::string& k, const std::string& v) {
    o << "  " << std::left << std::setw(32) << k << std::right << std::setw(16) << v << "\n";
  };
  o << "dcsim summary" << (s.text.count("scenario") ? ": " + s.text.at("scenario") : "") << "\n";
  const double mwh = 1.0 / 1000.0;
  row("facility energy (MWh)", fmt(val(s, "facility_energy_kwh") * mwh, 2));
  row("IT energy (MWh)", fmt(val(s, "it_energy_kwh") * mwh, 2));
  row("on-site generation (MWh)", fmt(val(s, "onsite_generation_kwh") * mwh, 2));
  row("grid import (MWh)", fmt(val(s, "grid_import_kwh") * mwh, 2));
  row("grid export (MWh)", fmt(val(s, "grid_export_kwh") * mwh, 2));
  row("curtailed (MWh)", fmt(val(s, "curtailed_kwh") * mwh, 2));
  row("battery throughput (MWh)", fmt(val(s, "battery_throughput_kwh") * mwh, 2));
  row("peak power, instant (kW)", fmt(val(s, "peak_facility_power_kw"), 1));
  row("peak power, hourly mean (kW)", fmt(val(s, "peak_hourly_facility_power_kw"), 1));
  row("PUE", fmt(val(s, "pue"), 3));
  if (summary_value(s, "pv_capacity_factor")) row("PV capacity factor", fmt(val(s, "pv_capacity_factor"), 3));
  if (summary_value(s, "wind_capacity_factor")) row("wind capacity factor", fmt(val(s, "wind_capacity_factor"), 3));
  row("operational emissions (tCO2e)", fmt(val(s, "emissions_tco2"), 2));
  row("embodied emissions (tCO2e)", fmt(val(s, "embodied_tco2"), 2));
  row("total emissions (tCO2e)", fmt(val(s, "total_emissions_tco2"), 2));
  row("energy cost (USD)", fmt(val(s, "cost_usd"), 0));
  row("jobs done / submitted", fmt(val(s, "jobs_completed"), 0) + " / " + fmt(val(s, "jobs_submitted"), 0));
  row("completed work (EFLOP)", fmt(val(s, "completed_work_eflop"), 1));
  row("mean queue wait (h)", fmt(val(s, "mean_job_delay_h"), 2));
  row("turnaround mean / p95 (h)", fmt(val(s, "mean_turnaround_h"), 2) + " / " + fmt(val(s, "p95_turnaround_h"), 2));
  row("slowdown mean / p95", fmt(val(s, "mean_slowdown"), 2) + " / " + fmt(val(s, "p95_slowdown"), 2));
  row("mean utilisation", fmt(val(s, "mean_utilisation"), 3));
  if (s.values.count("thermal_max_device_temp_c")) {  // site.thermal (physics/thermal.hpp)
    row("device temperature mean / max (°C)",
        fmt(val(s, "thermal_mean_device_temp_c"), 1) + " / " + fmt(val(s, "thermal_max_device_temp_c"), 1));
    row("thermally throttled (GPU-h)", fmt(val(s, "thermal_throttled_gpu_hours"), 1) + " (" +
                                           fmt(val(s, "thermal_throttle_events"), 0) + " throttle starts)");
    if (val(s, "chiller_failure_hours") > 0) row("chiller failure (h)", fmt(val(s, "chiller_failure_hours"), 2));
  }
  if (!output.empty()) o << "  result: " << output << "\n";
  return o.str();
}

std::string summary_json(const RunSummary& s) {
  std::ostringstream o;
  o << "{";
  bool first = true;
  for (const auto& [k, v] : s.values) {
    o << (first ? "" : ", ") << "\"" << k << "\": ";
    if (std::isfinite(v)) o << std::setprecision(17) << v;
    else o << "null";
    first = false;
  }
  o << "}\n";
  return o.str();
}

int run_command(const RunCommand& rc, const std::atomic<bool>& stop) {
  RunOptions opt;
  opt.stop = &stop;
  std::unique_ptr<ProgressLine> progress;
  // The progress line needs the span: load once to learn it (cheap), then run.
  {
    const Scenario sc = load_checked_scenario(rc.scenario, rc.sets);
    progress = std::make_unique<ProgressLine>(Calendar(sc.time.start), sc.time.duration_s, !rc.quiet);
  }
  ProgressLine* pl = progress.get();
  opt.progress = [pl](Seconds now, double) { pl->update(now); };
  ScenarioRun r = run_scenario_file(rc.scenario, rc.sets, rc.output, opt);
  progress->done();
  if (auto w = r.summary.text.find("run_warnings"); w != r.summary.text.end() && !w->second.empty()) {
    std::istringstream lines(w->second);
    for (std::string l; std::getline(lines, l);) std::cerr << "warning: " << l << "\n";
  }
  if (!rc.quiet) std::cout << format_summary_table(r.summary, r.output);
  if (!rc.summary_json.empty()) {
    write_text_file(rc.summary_json, summary_json(r.summary));
  }
  if (!rc.plot.empty()) {
    const int rcode = plot_command(r.output, "", rc.plot);
    if (rcode != 0) return rcode;
    if (!rc.quiet) std::cout << "  plot: " << rc.plot << "\n";
  }
  return 0;
}

int validate_command(const std::vector<std::string>& files, const std::vector<std::string>& sets) {
  ValidateOptions vo;
  vo.set_overrides = sets;
  vo.validate_policy = policy_validator();
  vo.validate_scenario = [&sets](const Scenario& sc, DiagnosticSink& sink) {
    try {
      check_scenario_inputs(sc, sets);
    } catch (const InputError& e) {
      for (const auto& d : e.diagnostics()) sink.add(d);
    }
  };
  vo.validate_workload_catalogue = [](const std::string& p, DiagnosticSink& sink) {
    Catalogue c;
    load_catalogue_into(p, c, sink);
  };
  vo.validate_sweep = [](const std::string& p, DiagnosticSink& sink) {
    SweepLoadOptions so;
    so.validate_policy = policy_validator();
    validate_sweep_file(p, sink, so);
  };
  vo.validate_accelerator_catalogue = [](const std::string& p, DiagnosticSink& sink) {
    validate_catalogue_file(p, sink);
  };
  int bad = 0;
  for (const auto& f : files) {
    const auto diags = validate_file(f, vo);
    if (diags.empty()) {
      std::cout << f << ": ok (" << to_string(detect_file_kind(f)) << ")\n";
    } else {
      ++bad;
      print_diagnostics(std::cerr, diags);  // at most 50 per file, then "and N more"
    }
  }
  return bad ? 2 : 0;
}

int describe_command(const std::string& what) {
  const bool all = what == "all";
  if (all || what == "accelerators" || what == "nodes") {
    DiagnosticSink sink;
    const PlatformCatalogue cat = load_builtin_catalogue(sink, (fs::path(data_dir()) / "platforms").string());
    sink.throw_if_any();
    if (all || what == "accelerators") {
      std::cout << "Accelerators (platforms/accelerators.yaml; power in W, throughput in dense TFLOP/s)\n";
      for (const auto& [name, a] : cat.accelerators) {
        std::cout << "  " << std::left << std::setw(18) << name << " TDP " << std::setw(5) << a.tdp_w
                  << " idle " << std::setw(5) << a.idle_power_w << " bf16 " << std::setw(6)
                  << (a.peak_tflops.count("bf16") ? a.peak_tflops.at("bf16") : 0.0) << " p-states "
                  << a.pstates.size() << " (" << a.max_freq_mhz() << " MHz max)\n";
      }
    }
    if (all || what == "nodes") {
      std::cout << "Node types (platforms/nodes.yaml)\n";
      for (const auto& [name, n] : cat.node_types)
        std::cout << "  " << std::left << std::setw(18) << name << n.accelerators_per_node << " × "
                  << n.accelerator << ", host idle/busy " << n.host_idle_w << "/" << n.host_busy_w
                  << " W, boot " << n.boot_s << " s\n";
    }
  }
  if (all || what == "profiles") {
    const Catalogue c = load_catalogue({(fs::path(data_dir()) / "workloads" / "profiles.yaml").string()});
    std::cout << "Workload profiles (workloads/profiles.yaml; shares of a step at f_max)\n";
    for (const auto& [name, p] : c.profiles)
      std::cout << "  " << std::left << std::setw(26) << name << " compute " << p.compute_share
                << " memory " << p.memory_share << " io " << p.io_share << " intensity "
                << p.intensity << " median " << p.duration_median_h << " h\n";
  }
  if (all || what == "policies") std::cout << describe_policies();
  if (all || what == "choices") {
    std::cout << "Closed choices of a scenario (one name table each: sim/model/choices.hpp)\n";
    for (const auto& [key, names] : scenario_choices())
      std::cout << "  " << std::left << std::setw(42) << key << names << "\n";
  }
  return 0;
}

int plot_command(const std::string& result, const std::string& outdir, const std::string& png) {
  const std::string pkg = (fs::path(data_dir()) / "analysis").string();
  std::vector<std::string> args = {"/usr/bin/python3", "-m", "dcsim_analysis", "plot", result};
  if (!png.empty()) {
    args.push_back("--png");
    args.push_back(png);
  } else if (!outdir.empty()) {
    args.push_back("-o");
    args.push_back(outdir);
  }
  std::cout.flush();  // the summary table first, then what the plotting child prints
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("cannot start /usr/bin/python3 for plotting");
  if (pid == 0) {
    const char* old = std::getenv("PYTHONPATH");
    const std::string pp = pkg + (old && *old ? std::string(":") + old : std::string());
    setenv("PYTHONPATH", pp.c_str(), 1);
    setenv("MPLBACKEND", "Agg", 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    std::perror("dcsim: cannot run /usr/bin/python3");
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  // A PNG that cannot be written: the plotting child said which and why, and left no partial.
  if (WIFEXITED(status) && WEXITSTATUS(status) == kExitOutputError) return kExitOutputError;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << "dcsim: plotting failed (python3 -m dcsim_analysis plot " << result << ")\n";
    return 1;
  }
  return 0;
}

}  // namespace dcsim
