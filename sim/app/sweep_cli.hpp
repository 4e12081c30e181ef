#pragma once
// `dcsim sweep`: expands a sweep file and runs its scenarios on local worker processes, as MPI
// ranks or as a Slurm job-array shard; resumable; builds the sweep index.
#include <atomic>
#include <string>

namespace CLI { class App; }

namespace dcsim {

struct SweepCommand {
  std::string sweep_file;
  std::string outdir;      // default: results/<sweep name>
  int jobs = 1;            // local worker processes
  std::string shard;       // "I/N" (or from SLURM_ARRAY_TASK_ID/COUNT)
  bool mpi = false;        // share runs among MPI ranks (OMPI_COMM_WORLD_RANK/SIZE)
  bool emit_slurm = false; // write an sbatch script instead of running
  bool index_only = false; // only (re)build the index from existing results
  bool list = false;       // print the expanded runs and exit
  bool quiet = false;
};

void add_sweep_options(CLI::App& app, SweepCommand& cmd);
int sweep_command(const SweepCommand& cmd, const std::atomic<bool>& stop);

}  // namespace dcsim
