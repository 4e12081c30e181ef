#!/usr/bin/env bash
# dcsim sweep on local processes: listing, shards and --index-only, a failing run that does not
# stop the others (error reported, kept in <id>.failed, status in the index, exit code 1, retried
# on re-run), the sbatch script, and `dcsim validate` of sweep files.
# Usage: sweep_local.sh DCSIM_BINARY SOURCE_DIR
dcsim=$1
src=$2
source "$src/tests/cli/sweep_lib.bash"
trap 'rm -rf "$tmp"' EXIT

# ---- --list: 8 runs, stable 12-hex ids, pending
"$dcsim" sweep "$sweep" -o "$tmp/a" --list >"$tmp/list" 2>&1
check "list: exit code 0" test $? -eq 0
check "list: 8 pending runs with 12-hex ids" test "$(grep -Ec '^ +[0-7]  [0-9a-f]{12}  pending +cooling.pue=' "$tmp/list")" -eq 8
check "list: run 1 is run 0 with the next seed" bash -c \
  "grep -E '^ +0 ' '$tmp/list' | grep -q 'seed=7' && grep -E '^ +1 ' '$tmp/list' | grep -q 'seed=8'"
"$dcsim" sweep "$sweep" -o "$tmp/b" --list >"$tmp/list2" 2>&1
check "list: ids do not depend on the output directory" \
  diff <(awk 'NR > 1 {print $1, $2}' "$tmp/list") <(awk 'NR > 1 {print $1, $2}' "$tmp/list2")
id() { awk -v i="$1" 'NR > 1 && $1 == i {print $2}' "$tmp/list"; }

# ---- a shard runs only its runs and writes no index; --index-only reports the missing ones
"$dcsim" sweep "$sweep" -o "$tmp/a" --shard 1/3 >"$tmp/shard.out" 2>"$tmp/shard.err"
check "shard 1/3: exit code 0" test $? -eq 0
check "shard 1/3: runs 1, 4 and 7 and nothing else" bash -c \
  "[ -e '$tmp/a/$(id 1).h5' ] && [ -e '$tmp/a/$(id 4).h5' ] && [ -e '$tmp/a/$(id 7).h5' ] && [ \$(ls '$tmp'/a/*.h5 | wc -l) -eq 3 ]"
check "shard 1/3: no index" test ! -e "$tmp/a/index.h5"
SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_COUNT=8 SLURM_ARRAY_TASK_MIN=0 \
  "$dcsim" sweep "$sweep" -o "$tmp/a" --quiet >/dev/null 2>&1
check "a Slurm array task 5 of 8 runs run 5 only" bash -c "[ -e '$tmp/a/$(id 5).h5' ] && [ \$(ls '$tmp'/a/*.h5 | wc -l) -eq 4 ]"
"$dcsim" sweep "$sweep" -o "$tmp/a" --index-only >"$tmp/idx.out" 2>&1
check "index-only with runs missing: exit code 1" test $? -eq 1
check "index-only: counts completed and missing" grep_q "4 completed, 0 failed, 4 missing of 8 runs" "$tmp/idx.out"
check "index-only: index lists the missing runs as missing" $py -c "
import h5py, sys
with h5py.File('$tmp/a/index.h5') as f:
    s = [x.decode() for x in f['run_status'][()]]
sys.exit(0 if s.count('missing') == 4 and s.count('completed') == 4 else 1)"

for bad in 3/3 x 1/0 -1/2; do
  "$dcsim" sweep "$sweep" -o "$tmp/a" --shard "$bad" >"$tmp/bad-shard.out" 2>&1
  check "shard $bad: exit code 2 with the expected form" bash -c \
    "[ $? -eq 2 ] && grep -q \"error: --shard: expected I/N with 0 <= I < N, got '$bad'\" '$tmp/bad-shard.out'"
done
env -u PMIX_NAMESPACE -u OMPI_MCA_ess_base_jobid -u SLURM_JOB_ID -u DCSIM_SWEEP_SESSION \
  "$dcsim" sweep "$sweep" -o "$tmp/a" --mpi >"$tmp/mpi-alone.out" 2>&1
check "--mpi outside mpirun: exit code 2, asks for a shared session id" bash -c \
  "[ $? -eq 2 ] && grep -q 'DCSIM_SWEEP_SESSION' '$tmp/mpi-alone.out'"

# ---- the rest: skips the 4 complete runs
"$dcsim" sweep "$sweep" -o "$tmp/a" --jobs 2 >"$tmp/rest.out" 2>"$tmp/rest.err"
check "rest: exit code 0" test $? -eq 0
check "rest: 4 ran, 4 skipped" grep_q "4 ran, 4 skipped" "$tmp/rest.err"
check "rest: index with 8 completed runs" $py "$check_py" index "$tmp/a" 8 cooling_pue workload_jobs seed

