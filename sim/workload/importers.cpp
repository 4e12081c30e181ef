#include "workload/importers.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "core/text.hpp"
#include "core/calendar.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "physics/dvfs.hpp"
#include "workload/estimate.hpp"

namespace dcsim {

namespace {

[[noreturn]] void fail(const std::string& file, int line, const std::string& key, const std::string& msg) {
  throw InputError(Diagnostic{file, line, 0, key, msg});
}

std::string trim(std::string_view s) { return std::string(text::trim(s)); }

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t p = line.find(sep, start);
    out.push_back(trim(std::string_view(line).substr(start, p == std::string::npos ? std::string::npos : p - start)));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return out;
}

// Fields are trimmed by split(); a field with inner white space is not a number either way.
std::optional<double> to_number(const std::string& s) {
  if (s.empty() || s != text::trim(s)) return std::nullopt;
  return text::parse_number(s);
}

std::string quote(const std::string& s) { return text::quote(s); }

double number_at(const std::vector<std::string>& f, std::size_t i, const std::string& name,
                 const std::string& file, int line) {
  auto v = to_number(f[i]);
  if (!v) fail(file, line, name, "expected a number, got " + quote(f[i]));
  return *v;
}

// Bounds for numbers cast to integer types (found by fuzzing: casting -3 or 1e300 to an
// integer type is undefined behaviour, so such values are an InputError, not a cast).
constexpr double kMaxJobId = 9007199254740992.0;  // 2^53: every id up to it is exact in a double
constexpr double kMaxCount = 1e6;                 // GPUs of one job or one Helios class, |priority|
constexpr std::size_t kMaxHeliosJobs = 1'000'000; // jobs synthesised from one Helios load series

// A job id: an integer in [lo, 2^53].
JobId id_at(double v, double lo, const std::string& raw, const std::string& name,
            const std::string& file, int line) {
  if (!(v >= lo && v <= kMaxJobId && v == std::floor(v)))
    fail(file, line, name, "expected an integer id in [" + std::to_string(static_cast<int>(lo)) +
                               ", 2^53], got " + quote(raw));
  return static_cast<JobId>(v);
}

// A count (GPUs, priority) within ±1e6, truncated toward zero as before.
int count_of(double v, const std::string& raw, const std::string& name, const std::string& file,
             int line) {
  if (!(std::fabs(v) <= kMaxCount))
    fail(file, line, name, "expected a number in [-1e6, 1e6], got " + quote(raw));
  return static_cast<int>(v);
}

// A CSV header: column name → index; missing required columns are an error at line 1.
struct Header {
  std::unordered_map<std::string, std::size_t> index;
  std::size_t size = 0;
  std::size_t at(const std::string& name) const { return index.at(name); }
  bool has(const std::string& name) const { return index.count(name) > 0; }
};

Header read_header(std::istream& in, const std::string& file, const std::vector<std::string>& required) {
  std::string line;
  if (!std::getline(in, line)) fail(file, 1, "", "expected a header line, got an empty file");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  Header h;
  const auto cols = split(line, ',');
  h.size = cols.size();
  for (std::size_t i = 0; i < cols.size(); ++i) h.index[cols[i]] = i;
  for (const auto& r : required) {
    if (!h.has(r)) fail(file, 1, r, "expected a column named " + r + ", got header " + quote(line));
  }
  return h;
}

// Maps a job to a profile by the configured rule.
class ProfileMapper {
 public:
  ProfileMapper(const TraceImportSpec& spec, const Catalogue& cat, std::uint64_t seed)
      : spec_(spec), cat_(cat), rng_(seed, "workload.trace.mix") {
    const ProfileRule r = spec.profile_rule;
    cat.by_name(spec.default_profile);
    if (r == ProfileRule::by_gpus) {
      if (spec.profile_map.empty()) {
        thresholds_ = cat.trace_gpu_rule;
      } else {
        for (const auto& [k, v] : spec.profile_map) {
          auto n = to_number(k);
          if (!n || *n < 0) {
            throw InputError(Diagnostic{spec.file, 0, 0, "profile_map." + k,
                                        "expected a minimum GPU count >= 0 as key, got " + quote(k)});
          }
          thresholds_[static_cast<int>(*n)] = v;
        }
      }
      for (const auto& [g, name] : thresholds_) cat.by_name(name);
    }
    if (r == ProfileRule::by_column) {
      for (const auto& [k, v] : spec.profile_map) cat.by_name(v);
    }
    if (r == ProfileRule::mix && cat.default_mix.empty()) {
      throw InputError(Diagnostic{spec.file, 0, 0, "profile_rule", "expected a catalogue with a default mix for rule mix"});
    }
  }

