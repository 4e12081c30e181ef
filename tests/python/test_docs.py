"""The documents stay true (issue 17.7): what a reader is told to write or type runs.

A fenced block preceded, on the line just above its opening fence, by a comment

    <!-- runnable -->                      or   <!-- runnable: key=value ... -->

is checked (the convention is documented in docs/DEVELOPING.md, "Documents that run"):

- a ``yaml`` block is written to a file in the folder it is meant to live in (``in=DIR``,
  repository-relative; default: the document's folder) of a temporary mirror of the repository
  (symbolic links), so its relative paths resolve as the document says while the checkout is
  never written to, and checked with ``dcsim validate``. ``extends=PATH`` (relative
  to that folder) turns a fragment into a scenario: ``extends: PATH`` is added when the snippet
  has no ``extends``. ``exit=N``: the exit status ``validate`` must give (default 0).
  ``file=PATH``: the snippet is that file of the repository, character for character.
- an ``sh`` block holds only ``dcsim`` command lines (``dcsim …`` or ``build/<dir>/dcsim …``),
  comments and blank lines; each is run in order with the binary under test, from a fresh
  temporary working directory per block (so ``results/…`` lands there); arguments naming an
  existing repository file or folder (globs included) are made absolute. A trailing comment
  ``# exit N`` gives the line's expected exit status (default 0).

And every repository path a document names (Markdown links and back-quoted paths with a
known file extension) exists.
"""
from __future__ import annotations

import glob
import os
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import SOURCE_DIR, dcsim_binary

DOC_GLOBS = [
    "README.md",
    "CONTRIBUTING.md",
    "docs/*.md",
    "scenarios/**/README.md",
    "workloads/README.md",
    "analysis/*.md",
    "platforms/README.md",
    "sim/*/README.md",
]

MARKER = re.compile(r"^\s*<!--\s*runnable(?::\s*(?P<opts>[^>]*?))?\s*-->\s*$")
FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>[A-Za-z0-9_+-]*)\s*$")
EXIT_COMMENT = re.compile(r"#\s*exit (\d+)\s*$")
DCSIM_CMD = re.compile(r"^(?:dcsim|build/[A-Za-z0-9_.-]+/dcsim)\s")


def rel(path: Path) -> str:
    try:
        return str(path.relative_to(SOURCE_DIR))
    except ValueError:
        return str(path)


def doc_files() -> list[Path]:
    files: set[Path] = set()
    for g in DOC_GLOBS:
        files.update(p for p in SOURCE_DIR.glob(g) if p.is_file() and "build" not in p.parts[:2])
    return sorted(files)


@dataclass
class Block:
    doc: Path
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    opts: dict[str, str]
    runnable: bool

    @property
    def where(self) -> str:
        return f"{rel(self.doc)}:{self.line}"


def blocks_of(doc: Path) -> list[Block]:
    lines = doc.read_text().splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start = i
        indent = len(m.group("indent"))
        body = []
        i += 1
        while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        i += 1  # the closing fence
        marker = MARKER.match(lines[start - 1]) if start > 0 else None
        opts = {}
        if marker and marker.group("opts"):
            for word in marker.group("opts").split():
                key, _, value = word.partition("=")
                opts[key] = value
        out.append(Block(doc, start + 1, m.group("lang"), "\n".join(body) + "\n", opts, bool(marker)))
    return out


def runnable_blocks() -> list[Block]:
    return [b for d in doc_files() for b in blocks_of(d) if b.runnable]


def test_markers_sit_on_a_known_kind_of_block():
    """A marker that does not precede a yaml or sh fence would check nothing: refuse it."""
    problems = []
    for doc in doc_files():
        lines = doc.read_text().splitlines()
        for n, line in enumerate(lines):
            if not MARKER.match(line):
                continue
            nxt = FENCE.match(lines[n + 1]) if n + 1 < len(lines) else None
            if not nxt or nxt.group("lang") not in ("yaml", "sh"):
                problems.append(f"{rel(doc)}:{n + 1}: runnable marker not directly "
                                "above a ```yaml or ```sh block")
    assert not problems, "\n".join(problems)
    kinds = {b.lang for b in runnable_blocks()}
    assert kinds == {"yaml", "sh"}, f"expected runnable yaml and sh blocks in the docs, found {kinds}"


def run_binary(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(dcsim_binary()), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "MPLBACKEND": "Agg"})


def block_id(b: Block) -> str:
    return b.where


YAML_BLOCKS = [b for b in runnable_blocks() if b.lang == "yaml"]
SH_BLOCKS = [b for b in runnable_blocks() if b.lang == "sh"]


