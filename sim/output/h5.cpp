#include "output/h5.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <H5DSpublic.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <limits>

namespace dcsim::h5 {

// ---- errors -----------------------------------------------------------------------------------

namespace {

thread_local std::string g_innermost;  // innermost message of the last failed HDF5 call

herr_t take_innermost(unsigned n, const H5E_error2_t* err, void* out) {
  auto* msg = static_cast<std::string*>(out);
  if (n == 0 && err && err->desc) *msg = err->desc;
  return 0;
}

// HDF5's automatic error handler, called when an API call fails: records, prints nothing.
herr_t record_error(hid_t, void*) {
  std::string inner;
  H5::Exception::walkErrorStack(H5E_WALK_UPWARD, take_innermost, &inner);  // the current stack
  g_innermost = std::move(inner);
  return 0;
}

// "file write failed: time = ..., errno = 28, error message = 'No space left on device', ..."
// → "No space left on device (errno 28)"; other messages are kept whole.
std::string reduce_cause(const std::string& inner) {
  const std::string key = "error message = '";
  const auto k = inner.find(key);
  if (k == std::string::npos) return inner;
  const auto start = k + key.size();
  const auto end = inner.find('\'', start);
  std::string cause = inner.substr(start, end == std::string::npos ? std::string::npos : end - start);
  const std::string ek = "errno = ";
  if (const auto e = inner.find(ek); e != std::string::npos) {
    const auto stop = inner.find(',', e);
    cause += " (errno " + inner.substr(e + ek.size(), stop == std::string::npos ? std::string::npos : stop - e - ek.size()) + ")";
  }
  return cause;
}

std::atomic<bool> g_unrecoverable{false};

}  // namespace

void silence_hdf5_errors() {
  H5E_auto2_t fn = nullptr;
  void* data = nullptr;
  H5::Exception::getAutoPrint(fn, &data);
  if (fn != record_error) {
    H5E_auto2_t mine = record_error;
    H5::Exception::setAutoPrint(mine, nullptr);
  }
}

OutputError to_output_error(const H5::Exception& e, const std::string& file, const std::string& operation) {
  std::string cause = reduce_cause(g_innermost);
  if (cause.empty()) cause = e.getDetailMsg();
  g_innermost.clear();
  return OutputError(file, operation, cause);
}

// ---- files, types, datasets, attributes -------------------------------------------------------

H5::H5File create_file(const std::string& path) {
  silence_hdf5_errors();
  H5::FileCreatPropList fcpl;
  set_file_creation_order(fcpl);
  // No time stamps in the root group's header: the same run gives the same bytes.
  set_no_time_tracking(fcpl);
  H5::FileAccPropList fapl;
  // Closing the file closes anything still open in it (error paths).
  fapl.setFcloseDegree(H5F_CLOSE_STRONG);
  // No sieve buffer: small raw writes of contiguous datasets go to the file at once, so that a
  // failing device shows up in the write that caused it, never later in a dataset's close
  // (which the C++ destructor would report on stderr while an exception unwinds). The bytes of
  // the file do not change; only how they are sent.
  fapl.setSieveBufSize(0);
  return H5::H5File(path, H5F_ACC_TRUNC, fcpl, fapl);
}

H5::H5File open_file_read(const std::string& path) {
  silence_hdf5_errors();
  return H5::H5File(path, H5F_ACC_RDONLY);
}

H5::StrType vlen_string_type() {
  H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
  t.setCset(H5T_CSET_UTF8);
  return t;
}

H5::DSetCreatPropList dataset_creation_plist() {
  H5::DSetCreatPropList dcpl;
  dcpl.setAttrCrtOrder(H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  set_no_time_tracking(dcpl);
  return dcpl;
}

H5::LinkCreatPropList utf8_link_plist() {
  H5::LinkCreatPropList lcpl;
  lcpl.setCharEncoding(H5T_CSET_UTF8);
  return lcpl;
}

H5::DataSet create_dataset(const H5::H5Location& loc, const std::string& name, const H5::DataType& file_type,
                           const DatasetLayout& layout) {
  H5::DSetCreatPropList dcpl = dataset_creation_plist();
  if (!layout.chunk.empty()) {
    dcpl.setChunk(static_cast<int>(layout.chunk.size()), layout.chunk.data());
    if (layout.deflate_level > 0) {
      dcpl.setShuffle();
      dcpl.setDeflate(layout.deflate_level);
    }
  }
  if (layout.nan_fill) {
    if (file_type.getClass() != H5T_FLOAT) throw OutputError("create dataset " + name + ": NaN fill on a non-float type");
    const double nan = std::numeric_limits<double>::quiet_NaN();
    dcpl.setFillValue(H5::PredType::NATIVE_DOUBLE, &nan);
  }
  const H5::DataSpace space(static_cast<int>(layout.dims.size()), layout.dims.data(),
                            layout.maxdims.empty() ? nullptr : layout.maxdims.data());
  // The writers write whole chunks (or the last, partial one once): a chunk cache would only
  // keep up to 1 MiB of already written chunks per dataset alive, so it is switched off.
  H5::DSetAccPropList dapl;
  dapl.setChunkCache(0, 0, 1.0);
  return loc.createDataSet(name, file_type, space, dcpl, dapl, utf8_link_plist());
}

namespace {
H5::Attribute fresh_attr(const H5::H5Object& obj, const std::string& name, const H5::DataType& type) {
  if (obj.attrExists(name)) obj.removeAttr(name);
  return obj.createAttribute(name, type, H5::DataSpace(H5S_SCALAR));
}

template <class T>
void set_scalar_attr(const H5::H5Object& obj, const std::string& name, const H5::PredType& file_type,
                     const H5::PredType& mem_type, T v) {
  fresh_attr(obj, name, file_type).write(mem_type, &v);
}
}  // namespace

void set_attr(const H5::H5Object& obj, const std::string& name, const std::string& value) {
  const H5::StrType type = vlen_string_type();
  fresh_attr(obj, name, type).write(type, value);
}
void set_attr(const H5::H5Object& obj, const std::string& name, double value) {
  set_scalar_attr(obj, name, H5::PredType::IEEE_F64LE, H5::PredType::NATIVE_DOUBLE, value);
}
void set_attr(const H5::H5Object& obj, const std::string& name, float value) {
  set_scalar_attr(obj, name, H5::PredType::IEEE_F32LE, H5::PredType::NATIVE_FLOAT, value);
}
void set_attr(const H5::H5Object& obj, const std::string& name, std::int32_t value) {
  set_scalar_attr(obj, name, H5::PredType::STD_I32LE, H5::PredType::NATIVE_INT32, value);
}
void set_attr(const H5::H5Object& obj, const std::string& name, std::int64_t value) {
  set_scalar_attr(obj, name, H5::PredType::STD_I64LE, H5::PredType::NATIVE_INT64, value);
}

bool has_attr(const H5::H5Object& obj, const std::string& name) { return obj.attrExists(name); }

std::string get_string_attr(const H5::H5Object& obj, const std::string& name) {
  const H5::Attribute a = obj.openAttribute(name);
  if (a.getTypeClass() != H5T_STRING) throw OutputError("attribute " + name + " is not a string");
  const H5::StrType ftype = a.getStrType();
  std::string s;
  if (ftype.isVariableStr())
    a.read(vlen_string_type(), s);
  else
    a.read(ftype, s);
  return s;
}

double get_double_attr(const H5::H5Object& obj, const std::string& name) {
  double v = 0;
  obj.openAttribute(name).read(H5::PredType::NATIVE_DOUBLE, &v);
  return v;
}

std::int64_t get_int_attr(const H5::H5Object& obj, const std::string& name) {
  std::int64_t v = 0;
  obj.openAttribute(name).read(H5::PredType::NATIVE_INT64, &v);
  return v;
}

std::vector<hsize_t> dataset_dims(const H5::DataSet& ds) {
  const H5::DataSpace space = ds.getSpace();
  std::vector<hsize_t> dims(static_cast<std::size_t>(space.getSimpleExtentNdims()));
  if (!dims.empty()) space.getSimpleExtentDims(dims.data());
  return dims;
}

void set_extent(const H5::DataSet& ds, std::span<const hsize_t> dims) { ds.extend(dims.data()); }

void write_block(const H5::DataSet& ds, const H5::DataType& mem_type, std::span<const hsize_t> offset,
                 std::span<const hsize_t> count, const void* data) {
  hsize_t total = 1;
  for (auto c : count) total *= c;
  if (total == 0) return;
  const H5::DataSpace fspace = ds.getSpace();
  fspace.selectHyperslab(H5S_SELECT_SET, count.data(), offset.data());
  const H5::DataSpace mspace(static_cast<int>(count.size()), count.data());
  ds.write(data, mem_type, mspace, fspace);
}

std::vector<double> read_doubles(const H5::DataSet& ds) {
  std::size_t n = 1;
  for (auto d : dataset_dims(ds)) n *= static_cast<std::size_t>(d);
  std::vector<double> v(n);
  if (n) ds.read(v.data(), H5::PredType::NATIVE_DOUBLE);
  return v;
}

std::vector<std::string> read_strings(const H5::DataSet& ds) {
  std::size_t n = 1;
  for (auto d : dataset_dims(ds)) n *= static_cast<std::size_t>(d);
  std::vector<char*> p(n, nullptr);
  const H5::StrType mtype = vlen_string_type();
  if (n) ds.read(p.data(), mtype);
  std::vector<std::string> out;
  out.reserve(n);
  for (char* s : p) out.emplace_back(s ? s : "");
  if (n) H5::DataSet::vlenReclaim(p.data(), mtype, ds.getSpace());
  return out;
}

std::string netcdf_dim_only_name(std::uint64_t length) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "This is a netCDF dimension but not a netCDF variable.%10llu",
                static_cast<unsigned long long>(length));
  return buf;
}

