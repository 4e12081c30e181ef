#!/usr/bin/env bash
# Sweeps survive their workers (issue 18 item 3). A worker that dies (SIGKILL) or stops answering
# (SIGSTOP: its heartbeat stops) mid-run is noticed by the others, its run is started again from
# scratch (or recorded failed once --max-attempts is used up), the sweep finishes with a correct
# index, and a resumed sweep reruns nothing that was complete and reuses no partial file.
#   local workers   two `dcsim sweep --mpi` processes sharing a claims session (no MPI needed):
#                   SIGKILL (pid gone on this host), SIGSTOP (heartbeat timeout), attempts used up;
#                   a plain local sweep whose `dcsim run` child is SIGKILLed
#   MPI             mpirun --enable-recovery -n 2, rank 1 SIGKILLed mid-run; plain mpirun -n 2
#                   (mpirun then kills every rank) followed by a resume
#   Slurm           a 2-task array on the one-node cluster, one task SIGKILLed mid-run: the
#                   aggregation job takes its runs over (skipped, saying so, without slurmctld)
# Usage: sweep_dead_workers.sh DCSIM_BINARY SOURCE_DIR
dcsim=$1
src=$2
source "$src/tests/cli/sweep_lib.bash"
slurm_dir=$tmp/slurm
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  [ -e "$slurm_dir/slurm.conf" ] && SLURM_LOCAL_DIR=$slurm_dir SLURM_LOCAL_PORT=${SLURM_DEAD_PORT:-6837} \
    "$src/scripts/slurm-local.sh" stop >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

# A 4-run sweep whose runs take a few seconds each (time to kill a worker mid-run).
mkdir -p "$tmp/s"
cat >"$tmp/s/slow.yaml" <<YAML
extends: $src/tests/fixtures/sweeps/tiny-scenario.yaml
name: slow
time: {start: 2024-01-01, duration: ${DEAD_WORKER_DAYS:-3000}d, sample: 15min}
workload: {jobs: 6000, interarrival: 10h}
YAML
cat >"$tmp/s/sweep.yaml" <<YAML
name: dead-workers
base: slow.yaml
grid:
  site.cooling.pue: [1.1, 1.2, 1.3, 1.4]
YAML
sweep4=$tmp/s/sweep.yaml