  const ProfileSpec& pick(int gpus, const std::string& column_value) {
    const ProfileRule r = spec_.profile_rule;
    if (r == ProfileRule::by_gpus && !thresholds_.empty()) {
      const std::string* name = &thresholds_.begin()->second;
      for (const auto& [g, n] : thresholds_) {
        if (g <= gpus) name = &n;
      }
      return cat_.by_name(*name);
    }
    if (r == ProfileRule::by_column) {
      auto it = spec_.profile_map.find(column_value);
      if (it != spec_.profile_map.end()) return cat_.by_name(it->second);
    }
    if (r == ProfileRule::mix) {
      double total = 0;
      for (const auto& [k, v] : cat_.default_mix) total += v;
      const double u = rng_.uniform() * total;
      double c = 0;
      for (const auto& [k, v] : cat_.default_mix) {
        c += v;
        if (u < c) return cat_.by_name(k);
      }
    }
    return cat_.by_name(spec_.default_profile);
  }

 private:
  const TraceImportSpec& spec_;
  const Catalogue& cat_;
  RngStream rng_;
  std::map<int, std::string> thresholds_;
};

Job job_from_runtime(const ProfileSpec& p, const Catalogue& cat, JobId id, Seconds submit, int gpus,
                     Seconds runtime) {
  Job j;
  j.request.id = id;
  j.request.submit_s = submit;
  j.request.gpus = gpus;
  j.request.profile = p.name;
  j.request.kind = p.kind;
  j.profile = make_profile(p, cat.reference, gpus, runtime);
  return j;
}

bool limit_reached(const TraceImportSpec& spec, std::size_t n) {
  return spec.limit && n >= static_cast<std::size_t>(std::max(0, *spec.limit));
}

}  // namespace

