#!/usr/bin/python3
"""Builds the seed corpora tests/fuzz/corpus/<parser>/ from the project's own files.

Run from anywhere: /usr/bin/python3 tests/fuzz/make_corpus.py (rewrites the corpus directories).

- YAML seeds (scenario, platform, sweep): relative paths that exist next to the original file
  are rewritten as "../../<path from the source root>", because the fuzz targets write their
  input to <sandbox>/a/b/ with <sandbox>/{platforms,scenarios,tests,workloads} linked to the
  source tree (tests/fuzz/fuzz_inputs.hpp).
- Trace seeds get a leading configuration byte (fault rules and alignment, fuzz_inputs.hpp);
  large files are cut to their first 200 lines.
"""
import os
import re
import shutil
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2]
OUT = SRC / "tests" / "fuzz" / "corpus"
PATH_TOKEN = re.compile(r"[A-Za-z0-9_./-]+\.(?:yaml|yml|csv|epw|swf)\b")
MAX_LINES = 200


def head(path: Path, lines: int = MAX_LINES) -> bytes:
    with open(path, "rb") as f:
        out = []
        for i, line in enumerate(f):
            if i >= lines:
                break
            out.append(line)
    return b"".join(out)


def rewrite_paths(path: Path) -> bytes:
    text = path.read_text(encoding="utf-8", errors="surrogateescape")

    def fix(m: re.Match) -> str:
        tok = m.group(0)
        if tok.startswith("/"):
            return tok
        target = (path.parent / tok).resolve()
        if not target.exists():
            return tok
        try:
            rel = target.relative_to(SRC)
        except ValueError:
            return tok
        return "../../" + rel.as_posix()

    return PATH_TOKEN.sub(fix, text).encode("utf-8", errors="surrogateescape")


def files(*globs: str):
    out = []
    for g in globs:
        out.extend(sorted(p for p in SRC.glob(g) if p.is_file()))
    return out


def emit(parser: str, name: str, data: bytes):
    d = OUT / parser
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


YAML_KEY = re.compile(rb"([A-Za-z_][A-Za-z0-9_]*):(?=[ \n])")
YAML_WORDS = [b"extends", b"true", b"false", b"null", b"~", b"&a", b"*a", b"<<", b"!!str", b"[", b"{",
              b"1e308", b"-1", b"0.0", b".nan", b".inf", b"15min", b"1h", b"2d", b"1e-9"]


