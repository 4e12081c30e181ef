"""The module map is enforced: a file in ``sim/<m>`` includes only headers of ``m`` itself and of
the modules ``m`` names in its ``dcsim_module(<m> DEPS ...)`` call (``sim/<m>/CMakeLists.txt``),
and a foreign library's headers only where ``m`` names that library in ``EXTERNAL``.

Every module exports the whole ``sim/`` include root, so the compiler alone would accept a
forbidden ``#include "engine/..."``; this test is what makes docs/ARCHITECTURE.md's module table
binding. The graph is read from the CMake files, never restated here.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import SOURCE_DIR

SIM = SOURCE_DIR / "sim"

# #include <prefix...> of each foreign library -> the CMake target that provides it.
EXTERNAL_HEADERS = {
    "simgrid/": "PkgConfig::SIMGRID",
    "xbt/": "PkgConfig::SIMGRID",
    "hdf5": "hdf5::hdf5",
    "H5": "hdf5::hdf5",
    "yaml.h": "PkgConfig::LIBYAML",
    "CLI/": "CLI11::CLI11",
    "boost/": "Boost::boost",
}

MODULE_CALL = re.compile(r"dcsim_module\(\s*(\w+)([^)]*)\)", re.S)
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def module_graph() -> dict[str, tuple[set[str], set[str]]]:
    """{module: (DEPS, EXTERNAL)} from every sim/<m>/CMakeLists.txt."""
    graph: dict[str, tuple[set[str], set[str]]] = {}
    for cml in sorted(SIM.glob("*/CMakeLists.txt")):
        text = re.sub(r"#.*", "", cml.read_text())
        calls = MODULE_CALL.findall(text)
        assert len(calls) == 1, f"{cml}: expected exactly one dcsim_module(...) call, found {len(calls)}"
        name, args = calls[0]
        assert name == cml.parent.name, f"{cml}: dcsim_module({name}) in folder {cml.parent.name}"
        deps: set[str] = set()
        external: set[str] = set()
        target = None
        for word in args.split():
            if word in ("DEPS", "EXTERNAL"):
                target = deps if word == "DEPS" else external
            elif target is None:
                pytest.fail(f"{cml}: {word!r} before DEPS/EXTERNAL")
            else:
                target.add(word)
        graph[name] = (deps, external)
    return graph


def test_the_graph_is_read_from_every_module_and_is_acyclic():
    graph = module_graph()
    folders = {p.name for p in SIM.iterdir() if p.is_dir()}
    assert set(graph) == folders, f"modules without a dcsim_module call: {folders - set(graph)}"
    assert "core" in graph and graph["core"][0] == set(), "core must depend on nothing of ours"
    for m, (deps, _) in graph.items():
        unknown = deps - set(graph)
        assert not unknown, f"sim/{m}: DEPS names unknown modules {sorted(unknown)}"
    # depth-first search for a cycle
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        if state.get(m) == 1:
            pytest.fail("dependency cycle: " + " -> ".join(path + [m]))
        if state.get(m) == 2:
            return
        state[m] = 1
        for d in sorted(graph[m][0]):
            visit(d, path + [m])
        state[m] = 2

    for m in graph:
        visit(m, [])


def include_violations(graph) -> list[str]:
    problems = []
    for m, (deps, external) in sorted(graph.items()):
        allowed = deps | {m}
        for f in sorted((SIM / m).rglob("*")):
            if f.suffix not in (".hpp", ".cpp", ".h"):
                continue
            text = f.read_text(errors="replace")
            for match in INCLUDE.finditer(text):
                kind, header = match.groups()
                line = text.count("\n", 0, match.start()) + 1
                where = f"{f.relative_to(SOURCE_DIR)}:{line}"
                first = header.split("/", 1)[0]
                if kind == '"' and "/" in header and (SIM / first).is_dir():
                    if first not in allowed:
                        problems.append(f'{where}: #include "{header}": module {m} may not use '
                                        f"{first} (DEPS: {', '.join(sorted(deps)) or 'none'})")
                    elif not (SIM / header).exists():
                        problems.append(f'{where}: #include "{header}": no such file in sim/')
                    continue
                for prefix, lib in EXTERNAL_HEADERS.items():
                    if header.startswith(prefix) and lib not in external:
                        problems.append(f"{where}: #include {header!r} needs {lib}, which "
                                        f"sim/{m}/CMakeLists.txt does not name in EXTERNAL")
    return problems


def test_no_module_includes_a_header_of_a_module_it_may_not_use():
    problems = include_violations(module_graph())
    assert not problems, "layering violations:\n" + "\n".join(problems)


def test_the_check_catches_a_forbidden_include(tmp_path, monkeypatch):
    """The check itself can fail: a physics file that includes the engine is reported."""
    import test_layering as t

    fake = tmp_path / "sim"
    for m in ("core", "physics", "engine"):
        (fake / m).mkdir(parents=True)
    (fake / "core" / "CMakeLists.txt").write_text("dcsim_module(core)\n")
    (fake / "physics" / "CMakeLists.txt").write_text("dcsim_module(physics DEPS core)\n")
    (fake / "engine" / "CMakeLists.txt").write_text(
        "dcsim_module(engine DEPS core physics EXTERNAL PkgConfig::SIMGRID)\n")
    (fake / "core" / "units.hpp").write_text("#pragma once\n")
    (fake / "engine" / "engine.hpp").write_text('#include "core/units.hpp"\n#include <simgrid/s4u.hpp>\n')
    (fake / "physics" / "bad.cpp").write_text(
        '#include "core/units.hpp"\n#include "engine/engine.hpp"\n#include <simgrid/s4u.hpp>\n')
    monkeypatch.setattr(t, "SIM", fake)
    monkeypatch.setattr(t, "SOURCE_DIR", tmp_path)
    problems = t.include_violations(t.module_graph())
    assert len(problems) == 2, problems
    assert "sim/physics/bad.cpp:2" in problems[0] and "may not use engine" in problems[0]
    assert "sim/physics/bad.cpp:3" in problems[1] and "PkgConfig::SIMGRID" in problems[1]


# docs/ARCHITECTURE.md, "Where the code changed the design": inside sim/engine, SimGrid is used
# only by the SimGrid executor and the platform builder; the engine's logic (core, decisions,
# node power, site account, report) and its public header are SimGrid-free, so they can be
# unit-tested on the fake executor.
SIMGRID_FILES = {"sim/engine/simgrid_executor.cpp", "sim/engine/platform_builder.hpp",
                 "sim/engine/platform_builder.cpp"}


def test_only_the_simgrid_executor_and_the_platform_builder_include_simgrid():
    users = set()
    for f in SIM.rglob("*"):
        if f.suffix in (".hpp", ".cpp", ".h"):
            for kind, header in INCLUDE.findall(f.read_text(errors="replace")):
                if kind == "<" and header.startswith(("simgrid/", "xbt/")):
                    users.add(str(f.relative_to(SOURCE_DIR)))
    assert users <= SIMGRID_FILES, f"SimGrid included outside its two places: {sorted(users - SIMGRID_FILES)}"
    assert "sim/engine/simgrid_executor.cpp" in users, "the SimGrid executor no longer includes SimGrid?"


def test_the_architecture_module_table_states_each_modules_dependencies():
    """docs/ARCHITECTURE.md's module table (the DEPS column) says what the CMake files say."""
    graph = module_graph()
    text = (SOURCE_DIR / "docs" / "ARCHITECTURE.md").read_text()
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^\| `(\w+)` \| ([^|]*) \|", line)
        if m and m.group(1) in graph:
            deps_cell = re.sub(r"\(.*?\)", "", m.group(2))
            rows[m.group(1)] = {d.strip() for d in deps_cell.split(",") if d.strip() not in ("", "—")}
    assert set(rows) == set(graph), f"modules missing from the table: {sorted(set(graph) - set(rows))}"
    wrong = {m: (sorted(rows[m]), sorted(graph[m][0])) for m in graph if rows[m] != graph[m][0]}
    assert not wrong, f"ARCHITECTURE.md (table, CMake) differ: {wrong}"


def test_every_module_has_a_readme():
    missing = [p.name for p in SIM.iterdir() if p.is_dir() and not (p / "README.md").exists()]
    assert not missing, f"sim/<module>/README.md missing for {missing}"
