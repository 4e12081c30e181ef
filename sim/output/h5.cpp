#include "output/h5.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

namespace dcsim::h5 {

void silence_hdf5_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

namespace {
herr_t take_innermost(unsigned n, const H5E_error2_t* err, void* out) {
  auto* msg = static_cast<std::string*>(out);
  if (n == 0 && err && err->desc) *msg = err->desc;
  return 0;
}
}  // namespace

[[noreturn]] void fail(const std::string& what) {
  std::string inner;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_innermost, &inner);
  H5Eclear2(H5E_DEFAULT);
  throw OutputError(inner.empty() ? what : what + ": " + inner);
}

hid_t check(hid_t status, const std::string& what) {
  if (status < 0) fail(what);
  return status;
}

Handle make_plist(hid_t cls, const std::string& what) {
  return Handle(check(H5Pcreate(cls), what), H5Pclose);
}

Handle make_space(std::span<const hsize_t> dims, std::span<const hsize_t> maxdims) {
  return Handle(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(),
                                       maxdims.empty() ? nullptr : maxdims.data()),
                      "create dataspace"),
                H5Sclose);
}

Handle scalar_space() { return Handle(check(H5Screate(H5S_SCALAR), "create dataspace"), H5Sclose); }

Handle vlen_string_type() {
  Handle t(check(H5Tcopy(H5T_C_S1), "copy string type"), H5Tclose);
  check(H5Tset_size(t.get(), H5T_VARIABLE), "string type size");
  check(H5Tset_cset(t.get(), H5T_CSET_UTF8), "string type cset");
  return t;
}

Handle create_file(const std::string& path) {
  silence_hdf5_errors();
  Handle fcpl = make_plist(H5P_FILE_CREATE, "file creation plist");
  const unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  check(H5Pset_link_creation_order(fcpl.get(), order), "link creation order");
  check(H5Pset_attr_creation_order(fcpl.get(), order), "attribute creation order");
  // No time stamps in the root group's header: the same run gives the same bytes.
  check(H5Pset_obj_track_times(fcpl.get(), 0), "root group time tracking");
  Handle fapl = make_plist(H5P_FILE_ACCESS, "file access plist");
  // Closing the file closes anything still open in it (error paths).
  check(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG), "file close degree");
  return Handle(check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()),
                      "create HDF5 file " + path),
                H5Fclose);
}

Handle open_file_readonly(const std::string& path) {
  silence_hdf5_errors();
  return Handle(check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "open HDF5 file " + path),
                H5Fclose);
}

Handle open_dataset(hid_t loc, const std::string& name) {
  return Handle(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "open dataset " + name), H5Dclose);
}

namespace {
Handle fresh_attr(hid_t obj, const std::string& name, hid_t type, hid_t space) {
  const htri_t exists = H5Aexists(obj, name.c_str());
  check(exists, "query attribute " + name);
  if (exists > 0) check(H5Adelete(obj, name.c_str()), "replace attribute " + name);
  return Handle(check(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT),
                      "create attribute " + name),
                H5Aclose);
}

template <class T>
void set_scalar_attr(hid_t obj, const std::string& name, hid_t file_type, hid_t mem_type, T v) {
  Handle space = scalar_space();
  Handle a = fresh_attr(obj, name, file_type, space.get());
  check(H5Awrite(a.get(), mem_type, &v), "write attribute " + name);
}

Handle open_attr(hid_t obj, const std::string& name) {
  return Handle(check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "open attribute " + name), H5Aclose);
}
}  // namespace

void set_attr(hid_t obj, const std::string& name, const std::string& value) {
  Handle type = vlen_string_type();
  Handle space = scalar_space();
  Handle a = fresh_attr(obj, name, type.get(), space.get());
  const char* p = value.c_str();
  check(H5Awrite(a.get(), type.get(), &p), "write attribute " + name);
}
void set_attr(hid_t obj, const std::string& name, double value) {
  set_scalar_attr(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, value);
}
void set_attr(hid_t obj, const std::string& name, float value) {
  set_scalar_attr(obj, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, value);
}
void set_attr(hid_t obj, const std::string& name, std::int32_t value) {
  set_scalar_attr(obj, name, H5T_STD_I32LE, H5T_NATIVE_INT32, value);
}
void set_attr(hid_t obj, const std::string& name, std::int64_t value) {
  set_scalar_attr(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, value);
}

bool has_attr(hid_t obj, const std::string& name) {
  return check(H5Aexists(obj, name.c_str()), "query attribute " + name) > 0;
}

std::string get_string_attr(hid_t obj, const std::string& name) {
  Handle a = open_attr(obj, name);
  Handle ftype(check(H5Aget_type(a.get()), "attribute type " + name), H5Tclose);
  if (H5Tget_class(ftype.get()) != H5T_STRING) throw OutputError("attribute " + name + " is not a string");
  if (H5Tis_variable_str(ftype.get()) > 0) {
    Handle mtype = vlen_string_type();
    char* p = nullptr;
    check(H5Aread(a.get(), mtype.get(), &p), "read attribute " + name);
    std::string s = p ? p : "";
    H5free_memory(p);
    return s;
  }
  const std::size_t n = H5Tget_size(ftype.get());
  std::string s(n, '\0');
  check(H5Aread(a.get(), ftype.get(), s.data()), "read attribute " + name);
  s.resize(s.find('\0') == std::string::npos ? n : s.find('\0'));
  return s;
}

