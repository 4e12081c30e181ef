#pragma once
// `dcsim sweep`: expands a sweep file and runs its scenarios on local worker processes, as MPI
// ranks or as a Slurm job-array shard; resumable; builds the sweep index.
//
// Modes (scenarios/README.md, "Sweeps"):
//   local   `dcsim sweep S.yaml --jobs N`: N child processes at once; index at the end.
//   shard   `--shard I/N`, or SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT in the environment
//           (I = TASK_ID - SLURM_ARRAY_TASK_MIN): only runs with index % N == I; no index
//           (build it afterwards with --index-only).
//   mpi     `--mpi`, or OMPI_COMM_WORLD_SIZE in the environment (under `mpirun -n K`): ranks
//           share the runs dynamically through O_EXCL claim files (no MPI library linked);
//           rank 0 waits for every run and writes the index. Other ranks exit 0 unless
//           interrupted; rank 0's exit code tells whether any run failed. A rank that dies is
//           noticed by the others (its claims' heartbeat stops, or its pid is gone on this host)
//           and its runs are started again (sweep_runner.hpp, "Dead workers"); this needs
//           `mpirun --enable-recovery`, without which mpirun kills every rank when one dies (then
//           re-running the sweep resumes it).
//   slurm   an array task (SLURM_ARRAY_JOB_ID set) claims its shard's runs in the session
//           slurm-array-<SLURM_ARRAY_JOB_ID>; the aggregation job of --emit-slurm runs
//           `--finish-session slurm-array-<id>` after every task has ended: it retries the runs a
//           killed task left (or records them failed after --max-attempts) and builds the index.
// Exit codes: 0 every run of the scope complete; 1 some run failed (or the index could not be
// written); 2 bad input; 130 interrupted (children are stopped, no partial file is left).
#include <atomic>
#include <string>
#include <vector>

namespace CLI { class App; }

namespace dcsim {

struct SweepCommand {
  std::string sweep_file;
  std::string outdir;      // default: the sweep's output_dir (results/<sweep name>)
  int jobs = 1;            // local worker processes (per MPI rank / array task)
  std::string shard;       // "I/N" (or from SLURM_ARRAY_TASK_ID/COUNT)
  bool mpi = false;        // share runs among MPI ranks (OMPI_COMM_WORLD_RANK/SIZE)
  bool emit_slurm = false; // write an sbatch script instead of running
  bool index_only = false; // only (re)build the index from existing results
  bool list = false;       // print the expanded runs and exit
  bool quiet = false;
  std::size_t slurm_shards = 0;            // --emit-slurm: array tasks (0: one per run, at most 1000)
  std::vector<std::string> sbatch_options; // --emit-slurm: extra #SBATCH lines
  double claim_timeout_s = 120;            // claims mode: heartbeat timeout of a worker
  int max_attempts = 3;                    // claims mode: attempts of a run whose workers died
  std::string finish_session;              // every worker of this claims session has ended:
                                           // retry (or fail) what they left, build the index
};

void add_sweep_options(CLI::App& app, SweepCommand& cmd);
int sweep_command(const SweepCommand& cmd, const std::atomic<bool>& stop);

// "I/N" → (I, N); throws InputError unless 0 <= I < N.
std::pair<std::size_t, std::size_t> parse_shard(const std::string& text);

}  // namespace dcsim
