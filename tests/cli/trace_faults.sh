#!/usr/bin/env bash
# Trace faults (issue 8, item 4) and resource bounds (item 7), end to end through `dcsim run`.
#
# A one-day run (2024-01-01, hourly samples) reads its grid carbon intensity from a small
# generic CSV with one kind of fault. With each rule of the scenario (site.supply.grid.gap_rule:
# interpolate | hold | error for missing timestamps and empty cells; wrap_rule: wrap | hold |
# error for a trace shorter than the run) the run either
#   - succeeds, and the result file's root attribute trace_report_0 counts the repair
#     (sim/traces/README.md, "Fault rules"), or
#   - fails with exit code 2, an error naming the trace file and the line of the fault
#     (file:line), and no result file left behind.
# Duplicate and unordered timestamps have no scenario key: the traces module's defaults
# (keep_first, sort) apply whatever gap_rule says, and are reported.
# Resource bounds: 10^12 jobs and a 1 ns sample over 10 years are refused before anything runs,
# with the estimated size in the message.
# Usage: trace_faults.sh DCSIM_BINARY SOURCE_DIR
set -u
dcsim=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1"; fail=$((fail + 1)); }

# scenario NAME TRACE GAP_RULE WRAP_RULE [START] → $tmp/NAME.yaml
scenario() {
  cat >"$tmp/$1.yaml" <<YAML
name: trace-fault-$1
seed: 1
time: {start: ${5:-2024-01-01}, duration: 1d, sample: 1h}
site:
  platform: $src/platforms/sites/quickstart-h200.yaml
  cooling: {model: constant-pue, pue: 1.2}
  supply:
    grid: {carbon_file: $2, gap_rule: $3, wrap_rule: $4}
workload:
  generator: fixed
  jobs: 2
  gpus_per_job: 8
policies:
  scheduler: {name: fcfs}
YAML
}

attr() {  # attr FILE NAME: a root attribute's value as text
  /usr/bin/python3 -c 'import sys, h5py
v = h5py.File(sys.argv[1], "r").attrs[sys.argv[2]]
print(v.decode() if isinstance(v, bytes) else v)' "$1" "$2" 2>/dev/null
}

# runs NAME TRACE GAP WRAP REGEX [START]: the run succeeds and trace_report_0 matches REGEX.
runs() {
  local name=$1 regex=$4
  scenario "$name" "$2" "${3%/*}" "${3#*/}" "${5:-}"
  rm -f "$tmp/$name.h5"
  if ! "$dcsim" run "$tmp/$name.yaml" -o "$tmp/$name.h5" --quiet 2>"$tmp/err"; then
    ko "$name: run failed: $(head -3 "$tmp/err")"; return
  fi
  local rep
  rep=$(attr "$tmp/$name.h5" trace_report_0)
  if [[ "$rep" =~ $regex ]]; then ok "$name: runs, provenance says \"${rep#*: }\""
  else ko "$name: trace_report_0 = \"$rep\", expected /$regex/"; fi
}

# refused NAME TRACE GAP WRAP REGEX [START]: exit code 2, stderr matches REGEX, no result file.
refused() {
  local name=$1 regex=$4
  scenario "$name" "$2" "${3%/*}" "${3#*/}" "${5:-}"
  rm -f "$tmp/$name.h5"*
  "$dcsim" run "$tmp/$name.yaml" -o "$tmp/$name.h5" --quiet >/dev/null 2>"$tmp/err"
  local rc=$?
  if [ $rc -ne 2 ]; then ko "$name: exit code $rc, expected 2 ($(head -2 "$tmp/err"))"
  elif ! grep -Eq -- "$regex" "$tmp/err"; then ko "$name: error does not match /$regex/: $(head -3 "$tmp/err")"
  elif ls "$tmp/$name.h5"* >/dev/null 2>&1; then ko "$name: a result file was left behind"
  else ok "$name: refused: $(head -1 "$tmp/err")"; fi
  # dcsim validate reads the traces as the run does: the same error, a non-zero exit.
  "$dcsim" validate "$tmp/$name.yaml" >"$tmp/verr" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then ko "$name: validate exit code 0 ($(head -2 "$tmp/verr"))"
  elif ! grep -Eq -- "$regex" "$tmp/verr"; then ko "$name: validate does not report /$regex/: $(head -3 "$tmp/verr")"
  else ok "$name: validate reports it too"; fi
}

