#include "app/sweep_cli.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>

#include "app/sweep_runner.hpp"
#include "app/sweep_slurm.hpp"
#include "config/sweep.hpp"
#include "core/error.hpp"
#include "output/result_file.hpp"
#include "output/sweep_index.hpp"
#include "output/text_file.hpp"
#include "policy/registry.hpp"

namespace fs = std::filesystem;

namespace dcsim {

namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

bool parse_size(const std::string& s, std::size_t& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

// The MPI job's id, shared by its ranks: claim files of different sweeps (or of an earlier,
// killed run of the same sweep) never mix.
std::string mpi_session() {
  std::string s;
  for (const char* v : {"DCSIM_SWEEP_SESSION", "PMIX_NAMESPACE", "OMPI_MCA_ess_base_jobid"})
    if (const char* x = env(v)) {
      s = x;
      break;
    }
  if (s.empty()) {
    if (const char* j = env("SLURM_JOB_ID")) s = std::string("slurm-") + j + "." + (env("SLURM_STEP_ID") ? env("SLURM_STEP_ID") : "0");
  }
  for (char& c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) c = '_';
  return s;
}

int env_int(const char* name, int def) {
  const char* v = env(name);
  std::size_t n = 0;
  return v && parse_size(v, n) ? static_cast<int>(n) : def;
}

std::string self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("dcsim") : p.string();
}

std::string absolute(const std::string& p) {
  std::error_code ec;
  auto a = fs::absolute(p, ec);
  return ec ? p : a.lexically_normal().string();
}

std::string status_of(const SweepRun& run, const std::string& outdir) {
  if (is_complete_result(run_result_file(outdir, run.id))) return "completed";
  std::error_code ec;
  if (fs::exists(run_failed_file(outdir, run.id), ec)) return "failed";
  return "pending";
}

int build_index(const Sweep& sw, const std::string& outdir, bool quiet) {
  const auto entries = sweep_index_entries(sw, outdir);
  std::size_t completed = 0, failed = 0;
  for (const auto& e : entries) {
    completed += e.status == "completed";
    failed += e.status == "failed";
  }
  const std::string index = (fs::path(outdir) / "index.h5").string();
  try {
    write_sweep_index(index, entries);
  } catch (const OutputError& e) {
    std::cerr << "dcsim sweep: cannot write the index " << e.what() << "\n";
    return kExitOutputError;
  }
  if (!quiet)
    std::cout << "index: " << index << " (" << completed << " completed, " << failed << " failed, "
              << entries.size() - completed - failed << " missing of " << entries.size() << " runs)\n";
  return completed == entries.size() ? 0 : 1;
}

}  // namespace

std::pair<std::size_t, std::size_t> parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  std::size_t i = 0, n = 0;
  if (slash == std::string::npos || !parse_size(text.substr(0, slash), i) || !parse_size(text.substr(slash + 1), n) ||
      n == 0 || i >= n)
    throw InputError(Diagnostic{"--shard", 0, 0, "", "expected I/N with 0 <= I < N, got '" + text + "'"});
  return {i, n};
}

void add_sweep_options(CLI::App& app, SweepCommand& cmd) {
  app.add_option("sweep", cmd.sweep_file, "sweep file (YAML)")->required();
  app.add_option("-o,--outdir", cmd.outdir, "output directory (default: the sweep's output_dir, results/<name>)");
  app.add_option("-j,--jobs", cmd.jobs, "runs at once, one process each (per MPI rank or array task)")
      ->check(CLI::Range(1, 4096));
  app.add_option("--shard", cmd.shard,
                 "run only the runs with index % N == I (I/N); default from SLURM_ARRAY_TASK_ID/COUNT");
  app.add_flag("--mpi", cmd.mpi, "share the runs among MPI ranks (automatic under mpirun)");
  app.add_flag("--emit-slurm", cmd.emit_slurm, "write DIR/<name>.sbatch (job array + index job) and exit");
  app.add_option("--slurm-shards", cmd.slurm_shards, "--emit-slurm: array tasks (default: one per run, at most 1000)");
  app.add_option("--sbatch-option", cmd.sbatch_options, "--emit-slurm: an extra #SBATCH option (repeatable)");
  app.add_flag("--index-only", cmd.index_only, "only (re)build DIR/index.h5 from the results present");
  app.add_flag("--list", cmd.list, "print the runs (index, id, status, parameters) and exit");
  app.add_flag("-q,--quiet", cmd.quiet, "no progress line and no summary");
  app.add_option("--claim-timeout", cmd.claim_timeout_s,
                 "MPI ranks / array tasks: seconds without a heartbeat after which a worker counts as dead (default 120)")
      ->check(CLI::Range(1.0, 86400.0));
  app.add_option("--max-attempts", cmd.max_attempts,
                 "MPI ranks / array tasks: attempts of a run whose workers died before it counts as failed (default 3)")
      ->check(CLI::Range(1, 100));
  app.add_option("--finish-session", cmd.finish_session,
                 "every worker of this claims session has ended (the Slurm aggregation job): retry or fail the runs "
                 "they left, then build the index");
}

