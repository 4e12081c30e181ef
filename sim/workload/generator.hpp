#pragma once
// Job-stream generators. The engine calls generate_jobs() once and gets the whole stream,
// sorted by submit time (ties in generation order), with ids 1..N and depends_on remapped.
//
// Generators (WorkloadSpec::generator):
//   fixed         `jobs` jobs of `fixed_profile` with `gpus_per_job` GPUs each; work
//                 `work_flops_per_job` (or drawn from the profile's duration distribution);
//                 job i (0-based) submitted at i · interarrival_s (arrival_process regular) or
//                 after exponential gaps of mean interarrival_s (poisson; stream
//                 "workload.arrivals"), the first one gap after t = 0.
//   research-lab  non-homogeneous Poisson arrivals (Lewis–Shedler thinning):
//                   λ(t) = λ0 · G^{t/yr} · (1 + a_d·cos(2π(h(t) − h_peak)/24)) · w(t) · b(t)
//                 λ0 = jobs_per_year / 365 d, G = jobs_growth_per_year, h(t) the UTC hour,
//                 w = 1 + a_w on Mon–Fri and 1 − 2.5·a_w on Sat–Sun (mean 1 over a week,
//                 a_w ≤ 0.4), b = burst factor in the window before each deadline (else 1).
//                 Each arrival draws a profile from the mix of its year, a GPU count and a
//                 duration from the profile; its work is scaled by the model-growth trend
//                 (work_at(y) / work_at(reference_year))^year_elasticity when
//                 scale_work_with_year. An arrival becomes a hyperparameter sweep (N variants,
//                 ln-work spread sweep_spread) with probability sweep_fraction, a pretrain →
//                 fine-tune → evaluate chain with probability chain_fraction, else one job.
//   trace         the jobs of every WorkloadSpec::traces entry (importers.hpp).
//   none          no synthetic jobs (traces are still imported).
// Traces listed in WorkloadSpec::traces are imported for every generator and merged.
// GPU-less jobs of a trace (Alibaba pods with num_gpu 0, dcsim-csv rows with gpus 0) are
// skipped, with the jobs that depend on them, and counted in a note ("trace <file>: N jobs
// without a GPU skipped"): dcsim places jobs on GPUs only, so they could never start.
// Jobs submitted at or after span_s are dropped (with their dependants).
// Optimisations: each technique of WorkloadSpec::optimisations is applied to a job with
// probability = its share (techniques in name order; they stack).
// Random streams (core/rng.hpp): "workload.arrivals", "workload.mix", "workload.size",
// "workload.structure", "workload.sweep", "workload.flags", "workload.optimisation",
// "workload.fixed", "workload.trace.<i>".
#include <cstdint>
#include <string>
#include <vector>

#include "core/calendar.hpp"
#include "core/units.hpp"
#include "model/job.hpp"
#include "model/platform.hpp"
#include "model/specs.hpp"
#include "workload/catalogue.hpp"

namespace dcsim {

struct GenerateOptions {
  // The accelerator the jobs will run on: power figures are adapted to it
  // (adapt_to_accelerator). nullptr = keep the reference accelerator's figures.
  const AcceleratorSpec* accelerator = nullptr;
  // Receives what the importers report (one line per note, prefixed by the trace file) and
  // what the generator skipped (provenance of the result). nullptr = not collected.
  std::vector<std::string>* notes = nullptr;
};

std::vector<Job> generate_jobs(const WorkloadSpec& spec, const Calendar& calendar, Seconds span_s,
                               std::uint64_t seed, const Catalogue& catalogue,
                               const GenerateOptions& options = {});

// Checks a WorkloadSpec against the catalogue (profiles in mixes exist, shares and cycles in
// range, techniques known); throws InputError with every problem.
void validate_workload(const WorkloadSpec& spec, const Catalogue& catalogue);

// Sorts by submit time (stable), renumbers ids 1..N and remaps depends_on; drops jobs submitted
// at or after span_s (and jobs depending on dropped ones). Checks the dependency graph.
void finalise_stream(std::vector<Job>& jobs, Seconds span_s);

// Every field of every job, one line each, doubles in hexadecimal (exact): two streams are
// equal byte for byte iff this text is.
std::string serialise_jobs(const std::vector<Job>& jobs);

}  // namespace dcsim
