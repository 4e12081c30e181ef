#!/usr/bin/env bash
# The closed choices of a scenario have one name table each (sim/model/choices.hpp): `dcsim
# describe choices` prints them, and scenarios/README.md documents exactly those names: where
# the key has a row in a reference table (or platforms/README.md for the network), the row lists the table's names in its order; every
# name appears in the reference in backticks. A choice added to a table and not to the docs
# (or the reverse) fails here. Then a misspelt choice is refused by `dcsim validate` with the
# table's names.
# Usage: describe_choices.sh DCSIM_BINARY SOURCE_DIR
dcsim=$1
src=$2
set -u
tmp=$(mktemp -d /tmp/dcsim-choices.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$dcsim" describe choices >"$tmp/choices.txt" || { echo "FAIL: dcsim describe choices exited $?"; exit 1; }
cat "$tmp/choices.txt"
/usr/bin/python3 - "$tmp/choices.txt" "$src/scenarios/README.md" "$src/platforms/README.md" <<'PY' || exit 1
import re, sys
lines = open(sys.argv[1]).read().splitlines()
doc = "\n".join(open(p).read() for p in sys.argv[2:])
rows = {}
for l in doc.splitlines():
    m = re.match(r"\|\s*`([a-z_]+)`\s*\|((?:[^|\\]|\\.)*)\|", l)  # a cell may hold \| escapes
    if m and "`" in m.group(2):
        rows.setdefault(m.group(1), []).append(re.findall(r"`([^`]+)`", m.group(2)))
bad = []
n = 0
for l in lines[1:]:
    key, names = l.split(None, 1)
    names = [x.strip() for x in names.split("|")]
    leaf = key.split(".")[-1]
    n += 1
    for name in names:
        if f"`{name}`" not in doc:
            bad.append(f"{key}: `{name}` not in scenarios/README.md or platforms/README.md")
    if leaf in rows and names not in rows[leaf]:
        bad.append(f"{key}: table row lists {rows[leaf]}, the name table {names}")
if n < 10:
    bad.append(f"expected at least 10 closed choices, got {n}")
print("\n".join(bad) if bad else f"ok   {n} choices documented")
sys.exit(1 if bad else 0)
PY
sed "s|\.\./\.\./\.\./platforms|$src/platforms|" "$src/tests/fixtures/sweeps/tiny-scenario.yaml" >"$tmp/s.yaml"
"$dcsim" validate --set site.cooling.model=chiler "$tmp/s.yaml" >"$tmp/v.out" 2>&1
rc=$?
grep -q "expected one of constant-pue, chiller, chiller-economiser, liquid, got chiler (did you mean 'chiller'?)" "$tmp/v.out" && [ $rc -eq 2 ] \
  || { echo "FAIL: misspelt cooling model (rc $rc)"; cat "$tmp/v.out"; exit 1; }
echo "ok   a misspelt choice is refused with the table's names"
