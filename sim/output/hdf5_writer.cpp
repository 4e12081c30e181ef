#include "output/hdf5_writer.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <set>
#include <system_error>

#include "output/h5.hpp"
#include "output/provenance.hpp"

namespace dcsim {

std::string partial_path_for(const std::string& final_path, long pid) {
  return final_path + ".partial-" + std::to_string(pid);
}

std::size_t remove_stale_partials(const std::string& final_path) {
  namespace fs = std::filesystem;
  const fs::path fp(final_path);
  const fs::path dir = fp.parent_path().empty() ? fs::path(".") : fp.parent_path();
  const std::string prefix = fp.filename().string() + ".partial-";
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (pid_text.empty() || pid_text.size() > 9 ||
        !std::all_of(pid_text.begin(), pid_text.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    const long pid = std::stol(pid_text);
    if (pid == static_cast<long>(::getpid())) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to judge)
    std::error_code rm;
    if (fs::remove(it->path(), rm)) ++removed;
  }
  return removed;
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr hsize_t kUnlimited = H5S_UNLIMITED;
using H5::PredType;
// Target size of one chunk of a per-entity series (float32): big enough for deflate to work,
// small enough that a buffered chunk per series stays a few hundred KiB.
constexpr std::size_t kEntityChunkBytes = 256 * 1024;
constexpr std::size_t kMaxEntityChunkCols = 65536;

bool valid_name(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += b;
        } else {
          out += c;
        }
    }
  }
  return out;
}

// One column of a table (job or event), buffered one chunk at a time.
struct Column {
  enum class Kind { F64, I64, I32, Str };
  Kind kind = Kind::F64;
  H5::DataSet ds;
  std::vector<double> f64;
  std::vector<std::int64_t> i64;
  std::vector<std::int32_t> i32;
  std::vector<std::string> str;
  std::vector<const char*> ptrs;
};

struct ColumnSpec {
  const char* name;
  Column::Kind kind;
  const char* units;  // nullptr: CF time units of the run
  const char* long_name;
  bool compress = true;  // see SeriesSpec::compress
};

const ColumnSpec kJobColumns[] = {
    {"job_id", Column::Kind::I64, "1", "job id"},
    {"job_profile", Column::Kind::Str, "1", "workload profile name"},
    {"job_year", Column::Kind::I32, "1", "model-generation year of the job's profile"},
    {"job_submit_time", Column::Kind::F64, nullptr, "submission time", false},
    {"job_start_time", Column::Kind::F64, nullptr, "start time (NaN if never started)", false},
    {"job_end_time", Column::Kind::F64, nullptr, "end time (NaN if never ended)", false},
    {"job_gpus", Column::Kind::I32, "1", "accelerators allocated"},
    {"job_energy_kwh", Column::Kind::F64, "kWh", "IT energy attributed to the job", false},
    {"job_emissions_kg", Column::Kind::F64, "kg", "location-based emissions (kgCO2e), facility overhead included", false},
    {"job_mean_freq_mhz", Column::Kind::F64, "MHz", "time-weighted mean accelerator clock while running"},
    {"job_delay_s", Column::Kind::F64, "s", "start - submit (NaN if never started)"},
    {"job_optimisation", Column::Kind::Str, "1", "optimisation applied"},
    {"job_quality_cost", Column::Kind::F64, "1", "model-quality cost of the optimisation"},
    {"job_outcome", Column::Kind::Str, "1", "completed, killed, rejected or unfinished"},
    {"job_reason", Column::Kind::Str, "1", "why the job was killed or rejected"},
    {"job_emissions_marginal_kg", Column::Kind::F64, "kg", "marginal emissions (kgCO2e), facility overhead included; NaN without marginal data"},
    {"job_deferrable", Column::Kind::I32, "1", "1 if the job may be deferred (carbon or price shifting), else 0"},
    {"job_deadline_time", Column::Kind::F64, nullptr, "deadline (NaN if none)"},
    {"job_full_speed_s", Column::Kind::F64, "s", "run time at full clock without caps, queue or preemption (NaN if never started)"},
};

