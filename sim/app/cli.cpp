#include "app/cli.hpp"

#include <cstdio>

namespace dcsim {
int cli_main(int, char**) {
  std::puts("dcsim: not yet wired");
  return 1;
}
}  // namespace dcsim
