#!/usr/bin/env bash
# CI's sanitizer stage: builds the asan preset (AddressSanitizer + UndefinedBehaviorSanitizer)
# and runs every C++ test under it (ctest: unit, integration, command-line tests).
# SimGrid switches stacks between actors; ASan follows ucontext switches (SimGrid announces them
# to the sanitizer), so the engine runs with ucontext contexts in this stage.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh asan
export ASAN_OPTIONS=detect_leaks=0:detect_stack_use_after_return=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export DCSIM_SIMGRID_ARGS="--cfg=contexts/factory:ucontext"
export DCSIM_SOURCE_DIR=$PWD DCSIM_BINARY=$PWD/build/asan/dcsim
# Run in the main stage only (they are the longest under ASan and keep .ci/run under its 45
# minutes): the four longest serving cases (request-level serving of 10^5-10^6 requests, 2-5 min
# each; the serving code still runs under ASan in "engine serving only", "with a drain", the
# serving unit tests and cli serving_engine) and the golden examples (10 min under ASan since the
# week of autoscaled serving joined them; whole runs still run under ASan in calibration_seed,
# the sweep, determinism and fault tests). Also left to the main stage: the header check (it only
# compiles), the hot week and the power-cap sharing of serving with training (a week of 1,000 GPUs
# four times, a cap over 32 GPUs; their code runs under ASan in the thermal and cap cases).
ctest --test-dir build/asan --output-on-failure -j "$(nproc)" --timeout 900 \
  -E 'engine serving (autoscaling|under a lower device power limit|with training|and training under a site cap)|cli: golden_examples|cli: hot_week|build: every header'
