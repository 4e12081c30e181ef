#pragma once
// Jobs. A JobRequest is what a scheduler may see (what the user asked for); a JobProfile is how
// the job really runs (hidden from policies, used by the engine and physics).
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/enum_names.hpp"
#include "core/units.hpp"

namespace dcsim {

enum class JobKind { training, fine_tuning, evaluation, inference };

struct JobRequest {
  JobId id = 0;
  Seconds submit_s = 0;               // simulated time of submission
  int gpus = 1;                       // accelerators requested
  Seconds walltime_estimate_s = 0;    // user's estimate (may be wrong); 0 = none
  std::optional<Seconds> deadline_s;  // latest acceptable end (carbon-aware shifting honours it)
  int priority = 0;                   // higher runs first for priority schedulers
  bool deferrable = false;            // may be delayed by energy/carbon policies
  bool preemptible = false;           // may be suspended (checkpoint/restart)
  bool elastic = false;               // may run on between min_gpus and max_gpus
  int min_gpus = 0;
  int max_gpus = 0;
  std::string profile;                // catalogue profile name ("image_classification", ...)
  std::string user;
  JobKind kind = JobKind::training;
  std::vector<JobId> depends_on;      // starts only after these completed
};

struct JobProfile {
  std::string name;               // profile name
  Flops work_flops = 0;           // total work (model FLOPs of the whole training)
  std::string precision = "bf16";
  double mfu = 0.4;               // achieved fraction of peak at f_max on one accelerator
  double compute_share = 1.0;     // shares of a step at f_max; they sum to 1
  double memory_share = 0.0;
  double io_share = 0.0;          // data loading / preprocessing (CPU and I/O)
  double intensity = 1.0;         // compute intensity: the clock-scaled share of full power at u=1
  Watts memory_power_w = 0;       // clock-independent memory power above idle while kernels run (W)
  double utilisation = 1.0;       // mean accelerator utilisation while running
  double scaling_efficiency = 1.0;  // parallel efficiency at the requested GPU count
  double host_load = 0.3;         // host CPU load fraction while running
  Bytes comm_bytes_per_gpu = 0;   // gradient all-reduce traffic per GPU over the job (multi-node)
  Seconds checkpoint_interval_s = 0;  // 0 = no checkpoints
  Seconds checkpoint_cost_s = 0;      // time to write one checkpoint / restart from one
  int model_year = 0;
  double model_params = 0;
  std::string optimisation;        // "", "quantisation", "pruning", ... (comma-separated)
  double quality_cost = 0;         // accuracy points lost to the optimisation
  // Run time of a job that uses no accelerator (JobRequest::gpus == 0, e.g. CPU-only pods of a
  // cluster trace): it occupies host resources only, independent of any accelerator. 0 otherwise.
  Seconds cpu_runtime_s = 0;
};

struct Job {
  JobRequest request;
  JobProfile profile;
};

enum class JobOutcome { completed, killed, rejected, unfinished };
inline constexpr Named<JobOutcome> kJobOutcomeNames[] = {{JobOutcome::completed, "completed"},
                                                         {JobOutcome::killed, "killed"},
                                                         {JobOutcome::rejected, "rejected"},
                                                         {JobOutcome::unfinished, "unfinished"}};
constexpr std::span<const Named<JobOutcome>> names_of(JobOutcome) { return kJobOutcomeNames; }
inline const char* to_string(JobOutcome o) { return name_of(o).data(); }

}  // namespace dcsim
