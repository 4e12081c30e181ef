#pragma once
// `dcsim sweep --emit-slurm`: a ready sbatch script for a sweep.
//
// The script is a job array of `shards` tasks (0..shards-1); task i runs
// `dcsim sweep SWEEP -o DIR`, which reads SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT and runs
// the runs whose index % shards == i (already complete ones are skipped, so resubmitting the
// script resumes the sweep). The array's first task submits the aggregation job
// (`--dependency=afterany:<array job>`,
// `dcsim sweep SWEEP -o DIR --finish-session slurm-array-<array job>`) which, once every task
// has ended (failed, killed or not), runs again the runs a dead task left without a result (up
// to --max-attempts, then records them failed) and builds DIR/index.h5. Submit with
// `sbatch DIR/<name>.sbatch`.
#include <string>
#include <vector>

namespace dcsim {

struct SlurmScriptOptions {
  std::string dcsim;        // absolute path of the dcsim binary
  std::string sweep_file;   // absolute
  std::string outdir;       // absolute
  std::string workdir;      // absolute: the directory the tasks run in
  std::string name;         // sweep name (job names)
  std::size_t shards = 1;   // array tasks
  std::size_t runs = 0;     // for the header comment
  std::vector<std::string> sbatch_options;  // extra "#SBATCH <option>" lines, e.g. --partition=cpu
};

std::string slurm_script(const SlurmScriptOptions& o);
// Single-quotes a word for the shell.
std::string shell_quote(const std::string& s);

}  // namespace dcsim