// ---- SWF ---------------------------------------------------------------------------------------
ImportResult import_swf(std::istream& in, const std::string& file, const TraceImportSpec& spec,
                        const Catalogue& cat, std::uint64_t seed) {
  static const char* names[18] = {"job_number", "submit_time", "wait_time", "run_time",
                                  "allocated_processors", "average_cpu_time", "used_memory",
                                  "requested_processors", "requested_time", "requested_memory",
                                  "status", "user_id", "group_id", "executable", "queue",
                                  "partition", "preceding_job", "think_time"};
  ProfileMapper rule(spec, cat, seed);
  ImportResult res;
  std::string line;
  int line_no = 0;
  std::optional<double> t0;
  std::unordered_set<JobId> ids;
  std::vector<std::pair<std::size_t, JobId>> preceding;  // job index, preceding id
  DiagnosticSink errors;  // every bad line, with its line number (printed capped: core/diagnostics.hpp)
  while (std::getline(in, line)) {
    ++line_no;
    try {
      const auto c = line.find(';');
      if (c != std::string::npos) line.erase(c);
      std::istringstream ls(line);
      std::vector<std::string> f;
      std::string tok;
      while (ls >> tok) f.push_back(tok);
      if (f.empty()) continue;
      if (f.size() != 18) {
        fail(file, line_no, "", "expected 18 whitespace-separated SWF fields, got " + std::to_string(f.size()));
      }
      double v[18];
      for (std::size_t i = 0; i < 18; ++i) v[i] = number_at(f, i, names[i], file, line_no);
      if (limit_reached(spec, res.jobs.size())) break;
      double procs = v[4] > 0 ? v[4] : v[7];
      double runtime = v[3] >= 0 ? v[3] : v[8];
      if (procs <= 0 || runtime < 0) {
        ++res.skipped;  // no processor count or no run time: nothing to replay
        continue;
      }
      const JobId job_id = id_at(v[0], 0, f[0], names[0], file, line_no);
      const double gpus_asked = std::round(procs / std::max(1e-9, spec.procs_per_gpu));
      if (!(gpus_asked <= kMaxCount))
        fail(file, line_no, names[4], "expected at most 1e6 GPUs (processors / procs_per_gpu), got " + quote(v[4] > 0 ? f[4] : f[7]));
      if (!t0) t0 = v[1];
      const int gpus = std::max(1, static_cast<int>(gpus_asked));
      std::string column;
      if (spec.profile_column == "queue") column = f[14];
      else if (spec.profile_column == "partition") column = f[15];
      else if (spec.profile_column == "executable") column = f[13];
      else if (spec.profile_column == "user") column = f[11];
      const ProfileSpec& p = rule.pick(gpus, column);
      Job j = job_from_runtime(p, cat, job_id, (v[1] - *t0) * spec.time_scale, gpus, runtime);
      if (v[8] > 0) j.request.walltime_estimate_s = v[8];
      j.request.user = "u" + f[11];
      if (v[16] > 0) preceding.emplace_back(res.jobs.size(), id_at(v[16], 1, f[16], names[16], file, line_no));
      ids.insert(j.request.id);
      res.jobs.push_back(std::move(j));
    } catch (const InputError& e) {
      for (const Diagnostic& d : e.diagnostics()) errors.add(d);
    }
  }
  errors.throw_if_any();
  std::size_t unknown = 0;
  for (const auto& [i, dep] : preceding) {
    if (ids.count(dep)) res.jobs[i].request.depends_on.push_back(dep);
    else ++unknown;
  }
  if (unknown) res.notes.push_back(std::to_string(unknown) + " preceding-job links to jobs not in the file were ignored");
  return res;
}

