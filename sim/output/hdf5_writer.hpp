#pragma once
// Hdf5Recorder: the Recorder that writes one run to a netCDF-4-compatible HDF5 file
// (analysis/SCHEMA.md). Streaming with bounded memory: site rows, entity rows, jobs, events and
// serving requests are buffered one chunk at a time (Hdf5Options::chunk_rows) and appended to extendible
// chunked, compressed datasets, so memory does not grow with simulated time.
//
// Safe writing: the file is created at construction as "<final>.partial-<pid>" in the final
// directory (created if missing), with root attribute complete = 0. finish() writes the summary,
// sets complete = 1, closes the file and renames it to the final path (atomic on POSIX).
// abort(), a failing finish() followed by destruction, or destruction without finish() remove
// the partial file. Errors are thrown as OutputError.
#include <cstddef>
#include <memory>
#include <string>

#include "output/output_error.hpp"
#include "output/recorder.hpp"

namespace dcsim {

struct Hdf5Options {
  std::size_t chunk_rows = 4096;  // rows per chunk (and per write) of series and tables
  int compression_level = 1;      // deflate level 0..9 (with shuffle); 0 = uncompressed
  bool entity_series = true;      // false: begin_entities/append_entity_sample are ignored
};

class Hdf5Recorder final : public Recorder {
 public:
  explicit Hdf5Recorder(std::string final_path, Hdf5Options options = {});
  ~Hdf5Recorder() override;
  Hdf5Recorder(const Hdf5Recorder&) = delete;
  Hdf5Recorder& operator=(const Hdf5Recorder&) = delete;

  void begin(const RunMetadata& meta, const std::vector<SeriesSpec>& site_series) override;
  void append_sample(Seconds t, std::span<const double> values) override;
  void add_job(const JobRecord& job) override;
  void add_event(const EventRecord& ev) override;
  void begin_requests() override;
  void add_request(const ServingRequestRecord& r) override;
  void begin_entities(const std::string& dim, std::span<const std::int64_t> ids,
                      const std::vector<SeriesSpec>& series) override;
  void append_entity_sample(const std::string& dim, Seconds t, std::span<const double> values) override;
  void finish(const RunSummary& summary) override;
  void abort() noexcept override;

  const std::string& final_path() const;
  const std::string& partial_path() const;  // where the file is while being written

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "<final>.partial-<pid>": the name a run file has while it is written.
std::string partial_path_for(const std::string& final_path, long pid);

// Removes "<final>.partial-<pid>" files left by processes that no longer run on this host (a
// run killed by SIGKILL cannot clean up after itself). Called by the Hdf5Recorder constructor.
// Returns how many files were removed.
std::size_t remove_stale_partials(const std::string& final_path);

}  // namespace dcsim
