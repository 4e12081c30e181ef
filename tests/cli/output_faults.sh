#!/usr/bin/env bash
# Output faults end cleanly (issue 18, item 1): a full or failing device under every write path
# (run file, per-node series, sweep index, JSON summary, PNG plot, Slurm script) gives exit code 3,
# one message naming the file and the cause, no partial file and nothing at the output path;
# never a signal.
#   1. Real full disks: as root, a tmpfs of a few tens of KiB for a run, a sweep and the index
#      (SKIP, with the reason, when not root or the mount fails).
#   2. Injected failures: tests/fault/write_fault.c (LD_PRELOAD) fails the k-th and later writes
#      to a chosen file, for k spread over all the writes a run makes (ENOSPC, EIO, EDQUOT).
# Usage: output_faults.sh DCSIM_BINARY SOURCE_DIR
dcsim=$1
src=$2
source "$src/tests/cli/sweep_lib.bash"
shim=$(dirname "$dcsim")/tests/write_fault.so
scenario=$src/tests/fixtures/sweeps/tiny-scenario.yaml
mounts=()
cleanup() {
  for m in "${mounts[@]}"; do umount "$m" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/two.yaml" <<EOF
name: two-runs
base: $scenario
grid:
  site.cooling.pue: [1.1, 1.4]
EOF

# clean NAME RC ERRFILE DIR FINAL CAUSE: the failure ended as documented.
# ASan's advisory about SimGrid's ucontext switches (scripts/sanitize.sh) is not dcsim's message.
no_asan_notes() {
  grep -vE '^==[0-9]+==WARNING: ASan |^False positive error reports may follow|^For details see https://github.com/google/sanitizers/issues/189' "$1" >"$1.tmp" || true
  mv "$1.tmp" "$1"
}

clean() {
  local name=$1 rc=$2 err=$3 dir=$4 final=$5 cause=$6
  no_asan_notes "$err"
  check "$name: exit code 3 (not a signal)" test "$rc" -eq 3
  check "$name: one message (one line) naming $(basename "$final") and the cause" bash -c \
    "cat '$err'; [ \$(wc -l <'$err') -eq 1 ] && grep 'cannot write' '$err' | grep -F '$final' | grep -qF '$cause'"
  check "$name: nothing at the output path" test ! -e "$final"
  check "$name: no partial or temporary file left" bash -c \
    "! ls -a '$dir' | grep -E 'partial-|tmp-'"
}

# ---- 1. real full disks (tmpfs) ------------------------------------------------------------
tmpfs() {  # tmpfs DIR SIZE: mounts a tmpfs, or fails
  mkdir -p "$1" && mount -t tmpfs -o "size=$2" tmpfs "$1" 2>/dev/null && mounts+=("$1")
}
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP full-disk tests: not root (they mount a small tmpfs)"
elif ! tmpfs "$tmp/full" 32k; then
  echo "SKIP full-disk tests: cannot mount a tmpfs here"
else
  m=$tmp/full
  # a run (the file outgrows the disk while the series are written)
  "$dcsim" run "$scenario" -o "$m/run.h5" -q >"$tmp/o" 2>"$tmp/e"
  clean "full disk, run" $? "$tmp/e" "$m" "$m/run.h5" "No space left on device"
  check "full disk, run: the disk is empty again" test -z "$(ls -A "$m")"

  # the JSON summary (the run file goes elsewhere; the disk is filled first)
  dd if=/dev/zero of="$m/filler" bs=4k 2>/dev/null
  "$dcsim" run "$scenario" -o "$tmp/ok.h5" -q --summary-json "$m/summary.json" >"$tmp/o" 2>"$tmp/e"
  clean "full disk, JSON summary" $? "$tmp/e" "$m" "$m/summary.json" "No space left on device"
  # the PNG plot
  "$dcsim" run "$scenario" -o "$tmp/ok.h5" -q --plot "$m/power.png" >"$tmp/o" 2>"$tmp/e"
  clean "full disk, plot" $? "$tmp/e" "$m" "$m/power.png" "No space left on device"
  # the Slurm script
  "$dcsim" sweep "$tmp/two.yaml" -o "$m" --emit-slurm -q >"$tmp/o" 2>"$tmp/e"
  clean "full disk, Slurm script" $? "$tmp/e" "$m" "$m/two-runs.sbatch" "No space left on device"
  rm -f "$m/filler"

  # a sweep: every run fails cleanly, the sweep ends, nothing complete-looking is left
  "$dcsim" sweep "$tmp/two.yaml" -o "$m" -q >"$tmp/o" 2>"$tmp/e"
  rc=$?
  check "full disk, sweep: exit code 1 or 3 (not a signal)" bash -c "[ $rc -eq 1 ] || [ $rc -eq 3 ]"
  check "full disk, sweep: both runs reported failed" test "$(grep -c 'failed: exit code 3' "$tmp/e")" -eq 2
  check "full disk, sweep: no run file and no partial" bash -c "! ls -a '$m' | grep -E '^[0-9a-f]{12}\.h5|partial-|tmp-'"
  check "full disk, sweep: an index, if written, is complete" $py -c "
import h5py, os, sys
p = '$m/index.h5'
if os.path.exists(p):
    with h5py.File(p) as f:
        sys.exit(0 if f.attrs['complete'] == 1 else 1)"

  # the sweep index: complete runs on a disk with room for them and not for the index
  "$dcsim" sweep "$tmp/two.yaml" -o "$tmp/sweep" -q >/dev/null 2>&1
  # Room for the run files and 64 KiB, in pages (the run files' size depends on the storage
  # rules of analysis/SCHEMA.md; a fixed size would stop fitting them).
  runs=$(ls "$tmp"/sweep/*.h5 | grep -v '/index\.h5$')
  kib=$(( ($(du -cb $runs | tail -1 | cut -f1) + 65536) / 4096 * 4 + 4 ))
  if tmpfs "$tmp/idx" "${kib}k"; then
    cp $runs "$tmp/idx/"
    dd if=/dev/zero of="$tmp/idx/filler" bs=4k 2>/dev/null
    "$dcsim" sweep "$tmp/two.yaml" -o "$tmp/idx" --index-only -q >"$tmp/o" 2>"$tmp/e"
    clean "full disk, sweep index" $? "$tmp/e" "$tmp/idx" "$tmp/idx/index.h5" "No space left on device"
  else
    echo "SKIP full-disk index test: cannot mount a second tmpfs"
  fi
fi

# ---- 2. injected write failures at chosen write counts ---------------------------------------
if [ ! -f "$shim" ]; then
  echo "FAIL the write-fault shim $shim is not built"
  exit 1
fi
# Under the asan preset (scripts/sanitize.sh) the shim is preloaded before ASan's runtime.
asan=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
# writes PATH ARGS...: how many writes to files matching PATH the command makes
writes() {
  local path=$1
  shift
  rm -f "$tmp/count"
  DCSIM_FAULT_PATH=$path DCSIM_FAULT_COUNT=$tmp/count LD_PRELOAD=$shim ASAN_OPTIONS=$asan "$@" >/dev/null 2>&1
  awk '{s += $2} END {print s + 0}' "$tmp/count"
}
# inject PATH K ERRNO ARGS...: runs with the K-th and later writes to PATH failing
inject() {
  local path=$1 k=$2 e=$3
  shift 3
  DCSIM_FAULT_PATH=$path DCSIM_FAULT_AFTER=$k DCSIM_FAULT_ERRNO=$e LD_PRELOAD=$shim ASAN_OPTIONS=$asan "$@" >"$tmp/o" 2>"$tmp/e"
}
spread() {  # spread N: 1, 2, N/4, N/2, 3N/4, N-1, N (distinct, >= 1)
  printf '%s\n' 1 2 $(($1 / 4)) $(($1 / 2)) $((3 * $1 / 4)) $(($1 - 1)) "$1" | awk '$1 >= 1' | sort -nu
}

d=$tmp/inj
mkdir -p "$d"
n=$(writes run.h5 "$dcsim" run "$scenario" -o "$d/run.h5" -q)
rm -f "$d/run.h5"
check "the run file takes several writes ($n)" test "$n" -ge 8
for k in $(spread "$n"); do
  inject run.h5 "$k" 28 "$dcsim" run "$scenario" -o "$d/run.h5" -q
  clean "run file, write $k of $n fails (ENOSPC)" $? "$tmp/e" "$d" "$d/run.h5" "No space left on device"
done
for k in 1 $((n / 2)) "$n"; do
  inject run.h5 "$k" 5 "$dcsim" run "$scenario" -o "$d/run.h5" -q
  clean "run file, write $k of $n fails (EIO)" $? "$tmp/e" "$d" "$d/run.h5" "Input/output error"
done
inject run.h5 $((n / 3)) 122 "$dcsim" run "$scenario" -o "$d/run.h5" -q
clean "run file, write $((n / 3)) of $n fails (EDQUOT)" $? "$tmp/e" "$d" "$d/run.h5" "Disk quota exceeded"

inject summary.json 1 28 "$dcsim" run "$scenario" -o "$d/ok.h5" -q --summary-json "$d/summary.json"
clean "JSON summary, write fails" $? "$tmp/e" "$d" "$d/summary.json" "No space left on device"

np=$(writes power.png "$dcsim" run "$scenario" -o "$d/ok.h5" -q --plot "$d/power.png")
rm -f "$d/power.png"
for k in 1 "$np"; do
  inject power.png "$k" 5 "$dcsim" run "$scenario" -o "$d/ok.h5" -q --plot "$d/power.png"
  clean "plot, write $k of $np fails (EIO)" $? "$tmp/e" "$d" "$d/power.png" "Input/output error"
done

inject .sbatch 1 28 "$dcsim" sweep "$tmp/two.yaml" -o "$d" --emit-slurm -q
clean "Slurm script, write fails" $? "$tmp/e" "$d" "$d/two-runs.sbatch" "No space left on device"

# the sweep index, after a sweep whose runs are all complete
"$dcsim" sweep "$tmp/two.yaml" -o "$d/sw" -q >/dev/null 2>&1
ni=$(writes index.h5 "$dcsim" sweep "$tmp/two.yaml" -o "$d/sw" --index-only -q)
rm -f "$d/sw/index.h5"
check "the index takes several writes ($ni)" test "$ni" -ge 3
for k in $(spread "$ni"); do
  inject index.h5 "$k" 28 "$dcsim" sweep "$tmp/two.yaml" -o "$d/sw" --index-only -q
  clean "sweep index, write $k of $ni fails (ENOSPC)" $? "$tmp/e" "$d/sw" "$d/sw/index.h5" "No space left on device"
done

# one run of a sweep hits the fault: it fails cleanly, the other completes, the index says so
rm -rf "$d/sw2"
"$dcsim" sweep "$tmp/two.yaml" -o "$d/sw2" --list -q >"$tmp/list" 2>&1
first=$(awk 'NR > 1 {print $2; exit}' "$tmp/list")
inject "$first.h5" 3 28 "$dcsim" sweep "$tmp/two.yaml" -o "$d/sw2" -q
check "sweep with one failing run: exit code 1" test $? -eq 1
check "sweep with one failing run: its log names the file and the cause" \
  grep -qF "cannot write $d/sw2/$first.h5: " "$d/sw2/$first.log"
check "sweep with one failing run: index lists it failed and the other completed" $py -c "
import h5py, sys
with h5py.File('$d/sw2/index.h5') as f:
    s = sorted(x.decode() for x in f['run_status'][()])
sys.exit(0 if s == ['completed', 'failed'] else 1)"
check "sweep with one failing run: no partial left" bash -c "! ls -a '$d/sw2' | grep -E 'partial-|tmp-'"

# ---- 3. the output directory removed while the run writes into it ----------------------------
# The run is stopped (SIGSTOP) once its partial file has grown past 4 KiB, the directory removed, the run resumed.
g=$tmp/gone
mkdir -p "$g"
"$dcsim" run "$src/scenarios/examples/quickstart.yaml" --set time.duration=365d -o "$g/run.h5" -q 2>"$tmp/e" &
pid=$!
for _ in $(seq 1000); do  # until the partial file has grown (the file is created and written)
  p=$(ls "$g"/run.h5.partial-* 2>/dev/null | head -1)
  [ -n "$p" ] && [ "$(stat -c %s "$p" 2>/dev/null || echo 0)" -gt 4096 ] && break
  sleep 0.01
done
kill -STOP $pid 2>/dev/null
rm -rf "$g"
kill -CONT $pid 2>/dev/null
wait $pid
rc=$?
check "directory removed mid-run: exit code 3 (not a signal)" test $rc -eq 3
  no_asan_notes "$tmp/e"
check "directory removed mid-run: one message naming the file and the cause" bash -c \
  "cat '$tmp/e'; [ \$(wc -l <'$tmp/e') -eq 1 ] && grep -F 'cannot write $g/run.h5' '$tmp/e' | grep -q 'No such file or directory'"
check "directory removed mid-run: no result appeared" test ! -e "$g/run.h5"

finish