// ---- Alibaba GPU 2023 (openb pod list) -------------------------------------------------------------
ImportResult import_alibaba_gpu_2023(std::istream& in, const std::string& file,
                                     const TraceImportSpec& spec, const Catalogue& cat,
                                     std::uint64_t seed) {
  ProfileMapper rule(spec, cat, seed);
  const Header h = read_header(in, file, {"name", "num_gpu", "gpu_milli", "qos", "creation_time",
                                          "deletion_time", "scheduled_time"});
  ImportResult res;
  std::string line;
  int line_no = 1;
  std::size_t pending = 0, shared = 0, host_only = 0;
  const std::size_t c_gpu = h.at("num_gpu"), c_milli = h.at("gpu_milli"), c_create = h.at("creation_time"),
                    c_delete = h.at("deletion_time"), c_sched = h.at("scheduled_time"), c_qos = h.at("qos");
  std::optional<std::string> column_name;
  if (!spec.profile_column.empty()) {
    if (!h.has(spec.profile_column)) fail(file, 1, "profile_column", "expected a column of the file, got " + quote(spec.profile_column));
    column_name = spec.profile_column;
  }
  DiagnosticSink errors;  // every bad line, with its line number (printed capped: core/diagnostics.hpp)
  while (std::getline(in, line)) {
    ++line_no;
    try {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (trim(line).empty()) continue;
      const auto f = split(line, ',');
      if (f.size() != h.size) {
        fail(file, line_no, "", "expected " + std::to_string(h.size) + " comma-separated fields, got " + std::to_string(f.size()));
      }
      if (limit_reached(spec, res.jobs.size())) break;
      const double num_gpu = number_at(f, c_gpu, "num_gpu", file, line_no);
      const double milli = number_at(f, c_milli, "gpu_milli", file, line_no);
      const double created = number_at(f, c_create, "creation_time", file, line_no);
      const double deleted = number_at(f, c_delete, "deletion_time", file, line_no);
      double start = created;
      if (f[c_sched].empty()) {
        ++pending;
      } else {
        start = number_at(f, c_sched, "scheduled_time", file, line_no);
      }
      if (num_gpu < 0 || num_gpu != std::floor(num_gpu)) fail(file, line_no, "num_gpu", "expected an integer >= 0, got " + quote(f[c_gpu]));
      if (milli < 0 || milli > 1000) fail(file, line_no, "gpu_milli", "expected a number in [0, 1000], got " + quote(f[c_milli]));
      if (deleted < start) fail(file, line_no, "deletion_time", "expected a time >= the start (" + f[c_sched] + "), got " + quote(f[c_delete]));
      const int gpus = count_of(num_gpu, f[c_gpu], "num_gpu", file, line_no);
      const ProfileSpec& p = rule.pick(gpus, column_name ? f[h.at(*column_name)] : std::string());
      Job j = job_from_runtime(p, cat, static_cast<JobId>(res.jobs.size() + 1), created * spec.time_scale,
                               gpus, deleted - start);
      if (gpus == 0) ++host_only;
      if (gpus == 1 && milli < 1000) {
        // A GPU-sharing pod: one whole GPU in dcsim, at its share of the profile's activity.
        const double s = milli / 1000.0;
        j.profile.utilisation *= s;
        j.profile.mfu *= s;
        j.profile.work_flops *= s;
        ++shared;
      }
      j.request.user = f[c_qos];
      j.request.priority = f[c_qos] == "LS" || f[c_qos] == "Guaranteed" ? 1 : 0;
      j.request.preemptible = f[c_qos] == "BE";
      res.jobs.push_back(std::move(j));
    } catch (const InputError& e) {
      for (const Diagnostic& d : e.diagnostics()) errors.add(d);
    }
  }
  errors.throw_if_any();
  res.notes.push_back(std::to_string(pending) + " never-scheduled pods use deletion − creation as run time");
  res.notes.push_back(std::to_string(shared) + " GPU-sharing pods (gpu_milli < 1000) scaled to their share");
  res.notes.push_back(std::to_string(host_only) + " pods without GPU imported as host-only jobs");
  return res;
}