def mirror_of_the_repository(tmp: Path, folder: str) -> Path:
    """A tree under ``tmp`` that reads like the repository (every entry a symbolic link to the
    real one) except along ``folder``, which is made of real directories, so a file written
    there sees the repository's files with the same relative paths while the checkout itself is
    never written to."""
    root = tmp / "repo"
    root.mkdir()
    src, dst = SOURCE_DIR, root
    parts = [p for p in Path(folder).parts if p != "."]
    for i in range(len(parts) + 1):
        nxt = parts[i] if i < len(parts) else None
        for entry in src.iterdir():
            if entry.name != nxt:
                (dst / entry.name).symlink_to(entry)
        if nxt is None:
            break
        src, dst = src / nxt, dst / nxt
        dst.mkdir()
    return dst


@pytest.mark.parametrize("block", YAML_BLOCKS, ids=[b.where for b in YAML_BLOCKS])
def test_runnable_yaml_snippet_validates(block: Block, require_binary, tmp_path: Path):
    where = block.opts.get("in", str(block.doc.parent.relative_to(SOURCE_DIR)))
    assert (SOURCE_DIR / where).is_dir(), f"{block.where}: in={where} is not a folder of the repository"
    folder = mirror_of_the_repository(tmp_path, where)
    text = block.text
    if "file" in block.opts:
        shown = SOURCE_DIR / block.opts["file"]
        assert shown.is_file(), f"{block.where}: file={block.opts['file']} does not exist"
        assert shown.read_text() == text, f"{block.where}: the snippet differs from {block.opts['file']}"
    if "extends" in block.opts and not re.search(r"^extends:", text, re.M):
        base = folder / block.opts["extends"]
        assert base.is_file(), f"{block.where}: extends={block.opts['extends']} does not exist from {where}"
        text = f"extends: {block.opts['extends']}\n" + text
    snippet = folder / "doc-snippet.yaml"
    snippet.write_text(text)
    proc = run_binary(["validate", str(snippet)], cwd=tmp_path / "repo")
    expected = int(block.opts.get("exit", "0"))
    assert proc.returncode == expected, (
        f"{block.where}: dcsim validate exited {proc.returncode}, the document says {expected}\n"
        f"{proc.stdout[-2000:]}{proc.stderr[-3000:]}")


def command_lines(block: Block) -> list[tuple[int, str, int]]:
    """(line number, command, expected exit status) of a runnable sh block."""
    out = []
    for n, raw in enumerate(block.text.splitlines()):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        expected = 0
        m = EXIT_COMMENT.search(line)
        if m:
            expected = int(m.group(1))
        command = re.split(r"\s+#", line, maxsplit=1)[0].strip()
        assert DCSIM_CMD.match(command + " "), (
            f"{rel(block.doc)}:{block.line + 1 + n}: a runnable block holds "
            f"only dcsim command lines, got {command!r}")
        out.append((block.line + 1 + n, command, expected))
    return out


def resolve_args(words: list[str]) -> list[str]:
    args = []
    for w in words:
        if w.startswith("results/") or w.startswith("-") or "/" not in w and "*" not in w:
            args.append(w)
            continue
        matches = sorted(glob.glob(str(SOURCE_DIR / w)))
        if "*" in w:
            assert matches, f"{w} matches no file of the repository"
            args.extend(matches)
        elif matches:
            args.append(matches[0])
        else:
            args.append(w)
    return args


@pytest.mark.parametrize("block", SH_BLOCKS, ids=[b.where for b in SH_BLOCKS])
def test_runnable_command_lines_run_with_the_documented_exit_status(block: Block, require_binary,
                                                                    tmp_path: Path):
    lines = command_lines(block)
    assert lines, f"{block.where}: a runnable block without a dcsim command"
    for line, command, expected in lines:
        words = shlex.split(command)[1:]
        proc = run_binary(resolve_args(words), cwd=tmp_path)
        assert proc.returncode == expected, (
            f"{rel(block.doc)}:{line}: `{command}` exited {proc.returncode}, "
            f"the document says {expected}\n{proc.stdout[-2000:]}{proc.stderr[-3000:]}")


# ---- every path a document names exists -------------------------------------------------------

LINK = re.compile(r"\]\(([^)\s]+)\)")
TICKED = re.compile(r"`([^`\s]+)`")
PATH_EXT = re.compile(r"\.(ya?ml|csv|md|hpp|cpp|py|sh|json|ipynb|epw|toml|txt|h5)$")
# outputs a reader creates, placeholders and patterns: not files of the repository
NOT_A_REPO_PATH = re.compile(r"(=|^results/|^/|^~|^build/|^[A-Z]+/|[<>*{}$|]|\.\.\.|…|^https?:|^[a-z]+://)")