int sweep_command(const SweepCommand& cmd, const std::atomic<bool>& stop) {
  SweepLoadOptions lo;
  lo.validate_policy = [](const PolicyConfig& cfg, DiagnosticSink& sink) { validate_policy(cfg, sink); };
  const Sweep sw = load_sweep(cmd.sweep_file, lo);
  const std::string outdir = cmd.outdir.empty() ? sw.output_dir : cmd.outdir;

  if (cmd.list) {
    std::cout << "sweep " << sw.name << ": " << sw.runs.size() << " runs of " << sw.base << " → " << outdir << "\n";
    for (const auto& r : sw.runs)
      std::cout << std::setw(6) << r.index << "  " << r.id << "  " << std::left << std::setw(9)
                << status_of(r, outdir) << std::right << "  " << describe_parameters(r) << "\n";
    return 0;
  }
  if (cmd.index_only) return build_index(sw, outdir, cmd.quiet);
  if (cmd.emit_slurm) {
    SlurmScriptOptions so;
    so.dcsim = self_exe();
    so.sweep_file = absolute(cmd.sweep_file);
    so.outdir = absolute(outdir);
    so.workdir = absolute(".");
    so.name = sw.name;
    so.runs = sw.runs.size();
    so.shards = cmd.slurm_shards > 0 ? std::min(cmd.slurm_shards, sw.runs.size()) : std::min<std::size_t>(sw.runs.size(), 1000);
    so.sbatch_options = cmd.sbatch_options;
    std::error_code ec;
    fs::create_directories(so.outdir, ec);
    const std::string path = (fs::path(so.outdir) / (sw.name + ".sbatch")).string();
    write_text_file(path, slurm_script(so));  // OutputError: exit code 3
    fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add, ec);
    std::cout << path << "\n";
    if (!cmd.quiet)
      std::cerr << "sweep " << sw.name << ": " << sw.runs.size() << " runs in " << so.shards
                << " array tasks; submit with: sbatch " << path << "\n";
    return 0;
  }

  SweepPlan plan;
  plan.outdir = outdir;
  plan.jobs = cmd.jobs;
  plan.quiet = cmd.quiet;
  // Shard: the option, else a Slurm array task.
  bool sharded = false;
  std::size_t shard_i = 0, shard_n = 1;
  const bool finishing = !cmd.finish_session.empty();
  if (finishing) {
    // every run of the sweep; the Slurm array variables of the submitting task are ignored
  } else if (!cmd.shard.empty()) {
    std::tie(shard_i, shard_n) = parse_shard(cmd.shard);
    sharded = true;
  } else if (const char* id = env("SLURM_ARRAY_TASK_ID"); id && env("SLURM_ARRAY_TASK_COUNT")) {
    std::size_t tid = 0, count = 0, min = 0;
    if (!parse_size(id, tid) || !parse_size(env("SLURM_ARRAY_TASK_COUNT"), count) ||
        (env("SLURM_ARRAY_TASK_MIN") && !parse_size(env("SLURM_ARRAY_TASK_MIN"), min)) || tid < min)
      throw InputError(Diagnostic{"SLURM_ARRAY_TASK_ID", 0, 0, "", std::string("expected array task numbers, got ") + id});
    std::tie(shard_i, shard_n) = parse_shard(std::to_string(tid - min) + "/" + std::to_string(count));
    sharded = true;
  }
  for (const auto& r : sw.runs)
    if (r.index % shard_n == shard_i) plan.scope.push_back(r.index);
  plan.claim_timeout_s = cmd.claim_timeout_s;
  plan.max_attempts = cmd.max_attempts;
  // A Slurm array task claims its runs too, so that the aggregation job can tell the runs of a
  // killed task (a claim and no result) and take them over.
  const char* array_job = finishing ? nullptr : env("SLURM_ARRAY_JOB_ID");
  const bool slurm_task = array_job && sharded && cmd.shard.empty() && !cmd.mpi && !env("OMPI_COMM_WORLD_SIZE");
  plan.mpi = cmd.mpi || env("OMPI_COMM_WORLD_SIZE") || slurm_task || finishing;
  if (finishing) {
    plan.session = cmd.finish_session;
    for (char& c : plan.session)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) c = '_';
    plan.workers_ended = true;
  } else if (slurm_task) {
    plan.session = std::string("slurm-array-") + array_job;
    for (char& c : plan.session)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) c = '_';
    plan.rank = static_cast<int>(shard_i);
    plan.ranks = static_cast<int>(shard_n);
  } else if (plan.mpi) {
    plan.rank = env_int("OMPI_COMM_WORLD_RANK", env_int("PMI_RANK", 0));
    plan.ranks = env_int("OMPI_COMM_WORLD_SIZE", env_int("PMI_SIZE", 1));
    plan.session = mpi_session();
    if (plan.session.empty())
      throw InputError(Diagnostic{"--mpi", 0, 0, "",
                                  "expected to run under mpirun (PMIX_NAMESPACE or OMPI_MCA_ess_base_jobid) or "
                                  "DCSIM_SWEEP_SESSION set to an id shared by the ranks, got none"});
  }
  plan.label = "dcsim sweep " + sw.name;
  if (finishing) plan.label += " finishing session " + plan.session;
  if (sharded) plan.label += " shard " + std::to_string(shard_i) + "/" + std::to_string(shard_n);
  if (plan.mpi) plan.label += " rank " + std::to_string(plan.rank) + "/" + std::to_string(plan.ranks);
  if (!cmd.quiet)
    std::cerr << "[" << plan.label << "] " << plan.scope.size() << " of " << sw.runs.size() << " runs → " << outdir
              << " (" << plan.jobs << " at once)\n";

  SweepOutcome out = run_sweep_runs(sw, plan, stop);
  if (out.interrupted) {
    std::cerr << "dcsim sweep: interrupted; finished runs are kept, re-run to resume\n";
    return 130;
  }
  std::size_t failed = out.failed;
  // An array task leads nothing: the aggregation job builds the index.
  const bool leader = finishing || (!slurm_task && (!plan.mpi || plan.rank == 0));
  if (plan.mpi && leader && !wait_for_ranks(sw, plan, stop, failed)) {
    std::cerr << "dcsim sweep: interrupted while waiting for the other ranks\n";
    return 130;
  }
  if (!cmd.quiet)
    std::cerr << "[" << plan.label << "] " << out.ran << " ran, " << out.skipped << " skipped (complete), "
              << out.failed << " failed" << (plan.mpi ? ", " + std::to_string(out.others) + " taken by other ranks" : "")
              << (out.retried ? ", " + std::to_string(out.retried) + " taken over from dead workers" : "") << "\n";
  if (slurm_task) return out.failed > 0 ? 1 : 0;
  if (!leader) return 0;
  int rc = failed > 0 ? 1 : 0;
  if (failed > 0)
    std::cerr << "dcsim sweep: " << failed << " run(s) failed (see DIR/<id>.failed and DIR/<id>.log in " << outdir << ")\n";
  if (!sharded) rc = std::max(rc, build_index(sw, outdir, cmd.quiet));
  if (plan.mpi && failed == 0) {
    // Every run of the scope is complete: a rank still starting would skip them all, so the
    // claims of this MPI job are no longer needed.
    std::error_code ec;
    fs::remove_all(claim_dir(outdir, plan.session), ec);
    fs::remove(fs::path(outdir) / ".sweep-claims", ec);  // only if empty
  }
  return rc;
}

}  // namespace dcsim
