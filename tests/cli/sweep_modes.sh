#!/usr/bin/env bash
# The same 8-run sweep in the three execution modes gives identical data per run id:
#   local   dcsim sweep --jobs 2
#   MPI     mpirun -n 2 dcsim sweep (ranks share the runs through claim files)
#   Slurm   dcsim sweep --emit-slurm, then sbatch on a one-node cluster started here: an
#           8-task array and the aggregation job that builds the index
# Each mode's index opens in xarray with the parameters as coordinates. Prints each mode's time.
# Usage: sweep_modes.sh DCSIM_BINARY SOURCE_DIR
dcsim=$1
src=$2
source "$src/tests/cli/sweep_lib.bash"
slurm_dir=$tmp/slurm
cleanup() {
  SLURM_LOCAL_DIR=$slurm_dir "$src/scripts/slurm-local.sh" stop >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
params="cooling_pue workload_jobs grid_carbon_gco2_per_kwh seed"

# ---- local
t0=$(now)
"$dcsim" sweep "$sweep" --jobs 2 -o "$tmp/local" >"$tmp/local.out" 2>"$tmp/local.err"
rc=$?
t_local=$(elapsed "$t0")
check "local: exit code 0" test $rc -eq 0
check "local: 8 complete run files" $py "$check_py" complete "$tmp/local" 8
check "local: index opens with 8 runs, parameters as coordinates" $py "$check_py" index "$tmp/local" 8 $params
check "local: summary says 8 ran" grep_q "8 ran, 0 skipped" "$tmp/local.err"

# ---- MPI
t0=$(now)
mpirun --allow-run-as-root --oversubscribe -n 2 "$dcsim" sweep "$sweep" -o "$tmp/mpi" >"$tmp/mpi.out" 2>"$tmp/mpi.err"
rc=$?
t_mpi=$(elapsed "$t0")
check "mpi: exit code 0" test $rc -eq 0
check "mpi: 8 complete run files" $py "$check_py" complete "$tmp/mpi" 8
check "mpi: both ranks ran runs" bash -c "grep -q 'rank 0/2\] [1-9] ran' '$tmp/mpi.err' && grep -q 'rank 1/2\] [1-9] ran' '$tmp/mpi.err'"
check "mpi: no run ran twice (ran counts add up to 8)" bash -c \
  "[ \$(grep -o '\] [0-9]* ran' '$tmp/mpi.err' | awk '{s+=\$2} END {print s}') -eq 8 ]"
check "mpi: rank 0 removed the claims of the finished sweep" test ! -e "$tmp/mpi/.sweep-claims"
check "mpi: index opens with 8 runs" $py "$check_py" index "$tmp/mpi" 8 $params
check "mpi: identical data per run id as local" $py "$check_py" same "$tmp/local" "$tmp/mpi"

# A failing run under MPI: rank 0 learns of it from the other rank's marker, does not wait for
# it forever, writes the index and exits 1.
write_failing_sweep "$tmp/f"
timeout 120 mpirun --allow-run-as-root --oversubscribe -n 2 "$dcsim" sweep "$tmp/f/fail.yaml" -o "$tmp/f/out" \
  >"$tmp/mpi-f.out" 2>"$tmp/mpi-f.err"
rc=$?
check "mpi with failing runs: ends (no endless wait) with exit code 1" test $rc -eq 1
check "mpi with failing runs: rank 0 counts both failures" grep_q "dcsim sweep: 2 run\(s\) failed" "$tmp/mpi-f.err"
check "mpi with failing runs: index marks 2 failed and 2 completed" $py -c "
import h5py, sys
with h5py.File('$tmp/f/out/index.h5') as f:
    s = sorted(x.decode() for x in f['run_status'][()])
sys.exit(0 if s == ['completed', 'completed', 'failed', 'failed'] else 1)"

# ---- Slurm
t0=$(now)
if start_out=$(SLURM_LOCAL_DIR=$slurm_dir SLURM_LOCAL_PORT=${SLURM_LOCAL_PORT:-6817} "$src/scripts/slurm-local.sh" start 2>&1); then
  eval "$start_out"
  t_slurm_up=$(elapsed "$t0")
  t0=$(now)
  script=$("$dcsim" sweep "$sweep" -o "$tmp/slurm-out" --emit-slurm --quiet)
  check "slurm: script is an 8-task array" grep_q '^#SBATCH --array=0-7$' "$script"
  jid=$(sbatch --parsable "$script")
  check "slurm: sbatch accepted the script" test -n "$jid"
  deadline=$(( $(date +%s) + 180 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if q=$(squeue -h 2>/dev/null) && [ -z "$q" ] && [ -e "$tmp/slurm-out/index.h5" ]; then break; fi
    sleep 1
  done
  t_slurm=$(elapsed "$t0")
  check "slurm: every task and the index job ended within 180 s" test "$(date +%s)" -lt "$deadline"
  check "slurm: 8 complete run files" $py "$check_py" complete "$tmp/slurm-out" 8
  check "slurm: 8 task logs, each shard ran one run" bash -c \
    "[ \$(grep -l '1 ran, 0 skipped' '$tmp'/slurm-out/slurm-${jid}_*.out | wc -l) -eq 8 ]"
  check "slurm: index built by the aggregation job opens with 8 runs" $py "$check_py" index "$tmp/slurm-out" 8 $params
  check "slurm: identical data per run id as local" $py "$check_py" same "$tmp/local" "$tmp/slurm-out"
  [ "$failed" -gt 0 ] && { tail -5 "$tmp"/slurm-out/slurm-*.out; tail -20 "$slurm_dir/slurmctld.log"; } 2>/dev/null | head -60
else
  check "slurm: one-node cluster starts" false
  echo "$start_out"
fi

echo "timing: 8-run sweep, local --jobs 2: ${t_local} s; mpirun -n 2: ${t_mpi} s; Slurm 8-task array + index job: ${t_slurm:-n/a} s (cluster start ${t_slurm_up:-n/a} s)"
finish
