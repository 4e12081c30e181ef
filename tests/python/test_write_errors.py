"""A PNG that cannot be written: WriteError naming the file and the cause, nothing left behind,
and exit code 3 from ``python3 -m dcsim_analysis plot`` (the command-line side, with a full
disk and injected write errors, is tests/cli/output_faults.sh)."""
from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from dcsim_analysis import plots  # noqa: E402

import synthetic as sy  # noqa: E402
from conftest import ANALYSIS_DIR  # noqa: E402


def test_a_png_that_cannot_be_written_leaves_nothing(tmp_path):
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the directory should be")
    fig = plt.figure()
    with pytest.raises(plots.WriteError, match=r"cannot write .*not_a_dir/p\.png: "):
        plots.save_png(fig, blocker / "p.png")
    plt.close(fig)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not_a_dir"]


def test_a_failed_rename_removes_the_temporary_png(tmp_path):
    target = tmp_path / "p.png"
    target.mkdir()  # os.replace of a file onto a directory fails
    fig = plt.figure()
    with pytest.raises(plots.WriteError, match=r"cannot write .*p\.png: "):
        plots.save_png(fig, target)
    plt.close(fig)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.png"]
    assert target.is_dir() and not any(target.iterdir())


def test_plot_command_exit_code_3_on_a_write_error(tmp_path):
    run = tmp_path / "run.h5"
    n = 96
    sy.write_run(run, {"facility_power_w": [1e6] * n, "it_power_w": [8e5] * n})
    blocker = tmp_path / "out"
    blocker.write_text("x")
    proc = subprocess.run([sys.executable, "-m", "dcsim_analysis", "plot", str(run), "--png", str(blocker / "p.png")],
                          cwd=ANALYSIS_DIR, capture_output=True, text=True)
    assert proc.returncode == 3, proc.stderr
    assert "cannot write" in proc.stderr and "out/p.png" in proc.stderr
