// libFuzzer target: the serving request trace reader (serving::load_azure_trace, sim/serving/traffic.cpp)
// (see fuzz_inputs.hpp for the input layout). Any crash, sanitizer report, escaping
// non-InputError exception, leak or hang is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_inputs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)dcsim::fuzz::run_serving_trace(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