// ---- C and HL calls -----------------------------------------------------------------------------
// A failing C call throws H5::Exception like the C++ API does, so guarded() translates both.

namespace {
void c_check(herr_t status, const char* func) {
  if (status < 0) throw H5::Exception(func, std::string(func) + " failed");
}
}  // namespace

void set_file_creation_order(const H5::FileCreatPropList& fcpl) {
  const unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  c_check(H5Pset_link_creation_order(fcpl.getId(), order), "H5Pset_link_creation_order");
  c_check(H5Pset_attr_creation_order(fcpl.getId(), order), "H5Pset_attr_creation_order");
}

void set_no_time_tracking(const H5::PropList& ocpl) {
  c_check(H5Pset_obj_track_times(ocpl.getId(), 0), "H5Pset_obj_track_times");
}

void set_scale(const H5::DataSet& ds, const std::string& dim_name) {
  c_check(H5DSset_scale(ds.getId(), dim_name.c_str()), "H5DSset_scale");
}

void attach_scale(const H5::DataSet& ds, const H5::DataSet& scale, unsigned axis) {
  c_check(H5DSattach_scale(ds.getId(), scale.getId(), axis), "H5DSattach_scale");
}

bool is_scale(const H5::DataSet& ds) { return H5DSis_scale(ds.getId()) > 0; }