# ---- a failing run: a grid value the scenario loader accepts but the run refuses (a platform
# file that exists but is not a valid platform)
write_failing_sweep "$tmp/f"
"$dcsim" sweep "$tmp/f/fail.yaml" -o "$tmp/f/out" --jobs 2 >"$tmp/f.out" 2>"$tmp/f.err"
rc=$?
check "failing run: exit code 1" test $rc -eq 1
check "failing run: the other runs complete" $py "$check_py" complete "$tmp/f/out" 2
check "failing run: two failures reported with their error and log" bash -c \
  "[ \$(grep -c 'failed: exit code 2: error: .*broken-platform.yaml.* (log: ' '$tmp/f.err') -eq 2 ]"
check "failing run: <id>.failed markers and logs kept" bash -c \
  "[ \$(ls '$tmp'/f/out/*.failed | wc -l) -eq 2 ] && for m in '$tmp'/f/out/*.failed; do [ -s \"\${m%.failed}.log\" ] || exit 1; done"
check "failing run: index marks 2 failed and 2 completed" $py -c "
import h5py, sys
with h5py.File('$tmp/f/out/index.h5') as f:
    s = sorted(x.decode() for x in f['run_status'][()])
sys.exit(0 if s == ['completed', 'completed', 'failed', 'failed'] else 1)"
"$dcsim" sweep "$tmp/f/fail.yaml" -o "$tmp/f/out" >"$tmp/f2.out" 2>"$tmp/f2.err"
check "failing run: a re-run retries the failed runs only" grep_q "0 ran, 2 skipped \(complete\), 2 failed" "$tmp/f2.err"

# ---- progress: redrawn in place on a terminal (a pseudo-terminal from script(1)); --quiet silences it
script -qec "'$dcsim' sweep '$sweep' -o '$tmp/p' --jobs 2" /dev/null >"$tmp/tty.out" 2>&1
check "progress: a line redrawn with CR on a terminal" grep -Eaq \
  $'\r\\[dcsim sweep eight-runs\\] [0-8]/8 done \\(0 skipped\\), 0 failed, [0-2] running \\| [0-9]+ s elapsed, ETA' "$tmp/tty.out"
rm -rf "$tmp/p"
script -qec "'$dcsim' sweep '$sweep' -o '$tmp/p' --jobs 2 --quiet" /dev/null >"$tmp/tty-q.out" 2>&1
check "progress: --quiet prints nothing" test ! -s "$tmp/tty-q.out"

# ---- --emit-slurm
script=$("$dcsim" sweep "$sweep" -o "$tmp/s" --emit-slurm --sbatch-option=--partition=cpu 2>/dev/null)
check "emit-slurm: prints the script path" test "$script" = "$tmp/s/eight-runs.sbatch"
check "emit-slurm: an 8-task array" grep_q '^#SBATCH --array=0-7$' "$script"
check "emit-slurm: extra sbatch option" grep_q '^#SBATCH --partition=cpu$' "$script"
check "emit-slurm: tasks run the sweep by the absolute dcsim" grep_q "^exec '$(readlink -f "$dcsim")' sweep '$sweep' -o '$tmp/s'$" "$script"
check "emit-slurm: aggregation job after the array finishes the array's claims session and builds the index" bash -c \
  "grep -q -- '--dependency=afterany:\${SLURM_ARRAY_JOB_ID}' '$script' && grep -qF -- '--finish-session slurm-array-' '$script'"
check "emit-slurm: the script is valid bash" bash -n "$script"

# ---- validate
"$dcsim" validate "$sweep" >"$tmp/v.out" 2>&1
check "validate: a good sweep file is ok" grep_q "ok \(sweep\)" "$tmp/v.out"
printf 'base: %s\ngrid:\n  site.cooling.peu: [1.1]\n' "$src/tests/fixtures/sweeps/tiny-scenario.yaml" >"$tmp/bad.yaml"
"$dcsim" validate "$tmp/bad.yaml" >"$tmp/v2.out" 2>&1
check "validate: an unknown key path is reported at the sweep file's line and column" \
  grep_q "$tmp/bad.yaml:3:3: site.cooling.peu: unknown key 'peu'" "$tmp/v2.out"
"$dcsim" sweep "$tmp/bad.yaml" >"$tmp/v3.out" 2>&1
check "sweep of a bad file: exit code 2 and the same error" bash -c \
  "[ $? -eq 2 ] && grep -q '$tmp/bad.yaml:3:3: site.cooling.peu' '$tmp/v3.out'"
for f in "$src"/scenarios/sweeps/*.yaml; do
  "$dcsim" validate "$f" >"$tmp/v4.out" 2>&1
  check "validate: $(basename "$f")" grep_q "ok \(sweep\)" "$tmp/v4.out"
done

finish
