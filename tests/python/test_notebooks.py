"""The notebooks in analysis/notebooks execute headless (nbclient) on real dcsim output without
an error, and every plot they save is a non-empty PNG. Issue 6."""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ANALYSIS_DIR, QUICKSTART, SOURCE_DIR, assert_png, run_dcsim

NOTEBOOKS = ANALYSIS_DIR / "notebooks"

# Strategies compared by strategy_comparison.ipynb: the quickstart scenario (FCFS, no energy
# policy) with one key overridden per run (`dcsim run --set key=value`), as its comments suggest.
# The label becomes the file name and so the run's label in the comparison.
VARIANTS = {
    "baseline": [],
    "easy-backfill": ["policies.scheduler.name=easy-backfill"],
    "power-down-idle": ["policies.energy=[{name: power-down-idle}]"],
}


def execute(notebook: Path, workdir: Path, env: dict[str, str]) -> nbformat.NotebookNode:
    """Run every cell in a fresh kernel (/usr/bin/python3's ipykernel) with ``env`` added to
    the environment; a failing cell raises CellExecutionError with the cell and traceback."""
    nb = nbformat.read(notebook, as_version=4)
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(workdir)}}).execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return nb


def outputs_of(nb: nbformat.NotebookNode, kind: str) -> list:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == kind]


def inline_images(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
               for o in c.outputs)


@pytest.fixture(scope="session")
def comparison_runs(require_binary, tmp_path_factory) -> Path:
    """A directory with one quickstart result per entry of VARIANTS."""
    out = tmp_path_factory.mktemp("comparison")
    for label, sets in VARIANTS.items():
        args = ["run", QUICKSTART, "-o", out / f"{label}.h5", "-q"]
        for s in sets:
            args += ["--set", s]
        run_dcsim(args)
    return out


def test_quickstart_notebook_runs_and_saves_non_empty_pngs(quickstart_result, tmp_path):
    plots = tmp_path / "plots"
    nb = execute(NOTEBOOKS / "quickstart.ipynb", tmp_path, {
        "DCSIM_SOURCE_DIR": str(SOURCE_DIR),
        "DCSIM_RESULT": str(quickstart_result),
        "DCSIM_PLOT_DIR": str(plots),
    })
    assert not outputs_of(nb, "error")
    saved = sorted(plots.glob("*.png"))
    names = {p.name for p in saved}
    assert {"quickstart_power_stack.png", "quickstart_jobs.png"} <= names, names
    for png in saved:
        assert_png(png)
    assert inline_images(nb) >= 2  # the figures are shown in the notebook too


def test_strategy_comparison_notebook_runs_and_saves_non_empty_pngs(comparison_runs, tmp_path):
    plots = tmp_path / "plots"
    nb = execute(NOTEBOOKS / "strategy_comparison.ipynb", tmp_path, {
        "DCSIM_SOURCE_DIR": str(SOURCE_DIR),
        "DCSIM_SWEEP_DIR": str(comparison_runs),
        "DCSIM_PLOT_DIR": str(plots),
        "DCSIM_BASELINE": "baseline",
    })
    assert not outputs_of(nb, "error")
    names = {p.name for p in plots.glob("*.png")}
    assert {"comparison_bars.png", "comparison_power.png", "comparison_delay.png"} <= names, names
    for png in plots.glob("*.png"):
        assert_png(png)
    # The comparison table lists every run.
    table_html = "".join(o["data"].get("text/html", "") for o in outputs_of(nb, "execute_result"))
    for label in VARIANTS:
        assert label in table_html


def test_strategy_comparison_notebook_runs_on_a_sweep_with_its_heat_map(small_sweep, tmp_path):
    plots = tmp_path / "plots"
    nb = execute(NOTEBOOKS / "strategy_comparison.ipynb", tmp_path, {
        "DCSIM_SOURCE_DIR": str(SOURCE_DIR),
        "DCSIM_SWEEP_DIR": str(small_sweep),
        "DCSIM_PLOT_DIR": str(plots),
    })
    assert not outputs_of(nb, "error")
    names = {p.name for p in plots.glob("*.png")}
    assert {"comparison_bars.png", "comparison_power.png", "comparison_delay.png",
            "comparison_heatmap.png"} <= names, names
    for png in plots.glob("*.png"):
        assert_png(png)


def test_the_strategy_notebook_reads_by_default_where_compare_sh_writes():
    import re
    script = (SOURCE_DIR / "scenarios" / "examples" / "compare.sh").read_text()
    out = re.search(r"out=\$\{2:-([^}]+)\}", script).group(1)  # compare.sh's default OUTDIR
    nb = nbformat.read(NOTEBOOKS / "strategy_comparison.ipynb", as_version=4)
    src = "".join(c.source for c in nb.cells if c.cell_type == "code")
    default = " / ".join(f'"{part}"' for part in out.split("/"))
    assert f'ROOT / {default}' in src, (out, default)


def test_the_strategy_notebook_says_what_to_run_when_its_input_is_missing(tmp_path):
    from nbclient.exceptions import CellExecutionError
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    with pytest.raises(CellExecutionError, match="scenarios/examples/compare.sh"):
        execute(NOTEBOOKS / "strategy_comparison.ipynb", tmp_path, {
            "DCSIM_SOURCE_DIR": str(SOURCE_DIR), "DCSIM_SWEEP_DIR": str(empty),
            "DCSIM_PLOT_DIR": str(tmp_path / "plots")})


def test_the_quickstart_notebook_says_what_to_run_when_its_input_is_missing(tmp_path):
    from nbclient.exceptions import CellExecutionError
    with pytest.raises(CellExecutionError, match="dcsim run scenarios/examples/quickstart.yaml"):
        execute(NOTEBOOKS / "quickstart.ipynb", tmp_path, {
            "DCSIM_SOURCE_DIR": str(SOURCE_DIR), "DCSIM_RESULT": str(tmp_path / "none.h5"),
            "DCSIM_PLOT_DIR": str(tmp_path / "plots")})
