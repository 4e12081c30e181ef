#!/usr/bin/env bash
# CI's fuzzing stage (issue 8): builds the libFuzzer targets (tests/fuzz/, one per parser of user
# files) in build/fuzz with clang, the dcsim libraries instrumented with
# -fsanitize=fuzzer-no-link,address,undefined, and runs each target for a bounded time from its
# seed corpus (tests/fuzz/corpus/<parser>/). Fails on any crash, leak, timeout (> 10 s for one
# input), out-of-memory (> 2 GiB) or sanitizer report.
#
# Usage: scripts/fuzz.sh [parser...]        (default: every tests/fuzz/fuzz_*.cpp)
# Environment:
#   FUZZ_SECONDS   time per target (default 60)
#   FUZZ_PARALLEL  targets fuzzed at once (default: the number of cores)
#   FUZZ_BUILD_DIR build directory (default build/fuzz)
#   FUZZ_TIMEOUT   seconds one input may take before it counts as a hang (default 10)
# New interesting inputs go to $FUZZ_BUILD_DIR/corpus/<parser>/ (kept between runs, never into
# the source tree). A crashing input is kept in $FUZZ_BUILD_DIR/artifacts/<parser>/ and printed
# in base64 so that it can be recovered from a CI log; fix the parser, then add the input to
# tests/fuzz/regressions/<parser>/ (replayed by `ctest -R fuzz`).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
seconds=${FUZZ_SECONDS:-60}
parallel=${FUZZ_PARALLEL:-$(nproc)}
build=${FUZZ_BUILD_DIR:-build/fuzz}
t0=$(date +%s)

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ not found (apt-get install clang)" >&2
  exit 1
fi

flags="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_FLAGS_DEBUG="-O1 -g" -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DDCSIM_FUZZ=ON -DDCSIM_BUILD_BENCH=OFF >/dev/null

if [ $# -gt 0 ]; then
  parsers=("$@")
else
  parsers=()
  for f in tests/fuzz/fuzz_*.cpp; do
    p=$(basename "$f" .cpp); p=${p#fuzz_}
    # the sweep target exists only once sim/config/sweep.cpp does (tests/fuzz/CMakeLists.txt)
    if [ "$p" = sweep ] && [ ! -f sim/config/sweep.cpp ]; then continue; fi
    parsers+=("$p")
  done
fi
targets=()
for p in "${parsers[@]}"; do targets+=("fuzz_$p"); done
cmake --build "$build" -j "${DCSIM_BUILD_JOBS:-$(nproc)}" --target "${targets[@]}"
t_build=$(( $(date +%s) - t0 ))
echo "fuzz.sh: built ${#targets[@]} targets in ${t_build}s; fuzzing each for ${seconds}s, $parallel at a time"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
logs="$build/logs"
mkdir -p "$logs"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run_one() {
  local p=$1
  local corpus="$build/corpus/$p" art="$build/artifacts/$p/"
  mkdir -p "$corpus" "$art" "$tmp/$p"
  local dict="" regress=()
  # inputs that once crashed are replayed first (and mutated further)
  [ -d "$src/tests/fuzz/regressions/$p" ] && regress=("$src/tests/fuzz/regressions/$p")
  [ -f "$src/tests/fuzz/dict/$p.dict" ] && dict="$src/tests/fuzz/dict/$p.dict"
  # TMPDIR: the target's sandbox directory (fuzz_inputs.hpp) lands here and is removed with it.
  TMPDIR="$tmp/$p" "$build/tests/fuzz/fuzz_$p" "$corpus" "$src/tests/fuzz/corpus/$p" "${regress[@]}" \
    -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$art" ${dict:+-dict="$dict"} >"$logs/$p.log" 2>&1
  echo $? >"$tmp/$p.rc"
}

names=()
for p in "${parsers[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
  (set +e; run_one "$p") &
  names+=("$p")
done
wait

passed=0 failed=0
printf '\n%-10s %12s %10s %8s  %s\n' parser executions "exec/s" corpus result
for p in "${names[@]}"; do
  rc=$(cat "$tmp/$p.rc" 2>/dev/null || echo 99)
  log="$logs/$p.log"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  units=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
  if [ "$rc" -eq 0 ] && ! grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log"; then
    result=ok; passed=$((passed + 1))
  else
    result="FAILED (exit $rc)"; failed=$((failed + 1))
  fi
  printf '%-10s %12s %10s %8s  %s\n' "$p" "${execs:-?}" "${rate:-?}" "+${units:-?}" "$result"
  if [ "$result" != ok ]; then
    echo "---- $p: $log (the report, at most 40 lines)"
    sed -n '/ERROR: \|runtime error:/,/^SUMMARY/p' "$log" | grep -v '^    #[0-9]* 0x.* in fuzzer::' | head -40
    for a in "$build/artifacts/$p"/*; do
      [ -f "$a" ] || continue
      echo "---- $p: kept input $a ($(stat -c %s "$a") bytes), base64:"
      head -c 4096 "$a" | base64
    done
  fi
done
echo "fuzz.sh: build ${t_build}s, total $(( $(date +%s) - t0 ))s"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
