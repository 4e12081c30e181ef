#include "output/result_file.hpp"

#include <filesystem>
#include <system_error>

#include "output/h5.hpp"

namespace dcsim {

bool is_complete_result(const std::string& path) noexcept {
  try {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return false;
    return h5::guarded(path, "check the result file", [&] {
      const H5::H5File f = h5::open_file_read(path);
      return h5::has_attr(f, "complete") && h5::get_int_attr(f, "complete") == 1;
    });
  } catch (...) {
    return false;
  }
}

}  // namespace dcsim
