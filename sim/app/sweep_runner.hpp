#pragma once
// The sweep runner: runs a sweep's scenarios as child processes (one simulation per process:
// SimGrid's engine is a process-wide singleton), up to `jobs` at a time.
//
// Each run is `<this dcsim> run BASE --set k=v … -o DIR/<id>.h5 --quiet`, started with
// fork/exec of /proc/self/exe, its stdout and stderr in DIR/<id>.log. The child dies with its
// parent (PR_SET_PDEATHSIG), so a SIGKILLed sweep leaves no orphan writing results.
//
// Files in the output directory DIR:
//   <id>.h5            the run's result; exists only once complete (the writer renames its
//                      "<id>.h5.partial-<pid>" at the end), so a re-run skips it (resume)
//   <id>.h5.partial-<pid>  a run being written; when this process finishes a run it removes
//                      every partial file of that run (leftovers of killed attempts)
//   <id>.log           the run's stderr/stdout (kept if not empty)
//   <id>.failed        why the run failed (exit status and last error line); removed when the
//                      run later succeeds
//   index.h5           the sweep index (output/sweep_index.hpp), parameters as coordinates
//   .sweep-claims/<session>/<id>.claim   claims mode (MPI ranks, Slurm array tasks): a worker
//                      runs a run only after creating its claim with O_CREAT|O_EXCL, so ranks
//                      share runs dynamically (first come, first served) without linking MPI;
//                      <id>.failed there records failures of this session for rank 0, which
//                      waits until every run is complete or failed and then writes the index;
//                      it removes the session's claims when no run failed.
//   .sweep-claims/<session>/<id>.claim.<k>   attempt k (>= 2) of a run whose worker died.
//
// Dead workers (claims mode). A claim holds "rank R pid P host H"; its holder touches it (mtime)
// every claim_timeout/4 while the run is running (the heartbeat). A claim without a result and
// without a failure marker is dead when its heartbeat is older than claim_timeout, when its
// holder ran on this host and that pid is gone, or when every worker is known to have ended
// (workers_ended: the Slurm aggregation job, which starts after every array task has ended).
// Every worker, once it has nothing of its own left, keeps watching the runs of its scope (every
// claim_timeout/10, 0.25-5 s) until
// each is complete or failed: a dead claim is taken over by creating the next attempt's claim
// (O_EXCL: exactly one worker wins) and the run is started again from scratch (the dead
// attempt's partial file is never reused: it is removed when the new attempt ends). After
// max_attempts attempts whose workers died, the run is recorded as failed. A run never runs
// twice once it has a complete result (it is skipped).
//
// Interrupted (SIGINT/SIGTERM seen through `stop`): children get SIGTERM (a `dcsim run`
// removes its partial file and exits 130), are killed after 10 s if still running, their
// partial files removed; the outcome says interrupted.
#include <atomic>
#include <cstddef>
#include <string>
#include <vector>

#include "config/sweep.hpp"
#include "output/sweep_index.hpp"

namespace dcsim {

struct SweepPlan {
  std::string outdir;
  std::vector<std::size_t> scope;  // indices of the runs this process (or MPI job) is responsible for
  int jobs = 1;                    // child processes at once
  bool mpi = false;                // claim runs in .sweep-claims/<session>/
  int rank = 0;
  int ranks = 1;
  std::string session;             // MPI job id (shared by all ranks)
  double claim_timeout_s = 120;    // claims mode: a claim whose heartbeat is older is dead
  int max_attempts = 3;            // claims mode: attempts of a run whose workers died
  bool workers_ended = false;      // claims mode: every other worker has ended (claims are dead)
  bool quiet = false;
  std::string label = "dcsim sweep";
};

struct SweepOutcome {
  std::size_t ran = 0;       // finished successfully in this process
  std::size_t skipped = 0;   // complete before
  std::size_t failed = 0;    // failed in this process
  std::size_t others = 0;    // claimed by other MPI ranks
  std::size_t retried = 0;   // runs taken over from a dead worker (claims mode)
  bool interrupted = false;
  std::vector<std::string> failures;  // one message per failed run
};

std::string run_result_file(const std::string& outdir, const std::string& id);  // DIR/<id>.h5
std::string run_log_file(const std::string& outdir, const std::string& id);     // DIR/<id>.log
std::string run_failed_file(const std::string& outdir, const std::string& id);  // DIR/<id>.failed
std::string claim_dir(const std::string& outdir, const std::string& session);

SweepOutcome run_sweep_runs(const Sweep& sweep, const SweepPlan& plan, const std::atomic<bool>& stop);

// MPI rank 0: waits until every run of the scope has a result or a failure marker of this
// session. False if interrupted. `failed` receives how many runs failed in this session.
bool wait_for_ranks(const Sweep& sweep, const SweepPlan& plan, const std::atomic<bool>& stop, std::size_t& failed);

// The index entries of every run of the sweep: status completed (complete result), failed
// (a <id>.failed marker) or missing.
std::vector<SweepRunEntry> sweep_index_entries(const Sweep& sweep, const std::string& outdir);

}  // namespace dcsim