// ---- Helios load series ------------------------------------------------------------------------
ImportResult import_helios(std::istream& in, const std::string& file, const TraceImportSpec& spec,
                           const Catalogue& cat, std::uint64_t seed) {
  ProfileMapper rule(spec, cat, seed);
  const std::vector<std::string> cols = {"time", "running_gpu_num_noless_8", "pending_gpu_num_noless_8",
                                         "running_gpu_num_less_8", "pending_gpu_num_less_8"};
  const Header h = read_header(in, file, cols);
  struct Block { Seconds start; int gpus; };
  struct Class { int block; std::vector<Block> open; int demand = 0; };
  Class classes[2] = {{8, {}, 0}, {1, {}, 0}};
  std::vector<std::pair<Block, Seconds>> done;  // block, end
  std::string line;
  int line_no = 1;
  std::optional<double> t0;
  Seconds t = 0, last_t = 0;
  // A few kB of rows alternating between 0 and 10^6 GPUs would synthesise 10^8 jobs and
  // exhaust memory (found by fuzzing): refuse series that need more than kMaxHeliosJobs.
  std::size_t created = 0;
  auto add_block = [&](Class& k, Seconds start, int gpus) {
    if (++created > kMaxHeliosJobs)
      fail(file, line_no, "", "expected a load series that synthesises at most 1e6 jobs, got more by this line "
                              "(the real Helios Earth series synthesises 2,211)");
    k.open.push_back({start, gpus});
    k.demand += gpus;
  };
  DiagnosticSink errors;  // every bad line, with its line number (printed capped: core/diagnostics.hpp)
  while (std::getline(in, line)) {
    ++line_no;
    try {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (trim(line).empty()) continue;
      const auto f = split(line, ',');
      if (f.size() != h.size) {
        fail(file, line_no, "", "expected " + std::to_string(h.size) + " comma-separated fields, got " + std::to_string(f.size()));
      }
      auto ct = parse_datetime(f[h.at("time")]);
      if (!ct) fail(file, line_no, "time", "expected a date-time like 2020-05-01 00:00:00, got " + quote(f[h.at("time")]));
      const double unix_t = unix_from_civil(*ct);
      if (!t0) t0 = unix_t;
      t = (unix_t - *t0) * spec.time_scale;
      if (t < last_t) fail(file, line_no, "time", "expected times in increasing order, got " + quote(f[h.at("time")]));
      last_t = t;
      const int demand[2] = {
          count_of(number_at(f, h.at(cols[1]), cols[1], file, line_no) + number_at(f, h.at(cols[2]), cols[2], file, line_no),
                   f[h.at(cols[1])] + " + " + f[h.at(cols[2])], cols[1] + " + " + cols[2], file, line_no),
          count_of(number_at(f, h.at(cols[3]), cols[3], file, line_no) + number_at(f, h.at(cols[4]), cols[4], file, line_no),
                   f[h.at(cols[3])] + " + " + f[h.at(cols[4])], cols[3] + " + " + cols[4], file, line_no)};
      for (int c = 0; c < 2; ++c) {
        Class& k = classes[c];
        const int target = std::max(0, demand[c]);
        while (k.demand > target) {  // end the most recent blocks
          Block b = k.open.back();
          k.open.pop_back();
          k.demand -= b.gpus;
          done.emplace_back(b, t);
          if (k.demand < target) {  // partly ended: the rest continues as a new block
            add_block(k, t, target - k.demand);
          }
        }
        while (k.demand < target) {
          add_block(k, t, std::min(k.block, target - k.demand));
        }
      }
    } catch (const InputError& e) {
      for (const Diagnostic& d : e.diagnostics()) errors.add(d);
    }
  }
  errors.throw_if_any();
  const Seconds end = t + 60.0 * spec.time_scale;
  for (Class& k : classes) {
    for (const Block& b : k.open) done.emplace_back(b, end);
  }
  std::stable_sort(done.begin(), done.end(), [](const auto& a, const auto& b) { return a.first.start < b.first.start; });
  ImportResult res;
  for (const auto& [b, e] : done) {
    if (limit_reached(spec, res.jobs.size())) break;
    const ProfileSpec& p = rule.pick(b.gpus, "");
    res.jobs.push_back(job_from_runtime(p, cat, static_cast<JobId>(res.jobs.size() + 1), b.start, b.gpus, e - b.start));
  }
  return res;
}

// ---- Azure LLM inference ---------------------------------------------------------------------------
struct AzureLlmReader::Impl {
  Impl(std::istream& i, const std::string& f, double ts) : in(i), file(f), time_scale(ts) {}
  std::istream& in;
  std::string file;
  double time_scale;
  Header h;
  int line_no = 1;
  std::optional<double> t0;
};

AzureLlmReader::AzureLlmReader(std::istream& in, const std::string& file, double time_scale)
    : impl_(std::make_unique<Impl>(in, file, time_scale)) {
  impl_->h = read_header(in, file, {"TIMESTAMP", "ContextTokens", "GeneratedTokens"});
}

AzureLlmReader::~AzureLlmReader() = default;

bool AzureLlmReader::next(AzureLlmRecord& r) {
  Impl& m = *impl_;
  std::string line;
  while (std::getline(m.in, line)) {
    ++m.line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    const auto f = split(line, ',');
    const std::string& file = m.file;
    const int line_no = m.line_no;
    if (f.size() != m.h.size) {
      fail(file, line_no, "", "expected " + std::to_string(m.h.size) + " comma-separated fields, got " + std::to_string(f.size()));
    }
    auto ct = parse_datetime(f[m.h.at("TIMESTAMP")]);
    if (!ct) fail(file, line_no, "TIMESTAMP", "expected a date-time like 2023-11-16 18:17:03.98, got " + quote(f[m.h.at("TIMESTAMP")]));
    const double ctx = number_at(f, m.h.at("ContextTokens"), "ContextTokens", file, line_no);
    const double gen = number_at(f, m.h.at("GeneratedTokens"), "GeneratedTokens", file, line_no);
    if (ctx < 0 || gen < 0) fail(file, line_no, "ContextTokens", "expected token counts >= 0, got " + quote(line));
    const double ut = unix_from_civil(*ct);
    if (!m.t0) m.t0 = ut;
    r.t_s = (ut - *m.t0) * m.time_scale;
    r.context_tokens = ctx;
    r.generated_tokens = gen;
    r.line = line_no;
    return true;
  }
  return false;
}