# ---- the faulty traces (hourly gCO2/kWh, covering the run day 2024-01-01 and the next) -------
hours() {  # hours FROM TO: rows "2024-01-01T<h>:00:00Z,<100+h>" for h in FROM..TO (h may pass 23)
  local h
  for ((h = $1; h <= $2; h++)); do
    printf '2024-01-%02dT%02d:00:00Z,%d\n' $((1 + h / 24)) $((h % 24)) $((100 + 10 * h))
  done
}
{ echo "time,carbon_gco2_kwh"; hours 0 1; hours 4 48; } >"$tmp/gaps.csv"                 # 02:00, 03:00 missing
{ echo "time,carbon_gco2_kwh"; hours 0 2; echo "2024-01-01T03:00:00Z,"; echo "2024-01-01T04:00:00Z,NA"; hours 5 48; } >"$tmp/empty.csv"
{ echo "time,carbon_gco2_kwh"; hours 0 5; echo "2024-01-01T05:00:00Z,999"; hours 6 48; } >"$tmp/dups.csv"
{ echo "time,carbon_gco2_kwh"; hours 0 5; hours 7 7; hours 6 6; hours 8 48; } >"$tmp/unordered.csv"
{ echo "time,carbon_gco2_kwh"; hours 0 11; } >"$tmp/short.csv"                             # half the run
# Offset-less local clock across the US spring-forward night 2024-03-10 (02:00 does not exist),
# and the same night with explicit offsets (-08:00 → -07:00: no fault remains).
{ echo "# utc_offset_h: -8"; echo "time,carbon_gco2_kwh"
  for d in 09 10 11; do for h in $(seq 0 23); do
    [ "$d$h" = 102 ] && continue
    printf '2024-03-%sT%02d:00:00,%d\n' "$d" "$h" $((200 + h)); done; done; } >"$tmp/dst.csv"
{ echo "time,carbon_gco2_kwh"
  for h in $(seq 0 23); do printf '2024-03-09T%02d:00:00-08:00,%d\n' "$h" $((200 + h)); done
  for h in 0 1; do printf '2024-03-10T%02d:00:00-08:00,%d\n' "$h" $((200 + h)); done
  for h in $(seq 3 23); do printf '2024-03-10T%02d:00:00-07:00,%d\n' "$h" $((200 + h)); done
  for h in $(seq 0 23); do printf '2024-03-11T%02d:00:00-07:00,%d\n' "$h" $((200 + h)); done; } >"$tmp/dst_offsets.csv"

# gaps: the missing 02:00 and 03:00 are filled on the nominal step, or refused at the row after.
runs    gaps-interpolate "$tmp/gaps.csv" interpolate/wrap "1 gaps, 2 gap points filled"
runs    gaps-hold        "$tmp/gaps.csv" hold/wrap        "1 gaps, 2 gap points filled"
refused gaps-error       "$tmp/gaps.csv" error/wrap       "gaps\.csv:4: expected a row every 3600 s, got a gap of 10800 s"
# The rule changes the values: interpolation gives 120→150 over 02:00–03:00, hold keeps 110.
e_int=$(attr "$tmp/gaps-interpolate.h5" summary_emissions_tco2)
e_hold=$(attr "$tmp/gaps-hold.h5" summary_emissions_tco2)
if /usr/bin/python3 -c "import sys; sys.exit(0 if float('$e_int') > float('$e_hold') > 0 else 1)" 2>/dev/null
then ok "gaps: interpolated emissions ($e_int t) exceed held ones ($e_hold t)"
else ko "gaps: expected interpolated emissions > held > 0, got $e_int and $e_hold"; fi

# empty cells ("" and NA)
runs    empty-interpolate "$tmp/empty.csv" interpolate/wrap "2 empty cells filled"
runs    empty-hold        "$tmp/empty.csv" hold/wrap        "2 empty cells filled"
refused empty-error       "$tmp/empty.csv" error/wrap       "empty\.csv:5:.*empty"

