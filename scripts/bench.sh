#!/usr/bin/env bash
# End-to-end benchmark of dcsim (issue 10): runs dcsim, the bare-engine baseline (the same job
# stream on bare SimGrid S4U with FCFS, tests/bench/bare_s4u.cpp) and the floor (a plain C++
# event loop over the same jobs, tests/bench/bare_loop.cpp) in the same invocation, one after
# the other per scenario, and reports wall and user CPU time, simulated years per wall hour,
# jobs and events per second, peak RSS, the ratios dcsim/baseline and dcsim/floor, and the
# fitted exponent of cost vs jobs over the scenarios run. See tests/bench/README.md.
#
#   scripts/bench.sh [small|large|decade|all|<file.yaml>]...   (default: small large)
#   scripts/bench.sh serving      LLM serving in the engine (issue 15): the aggregated fidelity
#                                 for a year on 10,000 GPUs (~10^9 requests) and the request
#                                 fidelity at 2.5·10^5, 5·10^5 and 10^6 requests with the request
#                                 table (cost vs requests fitted); dcsim only (no baseline exists)
#   scripts/bench.sh --smoke      tiny scenario, checks only that everything runs (CI)
#
# Environment:
#   DCSIM_BUILD_DIR   build directory with dcsim and bench/ (default: <repo>/build/bench;
#                     configure with -DCMAKE_BUILD_TYPE=Release -DDCSIM_BUILD_BENCH=ON and build
#                     the `bench` target)
#   BENCH_REPEAT      runs of each program per scenario; the fastest (user CPU) is kept (default 1)
#   BENCH_KEEP        directory to keep the job streams, result files and logs in (default: a
#                     temporary directory, removed at exit)
#   BENCH_CSV         also append one CSV line per scenario to this file
# Ratios use user CPU time (wall time is unreliable on a loaded machine); both are shown.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="${DCSIM_SOURCE_DIR:-$(cd "$here/.." && pwd)}"
build="${DCSIM_BUILD_DIR:-$src/build/bench}"
repeat="${BENCH_REPEAT:-1}"
dcsim="$build/dcsim"
bin="$build/bench"
TIME=/usr/bin/time

smoke=0
serving=0
scen=()
for a in "$@"; do
  case "$a" in
    --smoke) smoke=1 ;;
    -h|--help) sed -n '2,26p' "${BASH_SOURCE[0]}"; exit 0 ;;
    all) scen+=(small large decade) ;;
    serving) serving=1 ;;
    *) scen+=("$a") ;;
  esac
