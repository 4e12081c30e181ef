#include "output/sweep_index.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <set>
#include <system_error>

#include "output/h5.hpp"
#include "output/hdf5_writer.hpp"
#include "output/provenance.hpp"
#include "output/recorder.hpp"

namespace dcsim {

std::string sweep_parameter_variable(const std::string& parameter) {
  std::string v = parameter;
  for (char& c : v)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) c = '_';
  if (v.empty() || std::isdigit(static_cast<unsigned char>(v[0]))) v.insert(v.begin(), '_');
  return v;
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct SeriesInfo {
  std::string name, units, long_name, cell_methods;
};

struct RunInfo {
  bool present = false;
  std::size_t rows = 0;
  std::set<std::string> series;
};

// HDF5 expands printf-like "%b" in virtual source names: a literal '%' is written "%%".
std::string vds_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '%') out += '%';
  }
  return out;
}

std::string attr_or(const H5::H5Object& obj, const std::string& name, const std::string& dflt) {
  return h5::has_attr(obj, name) ? h5::get_string_attr(obj, name) : dflt;
}

H5::DataSet write_strings(const H5::H5File& file, const std::string& name, const std::vector<std::string>& values) {
  h5::DatasetLayout l;
  l.dims = {values.size()};
  l.maxdims = {values.size()};
  const H5::StrType type = h5::vlen_string_type();
  H5::DataSet ds = h5::create_dataset(file, name, type, l);
  std::vector<const char*> p;
  for (const auto& v : values) p.push_back(v.c_str());
  const hsize_t off[1] = {0};
  const hsize_t cnt[1] = {values.size()};
  h5::write_block(ds, type, off, cnt, p.data());
  return ds;
}

}  // namespace

