#pragma once
// The output module's HDF5 layer, on HDF5's C++ API (H5Cpp.h: H5::H5File, H5::DataSet,
// H5::DataSpace, H5::DSetCreatPropList, H5::Attribute, H5::StrType, H5::Exception).
//
// Errors: guarded() is the one place that turns an H5::Exception into dcsim's OutputError, with
// the file, the operation and the cause (the innermost message of HDF5's error stack, reduced to
// the operating system's reason, e.g. "No space left on device (errno 28)", when there is one).
// HDF5's automatic error printing is off (silence_hdf5_errors()).
//
// What the C++ API of HDF5 1.10 does not cover goes through the C and HL C API on the C++
// objects' ids, in the section "C and HL calls" below and nowhere else (each with its reason);
// the read helpers on raw ids at the end (for callers holding C ids) pick the C++ class of an
// id with H5Iget_type.
//
// Everything written here follows the netCDF-4 conventions of analysis/SCHEMA.md: creation
// order tracked and indexed, variable-length UTF-8 strings, no object modification times.
#include <H5Cpp.h>
#include <hdf5_hl.h>  // H5DS* for the section "C and HL calls" (and callers' own checks)

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "output/output_error.hpp"

namespace dcsim::h5 {

// ---- errors ---------------------------------------------------------------------------------

// Switches off HDF5's automatic error printing for this thread (idempotent). Nothing is printed;
// instead of no handler at all (H5::Exception::dontPrint()) a handler that only records the
// innermost message is installed: C++ objects closed while an exception unwinds clear HDF5's
// error stack before a catch handler could read it.
void silence_hdf5_errors();

// The OutputError for an H5::Exception thrown while doing `operation` on `file`.
OutputError to_output_error(const H5::Exception& e, const std::string& file, const std::string& operation);

void mark_hdf5_state_unrecoverable() noexcept;

// Runs f(); an H5::Exception becomes OutputError(file, operation, cause).
template <class F>
decltype(auto) guarded(const std::string& file, const std::string& operation, F&& f) {
  silence_hdf5_errors();
  try {
    return std::forward<F>(f)();
  } catch (const H5::Exception& e) {
    throw to_output_error(e, file, operation);
  }
}

// The same for an operation that writes `file`: a failure also marks HDF5's state as
// unrecoverable (below), since HDF5 1.10 may keep a half-created or half-flushed file that its
// exit handler cannot close ("infinite loop closing library", or a crash).
template <class F>
decltype(auto) guarded_write(const std::string& file, const std::string& operation, F&& f) {
  silence_hdf5_errors();
  try {
    return std::forward<F>(f)();
  } catch (const H5::Exception& e) {
    mark_hdf5_state_unrecoverable();
    throw to_output_error(e, file, operation);
  }
}

// ---- files, types, datasets, attributes (C++ API) ---------------------------------------------

// Created with link and attribute creation order TRACKED|INDEXED, no time stamps, close degree
// STRONG (closing the file closes anything still open in it), no sieve buffer (h5.cpp).
H5::H5File create_file(const std::string& path);
H5::H5File open_file_read(const std::string& path);

// Variable-length UTF-8 string type (memory and file).
H5::StrType vlen_string_type();

// Dataset creation: chunked, shuffle+deflate if level > 0, attribute creation order tracked,
// no modification times, optional NaN fill value (floats only), no chunk cache.
struct DatasetLayout {
  std::vector<hsize_t> dims;
  std::vector<hsize_t> maxdims;  // H5S_UNLIMITED for extendible dimensions
  std::vector<hsize_t> chunk;    // empty: contiguous
  int deflate_level = 0;
  bool nan_fill = false;
};
H5::DataSet create_dataset(const H5::H5Location& loc, const std::string& name, const H5::DataType& file_type,
                           const DatasetLayout& layout);
// The creation properties every dataset gets (attribute creation order, no time stamps).
H5::DSetCreatPropList dataset_creation_plist();
// Link names in UTF-8 (netCDF-4).
H5::LinkCreatPropList utf8_link_plist();

// Attributes. Writing an existing attribute replaces it.
void set_attr(const H5::H5Object& obj, const std::string& name, const std::string& value);
void set_attr(const H5::H5Object& obj, const std::string& name, double value);
void set_attr(const H5::H5Object& obj, const std::string& name, float value);
void set_attr(const H5::H5Object& obj, const std::string& name, std::int32_t value);
void set_attr(const H5::H5Object& obj, const std::string& name, std::int64_t value);
bool has_attr(const H5::H5Object& obj, const std::string& name);
std::string get_string_attr(const H5::H5Object& obj, const std::string& name);
double get_double_attr(const H5::H5Object& obj, const std::string& name);
std::int64_t get_int_attr(const H5::H5Object& obj, const std::string& name);

// Extent and hyperslab I/O on 1-D or 2-D datasets.
std::vector<hsize_t> dataset_dims(const H5::DataSet& ds);
void set_extent(const H5::DataSet& ds, std::span<const hsize_t> dims);
// Writes `count` (per axis) elements of `mem_type` from `data` at `offset`.
void write_block(const H5::DataSet& ds, const H5::DataType& mem_type, std::span<const hsize_t> offset,
                 std::span<const hsize_t> count, const void* data);
std::vector<double> read_doubles(const H5::DataSet& ds);
std::vector<std::string> read_strings(const H5::DataSet& ds);

// The netCDF name of a scale that is a dimension without a coordinate variable.
std::string netcdf_dim_only_name(std::uint64_t length);

// ---- C and HL calls (what the C++ API of HDF5 1.10 lacks), on the C++ objects' ids ----------

// H5Pset_link_creation_order / H5Pset_attr_creation_order on a file creation list:
// FileCreatPropList has neither (it is not an ObjCreatPropList in 1.10).
void set_file_creation_order(const H5::FileCreatPropList& fcpl);
// H5Pset_obj_track_times: no C++ equivalent in 1.10.
void set_no_time_tracking(const H5::PropList& ocpl);
// Dimension scales (H5DS*, HL C API; there is no C++ binding of the HL library for them).
void set_scale(const H5::DataSet& ds, const std::string& dim_name);
void attach_scale(const H5::DataSet& ds, const H5::DataSet& scale, unsigned axis);
bool is_scale(const H5::DataSet& ds);
// True if axis 0 of `ds` has the dimension scale stored at `scale_addr` attached
// (H5DSiterate_scales; H5DSis_attached would walk the scale's whole REFERENCE_LIST).
bool scale_attached_at(const H5::DataSet& ds, haddr_t scale_addr);
// Names of the links in the root group, in creation order (H5Literate: the C++ API iterates by
// name only).
std::vector<std::string> list_root(const H5::H5File& file);

// ---- after a failure ---------------------------------------------------------------------------
// After a failed write: points the file's descriptor at an anonymous in-memory file, so that
// closing the HDF5 objects (which flushes) succeeds instead of failing half-way, which leaves
// HDF5 1.10 with a freed file that it closes again at exit (SIGSEGV in H5F__close_cb). Only the
// default (sec2) driver is handled; returns false if the descriptor could not be replaced.
bool detach_storage(const H5::H5File& file) noexcept;
// Closes `obj` if it is open; false if HDF5 reported an error (never throws, prints nothing).
bool close_quietly(H5::IdComponent& obj) noexcept;
// A file that may have to be abandoned. After a failed flush HDF5 1.10 cannot close a file
// ("slist already enabled?"), and after a failed H5Fclose any further H5Fclose of it, by the
// C++ destructor or by HDF5's exit handler, crashes (SIGSEGV in H5F__close). So a file whose
// close failed is leaked on purpose: its H5File is never destroyed, and the process is marked
// (hdf5_state_unrecoverable()) so that the command line ends without HDF5's exit handler.
using FilePtr = std::unique_ptr<H5::H5File>;
// Closes and resets `f`; on failure abandons it (see above) and rethrows the H5::Exception.
void close_file(FilePtr& f);
// The same, never throwing; false if the file had to be abandoned.
bool close_file_quietly(FilePtr& f) noexcept;
// Set after a failed HDF5 write or close: HDF5's exit handler could crash or complain closing
// what is left, so the process must end without running it (the command line does _exit once
// the error is reported).
bool hdf5_state_unrecoverable() noexcept;

// ---- read helpers on raw ids -------------------------------------------------------------------
// For callers that hold C identifiers (the unit tests mix these with C-level assertions such as
// H5Pget_layout). Each wraps the id in the matching C++ object (which takes a reference) and
// calls the C++ helper above; Handle owns a raw id and closes it with the matching H5?close,
// because the C++ API has no owner for an id obtained from a C call.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), closer_(o.closer_) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      closer_ = o.closer_;
    }
    return *this;
  }
  ~Handle() { reset(); }
  bool reset() noexcept {
    bool ok = true;
    if (id_ >= 0 && closer_) ok = closer_(id_) >= 0;
    id_ = H5I_INVALID_HID;
    return ok;
  }
  hid_t get() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// Throws OutputError("open HDF5 file <path>: <cause>").
Handle open_file_readonly(const std::string& path);
Handle open_dataset(hid_t loc, const std::string& name);
bool has_attr(hid_t obj, const std::string& name);
std::string get_string_attr(hid_t obj, const std::string& name);
double get_double_attr(hid_t obj, const std::string& name);
std::int64_t get_int_attr(hid_t obj, const std::string& name);
std::vector<hsize_t> dataset_dims(hid_t ds);
std::vector<double> read_doubles(hid_t ds);
std::vector<std::string> read_strings(hid_t ds);

}  // namespace dcsim::h5
