#pragma once
// Trace importers: real job logs → dcsim jobs (request + profile). Formats and the mapping
// rules are specified in workloads/README.md; in short:
//
//   swf               Standard Workload Format (Parallel Workloads Archive): 18 whitespace-
//                     separated fields per line, ';' starts a comment. gpus = processors
//                     (allocated, else requested) / procs_per_gpu; run time (else requested
//                     time) → work on the reference; requested time → walltime estimate;
//                     field 17 (preceding job) → depends_on when that job is in the file.
//   alibaba-gpu-2023  openb_pod_list (Weng et al., ATC 2023): one job per pod. gpus = num_gpu;
//                     a pod sharing a GPU (gpu_milli < 1000) gets one whole GPU at
//                     gpu_milli/1000 of its profile's utilisation and work; a 0-GPU pod is a
//                     host-only job (gpus 0, cpu_runtime_s). Run time = deletion − scheduled;
//                     a never-scheduled (Pending) pod uses deletion − creation.
//   helios            a minute load series (Hu et al., SC 2021): jobs are synthesised so that
//                     the GPU demand (running + pending) of the ≥8-GPU and <8-GPU classes is
//                     reproduced exactly (at most 10^6 jobs; a series needing more is an
//                     InputError): a rise by Δ GPUs submits blocks (8 GPUs in the ≥8
//                     class, 1 GPU in the <8 class), a fall ends the most recent blocks (LIFO).
//   azure-llm         request streams (Patel et al., ISCA 2024): inference jobs of 1 GPU;
//                     run time on the reference = context/prefill rate + generated/decode rate
//                     of the `llm_decode` profile (batch-1 decoding, 140 W on the H200).
//   dcsim-csv         our own job format (header row, see README).
// Profile rules: fixed (default_profile), by-gpus (largest min-GPU threshold ≤ job's GPUs;
// catalogue default trace_gpu_rule unless profile_map is given), by-column (profile_map from a
// column's value; default_profile otherwise), mix (drawn from the catalogue's default mix with
// stream "workload.trace.<i>"); dcsim-csv and azure-llm give their profile themselves.
// Times are relative to the trace's first record (placed at t = 0) and multiplied by
// time_scale. Errors: a malformed line throws InputError naming the file and line.
#include <cstdint>
#include <istream>
#include <memory>
#include <string>
#include <vector>

#include "model/job.hpp"
#include "model/specs.hpp"
#include "workload/catalogue.hpp"

namespace dcsim {

struct ImportResult {
  std::vector<Job> jobs;       // ids as in the trace where it has them, else 1..N
  std::size_t skipped = 0;     // records that could not become jobs (documented per format)
  std::vector<std::string> notes;
};

// Dispatch on spec.format; reads spec.file.
ImportResult import_trace(const TraceImportSpec& spec, const Catalogue& cat, std::uint64_t seed);

// From a stream; `file` is used in diagnostics.
ImportResult import_swf(std::istream& in, const std::string& file, const TraceImportSpec& spec,
                        const Catalogue& cat, std::uint64_t seed);
ImportResult import_alibaba_gpu_2023(std::istream& in, const std::string& file,
                                     const TraceImportSpec& spec, const Catalogue& cat,
                                     std::uint64_t seed);
ImportResult import_helios(std::istream& in, const std::string& file, const TraceImportSpec& spec,
                           const Catalogue& cat, std::uint64_t seed);
ImportResult import_azure_llm(std::istream& in, const std::string& file,
                              const TraceImportSpec& spec, const Catalogue& cat);

// The azure-llm parser itself (import_azure_llm and the serving traffic both read through it):
// one record per non-blank line after the header (TIMESTAMP, ContextTokens, GeneratedTokens);
// times relative to the first record, multiplied by time_scale. A malformed line throws
// InputError naming the file and line.
struct AzureLlmRecord {
  Seconds t_s = 0;
  double context_tokens = 0;
  double generated_tokens = 0;
  int line = 0;
};
class AzureLlmReader {
 public:
  AzureLlmReader(std::istream& in, const std::string& file, double time_scale = 1.0);
  ~AzureLlmReader();
  bool next(AzureLlmRecord& r);  // false at the end

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};
ImportResult import_dcsim_csv(std::istream& in, const std::string& file,
                              const TraceImportSpec& spec, const Catalogue& cat);

// Writes jobs in the dcsim-csv format (what import_dcsim_csv reads back).
void write_dcsim_csv(std::ostream& out, const std::vector<Job>& jobs, const ReferencePlatform& ref);

}  // namespace dcsim