# wait_for CMD... : polls CMD every 0.1 s for at most 60 s.
wait_for() {
  local end=$(( $(date +%s) + 60 ))
  while [ "$(date +%s)" -lt "$end" ]; do "$@" && return 0; sleep 0.1; done
  return 1
}
# running_claim DIR RANK: prints "<claim file>" of a run that rank holds and is running (its
# partial result file exists), if any.
running_claim() {
  local dir=$1 rank=$2 c id
  for c in "$dir"/.sweep-claims/*/*.claim*; do
    [ -f "$c" ] || continue
    grep -q "^rank $rank pid " "$c" || continue
    id=$(basename "$c"); id=${id%%.claim*}
    [ -e "$dir/$id.h5" ] && continue
    ls "$dir/$id.h5.partial-"* >/dev/null 2>&1 && { echo "$c"; return 0; }
  done
  return 1
}
pid_in() { sed -n 's/^rank [0-9]* pid \([0-9]*\) .*/\1/p' "$1"; }
have_running_claim() { running_claim "$1" "$2" >/dev/null; }
# take_victim OUT: the claim worker 1 holds in OUT (victim) and its run id (victim_id).
take_victim() { victim=$(running_claim "$1" 1); victim_id=$(basename "$victim"); victim_id=${victim_id%%.claim*}; }
# start_pair SESSION TAG ARGS...: local workers of ranks 0 and 1 of one sweep (pids w0, w1;
# logs $tmp/TAG0.out|err and $tmp/TAG1.out|err).
start_pair() {
  local session=$1 tag=$2 r
  shift 2
  for r in 0 1; do
    DCSIM_SWEEP_SESSION=$session PMI_RANK=$r PMI_SIZE=2 "$dcsim" "$@" >"$tmp/$tag$r.out" 2>"$tmp/$tag$r.err" &
    pids+=($!)
    if [ $r -eq 0 ]; then w0=$!; else w1=$!; fi
  done
}
status_list() {
  $py -c "
import h5py
with h5py.File('$1/index.h5') as f:
    print(' '.join(sorted(x.decode() for x in f['run_status'][()])))"
}
index_is() { [ "$(status_list "$2")" = "$1" ]; }
# same_stamps BEFORE DIR: every result listed in BEFORE (stamp output) is unchanged.
same_stamps() {
  local line name
  while read -r line; do
    [ -z "$line" ] && continue
    name=${line%% *}
    [ "$(stat -c '%n %i %Y' "$name")" = "$line" ] || { echo "rewritten: $name"; return 1; }
  done <<<"$1"
}
no_partials() { ! ls "$1"/*.partial-* >/dev/null 2>&1; }
# stamp DIR: the inode and mtime of every complete result (a rerun would change them).
stamp() { stat -c '%n %i %Y' "$1"/*.h5 | grep -v index.h5 | sort; }

# ---- local workers: a worker SIGKILLed mid-run (its pid is gone on this host)
out=$tmp/kill
common=(sweep "$sweep4" -o "$out" --mpi --claim-timeout 30)
start_pair k kill "${common[@]}"
check "local kill: worker 1 holds a running run" wait_for have_running_claim "$out" 1
take_victim "$out"
kill -KILL "$w1"
wait "$w1" 2>/dev/null
timeout 300 tail --pid="$w0" -f /dev/null
wait "$w0"; rc=$?
check "local kill: the surviving worker ends with exit code 0" test $rc -eq 0
check "local kill: it took the dead worker's run over, saying why" \
  grep_q "$victim_id: attempt 1 lost, its worker \(rank 1 pid $w1 .*\) is gone .*starting attempt 2" "$tmp/kill0.err"
check "local kill: 4 complete run files" $py "$check_py" complete "$out" 4
check "local kill: the index says 4 completed" index_is 'completed completed completed completed' "$out"
check "local kill: no partial file left" no_partials "$out"
check "local kill: the claims of the finished session are removed" test ! -e "$out/.sweep-claims"
before=$(stamp "$out")
"$dcsim" sweep "$sweep4" -o "$out" >"$tmp/kill-resume.out" 2>"$tmp/kill-resume.err"
check "local kill: a resumed sweep skips all 4 runs" grep_q "0 ran, 4 skipped" "$tmp/kill-resume.err"
check "local kill: the complete results were not rewritten" same_stamps "$before" "$out"

# ---- local workers: a worker that stops answering (SIGSTOP): heartbeat timeout
out=$tmp/stop
common=(sweep "$sweep4" -o "$out" --mpi --claim-timeout 3)
start_pair s stop "${common[@]}"
check "local stop: worker 1 holds a running run" wait_for have_running_claim "$out" 1
take_victim "$out"
kids=$(ps -o pid= --ppid "$w1" | tr -d ' ')
kill -STOP "$w1" $kids
for k in $kids; do pids+=($k); done
timeout 300 tail --pid="$w0" -f /dev/null
wait "$w0"; rc=$?
kill -KILL "$w1" $kids 2>/dev/null
wait "$w1" 2>/dev/null
check "local stop: the other worker ends with exit code 0" test $rc -eq 0
check "local stop: it took the silent worker's run over after the heartbeat timeout" \
  grep_q "$victim_id: attempt 1 lost, its worker \(rank 1 pid $w1 .*\) sent no heartbeat for [0-9]+ s \(timeout 3 s\)" "$tmp/stop0.err"
check "local stop: 4 complete run files" $py "$check_py" complete "$out" 4
check "local stop: the index says 4 completed" index_is 'completed completed completed completed' "$out"

# ---- local workers: attempts used up → the run is recorded failed, the sweep still ends
out=$tmp/fail
common=(sweep "$sweep4" -o "$out" --mpi --claim-timeout 30 --max-attempts 1)
start_pair f fail "${common[@]}"
check "attempts: worker 1 holds a running run" wait_for have_running_claim "$out" 1
take_victim "$out"
kill -KILL "$w1"
wait "$w1" 2>/dev/null
timeout 300 tail --pid="$w0" -f /dev/null
wait "$w0"; rc=$?
check "attempts: the sweep ends with exit code 1 (a run failed)" test $rc -eq 1
check "attempts: the run is reported failed with its worker's death" \
  grep_q "$victim_id .*failed: attempt 1 of 1: its worker \(rank 1 pid $w1 .*\) is gone" "$tmp/fail0.err"
check "attempts: DIR/<id>.failed says why" grep_q "attempt 1 of 1" "$out/$victim_id.failed"
check "attempts: the index says 3 completed, 1 failed" index_is 'completed completed completed failed' "$out"
check "attempts: no partial file left" no_partials "$out"
"$dcsim" sweep "$sweep4" -o "$out" >"$tmp/fail-resume.out" 2>"$tmp/fail-resume.err"
check "attempts: a resumed sweep runs the failed run only" grep_q "1 ran, 3 skipped" "$tmp/fail-resume.err"
check "attempts: then the index says 4 completed" index_is 'completed completed completed completed' "$out"

# ---- a local sweep whose `dcsim run` child is SIGKILLed (the OOM killer's way)
out=$tmp/child
"$dcsim" sweep "$sweep4" -o "$out" >"$tmp/child.out" 2>"$tmp/child.err" &
w0=$!; pids+=($w0)
has_partial() { ls "$out"/*.h5.partial-* >/dev/null 2>&1; }
check "child kill: a run is being written" wait_for has_partial
partial=$(ls "$out"/*.h5.partial-* | head -1)
child_id=$(basename "$partial"); child_id=${child_id%%.h5.partial-*}
kill -KILL "${partial##*.partial-}"
timeout 300 tail --pid="$w0" -f /dev/null
wait "$w0"; rc=$?
check "child kill: the sweep goes on and ends with exit code 1" test $rc -eq 1
check "child kill: the run is recorded failed, killed by a signal" grep_q "killed by signal" "$out/$child_id.failed"
check "child kill: the index says 3 completed, 1 failed" index_is 'completed completed completed failed' "$out"
check "child kill: no partial file left" no_partials "$out"

# ---- MPI: mpirun --enable-recovery, rank 1 SIGKILLed mid-run
out=$tmp/mpi
mpirun --allow-run-as-root --oversubscribe --enable-recovery -n 2 "$dcsim" sweep "$sweep4" -o "$out" --claim-timeout 30 \
  >"$tmp/mpi.out" 2>"$tmp/mpi.err" &
m=$!; pids+=($m)
check "mpi: rank 1 holds a running run" wait_for have_running_claim "$out" 1
take_victim "$out"
r1=$(pid_in "$victim")
kill -KILL "$r1"
timeout 300 tail --pid="$m" -f /dev/null
wait "$m"; rc=$?
check "mpi: mpirun ends with exit code 0 (rank 0: every run complete)" test $rc -eq 0
check "mpi: rank 0 took the killed rank's run over" grep_q "$victim_id: attempt 1 lost, its worker \(rank 1 pid $r1 " "$tmp/mpi.err"
check "mpi: 4 complete run files" $py "$check_py" complete "$out" 4
check "mpi: the index says 4 completed" index_is 'completed completed completed completed' "$out"
check "mpi: no partial file left" no_partials "$out"

# ---- MPI: plain mpirun kills every rank when one dies; re-running resumes
out=$tmp/mpi-abort
mpirun --allow-run-as-root --oversubscribe -n 2 "$dcsim" sweep "$sweep4" -o "$out" >"$tmp/mpia.out" 2>"$tmp/mpia.err" &
m=$!; pids+=($m)
check "mpi abort: rank 1 holds a running run" wait_for have_running_claim "$out" 1
victim=$(running_claim "$out" 1)
kill -KILL "$(pid_in "$victim")"
timeout 120 tail --pid="$m" -f /dev/null
wait "$m"; rc=$?
check "mpi abort: mpirun reports the failure (non-zero exit)" test $rc -ne 0
check "mpi abort: no index that looks complete" bash -c "[ ! -e '$out/index.h5' ]"
done_before=$(ls "$out"/*.h5 2>/dev/null | wc -l)
before=$(stamp "$out" 2>/dev/null)
mpirun --allow-run-as-root --oversubscribe -n 2 "$dcsim" sweep "$sweep4" -o "$out" >"$tmp/mpib.out" 2>"$tmp/mpib.err"
rc=$?
check "mpi abort: the resumed sweep ends with exit code 0" test $rc -eq 0
check "mpi abort: it ran only the runs without a complete result" bash -c \
  "[ \$(grep -o '\] [0-9]* ran' '$tmp/mpib.err' | awk '{s+=\$2} END {print s}') -eq $((4 - done_before)) ]"
check "mpi abort: results complete before were not rewritten" same_stamps "$before" "$out"
check "mpi abort: 4 complete run files and no partial" bash -c "$py '$check_py' complete '$out' 4 && ! ls '$out'/*.partial-* 2>/dev/null"
check "mpi abort: the index says 4 completed" index_is 'completed completed completed completed' "$out"

# ---- Slurm: one array task SIGKILLed mid-run
if ! command -v slurmctld >/dev/null; then
  echo "skip slurm: slurmctld is not installed (apt-get install slurm-wlm); the claim logic is tested above"
elif start_out=$(SLURM_LOCAL_DIR=$slurm_dir SLURM_LOCAL_PORT=${SLURM_DEAD_PORT:-6837} "$src/scripts/slurm-local.sh" start 2>&1); then
  eval "$start_out"
  out=$tmp/slurm-out
  script=$("$dcsim" sweep "$sweep4" -o "$out" --emit-slurm --slurm-shards 2 --quiet)
  jid=$(sbatch --parsable "$script")
  check "slurm: sbatch accepted the 2-task array" test -n "$jid"
  # task 1 (shard 1/2) holds one of its runs while it runs
  check "slurm: array task 1 holds a running run" wait_for have_running_claim "$out" 1
  take_victim "$out"
  kill -KILL "$(pid_in "$victim")"
  deadline=$(( $(date +%s) + 300 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if q=$(squeue -h 2>/dev/null) && [ -z "$q" ] && [ -e "$out/index.h5" ]; then break; fi
    sleep 1
  done
  check "slurm: the array and the aggregation job ended within 300 s" test "$(date +%s)" -lt "$deadline"
  check "slurm: the aggregation job took the killed task's run over" \
    bash -c "grep -Eq '$victim_id: attempt 1 lost, its worker \(rank 1 pid [0-9]+ .*\) ended without finishing it' '$out'/slurm-*-index.out"
  check "slurm: 4 complete run files, no partial" bash -c "$py '$check_py' complete '$out' 4 && ! ls '$out'/*.partial-* 2>/dev/null"
  check "slurm: the index says 4 completed" index_is 'completed completed completed completed' "$out"
  [ "$failed" -gt 0 ] && { tail -5 "$out"/slurm-*.out; } 2>/dev/null | head -40
else
  check "slurm: one-node cluster starts" false
  echo "$start_out"
fi

finish
