#pragma once
// Thin checked RAII wrappers over the HDF5 C API (+ HL dimension scales), used by the HDF5
// recorder and the sweep index. This file is the one place that turns HDF5 errors into
// exceptions: every call goes through check(), which throws OutputError with the operation,
// the object name and the innermost message of HDF5's error stack. HDF5's automatic printing
// of its error stack to stderr is switched off (silence_hdf5_errors()).
//
// Everything written here follows the netCDF-4 conventions of analysis/SCHEMA.md: creation
// order tracked and indexed, variable-length UTF-8 strings, no object modification times.
#include <hdf5.h>
#include <hdf5_hl.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "output/output_error.hpp"

namespace dcsim::h5 {

// Switch off HDF5's automatic error-stack printing for this thread (idempotent).
void silence_hdf5_errors();

// Throws OutputError("<what>: <innermost HDF5 message>") if `status` is negative.
hid_t check(hid_t status, const std::string& what);
[[noreturn]] void fail(const std::string& what);

// Owns one HDF5 identifier and closes it with the matching H5?close.
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
  // Closes now; returns false if HDF5 reported an error while closing.
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

Handle make_plist(hid_t cls, const std::string& what);
Handle make_space(std::span<const hsize_t> dims, std::span<const hsize_t> maxdims);
Handle scalar_space();
// Variable-length UTF-8 string type (memory and file).
Handle vlen_string_type();

// Files: created with link and attribute creation order TRACKED|INDEXED.
Handle create_file(const std::string& path);
Handle open_file_readonly(const std::string& path);
Handle open_dataset(hid_t loc, const std::string& name);

// Attributes. Writing an existing attribute replaces it.
void set_attr(hid_t obj, const std::string& name, const std::string& value);
void set_attr(hid_t obj, const std::string& name, double value);
void set_attr(hid_t obj, const std::string& name, float value);
void set_attr(hid_t obj, const std::string& name, std::int32_t value);
void set_attr(hid_t obj, const std::string& name, std::int64_t value);
bool has_attr(hid_t obj, const std::string& name);
std::string get_string_attr(hid_t obj, const std::string& name);
double get_double_attr(hid_t obj, const std::string& name);
std::int64_t get_int_attr(hid_t obj, const std::string& name);

// Dataset creation: chunked, shuffle+deflate if level > 0, attribute creation order tracked,
// no modification times, optional NaN fill value (floats only).
struct DatasetLayout {
  std::vector<hsize_t> dims;
  std::vector<hsize_t> maxdims;  // H5S_UNLIMITED for extendible dimensions
  std::vector<hsize_t> chunk;    // empty: contiguous
  int deflate_level = 0;
  bool nan_fill = false;
};
Handle create_dataset(hid_t loc, const std::string& name, hid_t file_type,
                      const DatasetLayout& layout);

// Marks `ds` as the dimension scale called `dim_name`.
void set_scale(hid_t ds, const std::string& dim_name);
void attach_scale(hid_t ds, hid_t scale, unsigned axis);
// The netCDF name of a scale that is a dimension without a coordinate variable.
std::string netcdf_dim_only_name(std::uint64_t length);

// Extent and hyperslab I/O on 1-D or 2-D datasets.
std::vector<hsize_t> dataset_dims(hid_t ds);
void set_extent(hid_t ds, std::span<const hsize_t> dims);
// Writes `count` (per axis) elements of `mem_type` from `data` at `offset`.
void write_block(hid_t ds, hid_t mem_type, std::span<const hsize_t> offset,
                 std::span<const hsize_t> count, const void* data);
std::vector<double> read_doubles(hid_t ds);
std::vector<std::string> read_strings(hid_t ds);

// Names of the links in the root group of `file`, in creation order.
std::vector<std::string> list_root(hid_t file);

}  // namespace dcsim::h5
