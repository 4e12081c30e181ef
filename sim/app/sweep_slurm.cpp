#include "app/sweep_slurm.hpp"

#include <sstream>

namespace dcsim {

std::string shell_quote(const std::string& s) {
  std::string o = "'";
  for (char c : s) {
    if (c == '\'') o += "'\\''";
    else o += c;
  }
  return o + "'";
}

std::string slurm_script(const SlurmScriptOptions& o) {
  std::ostringstream s;
  const std::string dcsim = shell_quote(o.dcsim), sweep = shell_quote(o.sweep_file), dir = shell_quote(o.outdir);
  s << "#!/bin/bash\n"
    << "# Written by `dcsim sweep --emit-slurm` for sweep " << o.name << ": " << o.runs << " runs in "
    << o.shards << " array tasks.\n"
    << "# Submit with:  sbatch " << o.outdir << "/" << o.name << ".sbatch\n"
    << "# Task i runs the runs whose index % " << o.shards << " == i (dcsim reads SLURM_ARRAY_TASK_ID and\n"
    << "# SLURM_ARRAY_TASK_COUNT); runs whose complete result exists are skipped, so submitting again\n"
    << "# resumes the sweep. The first task submits the aggregation job, which starts after every\n"
    << "# task has ended (afterany), runs again the runs a killed task left without a result (or\n"
    << "# records them failed after 3 attempts) and builds " << o.outdir << "/index.h5.\n"
    << "#SBATCH --job-name=dcsim-" << o.name << "\n"
    << "#SBATCH --array=0-" << (o.shards > 0 ? o.shards - 1 : 0) << "\n"
    << "#SBATCH --ntasks=1\n"
    << "#SBATCH --cpus-per-task=1\n"
    << "#SBATCH --chdir=" << o.workdir << "\n"
    << "#SBATCH --output=" << o.outdir << "/slurm-%A_%a.out\n";
  for (const auto& opt : o.sbatch_options) s << "#SBATCH " << opt << "\n";
  s << "set -eu\n"
    << "if [ \"${SLURM_ARRAY_TASK_ID}\" = \"${SLURM_ARRAY_TASK_MIN:-0}\" ]; then\n"
    << "  sbatch --parsable --job-name=dcsim-" << o.name << "-index --dependency=afterany:${SLURM_ARRAY_JOB_ID} \\\n"
    << "    --ntasks=1 --chdir=" << shell_quote(o.workdir) << " --output=" << shell_quote(o.outdir + "/slurm-%j-index.out")
    << " \\\n"
    << "    --wrap=" << shell_quote(dcsim + " sweep " + sweep + " -o " + dir + " --finish-session slurm-array-")
    << "\"${SLURM_ARRAY_JOB_ID}\"\n"
    << "fi\n"
    << "exec " << dcsim << " sweep " << sweep << " -o " << dir << "\n";
  return s.str();
}

}  // namespace dcsim