const ColumnSpec kEventColumns[] = {
    {"event_time", Column::Kind::F64, nullptr, "event time"},
    {"event_kind", Column::Kind::Str, "1", "event kind: pstate, power_on, power_off, booted, shut_down, cap, preempt, battery_mode, ..."},
    {"event_target", Column::Kind::I64, "1", "node, rack or job id the event applies to; -1 = site"},
    {"event_value", Column::Kind::F64, "1", "kind-specific value (pstate: clock in MHz; cap: W), see SCHEMA.md"},
};

// The request table (LLM serving, request fidelity), written only by runs that ask for it.
const ColumnSpec kRequestColumns[] = {
    {"request_id", Column::Kind::I64, "1", "request id within its deployment"},
    {"request_deployment", Column::Kind::I32, "1", "deployment index (the deployment dimension)"},
    {"request_stream", Column::Kind::I32, "1", "request stream index within the deployment"},
    {"request_replica", Column::Kind::I64, "1", "serving replica that finished or rejected it"},
    {"request_node", Column::Kind::I64, "1", "node of that replica (-1 if unknown)"},
    {"request_arrival_time", Column::Kind::F64, nullptr, "arrival time", false},
    {"request_first_token_time", Column::Kind::F64, nullptr, "time of the first output token (NaN if rejected)", false},
    {"request_end_time", Column::Kind::F64, nullptr, "time of the last output token, or of the rejection", false},
    {"request_prompt_tokens", Column::Kind::I32, "1", "prompt tokens"},
    {"request_output_tokens", Column::Kind::I32, "1", "output tokens"},
    {"request_preemptions", Column::Kind::I32, "1", "times the request was preempted (KV cache full, recomputed)"},
    {"request_ttft_s", Column::Kind::F64, "s", "time to first token (NaN if rejected)", false},
    {"request_tpot_s", Column::Kind::F64, "s", "time per output token after the first (NaN if rejected or one token)", false},
    {"request_slo_met", Column::Kind::I32, "1", "1 if TTFT and TPOT met the deployment's SLO, 0 if not, -1 without an SLO"},
    {"request_outcome", Column::Kind::Str, "1", "completed or rejected"},
};

struct Table {
  std::string dim;
  H5::DataSet dim_ds;  // netCDF dimension without a coordinate variable
  std::vector<Column> cols;
  std::size_t buffered = 0;
  std::size_t written = 0;
};

struct EntityGroup {
  std::string dim;
  std::size_t n = 0;
  std::size_t chunk_rows = 1;
  H5::DataSet coord;
  std::vector<H5::DataSet> ds;
  std::vector<float> buf;  // series-major: s * chunk_rows * n + row * n + e
  std::size_t buffered = 0;
  std::size_t written = 0;
};

}  // namespace

struct Hdf5Recorder::Impl {
  enum class State { Created, Begun, Finished, Aborted };

  std::string final_path;
  std::string partial_path;
  Hdf5Options opt;
  State state = State::Created;
  h5::FilePtr file;  // null once closed (or abandoned, see h5::FilePtr)
  std::set<std::string> names;  // every variable and dimension name in the file
  std::string time_units;

  // site series
  H5::DataSet time_ds;
  std::vector<H5::DataSet> series_ds;
  std::vector<double> time_buf;
  std::vector<double> series_buf;  // column-major: c * chunk_rows + row
  std::size_t site_buffered = 0;
  std::size_t site_written = 0;
  double last_t = -std::numeric_limits<double>::infinity();

  std::vector<EntityGroup> groups;
  Table jobs, events, requests;  // requests: only after begin_requests()

  std::size_t site_rows() const { return site_written + site_buffered; }
  int deflate() const { return opt.compression_level; }

  void require(State s, const char* what) const {
    if (state != s) {
      static const char* names_[] = {"before begin()", "after begin()", "after finish()", "after abort()"};
      throw OutputError(std::string("Hdf5Recorder::") + what + " called " +
                        names_[static_cast<int>(state)] + " (" + final_path + ")");
    }
  }