ImportResult import_azure_llm(std::istream& in, const std::string& file, const TraceImportSpec& spec,
                              const Catalogue& cat) {
  AzureLlmReader reader(in, file, spec.time_scale);
  // The default profile if it is an inference profile, else the catalogue's llm_decode.
  const ProfileSpec* dp = cat.find(spec.default_profile);
  const ProfileSpec& p = dp && dp->decode_tokens_per_s > 0 ? *dp : cat.by_name("llm_decode");
  if (p.decode_tokens_per_s <= 0 || p.prefill_tokens_per_s <= 0) {
    throw InputError(Diagnostic{spec.file, 0, 0, "profile",
                                "expected an inference profile with prefill_tokens_per_s and decode_tokens_per_s, got " + quote(p.name)});
  }
  // Memory-bound decoding reads every weight per token: rates scale with 1/parameters.
  const double scale = p.model_params > 0 && spec.serving_params > 0 ? p.model_params / spec.serving_params : 1.0;
  const double prefill = p.prefill_tokens_per_s * scale, decode = p.decode_tokens_per_s * scale;
  const double peak = effective_peak_flops(cat.reference.accelerator, p.precision);
  ImportResult res;
  struct Window { Seconds start = -1; double runtime = 0; double tokens = 0; };
  Window w;
  auto emit = [&](Seconds submit, double runtime, double tokens) {
    Job j = job_from_runtime(p, cat, static_cast<JobId>(res.jobs.size() + 1), submit, 1, runtime);
    j.request.kind = JobKind::inference;
    j.profile.work_flops = 2.0 * spec.serving_params * tokens;
    j.profile.mfu = runtime > 0 && peak > 0 ? j.profile.work_flops / (runtime * peak) : p.mfu;
    j.profile.model_params = spec.serving_params;
    res.jobs.push_back(std::move(j));
  };
  AzureLlmRecord rec;
  while (reader.next(rec)) {
    const Seconds t = rec.t_s;
    const double ctx = rec.context_tokens, gen = rec.generated_tokens;
    const double runtime = ctx / prefill + gen / decode;
    if (spec.aggregate_s > 0) {
      const Seconds ws = std::floor(t / spec.aggregate_s) * spec.aggregate_s;
      if (w.start >= 0 && ws != w.start) {
        if (limit_reached(spec, res.jobs.size())) break;
        emit(w.start, w.runtime, w.tokens);
        w = Window{};
      }
      w.start = ws;
      w.runtime += runtime;
      w.tokens += ctx + gen;
    } else {
      if (limit_reached(spec, res.jobs.size())) break;
      emit(t, runtime, ctx + gen);
    }
  }
  if (w.start >= 0 && !limit_reached(spec, res.jobs.size())) emit(w.start, w.runtime, w.tokens);
  return res;
}

// ---- dcsim CSV -----------------------------------------------------------------------------------
namespace {
const std::vector<std::string> kCsvColumns = {"id", "submit_s", "gpus", "profile", "kind", "duration_s",
                                              "work_flops", "walltime_estimate_s", "deadline_s", "priority",
                                              "deferrable", "preemptible", "user", "depends_on"};

std::optional<JobKind> kind_from(const std::string& s) {
  if (s == "training" || s.empty()) return JobKind::training;
  if (s == "fine_tuning") return JobKind::fine_tuning;
  if (s == "evaluation") return JobKind::evaluation;
  if (s == "inference") return JobKind::inference;
  return std::nullopt;
}
const char* kind_name(JobKind k) {
  switch (k) {
    case JobKind::training: return "training";
    case JobKind::fine_tuning: return "fine_tuning";
    case JobKind::evaluation: return "evaluation";
    case JobKind::inference: return "inference";
  }
  return "training";
}
}  // namespace

