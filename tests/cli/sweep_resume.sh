#!/usr/bin/env bash
# Sweeps are resumable and stop cleanly:
#   - SIGKILL a sweep halfway: its children die with it; a re-run skips the complete runs, redoes
#     the rest, and every run ends complete exactly once; the index opens in xarray;
#   - SIGTERM a sweep: exit code 130, its children are stopped, no partial file is left, and
#     every result file present is complete.
# Usage: sweep_resume.sh DCSIM_BINARY SOURCE_DIR
dcsim=$1
src=$2
source "$src/tests/cli/sweep_lib.bash"
trap 'rm -rf "$tmp"' EXIT
# Longer runs than the 8-run sweep (10 years, 40,000 jobs: about a second each) so that a kill
# lands while runs are in flight, even on a fast machine.
cat >"$tmp/long.yaml" <<YAML
name: resume
base: $src/tests/fixtures/sweeps/tiny-scenario.yaml
set: {time.duration: 3650d, time.sample: 1h, workload.jobs: 40000, workload.interarrival: 2h}
grid:
  site.cooling.pue: [1.1, 1.2, 1.3, 1.4]
replicates: 2
YAML
out=$tmp/out
count_complete() { ls "$out"/*.h5 2>/dev/null | grep -vc index.h5; }
# Partial files of runs (the index's own partial, written once every run is done, is not a run).
count_partial() { ls "$out"/*.partial-* 2>/dev/null | grep -vc '/index\.h5\.partial-'; }
children_of_test() { pgrep -f -- "-o $out/" | wc -l; }

# ---- SIGKILL halfway
"$dcsim" sweep "$tmp/long.yaml" -o "$out" --jobs 2 >"$tmp/k.out" 2>"$tmp/k.err" &
pid=$!
deadline=$(( $(date +%s) + 100 ))
# Kill once 3 runs are complete and another is being written. The sweep and its children are
# frozen (SIGSTOP) before the state is checked, so a run cannot finish between the check and the
# kill; if the frozen state does not qualify, they are resumed and the wait goes on.
freeze() { kill -"$1" $pid 2>/dev/null; pkill -"$1" -f -- "-o $out/" 2>/dev/null; }
while [ "$(date +%s)" -lt "$deadline" ] && kill -0 $pid 2>/dev/null; do
  qualifies() { c=$(count_complete); [ "$c" -ge 3 ] && [ "$c" -lt 8 ] && [ "$(count_partial)" -ge 1 ]; }
  if qualifies; then
    freeze STOP
    sleep 0.05
    if qualifies; then break; fi
    freeze CONT
  fi
  sleep 0.02
done
kill -9 $pid
wait $pid 2>/dev/null
before=$(count_complete)
sleep 0.5
check "kill: some but not all runs were complete (got $before)" test "$before" -ge 3 -a "$before" -lt 8
check "kill: a run was in flight (its partial file is left behind)" test "$(count_partial)" -ge 1
check "kill: no child of the killed sweep runs on" test "$(children_of_test)" -eq 0
check "kill: the complete files are complete" $py "$check_py" complete "$out" "$before" allow-partial
# A sweep killed while it wrote its index leaves the index's partial file: the resumed sweep
# removes it (its writer is gone). Simulated with the pid of a process that has exited.
sh -c 'exit 0' &
dead=$!
wait $dead
: >"$out/index.h5.partial-$dead"
"$dcsim" sweep "$tmp/long.yaml" -o "$out" --jobs 2 >"$tmp/r.out" 2>"$tmp/r.err"
check "resume: exit code 0" test $? -eq 0
check "resume: skipped exactly the complete runs and ran the rest" grep_q "$((8 - before)) ran, $before skipped" "$tmp/r.err"
check "resume: 8 complete runs, no partial files" $py "$check_py" complete "$out" 8
check "resume: index opens with 8 completed runs" $py "$check_py" index "$out" 8 cooling_pue seed

# ---- SIGTERM
out=$tmp/term
"$dcsim" sweep "$tmp/long.yaml" -o "$out" --jobs 2 >"$tmp/t.out" 2>"$tmp/t.err" &
pid=$!
deadline=$(( $(date +%s) + 100 ))
while { [ "$(count_complete)" -lt 1 ] || [ "$(count_partial)" -eq 0 ]; } && [ "$(date +%s)" -lt "$deadline" ]; do
  sleep 0.02
done
kill -TERM $pid
wait $pid
rc=$?
check "term: exit code 130" test $rc -eq 130
check "term: no child runs on" test "$(children_of_test)" -eq 0
check "term: no partial file left, every result file complete" $py "$check_py" complete "$out" "$(count_complete)"
check "term: says how to resume" grep_q "re-run to resume" "$tmp/t.err"

finish