  void claim_name(const std::string& n) {
    if (!valid_name(n))
      throw OutputError("invalid variable name '" + n + "': expected [A-Za-z_][A-Za-z0-9_]*");
    if (!names.insert(n).second) throw OutputError("duplicate variable name '" + n + "' in " + final_path);
  }

  void common_attrs(const H5::H5Object& ds, const std::string& units, const std::string& long_name) {
    h5::set_attr(ds, "units", units);
    h5::set_attr(ds, "long_name", long_name);
  }

  void time_attrs(const H5::H5Object& ds, const std::string& long_name) {
    common_attrs(ds, time_units, long_name);
    h5::set_attr(ds, "calendar", std::string("standard"));
  }

  h5::DatasetLayout rows_layout(bool compress, bool nan_fill) const {
    h5::DatasetLayout l;
    l.dims = {0};
    l.maxdims = {kUnlimited};
    l.chunk = {static_cast<hsize_t>(opt.chunk_rows)};
    l.deflate_level = compress ? deflate() : 0;
    l.nan_fill = nan_fill;
    return l;
  }

  void make_table(Table& t, const std::string& dim, std::span<const ColumnSpec> specs) {
    claim_name(dim);
    t.dim = dim;
    t.dim_ds = h5::create_dataset(*file, dim, PredType::IEEE_F32LE, rows_layout(false, false));
    h5::set_scale(t.dim_ds, h5::netcdf_dim_only_name(0));
    const H5::StrType str_type = h5::vlen_string_type();
    for (const auto& s : specs) {
      claim_name(s.name);
      Column c;
      c.kind = s.kind;
      const H5::DataType* ftype = &PredType::IEEE_F64LE;
      if (s.kind == Column::Kind::I64) ftype = &PredType::STD_I64LE;
      if (s.kind == Column::Kind::I32) ftype = &PredType::STD_I32LE;
      if (s.kind == Column::Kind::Str) ftype = &str_type;
      // Strings are compressed too: that shrinks their 16-byte heap references (the text itself
      // lives in the global heap). netCDF-C and h5py read such variables; only defining a
      // new filtered string variable with netCDF-C is refused. Continuous columns (times,
      // energies, emissions) are not: deflate gains 1.1-1.5x on them for half its time.
      c.ds = h5::create_dataset(*file, s.name, *ftype, rows_layout(s.compress, s.kind == Column::Kind::F64));
      h5::attach_scale(c.ds, t.dim_ds, 0);
      if (s.units)
        common_attrs(c.ds, s.units, s.long_name);
      else
        time_attrs(c.ds, s.long_name);
      if (s.kind == Column::Kind::F64) h5::set_attr(c.ds, "_FillValue", kNaN);
      switch (c.kind) {
        case Column::Kind::F64: c.f64.reserve(opt.chunk_rows); break;
        case Column::Kind::I64: c.i64.reserve(opt.chunk_rows); break;
        case Column::Kind::I32: c.i32.reserve(opt.chunk_rows); break;
        case Column::Kind::Str: c.str.reserve(opt.chunk_rows); c.ptrs.reserve(opt.chunk_rows); break;
      }
      t.cols.push_back(std::move(c));
    }
  }

  void flush_table(Table& t) {
    if (t.buffered == 0) return;
    io("write " + t.dim + " rows " + std::to_string(t.written) + ".." + std::to_string(t.written + t.buffered), [&] {
      const hsize_t off[1] = {t.written};
      const hsize_t cnt[1] = {t.buffered};
      const hsize_t len[1] = {t.written + t.buffered};
      h5::set_extent(t.dim_ds, len);
      const H5::StrType str_type = h5::vlen_string_type();
      for (auto& c : t.cols) {
        h5::set_extent(c.ds, len);
        switch (c.kind) {
          case Column::Kind::F64:
            h5::write_block(c.ds, PredType::NATIVE_DOUBLE, off, cnt, c.f64.data());
            c.f64.clear();
            break;
          case Column::Kind::I64:
            h5::write_block(c.ds, PredType::NATIVE_INT64, off, cnt, c.i64.data());
            c.i64.clear();
            break;
          case Column::Kind::I32:
            h5::write_block(c.ds, PredType::NATIVE_INT32, off, cnt, c.i32.data());
            c.i32.clear();
            break;
          case Column::Kind::Str:
            c.ptrs.clear();
            for (const auto& s : c.str) c.ptrs.push_back(s.c_str());
            h5::write_block(c.ds, str_type, off, cnt, c.ptrs.data());
            c.str.clear();
            break;
        }
      }
    });
    t.written += t.buffered;
    t.buffered = 0;
  }