void write_sweep_index(const std::string& index_path, const std::vector<SweepRunEntry>& runs) {
  h5::silence_hdf5_errors();
  if (runs.empty()) throw OutputError("write_sweep_index(" + index_path + "): no runs");
  const std::filesystem::path dir = std::filesystem::path(index_path).parent_path();

  // 1. Read every run's time axis and list of site series.
  std::vector<RunInfo> info(runs.size());
  std::vector<SeriesInfo> series;  // in order of first appearance
  std::set<std::string> seen_ids;
  std::vector<double> time;        // the longest run's time axis
  std::string time_units;
  double sample_s = kNaN;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const auto& e = runs[r];
    if (e.run_id.empty() || !seen_ids.insert(e.run_id).second)
      throw OutputError("write_sweep_index: run id '" + e.run_id + "' is empty or repeated");
    const std::filesystem::path rel(e.result_path);
    const std::filesystem::path path = rel.is_absolute() ? rel : dir / rel;
    const bool must_exist = e.status == "completed";
    std::error_code ec;
    if (e.result_path.empty() || !std::filesystem::exists(path, ec)) {
      if (must_exist) throw OutputError("run " + e.run_id + " is completed but has no result file " + path.string());
      continue;
    }
    // One run file: read under guarded(), so that a broken file is named with HDF5's reason.
    const bool usable = h5::guarded(path.string(), "read the run file (for the sweep index)", [&] {
      const H5::H5File f = h5::open_file_read(path.string());
      if (!h5::has_attr(f, "complete") || h5::get_int_attr(f, "complete") != 1) {
        if (must_exist) throw OutputError("run " + e.run_id + ": " + path.string() + " is not complete");
        return false;
      }
      const H5::DataSet t = f.openDataSet("time");
      std::vector<double> tv = h5::read_doubles(t);
      const std::string units = h5::get_string_attr(t, "units");
      if (time_units.empty()) {
        time_units = units;
        if (h5::has_attr(f, "sample_s")) sample_s = h5::get_double_attr(f, "sample_s");
      } else if (units != time_units) {
        throw OutputError("runs do not share the time axis: run " + e.run_id + " has time units '" + units +
                          "', others '" + time_units + "'");
      }
      const std::size_t common = std::min(tv.size(), time.size());
      for (std::size_t i = 0; i < common; ++i)
        if (tv[i] != time[i])
          throw OutputError("runs do not share the time axis: run " + e.run_id + " differs at row " +
                            std::to_string(i));
      if (tv.size() > time.size()) time = std::move(tv);
      info[r].present = true;
      info[r].rows = h5::dataset_dims(t).at(0);
      H5O_info_t time_info;
      t.getObjinfo(time_info, H5O_INFO_BASIC);
      for (const auto& name : h5::list_root(f)) {
        if (name == "time") continue;
        if (f.childObjType(name) != H5O_TYPE_DATASET) continue;
        const H5::DataSet ds = f.openDataSet(name);
        if (h5::dataset_dims(ds).size() != 1 || h5::is_scale(ds)) continue;
        if (!h5::scale_attached_at(ds, time_info.addr)) continue;
        info[r].series.insert(name);
        if (std::none_of(series.begin(), series.end(), [&](const SeriesInfo& s) { return s.name == name; }))
          series.push_back({name, attr_or(ds, "units", "1"), attr_or(ds, "long_name", name),
                            attr_or(ds, "cell_methods", "time: mean")});
      }
      return true;
    });
    if (!usable) continue;
  }
  if (time_units.empty()) time_units = "seconds since 1970-01-01T00:00:00Z";

  // 2. Parameters: one variable per name, string if any run gives a string.
  struct Param {
    std::string key, var;
    bool is_string = false;
  };
  std::vector<Param> params;
  {
    std::map<std::string, bool> is_str;
    for (const auto& e : runs)
      for (const auto& [k, v] : e.parameters) is_str[k] = is_str[k] || std::holds_alternative<std::string>(v);
    for (const auto& [k, s] : is_str) params.push_back({k, sweep_parameter_variable(k), s});
  }
  std::set<std::string> names = {"run", "time", "run_status", "run_result_path", "realization", "point"};
  for (const auto& s : series) names.insert(s.name);
  for (const auto& p : params)
    if (!names.insert(p.var).second)
      throw OutputError("sweep parameter '" + p.key + "' clashes with variable '" + p.var + "' of the index");
  std::string coordinates = "run_status run_result_path point realization";
  for (const auto& p : params) coordinates += " " + p.var;

  // 3. Write the index under a temporary name.
  {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    if (ec) throw OutputError(dir.string(), "create directory", ec.message());
  }
  const std::string partial = partial_path_for(index_path, static_cast<long>(::getpid()));
  // An index being written when an earlier sweep was killed is left as "<index>.partial-<pid>":
  // remove those of processes that no longer exist (as run files do).
  remove_stale_partials(index_path);
  h5::FilePtr fp;  // null once closed (or abandoned, see h5::FilePtr)
  // Every HDF5 object of the index is closed before the file (close degree STRONG would also
  // do it), on success and on failure; on failure the storage is detached first (h5.hpp).
  std::vector<H5::DataSet> open_sets;
  open_sets.reserve(2);  // run and time: references to them are kept
  const auto discard = [&] {
    if (fp) h5::detach_storage(*fp);
    for (auto& d : open_sets) h5::close_quietly(d);
    h5::close_file_quietly(fp);
    std::error_code ec;
    std::filesystem::remove(partial, ec);
  };
  try {
    h5::guarded_write(index_path, "write the sweep index", [&] {
      fp = std::make_unique<H5::H5File>(h5::create_file(partial));
      const H5::H5File& f = *fp;
      h5::set_attr(f, "schema_version", std::string(kSchemaVersion));
      h5::set_attr(f, "dcsim_file_kind", std::string("sweep_index"));
      h5::set_attr(f, "complete", std::int32_t{0});
      h5::set_attr(f, "Conventions", std::string("CF-1.8"));
      h5::set_attr(f, "title", std::string("dcsim sweep index"));
      h5::set_attr(f, "created_by", "dcsim " + dcsim_version() + " (git " + dcsim_git_revision() + "), HDF5 " +
                                        hdf5_library_version());
      h5::set_attr(f, "dcsim_version", dcsim_version());
      h5::set_attr(f, "git_revision", dcsim_git_revision());
      h5::set_attr(f, "hdf5_version", hdf5_library_version());
      h5::set_attr(f, "time_units", time_units);
      h5::set_attr(f, "sample_s", sample_s);

      const std::size_t n = runs.size();
      const std::size_t T = time.size();
      // run coordinate (written, closed and opened again: the same sequence of HDF5 calls, and
      // so the same bytes, as before the move to the C++ API)
      {
        std::vector<std::string> ids;
        for (const auto& e : runs) ids.push_back(e.run_id);
        write_strings(f, "run", ids);
      }
      const H5::DataSet& run_ds = open_sets.emplace_back(f.openDataSet("run"));
      h5::set_scale(run_ds, "run");
      h5::set_attr(run_ds, "units", std::string("1"));
      h5::set_attr(run_ds, "long_name", std::string("run id"));
      // time coordinate (a real copy)
      h5::DatasetLayout tl;
      tl.dims = {T};
      tl.maxdims = {H5S_UNLIMITED};
      tl.chunk = {4096};
      tl.deflate_level = 4;
      const H5::DataSet& time_ds = open_sets.emplace_back(h5::create_dataset(f, "time", H5::PredType::IEEE_F64LE, tl));
      {
        const hsize_t off[1] = {0};
        const hsize_t cnt[1] = {T};
        h5::write_block(time_ds, H5::PredType::NATIVE_DOUBLE, off, cnt, time.data());
      }
      h5::set_scale(time_ds, "time");
      h5::set_attr(time_ds, "units", time_units);
      h5::set_attr(time_ds, "long_name", std::string("start of the sampling interval"));
      h5::set_attr(time_ds, "calendar", std::string("standard"));
      h5::set_attr(time_ds, "standard_name", std::string("time"));
      h5::set_attr(time_ds, "axis", std::string("T"));

      // site series as virtual datasets
      for (const auto& s : series) {
        H5::DSetCreatPropList dcpl = h5::dataset_creation_plist();
        dcpl.setFillValue(H5::PredType::NATIVE_DOUBLE, &kNaN);
        const hsize_t vdims[2] = {n, T};
        H5::DataSpace vspace(2, vdims);
        for (std::size_t r = 0; r < n; ++r) {
          if (!info[r].present || !info[r].series.count(s.name) || info[r].rows == 0) continue;
          const hsize_t sdims[1] = {info[r].rows};
          const H5::DataSpace sspace(1, sdims);
          const hsize_t off[2] = {r, 0};
          const hsize_t cnt[2] = {1, info[r].rows};
          vspace.selectHyperslab(H5S_SELECT_SET, cnt, off);
          dcpl.setVirtual(vspace, vds_escape(runs[r].result_path), vds_escape("/" + s.name), sspace);
        }
        vspace.selectAll();
        const H5::DataSet ds = f.createDataSet(s.name, H5::PredType::IEEE_F64LE, vspace, dcpl,
                                               H5::DSetAccPropList::DEFAULT, h5::utf8_link_plist());
        h5::attach_scale(ds, run_ds, 0);
        h5::attach_scale(ds, time_ds, 1);
        h5::set_attr(ds, "units", s.units);
        h5::set_attr(ds, "long_name", s.long_name);
        h5::set_attr(ds, "cell_methods", s.cell_methods);
        h5::set_attr(ds, "_FillValue", kNaN);
        h5::set_attr(ds, "coordinates", coordinates);
      }

      // per-run variables
      auto along_run_strings = [&](const std::string& name, const std::vector<std::string>& v,
                                   const std::string& long_name) {
        write_strings(f, name, v);
        H5::DataSet ds = f.openDataSet(name);
        h5::attach_scale(ds, run_ds, 0);
        h5::set_attr(ds, "units", std::string("1"));
        h5::set_attr(ds, "long_name", long_name);
        return ds;
      };
      {
        std::vector<std::string> status, paths;
        for (const auto& e : runs) {
          status.push_back(e.status);
          paths.push_back(e.result_path);
        }
        along_run_strings("run_status", status, "run status");
        along_run_strings("run_result_path", paths, "run result file, relative to this index");
      }
      // ensemble coordinates (CF: an auxiliary coordinate with standard_name realization)
      auto along_run_ints = [&](const std::string& name, const std::vector<std::int32_t>& v,
                                const std::string& long_name) {
        h5::DatasetLayout l;
        l.dims = {n};
        l.maxdims = {n};
        H5::DataSet ds = h5::create_dataset(f, name, H5::PredType::STD_I32LE, l);
        const hsize_t off[1] = {0};
        const hsize_t cnt[1] = {n};
        h5::write_block(ds, H5::PredType::NATIVE_INT32, off, cnt, v.data());
        h5::attach_scale(ds, run_ds, 0);
        h5::set_attr(ds, "units", std::string("1"));
        h5::set_attr(ds, "long_name", long_name);
        return ds;
      };
      {
        std::vector<std::int32_t> point, real;
        for (const auto& e : runs) {
          point.push_back(static_cast<std::int32_t>(e.point));
          real.push_back(static_cast<std::int32_t>(e.realization));
        }
        along_run_ints("point", point, "grid/zip point of the sweep (the ensemble the run belongs to)");
        const H5::DataSet rds =
            along_run_ints("realization", real, "ensemble member within its point (sample x replicates + replicate)");
        h5::set_attr(rds, "standard_name", std::string("realization"));
      }
      for (const auto& p : params) {
        H5::DataSet ds;
        if (p.is_string) {
          std::vector<std::string> v;
          for (const auto& e : runs) {
            auto it = e.parameters.find(p.key);
            if (it == e.parameters.end()) {
              v.emplace_back();
            } else if (auto* sv = std::get_if<std::string>(&it->second)) {
              v.push_back(*sv);
            } else {
              char b[32];
              std::snprintf(b, sizeof b, "%.17g", std::get<double>(it->second));
              v.emplace_back(b);
            }
          }
          ds = along_run_strings(p.var, v, "sweep parameter " + p.key);
        } else {
          std::vector<double> v;
          for (const auto& e : runs) {
            auto it = e.parameters.find(p.key);
            v.push_back(it == e.parameters.end() ? kNaN : std::get<double>(it->second));
          }
          h5::DatasetLayout l;
          l.dims = {n};
          l.maxdims = {n};
          l.nan_fill = true;
          ds = h5::create_dataset(f, p.var, H5::PredType::IEEE_F64LE, l);
          const hsize_t off[1] = {0};
          const hsize_t cnt[1] = {n};
          h5::write_block(ds, H5::PredType::NATIVE_DOUBLE, off, cnt, v.data());
          h5::attach_scale(ds, run_ds, 0);
          h5::set_attr(ds, "units", std::string("1"));
          h5::set_attr(ds, "long_name", "sweep parameter " + p.key);
          h5::set_attr(ds, "_FillValue", kNaN);
        }
        h5::set_attr(ds, "parameter", p.key);
        for (const auto& e : runs)
          if (auto it = e.distributions.find(p.key); it != e.distributions.end()) {
            h5::set_attr(ds, "distribution", it->second);
            break;
          }
      }

      h5::set_attr(f, "complete", std::int32_t{1});
      for (auto& d : open_sets) d.close();
      f.flush(H5F_SCOPE_GLOBAL);
    });
  } catch (...) {
    discard();
    throw;
  }
  // Flushed: closing writes little. A failed close leaves HDF5 with a half-closed file, which
  // it must not touch again (h5::close_quietly).
  bool closed = true;
  for (auto& d : open_sets) closed = h5::close_quietly(d) && closed;
  std::string cause = "HDF5 could not close it";
  try {
    h5::guarded_write(index_path, "close", [&] { h5::close_file(fp); });  // a failed close abandons the file
  } catch (const OutputError& e) {
    closed = false;
    cause = e.cause();
  }
  std::error_code ec;
  if (!closed) {
    std::filesystem::remove(partial, ec);
    throw OutputError(index_path, "close", cause);
  }
  std::filesystem::rename(partial, index_path, ec);
  if (ec) {
    std::error_code rm;
    std::filesystem::remove(partial, rm);
    throw OutputError(index_path, "rename from " + partial, ec.message());
  }
}

}  // namespace dcsim