# duplicates and unordered rows: fixed defaults (keep_first, sort), reported, even with gap_rule error
runs    duplicates        "$tmp/dups.csv" error/wrap "1 duplicates dropped"
runs    unordered         "$tmp/unordered.csv" error/wrap "1 unordered rows sorted"

# daylight saving: the naive spring-forward hour is a one-hour gap handled by the gap rule
runs    dst-naive-interpolate "$tmp/dst.csv" interpolate/wrap "1 gaps, 1 gap points filled, 1 DST jumps" 2024-03-10
refused dst-naive-error       "$tmp/dst.csv" error/wrap       "dst\.csv:[0-9]+: expected a row every 3600 s" 2024-03-10
runs    dst-offsets           "$tmp/dst_offsets.csv" error/wrap "1 DST jumps" 2024-03-10

# A trace shorter than the run (12 h of a 24 h run). Carbon traces are aligned as a typical
# year, which this trace does not cover: wrap and hold both hold the last value over the 12
# uncovered hours (43200 s, counted), error refuses the run naming both spans.
runs    short-wrap  "$tmp/short.csv" interpolate/wrap  "[^0-9]43200 s held"
runs    short-hold  "$tmp/short.csv" interpolate/hold  "[^0-9]43200 s held"
refused short-error "$tmp/short.csv" interpolate/error "short\.csv: expected a trace covering the whole year 2024 .*got 2024-01-01T00:00:00Z\.\.2024-01-01T11:00:00Z"

# Real data: the PJM 2022 EIA-930 file has 23 empty avg_CI cells (22 hours of the DST day).
pjm=$src/scenarios/data/carbon/eia_pjm_2022_hourly.csv
if [ -f "$pjm" ]; then
  runs    pjm-interpolate "$pjm" interpolate/wrap "23 empty cells filled"
  refused pjm-error       "$pjm" error/wrap       "eia_pjm_2022_hourly\.csv:[0-9]+:"
fi

# ---- resource bounds: refused up front with the estimated size ------------------------------
bound() {  # bound NAME REGEX --set ...: exit 2 within 30 s, message matches, no file
  local name=$1 regex=$2
  shift 2
  rm -f "$tmp/b.h5"*
  local t0=$SECONDS
  timeout 60 "$dcsim" run "$src/scenarios/examples/quickstart.yaml" -o "$tmp/b.h5" --quiet "$@" \
    >/dev/null 2>"$tmp/err"
  local rc=$? dt=$((SECONDS - t0))
  if [ $rc -ne 2 ]; then ko "$name: exit code $rc, expected 2 ($(head -2 "$tmp/err"))"
  elif ! grep -Eq -- "$regex" "$tmp/err"; then ko "$name: error does not match /$regex/: $(head -3 "$tmp/err")"
  elif [ $dt -gt 30 ]; then ko "$name: refused only after ${dt}s"
  elif ls "$tmp/b.h5"* >/dev/null 2>&1; then ko "$name: a result file was left behind"
  else ok "$name: $(head -1 "$tmp/err")"; fi
}
# Job records: ~600 B each (config/scenario_loader.cpp, kBytesPerJob): 10^12 jobs ≈ 600 TB.
bound "10^12 jobs (fixed generator)" \
  "workload\.jobs: expected at most 1e\+08 jobs over the run, got an estimated 1e\+12 \(~600 TB of job records\)" \
  --set workload.jobs=1e12
# research-lab over 10 years: 10^12 jobs in each year.
bound "10^12 jobs a year for 10 years (research-lab)" \
  "workload\.jobs_per_year: expected at most 1e\+08 jobs over the run, got an estimated 1e\+13 \(~6 PB of job records\)" \
  --set workload.generator=research-lab --set workload.jobs_per_year=1e12 --set time.duration=3652.5d
# Samples: 3652 d / 1 ns = 3.16e17 per series, 8 B each ≈ 2.52 EB.
bound "1 ns sample over 10 years" \
  "time\.sample: expected a sampling interval >= 1 s for spans over a day, got 1e-09 s over 3652 days \(3\.16e\+17 samples, ~2\.52 EB per series\)" \
  --set time.duration=3652d --set time.sample=1e-9

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