  void row_added(Table& t) {
    if (++t.buffered == opt.chunk_rows) flush_table(t);
  }

  void flush_site() {
    if (site_buffered == 0) return;
    io("write time and site series rows " + std::to_string(site_written) + ".." + std::to_string(site_written + site_buffered), [&] {
      const hsize_t off[1] = {site_written};
      const hsize_t cnt[1] = {site_buffered};
      const hsize_t len[1] = {site_written + site_buffered};
      h5::set_extent(time_ds, len);
      h5::write_block(time_ds, PredType::NATIVE_DOUBLE, off, cnt, time_buf.data());
      for (std::size_t c = 0; c < series_ds.size(); ++c) {
        h5::set_extent(series_ds[c], len);
        h5::write_block(series_ds[c], PredType::NATIVE_DOUBLE, off, cnt, series_buf.data() + c * opt.chunk_rows);
      }
    });
    site_written += site_buffered;
    site_buffered = 0;
  }

  void flush_group(EntityGroup& g) {
    if (g.buffered == 0) return;
    io("write " + g.dim + " series rows " + std::to_string(g.written) + ".." + std::to_string(g.written + g.buffered), [&] {
      const hsize_t off[2] = {g.written, 0};
      const hsize_t cnt[2] = {g.buffered, g.n};
      const hsize_t len[2] = {g.written + g.buffered, g.n};
      for (std::size_t s = 0; s < g.ds.size(); ++s) {
        h5::set_extent(g.ds[s], len);
        h5::write_block(g.ds[s], PredType::NATIVE_FLOAT, off, cnt, g.buf.data() + s * g.chunk_rows * g.n);
      }
    });
    g.written += g.buffered;
    g.buffered = 0;
  }

  // Closes every dataset (quietly: this is also the error path); true if all closed cleanly.
  bool close_all() noexcept {
    bool ok = true;
    for (auto& g : groups) {
      for (auto& d : g.ds) ok = h5::close_quietly(d) && ok;
      ok = h5::close_quietly(g.coord) && ok;
    }
    for (Table* t : {&jobs, &events, &requests}) {
      if (t->dim.empty()) continue;
      for (auto& c : t->cols) ok = h5::close_quietly(c.ds) && ok;
      ok = h5::close_quietly(t->dim_ds) && ok;
    }
    for (auto& d : series_ds) ok = h5::close_quietly(d) && ok;
    return h5::close_quietly(time_ds) && ok;
  }

  // Runs an HDF5 operation on the partial file: an H5::Exception becomes an OutputError naming
  // the result file (the name the user gave), the operation and the cause.
  template <class F>
  void io(const std::string& operation, F&& f) {
    h5::guarded_write(final_path, operation, std::forward<F>(f));
  }
};

