#include "app/cli.hpp"

int main(int argc, char** argv) { return dcsim::cli_main(argc, argv); }
