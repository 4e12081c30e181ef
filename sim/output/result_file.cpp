#include "output/result_file.hpp"

#include <filesystem>
#include <system_error>

#include "output/h5.hpp"

namespace dcsim {

bool is_complete_result(const std::string& path) noexcept {
  try {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return false;
    h5::silence_hdf5_errors();
    h5::Handle f = h5::open_file_readonly(path);
    return h5::has_attr(f.get(), "complete") && h5::get_int_attr(f.get(), "complete") == 1;
  } catch (...) {
    return false;
  }
}

}  // namespace dcsim