namespace {
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

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return 0;
}
}  // namespace

bool scale_attached_at(const H5::DataSet& ds, haddr_t scale_addr) {
  if (H5DSget_num_scales(ds.getId(), 0) <= 0) return false;
  ScaleMatch m{scale_addr};
  int idx = 0;
  H5DSiterate_scales(ds.getId(), 0, &idx, match_scale, &m);
  return m.found;
}

std::vector<std::string> list_root(const H5::H5File& file) {
  std::vector<std::string> names;
  hsize_t idx = 0;
  c_check(H5Literate(file.getId(), H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx, collect_name, &names), "H5Literate");
  return names;
}

bool detach_storage(const H5::H5File& file) noexcept {
  try {
    if (!H5::IdComponent::isValid(file.getId())) return false;
    if (file.getAccessPlist().getDriver() != H5FD_SEC2) return false;
    void* handle = nullptr;
    file.getVFDHandle(&handle);
    if (!handle) return false;
    const int fd = *static_cast<int*>(handle);
    struct stat st {};
    if (::fstat(fd, &st) != 0) return false;
    const int mem = ::memfd_create("dcsim-discarded-output", MFD_CLOEXEC);
    if (mem < 0) return false;
    // Same size, sparse: the driver's idea of the end of file stays true, no memory is used.
    const bool ok = ::ftruncate(mem, st.st_size) == 0 && ::dup2(mem, fd) == fd;
    ::close(mem);
    return ok;
  } catch (...) {
    return false;
  }
}

