"""Shared fixtures of the Python tests (run with /usr/bin/python3 -m pytest tests/python).

The tests of the file format run on real output of the dcsim binary:
- ``DCSIM_BINARY``: the simulator (default ``<source>/build/release/dcsim``; relative paths are
  taken from the source directory);
- ``DCSIM_SOURCE_DIR``: the repository root (default: two levels above this file).
When the binary does not exist, the tests that need it are skipped with the reason; CI builds it
first, so there they always run. A binary that exists but fails is a test error, never a skip.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE_DIR = Path(os.environ.get("DCSIM_SOURCE_DIR", Path(__file__).resolve().parents[2])).resolve()
ANALYSIS_DIR = SOURCE_DIR / "analysis"
QUICKSTART = SOURCE_DIR / "scenarios" / "examples" / "quickstart.yaml"

# The package under test and the synthetic-file helpers.
for p in (str(ANALYSIS_DIR), str(Path(__file__).resolve().parent)):
    if p not in sys.path:
        sys.path.insert(0, p)

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

PUES = [1.2, 1.4]
SCHEDULERS = ["fcfs", "easy-backfill"]
REPLICATES = 2

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIN_PNG_BYTES = 5_000  # a plot with axes, labels and data; an empty canvas is ~2 kB


def pytest_configure(config: pytest.Config) -> None:
    # Debian's netCDF4 was built against another numpy minor version: harmless, and noisy.
    config.addinivalue_line("filterwarnings", "ignore:numpy.ndarray size changed:RuntimeWarning")
    # xarray decoding NaN times (jobs that never started) to NaT, as the schema specifies.
    config.addinivalue_line("filterwarnings", "ignore:invalid value encountered in cast:RuntimeWarning")


def dcsim_binary() -> Path:
    b = Path(os.environ.get("DCSIM_BINARY", "build/release/dcsim"))
    return b if b.is_absolute() else SOURCE_DIR / b


def run_dcsim(args: list[str], *, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run the simulator from the source directory; fail the test (not skip) if it fails."""
    proc = subprocess.run(
        [str(dcsim_binary()), *map(str, args)],
        cwd=SOURCE_DIR, capture_output=True, text=True, timeout=timeout,
    )
    if proc.returncode != 0:
        pytest.fail(
            f"dcsim {' '.join(map(str, args))} exited with {proc.returncode}\n"
            f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
        )
    return proc


@pytest.fixture(scope="session")
def require_binary() -> Path:
    b = dcsim_binary()
    if not b.exists():
        pytest.skip(
            f"dcsim binary not found at {b}: build it (cmake --preset release && cmake --build "
            "--preset release) or set DCSIM_BINARY"
        )
    return b


@pytest.fixture(scope="session")
def quickstart_result(require_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The result file of ``dcsim run scenarios/examples/quickstart.yaml``, made once per
    session in a temporary directory."""
    out = tmp_path_factory.mktemp("quickstart") / "quickstart.h5"
    run_dcsim(["run", QUICKSTART, "-o", out])
    if not out.exists():
        pytest.fail(f"dcsim run exited 0 but wrote no {out}")
    return out


@pytest.fixture(scope="session")
def small_sweep(require_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 PUEs × 2 schedulers × 2 seeds of a 5-day quickstart: 8 runs and their index."""
    d = tmp_path_factory.mktemp("sweep")
    spec = d / "small.yaml"
    spec.write_text(
        "name: small\n"
        f"base: {QUICKSTART}\n"
        "set:\n  time.duration: 5d\n  workload.jobs: 40\n"
        "grid:\n"
        f"  site.cooling.pue: [{', '.join(map(str, PUES))}]\n"
        f"  policies.scheduler.name: [{', '.join(SCHEDULERS)}]\n"
        f"replicates: {REPLICATES}\n"
    )
    out = d / "out"
    run_dcsim(["sweep", spec, "-o", out, "-j", "2", "-q"])
    assert (out / "index.h5").exists(), "dcsim sweep wrote no index.h5"
    return out


@pytest.fixture
def quickstart_copy(quickstart_result: Path, tmp_path: Path) -> Path:
    """A private copy of the quickstart result that a test may modify."""
    dst = tmp_path / quickstart_result.name
    shutil.copyfile(quickstart_result, dst)
    return dst


def assert_png(path: Path) -> None:
    """A real, non-empty PNG: the 8-byte signature, an IHDR chunk and more than a blank canvas."""
    path = Path(path)
    assert path.exists(), f"{path} was not written"
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG (starts with {data[:8]!r})"
    assert data[12:16] == b"IHDR", f"{path}: first chunk is {data[12:16]!r}, expected IHDR"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert width >= 200 and height >= 150, f"{path}: {width}x{height} px is too small for a plot"
    assert len(data) > MIN_PNG_BYTES, f"{path}: {len(data)} bytes, looks empty"
    import matplotlib.image
    import numpy as np

    pixels = matplotlib.image.imread(path)[..., :3]  # decodes: a corrupt PNG fails here
    colours = np.unique(pixels.reshape(-1, 3).round(2), axis=0)
    assert len(colours) >= 8, f"{path}: only {len(colours)} colours, nothing drawn"
