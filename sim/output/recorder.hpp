#pragma once
// The Recorder: what the engine writes as a run goes. The HDF5 implementation (hdf5_writer)
// streams series and tables to disk in chunks, so memory does not grow with simulated time.
// Schema: analysis/SCHEMA.md (schema_version below). Variable names carry their unit.
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <span>
#include <string>
#include <vector>

#include "core/enum_names.hpp"
#include "core/units.hpp"
#include "model/job.hpp"
#include "output/summary_keys.hpp"

namespace dcsim {

inline constexpr const char* kSchemaVersion = "1.1";

struct SeriesSpec {
  std::string name;       // e.g. "facility_power_w"
  std::string units;      // CF/UDUNITS units string, e.g. "W", "1", "gCO2e/kWh"
  std::string long_name;  // human description
  // Shuffle + deflate this series (when the recorder compresses at all). Off for continuous
  // quantities (powers, PUE, utilisation, rates): deflate gains only 1.2-1.25x on their
  // mantissas while costing most of the writer's time (analysis/SCHEMA.md, "Storage").
  bool compress = true;
};

struct RunMetadata {
  std::string scenario_name;
  std::string scenario_yaml;      // resolved scenario, for provenance
  std::uint64_t seed = 0;
  std::string time_units;         // CF: "seconds since 2024-01-01T00:00:00Z"
  Seconds sample_s = 900;
  std::map<std::string, std::string> input_checksums;  // path → sha256 hex
  std::map<std::string, std::string> attributes;       // extra string attributes
  std::string simgrid_version;
};

// One row of the job table.
struct JobRecord {
  JobId id = 0;
  std::string profile;
  int year = 0;
  Seconds submit_s = 0, start_s = -1, end_s = -1;   // -1: never started / never ended
  int gpus = 0;
  Joules energy_j = 0;         // IT energy attributed to the job (accelerators + host share)
  double emissions_g = 0;      // location-based, facility overhead included
  double mean_freq_mhz = 0;
  Seconds delay_s = 0;         // start − submit
  std::string optimisation;
  double quality_cost = 0;
  JobOutcome outcome = JobOutcome::unfinished;  // written as to_string(outcome)
  std::string reason;          // why, for killed / rejected
  // Marginal emissions (g), facility overhead included; NaN when the run has no marginal data.
  double emissions_marginal_g = std::numeric_limits<double>::quiet_NaN();
  bool deferrable = false;
  Seconds deadline_s = -1;     // -1: none
  Seconds full_speed_s = -1;   // run time at f_max without caps, delays or queue; -1: never started
};

// The kinds of the event table (analysis/SCHEMA.md, "Events"); the name is written only by the
// writer (hdf5_writer.cpp), tests/python/test_schema.py checks SCHEMA.md lists exactly these.
enum class EventKind : std::uint8_t {
  pstate, power_on, power_off, booted, shut_down, cap, preempt, resize, battery_mode,
  serving_replica_add, serving_replica_release,
  thermal_throttle_start, thermal_throttle_end, chiller_failure_start, chiller_failure_end,
  fleet_install, fleet_retire, cooling_upgrade,
};
inline constexpr Named<EventKind> kEventKindNames[] = {
    {EventKind::pstate, "pstate"},
    {EventKind::power_on, "power_on"},
    {EventKind::power_off, "power_off"},
    {EventKind::booted, "booted"},
    {EventKind::shut_down, "shut_down"},
    {EventKind::cap, "cap"},
    {EventKind::preempt, "preempt"},
    {EventKind::resize, "resize"},
    {EventKind::battery_mode, "battery_mode"},
    {EventKind::serving_replica_add, "serving_replica_add"},
    {EventKind::serving_replica_release, "serving_replica_release"},
    {EventKind::thermal_throttle_start, "thermal_throttle_start"},
    {EventKind::thermal_throttle_end, "thermal_throttle_end"},
    {EventKind::chiller_failure_start, "chiller_failure_start"},
    {EventKind::chiller_failure_end, "chiller_failure_end"},
    {EventKind::fleet_install, "fleet_install"},
    {EventKind::fleet_retire, "fleet_retire"},
    {EventKind::cooling_upgrade, "cooling_upgrade"}};
constexpr std::span<const Named<EventKind>> names_of(EventKind) { return kEventKindNames; }

// One row of the request table (LLM serving, request fidelity): a completed or rejected request.
struct ServingRequestRecord {
  std::uint64_t id = 0;           // the request's id within its deployment's streams
  std::int32_t deployment = 0;    // index into serving.deployments
  std::int32_t stream = 0;        // index into the deployment's streams
  std::int64_t replica = -1;      // the serving replica that finished (or rejected) it
  std::int64_t node = -1;         // the node that replica ran on; -1 when no longer known
  Seconds arrival_s = 0;
  Seconds first_token_s = -1;     // -1: none (rejected)
  Seconds end_s = 0;              // last token (completed) or rejection time
  std::int32_t prompt_tokens = 0, output_tokens = 0, preemptions = 0;
  Seconds ttft_s = -1, tpot_s = -1;  // -1: none (rejected; TPOT also for single-token outputs)
  std::int32_t slo_met = -1;      // 1/0 against the deployment's SLO; -1: the deployment has none
  std::string outcome;            // completed | rejected
};

struct EventRecord {
  Seconds time_s = 0;
  EventKind kind = EventKind::pstate;
  std::int64_t target = -1;  // node or rack id, -1 = site
  double value = 0;
};

// The run summary, written as root attributes (`summary_*`) and printed by the CLI.
// Keys are registered in output/summary_keys.hpp; check_summary_keys() and summary_value()
// make an unregistered (mistyped) key an error, never a silent 0.
struct RunSummary {
  std::map<std::string, double> values;   // name (with unit in the name) → value
  std::map<std::string, std::string> text;
};

// Throws std::logic_error naming every key of `s` that output/summary_keys.hpp does not register.
inline void check_summary_keys(const RunSummary& s) {
  std::string bad;
  for (const auto& [k, v] : s.values)
    if (!is_summary_key(k)) bad += (bad.empty() ? "" : ", ") + k;
  for (const auto& [k, v] : s.text)
    if (!contains_key(kSummaryTextKeys, k)) bad += (bad.empty() ? "" : ", ") + k;
  if (!bad.empty()) throw std::logic_error("run summary: keys not registered in output/summary_keys.hpp: " + bad);
}

// The value of a registered key; nullopt when this run did not write it (e.g. pv_capacity_factor
// without PV). Throws std::logic_error for a key that is not registered.
inline std::optional<double> summary_value(const RunSummary& s, std::string_view key) {
  if (!is_summary_key(key))
    throw std::logic_error("run summary: no key '" + std::string(key) + "' (output/summary_keys.hpp)");
  auto it = s.values.find(std::string(key));
  if (it == s.values.end()) return std::nullopt;
  return it->second;
}

class Recorder {
 public:
  virtual ~Recorder() = default;
  // Declare the site series (in order) and optional per-entity series before the first sample.
  virtual void begin(const RunMetadata& meta, const std::vector<SeriesSpec>& site_series) = 0;
  // One row of interval averages: time is the interval's start; values in begin()'s order.
  virtual void append_sample(Seconds t, std::span<const double> values) = 0;
  virtual void add_job(const JobRecord& job) = 0;
  virtual void add_event(const EventRecord& ev) = 0;
  // The request table (analysis/SCHEMA.md, "request"): begin_requests() once after begin() and
  // before the first add_request; only runs that write a request table call them, so files of
  // other runs have no request dimension.
  virtual void begin_requests() = 0;
  virtual void add_request(const ServingRequestRecord& r) = 0;
  // Optional per-entity series (per rack, per node, ...), opt-in: declare a group after begin()
  // and before the first sample. `dim` names the entity dimension ("rack"), `ids` are the
  // entity ids (its coordinate), `series` the variables (names used as given, e.g.
  // "rack_it_power_w"), each 2-D (time, dim). Recorders that do not support them ignore them.
  virtual void begin_entities(const std::string& dim, std::span<const std::int64_t> ids,
                              const std::vector<SeriesSpec>& series) {
    (void)dim, (void)ids, (void)series;
  }
  // One row of a group, for the site row just appended (call append_sample(t, …) first, then
  // append_entity_sample(dim, t, …) with the same t). values[s * ids.size() + e] is series s of
  // entity e (series-major).
  virtual void append_entity_sample(const std::string& dim, Seconds t, std::span<const double> values) {
    (void)dim, (void)t, (void)values;
  }
  // Write the summary, mark the file complete and make it visible under its final name.
  virtual void finish(const RunSummary& summary) = 0;
  // Abandon the run: remove partial output.
  virtual void abort() noexcept = 0;
};

// A recorder that keeps everything in memory (tests, benchmarks without output).
class MemoryRecorder final : public Recorder {
 public:
  void begin(const RunMetadata& meta, const std::vector<SeriesSpec>& site_series) override {
    meta_ = meta;
    series = site_series;
  }
  void append_sample(Seconds t, std::span<const double> values) override {
    times.push_back(t);
    rows.emplace_back(values.begin(), values.end());
  }
  void add_job(const JobRecord& job) override { jobs.push_back(job); }
  void add_event(const EventRecord& ev) override { events.push_back(ev); }
  void begin_requests() override { requests_begun = true; }
  void add_request(const ServingRequestRecord& r) override { requests.push_back(r); }
  void begin_entities(const std::string& dim, std::span<const std::int64_t> ids,
                      const std::vector<SeriesSpec>& s) override {
    entity_groups[dim] = EntityGroup{{ids.begin(), ids.end()}, s, {}, {}};
  }
  void append_entity_sample(const std::string& dim, Seconds t, std::span<const double> values) override {
    auto& g = entity_groups.at(dim);
    g.times.push_back(t);
    g.rows.emplace_back(values.begin(), values.end());
  }
  void finish(const RunSummary& s) override {
    summary = s;
    finished = true;
  }
  void abort() noexcept override { aborted = true; }

  std::size_t column(const std::string& name) const {
    for (std::size_t i = 0; i < series.size(); ++i)
      if (series[i].name == name) return i;
    return static_cast<std::size_t>(-1);
  }

  RunMetadata meta_;
  std::vector<SeriesSpec> series;
  std::vector<Seconds> times;
  std::vector<std::vector<double>> rows;
  std::vector<JobRecord> jobs;
  std::vector<EventRecord> events;
  bool requests_begun = false;
  std::vector<ServingRequestRecord> requests;
  struct EntityGroup {
    std::vector<std::int64_t> ids;
    std::vector<SeriesSpec> series;
    std::vector<Seconds> times;
    std::vector<std::vector<double>> rows;
  };
  std::map<std::string, EntityGroup> entity_groups;
  RunSummary summary;
  bool finished = false;
  bool aborted = false;
};

}  // namespace dcsim