Hdf5Recorder::Hdf5Recorder(std::string final_path, Hdf5Options options) : impl_(std::make_unique<Impl>()) {
  auto& m = *impl_;
  if (options.chunk_rows == 0) throw OutputError("Hdf5Options::chunk_rows: expected >= 1, got 0");
  if (options.compression_level < 0 || options.compression_level > 9)
    throw OutputError("Hdf5Options::compression_level: expected 0..9, got " +
                      std::to_string(options.compression_level));
  if (final_path.empty()) throw OutputError("Hdf5Recorder: empty output path");
  m.opt = options;
  m.final_path = std::move(final_path);
  m.partial_path = partial_path_for(m.final_path, static_cast<long>(::getpid()));
  const std::filesystem::path parent = std::filesystem::path(m.final_path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) throw OutputError(parent.string(), "create directory", ec.message());
  }
  remove_stale_partials(m.final_path);
  try {
    // H5Fcreate may fail after creating the file (its first write): abort() removes it.
    m.io("create the file", [&] { m.file = std::make_unique<H5::H5File>(h5::create_file(m.partial_path)); });
    m.io("write the root attributes", [&] {
      h5::set_attr(*m.file, "schema_version", std::string(kSchemaVersion));
      h5::set_attr(*m.file, "dcsim_file_kind", std::string("run"));
      h5::set_attr(*m.file, "complete", std::int32_t{0});
    });
  } catch (...) {
    abort();
    throw;
  }
}

Hdf5Recorder::~Hdf5Recorder() {
  if (impl_ && impl_->state != Impl::State::Finished && impl_->state != Impl::State::Aborted) abort();
}

const std::string& Hdf5Recorder::final_path() const { return impl_->final_path; }
const std::string& Hdf5Recorder::partial_path() const { return impl_->partial_path; }

void Hdf5Recorder::begin(const RunMetadata& meta, const std::vector<SeriesSpec>& site_series) {
  auto& m = *impl_;
  m.require(Impl::State::Created, "begin");
  if (meta.time_units.rfind("seconds since ", 0) != 0)
    throw OutputError("RunMetadata::time_units: expected \"seconds since <ISO date-time>\", got \"" +
                      meta.time_units + "\"");
  m.time_units = meta.time_units;
  const H5::H5File& f = *m.file;

  m.io("write the provenance and define the variables", [&] {
    // Provenance.
    h5::set_attr(f, "Conventions", std::string("CF-1.8"));
    h5::set_attr(f, "title", "dcsim run: " + meta.scenario_name);
    h5::set_attr(f, "source", "dcsim " + dcsim_version());
    h5::set_attr(f, "created_by", "dcsim " + dcsim_version() + " (git " + dcsim_git_revision() + "), HDF5 " +
                                      hdf5_library_version());
    h5::set_attr(f, "scenario_name", meta.scenario_name);
    h5::set_attr(f, "scenario_yaml", meta.scenario_yaml);
    h5::set_attr(f, "seed", static_cast<std::int64_t>(meta.seed));
    h5::set_attr(f, "seed_text", std::to_string(meta.seed));
    h5::set_attr(f, "dcsim_version", dcsim_version());
    h5::set_attr(f, "git_revision", dcsim_git_revision());
    h5::set_attr(f, "simgrid_version", meta.simgrid_version);
    h5::set_attr(f, "hdf5_version", hdf5_library_version());
    std::string json = "{";
    for (const auto& [path, sum] : meta.input_checksums) {
      if (json.size() > 1) json += ", ";
      json += "\"" + json_escape(path) + "\": \"" + json_escape(sum) + "\"";
    }
    json += "}";
    h5::set_attr(f, "input_checksums", json);
    h5::set_attr(f, "time_units", meta.time_units);
    h5::set_attr(f, "sample_s", static_cast<double>(meta.sample_s));
    for (const auto& [k, v] : meta.attributes) {
      if (!valid_name(k) || h5::has_attr(f, k) || k.rfind("summary_", 0) == 0 || k == "complete")
        throw OutputError("RunMetadata::attributes: '" + k + "' is not a valid free attribute name");
      h5::set_attr(f, k, v);
    }

    // time and the site series.
    m.claim_name("time");
    m.time_ds = h5::create_dataset(f, "time", PredType::IEEE_F64LE, m.rows_layout(true, false));
    h5::set_scale(m.time_ds, "time");
    m.time_attrs(m.time_ds, "start of the sampling interval");
    h5::set_attr(m.time_ds, "standard_name", std::string("time"));
    h5::set_attr(m.time_ds, "axis", std::string("T"));
    for (const auto& s : site_series) {
      m.claim_name(s.name);
      H5::DataSet ds = h5::create_dataset(f, s.name, PredType::IEEE_F64LE, m.rows_layout(s.compress, true));
      h5::attach_scale(ds, m.time_ds, 0);
      m.common_attrs(ds, s.units.empty() ? "1" : s.units, s.long_name.empty() ? s.name : s.long_name);
      h5::set_attr(ds, "cell_methods", std::string("time: mean"));
      h5::set_attr(ds, "_FillValue", kNaN);
      m.series_ds.push_back(std::move(ds));
    }
    m.time_buf.assign(m.opt.chunk_rows, 0.0);
    m.series_buf.assign(m.opt.chunk_rows * site_series.size(), 0.0);

    m.make_table(m.jobs, "job", kJobColumns);
    m.make_table(m.events, "event", kEventColumns);
  });
  m.state = Impl::State::Begun;
}

