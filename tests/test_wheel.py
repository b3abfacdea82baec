"""The wheel setup builds into static/dist/: the library alone, installable under CPython as the README says."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pyqueue

from .readme_install import REPO_ROOT, WHEEL_NAME, built_wheel, install_blocks

DIST_INFO = f"pyqueue_idb-{pyqueue.__version__}.dist-info/"


def _library_sources() -> dict[str, bytes]:
    """What the wheel must ship: every file of pyqueue/ (a new kind of file needs its package-data line)."""
    files = [path for path in (REPO_ROOT / "pyqueue").rglob("*") if path.is_file() and "__pycache__" not in path.parts]
    return {path.relative_to(REPO_ROOT).as_posix(): path.read_bytes() for path in files}


def test_the_wheel_holds_the_current_library_and_its_metadata_only() -> None:
    with zipfile.ZipFile(built_wheel()) as wheel:
        names = set(wheel.namelist())
        shipped = {name: wheel.read(name) for name in names if not name.startswith(DIST_INFO)}
        metadata = HeaderParser().parsestr(wheel.read(DIST_INFO + "METADATA").decode())

    sources = _library_sources()
    stale = sorted(name for name, data in sources.items() if shipped.get(name) != data)
    assert not stale, (
        f"the wheel differs from pyqueue/ in {stale}: rebuild it (scripts/setup.sh), "
        "or ship that kind of file (package-data in pyproject.toml)"
    )
    assert sorted(shipped) == sorted(sources)  # no web/, no tests/, nothing else
    assert {name.split("/", 1)[0] + "/" for name in names} == {"pyqueue/", DIST_INFO}
    assert (metadata["Name"], metadata["Version"]) == ("pyqueue-idb", pyqueue.__version__)
    # A Pyodide page loads the wheel alone: it may need nothing but the runtime.
    assert [need for need in metadata.get_all("Requires-Dist", []) if "extra ==" not in need] == []


def test_a_fresh_venv_installs_the_wheel_with_the_readme_command(tmp_path: Path) -> None:
    # Given a venv that has never seen this repository
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)  # pip comes from outside
    python = venv / "bin" / "python"
    (command,) = install_blocks()["bash"].strip().splitlines()
    pip, *arguments = shlex.split(command)
    assert (pip, arguments) == ("pip", ["install", f"static/dist/{WHEEL_NAME}"])
    built_wheel()

    # When the README's pip line runs for it (from the repo root, where the wheel's path points)
    offline = {**os.environ, "PIP_NO_INDEX": "1"}  # a dependency would need an index: none may be needed
    pip_for_venv = [sys.executable, "-m", "pip", "--python", str(python)]
    subprocess.run([*pip_for_venv, *arguments], cwd=REPO_ROOT, env=offline, check=True)

    # Then, away from the sources, pyqueue imports from the venv and runs a task on MemoryStore
    checker = REPO_ROOT / "tests" / "installed_check.py"
    done = subprocess.run([python, checker], cwd=tmp_path, capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    assert Path(report["package_dir"]).is_relative_to(venv)
    assert report == {**report, "version": pyqueue.__version__, "py_typed": True, "status": "completed", "result": 5}
