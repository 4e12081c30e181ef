#pragma once
namespace dcsim {
// The dcsim command line. Returns the process exit code.
int cli_main(int argc, char** argv);
}
