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

std::string attr_or(hid_t obj, const std::string& name, const std::string& dflt) {
  return h5::has_attr(obj, name) ? h5::get_string_attr(obj, name) : dflt;
}

void write_strings(hid_t file, const std::string& name, const std::vector<std::string>& values) {
  h5::DatasetLayout l;
  l.dims = {values.size()};
  l.maxdims = {values.size()};
  h5::Handle type = h5::vlen_string_type();
  h5::Handle ds = h5::create_dataset(file, name, type.get(), l);
  std::vector<const char*> p;
  for (const auto& v : values) p.push_back(v.c_str());
  const hsize_t off[1] = {0};
  const hsize_t cnt[1] = {values.size()};
  h5::write_block(ds.get(), type.get(), off, cnt, p.data());
}

h5::Handle open_ds(hid_t file, const std::string& name) { return h5::open_dataset(file, name); }

struct ScaleMatch {
  haddr_t want;
  bool found = false;
};

herr_t match_scale(hid_t, unsigned, hid_t scale, void* data) {
  auto* m = static_cast<ScaleMatch*>(data);
  H5O_info_t oi;
  if (H5Oget_info2(scale, &oi, H5O_INFO_BASIC) >= 0 && oi.addr == m->want) m->found = true;
  return 0;
}

// True if axis 0 of `ds` has the dimension scale stored at `scale_addr` attached.
bool attached_to(hid_t ds, haddr_t scale_addr) {
  if (H5DSget_num_scales(ds, 0) <= 0) return false;
  ScaleMatch m{scale_addr};
  int idx = 0;
  H5DSiterate_scales(ds, 0, &idx, match_scale, &m);
  return m.found;
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
    h5::Handle f = h5::open_file_readonly(path.string());
    if (!h5::has_attr(f.get(), "complete") || h5::get_int_attr(f.get(), "complete") != 1) {
      if (must_exist) throw OutputError("run " + e.run_id + ": " + path.string() + " is not complete");
      continue;
    }
    h5::Handle t = open_ds(f.get(), "time");
    std::vector<double> tv = h5::read_doubles(t.get());
    const std::string units = h5::get_string_attr(t.get(), "units");
    if (time_units.empty()) {
      time_units = units;
      if (h5::has_attr(f.get(), "sample_s")) sample_s = h5::get_double_attr(f.get(), "sample_s");
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
    info[r].rows = h5::dataset_dims(t.get()).at(0);
    H5O_info_t time_info;
    h5::check(H5Oget_info2(t.get(), &time_info, H5O_INFO_BASIC), "inspect time");
    for (const auto& name : h5::list_root(f.get())) {
      if (name == "time") continue;
      H5O_info_t oi;
      h5::check(H5Oget_info_by_name2(f.get(), name.c_str(), &oi, H5O_INFO_BASIC, H5P_DEFAULT), "inspect " + name);
      if (oi.type != H5O_TYPE_DATASET) continue;
      h5::Handle ds = open_ds(f.get(), name);
      if (h5::dataset_dims(ds.get()).size() != 1 || H5DSis_scale(ds.get()) > 0) continue;
      // Attached to `time`? (H5DSis_attached would also walk time's whole REFERENCE_LIST,
      // opening every series once per series: quadratic, 40 ms per run file.)
      if (!attached_to(ds.get(), time_info.addr)) continue;
      info[r].series.insert(name);
      if (std::none_of(series.begin(), series.end(), [&](const SeriesInfo& s) { return s.name == name; }))
        series.push_back({name, attr_or(ds.get(), "units", "1"), attr_or(ds.get(), "long_name", name),
                          attr_or(ds.get(), "cell_methods", "time: mean")});
    }
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
  std::set<std::string> names = {"run", "time", "run_status", "run_result_path"};
  for (const auto& s : series) names.insert(s.name);
  for (const auto& p : params)
    if (!names.insert(p.var).second)
      throw OutputError("sweep parameter '" + p.key + "' clashes with variable '" + p.var + "' of the index");
  std::string coordinates = "run_status run_result_path";
  for (const auto& p : params) coordinates += " " + p.var;

  // 3. Write the index under a temporary name.
  {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    if (ec) throw OutputError("cannot create directory " + dir.string() + ": " + ec.message());
  }
  const std::string partial = partial_path_for(index_path, static_cast<long>(::getpid()));
  // An index being written when an earlier sweep was killed is left as "<index>.partial-<pid>":
  // remove those of processes that no longer exist (as run files do).
  remove_stale_partials(index_path);
  try {
    h5::Handle f = h5::create_file(partial);
    const hid_t fid = f.get();
    h5::set_attr(fid, "schema_version", std::string(kSchemaVersion));
    h5::set_attr(fid, "dcsim_file_kind", std::string("sweep_index"));
    h5::set_attr(fid, "complete", std::int32_t{0});
    h5::set_attr(fid, "Conventions", std::string("CF-1.8"));
    h5::set_attr(fid, "title", std::string("dcsim sweep index"));
    h5::set_attr(fid, "created_by", "dcsim " + dcsim_version() + " (git " + dcsim_git_revision() + "), HDF5 " +
                                        hdf5_library_version());
    h5::set_attr(fid, "dcsim_version", dcsim_version());
    h5::set_attr(fid, "git_revision", dcsim_git_revision());
    h5::set_attr(fid, "hdf5_version", hdf5_library_version());
    h5::set_attr(fid, "time_units", time_units);
    h5::set_attr(fid, "sample_s", sample_s);

    const std::size_t n = runs.size();
    const std::size_t T = time.size();
    // run coordinate
    {
      std::vector<std::string> ids;
      for (const auto& e : runs) ids.push_back(e.run_id);
      write_strings(fid, "run", ids);
    }
    h5::Handle run_ds = open_ds(fid, "run");
    h5::set_scale(run_ds.get(), "run");
    h5::set_attr(run_ds.get(), "units", std::string("1"));
    h5::set_attr(run_ds.get(), "long_name", std::string("run id"));
    // time coordinate (a real copy)
    h5::DatasetLayout tl;
    tl.dims = {T};
    tl.maxdims = {H5S_UNLIMITED};
    tl.chunk = {4096};
    tl.deflate_level = 4;
    h5::Handle time_ds = h5::create_dataset(fid, "time", H5T_IEEE_F64LE, tl);
    {
      const hsize_t off[1] = {0};
      const hsize_t cnt[1] = {T};
      h5::write_block(time_ds.get(), H5T_NATIVE_DOUBLE, off, cnt, time.data());
    }
    h5::set_scale(time_ds.get(), "time");
    h5::set_attr(time_ds.get(), "units", time_units);
    h5::set_attr(time_ds.get(), "long_name", std::string("start of the sampling interval"));
    h5::set_attr(time_ds.get(), "calendar", std::string("standard"));
    h5::set_attr(time_ds.get(), "standard_name", std::string("time"));
    h5::set_attr(time_ds.get(), "axis", std::string("T"));

    // site series as virtual datasets
    for (const auto& s : series) {
      const std::string what = "virtual dataset " + s.name;
      h5::Handle dcpl = h5::make_plist(H5P_DATASET_CREATE, what);
      const unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
      h5::check(H5Pset_attr_creation_order(dcpl.get(), order), what);
      h5::check(H5Pset_obj_track_times(dcpl.get(), 0), what);
      h5::check(H5Pset_fill_value(dcpl.get(), H5T_NATIVE_DOUBLE, &kNaN), what);
      const hsize_t vdims[2] = {n, T};
      h5::Handle vspace = h5::make_space(vdims, {});
      for (std::size_t r = 0; r < n; ++r) {
        if (!info[r].present || !info[r].series.count(s.name) || info[r].rows == 0) continue;
        const hsize_t sdims[1] = {info[r].rows};
        h5::Handle sspace = h5::make_space(sdims, {});
        const hsize_t off[2] = {r, 0};
        const hsize_t cnt[2] = {1, info[r].rows};
        h5::check(H5Sselect_hyperslab(vspace.get(), H5S_SELECT_SET, off, nullptr, cnt, nullptr), what);
        h5::check(H5Pset_virtual(dcpl.get(), vspace.get(), vds_escape(runs[r].result_path).c_str(),
                                 vds_escape("/" + s.name).c_str(), sspace.get()),
                  what + " (run " + runs[r].run_id + ")");
      }
      h5::check(H5Sselect_all(vspace.get()), what);
      h5::Handle lcpl = h5::make_plist(H5P_LINK_CREATE, what);
      h5::check(H5Pset_char_encoding(lcpl.get(), H5T_CSET_UTF8), what);
      h5::Handle ds(h5::check(H5Dcreate2(fid, s.name.c_str(), H5T_IEEE_F64LE, vspace.get(), lcpl.get(),
                                         dcpl.get(), H5P_DEFAULT),
                              what),
                    H5Dclose);
      h5::attach_scale(ds.get(), run_ds.get(), 0);
      h5::attach_scale(ds.get(), time_ds.get(), 1);
      h5::set_attr(ds.get(), "units", s.units);
      h5::set_attr(ds.get(), "long_name", s.long_name);
      h5::set_attr(ds.get(), "cell_methods", s.cell_methods);
      h5::set_attr(ds.get(), "_FillValue", kNaN);
      h5::set_attr(ds.get(), "coordinates", coordinates);
    }

    // per-run variables
    auto along_run_strings = [&](const std::string& name, const std::vector<std::string>& v,
                                 const std::string& long_name) {
      write_strings(fid, name, v);
      h5::Handle ds = open_ds(fid, name);
      h5::attach_scale(ds.get(), run_ds.get(), 0);
      h5::set_attr(ds.get(), "units", std::string("1"));
      h5::set_attr(ds.get(), "long_name", long_name);
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
    for (const auto& p : params) {
      h5::Handle ds;
      if (p.is_string) {
        std::vector<std::string> v;
        for (const auto& e : runs) {
          auto it = e.parameters.find(p.key);
          if (it == e.parameters.end()) {
            v.emplace_back();
          } else if (auto* s = std::get_if<std::string>(&it->second)) {
            v.push_back(*s);
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
        ds = h5::create_dataset(fid, p.var, H5T_IEEE_F64LE, l);
        const hsize_t off[1] = {0};
        const hsize_t cnt[1] = {n};
        h5::write_block(ds.get(), H5T_NATIVE_DOUBLE, off, cnt, v.data());
        h5::attach_scale(ds.get(), run_ds.get(), 0);
        h5::set_attr(ds.get(), "units", std::string("1"));
        h5::set_attr(ds.get(), "long_name", "sweep parameter " + p.key);
        h5::set_attr(ds.get(), "_FillValue", kNaN);
      }
      h5::set_attr(ds.get(), "parameter", p.key);
    }

    h5::set_attr(fid, "complete", std::int32_t{1});
    run_ds.reset();
    time_ds.reset();
    h5::check(H5Fflush(fid, H5F_SCOPE_GLOBAL), "flush " + partial);
    if (!f.reset()) h5::fail("close " + partial);
    std::error_code ec;
    std::filesystem::rename(partial, index_path, ec);
    if (ec) throw OutputError("cannot rename " + partial + " to " + index_path + ": " + ec.message());
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(partial, ec);
    throw;
  }
}

}  // namespace dcsim