def serving_section(text: str):
    """The lines under a top-level `serving:` key, dedented; None if there is none. A flow
    mapping on the key's own line (`serving: {...}`) is returned as that mapping."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("serving:"):
            rest = line[len("serving:"):].strip()
            if rest and not rest.startswith("#"):
                return rest + "\n"
            body = []
            for l in lines[i + 1:]:
                if l.strip() and not l.startswith((" ", "#")):
                    break
                body.append(l)
            indent = min((len(l) - len(l.lstrip(" ")) for l in body if l.strip() and not l.lstrip().startswith("#")),
                         default=0)
            return "".join(l[indent:] if l[:indent].strip() == "" else l for l in body)
    return None


def write_dictionaries():
    """tests/fuzz/dict/<parser>.dict: the keys of YAML seeds, the header names of CSV seeds."""
    ddir = SRC / "tests" / "fuzz" / "dict"
    ddir.mkdir(exist_ok=True)
    for parser in sorted(p.name for p in OUT.iterdir()):
        words = set()
        for f in (OUT / parser).iterdir():
            data = f.read_bytes()
            if parser in ("scenario", "platform", "catalogue", "sweep", "serving"):
                words.update(m.group(1) + b":" for m in YAML_KEY.finditer(data))
                words.update(YAML_WORDS)
            else:
                if parser == "trace":
                    data = data[1:]
                for line in data.splitlines()[:12]:
                    for cell in re.split(rb"[,;\s]+", line):
                        if 1 < len(cell) <= 40 and not re.fullmatch(rb"[-+0-9.eE:]+", cell):
                            words.add(cell)
                words.update([b",", b"\n", b"NA", b"nan", b"-1", b"1e308", b"99.9", b"+01:00", b"Z"])
        def esc(w: bytes) -> str:
            return "".join(chr(c) if 32 <= c < 127 and c not in (34, 92) else f"\\x{c:02x}" for c in w)
        with open(ddir / f"{parser}.dict", "w") as out:
            out.write(f"# libFuzzer dictionary for fuzz_{parser}, written by make_corpus.py\n")
            for w in sorted(words):
                out.write(f'"{esc(w)}"\n')


def main():
    for parser in ["scenario", "platform", "catalogue", "sweep", "trace", "swf", "alibaba", "helios",
                   "azure", "jobcsv", "serving", "serving_trace"]:
        shutil.rmtree(OUT / parser, ignore_errors=True)

    for p in files("scenarios/examples/*.yaml", "scenarios/validation/*.yaml",
                   "tests/fixtures/scenarios/*.yaml", "tests/fixtures/bad/*.yaml",
                   "tests/fixtures/sweeps/tiny-scenario.yaml", "tests/integration/scenarios/*.yaml"):
        # alias-bomb.yaml expands to the reader's 10^6-node limit: ~4 s per run under ASan, and
        # its mutations as slow; the bad-input corpus test covers it.
        if p.name in ("profiles.yaml", "alias-bomb.yaml"):
            continue
        emit("scenario", f"{p.parent.name}-{p.name}", rewrite_paths(p))

    for p in files("platforms/sites/*.yaml", "tests/fixtures/platforms/*.yaml", "platforms/nodes.yaml"):
        emit("platform", f"{p.parent.name}-{p.name}", rewrite_paths(p))
    emit("platform", "accelerators-head.yaml", head(SRC / "platforms/accelerators.yaml", 120))

    for p in files("workloads/profiles.yaml", "scenarios/validation/profiles.yaml"):
        emit("catalogue", f"{p.parent.name}-{p.name}", p.read_bytes())

    for p in files("scenarios/sweeps/*.yaml", "tests/fixtures/sweeps/eight-runs.yaml"):
        emit("sweep", f"{p.parent.name}-{p.name}", rewrite_paths(p))

    # Trace configuration bytes: 0 = defaults; 37 = hold/keep_last/hold; 90 = every rule error;
    # 128 + 37 = absolute calendar with the hold rules.
    for p in files("tests/fixtures/traces/*"):
        for cfg in (0, 37, 90, 165):
            emit("trace", f"{p.stem}-{cfg}{p.suffix}", bytes([cfg]) + p.read_bytes())
    for p in files("scenarios/data/carbon/*.csv", "scenarios/data/weather/*"):
        for cfg in (0, 128 + 37):
            emit("trace", f"{p.stem}-{cfg}{p.suffix}", bytes([cfg]) + head(p))

    for p in files("tests/fixtures/workload/*.swf"):
        emit("swf", p.name, p.read_bytes())
    emit("alibaba", "alibaba_openb_pod_list_default.csv",
         head(SRC / "scenarios/data/gpu_traces/alibaba_openb_pod_list_default.csv"))
    for p in files("tests/fixtures/workload/helios*.csv"):
        emit("helios", p.name, p.read_bytes())
    emit("helios", "helios_earth_vc6YE_cluster_sequence_1min.csv",
         head(SRC / "scenarios/data/gpu_traces/helios_earth_vc6YE_cluster_sequence_1min.csv"))
    for p in files("tests/fixtures/workload/azure*.csv", "scenarios/data/gpu_traces/azure_*.csv"):
        emit("azure", p.name, head(p))
    for p in files("tests/fixtures/workload/jobs.csv", "tests/fixtures/workload/bad_jobs.csv"):
        emit("jobcsv", p.name, p.read_bytes())
    # The fixture's profile names come from the unit tests' catalogue: a seed with the names of
    # workloads/profiles.yaml (the one the fuzz target imports against) loads.
    jobs = (SRC / "tests/fixtures/workload/jobs.csv").read_bytes()
    emit("jobcsv", "jobs-profiles.csv",
         jobs.replace(b",compute,", b",image_classification,").replace(b",memory,", b",nlp,"))

    # The serving section of every scenario that has one, as a document of its own (dedented).
    for p in files("scenarios/examples/*.yaml", "tests/fixtures/scenarios/*.yaml", "tests/fixtures/bad/*.yaml",
                   "tests/integration/scenarios/*.yaml"):
        section = serving_section(rewrite_paths(p).decode("utf-8", errors="surrogateescape"))
        if section is not None:
            emit("serving", f"{p.parent.name}-{p.name}", section.encode("utf-8", errors="surrogateescape"))
    for p in files("tests/fixtures/workload/azure*.csv", "scenarios/data/gpu_traces/azure_*.csv"):
        emit("serving_trace", p.name, head(p))

    write_dictionaries()

    for d in sorted(OUT.iterdir()):
        n = len(list(d.iterdir()))
        size = sum(f.stat().st_size for f in d.iterdir())
        print(f"{d.name}: {n} seeds, {size} bytes")


if __name__ == "__main__":
    sys.exit(main())