FOLDER = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/")


def named_paths(doc: Path) -> list[tuple[int, str]]:
    """Paths named in the prose (links, back-quoted paths) and in shell and plain code blocks
    (whitespace-separated words); YAML, Python and C++ blocks are checked otherwise or not."""
    out = []
    code = None  # the language of the code block we are in, None outside
    for n, line in enumerate(doc.read_text().splitlines(), 1):
        fence = FENCE.match(line)
        if fence:
            code = None if code is not None else fence.group("lang")
            continue
        if code is not None:
            failing = EXIT_COMMENT.search(line)
            if code in ("", "sh") and not (failing and failing.group(1) != "0"):
                for word in re.split(r"\s+", line.split("#", 1)[0]):
                    if "/" in word and PATH_EXT.search(word) and not NOT_A_REPO_PATH.search(word):
                        out.append((n, word))
            continue
        for m in LINK.finditer(line):
            target = m.group(1).split("#", 1)[0]
            if target and not re.match(r"^[a-z]+:", target):
                out.append((n, target))
        for m in TICKED.finditer(line):
            token = m.group(1).rstrip(".,;:")
            if "/" in token and PATH_EXT.search(token) and not NOT_A_REPO_PATH.search(token):
                out.append((n, token))
            elif FOLDER.fullmatch(token) and not NOT_A_REPO_PATH.search(token):
                out.append((n, token))  # a folder: `sweeps/`, `scenarios/data/`
    return out


def path_exists(doc: Path, target: str) -> bool:
    target = re.sub(r"\.hpp/\.cpp$", ".hpp", target)  # `registry.hpp/.cpp`
    # the document's folder, the repository, and sim/ (the include root: `core/rng.hpp`)
    for base in (doc.parent, SOURCE_DIR, SOURCE_DIR / "sim"):
        if (base / target).exists():
            return True
    # a path relative to the folder a scenario lives in (../data/…, ../../platforms/…)
    return any((SOURCE_DIR / d / target).exists() for d in ("scenarios/examples", "scenarios"))


def test_every_path_a_document_names_exists():
    missing = []
    for doc in doc_files():
        for n, target in named_paths(doc):
            if not path_exists(doc, target):
                missing.append(f"{rel(doc)}:{n}: {target}")
    assert not missing, "documents name files that do not exist:\n" + "\n".join(missing)


def test_the_path_check_can_fail(tmp_path: Path):
    doc = tmp_path / "README.md"
    doc.write_text("See [the map](docs/NO-SUCH-FILE.md) and `scenarios/examples/baseline-phoenix.yaml`.\n"
                   "Outputs such as `results/q.h5` are not checked.\n")
    names = [t for _, t in named_paths(doc)]
    assert names == ["docs/NO-SUCH-FILE.md", "scenarios/examples/baseline-phoenix.yaml"]
    assert not any(path_exists(doc, t) for t in names)


def test_markers_and_exit_comments_parse(tmp_path: Path):
    """The convention itself: options, the expected exit status, and a foreign line refused."""
    doc = tmp_path / "README.md"
    doc.write_text("<!-- runnable: in=scenarios/examples extends=quickstart.yaml exit=2 -->\n"
                   "```yaml\nsite: {cooling: {pue: 9}}\n```\n\n"
                   "```yaml\nnot: checked\n```\n\n"
                   "<!-- runnable -->\n```sh\n# a comment\n"
                   "dcsim validate a.yaml   # exit 2\n"
                   "build/release/dcsim describe policies\n```\n\n"
                   "<!-- runnable -->\n```sh\nrm -rf /\n```\n")
    blocks = blocks_of(doc)
    assert [(b.lang, b.runnable) for b in blocks] == [("yaml", True), ("yaml", False), ("sh", True),
                                                      ("sh", True)]
    assert blocks[0].opts == {"in": "scenarios/examples", "extends": "quickstart.yaml", "exit": "2"}
    assert blocks[0].text == "site: {cooling: {pue: 9}}\n"
    lines = command_lines(blocks[2])
    assert [(c, e) for _, c, e in lines] == [("dcsim validate a.yaml", 2),
                                             ("build/release/dcsim describe policies", 0)]
    with pytest.raises(AssertionError, match="only dcsim command lines"):
        command_lines(blocks[3])