double get_double_attr(hid_t obj, const std::string& name) {
  Handle a = open_attr(obj, name);
  double v = 0;
  check(H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v), "read attribute " + name);
  return v;
}

std::int64_t get_int_attr(hid_t obj, const std::string& name) {
  Handle a = open_attr(obj, name);
  std::int64_t v = 0;
  check(H5Aread(a.get(), H5T_NATIVE_INT64, &v), "read attribute " + name);
  return v;
}

Handle create_dataset(hid_t loc, const std::string& name, hid_t file_type,
                      const DatasetLayout& layout) {
  const std::string what = "create dataset " + name;
  Handle dcpl = make_plist(H5P_DATASET_CREATE, what);
  const unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  check(H5Pset_attr_creation_order(dcpl.get(), order), what);
  check(H5Pset_obj_track_times(dcpl.get(), 0), what);
  if (!layout.chunk.empty()) {
    check(H5Pset_chunk(dcpl.get(), static_cast<int>(layout.chunk.size()), layout.chunk.data()), what);
    if (layout.deflate_level > 0) {
      check(H5Pset_shuffle(dcpl.get()), what);
      check(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(layout.deflate_level)), what);
    }
  }
  if (layout.nan_fill) {
    const H5T_class_t cls = H5Tget_class(file_type);
    if (cls != H5T_FLOAT) throw OutputError(what + ": NaN fill on a non-float type");
    const double nan = std::numeric_limits<double>::quiet_NaN();
    check(H5Pset_fill_value(dcpl.get(), H5T_NATIVE_DOUBLE, &nan), what);
  }
  Handle space = make_space(layout.dims, layout.maxdims);
  Handle lcpl = make_plist(H5P_LINK_CREATE, what);
  check(H5Pset_char_encoding(lcpl.get(), H5T_CSET_UTF8), what);
  // The writers write whole chunks (or the last, partial one once): a chunk cache would only
  // keep up to 1 MiB of already written chunks per dataset alive, so it is switched off.
  Handle dapl = make_plist(H5P_DATASET_ACCESS, what);
  check(H5Pset_chunk_cache(dapl.get(), 0, 0, 1.0), what);
  return Handle(check(H5Dcreate2(loc, name.c_str(), file_type, space.get(), lcpl.get(), dcpl.get(),
                                 dapl.get()),
                      what),
                H5Dclose);
}

void set_scale(hid_t ds, const std::string& dim_name) {
  check(H5DSset_scale(ds, dim_name.c_str()), "set dimension scale " + dim_name);
}

void attach_scale(hid_t ds, hid_t scale, unsigned axis) {
  check(H5DSattach_scale(ds, scale, axis), "attach dimension scale");
}

std::string netcdf_dim_only_name(std::uint64_t length) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "This is a netCDF dimension but not a netCDF variable.%10llu",
                static_cast<unsigned long long>(length));
  return buf;
}

std::vector<hsize_t> dataset_dims(hid_t ds) {
  Handle space(check(H5Dget_space(ds), "dataset space"), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  check(rank, "dataset rank");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0) check(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), "dataset dims");
  return dims;
}

void set_extent(hid_t ds, std::span<const hsize_t> dims) {
  check(H5Dset_extent(ds, dims.data()), "extend dataset");
}

void write_block(hid_t ds, hid_t mem_type, std::span<const hsize_t> offset,
                 std::span<const hsize_t> count, const void* data) {
  hsize_t total = 1;
  for (auto c : count) total *= c;
  if (total == 0) return;
  Handle fspace(check(H5Dget_space(ds), "dataset space"), H5Sclose);
  check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, offset.data(), nullptr, count.data(), nullptr),
        "select hyperslab");
  Handle mspace = make_space(count, {});
  check(H5Dwrite(ds, mem_type, mspace.get(), fspace.get(), H5P_DEFAULT, data), "write dataset");
}

std::vector<double> read_doubles(hid_t ds) {
  const auto dims = dataset_dims(ds);
  std::size_t n = 1;
  for (auto d : dims) n *= static_cast<std::size_t>(d);
  std::vector<double> v(n);
  if (n) check(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), "read dataset");
  return v;
}

std::vector<std::string> read_strings(hid_t ds) {
  const auto dims = dataset_dims(ds);
  std::size_t n = 1;
  for (auto d : dims) n *= static_cast<std::size_t>(d);
  std::vector<char*> p(n, nullptr);
  Handle mtype = vlen_string_type();
  if (n) check(H5Dread(ds, mtype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, p.data()), "read strings");
  std::vector<std::string> out;
  out.reserve(n);
  for (char* s : p) out.emplace_back(s ? s : "");
  if (n) {
    Handle space(check(H5Dget_space(ds), "dataset space"), H5Sclose);
    H5Dvlen_reclaim(mtype.get(), space.get(), H5P_DEFAULT, p.data());
  }
  return out;
}

namespace {
herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return 0;
}
}  // namespace

std::vector<std::string> list_root(hid_t file) {
  std::vector<std::string> names;
  hsize_t idx = 0;
  check(H5Literate(file, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx, collect_name, &names), "list root group");
  return names;
}

}  // namespace dcsim::h5