ImportResult import_dcsim_csv(std::istream& in, const std::string& file, const TraceImportSpec& spec,
                              const Catalogue& cat) {
  const Header h = read_header(in, file, {"id", "submit_s", "gpus", "profile"});
  for (const auto& [name, idx] : h.index) {
    if (std::find(kCsvColumns.begin(), kCsvColumns.end(), name) == kCsvColumns.end()) {
      fail(file, 1, name, "expected one of the dcsim-csv columns (id, submit_s, gpus, profile, kind, duration_s, "
                          "work_flops, walltime_estimate_s, deadline_s, priority, deferrable, preemptible, user, "
                          "depends_on), got " + quote(name));
    }
  }
  if (!h.has("duration_s") && !h.has("work_flops")) {
    fail(file, 1, "duration_s", "expected a duration_s or work_flops column, got neither");
  }
  auto col = [&](const std::vector<std::string>& f, const char* name) -> std::string {
    return h.has(name) ? f[h.at(name)] : std::string();
  };
  ImportResult res;
  std::string line;
  int line_no = 1;
  std::unordered_set<JobId> seen;
  DiagnosticSink errors;  // every bad line, with its line number (printed capped: core/diagnostics.hpp)
  while (std::getline(in, line)) {
    ++line_no;
    try {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (trim(line).empty() || trim(line)[0] == '#') continue;
      const auto f = split(line, ',');
      if (f.size() != h.size) {
        fail(file, line_no, "", "expected " + std::to_string(h.size) + " comma-separated fields, got " + std::to_string(f.size()));
      }
      if (limit_reached(spec, res.jobs.size())) break;
      const double id = number_at(f, h.at("id"), "id", file, line_no);
      const JobId job_id = id_at(id, 1, f[h.at("id")], "id", file, line_no);
      if (!seen.insert(job_id).second) fail(file, line_no, "id", "expected a unique id, got a repeated " + quote(f[h.at("id")]));
      const double submit = number_at(f, h.at("submit_s"), "submit_s", file, line_no);
      if (submit < 0) fail(file, line_no, "submit_s", "expected a time >= 0, got " + quote(f[h.at("submit_s")]));
      const double gpus = number_at(f, h.at("gpus"), "gpus", file, line_no);
      if (gpus < 0 || gpus != std::floor(gpus)) fail(file, line_no, "gpus", "expected an integer >= 0, got " + quote(f[h.at("gpus")]));
      const std::string pname = f[h.at("profile")];
      const ProfileSpec* p = cat.find(pname.empty() ? spec.default_profile : pname);
      if (!p) fail(file, line_no, "profile", "expected a profile of the catalogue, got " + quote(pname));
      const auto kind = kind_from(col(f, "kind"));
      if (!kind) fail(file, line_no, "kind", "expected training, fine_tuning, evaluation or inference, got " + quote(col(f, "kind")));
      const std::string dur_s = col(f, "duration_s"), work_s = col(f, "work_flops");
      double duration = 0;
      if (!dur_s.empty()) {
        duration = number_at(f, h.at("duration_s"), "duration_s", file, line_no);
        if (duration < 0) fail(file, line_no, "duration_s", "expected a duration >= 0, got " + quote(dur_s));
      } else if (work_s.empty()) {
        fail(file, line_no, "duration_s", "expected a duration_s or a work_flops value, got neither");
      }
      Job j = job_from_runtime(*p, cat, job_id, submit * spec.time_scale,
                               count_of(gpus, f[h.at("gpus")], "gpus", file, line_no), duration);
      j.request.kind = *kind;
      if (!work_s.empty()) {
        const double w = number_at(f, h.at("work_flops"), "work_flops", file, line_no);
        if (w < 0) fail(file, line_no, "work_flops", "expected a number >= 0, got " + quote(work_s));
        j.profile.work_flops = w;
      }
      if (!col(f, "walltime_estimate_s").empty()) j.request.walltime_estimate_s = number_at(f, h.at("walltime_estimate_s"), "walltime_estimate_s", file, line_no);
      if (!col(f, "deadline_s").empty()) j.request.deadline_s = number_at(f, h.at("deadline_s"), "deadline_s", file, line_no) * spec.time_scale;
      if (!col(f, "priority").empty())
        j.request.priority = count_of(number_at(f, h.at("priority"), "priority", file, line_no), col(f, "priority"), "priority", file, line_no);
      for (const char* b : {"deferrable", "preemptible"}) {
        const std::string v = col(f, b);
        if (v.empty()) continue;
        if (v != "0" && v != "1" && v != "true" && v != "false") fail(file, line_no, b, "expected 0, 1, true or false, got " + quote(v));
        (std::string(b) == "deferrable" ? j.request.deferrable : j.request.preemptible) = (v == "1" || v == "true");
      }
      j.request.user = col(f, "user");
      const std::string deps = col(f, "depends_on");
      if (!deps.empty()) {
        for (const auto& d : split(deps, ';')) {
          auto v = to_number(d);
          if (!v || *v < 1) fail(file, line_no, "depends_on", "expected job ids separated by ';', got " + quote(deps));
          j.request.depends_on.push_back(id_at(*v, 1, d, "depends_on", file, line_no));
        }
      }
      res.jobs.push_back(std::move(j));
    } catch (const InputError& e) {
      for (const Diagnostic& d : e.diagnostics()) errors.add(d);
    }
  }
  errors.throw_if_any();
  return res;
}