void Hdf5Recorder::append_sample(Seconds t, std::span<const double> values) {
  auto& m = *impl_;
  m.require(Impl::State::Begun, "append_sample");
  if (values.size() != m.series_ds.size())
    throw OutputError("append_sample: expected " + std::to_string(m.series_ds.size()) + " values, got " +
                      std::to_string(values.size()));
  if (!(t > m.last_t))
    throw OutputError("append_sample: times must increase, got " + std::to_string(t) + " after " +
                      std::to_string(m.last_t));
  m.last_t = t;
  const std::size_t row = m.site_buffered;
  m.time_buf[row] = t;
  for (std::size_t c = 0; c < values.size(); ++c) m.series_buf[c * m.opt.chunk_rows + row] = values[c];
  if (++m.site_buffered == m.opt.chunk_rows) m.flush_site();
}

void Hdf5Recorder::add_job(const JobRecord& j) {
  auto& m = *impl_;
  m.require(Impl::State::Begun, "add_job");
  auto& c = m.jobs.cols;
  const bool started = j.start_s >= 0;
  c[0].i64.push_back(static_cast<std::int64_t>(j.id));
  c[1].str.push_back(j.profile);
  c[2].i32.push_back(static_cast<std::int32_t>(j.year));
  c[3].f64.push_back(j.submit_s);
  c[4].f64.push_back(started ? j.start_s : kNaN);
  c[5].f64.push_back(j.end_s >= 0 ? j.end_s : kNaN);
  c[6].i32.push_back(static_cast<std::int32_t>(j.gpus));
  c[7].f64.push_back(kwh_from_joules(j.energy_j));
  c[8].f64.push_back(j.emissions_g / 1000.0);
  c[9].f64.push_back(j.mean_freq_mhz);
  c[10].f64.push_back(started ? j.delay_s : kNaN);
  c[11].str.push_back(j.optimisation);
  c[12].f64.push_back(j.quality_cost);
  c[13].str.push_back(to_string(j.outcome));
  c[14].str.push_back(j.reason);
  c[15].f64.push_back(j.emissions_marginal_g / 1000.0);
  c[16].i32.push_back(j.deferrable ? 1 : 0);
  c[17].f64.push_back(j.deadline_s >= 0 ? j.deadline_s : kNaN);
  c[18].f64.push_back(j.full_speed_s >= 0 ? j.full_speed_s : kNaN);
  m.row_added(m.jobs);
}

void Hdf5Recorder::add_event(const EventRecord& ev) {
  auto& m = *impl_;
  m.require(Impl::State::Begun, "add_event");
  auto& c = m.events.cols;
  c[0].f64.push_back(ev.time_s);
  c[1].str.push_back(std::string(name_of(ev.kind)));
  c[2].i64.push_back(ev.target);
  c[3].f64.push_back(ev.value);
  m.row_added(m.events);
}

void Hdf5Recorder::begin_requests() {
  auto& m = *impl_;
  m.require(Impl::State::Begun, "begin_requests");
  if (!m.requests.dim.empty()) throw OutputError("Hdf5Recorder::begin_requests called twice (" + m.final_path + ")");
  m.io("create the request table", [&] { m.make_table(m.requests, "request", kRequestColumns); });
}

