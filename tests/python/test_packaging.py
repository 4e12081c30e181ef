"""analysis/ is an installable package: ``pip install --no-build-isolation -e analysis`` with
Debian's pip and setuptools (no download, no index) makes ``dcsim_analysis`` importable without
any ``sys.path`` edit, and the installed version is the one written in
``dcsim_analysis/__init__.py`` (the only place it is written).

The install goes into a throw-away virtual environment (``--system-site-packages`` so Debian's
xarray, h5py… are visible) over a copy of the package whose ``__version__`` the test changes,
so the check fails if pyproject.toml carried a version of its own.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ANALYSIS_DIR

VERSION_LINE = re.compile(r'^__version__ = "([^"]+)"$', re.M)


def test_version_is_written_once():
    init = (ANALYSIS_DIR / "dcsim_analysis" / "__init__.py").read_text()
    assert len(VERSION_LINE.findall(init)) == 1
    pyproject = (ANALYSIS_DIR / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject
    assert not re.search(r'^version\s*=\s*"', pyproject, re.M), "pyproject.toml states a version"


def test_editable_install_makes_the_package_importable(tmp_path: Path):
    if shutil.which("/usr/bin/python3") is None:
        pytest.skip("Debian's /usr/bin/python3 is not installed")
    probe = subprocess.run(["/usr/bin/python3", "-c", "import setuptools, wheel"],
                           capture_output=True, text=True)
    pip = subprocess.run(["/usr/bin/python3", "-m", "pip", "--version"], capture_output=True, text=True)
    if probe.returncode != 0 or pip.returncode != 0:
        pytest.skip("python3-pip, python3-setuptools or python3-wheel missing: " + probe.stderr[-300:] + pip.stderr[-300:])
    src = tmp_path / "analysis"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ANALYSIS_DIR / name, src / name)
    shutil.copytree(ANALYSIS_DIR / "dcsim_analysis", src / "dcsim_analysis",
                    ignore=shutil.ignore_patterns("__pycache__"))
    init = src / "dcsim_analysis" / "__init__.py"
    init.write_text(VERSION_LINE.sub('__version__ = "9.8.7"', init.read_text()))

    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", "--without-pip",
                    str(venv)], check=True)
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_NO_INDEX"] = "1"  # nothing is downloaded
    inst = subprocess.run([str(py), "-m", "pip", "install", "--no-build-isolation", "--no-deps",
                           "--no-index", "-e", str(src)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert inst.returncode == 0, inst.stdout[-2000:] + inst.stderr[-2000:]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    check = subprocess.run(
        [str(py), "-c",
         "import dcsim_analysis as da, importlib.metadata as m\n"
         "print(da.__file__)\nprint(da.__version__)\nprint(m.version('dcsim-analysis'))\n"
         "print(callable(da.load_run))\n"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr[-2000:]
    where, version, dist_version, has_api = check.stdout.splitlines()
    assert Path(where).resolve() == (src / "dcsim_analysis" / "__init__.py").resolve()
    assert version == "9.8.7" and dist_version == "9.8.7"
    assert has_api == "True"
    script = venv / "bin" / "dcsim-analysis"
    assert script.exists(), "the dcsim-analysis console script was not installed"
    usage = subprocess.run([script, "--help"], env=env, capture_output=True, text=True, timeout=120)
    assert usage.returncode == 0 and "plot" in usage.stdout
