#!/usr/bin/env bash
# The C++ files under clang-format (.clang-format): sim/, tests/ (with tests/bench), bench/ if any.
# Sourced by scripts/format.sh and scripts/check_format.sh so both see the same list.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
git ls-files -- 'sim/*.cpp' 'sim/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 'tests/*.c' 'bench/*.cpp' 'bench/*.hpp'