done
if ((smoke)); then scen=(tiny); repeat=1; fi
((${#scen[@]})) || ((serving)) || scen=(small large)

# The serving cases (uses measure and best, defined below; called after them).
serving_cases() {
  [[ -x "$dcsim" ]] || { echo "bench.sh: $dcsim not found" >&2; exit 2; }
  local out="$work/serving" rows=() name args best_run r m reqs
  mkdir -p "$out"
  # name | scenario | extra --set
  local cases=(
    "aggregated-year-10k|serving-year-10k|"
    "request-250k|serving-request-1m|time.duration=2500s"
    "request-500k|serving-request-1m|time.duration=5000s"
    "request-1m|serving-request-1m|"
  )
  for c in "${cases[@]}"; do
    IFS='|' read -r name yaml extra <<<"$c"
    args=(run "$src/tests/bench/scenarios/$yaml.yaml" -q -o "$out/$name.h5" --summary-json "$out/$name.json")
    [[ -n "$extra" ]] && args+=(--set "$extra")
    local runs=()
    for ((r = 1; r <= repeat; r++)); do
      echo "== serving $name: run $r/$repeat" >&2
      runs+=("$(measure "$out/$name.log" "$dcsim" "${args[@]}")")
    done
    best_run=$(best "${runs[@]}")
    reqs=$(/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(int(s["serving_requests_arrived"]))' "$out/$name.json")
    rows+=("$name $reqs $best_run")
  done
  printf '%s\n' "${rows[@]}" | awk '
    function fmt(x) { return x < 10 ? sprintf("%.2f", x) : sprintf("%.1f", x) }
    BEGIN { printf "\n%-20s %14s %8s %8s %14s %9s\n", "serving case", "requests", "wall_s", "user_s", "requests/s", "rss_MiB" }
    {
      printf "%-20s %14d %8s %8s %14.0f %9.0f\n", $1, $2, fmt($3), fmt($4), $2 / ($4 > 0.005 ? $4 : 0.005), $5 / 1024
      if ($1 ~ /^request-/) { n++; lx[n] = log($2); ly[n] = log($4 > 0.005 ? $4 : 0.005) }
    }
    END {
      if (n >= 2) {
        for (i = 1; i <= n; i++) { mx += lx[i] / n; my += ly[i] / n }
        for (i = 1; i <= n; i++) { sxy += (lx[i] - mx) * (ly[i] - my); sxx += (lx[i] - mx) ^ 2 }
        printf "fitted exponent of user CPU vs requests (request fidelity, %d cases): %.3f\n", n, sxy / sxx
      }
    }'
}

if ((${#scen[@]})); then
  for p in "$dcsim" "$bin/bench_jobs" "$bin/bench_bare_s4u" "$bin/bench_bare_loop"; do
    [[ -x "$p" ]] || { echo "bench.sh: $p not found: build the 'bench' target in $build" >&2; exit 2; }
  done
fi
[[ -x "$TIME" ]] || { echo "bench.sh: /usr/bin/time (GNU time) is needed" >&2; exit 2; }

if [[ -n "${BENCH_KEEP:-}" ]]; then
  work="$BENCH_KEEP"; mkdir -p "$work"
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/dcsim-bench.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
fi

# measure <log> <cmd...>: runs under GNU time -v; prints "wall user rss_kb"; fails if cmd fails.
measure() {
  local log="$1"; shift
  if ! "$TIME" -v -o "$log.time" "$@" >"$log" 2>&1; then
    echo "bench.sh: failed: $*" >&2; tail -20 "$log" >&2; return 1
  fi
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
    /User time \(seconds\)/ { u = $2 }
    /Maximum resident set size/ { r = $2 }
    END { printf "%s %s %s\n", w, u, r }' "$log.time"
}

# best <runs...>: of several "wall user rss" triples, the one with the least user time.
best() { printf '%s\n' "$@" | sort -k2,2g | head -1; }

if ((serving)); then
  serving_cases
  ((${#scen[@]})) || exit 0
fi

results=()
for s in "${scen[@]}"; do
  if [[ -f "$s" ]]; then yaml="$s"; name="$(basename "$s" .yaml)"
  else yaml="$src/tests/bench/scenarios/$s.yaml"; name="$s"; fi
  [[ -f "$yaml" ]] || { echo "bench.sh: no scenario $s ($yaml)" >&2; exit 2; }
  jobs_tsv="$work/$name.jobs.tsv"
  echo "== $name: exporting the job stream" >&2
  "$bin/bench_jobs" "$yaml" "$jobs_tsv" 2>"$work/$name.export.log" || { cat "$work/$name.export.log" >&2; exit 1; }
  span_s=$(head -1 "$jobs_tsv" | awk '{ print $7 }')
  span_s=$(/usr/bin/python3 -c "print(float.fromhex('$span_s'))")
  d_runs=() b_runs=() f_runs=()
  for ((r = 1; r <= repeat; r++)); do
    echo "== $name: run $r/$repeat: dcsim" >&2
    d_runs+=("$(measure "$work/$name.dcsim.log" "$dcsim" run "$yaml" -q -o "$work/$name.h5" \
               --summary-json "$work/$name.summary.json")")
    echo "== $name: run $r/$repeat: bare S4U baseline" >&2
    b_runs+=("$(measure "$work/$name.bare_s4u.log" "$bin/bench_bare_s4u" "$jobs_tsv" \
               --log=root.thres:warning)")
    echo "== $name: run $r/$repeat: plain event loop" >&2
    f_runs+=("$(measure "$work/$name.bare_loop.log" "$bin/bench_bare_loop" "$jobs_tsv")")
  done
  d=$(best "${d_runs[@]}") b=$(best "${b_runs[@]}") f=$(best "${f_runs[@]}")
  # Job events: submissions + starts + completions (the baseline and the loop count the same
  # kinds; for dcsim, submitted + 2 x completed, from its summary).
  d_events=$(/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(int(s.get("jobs_submitted",0)+2*s.get("jobs_completed",0)))' "$work/$name.summary.json")
  b_events=$(sed -n 's/.*events=\([0-9]*\).*/\1/p' "$work/$name.bare_s4u.log")
  f_events=$(sed -n 's/.*events=\([0-9]*\).*/\1/p' "$work/$name.bare_loop.log")
  results+=("$name $span_s $(head -1 "$jobs_tsv" | awk '{ print $9 }') $d $b $f 0 0 $d_events $b_events $f_events")
  grep -h '^bare_' "$work/$name.bare_s4u.log" "$work/$name.bare_loop.log" >&2 || true
done

# Table and exponent.
printf '%s\n' "${results[@]}" | awk -v csv="${BENCH_CSV:-}" '
  function fmt(x) { return x < 10 ? sprintf("%.2f", x) : sprintf("%.1f", x) }
  {
    name = $1; span = $2; jobs = $3
    dw = $4; du = $5; dr = $6; bw = $7; bu = $8; br = $9; fw = $10; fu = $11; fr = $12
    dsub = $13; ddone = $14; dev = $15; bev = $16; fev = $17
    yrs = span / (365.25 * 86400)
    printf "\n%-8s %d jobs, %.2f simulated years\n", name, jobs, yrs
    printf "  %-10s %8s %8s %10s %10s %12s %9s\n", "program", "wall_s", "user_s", "sim_yr/h", "jobs/s", "events/s", "rss_MiB"
    line("dcsim", dw, du, dr, dev, yrs, jobs)
    line("bare_s4u", bw, bu, br, bev, yrs, jobs)
    line("bare_loop", fw, fu, fr, fev, yrs, jobs)
    printf "  dcsim/baseline: %.2f (user) %.2f (wall)   dcsim/floor: %.0f (user) %.0f (wall)\n",
           du / max(bu), dw / max(bw), du / max(fu), dw / max(fw)
    n++; lx[n] = log(jobs); ly[n] = log(max(du)); lb[n] = log(max(bu))
    if (csv != "")
      printf "%s,%d,%.3f,%.3f,%.3f,%.0f,%.3f,%.3f,%.0f,%.3f,%.3f,%.0f,%.3f,%.3f\n", name, jobs, yrs,
             dw, du, dr / 1024, bw, bu, br / 1024, fw, fu, fr / 1024, du / max(bu), du / max(fu) >> csv
  }
  function max(x) { return x > 0.005 ? x : 0.005 }
  function line(p, w, u, r, ev, yrs, jobs) {
    printf "  %-10s %8s %8s %10.0f %10.0f %12.0f %9.0f\n", p, fmt(w), fmt(u), yrs / (max(w) / 3600),
           jobs / max(u), ev / max(u), r / 1024
  }
  END {
    if (n >= 2) {
      printf "\nfitted exponent of user CPU vs jobs (least squares over %d scenarios): dcsim %.3f, bare_s4u %.3f\n",
             n, slope(lx, ly, n), slope(lx, lb, n)
    }
  }
  function slope(x, y, n,   i, mx, my, sxy, sxx) {
    for (i = 1; i <= n; i++) { mx += x[i] / n; my += y[i] / n }
    for (i = 1; i <= n; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) ^ 2 }
    return sxx > 0 ? sxy / sxx : 0
  }'
if ((smoke)); then echo "bench.sh: smoke OK"; fi