void write_dcsim_csv(std::ostream& out, const std::vector<Job>& jobs, const ReferencePlatform& ref) {
  out << "id,submit_s,gpus,profile,kind,duration_s,work_flops,walltime_estimate_s,deadline_s,priority,"
         "deferrable,preemptible,user,depends_on\n";
  char buf[512];
  for (const Job& j : jobs) {
    const JobRequest& r = j.request;
    std::string deadline;
    if (r.deadline_s) {
      std::snprintf(buf, sizeof buf, "%.17g", *r.deadline_s);
      deadline = buf;
    }
    std::string deps;
    for (JobId d : r.depends_on) deps += (deps.empty() ? "" : ";") + std::to_string(d);
    std::snprintf(buf, sizeof buf, "%llu,%.17g,%d,%s,%s,%.17g,%.17g,%.17g,%s,%d,%d,%d,%s,%s\n",
                  static_cast<unsigned long long>(r.id), r.submit_s, r.gpus, r.profile.c_str(),
                  kind_name(r.kind), reference_runtime_s(j.profile, r.gpus, ref), j.profile.work_flops,
                  r.walltime_estimate_s, deadline.c_str(), r.priority, int(r.deferrable), int(r.preemptible),
                  r.user.c_str(), deps.c_str());
    out << buf;
  }
}

// ---- dispatch ------------------------------------------------------------------------------------
ImportResult import_trace(const TraceImportSpec& spec, const Catalogue& cat, std::uint64_t seed) {
  std::ifstream in(spec.file);
  if (!in) throw InputError(Diagnostic{spec.file, 0, 0, "file", "expected a readable trace file, got one that cannot be opened"});
  switch (spec.format) {
    case JobTraceFormat::swf: return import_swf(in, spec.file, spec, cat, seed);
    case JobTraceFormat::alibaba_gpu_2023: return import_alibaba_gpu_2023(in, spec.file, spec, cat, seed);
    case JobTraceFormat::helios: return import_helios(in, spec.file, spec, cat, seed);
    case JobTraceFormat::azure_llm: return import_azure_llm(in, spec.file, spec, cat);
    case JobTraceFormat::dcsim_csv: return import_dcsim_csv(in, spec.file, spec, cat);
  }
  throw std::logic_error("import_trace: a JobTraceFormat outside its name table");
}

}  // namespace dcsim