bool close_quietly(H5::IdComponent& obj) noexcept {
  const hid_t id = obj.getId();
  if (!H5::IdComponent::isValid(id)) return true;
  try {
    obj.close();
    return true;
  } catch (...) {
    // A failed close leaves the id behind: give it one more reference so that the C++
    // destructor only drops that one (and prints nothing), and never close it again.
    if (H5::IdComponent::isValid(id)) obj.incRefCount(id);
    mark_hdf5_state_unrecoverable();
    return false;
  }
}

void close_file(FilePtr& f) {
  if (!f) return;
  try {
    f->close();
    f.reset();
  } catch (const H5::Exception&) {
    (void)f.release();  // abandoned on purpose: destroying it would call H5Fclose again
    mark_hdf5_state_unrecoverable();
    throw;
  }
}

bool close_file_quietly(FilePtr& f) noexcept {
  try {
    close_file(f);
    return true;
  } catch (...) {
    return false;
  }
}

bool hdf5_state_unrecoverable() noexcept { return g_unrecoverable.load(); }
void mark_hdf5_state_unrecoverable() noexcept { g_unrecoverable.store(true); }

// ---- read helpers on raw ids -------------------------------------------------------------------

namespace {
// The C++ object of the right class for a file, group or dataset id (it takes a reference).
template <class F>
decltype(auto) as_object(hid_t id, F&& f) {
  switch (H5Iget_type(id)) {
    case H5I_FILE: return f(H5::H5File(id));
    case H5I_GROUP: return f(H5::Group(id));
    case H5I_DATASET: return f(H5::DataSet(id));
    default: throw OutputError("not an HDF5 file, group or dataset id");
  }
}

template <class F>
decltype(auto) read_guarded(const std::string& what, F&& f) {
  silence_hdf5_errors();
  try {
    return std::forward<F>(f)();
  } catch (const H5::Exception& e) {
    const OutputError err = to_output_error(e, "", what);
    throw OutputError(err.what());
  }
}
}  // namespace

Handle open_file_readonly(const std::string& path) {
  return read_guarded("open HDF5 file " + path, [&] {
    const H5::H5File f = open_file_read(path);
    f.incRefCount();  // the Handle's reference
    return Handle(f.getId(), H5Fclose);
  });
}

Handle open_dataset(hid_t loc, const std::string& name) {
  return read_guarded("open dataset " + name, [&] {
    const H5::DataSet d = as_object(loc, [&](const H5::H5Object& o) { return o.openDataSet(name); });
    d.incRefCount();
    return Handle(d.getId(), H5Dclose);
  });
}

bool has_attr(hid_t obj, const std::string& name) {
  return read_guarded("query attribute " + name, [&] { return as_object(obj, [&](const H5::H5Object& o) { return has_attr(o, name); }); });
}
std::string get_string_attr(hid_t obj, const std::string& name) {
  return read_guarded("read attribute " + name,
                      [&] { return as_object(obj, [&](const H5::H5Object& o) { return get_string_attr(o, name); }); });
}
double get_double_attr(hid_t obj, const std::string& name) {
  return read_guarded("read attribute " + name,
                      [&] { return as_object(obj, [&](const H5::H5Object& o) { return get_double_attr(o, name); }); });
}
std::int64_t get_int_attr(hid_t obj, const std::string& name) {
  return read_guarded("read attribute " + name,
                      [&] { return as_object(obj, [&](const H5::H5Object& o) { return get_int_attr(o, name); }); });
}
std::vector<hsize_t> dataset_dims(hid_t ds) {
  return read_guarded("dataset dims", [&] { return dataset_dims(H5::DataSet(ds)); });
}
std::vector<double> read_doubles(hid_t ds) {
  return read_guarded("read dataset", [&] { return read_doubles(H5::DataSet(ds)); });
}
std::vector<std::string> read_strings(hid_t ds) {
  return read_guarded("read strings", [&] { return read_strings(H5::DataSet(ds)); });
}

}  // namespace dcsim::h5
