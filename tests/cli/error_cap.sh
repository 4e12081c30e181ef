#!/usr/bin/env bash
# Big bad files (issue 18 item 2): `dcsim validate` and `dcsim run` print at most 50 errors per
# file, then one "and N more" line; the exit code still reflects every error (2), and a file
# of 10^5 unknown keys is reported (not hung on).
# Usage: error_cap.sh DCSIM_BINARY SOURCE_DIR
dcsim=$1
src=$2
set -u
tmp=$(mktemp -d /tmp/dcsim-error-cap.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() {
  local name=$1; shift
  if "$@" >"$tmp/check.out" 2>&1; then passed=$((passed + 1)); echo "ok   $name"
  else failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/    /' "$tmp/check.out" | head -20; fi
}
sed "s|\.\./\.\./\.\./platforms|$src/platforms|" "$src/tests/fixtures/sweeps/tiny-scenario.yaml" >"$tmp/base.yaml"
{ cat "$tmp/base.yaml"; for i in $(seq 0 99999); do echo "k$i: $i"; done; } >"$tmp/big.yaml"
{ cat "$tmp/base.yaml"; echo "pue_x: 1"; echo "seed: -1"; } >"$tmp/two.yaml"

"$dcsim" validate "$tmp/big.yaml" "$tmp/two.yaml" "$tmp/base.yaml" >"$tmp/v.out" 2>"$tmp/v.err"
rc=$?
check "validate: exit code 2 (bad input)" test $rc -eq 2
check "validate: 50 errors printed for the big file" test "$(grep -c "^error: $tmp/big.yaml:[0-9]" "$tmp/v.err")" -eq 50
check "validate: then one line counting the rest" \
  grep -qx "error: $tmp/big.yaml: and 99950 more errors (100000 in all; the first 50 are shown)" "$tmp/v.err"
check "validate: the first 50 in file order" bash -c "grep -q \"unknown key 'k49'\" '$tmp/v.err' && ! grep -q \"unknown key 'k50'\" '$tmp/v.err'"
check "validate: the other file's 2 errors are all printed" test "$(grep -c "^error: $tmp/two.yaml:" "$tmp/v.err")" -eq 2
check "validate: the good file is ok" grep -q "base.yaml: ok" "$tmp/v.out"
check "validate: 53 lines on stderr in all" test "$(wc -l <"$tmp/v.err")" -eq 53

"$dcsim" run "$tmp/big.yaml" -o "$tmp/r.h5" --quiet >"$tmp/r.out" 2>"$tmp/r.err"
rc=$?
check "run: exit code 2, no result file" bash -c "[ $rc -eq 2 ] && [ ! -e '$tmp/r.h5' ]"
check "run: 50 errors and the count line" bash -c \
  "[ \$(grep -c '^error: $tmp/big.yaml:[0-9]' '$tmp/r.err') -eq 50 ] && grep -q 'and 99950 more errors' '$tmp/r.err'"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