void Hdf5Recorder::add_request(const ServingRequestRecord& r) {
  auto& m = *impl_;
  m.require(Impl::State::Begun, "add_request");
  if (m.requests.dim.empty()) throw OutputError("Hdf5Recorder::add_request called before begin_requests (" + m.final_path + ")");
  auto& c = m.requests.cols;
  const auto opt = [](Seconds v) { return v >= 0 ? v : kNaN; };
  c[0].i64.push_back(static_cast<std::int64_t>(r.id));
  c[1].i32.push_back(r.deployment);
  c[2].i32.push_back(r.stream);
  c[3].i64.push_back(r.replica);
  c[4].i64.push_back(r.node);
  c[5].f64.push_back(r.arrival_s);
  c[6].f64.push_back(opt(r.first_token_s));
  c[7].f64.push_back(r.end_s);
  c[8].i32.push_back(r.prompt_tokens);
  c[9].i32.push_back(r.output_tokens);
  c[10].i32.push_back(r.preemptions);
  c[11].f64.push_back(opt(r.ttft_s));
  c[12].f64.push_back(opt(r.tpot_s));
  c[13].i32.push_back(r.slo_met);
  c[14].str.push_back(r.outcome);
  m.row_added(m.requests);
}

void Hdf5Recorder::begin_entities(const std::string& dim, std::span<const std::int64_t> ids,
                                  const std::vector<SeriesSpec>& series) {
  auto& m = *impl_;
  m.require(Impl::State::Begun, "begin_entities");
  if (!m.opt.entity_series) return;
  if (m.site_rows() != 0) throw OutputError("begin_entities(" + dim + "): must come before the first sample");
  if (ids.empty()) throw OutputError("begin_entities(" + dim + "): expected at least one entity, got 0");
  m.claim_name(dim);
  const H5::H5File& f = *m.file;
  EntityGroup g;
  m.io("define the " + dim + " series", [&] {
    g.dim = dim;
    g.n = ids.size();
    g.chunk_rows = std::clamp<std::size_t>(kEntityChunkBytes / (sizeof(float) * g.n), 1, m.opt.chunk_rows);
    h5::DatasetLayout cl;
    cl.dims = {g.n};
    cl.maxdims = {g.n};
    g.coord = h5::create_dataset(f, dim, PredType::STD_I64LE, cl);
    const hsize_t all[1] = {g.n};
    const hsize_t zero[1] = {0};
    h5::write_block(g.coord, PredType::NATIVE_INT64, zero, all, ids.data());
    h5::set_scale(g.coord, dim);
    m.common_attrs(g.coord, "1", dim + " id");
    h5::DatasetLayout l;
    l.dims = {0, g.n};
    l.maxdims = {kUnlimited, g.n};
    l.chunk = {g.chunk_rows, std::min<std::size_t>(g.n, kMaxEntityChunkCols)};
    l.deflate_level = m.deflate();
    l.nan_fill = true;
    for (const auto& s : series) {
      m.claim_name(s.name);
      H5::DataSet ds = h5::create_dataset(f, s.name, PredType::IEEE_F32LE, l);
      h5::attach_scale(ds, m.time_ds, 0);
      h5::attach_scale(ds, g.coord, 1);
      m.common_attrs(ds, s.units.empty() ? "1" : s.units, s.long_name.empty() ? s.name : s.long_name);
      h5::set_attr(ds, "cell_methods", std::string("time: mean"));
      h5::set_attr(ds, "_FillValue", std::numeric_limits<float>::quiet_NaN());
      g.ds.push_back(std::move(ds));
    }
    g.buf.assign(g.chunk_rows * g.n * series.size(), 0.0f);
  });
  m.groups.push_back(std::move(g));
}

void Hdf5Recorder::append_entity_sample(const std::string& dim, Seconds t, std::span<const double> values) {
  auto& m = *impl_;
  m.require(Impl::State::Begun, "append_entity_sample");
  if (!m.opt.entity_series) return;
  auto it = std::find_if(m.groups.begin(), m.groups.end(), [&](const EntityGroup& g) { return g.dim == dim; });
  if (it == m.groups.end()) throw OutputError("append_entity_sample: no entity group '" + dim + "'");
  EntityGroup& g = *it;
  if (values.size() != g.n * g.ds.size())
    throw OutputError("append_entity_sample(" + dim + "): expected " + std::to_string(g.n * g.ds.size()) +
                      " values, got " + std::to_string(values.size()));
  const std::size_t row = g.written + g.buffered;
  if (row + 1 != m.site_rows() || t != m.last_t)
    throw OutputError("append_entity_sample(" + dim + ", t=" + std::to_string(t) +
                      "): expected one row per site row, after append_sample at the same t");
  for (std::size_t s = 0; s < g.ds.size(); ++s) {
    float* dst = g.buf.data() + s * g.chunk_rows * g.n + g.buffered * g.n;
    const double* src = values.data() + s * g.n;
    for (std::size_t e = 0; e < g.n; ++e) dst[e] = static_cast<float>(src[e]);
  }
  if (++g.buffered == g.chunk_rows) m.flush_group(g);
}

void Hdf5Recorder::finish(const RunSummary& summary) {
  auto& m = *impl_;
  m.require(Impl::State::Begun, "finish");
  const H5::H5File& f = *m.file;
  m.flush_site();
  for (auto& g : m.groups) {
    m.flush_group(g);
    if (g.written < m.site_rows()) {  // rows never given read as NaN (the fill value)
      const hsize_t len[2] = {m.site_rows(), g.n};
      m.io("extend the " + g.dim + " series", [&] {
        for (auto& d : g.ds) h5::set_extent(d, len);
      });
    }
  }
  m.flush_table(m.jobs);
  m.flush_table(m.events);
  if (!m.requests.dim.empty()) m.flush_table(m.requests);
  // A summary name outside [A-Za-z0-9_] is made safe rather than refused: failing here
  // would throw the whole run away for a cosmetic reason.
  const auto summary_name = [](std::string k) {
    for (char& ch : k)
      if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_')) ch = '_';
    return "summary_" + k;
  };
  m.io("write the summary", [&] {
    for (const auto& [k, v] : summary.values) h5::set_attr(f, summary_name(k), v);
    for (const auto& [k, v] : summary.text) h5::set_attr(f, summary_name(k), v);
    h5::set_attr(f, "complete", std::int32_t{1});
  });
  // Everything reaches the disk here, while a failure can still be undone cleanly (abort()
  // detaches the storage before closing); closing after a successful flush writes little.
  m.io("flush", [&] { f.flush(H5F_SCOPE_GLOBAL); });
  if (!m.close_all()) throw OutputError(m.final_path, "close the datasets", "HDF5 could not close them");
  m.io("close", [&] { h5::close_file(m.file); });  // a failed close abandons the file (h5.hpp)
  // Make the bytes durable before the name says the file is complete.
  if (const int fd = ::open(m.partial_path.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0 && err != EINVAL && err != EROFS)
      throw OutputError(m.final_path, "fsync " + m.partial_path, std::system_category().message(err));
  } else {
    throw OutputError(m.final_path, "reopen " + m.partial_path + " for fsync", std::system_category().message(errno));
  }
  std::error_code ec;
  std::filesystem::rename(m.partial_path, m.final_path, ec);
  if (ec) throw OutputError(m.final_path, "rename from " + m.partial_path, ec.message());
  m.state = Impl::State::Finished;
}

void Hdf5Recorder::abort() noexcept {
  auto& m = *impl_;
  if (m.state == Impl::State::Finished || m.state == Impl::State::Aborted) return;
  // The file is thrown away: its descriptor is pointed at memory first, so that closing (which
  // flushes) cannot fail on a full or failing device and leave HDF5 with a half-closed file.
  if (m.file) h5::detach_storage(*m.file);
  m.close_all();
  h5::close_file_quietly(m.file);
  std::error_code ec;
  std::filesystem::remove(m.partial_path, ec);
  m.state = Impl::State::Aborted;
}

}  // namespace dcsim
